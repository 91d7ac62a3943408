/*
 * wl_counter.h - what the counter workloads (counter_percpu.c, counter_atomic.c,
 * counter_packed.c) share: the run's setup and its exact check.
 *
 * The counter workloads measure one way of counting events from every thread, not an
 * allocator: they are flagged KMB_WL_NO_ALLOCATOR and run once per thread count (workload.h).
 * One iteration is one increment of 1, on the counter all threads share.  Each thread counts
 * the increments it made; after the timed loop every thread adds its count to the run's total,
 * and thread 0 checks that the counter holds exactly that total, failing the run (and saying so
 * on stderr) when it does not: a counter that loses increments is measured as failed, not fast.
 *
 * Thread 0 sets the counter up before a barrier (reset_total() with it) and checks it after
 * another; Google Benchmark runs one run at a time, so one static set of state per workload
 * serves every run.
 */
#ifndef KMB_WL_COUNTER_H
#define KMB_WL_COUNTER_H

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "wl_sync.h"
#include "workload.h"

#define WL_COUNTER_BATCH 1000	/* increments per keep-running batch */

struct wl_counter_run {
	struct wl_barrier barrier;
	_Atomic int64_t total;		/* increments made, all threads; after the loop */
	atomic_bool setup_failed;
};

#define WL_COUNTER_RUN_INIT { WL_BARRIER_INIT, 0, false }

/* On thread 0, before wl_counter_started(): a new run. */
static inline void wl_counter_reset(struct wl_counter_run *r, bool setup_failed)
{
	atomic_store(&r->total, 0);
	atomic_store(&r->setup_failed, setup_failed);
}

/* On every thread: wait for thread 0's setup; false (and the run failed) when it failed. */
static inline bool wl_counter_started(struct wl_counter_run *r, struct kmb_gb_state *st,
				      const char *name)
{
	char msg[128];

	wl_barrier_wait(&r->barrier, kmb_gb_threads(st));
	if (!atomic_load(&r->setup_failed))
		return true;
	snprintf(msg, sizeof(msg), "%s: cannot set the counter up", name);
	kmb_gb_skip_with_error(st, msg);
	return false;
}

/*
 * On every thread after the loop, with the increments it made: the run's total on thread 0
 * once every thread has added its own (-1 on the others), for wl_counter_check().
 */
static inline int64_t wl_counter_finish(struct wl_counter_run *r, struct kmb_gb_state *st,
					int64_t mine)
{
	atomic_fetch_add(&r->total, mine);
	wl_barrier_wait(&r->barrier, kmb_gb_threads(st));
	return kmb_gb_thread_index(st) == 0 ? atomic_load(&r->total) : -1;
}

/* On thread 0: fail the run, loudly, unless the counter's exact @sum is @total. */
static inline int wl_counter_check(struct kmb_gb_state *st, const char *name, int64_t sum,
				   int64_t total)
{
	char msg[160];

	if (sum == total)
		return 0;
	snprintf(msg, sizeof(msg), "%s: the counter sums to %" PRId64 " after %" PRId64
		 " increments of 1 (%d thread%s): increments lost or counted twice", name, sum,
		 total, kmb_gb_threads(st), kmb_gb_threads(st) == 1 ? "" : "s");
	fprintf(stderr, "kmbench: %s\n", msg);
	kmb_gb_skip_with_error(st, msg);
	return -EIO;
}

#endif
