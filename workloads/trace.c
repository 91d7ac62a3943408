/*
 * trace.c - real kernel traffic, replayed: the allocations and frees of a kmbench trace
 * (trace_file.h; `kmbench record` makes one from the kernel's kmem tracepoints) against a
 * backend, in the order and on the CPUs the kernel made them.
 *
 * Threads.  Recorded CPU c is replayed by benchmark thread c % threads (the run's --threads,
 * each thread pinned by the run's plan), which runs the operations of its CPUs in the trace's
 * time order.  Each object is freed by the thread of the CPU that freed it: where that is not
 * the thread that allocated it, the free is remote, as in the kernel, and the object is handed
 * over through a slot of its own (a cache line: pointer and sequence number).  In replay r the
 * allocating thread waits until the slot's sequence is 2r (the previous replay's free is done),
 * stores the pointer and sets 2r + 1 (release); the freeing thread waits for 2r + 1 (acquire),
 * frees, and sets 2r + 2.  Objects that stay on one thread live in that thread's own array and
 * are never waited for.  No deadlock: every thread runs its operations in the order (replay,
 * position in the trace), and every wait is for an operation earlier in that order (an
 * object's free follows its allocation in the trace; a replay's allocation follows the last
 * replay's free), so the earliest operation not yet done can always run.  A thread that fails
 * an allocation sets the run's abort flag, which ends every wait.
 *
 * Open operations.  Each replay is closed, so replays can follow each other: an object freed by
 * a _pre free (allocated before the recording began) is allocated at the start of the replay
 * by the thread that frees it, with GFP_KERNEL; an object still live at the end of the trace is
 * freed at the end of the replay by the thread that allocated it.  A kfree_pre (kfree gives no
 * size) and a cache_free_pre of a cache whose size the trace does not know cannot be replayed
 * honestly: they are left out and counted (ops_skipped).
 *
 * What each operation becomes:
 *   kmalloc                  b->alloc(bytes_req) on every backend (the slab backends: a cache
 *                            per size; kmalloc: its size classes; baselines: malloc)
 *   cache_alloc              on backends with object caches (b->cache: the slab backends) an
 *                            object of a cache of the trace cache's object_size, one cache per
 *                            trace cache, created before the timed loop; elsewhere
 *                            b->alloc(object_size)
 *   page_alloc               b->alloc(PAGE_SIZE << order): alloc_pages(order) on the buddy
 *                            backends, a block that size on the others
 *   the frees                the free of however the object was allocated (a kfree of a
 *                            cache_alloc object frees it to its cache, as the kernel does)
 * with the trace's GFP flags (trace_file.c maps the kernel's names to kmbench's) and no node.
 * Every allocation's first byte is written.
 *
 * Timing.  One iteration is one operation (recorded, or the start allocations and end frees
 * that close a replay).  Google Benchmark counts iterations per thread and every thread's
 * share of a replay differs, so each keep-running batch is `threads` replays, which every
 * thread counts as one replay's operations: real_time per iteration is then the wall time of
 * the run over (operations / threads), ns per operation per thread, as in every workload, and
 * all threads leave the loop after the same replay.
 *
 * Counters, set by thread 0 for the run:
 *   trace_events   the trace's events
 *   ops_replayed   recorded operations done per replay, counted as they ran (the check: it
 *                  equals trace_events - ops_skipped, or the run fails)
 *   ops_skipped    _pre frees of unknown size, left out
 *   start_allocs, end_frees    the operations that close a replay
 *   remote_frees   frees on another thread than the allocation, per replay
 *   replays        replays in the run
 *
 * Option (workload.h kmb_workload.opts; -W KEY=VALUE or --KEY VALUE):
 *   trace   the trace file (default: the fixture tests/fixtures/kernel.trace of the source tree
 *           kmbench was built from, else kernel.trace next to the kmbench binary)
 * The trace is loaded and checked by the resolve hook, before any backend starts: a bad trace
 * fails the run there with one line naming the file and the line.  Without --trace, where the
 * fixture cannot be found (a kmbench copied away from its source tree), the workload has no
 * family, and says why (a run of --workloads=all, in a guest say, runs the others).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmbench/mm.h"	/* kmb_gfp_format: a failing op's GFP by name */
#include "trace_file.h"
#include "wl_sync.h"
#include "workload.h"

#ifndef KMB_TRACE_FIXTURE
#define KMB_TRACE_FIXTURE ""
#endif
#define NAME		"trace"
#define TRACE_PAGE_SIZE	4096UL	/* PAGE_SIZE of the traced kernel (x86-64) */
#define MAX_THREADS	1024	/* KMB_MAX_THREADS */
#define LINE		64

/* The option state: the path given; "" is the default. */
struct trace_opts {
	char path[256];
};

/* The trace the resolve hook loaded, for this process (options hold no pointers); NULL with
 * the reason in no_trace when no trace was given and the fixture is not there. */
static struct kmb_trace *loaded;
static char no_trace[400];

/* One operation of a thread's list. */
enum rop_flags {
	ROP_ALLOC = 1u << 0,
	ROP_SHARED = 1u << 1,	/* the object crosses threads: its slot is in run.shared */
	ROP_RECORDED = 1u << 2,	/* an event of the trace, not one that closes a replay */
	ROP_REMOTE = 1u << 3,	/* a free on another thread than the allocation */
};
struct rop {
	void *cache;		/* the backend's cache; NULL: b->alloc/free with size */
	uint32_t slot;		/* in the thread's own array, or in run.shared */
	uint32_t size;
	gfp_t gfp;
	uint32_t flags;
};

/* An object that crosses threads: its own line. */
struct shared_slot {
	_Alignas(LINE) void *_Atomic p;
	_Atomic uint64_t seq;
};

/* What one object is on this backend: how it is allocated and freed, by which threads. */
struct obj_plan {
	void *cache;
	uint32_t size;
	int athread, fthread;	/* -1: skipped */
	uint32_t slot;
	bool shared;
};

struct thread_ops {
	_Alignas(LINE) struct rop *op;
	size_t nop;
	void **local;		/* the thread's own objects, by slot */
	uint32_t *local_obj;	/* the object of each local slot (for the cleanup) */
	size_t nlocal;
	uint64_t done;		/* recorded operations done, all replays */
};

/* The run's state, built by thread 0 before the first barrier. */
static struct {
	int nthreads;
	struct thread_ops th[MAX_THREADS];
	struct shared_slot *shared;
	uint32_t *shared_obj;
	size_t nshared;
	struct obj_plan *plan;		/* per object */
	void **caches;			/* per trace cache; NULL where none is made */
	size_t per_replay, recorded, skipped, start_allocs, end_frees, remote;
	atomic_bool abort;
	char err[400];
} run;
static struct wl_barrier barrier = WL_BARRIER_INIT;

static const char *default_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (KMB_TRACE_FIXTURE[0] && !access(KMB_TRACE_FIXTURE, R_OK))
		return KMB_TRACE_FIXTURE;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (strrchr(exe, '/'))
			*strrchr(exe, '/') = '\0';
		if ((size_t)snprintf(buf, len, "%s/kernel.trace", exe) < len && !access(buf, R_OK))
			return buf;
	}
	return NULL;
}

/* --- the replay --- */

static void fail_run(const char *msg)
{
	bool was = atomic_exchange(&run.abort, true);

	if (!was)
		snprintf(run.err, sizeof(run.err), "%s", msg);
}

/* Wait until @s's sequence is @want; false when the run aborted meanwhile. */
static __attribute__((noinline)) bool wait_seq(struct shared_slot *s, uint64_t want)
{
	for (unsigned int spins = 0;
	     atomic_load_explicit(&s->seq, memory_order_acquire) != want; spins++) {
		if (atomic_load_explicit(&run.abort, memory_order_relaxed))
			return false;
		wl_spin_wait(spins);
	}
	return true;
}

static __attribute__((noinline)) void alloc_failed(const struct kmb_backend_ops *b,
						   const struct rop *o)
{
	char msg[400], mode[200];

	/* As warn_alloc() writes the mode: "%#x(%pGg)", the names as the kernel prints them. */
	kmb_gfp_format(mode, sizeof(mode), o->gfp);
	snprintf(msg, sizeof(msg), NAME ": %s %s of %u bytes returned NULL (gfp %#x(%s))",
		 b->name, o->cache ? "cache alloc" : "alloc", o->size, o->gfp, mode);
	fail_run(msg);
}

/* Replay @r of thread @th's operations; false when it aborted. */
static bool replay(const struct kmb_backend_ops *b, struct thread_ops *th, uint64_t r)
{
	const struct kmb_cache_ops *c = b->cache;
	uint64_t done = 0;

	for (size_t i = 0; i < th->nop; i++) {
		const struct rop *o = &th->op[i];
		struct shared_slot *s = (o->flags & ROP_SHARED) ? &run.shared[o->slot] : NULL;
		void *p;

		if (o->flags & ROP_ALLOC) {
			if ((o->flags & ROP_SHARED) && !wait_seq(s, 2 * r))
				return false;
			p = o->cache ? c->alloc(o->cache, o->gfp)
				     : b->alloc(o->size, o->gfp, NUMA_NO_NODE);
			if (__builtin_expect(!p, 0)) {
				alloc_failed(b, o);
				return false;
			}
			*(volatile char *)p = 1;
			if (o->flags & ROP_SHARED) {
				atomic_store_explicit(&s->p, p, memory_order_relaxed);
				atomic_store_explicit(&s->seq, 2 * r + 1, memory_order_release);
			} else {
				th->local[o->slot] = p;
			}
		} else {
			if (o->flags & ROP_SHARED) {
				if (!wait_seq(s, 2 * r + 1))
					return false;
				p = atomic_load_explicit(&s->p, memory_order_relaxed);
			} else {
				p = th->local[o->slot];
				th->local[o->slot] = NULL;
			}
			if (o->cache)
				c->free(o->cache, p);
			else
				b->free(p, o->size);
			if (o->flags & ROP_SHARED) {
				atomic_store_explicit(&s->p, NULL, memory_order_relaxed);
				atomic_store_explicit(&s->seq, 2 * r + 2, memory_order_release);
			}
		}
		done += (o->flags & ROP_RECORDED) != 0;
	}
	th->done += done;
	return true;
}

/* --- the plan: what each object is on @b, each thread's operations --- */

/* How event @e's object is allocated on @b; false when it is skipped. */
static bool plan_object(const struct kmb_trace *t, const struct kmb_trace_event *e,
			struct obj_plan *o)
{
	o->cache = NULL;
	switch (e->op) {
	case KMB_TR_KMALLOC:
		o->size = e->bytes_req;
		return true;
	case KMB_TR_CACHE_ALLOC: case KMB_TR_CACHE_FREE_PRE:
		o->size = t->caches[e->cache].object_size;
		o->cache = run.caches[e->cache];
		return o->size != 0;
	case KMB_TR_PAGE_ALLOC: case KMB_TR_PAGE_FREE_PRE:
		o->size = (uint32_t)(TRACE_PAGE_SIZE << e->order);
		return true;
	default:	/* kfree_pre: no size */
		return false;
	}
}

static int add_op(struct thread_ops *th, size_t *cap, const struct obj_plan *o, gfp_t gfp,
		  uint32_t flags)
{
	if (th->nop == *cap) {
		size_t n = *cap ? 2 * *cap : 256;
		struct rop *p = realloc(th->op, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		th->op = p;
		*cap = n;
	}
	th->op[th->nop++] = (struct rop){ o->cache, o->slot, o->size, gfp,
					  flags | (o->shared ? ROP_SHARED : 0) };
	return 0;
}

/* Caches for the trace's caches on a backend with object caches. */
static int make_caches(const struct kmb_trace *t, const struct kmb_backend_ops *b)
{
	run.caches = calloc(t->ncaches ? t->ncaches : 1, sizeof(*run.caches));
	if (!run.caches)
		return -ENOMEM;
	for (size_t i = 0; b->cache && i < t->ncaches; i++) {
		if (!t->caches[i].object_size)
			continue;
		run.caches[i] = b->cache->create(t->caches[i].name, t->caches[i].object_size, NULL);
		if (!run.caches[i]) {
			snprintf(run.err, sizeof(run.err), NAME ": %s cannot create a cache of %u "
				 "bytes for %s", b->name, t->caches[i].object_size, t->caches[i].name);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Every object's plan: its threads and its slot. */
static int plan_objects(const struct kmb_trace *t, int n)
{
	size_t nlocal[MAX_THREADS] = { 0 };

	run.plan = calloc(t->nobjects ? t->nobjects : 1, sizeof(*run.plan));
	if (!run.plan)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nobjects; i++) {
		const struct kmb_trace_object *ob = &t->objs[i];
		const struct kmb_trace_event *a = ob->alloc >= 0 ? &t->ev[ob->alloc] : NULL;
		const struct kmb_trace_event *f = ob->free >= 0 ? &t->ev[ob->free] : NULL;
		struct obj_plan *o = &run.plan[i];

		if (!plan_object(t, a ? a : f, o)) {
			o->athread = o->fthread = -1;
			continue;
		}
		o->athread = (a ? a : f)->cpu % n;
		o->fthread = (f ? f : a)->cpu % n;
		o->shared = o->athread != o->fthread;
		o->slot = o->shared ? (uint32_t)run.nshared++ : (uint32_t)nlocal[o->athread]++;
	}
	for (int k = 0; k < n; k++) {
		struct thread_ops *th = &run.th[k];

		th->nlocal = nlocal[k];
		th->local = calloc(nlocal[k] ? nlocal[k] : 1, sizeof(*th->local));
		th->local_obj = calloc(nlocal[k] ? nlocal[k] : 1, sizeof(*th->local_obj));
		if (!th->local || !th->local_obj)
			return -ENOMEM;
	}
	run.shared = aligned_alloc(LINE, (run.nshared ? run.nshared : 1) * sizeof(*run.shared));
	run.shared_obj = calloc(run.nshared ? run.nshared : 1, sizeof(*run.shared_obj));
	if (!run.shared || !run.shared_obj)
		return -ENOMEM;
	memset(run.shared, 0, (run.nshared ? run.nshared : 1) * sizeof(*run.shared));
	for (uint32_t i = 0; i < t->nobjects; i++) {
		const struct obj_plan *o = &run.plan[i];

		if (o->athread < 0)
			continue;
		if (o->shared)
			run.shared_obj[o->slot] = i;
		else
			run.th[o->athread].local_obj[o->slot] = i;
	}
	return 0;
}

/* Each thread's operations: start allocations, the trace's events, end frees. */
static int plan_ops(const struct kmb_trace *t)
{
	size_t cap[MAX_THREADS] = { 0 };
	int r = 0;

	for (size_t i = 0; !r && i < t->nevents; i++) {	/* start: the _pre frees' objects */
		const struct kmb_trace_event *e = &t->ev[i];
		const struct obj_plan *o = &run.plan[e->obj];

		if (kmb_trace_op_is_pre(e->op) && o->athread >= 0) {
			r = add_op(&run.th[o->athread], &cap[o->athread], o, GFP_KERNEL, ROP_ALLOC);
			run.start_allocs++;
		}
	}
	for (size_t i = 0; !r && i < t->nevents; i++) {
		const struct kmb_trace_event *e = &t->ev[i];
		const struct obj_plan *o = &run.plan[e->obj];
		bool alloc = kmb_trace_op_is_alloc(e->op);
		int k = alloc ? o->athread : o->fthread;

		if (o->athread < 0) {
			run.skipped++;
			continue;
		}
		r = add_op(&run.th[k], &cap[k], o, alloc ? t->gfps[e->gfp].gfp : 0,
			   ROP_RECORDED | (alloc ? ROP_ALLOC : 0) |
			   (!alloc && o->shared ? ROP_REMOTE : 0));
		run.recorded++;
		run.remote += !alloc && o->shared;
	}
	for (uint32_t i = 0; !r && i < t->nobjects; i++) {	/* end: the live objects */
		const struct obj_plan *o = &run.plan[i];

		if (t->objs[i].free < 0 && o->athread >= 0) {
			r = add_op(&run.th[o->athread], &cap[o->athread], o, 0, 0);
			run.end_frees++;
		}
	}
	run.per_replay = run.recorded + run.start_allocs + run.end_frees;
	return r;
}

static int setup(const struct kmb_trace *t, const struct kmb_backend_ops *b, int n)
{
	int r;

	atomic_store(&run.abort, false);
	run.err[0] = '\0';
	run.nthreads = n;
	if ((r = make_caches(t, b)) || (r = plan_objects(t, n)) || (r = plan_ops(t)))
		return r;
	return 0;
}

/* After every thread's loop, on thread 0: free what an aborted run left, then everything. */
static void teardown(const struct kmb_trace *t, const struct kmb_backend_ops *b)
{
	for (int k = 0; k < run.nthreads; k++) {
		struct thread_ops *th = &run.th[k];

		for (size_t s = 0; th->local && s < th->nlocal; s++) {
			const struct obj_plan *o = &run.plan[th->local_obj[s]];

			if (th->local[s] && o->cache)
				b->cache->free(o->cache, th->local[s]);
			else if (th->local[s])
				b->free(th->local[s], o->size);
		}
		free(th->op);
		free(th->local);
		free(th->local_obj);
		*th = (struct thread_ops){ 0 };
	}
	for (size_t s = 0; run.shared && s < run.nshared; s++) {
		void *p = atomic_load(&run.shared[s].p);
		const struct obj_plan *o = &run.plan[run.shared_obj[s]];

		if (p && o->cache)
			b->cache->free(o->cache, p);
		else if (p)
			b->free(p, o->size);
	}
	for (size_t i = 0; run.caches && i < t->ncaches; i++)
		if (run.caches[i])
			b->cache->destroy(run.caches[i]);
	free(run.caches);
	free(run.shared);
	free(run.shared_obj);
	free(run.plan);
	run.caches = NULL;
	run.shared = NULL;
	run.shared_obj = NULL;
	run.plan = NULL;
	run.nshared = run.per_replay = run.recorded = run.skipped = 0;
	run.start_allocs = run.end_frees = run.remote = 0;
}

/* On thread 0 after the loop: the check and the counters. */
static void report(struct kmb_gb_state *st, const struct kmb_trace *t, uint64_t replays)
{
	uint64_t done = 0;
	char msg[200];

	for (int k = 0; k < run.nthreads; k++)
		done += run.th[k].done;
	if (replays && (done != replays * run.recorded ||
			run.recorded + run.skipped != t->nevents)) {
		snprintf(msg, sizeof(msg), NAME ": %llu operations done in %llu replays, not %zu "
			 "each (%zu events, %zu skipped)", (unsigned long long)done,
			 (unsigned long long)replays, run.recorded, t->nevents, run.skipped);
		kmb_gb_skip_with_error(st, msg);
		return;
	}
	kmb_gb_set_counter(st, "trace_events", (double)t->nevents, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "ops_replayed", replays ? (double)(done / replays) : 0,
			   KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "ops_skipped", (double)run.skipped, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "start_allocs", (double)run.start_allocs, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "end_frees", (double)run.end_frees, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "remote_frees", (double)run.remote, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "replays", (double)replays, KMB_GB_CTR_DEFAULT);
}

static int trace_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		     const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), n = kmb_gb_threads(st);
	const struct kmb_trace *t = loaded;
	uint64_t r = 0;
	int64_t items = 0;
	int err = 0;

	(void)p;
	if (tid == 0 && (!t || n > MAX_THREADS || setup(t, b, n))) {
		if (!run.err[0])
			snprintf(run.err, sizeof(run.err), NAME ": %s", !t ? "no trace loaded" :
				 n > MAX_THREADS ? "too many threads" : "out of memory");
		atomic_store(&run.abort, true);
	}
	wl_barrier_wait(&barrier, n);			/* the plan made */
	if (atomic_load(&run.abort)) {
		kmb_gb_skip_with_error(st, run.err);
		err = -ENOMEM;
	}
	/* After a failure the next call ends the loop: every thread keeps calling it. */
	while (kmb_gb_keep_running_batch(st, (int64_t)(run.per_replay ? run.per_replay : 1))) {
		for (int k = 0; !err && k < n; k++, r++)
			if (atomic_load_explicit(&run.abort, memory_order_relaxed) ||
			    !replay(b, &run.th[tid], r))
				err = -ENOMEM;
		if (err)
			kmb_gb_skip_with_error(st, run.err);
		else
			items += (int64_t)run.per_replay;
	}
	kmb_gb_set_items_processed(st, items);
	wl_barrier_wait(&barrier, n);			/* every loop ended */
	if (tid == 0) {
		if (!err && !atomic_load(&run.abort))
			report(st, t, r);
		teardown(t, b);
	}
	wl_barrier_wait(&barrier, n);			/* run free for the next run */
	return err;
}

/* --- the option: which trace --- */

static int parse_path(void *st, const char *value, char *err, size_t errlen)
{
	struct trace_opts *o = st;

	if (!value[0] || strlen(value) >= sizeof(o->path)) {
		snprintf(err, errlen, "give the path of a trace file (`kmbench record` makes one), "
			 "1 to %zu bytes", sizeof(o->path) - 1);
		return -EINVAL;
	}
	snprintf(o->path, sizeof(o->path), "%s", value);
	return 0;
}

static int trace_resolve(void *st, const struct kmb_wl_machine *m, char *err, size_t errlen)
{
	const struct trace_opts *o = st;
	char buf[PATH_MAX], why[400];
	const char *path = o->path[0] ? o->path : default_path(buf, sizeof(buf));
	struct kmb_trace *t;
	int r;

	(void)m;
	if (!path) {	/* the workload gets no family, with the reason (trace_cells) */
		snprintf(no_trace, sizeof(no_trace), "trace: no trace given and the fixture is not "
			 "at %s nor next to kmbench; give --trace FILE (`kmbench record` makes one)",
			 KMB_TRACE_FIXTURE);
		kmb_trace_free(loaded);
		loaded = NULL;
		return 0;
	}
	if (loaded && !strcmp(loaded->path, path))
		return 0;
	r = kmb_trace_load(path, &t, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "workload trace: bad trace: %s", why);
		return r;
	}
	kmb_trace_free(loaded);
	loaded = t;
	return 0;
}

/* One family per backend; none, with the reason, where no trace could be found. */
static size_t trace_cells(const void *st, const struct kmb_backend_ops *b, const char **why)
{
	(void)st;
	(void)b;
	if (loaded)
		return 1;
	if (why)
		*why = no_trace;
	return 0;
}

/* context.options.trace: the trace replayed (results/README.md). */
static void trace_context(const void *st, const char *section,
			  const struct kmb_context_sink *out)
{
	(void)st;
	if (section || !loaded)
		return;
	out->begin(out->ctx, "trace");
	out->text(out->ctx, "path", loaded->path);
	out->text(out->ctx, "kernel", loaded->kernel);
	out->text(out->ctx, "source", loaded->source);
	out->num(out->ctx, "cpus", loaded->cpus);
	out->num(out->ctx, "events", (long long)loaded->nevents);
	out->num(out->ctx, "objects", loaded->nobjects);
	out->num(out->ctx, "pre_frees", (long long)loaded->pre_frees);
	out->num(out->ctx, "live_at_end", (long long)loaded->live_at_end);
	out->num(out->ctx, "caches", (long long)loaded->ncaches);
	out->end(out->ctx);
}

static const struct kmb_backend_opt trace_opt[] = {
	{ "trace", "FILE", "the trace the trace workload replays (default: the fixture "
	  "tests/fixtures/kernel.trace)", parse_path, NULL },
};

static const struct kmb_backend_optset trace_optset = {
	.name = NAME,
	.size = sizeof(struct trace_opts),
	.opt = trace_opt,
	.nopt = 1,
	.context = trace_context,
};

const struct kmb_workload kmb_workload_trace = {
	.name = NAME,
	.description = "real kernel traffic replayed: a `kmbench record` trace's allocations and "
		       "frees on the threads of their CPUs, remote frees kept; one op = one "
		       "operation",
	.run = trace_run,
	.opts = &trace_optset,
	.resolve = trace_resolve,
	.cells = trace_cells,
};
