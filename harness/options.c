/*
 * options.c - the run-option table, presets, parsing and the saved `cmdline` (options.h).
 *
 * Parsing order: defaults, then the preset (--preset, default "quick"), then every other
 * option as given.  A preset is a list of ordinary options, parsed by the same table.
 *
 * Backend options (-O KEY=VALUE, --backend-opt KEY=VALUE, --KEY VALUE) are not in the table:
 * the backends declare them (backend.h kmb_backend_optset), each value is parsed by its
 * backend's parser when given, and the whole set once every option is applied (check_opts).
 * Workload options (-W KEY=VALUE, --workload-opt KEY=VALUE, --KEY VALUE) go the same way,
 * declared by their workload (workload.h kmb_workload.opts), and are parsed whole into each
 * workload's option state (kmb_options.wstate).  This file knows no layer's or workload's knob.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "options.h"
#include "placement.h"
#include "policy.h"

const struct kmb_preset kmb_presets[] = {
	/* Issue 13: a first run that answers in under a minute on 2 cores.  The malloc
	 * baselines against slab (SLAB_HWCACHE_ALIGN, per-CPU sheaves), slab-packed (aligned
	 * against packed), slab-none (no per-CPU cache: what the sheaves buy), kmalloc and
	 * buddy; the hot pair (batch 1) and a batched case (100 live objects) at 64 B and 4 KiB
	 * (buddy: order-0 pages at both), at one thread and at every CPU; and the per-thread
	 * counters on their own lines against packed into one line (false sharing, no
	 * allocator). */
	{ "quick", "the headline questions in under a minute on 2 cores: baselines against slab, "
	  "slab-packed, slab-none, kmalloc, buddy; hot pair and batch 100; 1 and max threads",
	  { "--backends=glibc,jemalloc,tcmalloc,mimalloc,slab,slab-packed,slab-none,kmalloc,buddy",
	    "--workloads=churn,counter-percpu,counter-packed", "--threads=1,max",
	    "--sizes=64,4096", "--batch=1,100", "--min-time=0.1", "--repetitions=3", NULL } },
	{ "full", "every backend and workload over the kmalloc size classes, every thread count",
	  { "--backends=all", "--workloads=all", "--threads=1-max",
	    "--sizes=8,16,32,64,96,128,192,256,512,1K,2K,4K,8K", "--batch=100", "--min-time=0.5",
	    "--repetitions=5", NULL } },
	{ "smoke", "every backend and workload once, tiny time budget: does everything run?",
	  { "--backends=all", "--workloads=all", "--threads=1,max", "--sizes=64", "--batch=16",
	    "--mempool-fail=0,100", "--matrix-buffer=1M", "--min-time=0.001", "--repetitions=1",
	    NULL } },
	{ "pages", "page allocator: order 0-10 alloc+free pairs, buddy against mmap+touch+munmap",
	  { "--backends=buddy,mmap", "--workloads=churn", "--threads=1,max",
	    "--sizes=4K,8K,16K,32K,64K,128K,256K,512K,1M,2M,4M", "--batch=1", "--min-time=0.3",
	    "--repetitions=5", NULL } },
	{ "fragment", "buddy fragmentation over time: random-order churn on a 64M node, 2M probes",
	  { "--backends=buddy", "--workloads=fragment", "--threads=1,2", "--sizes=2M",
	    "--batch=1500", "--node-mem=64M", "--min-time=1", "--repetitions=3", NULL } },
	{ "slab", "slab caches and kmalloc against the baselines: hot 64-byte pairs, kmalloc classes",
	  { "--backends=glibc,jemalloc,tcmalloc,mimalloc,slab,slab-packed,slab-colored,kmalloc",
	    "--workloads=churn", "--threads=1,max",
	    "--sizes=8,16,32,64,96,128,192,256,512,1K,2K,4K,8K", "--batch=1", "--min-time=0.2",
	    "--repetitions=3", NULL } },
	/* Issue 16: SLUB's multi-CPU machinery at scale: the per-pair cost at 1 and at every
	 * thread count, batch 1 (the hot pair), 100 and 1000, 8 B to 8 KiB, with sheaves (slab,
	 * kmalloc), without (slab-nosheaves) and with the largest (slab-bigsheaves), against the
	 * baselines in the same run. */
	{ "slab-scale", "slab and kmalloc at scale, sheaves on and off, batch 1/100/1000, 8B-8K, "
	  "1..max threads, against the baselines; ~3 min on 2 cores",
	  { "--backends=glibc,jemalloc,tcmalloc,mimalloc,slab,slab-nosheaves,slab-bigsheaves,"
	    "kmalloc",
	    "--workloads=churn", "--threads=1,max", "--sizes=8,64,256,1K,4K,8K",
	    "--batch=1,100,1000", "--min-time=0.1", "--repetitions=3", NULL } },
	{ "ctor", "constructor caching (Bonwick): slab caches with a constructor against malloc",
	  { "--backends=glibc,jemalloc,tcmalloc,mimalloc,slab,slab-packed,kmalloc",
	    "--workloads=ctor", "--threads=1", "--sizes=256", "--batch=32", "--min-time=0.3",
	    "--repetitions=3", NULL } },
	{ "mix", "memory efficiency: a kernel-like size mix, 100000 live objects, RSS per byte asked",
	  { "--backends=glibc,jemalloc,tcmalloc,mimalloc,slab,slab-packed,kmalloc",
	    "--workloads=mix", "--threads=1", "--batch=100000", "--min-time=0.3",
	    "--repetitions=1", NULL } },
	/* The mode variants force their mode; the baselines are the slab layer's comparison.
	 * A preset has one size list: churn runs at 64 (slab, baselines) and 4096 (buddy) for
	 * every backend, and the report reads slab at 64 and buddy at 4096 (buddy's 64-byte
	 * rows are order-0 pages too).  Batch 1: the hot pair, the per-CPU fast path. */
	{ "percpu", "per-CPU modes of slab and buddy against the baselines: scaling, remote "
	  "frees, counters; ~1.5 min on 2 cores",
	  { "--backends=slab-none,slab-thread,slab-cpu-lock,slab-cpu-rseq,buddy-none,buddy-thread,"
	    "buddy-cpu-lock,buddy-cpu-rseq,glibc,jemalloc,tcmalloc,mimalloc",
	    "--workloads=churn,remote-free,counter-percpu,counter-atomic,counter-packed",
	    "--threads=1-max", "--sizes=64,4096", "--batch=1", "--min-time=0.2",
	    "--repetitions=3", NULL } },
	/* Issue 15: aligned against packed where objects cross threads (passive: neighbours
	 * handed out by one thread) and where they do not (active), with the baselines.  48
	 * bytes as well as 16 and 64: packed 64-byte objects start on a line anyway. */
	{ "falseshare", "false sharing, slab against slab-packed and the baselines: passive "
	  "(cache-scratch) and active (cache-thrash); 1 and 2 threads; ~1 min on 2 cores",
	  { "--backends=slab,slab-packed,glibc,jemalloc,tcmalloc,mimalloc",
	    "--workloads=false-share-passive,false-share-active", "--threads=1,2",
	    "--sizes=16,48,64", "--min-time=0.1", "--repetitions=3", NULL } },
	/* Issue 15: the remote-free matrix, every ordered pair of the plan's CPUs at every CPU
	 * (--threads max), on the slab layouts, kmalloc and buddy and the baselines.  One size
	 * list for all: the report reads 64 B, and 4 KiB for buddy (whose 64 B are order-0 pages
	 * too). */
	{ "remotefree", "remote-free cost matrix: allocate on CPU i, free on CPU j, every pair of "
	  "CPUs; slab, slab-packed, kmalloc, buddy, the baselines; ~40 s on 2 cores",
	  { "--backends=slab,slab-packed,kmalloc,buddy,glibc,jemalloc,tcmalloc,mimalloc",
	    "--workloads=remote-free-matrix", "--threads=max", "--sizes=64,4096",
	    "--min-time=0.1", "--repetitions=3", NULL } },
	/* Issue 15: server shapes, objects freed by threads that did not allocate them:
	 * Larson's (mimalloc-bench larsonN: 8 to 1000 bytes, 5000 slots per thread, arrays
	 * handed on every 100 x 5000 replacements) and xmalloc-test's producers and consumers
	 * (its default 1024-byte objects, as many producers as consumers). */
	{ "server", "server workloads, objects/s against threads: larson and prodcons on slab, "
	  "slab-packed, kmalloc and the baselines; ~35 s on 2 cores",
	  { "--backends=slab,slab-packed,kmalloc,glibc,jemalloc,tcmalloc,mimalloc",
	    "--workloads=larson,prodcons", "--threads=1-max", "--sizes=1K", "--batch=5000",
	    "--min-time=0.2", "--repetitions=3", NULL } },
	/* The mempool backend at each failure rate, and slab running the same operations with
	 * no pool as the reference.  Batch 100, above the 64-element reserve of the 256-byte
	 * class: at 100% failure every thread waits for frees, one thread alone too. */
	{ "mempool", "mempool under pressure: the underlying allocator failing 0, 10, 50, 100% "
	  "of the time, against slab; ~1 min on 2 cores",
	  { "--backends=mempool,slab", "--workloads=mempool-pressure", "--threads=1-max",
	    "--sizes=256", "--batch=100", "--mempool-fail=0,10,50,100", "--min-time=1",
	    "--repetitions=3", NULL } },
	/* Issue 6: vmalloc against kmalloc against __get_free_pages (the buddy backend) from
	 * 4 KiB to 4 MiB, and the kernel's test_vmalloc patterns; issue 16: vmalloc-floor, the
	 * system calls of each vmalloc area alone, so the report splits vmalloc's time.  --batch is the vmtest
	 * workloads' number of held areas (the kernel: 15000 for long-busy, 8192 x fls(cpus)
	 * for full-fit), so the model gets room: at most 2 x 8192 pages held per thread; the
	 * workloads hold fewer where vm.max_map_count would not fit them (workloads/vmtest.c). */
	{ "vmalloc", "vmalloc against its system-call floor, kmalloc and the page allocator, "
	  "4K-4M: untouched, first touch, access; the test_vmalloc patterns; ~2 min on 2 cores",
	  { "--backends=vmalloc,vmalloc-floor,kmalloc,buddy",
	    "--workloads=untouched,first-touch,access,vmtest-fix-size,vmtest-full-fit,"
	    "vmtest-long-busy,vmtest-random-size",
	    "--threads=1,max", "--sizes=4K,16K,64K,256K,1M,4M", "--batch=8192", "--node-mem=1G",
	    "--min-time=0.05", "--repetitions=3", NULL } },
	/* The node-aware backends and libnuma, the reference: one thread, as Intel MLC's latency
	 * matrix; 64 MiB per buffer, well above this machine's last-level cache. */
	{ "numa", "NUMA matrix: memory on each node through libnuma, buddy, slab and kmalloc, used "
	  "from each node's CPUs; pointer-chase latency and read bandwidth",
	  { "--backends=libnuma,buddy,slab,kmalloc", "--workloads=numa-matrix", "--threads=1",
	    "--matrix-policies=bind,local,remote,interleave", "--matrix-buffer=64M",
	    "--min-time=0.1", "--repetitions=3", NULL } },
	/* Issue 15: the kernel's own traffic (the fixture tests/fixtures/kernel.trace, or
	 * --trace FILE from `kmbench record`) replayed on every backend, on one thread and on
	 * every CPU (each recorded CPU on thread cpu % threads).  mmap, libnuma and vmalloc take
	 * tens of microseconds an operation: min-time bounds them. */
	{ "trace", "real kernel traffic: a recorded kmem trace replayed on every backend, 1 and "
	  "max threads; ~15 s on 2 cores",
	  { "--backends=all", "--workloads=trace", "--threads=1,max", "--min-time=0.05",
	    "--repetitions=3", NULL } },
};
const size_t kmb_nr_presets = sizeof(kmb_presets) / sizeof(kmb_presets[0]);

/* What a preset leaves out: applied before it, so every option has a value. */
static const char *const base_args[] = {
	"--backends=all", "--workloads=all", "--threads=1", "--sizes=64", "--batch=100",
	"--min-time=0.1", "--repetitions=1", NULL
};

typedef int (*opt_fn)(struct kmb_options *o, const char *arg, char *err, size_t errlen);

struct opt_def {
	const char *name;
	const char *metavar;	/* NULL: takes no argument */
	const char *help;
	opt_fn parse;
};

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)
#define KMB_MAX_CPU_IDS 65536	/* OS CPU numbers looked at for kmb_wl_machine.cpu_node */

/* Copy the next comma-separated item of *s into buf; false at the end. */
static bool next_item(const char **s, char *buf, size_t len)
{
	const char *p = *s, *comma;
	size_t n;

	if (!p || !*p)
		return false;
	comma = strchr(p, ',');
	n = comma ? (size_t)(comma - p) : strlen(p);
	snprintf(buf, len, "%.*s", (int)n, p);
	*s = comma ? comma + 1 : p + n;
	return true;
}

static const char *backend_name(size_t i)
{
	return kmb_backends[i]->name;
}

static const char *workload_name(size_t i)
{
	return kmb_workloads[i]->name;
}

/*
 * parse_names - a comma-separated list of names from a registry of @n entries, or "all", into
 * registry indexes (duplicates dropped).  @what names the option's items in messages.
 */
static int parse_names(const char *arg, const char *what, size_t n,
		       const char *(*name_at)(size_t), size_t *idx, size_t *count, char *err,
		       size_t errlen)
{
	char item[64], valid[512] = "";

	for (size_t i = 0; i < n; i++)
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s",
			 i ? ", " : "", name_at(i));
	*count = 0;
	if (strcmp(arg, "all") == 0) {
		for (size_t i = 0; i < n && i < KMB_MAX_LIST; i++)
			idx[(*count)++] = i;
		return 0;
	}
	while (next_item(&arg, item, sizeof(item))) {
		size_t i = 0, j = 0;

		while (i < n && strcmp(name_at(i), item))
			i++;
		if (i == n)
			return ERR("unknown %s '%s'; valid %ss: %s (or 'all')", what, item, what,
				   valid);
		while (j < *count && idx[j] != i)
			j++;
		if (j == *count && *count < KMB_MAX_LIST)
			idx[(*count)++] = i;
	}
	if (!*count)
		return ERR("--%ss: empty list; valid %ss: %s (or 'all')", what, what, valid);
	return 0;
}

static int parse_backends(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	size_t idx[KMB_MAX_LIST];
	int r = parse_names(arg, "backend", kmb_nr_backends, backend_name, idx, &o->nbackends,
			    err, errlen);

	for (size_t i = 0; !r && i < o->nbackends; i++)
		o->backends[i] = kmb_backends[idx[i]];
	return r;
}

static int parse_workloads(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	size_t idx[KMB_MAX_LIST];
	int r = parse_names(arg, "workload", kmb_nr_workloads, workload_name, idx,
			    &o->nworkloads, err, errlen);

	for (size_t i = 0; !r && i < o->nworkloads; i++)
		o->workloads[i] = kmb_workloads[idx[i]];
	return r;
}

/* A decimal integer in [lo, hi], the whole string. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

#define THREADS_HELP "counts 1..%d, ranges like 1-4, 'max' (every usable CPU) or 'pow2' " \
	"(1, 2, 4, ... up to max)"

/* Syntax check only: 'max' and 'pow2' are resolved against the topology later. */
static int parse_threads(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char item[64];
	const char *p = arg;
	size_t n = 0;

	if (strlen(arg) >= sizeof(o->threads_spec))
		return ERR("--threads: list too long");
	while (next_item(&p, item, sizeof(item))) {
		char *dash = strchr(item, '-');
		long a, b;

		n++;
		if (strcmp(item, "max") == 0 || strcmp(item, "pow2") == 0)
			continue;
		if (dash) {
			*dash = '\0';
			if (parse_long(item, 1, KMB_MAX_THREADS, &a) ||
			    (strcmp(dash + 1, "max") && parse_long(dash + 1, a, KMB_MAX_THREADS, &b)))
				return ERR("--threads: '%s-%s' is not a range; give " THREADS_HELP,
					   item, dash + 1, KMB_MAX_THREADS);
			continue;
		}
		if (parse_long(item, 0, LONG_MAX, &a))
			return ERR("--threads: '%s' is not a thread count; give " THREADS_HELP,
				   item, KMB_MAX_THREADS);
		if (a == 0 || a > KMB_MAX_THREADS)
			return ERR("--threads: %s threads is out of range; give " THREADS_HELP,
				   item, KMB_MAX_THREADS);
	}
	if (!n)
		return ERR("--threads: empty list; give " THREADS_HELP, KMB_MAX_THREADS);
	snprintf(o->threads_spec, sizeof(o->threads_spec), "%s", arg);
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	return kmb_parse_bytes(s, KMB_MAX_SIZE, out);
}

static int parse_sizes(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char item[64];

	o->nsizes = 0;
	while (next_item(&arg, item, sizeof(item))) {
		size_t v;

		if (parse_size(item, &v))
			return ERR("--sizes: '%s' is not a size; give bytes from 1 to 1G, e.g. "
				   "64,256,4K,1M", item);
		if (o->nsizes == KMB_MAX_LIST)
			return ERR("--sizes: more than %d sizes", KMB_MAX_LIST);
		for (size_t i = 0; i < o->nsizes; i++)
			if (o->sizes[i] == v)
				return ERR("--sizes: '%s' repeats %zu bytes; give each size once",
					   item, v);
		o->sizes[o->nsizes++] = v;
	}
	if (!o->nsizes)
		return ERR("--sizes: empty list; give bytes from 1 to 1G, e.g. 64,256,4K,1M");
	return 0;
}

#define BATCH_HELP "give 1 to 1000000 objects, comma-separated, e.g. 1,100"

/* --batch 1,100: each a family of its own for the workloads with KMB_P_BATCH (matrix.c). */
static int parse_batch(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char item[64];

	o->nbatches = 0;
	while (next_item(&arg, item, sizeof(item))) {
		long v;

		if (parse_long(item, 1, 1000000, &v))
			return ERR("--batch: '%s' is not a batch size; " BATCH_HELP, item);
		for (size_t i = 0; i < o->nbatches; i++)
			if (o->batches[i] == (size_t)v)
				return ERR("--batch: %ld is given twice; give each batch once", v);
		if (o->nbatches == KMB_MAX_LIST)
			return ERR("--batch: more than %d batch sizes", KMB_MAX_LIST);
		o->batches[o->nbatches++] = (size_t)v;
	}
	if (!o->nbatches)
		return ERR("--batch: empty list; " BATCH_HELP);
	return 0;
}

static int parse_pin(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (kmb_pin_parse(arg, &o->pin))
		return ERR("--pin: unknown policy '%s'; valid policies: " KMB_PIN_SYNTAX, arg);
	return 0;
}

static int parse_numa_policy(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char why[256];

	if (kmb_mpol_parse(arg, &o->mpol, why, sizeof(why)))
		return ERR("--numa-policy: %s", why);
	return 0;
}

static int parse_min_time(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || (*end && strcmp(end, "s")) || !(v > 0) || v > 60)
		return ERR("--min-time: '%s' is not a time; give seconds above 0, at most 60, "
			   "e.g. 0.1", arg);
	o->min_time = v;
	return 0;
}

static int parse_repetitions(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	long v;

	if (parse_long(arg, 1, 1000, &v))
		return ERR("--repetitions: '%s' is not a count; give 1 to 1000", arg);
	o->repetitions = (int)v;
	return 0;
}

/* --- backend options (backend.h kmb_backend_optset): KEY=VALUE, parsed by their backend --- */

/*
 * The run options that set several backend options at once, each to the one value, in the
 * order given (the first to refuse the value names the problem).  Every backend option is a
 * run option of its own name as well (--KEY VALUE, the same as -O KEY=VALUE), so this table
 * holds only what that rule cannot say: a new knob needs no row, and no code here.
 */
static const struct {
	const char *flag, *metavar, *help;
	const char *keys[3];		/* NULL ends */
} bopt_aliases[] = {
	{ "percpu", "MODE", "both layers at once: --pcp MODE --slab-percpu MODE",
	  { "slab-percpu", "pcp", NULL } },
};
#define NR_ALIASES (sizeof(bopt_aliases) / sizeof(bopt_aliases[0]))

/*
 * The two kinds of options declared outside this file, kept alike: the backends' and the
 * workloads'.  @sets are the kind's option sets in declaration order (registry order).
 */
struct okind {
	const char *noun;			/* "backend", "workload" */
	struct kmb_backend_optval *v;		/* those given, *n of them */
	size_t *n;
	const struct kmb_backend_optset *sets[KMB_MAX_LIST];
	size_t nsets;
};

static const struct kmb_backend_optset *wl_set(size_t i)
{
	return kmb_workloads[i]->opts;
}

static struct okind okind(struct kmb_options *o, bool workload)
{
	struct okind k = { workload ? "workload" : "backend", workload ? o->wopts : o->bopts,
			   workload ? &o->nwopts : &o->nbopts, { NULL }, 0 };

	if (!workload) {
		k.nsets = kmb_backend_optsets(k.sets, KMB_MAX_LIST);
		return k;
	}
	for (size_t i = 0; i < kmb_nr_workloads && k.nsets < KMB_MAX_LIST; i++)
		if (wl_set(i))
			k.sets[k.nsets++] = wl_set(i);
	return k;
}

/* The option @key (@keylen bytes) of any set of @k, and its set into *set; NULL: none. */
static const struct kmb_backend_opt *okind_find(const struct okind *k, const char *key,
						size_t keylen, const struct kmb_backend_optset **set)
{
	for (size_t i = 0; i < k->nsets; i++) {
		const struct kmb_backend_opt *opt = kmb_optset_key(k->sets[i], key, keylen);

		if (opt) {
			*set = k->sets[i];
			return opt;
		}
	}
	return NULL;
}

/*
 * Set option @key (@keylen bytes) of kind @k to @value, as the option named @as on the command
 * line (for the message).  A key that some backend (workload) declares is parsed now, by its
 * owner, and kept as it shows it (--pcp off is kept as "none"); a key none declares is kept
 * and refused once the backends (workloads) are known (check_opts), so the message can name
 * theirs.
 */
static int set_opt(struct okind *k, const char *as, const char *key, size_t keylen,
		   const char *value, char *err, size_t errlen)
{
	const struct kmb_backend_optset *set = NULL;
	const struct kmb_backend_opt *opt = okind_find(k, key, keylen, &set);
	struct kmb_backend_optval *v = NULL;
	char why[256], shown[96];
	void *st;
	int r = 0;

	for (size_t i = 0; i < *k->n && !v; i++)
		if (k->v[i].keylen == keylen && !strncmp(k->v[i].text + 2, key, keylen))
			v = &k->v[i];
	if (!v && *k->n == KMB_MAX_BACKEND_OPTS)
		return ERR("%s: more than %d %s options", as, KMB_MAX_BACKEND_OPTS, k->noun);
	if (opt) {
		st = calloc(1, set->size);
		if (!st)
			return ERR("%s: out of memory", as);
		if (opt->parse(st, value, why, sizeof(why)))
			r = ERR("%s: %s", as, why);
		else if (opt->show)
			value = opt->show(st, shown, sizeof(shown));
		free(st);
		if (r)
			return r;
	}
	if (!v)
		v = &k->v[(*k->n)++];
	v->opt = opt;
	v->keylen = keylen;
	if ((size_t)snprintf(v->text, sizeof(v->text), "--%.*s=%s", (int)keylen, key, value) >=
	    sizeof(v->text))
		return ERR("%s: value too long", as);
	return 0;
}

/* -O KEY=VALUE, --backend-opt KEY=VALUE; -W KEY=VALUE, --workload-opt KEY=VALUE. */
static int parse_kv_opt(struct kmb_options *o, bool workload, const char *arg, char *err,
			size_t errlen)
{
	struct okind k = okind(o, workload);
	const char *eq = strchr(arg, '=');
	char as[64];

	if (!eq || eq == arg)
		return ERR("--%s-opt: '%s' is not KEY=VALUE; `kmbench list` shows each %s's "
			   "options", k.noun, arg, k.noun);
	snprintf(as, sizeof(as), "--%.*s", (int)(eq - arg), arg);
	return set_opt(&k, as, arg, (size_t)(eq - arg), eq + 1, err, errlen);
}

static int parse_backend_opt(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	return parse_kv_opt(o, false, arg, err, errlen);
}

static int parse_workload_opt(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	return parse_kv_opt(o, true, arg, err, errlen);
}

/* The options the chosen backends (workloads) take, ", "-separated, into @buf. */
static void chosen_keys(const struct kmb_options *o, const struct okind *k, char *buf,
			size_t len)
{
	bool workload = k->v == o->wopts;
	size_t nchosen = workload ? o->nworkloads : o->nbackends, n = 0;

	buf[0] = '\0';
	for (size_t s = 0; s < k->nsets; s++) {
		bool chosen = false;

		for (size_t i = 0; i < nchosen; i++)
			chosen |= (workload ? o->workloads[i]->opts : o->backends[i]->opts) ==
				  k->sets[s];
		for (size_t j = 0; chosen && j < k->sets[s]->nopt && n < len; j++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      k->sets[s]->opt[j].key);
	}
	if (!n)
		snprintf(buf, len, "none (no chosen %s takes options)", k->noun);
}

/* The run's options of @n given @v as KEY=VALUE, NULL-terminated, into @kv (at most @max - 1
 * of them; pointers into @v).  How many. */
static size_t kv_of(const struct kmb_backend_optval *v, size_t n, const char **kv, size_t max)
{
	size_t i = 0;

	for (; i < n && i + 1 < max; i++)
		kv[i] = v[i].text + 2;
	kv[i] = NULL;
	return i;
}

size_t kmb_options_backend_kv(const struct kmb_options *o, const char **kv, size_t max)
{
	return kv_of(o->bopts, o->nbopts, kv, max);
}

int kmb_options_backend_state(const struct kmb_options *o, const struct kmb_backend_optset *set,
			      void **st, char *err, size_t errlen)
{
	const char *kv[KMB_MAX_BACKEND_OPTS + 1];
	int r;

	*st = calloc(1, set->size);
	if (!*st)
		return ERR("backend options: out of memory");
	kmb_options_backend_kv(o, kv, KMB_MAX_BACKEND_OPTS + 1);
	r = kmb_backend_opts_parse(set, kv, *st, err, errlen);
	if (r) {
		free(*st);
		*st = NULL;
	}
	return r;
}

/* Where workload @i's option state lies in kmb_options.wstate: after the earlier ones', each
 * on a 16-byte boundary.  The end of the last one for @i == kmb_nr_workloads. */
static size_t wstate_offset(size_t i)
{
	size_t off = 0;

	for (size_t k = 0; k < i; k++)
		if (wl_set(k))
			off += (wl_set(k)->size + 15) & ~(size_t)15;
	return off;
}

const void *kmb_options_workload_state(const struct kmb_options *o,
				       const struct kmb_workload *w)
{
	for (size_t i = 0; i < kmb_nr_workloads; i++)
		if (kmb_workloads[i] == w)
			return w->opts ? o->wstate + wstate_offset(i) : NULL;
	return NULL;
}

/* Where @v's option is declared: its set's place in @k, then its own in the set. */
static size_t opt_rank(const struct kmb_backend_optval *v, const struct okind *k)
{
	for (size_t s = 0; s < k->nsets; s++)
		if (v->opt >= k->sets[s]->opt && v->opt < k->sets[s]->opt + k->sets[s]->nopt)
			return s * 1024 + (size_t)(v->opt - k->sets[s]->opt);
	return SIZE_MAX;
}

/*
 * Once every option is applied, for each kind: a key nobody declares is refused, naming the
 * keys of the chosen backends (workloads); the options are put in the order their owners
 * declare them, for the saved options and the results; each set of options is parsed whole,
 * for what no option can check alone (a workload's, into its state in wstate).  A key only
 * backends (workloads) not chosen declare is kept: it is theirs, unused by this run.
 */
static int check_opts(struct kmb_options *o, bool workload, char *err, size_t errlen)
{
	struct okind k = okind(o, workload);
	const char *kv[KMB_MAX_BACKEND_OPTS + 1];
	char valid[512];

	for (size_t i = 0; i < *k.n; i++) {
		if (k.v[i].opt)
			continue;
		chosen_keys(o, &k, valid, sizeof(valid));
		return ERR("unknown %s option '%.*s'; valid for the chosen %ss: %s", k.noun,
			   (int)k.v[i].keylen, k.v[i].text + 2, k.noun, valid);
	}
	for (size_t i = 1; i < *k.n; i++) {	/* insertion sort: a few options */
		struct kmb_backend_optval v = k.v[i];
		size_t j = i;

		for (; j > 0 && opt_rank(&k.v[j - 1], &k) > opt_rank(&v, &k); j--)
			k.v[j] = k.v[j - 1];
		k.v[j] = v;
	}
	if (!workload) {
		for (size_t i = 0; i < k.nsets; i++) {
			void *st;
			int r = kmb_options_backend_state(o, k.sets[i], &st, err, errlen);

			if (r)
				return r;
			free(st);
		}
		return 0;
	}
	if (wstate_offset(kmb_nr_workloads) > sizeof(o->wstate))
		return ERR("workload options: their states take %zu bytes, more than "
			   "KMB_WL_STATE_BYTES (%zu)", wstate_offset(kmb_nr_workloads),
			   sizeof(o->wstate));
	kv_of(o->wopts, o->nwopts, kv, KMB_MAX_BACKEND_OPTS + 1);
	for (size_t i = 0; i < kmb_nr_workloads; i++) {
		int r = wl_set(i) ? kmb_backend_opts_parse(wl_set(i), kv,
							   o->wstate + wstate_offset(i), err,
							   errlen)
				  : 0;

		if (r)
			return r;
	}
	return 0;
}

/* The per-CPU mode the <layer>-cpu-rseq backends force, and a backend option may ask for. */
#define RSEQ_MODE "cpu-rseq"

size_t kmb_options_rseq_asked(const struct kmb_options *o, const char **what, size_t max)
{
	size_t n = 0, sl = strlen("-" RSEQ_MODE);

	for (size_t i = 0; i < o->nbopts && n < max; i++) {
		const char *value = o->bopts[i].text + 2 + o->bopts[i].keylen + 1;

		if (strcmp(value, RSEQ_MODE) == 0)
			what[n++] = o->bopts[i].text;
	}
	for (size_t i = 0; i < o->nbackends && n < max; i++) {
		const char *name = o->backends[i]->name;
		size_t nl = strlen(name);

		if (nl > sl && strcmp(name + nl - sl, "-" RSEQ_MODE) == 0)
			what[n++] = name;
	}
	return n;
}

/* The help lines of the backend options: each set, the backends that take it, its options. */
void kmb_options_backend_help(FILE *f)
{
	const struct kmb_backend_optset *sets[KMB_MAX_LIST];
	size_t nsets = kmb_backend_optsets(sets, KMB_MAX_LIST);

	for (size_t i = 0; i < nsets; i++) {
		fprintf(f, "  %s, taken by", sets[i]->name);
		for (size_t b = 0, n = 0; b < kmb_nr_backends; b++)
			if (kmb_backends[b]->opts == sets[i])
				fprintf(f, "%s %s", n++ ? "," : "", kmb_backends[b]->name);
		fputs(":\n", f);
		for (size_t k = 0; k < sets[i]->nopt; k++) {
			const struct kmb_backend_opt *opt = &sets[i]->opt[k];
			char lhs[48];

			snprintf(lhs, sizeof(lhs), "%s=%s", opt->key, opt->metavar);
			fprintf(f, "    %-24s %s\n", lhs, opt->help);
		}
	}
}

/* The help lines of the workload options: each workload that takes some, its options. */
void kmb_options_workload_help(FILE *f)
{
	for (size_t i = 0; i < kmb_nr_workloads; i++) {
		const struct kmb_backend_optset *set = wl_set(i);

		if (!set)
			continue;
		fprintf(f, "  %s:\n", kmb_workloads[i]->name);
		for (size_t k = 0; k < set->nopt; k++) {
			char lhs[48];

			snprintf(lhs, sizeof(lhs), "%s=%s", set->opt[k].key, set->opt[k].metavar);
			fprintf(f, "    %-24s %s\n", lhs, set->opt[k].help);
		}
	}
}

static int parse_preset(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char valid[256] = "";

	for (size_t i = 0; i < kmb_nr_presets; i++) {
		if (strcmp(kmb_presets[i].name, arg) == 0) {
			snprintf(o->preset, sizeof(o->preset), "%s", arg);
			return 0;
		}
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s",
			 i ? ", " : "", kmb_presets[i].name);
	}
	return ERR("--preset: unknown preset '%s'; valid presets: %s", arg, valid);
}

static int parse_out(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= sizeof(o->out) - 64)
		return ERR("--out: '%s' is not a usable directory name", arg);
	snprintf(o->out, sizeof(o->out), "%s", arg);
	return 0;
}

static int parse_resume(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	int r = parse_out(o, arg, err, errlen);

	o->resume = true;
	return r;
}

static int parse_quiet(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->quiet = true;
	return 0;
}

static int parse_verbose(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->verbose = true;
	return 0;
}

static int parse_dry_run(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->dry_run = true;
	return 0;
}

static int parse_no_profile(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->no_profile = true;
	return 0;
}

static int parse_no_interleave(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->no_interleave = true;
	return 0;
}

static int parse_seed(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	long v;

	if (parse_long(arg, 0, UINT32_MAX, &v))
		return ERR("--seed: '%s' is not a seed; give a whole number 0 to %lu", arg,
			   (unsigned long)UINT32_MAX);
	o->seed = (uint32_t)v;
	o->has_seed = true;
	return 0;
}

static int parse_run_id(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	for (const char *c = arg; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
			return ERR("--run-id: '%s' has a character other than letters, digits, '-', "
				   "'_' and '.'", arg);
	if (!*arg || strlen(arg) >= sizeof(o->run_id))
		return ERR("--run-id: give 1 to %zu characters", sizeof(o->run_id) - 1);
	snprintf(o->run_id, sizeof(o->run_id), "%s", arg);
	return 0;
}

/*
 * --shard I/N: run shard I of N of the matrix's cells (plan.h kmb_plan_shard: a split even by
 * estimated cost, the same on every host given the same options).  A shard count above
 * KMB_MAX_SHARDS is a typo, not a cluster.
 */
static int parse_shard(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	const char *slash = strchr(arg, '/');
	char i[32];
	long a, n;

	if (!slash || (size_t)(slash - arg) >= sizeof(i))
		return ERR("--shard: '%s' is not I/N; give I/N with 1 <= I <= N <= %d, e.g. 1/4",
			   arg, KMB_MAX_SHARDS);
	snprintf(i, sizeof(i), "%.*s", (int)(slash - arg), arg);
	if (parse_long(i, LONG_MIN, LONG_MAX, &a) || parse_long(slash + 1, LONG_MIN, LONG_MAX, &n))
		return ERR("--shard: '%s' is not I/N with whole numbers; give I/N with "
			   "1 <= I <= N <= %d, e.g. 1/4", arg, KMB_MAX_SHARDS);
	if (n < 1 || n > KMB_MAX_SHARDS || a < 1 || a > n)
		return ERR("--shard: '%s' is out of range; give I/N with 1 <= I <= N <= %d, e.g. 1/4",
			   arg, KMB_MAX_SHARDS);
	o->shard_index = (int)a;
	o->shard_count = (int)n;
	return 0;
}

static const struct opt_def opts[] = {
	{ "preset", "NAME", "start from a preset: quick (default), full, smoke, pages, fragment, "
	  "slab, slab-scale, ctor, mix, percpu, falseshare, server, mempool, vmalloc, numa",
	  parse_preset },
	{ "backends", "LIST", "backends, comma-separated, or 'all'", parse_backends },
	{ "workloads", "LIST", "workloads, comma-separated, or 'all'", parse_workloads },
	{ "threads", "SPEC", "thread counts: 1,2,4 | 1-8 | max | pow2", parse_threads },
	{ "sizes", "LIST", "object sizes in bytes: 16,64,4K,1M", parse_sizes },
	{ "batch", "LIST", "objects live per thread before they are freed (churn), one family "
	  "each: 1 is the hot pair", parse_batch },
	{ "pin", "POLICY", "thread pinning: compact (default: consecutive PUs, a core's SMT "
	  "siblings first), scatter (round robin over packages, then cores), spread (round robin "
	  "over the nodes with CPUs), node:N (node N's CPUs only), none; all but compact take one "
	  "PU on every core before any SMT sibling", parse_pin },
	{ "numa-policy", "POLICY", "node policy of every allocation: local, node:N, remote, "
	  "preferred:N, bind:LIST, interleave[:LIST] (default: none, each allocator's own)",
	  parse_numa_policy },
	{ "min-time", "SECONDS", "minimum time of each run", parse_min_time },
	{ "repetitions", "N", "repetitions of each run", parse_repetitions },
	{ "backend-opt", "KEY=VALUE", "a backend option, as -O KEY=VALUE or --KEY VALUE; "
	  "repeatable (below, and `kmbench list`)", parse_backend_opt },
	{ "workload-opt", "KEY=VALUE", "a workload option, as -W KEY=VALUE or --KEY VALUE; "
	  "repeatable (below, and `kmbench list`)", parse_workload_opt },
	{ "out", "DIR", "run directory (default results/runs/<run-id>)", parse_out },
	{ "resume", "DIR", "complete an interrupted run in DIR with its saved options", parse_resume },
	{ "run-id", "ID", "identifier of the run (default <time>-<host>-<pid>)", parse_run_id },
	{ "shard", "I/N", "run only shard I of N of the matrix's cells, split evenly by estimated "
	  "time, the same split on every host; join the shards with `kmbench merge`", parse_shard },
	{ "quiet", NULL, "no progress: only the run's first and last lines", parse_quiet },
	{ "verbose", NULL, "Google Benchmark's console tables as well as the progress", parse_verbose },
	{ "no-profile", NULL, "no profile pass: no latency percentiles, peak RSS or memory "
	  "timeline in the rows (they cost about 1/8 of --min-time a cell)", parse_no_profile },
	{ "seed", "N", "seed of the random order of the repetitions (default: drawn, and "
	  "recorded in the results as context.interleave_seed)", parse_seed },
	{ "no-interleave", NULL, "each cell's repetitions one after another, cells in family "
	  "order, instead of every repetition of the backend in a seeded random order",
	  parse_no_interleave },
	{ "dry-run", NULL, "print the plan (cells, pinning, estimated time) and run nothing: "
	  "the same as `kmbench plan`", parse_dry_run },
};
#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

/*
 * A backend or workload option whose key is the name of a run option, an alias, or an option
 * of the other kind could not be given as --KEY: the run option (or the other) would take it.
 * Refused on every parse, so no such key ships.
 */
static int check_shadowed(struct kmb_options *o, char *err, size_t errlen)
{
	struct okind kinds[2] = { okind(o, false), okind(o, true) };

	for (size_t w = 0; w < 2; w++) {
		for (size_t k = 0; k < kinds[w].nsets; k++) {
			const struct kmb_backend_optset *set = kinds[w].sets[k], *other;

			for (size_t j = 0; j < set->nopt; j++) {
				const char *key = set->opt[j].key;
				bool taken = okind_find(&kinds[!w], key, strlen(key), &other);

				for (size_t i = 0; i < NR_OPTS; i++)
					taken |= !strcmp(opts[i].name, key);
				for (size_t i = 0; i < NR_ALIASES; i++)
					taken |= !strcmp(bopt_aliases[i].flag, key);
				if (taken)
					return ERR("%s option '%s' (%s) has the name of a run option "
						   "or of a %s option; rename it", kinds[w].noun,
						   key, set->name, kinds[!w].noun);
			}
		}
	}
	return 0;
}

void kmb_options_help(FILE *f)
{
	char lhs[48];

	for (size_t i = 0; i < NR_OPTS; i++) {
		snprintf(lhs, sizeof(lhs), "--%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
			 opts[i].metavar ? opts[i].metavar : "");
		fprintf(f, "  %-24s %s\n", lhs, opts[i].help);
	}
	for (size_t i = 0; i < NR_ALIASES; i++) {
		snprintf(lhs, sizeof(lhs), "--%s %s", bopt_aliases[i].flag, bopt_aliases[i].metavar);
		fprintf(f, "  %-24s %s\n", lhs, bopt_aliases[i].help);
	}
	fprintf(f, "\nbackend options (-O KEY=VALUE, --backend-opt KEY=VALUE or --KEY VALUE), each "
		"parsed by the backends that take it:\n");
	kmb_options_backend_help(f);
	fprintf(f, "\nworkload options (-W KEY=VALUE, --workload-opt KEY=VALUE or --KEY VALUE), "
		"each parsed by its workload:\n");
	kmb_options_workload_help(f);
}

/*
 * One option: "--name=value", "--name value", "-O KEY=VALUE" or "-W KEY=VALUE"; *used is how
 * many argv entries it took.  The name is a run option of the table, an alias (bopt_aliases),
 * or a backend or workload option's key.  The preset pass applies --preset only; the second
 * pass everything else.
 */
static int apply_one(struct kmb_options *o, int argc, char **argv, int *used, bool preset_pass,
		     char *err, size_t errlen)
{
	const char *a = argv[0], *eq, *val = NULL, *metavar = NULL;
	const struct kmb_backend_optset *set;
	const struct kmb_backend_opt *key = NULL;
	const struct opt_def *def = NULL;
	struct okind kinds[2] = { okind(o, false), okind(o, true) }, *kind = NULL;
	size_t n, alias = NR_ALIASES;
	char name[64], valid[1024] = "";

	*used = 1;
	if (strncmp(a, "-O", 2) == 0 || strncmp(a, "-W", 2) == 0) {	/* -O KEY=VALUE, -OKEY=VALUE */
		if (!a[2] && argc < 2)
			return ERR("%.2s needs a value (KEY=VALUE)", a);
		*used = a[2] ? 1 : 2;
		return preset_pass ? 0 : parse_kv_opt(o, a[1] == 'W', a[2] ? a + 2 : argv[1], err,
						      errlen);
	}
	if (strncmp(a, "--", 2) != 0)
		return ERR("unexpected argument '%s'; options start with --", a);
	a += 2;
	eq = strchr(a, '=');
	n = eq ? (size_t)(eq - a) : strlen(a);
	snprintf(name, sizeof(name), "%.*s", (int)n, a);
	for (size_t i = 0; i < NR_OPTS && !def; i++)
		if (strcmp(opts[i].name, name) == 0)
			def = &opts[i];
	for (size_t i = 0; i < NR_ALIASES && !def && alias == NR_ALIASES; i++)
		if (strcmp(bopt_aliases[i].flag, name) == 0)
			alias = i;
	if (def)
		metavar = def->metavar;
	else if (alias < NR_ALIASES)
		metavar = bopt_aliases[alias].metavar;
	for (size_t k = 0; k < 2 && !def && alias == NR_ALIASES && !key && n; k++)
		if ((key = okind_find(&kinds[k], name, n, &set)))
			kind = &kinds[k];
	if (key)
		metavar = key->metavar;
	if (!def && alias == NR_ALIASES && !key) {
		size_t len = 0;

		for (size_t i = 0; i < NR_OPTS && len < sizeof(valid); i++)
			len += (size_t)snprintf(valid + len, sizeof(valid) - len, "%s--%s",
						i ? ", " : "", opts[i].name);
		for (size_t i = 0; i < NR_ALIASES && len < sizeof(valid); i++)
			len += (size_t)snprintf(valid + len, sizeof(valid) - len, ", --%s",
						bopt_aliases[i].flag);
		return ERR("unknown option '--%s'; valid options: %s, and the backend and workload "
			   "options (--KEY VALUE; `kmbench help` lists them)", name, valid);
	}
	if (metavar) {
		if (eq) {
			val = eq + 1;
		} else if (argc > 1) {
			val = argv[1];
			*used = 2;
		} else {
			return ERR("--%s needs a value (%s)", name, metavar);
		}
	} else if (eq) {
		return ERR("--%s takes no value", name);
	}
	if (preset_pass != (def && def->parse == parse_preset))
		return 0;
	if (def)
		return def->parse(o, val, err, errlen);
	snprintf(valid, sizeof(valid), "--%s", name);	/* the name as given, for messages */
	if (kind)
		return set_opt(kind, valid, name, n, val, err, errlen);
	for (size_t i = 0; bopt_aliases[alias].keys[i]; i++) {
		const char *k = bopt_aliases[alias].keys[i];
		int r = set_opt(&kinds[0], valid, k, strlen(k), val, err, errlen);

		if (r)
			return r;
	}
	return 0;
}

static int apply_all(struct kmb_options *o, int argc, char **argv, bool preset_pass, char *err,
		     size_t errlen)
{
	for (int i = 0; i < argc;) {
		int used, r = apply_one(o, argc - i, argv + i, &used, preset_pass, err, errlen);

		if (r)
			return r;
		i += used;
	}
	return 0;
}

int kmb_options_parse(struct kmb_options *o, int argc, char **argv, char *err, size_t errlen)
{
	const struct kmb_preset *p = NULL;
	int r, n = 0;

	memset(o, 0, sizeof(*o));
	o->pin = (struct kmb_pin){ KMB_PIN_COMPACT, -1 };
	snprintf(o->preset, sizeof(o->preset), "quick");
	r = apply_all(o, argc, argv, true, err, errlen);
	if (r)
		return r;
	for (size_t i = 0; i < kmb_nr_presets; i++)
		if (strcmp(kmb_presets[i].name, o->preset) == 0)
			p = &kmb_presets[i];
	while (base_args[n])
		n++;
	r = apply_all(o, n, (char **)base_args, false, err, errlen);
	if (r)
		return r;
	for (n = 0; p->args[n];)
		n++;
	r = apply_all(o, n, (char **)p->args, false, err, errlen);
	if (r)
		return r;
	r = apply_all(o, argc, argv, false, err, errlen);
	if (r)
		return r;
	r = check_shadowed(o, err, errlen);
	if (!r)
		r = check_opts(o, false, err, errlen);
	return r ? r : check_opts(o, true, err, errlen);
}

/* The OS numbers of the nodes with CPUs, ascending, into @out; how many. */
static int cpu_nodes(const struct kmb_topo *t, int *out)
{
	int n = 0;

	for (int i = 0; i < kmb_topo_num_nodes(t); i++) {
		int os = kmb_topo_node_os_index(t, i), j;

		if (!kmb_topo_node_num_cpus(t, i) || os < 0 || os >= KMB_MPOL_MAX_NODES)
			continue;
		for (j = n++; j > 0 && out[j - 1] > os; j--)
			out[j] = out[j - 1];
		out[j] = os;
	}
	return n;
}

/*
 * Each selected workload's options against the machine (kmb_workload.resolve): the nodes with
 * CPUs, the node of every CPU, and the run's plan at its largest thread count (@plan, @nplan).
 */
static int resolve_workloads(struct kmb_options *o, const struct kmb_topo *t, const int *plan,
			     int nplan, char *err, size_t errlen)
{
	int ys[KMB_MPOL_MAX_NODES], ny = cpu_nodes(t, ys), ncpu = 0, *node;
	int r = 0;

	for (int c = 0, seen = 0; seen < kmb_topo_num_pus(t) && c < KMB_MAX_CPU_IDS; c++)
		if (kmb_topo_cpu_to_node(t, c) >= 0)
			seen++, ncpu = c + 1;
	node = calloc((size_t)ncpu + 1, sizeof(int));
	if (!node)
		return ERR("out of memory");
	for (int c = 0; c < ncpu; c++)
		node[c] = kmb_topo_cpu_to_node(t, c);
	struct kmb_wl_machine m = { ys, ny, node, ncpu, plan, nplan };

	for (size_t i = 0; i < o->nworkloads && !r; i++) {
		const struct kmb_workload *w = o->workloads[i];

		if (w->resolve)
			r = w->resolve((void *)kmb_options_workload_state(o, w), &m, err, errlen);
	}
	free(node);
	return r;
}

static int add_thread(struct kmb_options *o, long v)
{
	for (size_t i = 0; i < o->nthreads; i++)
		if (o->threads[i] == v)
			return 0;
	if (o->nthreads == KMB_MAX_LIST)
		return -E2BIG;
	o->threads[o->nthreads++] = (int)v;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int kmb_options_resolve(struct kmb_options *o, const struct kmb_topo *t, char *err, size_t errlen)
{
	int max = kmb_topo_num_pus(t), plan[KMB_MAX_THREADS];
	const char *p = o->threads_spec;
	char item[64];

	o->nthreads = 0;
	while (next_item(&p, item, sizeof(item))) {
		char *dash = strchr(item, '-');
		long a = 0, b = 0;
		int r = 0;

		if (strcmp(item, "max") == 0) {
			r = add_thread(o, max);
		} else if (strcmp(item, "pow2") == 0) {
			for (long v = 1; v < max && !r; v *= 2)
				r = add_thread(o, v);
			if (!r)
				r = add_thread(o, max);
		} else if (dash) {
			*dash = '\0';
			parse_long(item, 1, KMB_MAX_THREADS, &a);
			b = strcmp(dash + 1, "max") ? strtol(dash + 1, NULL, 10) : max;
			for (long v = a; v <= b && !r; v++)
				r = add_thread(o, v);
		} else {
			parse_long(item, 1, KMB_MAX_THREADS, &a);
			r = add_thread(o, a);
		}
		if (r)
			return ERR("--threads: '%s' gives more than %d thread counts",
				   o->threads_spec, KMB_MAX_LIST);
	}
	qsort(o->threads, o->nthreads, sizeof(int), cmp_int);
	for (size_t i = 0; i < o->nthreads; i++) {
		if (o->threads[i] > KMB_MAX_THREADS)
			return ERR("--threads: %d threads is out of range; give " THREADS_HELP,
				   o->threads[i], KMB_MAX_THREADS);
		int r = kmb_topo_pin_plan(t, &o->pin, o->threads[i], plan, err, errlen);

		if (r)
			return r;
	}
	if (o->mpol.mode != KMB_MPOL_DEFAULT) {
		char why[400];
		int r = kmb_mpol_check(&o->mpol, why, sizeof(why));

		if (r) {
			snprintf(err, errlen, "--numa-policy %s", why);
			return r;
		}
	}
	return resolve_workloads(o, t, plan, o->threads[o->nthreads - 1], err, errlen);
}

int kmb_options_save(const struct kmb_options *o, const char *path)
{
	struct kmb_atomic_file af;
	char pin[32];
	int r = kmb_atomic_open(&af, path);

	if (r)
		return r;
	fprintf(af.f, "--preset=%s\n--backends=", o->preset);
	for (size_t i = 0; i < o->nbackends; i++)
		fprintf(af.f, "%s%s", i ? "," : "", o->backends[i]->name);
	fprintf(af.f, "\n--workloads=");
	for (size_t i = 0; i < o->nworkloads; i++)
		fprintf(af.f, "%s%s", i ? "," : "", o->workloads[i]->name);
	fprintf(af.f, "\n--threads=%s\n--sizes=", o->threads_spec);
	for (size_t i = 0; i < o->nsizes; i++)
		fprintf(af.f, "%s%zu", i ? "," : "", o->sizes[i]);
	fprintf(af.f, "\n--batch=");
	for (size_t i = 0; i < o->nbatches; i++)
		fprintf(af.f, "%s%zu", i ? "," : "", o->batches[i]);
	fprintf(af.f, "\n--pin=%s\n--min-time=%.17g\n--repetitions=%d\n--out=%s\n",
		kmb_pin_format(&o->pin, pin, sizeof(pin)), o->min_time, o->repetitions, o->out);
	fprintf(af.f, "--run-id=%s\n", o->run_id);
	if (o->no_profile)
		fprintf(af.f, "--no-profile\n");
	if (o->has_seed)
		fprintf(af.f, "--seed=%lu\n", (unsigned long)o->seed);
	if (o->no_interleave)
		fprintf(af.f, "--no-interleave\n");
	if (o->shard_count)	/* a --resume of a shard keeps its shard */
		fprintf(af.f, "--shard=%d/%d\n", o->shard_index, o->shard_count);
	/* The backend and workload options given, as --KEY=VALUE (an absent one is its default),
	 * in the order their owners declare them (check_opts): the same options give the same
	 * file. */
	for (size_t i = 0; i < o->nbopts; i++)
		fprintf(af.f, "%s\n", o->bopts[i].text);
	for (size_t i = 0; i < o->nwopts; i++)
		fprintf(af.f, "%s\n", o->wopts[i].text);
	if (o->mpol.mode != KMB_MPOL_DEFAULT) {
		char pol[256];

		fprintf(af.f, "--numa-policy=%s\n", kmb_mpol_format(&o->mpol, pol, sizeof(pol)));
	}
	return kmb_atomic_commit(&af);
}

int kmb_options_load(struct kmb_options *o, const char *path, char *err, size_t errlen)
{
	char *text, *save, *line, *args[64];
	int n = 0, r = kmb_read_file(path, &text, NULL);

	if (r)
		return ERR("cannot read saved options %s: %s", path, strerror(-r));
	for (line = strtok_r(text, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save))
		args[n++] = line;
	r = kmb_options_parse(o, n, args, err, errlen);
	free(text);
	return r;
}
