/*
 * mix.c - memory efficiency under a kernel-like size mix.
 *
 * Each thread builds a live set of @batch objects whose sizes are drawn from a real kernel's
 * live slab objects (below: a /proc/slabinfo snapshot, or -W mix-slabinfo=FILE), writing every
 * byte of each (memset), then replaces random objects: one iteration frees one live object and
 * allocates one of a new random size in its place (also written whole).  The sizes come from a
 * per-thread xorshift generator seeded by the thread index, so a run is reproducible for a
 * given thread count and distribution.  --sizes does not apply (names carry only the batch).
 *
 * Memory efficiency: around building the live sets (untimed, before the first iteration), thread
 * 0 reads the process's resident memory (/proc/self/statm: resident pages x page size), with
 * every thread's setup done before the first reading and every live set built before the
 * second.  Counters, set by thread 0 only, so with Google Benchmark's default flag (a sum over
 * threads, where the other threads add nothing) they are the process's figures; the averaging
 * flag would divide them by the thread count:
 *   requested_bytes           bytes the live sets asked for, all threads together;
 *   rss_delta_bytes           growth of the resident memory while they were built;
 *   bytes_per_requested_byte  rss_delta_bytes / requested_bytes: 1 is perfect, above 1 is the
 *                             allocator's rounding, headers, partly used slabs or pages, and
 *                             metadata (Bonwick reports 11-14% fragmentation for the slab
 *                             allocator under a real kernel's load: 1.11-1.14).
 *
 * Reading the figures honestly:
 *   - Resident memory counts every page the process touched, whoever touched it.  The
 *     kernel-style backends' memory is a memfd (shmem) mapped into the process: its pages
 *     count as resident once touched, exactly like malloc's heap, and so do their struct page
 *     array and cache descriptors when first written; glibc's and jemalloc's metadata counts
 *     the same way.
 *   - Only pages touched for the first time make it grow.  Memory a backend kept from earlier
 *     work in the same process (a previous family, an earlier workload: each backend's child
 *     runs the workloads in the order given) is reused without growth, so the figure is only
 *     clean for the first mix family of a process: run mix alone, first, with one thread count
 *     for the cleanest reading.  Within a family, the measurement is taken once, on its first
 *     run (Google Benchmark's first calibration run), and later runs (more calibration, the
 *     repetitions) report that figure: they would rebuild into the memory the first one freed.
 *   - Page granularity: @batch should make the live set many pages (the default mix averages
 *     285 bytes an object; --batch=1000 is about 70 pages a thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rss.h"
#include "wl_sync.h"
#include "workload.h"

#define STEPS_PER_BATCH	256	/* replacements per keep-running call */

/*
 * The size mix: the live slab objects of a Linux kernel, by object size, weighted by object
 * count (/proc/slabinfo's active_objs per cache, at its objsize).  Steady-state replacement (a
 * random live object freed, a new size drawn) keeps the live set's distribution the drawn one,
 * so the live set looks like that kernel's slab.
 *
 * The default is workloads/mix-slabinfo.txt, built into the binary (mix_slabinfo.h, generated
 * by workloads/CMakeLists.txt): /proc/slabinfo of the Debian 12 dev VM (kernel 6.18, x86-64,
 * 2 vCPUs, 24 GiB), 5.5 hours after boot, taken on 2026-12-06 after a day of builds and test
 * runs of this project: 1.12 million live objects in 126 caches, 58 sizes, mean 285 bytes.
 * The file-system caches dominate it, as they dominate a kernel's slab on any machine that
 * reads files (dentry 192 bytes 30%, extent_status 40 bytes 24%, ext4_inode_cache 1128 bytes
 * 14%, lsm_inode_cache 32 bytes 14%, radix_tree_node 584 bytes 7%).  `-W mix-slabinfo=FILE`
 * draws from another kernel's slabinfo instead (a saved copy, or /proc/slabinfo itself: root
 * only), parsed by the same code.
 *
 * The format is slabinfo version 2.1 (mm/slab_common.c, print_slabinfo_header() and
 * cache_show()): a version line, a "# name ..." line, then per cache its name, active_objs,
 * num_objs, objsize, objperslab, pagesperslab and the tunables and slabdata columns, which this
 * reads past.  Caches with no active object are left out.
 *
 * Drawing: Walker's alias method (Vose's construction), exact to 2^-32 per size and O(1) per
 * draw: one 64-bit random number picks a column (high half) and a threshold test (low half).
 */
#define MIX_MAX_SIZES 1024
#define MIX_MAX_OBJSIZE (4u << 20)	/* KMALLOC_MAX_SIZE of the library: order 10 of 4K */
#define MIX_BUILTIN "builtin (workloads/mix-slabinfo.txt)"

static const char builtin_slabinfo[] =
#include "mix_slabinfo.h"
	;

struct mix_opts {
	char path[256];			/* -W mix-slabinfo=FILE; "" the built-in */
};

/* The distribution, by mix_resolve, once per process (the option state is kept small:
 * harness/options.h KMB_WL_STATE_BYTES holds every workload's). */
static struct mix_dist {
	bool resolved;
	uint32_t nsizes, caches;
	uint64_t objects, bytes;
	uint32_t size[MIX_MAX_SIZES];	/* ascending */
	uint64_t weight[MIX_MAX_SIZES];	/* live objects of that size */
	uint32_t thresh[MIX_MAX_SIZES];	/* alias table: keep column i when low32 < thresh[i] */
	uint32_t alias[MIX_MAX_SIZES];	/* ... else take alias[i] */
} dist;

static int parse_slabinfo_path(void *st, const char *value, char *err, size_t errlen)
{
	struct mix_opts *o = st;

	if (!*value || strlen(value) >= sizeof(o->path)) {
		snprintf(err, errlen, "give the path of a slabinfo 2.1 file (a copy of "
			 "/proc/slabinfo), 1 to %zu characters", sizeof(o->path) - 1);
		return -EINVAL;
	}
	snprintf(o->path, sizeof(o->path), "%s", value);
	return 0;
}

static const struct kmb_backend_opt mix_opt[] = {
	{ "mix-slabinfo", "FILE", "mix: draw sizes from this slabinfo 2.1 file's live objects "
	  "(default: the built-in snapshot, workloads/mix-slabinfo.txt)", parse_slabinfo_path,
	  NULL },
};

/* Add @n objects of @size to @o's table (kept ascending by size). */
static int add_objects(struct mix_dist *o, uint32_t size, uint64_t n)
{
	uint32_t i = 0;

	while (i < o->nsizes && o->size[i] < size)
		i++;
	if (i == o->nsizes || o->size[i] != size) {
		if (o->nsizes == MIX_MAX_SIZES)
			return -E2BIG;
		memmove(&o->size[i + 1], &o->size[i], (o->nsizes - i) * sizeof(o->size[0]));
		memmove(&o->weight[i + 1], &o->weight[i], (o->nsizes - i) * sizeof(o->weight[0]));
		o->size[i] = size;
		o->weight[i] = 0;
		o->nsizes++;
	}
	o->weight[i] += n;
	o->objects += n;
	o->bytes += n * size;
	return 0;
}

/*
 * Parse slabinfo text @text (@name for messages) into @o's table.  0, or -EINVAL with one line
 * naming the file and line: not version 2.1, a line without name, active_objs, num_objs and
 * objsize, active above num, an objsize of 0 or above MIX_MAX_OBJSIZE, no live object at all.
 */
static int parse_slabinfo(struct mix_dist *o, const char *name, const char *text, char *err,
			  size_t errlen)
{
	unsigned int line = 0;

	o->nsizes = o->caches = 0;
	o->objects = o->bytes = 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		char buf[512], cache[128];
		unsigned long long active, num;
		unsigned int objsize;
		int used = 0;

		line++;
		if (len >= sizeof(buf)) {
			snprintf(err, errlen, "mix-slabinfo: %s:%u: line longer than %zu bytes", name,
				 line, sizeof(buf) - 1);
			return -EINVAL;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (p[len] == '\n');
		if (line == 1) {
			if (strcmp(buf, "slabinfo - version: 2.1") != 0) {
				snprintf(err, errlen, "mix-slabinfo: %s:1: not slabinfo version 2.1 "
					 "(the first line of /proc/slabinfo reads \"slabinfo - "
					 "version: 2.1\")", name);
				return -EINVAL;
			}
			continue;
		}
		if (buf[0] == '#' || buf[strspn(buf, " \t")] == '\0')
			continue;
		if (sscanf(buf, "%127s %llu %llu %u %n", cache, &active, &num, &objsize,
			   &used) != 4 || !used) {
			snprintf(err, errlen, "mix-slabinfo: %s:%u: expected \"name active_objs "
				 "num_objs objsize ...\", got \"%.60s\"", name, line, buf);
			return -EINVAL;
		}
		if (active > num || !objsize || objsize > MIX_MAX_OBJSIZE) {
			snprintf(err, errlen, "mix-slabinfo: %s:%u: cache %s: %s", name, line, cache,
				 active > num ? "active_objs above num_objs" :
				 "objsize not in 1..4194304");
			return -EINVAL;
		}
		if (!active)
			continue;
		o->caches++;
		if (add_objects(o, objsize, active)) {
			snprintf(err, errlen, "mix-slabinfo: %s:%u: more than %d object sizes", name,
				 line, MIX_MAX_SIZES);
			return -EINVAL;
		}
	}
	if (!o->objects) {
		snprintf(err, errlen, "mix-slabinfo: %s: %s", name, line ? "no cache with a live "
			 "object (every active_objs is 0)" : "empty file");
		return -EINVAL;
	}
	return 0;
}

/* Vose's construction of the alias table from o->weight, in 32-bit fixed point. */
static void build_alias(struct mix_dist *o)
{
	static uint32_t small[MIX_MAX_SIZES], large[MIX_MAX_SIZES];
	static double q[MIX_MAX_SIZES];
	uint32_t ns = 0, nl = 0, n = o->nsizes;

	for (uint32_t i = 0; i < n; i++) {
		q[i] = (double)o->weight[i] * n / (double)o->objects;	/* mean 1 */
		if (q[i] < 1)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];

		o->thresh[s] = (uint32_t)(q[s] * 4294967296.0);
		o->alias[s] = l;
		q[l] -= 1 - q[s];
		if (q[l] < 1) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl) {		/* exactly 1, up to rounding: always kept */
		o->thresh[large[--nl]] = UINT32_MAX;
		o->alias[large[nl]] = large[nl];
	}
	while (ns) {		/* rounding left a column just below 1 */
		o->thresh[small[--ns]] = UINT32_MAX;
		o->alias[small[ns]] = small[ns];
	}
}

/* The distribution, once per process: the built-in snapshot or the file given. */
static int mix_resolve(void *st, const struct kmb_wl_machine *m, char *err, size_t errlen)
{
	const struct mix_opts *opt = st;
	struct mix_dist *o = &dist;
	char *text = NULL;
	int r;

	(void)m;
	if (o->resolved)
		return 0;
	if (opt->path[0]) {
		FILE *f = fopen(opt->path, "re");
		size_t len = 0, cap = 0, n;

		if (!f) {
			snprintf(err, errlen, "mix-slabinfo: %s: cannot open: %s", opt->path,
				 strerror(errno));
			return -errno;
		}
		do {
			if (len + 4096 + 1 > cap) {
				char *t = realloc(text, cap = 2 * cap + 8192);

				if (!t) {
					free(text);
					fclose(f);
					snprintf(err, errlen, "mix-slabinfo: %s: out of memory",
						 opt->path);
					return -ENOMEM;
				}
				text = t;
			}
			n = fread(text + len, 1, 4096, f);
			len += n;
		} while (n == 4096 && len < (64u << 20));
		fclose(f);
		text[len] = '\0';
		if (strlen(text) != len) {
			free(text);
			snprintf(err, errlen, "mix-slabinfo: %s: a NUL byte: not a text file",
				 opt->path);
			return -EINVAL;
		}
	}
	r = parse_slabinfo(o, opt->path[0] ? opt->path : MIX_BUILTIN,
			   text ? text : builtin_slabinfo, err, errlen);
	free(text);
	if (r)
		return r;
	build_alias(o);
	o->resolved = true;
	return 0;
}

/* context.options.mix: where the sizes come from and what they add up to (results/README.md). */
static void mix_context(const void *st, const char *section, const struct kmb_context_sink *out)
{
	const struct mix_opts *opt = st;
	const struct mix_dist *o = &dist;

	if (section)
		return;
	out->begin(out->ctx, "mix");
	out->text(out->ctx, "slabinfo", opt->path[0] ? opt->path : MIX_BUILTIN);
	if (o->resolved) {
		out->num(out->ctx, "caches", o->caches);
		out->num(out->ctx, "sizes", o->nsizes);
		out->num(out->ctx, "objects", (long long)o->objects);
		out->num(out->ctx, "bytes", (long long)o->bytes);
		out->array(out->ctx, "distribution");	/* [size, live objects] pairs */
		for (uint32_t i = 0; i < o->nsizes; i++) {
			out->array(out->ctx, NULL);
			out->num(out->ctx, NULL, o->size[i]);
			out->num(out->ctx, NULL, (long long)o->weight[i]);
			out->end(out->ctx);
		}
		out->end(out->ctx);
	}
	out->end(out->ctx);
}

static const struct kmb_backend_optset mix_optset = {
	.name = "mix",
	.size = sizeof(struct mix_opts),
	.opt = mix_opt,
	.nopt = sizeof(mix_opt) / sizeof(mix_opt[0]),
	.context = mix_context,
};

struct live {
	void *p;
	size_t size;
};

static inline size_t draw_size(const struct mix_dist *o, uint64_t *rng)
{
	uint64_t r = kmb_xorshift(rng);
	uint32_t i = (uint32_t)((r >> 32) * o->nsizes >> 32);	/* column, uniform */

	return o->size[(uint32_t)r < o->thresh[i] ? i : o->alias[i]];
}

/* Resident bytes of the process (rss.h), without allocating; 0 when unreadable. */
static size_t rss_bytes(void)
{
	long long r = kmb_rss_bytes();

	return r > 0 ? (size_t)r : 0;
}

static struct wl_barrier barrier = WL_BARRIER_INIT;
static atomic_size_t requested_total;	/* bytes the live sets asked for */
static atomic_bool build_failed;

/* Thread 0's measurement, kept for the family's later runs (see the comment at the top). */
static struct {
	const struct kmb_backend_ops *b;
	const struct kmb_workload_params *p;
	int nthreads;
	double requested, delta;
} measured;

static void free_all(const struct kmb_backend_ops *b, struct live *objs, size_t n)
{
	while (n--)
		b->free(objs[n].p, objs[n].size);
}

static int mix_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		   const struct kmb_workload_params *prm)
{
	const size_t n = prm->batch;
	const struct mix_dist *mo = &dist;
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	size_t bytes = n * sizeof(struct live), built = 0, requested = 0, rss0 = 0;
	struct live *objs = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(tid + 1);
	bool measure = false;
	int64_t steps = 0;
	int err = 0;
	char msg[128];

	if (objs != MAP_FAILED)
		memset(objs, 0, bytes);		/* resident before the first reading */
	if (tid == 0) {
		measure = !(measured.b == b && measured.p == prm && measured.nthreads == nthreads);
		atomic_store(&requested_total, 0);
		atomic_store(&build_failed, false);
	}
	wl_barrier_wait(&barrier, nthreads);	/* every thread's setup done */
	if (measure)
		rss0 = rss_bytes();
	wl_barrier_wait(&barrier, nthreads);
	if (objs == MAP_FAILED) {
		snprintf(msg, sizeof(msg), "mix: cannot map the object array");
		objs = NULL;
		err = -ENOMEM;
	}
	for (; !err && built < n; built++) {
		size_t sz = draw_size(mo, &rng);
		void *p = b->alloc(sz, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!p, 0)) {
			snprintf(msg, sizeof(msg), "mix: %s alloc of %zu bytes returned NULL while "
				 "building the live set (%zu objects)", b->name, sz, built);
			err = -ENOMEM;
			break;
		}
		memset(p, (int)(built & 0xff), sz);
		objs[built] = (struct live){ p, sz };
		requested += sz;
	}
	atomic_fetch_add(&requested_total, requested);
	if (err)
		atomic_store(&build_failed, true);
	wl_barrier_wait(&barrier, nthreads);	/* every live set built */
	if (measure && !atomic_load(&build_failed)) {
		size_t rss1 = rss_bytes();

		measured.b = b;
		measured.p = prm;
		measured.nthreads = nthreads;
		measured.requested = (double)atomic_load(&requested_total);
		measured.delta = rss1 > rss0 ? (double)(rss1 - rss0) : 0;
	}
	if (err)
		kmb_gb_skip_with_error(st, msg);

	while (!err && kmb_gb_keep_running_batch(st, STEPS_PER_BATCH)) {
		for (int i = 0; i < STEPS_PER_BATCH; i++) {
			size_t j = (size_t)(kmb_xorshift(&rng) >> 11) % n, sz = draw_size(mo, &rng);
			void *p;

			b->free(objs[j].p, objs[j].size);
			p = b->alloc(sz, GFP_KERNEL, NUMA_NO_NODE);
			if (__builtin_expect(!p, 0)) {
				snprintf(msg, sizeof(msg), "mix: %s alloc of %zu bytes returned "
					 "NULL with %zu objects live", b->name, sz, n - 1);
				objs[j] = objs[--built];
				kmb_gb_skip_with_error(st, msg);
				err = -ENOMEM;
				break;
			}
			memset(p, (int)(j & 0xff), sz);
			objs[j] = (struct live){ p, sz };
		}
		if (!err)
			steps += STEPS_PER_BATCH;
	}
	kmb_gb_set_items_processed(st, steps);
	if (tid == 0 && measured.b == b && measured.p == prm && measured.nthreads == nthreads) {
		kmb_gb_set_counter(st, "requested_bytes", measured.requested, KMB_GB_CTR_DEFAULT);
		kmb_gb_set_counter(st, "rss_delta_bytes", measured.delta, KMB_GB_CTR_DEFAULT);
		kmb_gb_set_counter(st, "bytes_per_requested_byte", measured.requested ?
				   measured.delta / measured.requested : 0, KMB_GB_CTR_DEFAULT);
	}
	if (objs) {
		free_all(b, objs, built);
		munmap(objs, bytes);
	}
	return err;
}

const struct kmb_workload kmb_workload_mix = {
	.name = "mix",
	.description = "memory efficiency: a live set of kernel-like sizes, random replacements; "
		       "RSS growth per requested byte",
	.params = KMB_P_BATCH,
	.run = mix_run,
	.opts = &mix_optset,
	.resolve = mix_resolve,
};
