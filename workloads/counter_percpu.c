/*
 * counter_percpu.c - a percpu_counter (kmbench/percpu.h, the kernel's
 * include/linux/percpu_counter.h): every thread adds 1 with percpu_counter_add(), which
 * changes this CPU's copy (an rseq sequence where rseq can be used, else an atomic add on the
 * current CPU's copy) and folds it into the shared count when it reaches the batch.  The check
 * at the end is percpu_counter_sum() against the increments made (wl_counter.h).
 *
 * Against counter_atomic.c (one shared atomic) and counter_packed.c (per-thread counters packed
 * into one cache line): what per-CPU state buys for the most common per-CPU variable.
 *
 * Counter percpu_rseq (thread 0, not averaged): 1 when the adds ran as rseq sequences, 0 when
 * rseq could not be used here.
 */
#include <errno.h>

#include "kmbench/percpu.h"
#include "wl_counter.h"

static struct wl_counter_run run = WL_COUNTER_RUN_INIT;
static struct percpu_counter counter;

static int counter_percpu_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			      const struct kmb_workload_params *p)
{
	const bool first = kmb_gb_thread_index(st) == 0;
	int64_t mine = 0, total;
	int err = 0;

	(void)b, (void)p;
	if (first)
		wl_counter_reset(&run, percpu_counter_init(&counter, 0) != 0);
	if (!wl_counter_started(&run, st, "counter-percpu"))
		return -ENOMEM;	/* every thread fails alike: no barrier after */
	while (kmb_gb_keep_running_batch(st, WL_COUNTER_BATCH)) {
		for (int i = 0; i < WL_COUNTER_BATCH; i++)
			percpu_counter_add(&counter, 1);
		mine += WL_COUNTER_BATCH;
	}
	kmb_gb_set_items_processed(st, mine);
	total = wl_counter_finish(&run, st, mine);
	if (first) {
		err = wl_counter_check(st, "counter-percpu", percpu_counter_sum(&counter), total);
		kmb_gb_set_counter(st, "percpu_rseq", kmb_rseq_status(NULL) ? 1 : 0,
				   KMB_GB_CTR_DEFAULT);
		percpu_counter_destroy(&counter);
	}
	return err;
}

const struct kmb_workload kmb_workload_counter_percpu = {
	.name = "counter-percpu",
	.description = "percpu_counter_add(1) from every thread, checked exactly at the end",
	.flags = KMB_WL_NO_ALLOCATOR,
	.run = counter_percpu_run,
};
