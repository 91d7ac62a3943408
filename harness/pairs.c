/*
 * pairs.c - `kmbench pairs`: N alloc+free pairs of one backend inside one function,
 * kmb_pairs_loop(), so that a tool can count exactly what they cost.  scripts/instructions runs
 * it under valgrind's callgrind with --toggle-collect=kmb_pairs_loop: the instructions counted
 * are those of the pairs (and of the loop around them), not of start-up, warm-up or exit.
 *
 *   kmbench pairs --backend NAME [--size BYTES] [--pairs N] [--batch B] [--opt KEY=VALUE]...
 * (--opt: a backend option, as a run's -O, e.g. --opt sheaves=off)
 *
 * Defaults: 64 bytes, 100000 pairs, batch 1.  As in the churn workload, @batch objects are
 * allocated and then freed LIFO (batch 1: each allocation is freed at once), and the first
 * byte of each object is written.  The pointer array comes from mmap, not from the allocator.
 *
 * The backend is initialised as a run initialises it with the default options (one thread,
 * max_size the size asked for, the library's physical-memory defaults).  A KMB_CAP_PRELOAD
 * backend first starts this program again with its library in LD_PRELOAD, as the runner starts
 * its children (kmb_backend_exec; the new process gets the internal option --preloaded), so
 * under valgrind it needs --trace-children=yes.  The thread is pinned to the first CPU it may
 * use, so the per-CPU caches of the kernel-style backends stay those of one CPU.  Warm-up:
 * 1000 pairs (at least one batch) before the counted loop.
 *
 * Exit status: 0 done; 1 failure (an allocation returned NULL, the re-execution failed);
 * 2 bad input, one line naming the problem and the valid choices; 3 the backend cannot run
 * here (library missing, sanitizer build, init refused), one line with the reason.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "options.h"
#include "run.h"

#define WARMUP_PAIRS 1000
#define MAX_PAIRS 1000000000ull
#define MAX_BATCH 1000000ul

size_t kmb_pairs_loop(const struct kmb_backend_ops *b, size_t size, size_t n, size_t batch,
		      void **objs);

/*
 * pairs - @n alloc+free pairs of @size bytes, @batch objects live at a time, freed LIFO;
 * @objs holds @batch pointers.  Returns @n, or on an allocation failure the pairs done before
 * it (the live objects are freed).
 */
static inline __attribute__((always_inline)) size_t
pairs(const struct kmb_backend_ops *b, size_t size, size_t n, size_t batch, void **objs)
{
	size_t done = 0;

	if (batch == 1) {	/* the same, with less loop around each pair */
		for (; done < n; done++) {
			char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

			if (__builtin_expect(!obj, 0))
				break;
			*(volatile char *)obj = 0;
			b->free(obj, size);
		}
		return done;
	}
	while (done < n) {
		size_t k = n - done < batch ? n - done : batch, i;

		for (i = 0; i < k; i++) {
			char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

			if (__builtin_expect(!obj, 0))
				break;
			*(volatile char *)obj = (char)i;
			objs[i] = obj;
		}
		for (size_t j = i; j--;)
			b->free(objs[j], size);
		done += i;
		if (__builtin_expect(i < k, 0))
			break;
	}
	return done;
}

/*
 * kmb_pairs_loop - the counted pairs: pairs() in a function of its own, called once.  Not
 * inlined, not cloned: its name is what callgrind's --toggle-collect looks for.  The warm-up
 * calls pairs() directly, so it is not counted.
 */
__attribute__((noinline, noclone)) size_t
kmb_pairs_loop(const struct kmb_backend_ops *b, size_t size, size_t n, size_t batch, void **objs)
{
	return pairs(b, size, n, batch, objs);
}

#define BAD(...) (fprintf(stderr, "kmbench pairs: " __VA_ARGS__), fputc('\n', stderr), 2)

static int bad_backend(const char *name)
{
	char valid[512] = "";

	for (size_t i = 0; i < kmb_nr_backends; i++)
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s",
			 i ? ", " : "", kmb_backends[i]->name);
	if (!name)
		return BAD("--backend is required; valid backends: %s", valid);
	return BAD("unknown backend '%s'; valid backends: %s", name, valid);
}

/* A decimal count in [1, max], the whole string. */
static int parse_count(const char *s, unsigned long long max, size_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* Pin to the first CPU this thread may run on: the same CPU, and per-CPU cache, every time. */
static void pin_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		sched_setaffinity(0, sizeof(set), &set);
		return;
	}
}

/* Start this program again for @b with LD_PRELOAD, with --preloaded before @argv.  Returns
 * only on failure, with the exit status. */
static int exec_preloaded(const struct kmb_backend_ops *b, int argc, char **argv)
{
	char **nargv = calloc((size_t)argc + 4, sizeof(*nargv));
	int r;

	if (!nargv)
		return 1;
	nargv[0] = "kmbench";
	nargv[1] = "pairs";
	nargv[2] = "--preloaded";
	memcpy(nargv + 3, argv, (size_t)argc * sizeof(*argv));
	fflush(stdout);
	r = kmb_backend_exec(b, nargv);
	fprintf(stderr, "kmbench pairs: cannot start kmbench again with LD_PRELOAD=%s: %s\n",
		b->preload, strerror(-r));
	free(nargv);
	return 1;
}

int kmb_run_pairs(int argc, char **argv)
{
	const struct kmb_backend_ops *b = NULL;
	const char *backend = NULL;
	struct kmb_backend_config cfg = { 0 };
	size_t size = 64, n = 100000, batch = 1, warm, done;
	const char *opts[17] = { NULL };
	int nopts = 0;
	bool preloaded = false;
	char why[256] = "";
	void **objs;
	int r;

	for (int i = 0; i < argc; i++) {
		static const char *const names[] = { "backend", "size", "pairs", "batch", "opt" };
		static const char *const metavars[] = { "NAME", "BYTES", "N", "B", "KEY=VALUE" };
		const char *a = argv[i], *eq, *val;
		size_t len, o = 0;

		if (strcmp(a, "--preloaded") == 0) {	/* internal: set by exec_preloaded() */
			preloaded = true;
			continue;
		}
		if (strncmp(a, "--", 2))
			return BAD("unexpected argument '%s'; options start with --", a);
		eq = strchr(a + 2, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		while (o < 5 && (strlen(names[o]) != len || strncmp(names[o], a + 2, len)))
			o++;
		if (o == 5)
			return BAD("unknown option '--%.*s'; valid options: --backend, --size, "
				   "--pairs, --batch, --opt", (int)len, a + 2);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return BAD("--%s needs a value (%s)", names[o], metavars[o]);
		switch (o) {
		case 0:
			backend = val;
			b = kmb_backend_find(val);
			if (!b)
				return bad_backend(val);
			break;
		case 1:
			if (kmb_parse_bytes(val, KMB_MAX_SIZE, &size))
				return BAD("--size: '%s' is not a size; give bytes from 1 to 1G, "
					   "e.g. 64, 4K", val);
			break;
		case 2:
			if (parse_count(val, MAX_PAIRS, &n))
				return BAD("--pairs: '%s' is not a count; give 1 to %llu", val,
					   MAX_PAIRS);
			break;
		case 3:
			if (parse_count(val, MAX_BATCH, &batch))
				return BAD("--batch: '%s' is not a batch size; give 1 to %lu", val,
					   MAX_BATCH);
			break;
		case 4:
			if (!strchr(val, '=') || val[0] == '=')
				return BAD("--opt: '%s' is not KEY=VALUE (e.g. sheaves=off)", val);
			if (nopts == 16)
				return BAD("--opt: at most 16 of them");
			opts[nopts++] = val;
			break;
		}
	}
	if (!b)
		return bad_backend(backend);
	/* As a run's -O: a key no backend has is an error; one of another backend's is left to
	 * it (scripts/instructions gives every backend the same --opt). */
	for (int k = 0; k < nopts; k++) {
		size_t klen = (size_t)(strchr(opts[k], '=') - opts[k]);
		const struct kmb_backend_optset *set;

		if (!kmb_backend_opt_find(opts[k], klen, &set))
			return BAD("--opt: no backend has an option '%.*s' (`kmbench help` lists "
				   "them)", (int)klen, opts[k]);
	}
	cfg.opts = nopts ? opts : NULL;

	const char *cannot = kmb_backend_cannot_run(b);

	if (cannot) {
		fprintf(stderr, "kmbench pairs: %s cannot run here: %s\n", b->name, cannot);
		return 3;
	}
	if ((b->caps & KMB_CAP_PRELOAD) && !preloaded)
		return exec_preloaded(b, argc, argv);

	objs = mmap(NULL, batch * sizeof(void *), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (objs == MAP_FAILED) {
		fprintf(stderr, "kmbench pairs: cannot map the pointer array: %s\n", strerror(errno));
		return 1;
	}
	pin_first_cpu();
	cfg.nthreads = 1;
	cfg.max_size = size;
	r = b->init(&cfg, why, sizeof(why));
	if (r == -EINVAL && nopts)		/* an --opt value the backend refused */
		return BAD("--opt: %s", why);
	if (r) {
		fprintf(stderr, "kmbench pairs: %s cannot run here: %s\n", b->name,
			why[0] ? why : strerror(-r));
		return 3;
	}
	if (b->thread_init && (r = b->thread_init())) {
		fprintf(stderr, "kmbench pairs: %s thread_init: %s\n", b->name, strerror(-r));
		b->fini();
		return 1;
	}
	warm = batch > WARMUP_PAIRS ? batch : WARMUP_PAIRS;
	done = pairs(b, size, warm, batch, objs);	/* warm-up: not counted */
	if (done == warm)
		done = warm + kmb_pairs_loop(b, size, n, batch, objs);
	if (b->thread_fini)
		b->thread_fini();
	b->fini();
	munmap(objs, batch * sizeof(void *));
	if (done != warm + n) {
		fprintf(stderr, "kmbench pairs: %s: alloc of %zu bytes returned NULL after %zu "
			"pairs (warm-up included, batch %zu)\n", b->name, size, done, batch);
		return 1;
	}
	printf("kmbench pairs: %s, %zu bytes, batch %zu: %zu pairs after %zu warm-up pairs\n",
	       b->name, size, batch, n, warm);
	return 0;
}
