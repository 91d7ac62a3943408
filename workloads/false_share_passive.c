/*
 * false_share_passive.c - passive false sharing, the shape of cache-scratch (Berger et al.,
 * "Hoard: A Scalable Memory Allocator for Multithreaded Applications", ASPLOS 2000; in
 * mimalloc-bench as cache-scratch): thread 0 allocates one small object per thread, one after
 * the other, and hands thread i the i-th.  Each thread writes its object, frees it, allocates
 * another of the same size and writes that one, again and again (wl_lines.h: one iteration is
 * one write pass over the object).
 *
 * Consecutive objects of one cache are neighbours: where the layout packs them (slab-packed, 16
 * bytes), the objects of different threads share cache lines, and every write takes the line
 * from another CPU.  The allocator decides whether that lasts: one that gives a freed object
 * back to the freeing CPU's cache (the sheaves, tcache) hands it out again to the same thread,
 * and the sharing stays for the whole run; one that returns it to the CPU or heap it came from
 * hands the thread an object of its own.  SLAB_HWCACHE_ALIGN (slab) puts every object on its
 * own line, so nothing is shared whichever it does.
 *
 * Counters (thread 0's): handed_shared_lines, the lines the handed objects share (the layout),
 * and shared_lines, the lines the objects the threads hold at the end share (what the
 * allocator made of it).  At the end thread 0 frees every thread's object, the last handed
 * first, so the next run of the family (calibration, repetitions) is handed the same
 * neighbours again from a LIFO per-CPU cache.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "wl_lines.h"

#define NAME "false-share-passive"

static struct wl_lines lines = WL_LINES_INIT;
static atomic_bool setup_failed;

/* On thread 0: one object per thread, consecutive allocations, into lines.obj; false (all
 * freed) when an allocation failed. */
static bool hand_out(const struct kmb_backend_ops *b, size_t size, int n)
{
	for (int i = 0; i < n; i++) {
		lines.obj[i] = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
		if (!lines.obj[i]) {
			while (i--)
				b->free(lines.obj[i], size);
			return false;
		}
	}
	return true;
}

static int false_share_passive_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
				   const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), n = kmb_gb_threads(st);
	int64_t items = 0;
	int err = 0;
	void *obj;

	if (tid == 0) {
		atomic_store(&setup_failed, !hand_out(b, p->size, n));
		if (!atomic_load(&setup_failed))
			kmb_gb_set_counter(st, "handed_shared_lines",
					   wl_lines_shared(lines.obj, n, p->size),
					   KMB_GB_CTR_DEFAULT);
	}
	wl_barrier_wait(&lines.barrier, n);		/* every object handed */
	if (atomic_load(&setup_failed)) {
		char msg[128];

		snprintf(msg, sizeof(msg), NAME ": %s alloc of %zu bytes returned NULL handing "
			 "out %d objects", b->name, p->size, n);
		kmb_gb_skip_with_error(st, msg);
		return -ENOMEM;
	}
	obj = wl_lines_loop(st, b, p->size, lines.obj[tid], NAME, &items, &err);
	kmb_gb_set_items_processed(st, items);
	wl_lines_publish(&lines, st, p->size, obj, "shared_lines");
	if (tid == 0)
		for (int i = n; i--;)
			b->free(lines.obj[i], p->size);
	wl_barrier_wait(&lines.barrier, n);		/* lines.obj free for the next run */
	return err;
}

const struct kmb_workload kmb_workload_false_share_passive = {
	.name = NAME,
	.description = "passive false sharing (cache-scratch): one thread hands each thread a "
		       "neighbouring object, each writes, frees and reallocates its own; one op = "
		       "one write pass",
	.params = KMB_P_SIZE,
	.run = false_share_passive_run,
};
