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
 * The ring: RING_SLOTS pointers, the producer's tail and the consumer's head each on its own
 * cache line, each side keeping a private copy of the other's index and reading the shared one
 * only when the copy says full (producer) or empty (consumer), as FastForward and the kernel's
 * ptr_ring do.  Indices are free-running; slot = index % RING_SLOTS.
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
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "wl_sync.h"
#include "workload.h"

#define RING_SLOTS 512		/* objects in flight per pair, at most; a power of two */
#define OPS_PER_BATCH 64	/* objects per keep-running batch, on both sides */
#define LINE 64
#define MAX_PAIRS 512		/* KMB_MAX_THREADS / 2 */

_Static_assert((RING_SLOTS & (RING_SLOTS - 1)) == 0, "RING_SLOTS is a power of two");

struct ring {
	_Alignas(LINE) _Atomic uint64_t tail;	/* the producer's: next slot to fill */
	atomic_bool stop;			/* the producer failed: drain, then stop */
	_Alignas(LINE) _Atomic uint64_t head;	/* the consumer's: next slot to take */
	_Alignas(LINE) void *_Atomic slot[RING_SLOTS];
};

static struct ring *rings[MAX_PAIRS];	/* per pair, mapped by its producer */
static struct wl_barrier barrier = WL_BARRIER_INIT;

/* Fill @n objects into @r; false when an allocation failed (message in @msg). */
static bool produce(struct ring *r, uint64_t *tail, uint64_t *head_seen,
		    const struct kmb_backend_ops *b, size_t size, int n, char *msg, size_t len)
{
	uint64_t t = *tail;

	for (int i = 0; i < n; i++, t++) {
		char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!obj, 0)) {
			snprintf(msg, len, "remote-free: %s alloc of %zu bytes returned NULL",
				 b->name, size);
			*tail = t;
			return false;
		}
		*(volatile char *)obj = (char)t;
		for (unsigned int spins = 0; __builtin_expect(t - *head_seen >= RING_SLOTS, 0);
		     spins++) {
			*head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
			if (t - *head_seen >= RING_SLOTS)
				wl_wait_turn(spins);
		}
		atomic_store_explicit(&r->slot[t % RING_SLOTS], obj, memory_order_relaxed);
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	}
	*tail = t;
	return true;
}

/* Take and free @n objects from @r; false when the producer stopped and the ring ran dry. */
static bool consume(struct ring *r, uint64_t *head, uint64_t *tail_seen,
		    const struct kmb_backend_ops *b, size_t size, int n)
{
	uint64_t h = *head;

	for (int i = 0; i < n; i++, h++) {
		for (unsigned int spins = 0; __builtin_expect(h == *tail_seen, 0); spins++) {
			*tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
			if (h != *tail_seen)
				break;
			if (atomic_load_explicit(&r->stop, memory_order_acquire) &&
			    h == atomic_load_explicit(&r->tail, memory_order_acquire)) {
				*head = h;
				return false;
			}
			wl_wait_turn(spins);
		}
		b->free(atomic_load_explicit(&r->slot[h % RING_SLOTS], memory_order_relaxed),
			size);
		atomic_store_explicit(&r->head, h + 1, memory_order_release);
	}
	*head = h;
	return true;
}

static int remote_free_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			   const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	const bool producer = !(tid & 1);
	uint64_t mine = 0, seen = 0;
	int64_t objects = 0;
	struct ring *r;
	char msg[160];
	int err = 0;

	if ((nthreads & 1) || nthreads / 2 > MAX_PAIRS) {
		snprintf(msg, sizeof(msg), "remote-free: needs an even number of threads "
			 "(producer-consumer pairs), at most %d, not %d", 2 * MAX_PAIRS, nthreads);
		kmb_gb_skip_with_error(st, msg);
		return -EINVAL;
	}
	if (producer) {
		r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		rings[tid / 2] = r == MAP_FAILED ? NULL : r;	/* zeroed: empty, not stopped */
	}
	wl_barrier_wait(&barrier, nthreads);		/* every pair's ring mapped */
	r = rings[tid / 2];
	if (!r) {
		snprintf(msg, sizeof(msg), "remote-free: cannot map the ring of pair %d", tid / 2);
		kmb_gb_skip_with_error(st, msg);
		err = -ENOMEM;
	}
	/* After a failure the next call passes Google Benchmark's stop barrier and ends the
	 * loop: every thread keeps calling it, so no thread waits there for one that left. */
	while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH)) {
		if (producer) {
			if (!produce(r, &mine, &seen, b, p->size, OPS_PER_BATCH, msg,
				     sizeof(msg))) {
				atomic_store_explicit(&r->stop, true, memory_order_release);
				err = -ENOMEM;
			}
		} else if (!consume(r, &mine, &seen, b, p->size, OPS_PER_BATCH)) {
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
	/* After a producer's failure: free what it left in the ring (consume ends at empty). */
	if (r && !producer && atomic_load_explicit(&r->stop, memory_order_acquire))
		while (consume(r, &mine, &seen, b, p->size, 1))
			;
	wl_barrier_wait(&barrier, nthreads);		/* every ring drained */
	if (r && producer) {
		munmap(r, sizeof(*r));
		rings[tid / 2] = NULL;
	}
	return err;
}

const struct kmb_workload kmb_workload_remote_free = {
	.name = "remote-free",
	.description = "remote frees (xmalloc-test): thread pairs, a producer allocates, its "
		       "consumer on another CPU frees; one op = one object",
	.params = KMB_P_SIZE,
	.run = remote_free_run,
};
