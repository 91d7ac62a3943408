/*
 * counter_packed.c - per-thread counters packed together: thread i increments slot i of an
 * array of 8-byte slots, 8 to a 64-byte line, so up to 8 threads share one cache line (false
 * sharing: no two threads write the same counter, yet every increment takes the line from the
 * others).  Each increment is a plain load, add and store of the thread's own slot (relaxed
 * atomics, so the compiler keeps every one in the loop); no lock prefix.  The check at the end
 * is the sum of the slots against the increments made (wl_counter.h).
 *
 * The layout a naive per-thread statistics array has; counter_percpu.c keeps each CPU's copy
 * in its own unit instead.
 */
#include <errno.h>

#include "wl_counter.h"

#define MAX_SLOTS 1024		/* KMB_MAX_THREADS */

static struct wl_counter_run run = WL_COUNTER_RUN_INIT;
static struct {
	_Alignas(64) _Atomic uint64_t slot[MAX_SLOTS];
} counters;

static int counter_packed_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			      const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	_Atomic uint64_t *mine_slot = &counters.slot[tid % MAX_SLOTS];
	int64_t mine = 0, total;

	(void)b, (void)p;
	if (tid == 0) {
		for (int i = 0; i < MAX_SLOTS; i++)
			atomic_store_explicit(&counters.slot[i], 0, memory_order_relaxed);
		wl_counter_reset(&run, nthreads > MAX_SLOTS);
	}
	if (!wl_counter_started(&run, st, "counter-packed"))
		return -EINVAL;
	while (kmb_gb_keep_running_batch(st, WL_COUNTER_BATCH)) {
		for (int i = 0; i < WL_COUNTER_BATCH; i++)
			atomic_store_explicit(mine_slot, atomic_load_explicit(
				mine_slot, memory_order_relaxed) + 1, memory_order_relaxed);
		mine += WL_COUNTER_BATCH;
	}
	kmb_gb_set_items_processed(st, mine);
	total = wl_counter_finish(&run, st, mine);
	if (tid == 0) {
		uint64_t sum = 0;

		for (int i = 0; i < nthreads; i++)
			sum += atomic_load_explicit(&counters.slot[i], memory_order_relaxed);
		return wl_counter_check(st, "counter-packed", (int64_t)sum, total);
	}
	return 0;
}

const struct kmb_workload kmb_workload_counter_packed = {
	.name = "counter-packed",
	.description = "per-thread counters, 8 to a cache line (false sharing): each thread "
		       "increments its own",
	.flags = KMB_WL_NO_ALLOCATOR,
	.run = counter_packed_run,
};
