/*
 * wl_ring.h - the hand-off of the workloads whose objects are freed on another thread than the
 * one that allocated them (remote-free, remote-free-matrix): a bounded single-producer /
 * single-consumer ring of object pointers per producer-consumer pair, and the pairs' setup and
 * teardown around the timed loop.
 *
 * The ring: WL_RING_SLOTS pointers, the producer's tail and the consumer's head each on its own
 * cache line, each side keeping a private copy of the other's index (struct wl_ring_end) and
 * reading the shared one only when the copy says full (producer) or empty (consumer), as
 * FastForward and the kernel's ptr_ring (include/linux/ptr_ring.h) do.  Indices are
 * free-running; slot = index % WL_RING_SLOTS.  A side that must wait spins (pause) a while,
 * then yields: two threads on one CPU take turns.
 *
 * Pairs: thread 2k of a run is pair k's producer, thread 2k+1 its consumer.  wl_pair_open()
 * maps each pair's ring (zeroed: empty, not stopped) and waits for every thread of the run;
 * wl_pair_close() frees, on the consumer, whatever a failed producer left in the ring, waits
 * for every thread again, and unmaps.  Every thread of a run calls both, failures included.
 *
 * Failure: a producer whose allocation fails calls wl_ring_stop(); its consumer's
 * wl_ring_get() then returns false once the ring is empty.
 */
#ifndef KMB_WL_RING_H
#define KMB_WL_RING_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "wl_sync.h"
#include "workload.h"

#define WL_RING_SLOTS 512	/* objects in flight per pair, at most; a power of two */
#define WL_RING_LINE 64
#define WL_MAX_PAIRS 512	/* KMB_MAX_THREADS / 2 */
#define WL_SPINS_BEFORE_YIELD 1024

_Static_assert((WL_RING_SLOTS & (WL_RING_SLOTS - 1)) == 0, "WL_RING_SLOTS is a power of two");

struct wl_ring {
	_Alignas(WL_RING_LINE) _Atomic uint64_t tail;	/* the producer's: next slot to fill */
	atomic_bool stop;				/* the producer failed: drain, then stop */
	_Alignas(WL_RING_LINE) _Atomic uint64_t head;	/* the consumer's: next slot to take */
	_Alignas(WL_RING_LINE) void *_Atomic slot[WL_RING_SLOTS];
};

/* One side's private state: its own index and its last look at the other side's. */
struct wl_ring_end {
	uint64_t mine, seen;
	unsigned int spins;	/* spins before yielding; WL_SPINS_BEFORE_YIELD, or 0 when the
				 * other side is known to share this CPU (spinning cannot help) */
};

#define WL_RING_END_INIT { 0, 0, WL_SPINS_BEFORE_YIELD }

/* The pairs of one workload: a ring per pair, mapped by its producer, and the run's barrier. */
struct wl_pairs {
	struct wl_ring *ring[WL_MAX_PAIRS];
	struct wl_barrier barrier;
};

#define WL_PAIRS_INIT { { NULL }, WL_BARRIER_INIT }

/* Waiting for the other side: spin @limit times, then yield. */
static inline void wl_ring_wait(unsigned int spins, unsigned int limit)
{
	if (spins < limit)
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#else
		__asm__ __volatile__("" ::: "memory");
#endif
	else
		sched_yield();
}

/* wl_ring_put - the producer's: @obj into the next slot, waiting for room. */
static inline void wl_ring_put(struct wl_ring *r, struct wl_ring_end *e, void *obj)
{
	uint64_t t = e->mine;

	for (unsigned int spins = 0; __builtin_expect(t - e->seen >= WL_RING_SLOTS, 0); spins++) {
		e->seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t - e->seen >= WL_RING_SLOTS)
			wl_ring_wait(spins, e->spins);
	}
	atomic_store_explicit(&r->slot[t % WL_RING_SLOTS], obj, memory_order_relaxed);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	e->mine = t + 1;
}

/* wl_ring_get - the consumer's: the next object into *obj, waiting for one; false when the
 * producer stopped and the ring is empty. */
static inline bool wl_ring_get(struct wl_ring *r, struct wl_ring_end *e, void **obj)
{
	uint64_t h = e->mine;

	for (unsigned int spins = 0; __builtin_expect(h == e->seen, 0); spins++) {
		e->seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h != e->seen)
			break;
		if (atomic_load_explicit(&r->stop, memory_order_acquire) &&
		    h == atomic_load_explicit(&r->tail, memory_order_acquire))
			return false;
		wl_ring_wait(spins, e->spins);
	}
	*obj = atomic_load_explicit(&r->slot[h % WL_RING_SLOTS], memory_order_relaxed);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	e->mine = h + 1;
	return true;
}

/* wl_ring_stop - the producer failed: its consumer drains the ring, then stops. */
static inline void wl_ring_stop(struct wl_ring *r)
{
	atomic_store_explicit(&r->stop, true, memory_order_release);
}

static inline bool wl_ring_stopped(struct wl_ring *r)
{
	return atomic_load_explicit(&r->stop, memory_order_acquire);
}

/*
 * wl_pair_open - before the timed loop, on every thread of the run: the producer maps its
 * pair's ring, and every thread waits for all.  The thread's ring, or NULL when it could not
 * be mapped (the run is then failed with the reason, naming @wl, and returns -ENOMEM from the
 * workload after its loop).  Needs an even thread count of at most 2 x WL_MAX_PAIRS (checked
 * by wl_pair_check).
 */
static inline struct wl_ring *wl_pair_open(struct wl_pairs *ps, struct kmb_gb_state *st,
					   const char *wl)
{
	const int tid = kmb_gb_thread_index(st);
	struct wl_ring *r;

	if (!(tid & 1)) {
		r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		ps->ring[tid / 2] = r == MAP_FAILED ? NULL : r;
	}
	wl_barrier_wait(&ps->barrier, kmb_gb_threads(st));	/* every pair's ring mapped */
	r = ps->ring[tid / 2];
	if (!r) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s: cannot map the ring of pair %d", wl, tid / 2);
		kmb_gb_skip_with_error(st, msg);
	}
	return r;
}

/* wl_pair_check - whether the run's thread count pairs up; if not, the run fails with the
 * reason (naming @wl) and the workload returns -EINVAL without calling wl_pair_open. */
static inline bool wl_pair_check(struct kmb_gb_state *st, const char *wl)
{
	const int n = kmb_gb_threads(st);
	char msg[160];

	if (!(n & 1) && n / 2 <= WL_MAX_PAIRS)
		return true;
	snprintf(msg, sizeof(msg), "%s: needs an even number of threads (producer-consumer pairs), "
		 "at most %d, not %d", wl, 2 * WL_MAX_PAIRS, n);
	kmb_gb_skip_with_error(st, msg);
	return false;
}

/*
 * wl_pair_close - after the timed loop, on every thread of the run: a consumer whose producer
 * stopped frees, through @b, what is left in the ring (objects of @size); then every thread
 * waits for all, and the producer unmaps the ring.
 */
static inline void wl_pair_close(struct wl_pairs *ps, struct kmb_gb_state *st, struct wl_ring *r,
				 struct wl_ring_end *e, const struct kmb_backend_ops *b,
				 size_t size)
{
	const int tid = kmb_gb_thread_index(st);
	void *obj;

	if (r && (tid & 1) && wl_ring_stopped(r))
		while (wl_ring_get(r, e, &obj))
			b->free(obj, size);
	wl_barrier_wait(&ps->barrier, kmb_gb_threads(st));	/* every ring drained */
	if (r && !(tid & 1)) {
		munmap(r, sizeof(*r));
		ps->ring[tid / 2] = NULL;
	}
}

#endif
