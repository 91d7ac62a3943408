/*
 * counter_atomic.c - one shared atomic counter: every thread adds 1 with an atomic fetch-add
 * (relaxed: x86-64's lock xadd either way), so every increment moves the counter's cache line
 * to the incrementing CPU.  The reference counter_percpu.c is measured against; the check at
 * the end is the counter's value against the increments made (wl_counter.h).
 */
#include <errno.h>

#include "wl_counter.h"

static struct wl_counter_run run = WL_COUNTER_RUN_INIT;
/* Alone on its cache lines (two, against the adjacent-line prefetcher). */
static struct {
	_Alignas(128) _Atomic int64_t value;
	char pad[128 - sizeof(int64_t)];
} counter;

static int counter_atomic_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			      const struct kmb_workload_params *p)
{
	const bool first = kmb_gb_thread_index(st) == 0;
	int64_t mine = 0, total;

	(void)b, (void)p;
	if (first) {
		atomic_store(&counter.value, 0);
		wl_counter_reset(&run, false);
	}
	if (!wl_counter_started(&run, st, "counter-atomic"))
		return -EINVAL;
	while (kmb_gb_keep_running_batch(st, WL_COUNTER_BATCH)) {
		for (int i = 0; i < WL_COUNTER_BATCH; i++)
			atomic_fetch_add_explicit(&counter.value, 1, memory_order_relaxed);
		mine += WL_COUNTER_BATCH;
	}
	kmb_gb_set_items_processed(st, mine);
	total = wl_counter_finish(&run, st, mine);
	if (first)
		return wl_counter_check(st, "counter-atomic", atomic_load(&counter.value), total);
	return 0;
}

const struct kmb_workload kmb_workload_counter_atomic = {
	.name = "counter-atomic",
	.description = "one shared atomic counter: fetch_add(1) from every thread",
	.flags = KMB_WL_NO_ALLOCATOR,
	.run = counter_atomic_run,
};
