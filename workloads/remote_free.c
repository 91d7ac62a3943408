/*
 * remote_free.c - remote frees, the shape of xmalloc-test (Lever and Boreham, "malloc()
 * Performance in a Multithreaded Linux Environment", USENIX 2000): objects allocated on one
 * CPU and freed on another.
 *
 * The threads of a run work in pairs: thread 2k is a producer, thread 2k+1 its consumer.  The
 * producer allocates objects of @size bytes, writes the first byte of each, and hands them
 * through a bounded single-producer/single-consumer ring to its consumer, which frees them.
 * Every free is therefore remote: the object comes from a per-CPU (or per-thread) cache of
 * another CPU, which is the case per-CPU caches handle worst (a slab's objects drift to the
 * consumer's cache, or go back to their node under a lock).  Both sides count one iteration
 * per object (the producer's allocation, the consumer's free), so real_time x threads is the
 * time one object takes through a pair; items count objects once (the producer's), so
 * items_per_second is objects allocated and freed per second over all pairs.
 *
 * The ring, and the pairs' setup and teardown, are workloads/wl_ring.h's (shared with
 * remote-free-matrix): 512 slots a pair.
 *
 * An odd thread count (1 included) cannot be paired: every thread fails the run with the
 * reason.  Which CPUs a pair lands on is the pin policy's: with compact pinning, neighbours
 * (on SMT machines perhaps siblings of one core); scatter spreads them.
 *
 * Failure: a producer whose allocation fails sets its ring's stop flag and fails the run; its
 * consumer frees what is left in the ring and fails too.  Every thread reaches every barrier,
 * Google Benchmark's (through the keep-running loop) and this file's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "wl_ring.h"
#include "workload.h"

#define OPS_PER_BATCH 64	/* objects per keep-running batch, on both sides */

static struct wl_pairs pairs = WL_PAIRS_INIT;

/* Fill @n objects into @r; false when an allocation failed (message in @msg). */
static bool produce(struct wl_ring *r, struct wl_ring_end *e, const struct kmb_backend_ops *b,
		    size_t size, int n, char *msg, size_t len)
{
	for (int i = 0; i < n; i++) {
		char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!obj, 0)) {
			snprintf(msg, len, "remote-free: %s alloc of %zu bytes returned NULL",
				 b->name, size);
			return false;
		}
		*(volatile char *)obj = (char)e->mine;
		wl_ring_put(r, WL_RING_SLOTS, e, obj, NULL);
	}
	return true;
}

/* Take and free @n objects from @r; false when the producer stopped and the ring ran dry. */
static bool consume(struct wl_ring *r, struct wl_ring_end *e, const struct kmb_backend_ops *b,
		    size_t size, int n)
{
	for (int i = 0; i < n; i++) {
		void *obj = wl_ring_take(r, WL_RING_SLOTS, e, NULL);

		if (!obj)
			return false;
		b->free(obj, size);
	}
	return true;
}

static int remote_free_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			   const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st);
	const bool producer = !(tid & 1);
	struct wl_ring_end e = WL_RING_END_INIT;
	int64_t objects = 0;
	struct wl_ring *r;
	char msg[160];
	int err = 0;

	if (!wl_pair_check(st, "remote-free"))
		return -EINVAL;
	r = wl_pair_open(&pairs, st, "remote-free");
	if (!r)
		err = -ENOMEM;
	/* After a failure the next call passes Google Benchmark's stop barrier and ends the
	 * loop: every thread keeps calling it, so no thread waits there for one that left. */
	while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH)) {
		if (producer) {
			if (!produce(r, &e, b, p->size, OPS_PER_BATCH, msg, sizeof(msg))) {
				wl_ring_stop(r);
				err = -ENOMEM;
			}
		} else if (!consume(r, &e, b, p->size, OPS_PER_BATCH)) {
			snprintf(msg, sizeof(msg), "remote-free: the producer of pair %d failed",
				 tid / 2);
			err = -ENOMEM;
		}
		if (err)
			kmb_gb_skip_with_error(st, msg);
		else if (producer)
			objects += OPS_PER_BATCH;
	}
	kmb_gb_set_items_processed(st, objects);
	wl_pair_close(&pairs, st, r, &e, b, p->size);
	return err;
}

const struct kmb_workload kmb_workload_remote_free = {
	.name = "remote-free",
	.description = "remote frees (xmalloc-test): thread pairs, a producer allocates, its "
		       "consumer on another CPU frees; one op = one object",
	.params = KMB_P_SIZE,
	.run = remote_free_run,
};
