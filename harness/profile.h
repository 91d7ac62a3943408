/*
 * profile.h - the profile pass: latency percentiles and memory over time for every workload,
 * measured beside the timed runs, never inside them (profile.c).
 *
 * After a cell's timed repetitions the child (child.c) runs the same workload once more at
 * the cell's thread count, as a Google Benchmark run of its own (a share of --min-time, one
 * repetition), through a wrapped copy of the backend's operations table (kmb_profile_ops):
 * its alloc and free, and the object-cache part's, time about one call in @period with the
 * latency sampler (latency.h: random intervals, log-linear histogram), on each thread into
 * its own sampler; each thread's first call of each kind is always timed, so that a workload
 * that allocates only in its setup has a sample.  Meanwhile a sampler thread reads the process's resident set
 * (/proc/self/statm), the backend's held and live bytes (kmb_backend_ops.usage) and, where it
 * has them, its buddy zones' fragmentation indices and slab object counts (kmb_backend_ops.state)
 * every interval, into a timeline of at most KMB_PROFILE_POINTS points (when it is full every other
 * point is dropped and the interval doubles, so the timeline always spans the whole pass).
 * The process's high-water mark, reset before the pass (/proc/self/clear_refs 5, Linux 4.0),
 * gives its peak RSS.  The timed runs use the backend's own table: nothing of this is on
 * their path.
 *
 * Bulk operations (alloc_bulk, free_bulk) and threads a workload starts itself (the
 * mempool-pressure rescuer) pass through untimed.
 *
 * Use, for one pass (one Google Benchmark run of the hidden family; one pass at a time in a
 * process): thread 0 calls kmb_profile_begin before any thread runs the workload; every
 * benchmark thread brackets its workload with kmb_profile_thread_begin/_end; one thread calls
 * kmb_profile_end once every thread has ended, before any tears its backend state down (the
 * sampler calls usage()).  The result stays in the struct kmb_profile until the next begin.
 */
#ifndef KMB_HARNESS_PROFILE_H
#define KMB_HARNESS_PROFILE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kmbench/backend.h"
#include "latency.h"

#define KMB_PROFILE_PERIOD	64	/* calls per sample on fast operations */
#define KMB_PROFILE_SLOW_NS	2000	/* operations this slow are each timed (period 1): a
					 * clock read costs 20-40 ns, under 2% of one */
#define KMB_PROFILE_POINTS	128	/* timeline points at most */
#define KMB_PROFILE_INTERVAL_NS	1000000	/* the timeline's first interval: 1 ms */
#define KMB_PROFILE_SHARE	8	/* the pass runs --min-time / this (Google Benchmark
					 * runs at least one iteration, and each thread's first
					 * calls are timed, so a tiny share still samples) */

/* One point of the timeline: bytes; held and live -1 where the backend cannot say; the page
 * allocator's and slab layer's state where the backend has a state operation (st.nzones 0 and
 * st.active_objs -1 where not). */
struct kmb_profile_point {
	double t_ms;			/* since kmb_profile_begin */
	long long rss, held, live;
	struct kmb_backend_state st;
};

/* One benchmark thread's samplers; on its stack, during its workload. */
struct kmb_profile_thread {
	struct kmb_latency alloc, free;
	uint64_t alloc_calls, free_calls;
};

struct kmb_profile {
	/* The pass's result, once kmb_profile_end has returned. */
	struct kmb_latency alloc, free;	/* every thread's samples */
	uint64_t alloc_calls, free_calls;	/* calls made, timed or not */
	uint32_t period;		/* calls per sample asked */
	uint64_t clock_ns;		/* what timing an empty call reads (kmb_latency_clock_ns) */
	long long peak_rss;		/* bytes: VmHWM since the reset, at least the timeline's
					 * highest point; -1 unavailable (peak_why) */
	char peak_why[160];
	char usage_why[160];		/* "" when the backend gave held bytes */
	char live_why[160];		/* "" when it gave live bytes */
	char state_why[160];		/* "" when it gave its state (kmb_backend_ops.state) */
	double interval_ms;		/* between the timeline's points, at its end */
	size_t npoints;
	struct kmb_profile_point pt[KMB_PROFILE_POINTS];

	/* The pass in progress (profile.c). */
	const struct kmb_backend_ops *b;
	pthread_mutex_t lock;		/* merging threads' samplers */
	pthread_t sampler;
	bool sampling;
	atomic_bool stop;
	uint64_t t0_ns, interval_ns;
};

/* kmb_profile_min_time - the pass's minimum time per run for a run of --min-time @min_time
 * (0: Google Benchmark's 0.5 s): @min_time / KMB_PROFILE_SHARE. */
double kmb_profile_min_time(double min_time);

/* kmb_profile_init - an idle profile (no pass yet). */
void kmb_profile_init(struct kmb_profile *p);

/* kmb_profile_ops - the wrapped operations table of @b (the process's backend; one per
 * process): every field @b's, alloc/free and cache alloc/free timed on threads between
 * kmb_profile_thread_begin and _end.  Call once, before any pass. */
const struct kmb_backend_ops *kmb_profile_ops(const struct kmb_backend_ops *b);

/* kmb_profile_begin - start a pass of @b with one sample every @period calls (>= 1): clear the
 * result, reset the high-water mark, start the timeline's sampler thread.  On thread 0,
 * before any thread runs the workload. */
void kmb_profile_begin(struct kmb_profile *p, const struct kmb_backend_ops *b, uint32_t period);
/* kmb_profile_thread_begin - this thread's calls are timed into @t, seeded by @seed. */
void kmb_profile_thread_begin(struct kmb_profile *p, struct kmb_profile_thread *t,
			      uint64_t seed);
/* kmb_profile_thread_end - stop timing this thread's calls and add @t into @p's result. */
void kmb_profile_thread_end(struct kmb_profile *p, struct kmb_profile_thread *t);
/* kmb_profile_end - stop the sampler and read the peak.  On one thread, after every thread's
 * kmb_profile_thread_end and before any thread's thread_fini. */
void kmb_profile_end(struct kmb_profile *p);

/*
 * The result into a row (results/README.md): kmb_profile_counters, the numbers at the row's
 * top level (alloc_lat_*, free_lat_*, peak_rss_bytes, held_peak_bytes, live_peak_bytes; only
 * those measured); kmb_profile_meta, the object kmbench.profile: @p's with the pass's
 * @iterations (its timeline, the state's series, the latency distributions), or, with @p NULL,
 * {status: "unavailable", reason: @why}.
 */
struct kmb_json;
void kmb_profile_counters(struct kmb_json *j, const struct kmb_profile *p);
void kmb_profile_meta(struct kmb_json *j, const struct kmb_profile *p, long long iterations,
		      const char *why);

#endif
