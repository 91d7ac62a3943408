/*
 * false_share_active.c - active false sharing, the shape of cache-thrash (Berger et al.,
 * "Hoard: A Scalable Memory Allocator for Multithreaded Applications", ASPLOS 2000; in
 * mimalloc-bench as cache-thrash): every thread allocates its own small object, writes it,
 * frees it and allocates the next, again and again (wl_lines.h: one iteration is one write
 * pass over the object).  No object crosses threads.
 *
 * It asks whether the allocator itself hands neighbouring objects to different CPUs: one whose
 * threads or CPUs allocate from caches of their own (per-CPU sheaves filled from separate
 * slabs, per-thread heaps) keeps their objects on different lines even when the layout packs
 * them, and runs as fast as the aligned layout; one that serves threads from one shared run of
 * objects puts them side by side and pays on every write.  About 1x slab-packed / slab is the
 * expected finding, not a failure: the false sharing that alignment prevents needs objects to
 * cross threads (false_share_passive.c).
 *
 * Counter (thread 0's): shared_lines, the lines the objects the threads hold at the end share.
 */
#include <errno.h>
#include <stdio.h>

#include "wl_lines.h"

#define NAME "false-share-active"

static struct wl_lines lines = WL_LINES_INIT;

static int false_share_active_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
				  const struct kmb_workload_params *p)
{
	void *obj = b->alloc(p->size, GFP_KERNEL, NUMA_NO_NODE);
	int64_t items = 0;
	int err = 0;

	if (!obj) {
		char msg[128];

		snprintf(msg, sizeof(msg), NAME ": %s alloc of %zu bytes returned NULL", b->name,
			 p->size);
		kmb_gb_skip_with_error(st, msg);
		err = -ENOMEM;
	}
	/* Every thread runs the loop (a failed one ends it at once) and reaches the barriers. */
	obj = wl_lines_loop(st, b, p->size, obj, NAME, &items, &err);
	kmb_gb_set_items_processed(st, items);
	wl_lines_publish(&lines, st, p->size, obj, "shared_lines");
	b->free(obj, p->size);
	return err;
}

const struct kmb_workload kmb_workload_false_share_active = {
	.name = NAME,
	.description = "active false sharing (cache-thrash): each thread allocates, writes and "
		       "frees its own small objects; one op = one write pass",
	.params = KMB_P_SIZE,
	.run = false_share_active_run,
};
