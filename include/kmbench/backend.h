/*
 * backend.h - the one interface between workloads and allocators.
 *
 * A backend adapts one allocator (a kernel-style layer of allocators/, or a baseline malloc) to
 * a single operations table.  Workloads call nothing else, so every allocator is measured through
 * the same calls.  Backends are listed in allocators/backends/backends.def: adding one is one new
 * file in allocators/backends/ (be_<name>.c) plus one line there.
 *
 * The interface has parts: the core operations every backend has (kmb_backend_ops), and
 * optional sub-tables a backend points to when it has them: object caches (kmb_cache_ops), a
 * reserve with fault injection (kmb_reserve_ops), and the options it takes, KEY=VALUE
 * (kmb_backend_optset).  A new layer's knob is an option declared in its adapter's file.
 *
 * Calling contexts:
 *   init, fini             once per process, from the main thread, before/after any thread runs;
 *   thread_init/_fini      on each benchmark thread, after it is pinned and before/after it
 *                          allocates (optional: NULL when the backend needs none);
 *   alloc, free, *_bulk    from any thread between thread_init and thread_fini; the cache
 *                          part's operations too, with the limits given at its create;
 *   stats, check           from the main thread while no benchmark thread runs;
 *   usage, state           from any thread, while benchmark threads allocate (a snapshot).
 *
 * Error convention (STYLE.md 6): allocation returns NULL; everything else returns 0 or -errno.
 * A backend that cannot run here (library missing, wrong build) fails init with -ENOENT or
 * -ENOTSUP and a one-line reason; the runner records it as skipped with that reason.
 */
#ifndef KMBENCH_BACKEND_H
#define KMBENCH_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "kmbench/gfp.h"
#include "kmbench/mempolicy.h"

/* What a backend offers; the conformance suite and the workloads check these bits. */
enum kmb_backend_caps {
	KMB_CAP_SIZED_FREE = 1u << 0,	/* free() uses the size it is given */
	KMB_CAP_BULK = 1u << 1,		/* alloc_bulk/free_bulk are native, not loops */
	KMB_CAP_NODE = 1u << 2,		/* honours the node argument, and applies the run's
					 * node policy (config.mpol) itself */
	KMB_CAP_GFP = 1u << 3,		/* honours GFP semantics beyond __GFP_ZERO */
	KMB_CAP_PRELOAD = 1u << 4,	/* replaces malloc process-wide: needs its own process,
					 * started with LD_PRELOAD=preload */
	KMB_CAP_STATS = 1u << 5,	/* stats() reports something */
	KMB_CAP_CHECK = 1u << 6,	/* check() validates the allocator's invariants */
	KMB_CAP_SIZE_CACHES = 1u << 7,	/* builds one cache per distinct size asked (slab*): a
					 * workload drawing many distinct large sizes does not
					 * suit it, each size keeping slabs of its own */
};

/* Where stats() writes: numbers, and preformatted text blocks (e.g. a buddyinfo table). */
struct kmb_stats_sink {
	void (*num)(void *ctx, const char *key, double value);
	void (*text)(void *ctx, const char *key, const char *text);
	void *ctx;
};

/*
 * What an allocator holds against what its callers hold, one snapshot (kmb_backend_ops.usage):
 * bytes, or -1 where the backend cannot say (never 0 for "unknown").  The two are read close
 * together but not atomically while other threads allocate, so they may be a few objects apart.
 */
struct kmb_backend_usage {
	long long held;		/* taken from the layer below (the OS, the page allocator) and
				 * not given back: live bytes, their rounding, free lists, caches */
	long long live;		/* allocated to callers and not yet freed */
};

/*
 * The state of a page allocator and a slab layer, one snapshot (kmb_backend_ops.state): what
 * /proc/buddyinfo and /proc/slabinfo show, summarised to a few numbers a timeline can carry.
 * Per buddy zone, the free blocks per order folded into the kernel's two indices for one order,
 * KMB_STATE_ORDER (mm/vmstat.c: unusable_free_index, the share of free memory in blocks too
 * small for it; __fragmentation_index, whether a failure of it would come from fragmentation
 * rather than lack of memory); over every slab cache, slabinfo's active_objs and num_objs
 * (mm/slab_common.c slabinfo_show) summed.
 */
#define KMB_STATE_ZONES	8	/* zones a snapshot describes: the first populated ones */
#define KMB_STATE_ORDER	3	/* the indices' order: PAGE_ALLOC_COSTLY_ORDER, above which
				 * the kernel retries less hard and compacts (mm/page_alloc.c) */

struct kmb_backend_zone_state {
	int node;
	char zone[8];		/* "DMA", "Normal", "HighMem" (/proc/buddyinfo's names) */
	long long free_pages;	/* on the buddy free lists, every order */
	int unusable;		/* unusable_free_index at KMB_STATE_ORDER, thousandths: 0 .. 1000 */
	int extfrag;		/* __fragmentation_index at KMB_STATE_ORDER, thousandths: 0 .. 1000,
				 * or -1000 when a block of that order is free */
};

struct kmb_backend_state {
	int nzones;		/* zones described; 0 without a page allocator */
	int zones_total;	/* populated zones, of which the first nzones are described */
	struct kmb_backend_zone_state zone[KMB_STATE_ZONES];
	int unusable, extfrag;	/* the same two over every populated zone together (their free
				 * lists summed, as the stats' fragmentation_index_order<N>) */
	long long active_objs;	/* slab objects in use, every cache; -1 without a slab layer */
	long long num_objs;	/* slab objects in slabs, every cache (>= active_objs); -1 as well */
};

/*
 * The counters of a reserve in front of an underlying allocator (mempool), since the last
 * kmb_reserve_ops.reset; see kmb_reserve_ops.stats.
 */
struct kmb_reserve_stats {
	long min_nr;			/* elements the reserve keeps */
	long curr_nr;			/* elements it holds now */
	unsigned long from_reserve;	/* allocations served from the reserve */
	unsigned long nulls;		/* NULLs returned to callers that may not sleep */
	unsigned long waits;		/* sleeps of callers waiting for a free */
	unsigned long waited;		/* allocations that slept at least once */
	uint64_t wait_ns;		/* time slept, all sleeps together */
	uint64_t max_wait_ns;		/* the longest time one allocation slept */
	unsigned long injected;		/* underlying allocations failed on purpose */
};

/*
 * Object caches with constructors (Bonwick's object caching; the kernel's
 * kmem_cache_create/alloc/free/destroy), a part of a backend (kmb_backend_ops.cache): all four
 * operations, and a workload that wants constructed objects from a backend without them calls
 * the constructor itself on every allocation.  Called from benchmark threads between
 * thread_init and thread_fini.
 */
struct kmb_cache_ops {
	/*
	 * create - a cache of @size-byte objects (alignment as alloc's) whose constructor @ctor
	 * (may be NULL) runs on each object when the cache populates new memory (a slab), not on
	 * every allocation.  @name is the caller's: the backend makes it unique per call (two calls
	 * with one name get two caches).  Returns an opaque handle, NULL on failure.
	 */
	void *(*create)(const char *name, size_t size, void (*ctor)(void *));
	/* alloc - a constructed object of @cache, @gfp as the backend's alloc; NULL on failure.
	 * The object is as the constructor left it, or as the caller last freed it: a caller must
	 * free objects in their constructed state. */
	void *(*alloc)(void *cache, gfp_t gfp);
	/* free - @obj, from alloc on @cache, back to it; NULL is ignored. */
	void (*free)(void *cache, void *obj);
	/* destroy - free @cache (NULL is ignored); every object must have been freed.  Not
	 * concurrently with other calls on @cache.  Caches left at fini go with the backend. */
	void (*destroy)(void *cache);
};

/*
 * Fault injection and reserve counters, a part of a backend that keeps a reserve in front of
 * an underlying allocator (mempool; kmb_backend_ops.reserve): all three operations.  From any
 * thread between init and fini: allocations running meanwhile see the old or the new setting,
 * and the counters are a snapshot.
 */
struct kmb_reserve_ops {
	/* set_fail - make @permille (0..1000) of the underlying allocator's allocations fail on
	 * purpose from now on, in every size class (the kernel's fail_page_alloc and failslab):
	 * the reserve then serves them.  0 turns it off.  0 or -errno. */
	int (*set_fail)(unsigned int permille);
	/* stats - the counters of the reserve that serves @size, into @out.  0 or -errno. */
	int (*stats)(size_t size, struct kmb_reserve_stats *out);
	/* reset - zero those counters (not min_nr, curr_nr or the fault setting). */
	void (*reset)(size_t size);
};

/*
 * A backend option: one knob of a layer, set as KEY=VALUE from the command line
 * (`kmbench run -O KEY=VALUE`, `--backend-opt KEY=VALUE`, or `--KEY VALUE`) and declared by
 * the backend that owns it, in its own file: the harness, this header and the CLI know no
 * layer's knobs.  The backends of one layer share one set (the kernel-style ones: be_mm.c).
 *
 * parse - @value into the set's option state @st (kmb_backend_optset.size bytes, all zero: every
 * option at its default).  0, or -EINVAL with one line in err naming the problem and the valid
 * values, without the key: the caller puts the name it was given first ("--node-mem: ...").
 * show - optional: the value as the results and the saved options record it, from @st, into
 * @buf (e.g. --pcp's "off" is the mode "none"); NULL: the value as given.
 */
struct kmb_backend_opt {
	const char *key;	/* [a-z0-9-]+, also a --KEY flag: no run option may have it */
	const char *metavar;	/* the values, for help: "N", "SIZE|none" */
	const char *help;	/* one line, with the default */
	int (*parse)(void *st, const char *value, char *err, size_t errlen);
	const char *(*show)(const void *st, char *buf, size_t len);
};

/*
 * Where a set of options records the run's settings in the results' context
 * (kmb_backend_optset.context): objects, arrays, numbers and texts.  Inside an array, num and
 * text take a NULL key.  (Workloads name their families' parameters through it too:
 * workloads/workload.h.)
 */
struct kmb_context_sink {
	void (*begin)(void *ctx, const char *key);	/* an object under @key, until end */
	void (*end)(void *ctx);				/* ends an object or an array */
	void (*num)(void *ctx, const char *key, long long value);
	void (*text)(void *ctx, const char *key, const char *text);
	void (*array)(void *ctx, const char *key);	/* an array under @key, until end */
	void *ctx;
};

/*
 * The options of one layer, shared by its backends (kmb_backend_ops.opts); a workload declares
 * its own options with the same types (workloads/workload.h kmb_workload.opts).
 */
struct kmb_backend_optset {
	const char *name;			/* for `kmbench list`: "mm" */
	size_t size;				/* bytes of the option state */
	const struct kmb_backend_opt *opt;	/* nopt of them, in the order help lists them */
	size_t nopt;
	/* Optional: what no option can check alone, once all are parsed (a DMA zone smaller
	 * than the node).  0, or -EINVAL with one whole line in err. */
	int (*check)(const void *st, char *err, size_t errlen);
	/* Optional: the settings into the results' context, for @section: NULL, the keys of
	 * context.options itself; "percpu", those of context.options.percpu (results/README.md). */
	void (*context)(const void *st, const char *section, const struct kmb_context_sink *out);
};

/* Per-run settings handed to init(): what every backend needs; a layer's knobs are options. */
struct kmb_backend_config {
	int nthreads;		/* benchmark threads that will call in */
	size_t max_size;	/* largest size a workload will ask for */
	/*
	 * The run's backend options, "KEY=VALUE" each, NULL-terminated; NULL: none.  A backend
	 * reads those of its set (kmb_backend_opts_parse) and ignores the others: they are for
	 * other backends of the run.
	 */
	const char *const *opts;
	/*
	 * The run's node policy (--numa-policy).  A KMB_CAP_NODE backend applies it to every
	 * allocation that names no node (NUMA_NO_NODE), by choosing the node argument itself
	 * (the kernel-style backends: allocators/backends/be_mm.h); an explicit node always
	 * wins.  Every other backend ignores it: the harness makes it each benchmark thread's
	 * memory policy instead (set_mempolicy(2), numa/policy.h).  KMB_MPOL_DEFAULT: none.
	 */
	struct kmb_mempolicy mpol;
};

struct kmb_backend_ops {
	const char *name;		/* registry name: [a-z0-9-]+ */
	const char *description;	/* one line for `kmbench list` */
	unsigned int caps;		/* enum kmb_backend_caps */
	/* KMB_CAP_PRELOAD: absolute path of the library to preload, "" when it was not found at
	 * build time. */
	const char *preload;

	/*
	 * init - prepare the allocator.  For KMB_CAP_PRELOAD backends this also verifies that the
	 * library really is the process's malloc.  On failure returns -errno and writes one line
	 * into why[whylen].
	 */
	int (*init)(const struct kmb_backend_config *cfg, char *why, size_t whylen);
	void (*fini)(void);
	int (*thread_init)(void);	/* optional */
	void (*thread_fini)(void);	/* optional */

	/* alloc - @size bytes (> 0), @gfp flags, on @node or NUMA_NO_NODE.  NULL on failure.
	 * Alignment: at least alignof(max_align_t) for sizes >= 16 (kmalloc's
	 * ARCH_KMALLOC_MINALIGN guarantee is 8; the conformance suite checks 8 for every size,
	 * 16 for sizes >= 16). */
	void *(*alloc)(size_t size, gfp_t gfp, int node);
	/* free - @p from alloc() with the same @size; NULL is ignored. */
	void (*free)(void *p, size_t size);

	/* Optional bulk forms (kmem_cache_alloc_bulk semantics: all or nothing).  alloc_bulk
	 * returns @n on success, 0 on failure with nothing allocated.  NULL when not offered;
	 * kmb_backend_alloc_bulk() then loops. */
	size_t (*alloc_bulk)(size_t size, gfp_t gfp, int node, size_t n, void **out);
	void (*free_bulk)(size_t size, size_t n, void **p);

	/* Optional: what the allocator holds and uses, into @sink.  0 or -errno. */
	int (*stats)(const struct kmb_stats_sink *sink);
	/* Optional: held and live bytes now (struct kmb_backend_usage), cheap enough to call
	 * every millisecond; from any thread while others allocate.  0 or -errno (-ENOTSUP: it
	 * cannot say here, e.g. the library lacks the statistics). */
	int (*usage)(struct kmb_backend_usage *u);
	/* Optional: the page allocator's and slab layer's state now (struct kmb_backend_state),
	 * cheap enough to call every millisecond; from any thread while others allocate (a
	 * snapshot, read as the kernel's /proc files read it).  0 or -errno. */
	int (*state)(struct kmb_backend_state *s);
	/* Optional: validate internal invariants.  0, or -EUCLEAN with the first problem in why. */
	int (*check)(char *why, size_t whylen);
	/* Optional: name of the free function used (for results), e.g. "sdallocx".  NULL: "free". */
	const char *(*free_name)(void);
	/* Optional: the allocator's external fragmentation index for a request of @size bytes,
	 * in thousandths, as the kernel's __fragmentation_index (mm/vmstat.c): -1000 when a
	 * block that size is free, else 0 (failure from lack of memory) .. 1000 (failure from
	 * fragmentation).  May be called from a benchmark thread while others run (a snapshot). */
	int (*frag_index)(size_t size);
	/* Optional: the allocator's version, after a successful init. */
	const char *(*version)(void);

	/* Optional parts, NULL when the backend has none (below): object caches with
	 * constructors, and a reserve with fault injection. */
	const struct kmb_cache_ops *cache;
	const struct kmb_reserve_ops *reserve;
	/* Optional: the options this backend takes (NULL: none). */
	const struct kmb_backend_optset *opts;
};

/* The registry: every backend of allocators/backends/backends.def, in list order. */
extern const struct kmb_backend_ops *const kmb_backends[];
extern const size_t kmb_nr_backends;

/* Look a backend up by name; NULL if there is none. */
const struct kmb_backend_ops *kmb_backend_find(const char *name);

/*
 * kmb_backend_opts_parse - the options of @set among @kv ("KEY=VALUE", NULL-terminated; NULL:
 * none; other keys are skipped), in order, into @st (@set->size bytes, zeroed first), then
 * @set->check.  0, or -EINVAL with one line in err ("KEY: problem").
 */
int kmb_backend_opts_parse(const struct kmb_backend_optset *set, const char *const *kv, void *st,
			   char *err, size_t errlen);
/* kmb_optset_key - the option @key (its first @keylen bytes) of @set (may be NULL); NULL when
 * @set has none. */
const struct kmb_backend_opt *kmb_optset_key(const struct kmb_backend_optset *set,
					     const char *key, size_t keylen);
/* kmb_backend_opt_find - the option @key (its first @keylen bytes) of any registered backend,
 * and its set into *set; NULL when no backend declares it. */
const struct kmb_backend_opt *kmb_backend_opt_find(const char *key, size_t keylen,
						   const struct kmb_backend_optset **set);
/* kmb_parse_bytes - "64", "4K", "1M", "1G" (binary suffixes) into bytes, 1 to @max: for the
 * options' parsers, and the harness's.  0 or -EINVAL. */
int kmb_parse_bytes(const char *s, unsigned long long max, size_t *out);
/* kmb_backend_optsets - the distinct option sets of the registry, in its order, at most @max
 * into @out; how many. */
size_t kmb_backend_optsets(const struct kmb_backend_optset **out, size_t max);

/* Bulk helpers that fall back to loops when a backend offers no bulk form. */
size_t kmb_backend_alloc_bulk(const struct kmb_backend_ops *b, size_t size, gfp_t gfp, int node,
			      size_t n, void **out);
void kmb_backend_free_bulk(const struct kmb_backend_ops *b, size_t size, size_t n, void **p);

#endif
