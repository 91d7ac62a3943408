/*
 * wl_ring.h - the hand-off of the workloads whose objects are freed on another thread than the
 * one that allocated them (remote-free, remote-free-matrix, prodcons, larson's arrays are not):
 * a bounded single-producer/single-consumer ring of object pointers, and for the workloads that
 * run in producer-consumer pairs, the pairs' setup and teardown around the timed loop.
 *
 * The ring is cap slots (a power of two; the pairs' rings WL_RING_SLOTS), the producer's tail
 * and the consumer's head each on its own cache line.  Each side keeps its own index and a
 * private copy of the other's (struct wl_ring_end, in the thread's own memory) and reads the
 * shared one only when its copy says full (producer) or empty (consumer), as FastForward
 * (Giacomoni et al., PPoPP 2008) and the kernel's ptr_ring (include/linux/ptr_ring.h) keep the
 * two sides off each other's line.  Indices are free-running; slot = index & (cap - 1).  A side
 * that must wait spins a while, then yields (wl_spin_wait); one that knows the other side
 * shares its CPU (wl_ring_end.same_cpu) yields at once, since spinning cannot help.
 *
 * Invariants: 0 <= tail - head <= cap; the slots of head .. tail - 1 hold the objects put and
 * not yet taken; only the producer writes tail and stop, only the consumer head.  A ring is
 * wl_ring_bytes(cap) bytes of zeroed memory (mmap): empty, not stopped.  A zeroed wl_ring_end
 * is a fresh one.
 *
 * Stopping: a producer that fails sets stop after its last put (wl_ring_stop); the consumer
 * takes what is left, then wl_ring_take returns NULL.  A run whose threads depend on each other
 * across several rings also passes @abort, a flag any thread sets when it fails: a wait for
 * room or for an object gives up when it is set.  Objects are never NULL.
 *
 * Pairs: thread 2k of a run is pair k's producer, thread 2k+1 its consumer.  wl_pair_open()
 * maps each pair's ring and waits for every thread of the run; wl_pair_close() frees, on the
 * consumer, whatever a failed producer left in the ring, waits for every thread again, and
 * unmaps.  Every thread of a run calls both, failures included.
 */
#ifndef KMB_WL_RING_H
#define KMB_WL_RING_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "wl_sync.h"
#include "workload.h"

#define WL_RING_LINE 64
#define WL_RING_SLOTS 512	/* objects in flight per pair, at most; a power of two */
#define WL_MAX_PAIRS 512	/* KMB_MAX_THREADS / 2 */

_Static_assert((WL_RING_SLOTS & (WL_RING_SLOTS - 1)) == 0, "WL_RING_SLOTS is a power of two");

struct wl_ring {
	_Alignas(WL_RING_LINE) _Atomic uint64_t tail;	/* the producer's: next slot to fill */
	atomic_bool stop;				/* the producer failed: drain, then stop */
	_Alignas(WL_RING_LINE) _Atomic uint64_t head;	/* the consumer's: next slot to take */
	_Alignas(WL_RING_LINE) void *_Atomic slot[];	/* cap of them */
};

/* One side's private state: its own index and its last reading of the other side's. */
struct wl_ring_end {
	uint64_t mine;
	uint64_t seen;
	bool same_cpu;		/* the other side waits on this CPU: yield, do not spin */
};

#define WL_RING_END_INIT { 0, 0, false }

/* Bytes of a ring of @cap slots. */
static inline size_t wl_ring_bytes(uint64_t cap)
{
	return sizeof(struct wl_ring) + cap * sizeof(void *);
}

/* @abort is set (NULL: never); acquire, so that what the failing thread wrote before setting
 * it with release (its reason) is seen after. */
static inline bool wl_aborted(const atomic_bool *abort)
{
	return abort && atomic_load_explicit(abort, memory_order_acquire);
}

/* One step of waiting for the other side, the @spins-th. */
static inline void wl_ring_wait(const struct wl_ring_end *e, unsigned int spins)
{
	if (e->same_cpu)
		sched_yield();
	else
		wl_spin_wait(spins);
}

/*
 * wl_ring_put - on the producer: @obj into the ring of @cap slots, waiting while it is full;
 * false, with nothing put, when @abort (may be NULL) was set while it waited.
 */
static inline bool wl_ring_put(struct wl_ring *r, uint64_t cap, struct wl_ring_end *e, void *obj,
			       const atomic_bool *abort)
{
	uint64_t t = e->mine;

	for (unsigned int spins = 0; __builtin_expect(t - e->seen >= cap, 0); spins++) {
		e->seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t - e->seen < cap)
			break;
		if (wl_aborted(abort))
			return false;
		wl_ring_wait(e, spins);
	}
	atomic_store_explicit(&r->slot[t & (cap - 1)], obj, memory_order_relaxed);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	e->mine = t + 1;
	return true;
}

/*
 * wl_ring_take - on the consumer: the next object of the ring of @cap slots, waiting while it
 * is empty; NULL when it is empty and the producer stopped, or @abort (may be NULL) is set.
 */
static inline void *wl_ring_take(struct wl_ring *r, uint64_t cap, struct wl_ring_end *e,
				 const atomic_bool *abort)
{
	uint64_t h = e->mine;
	void *obj;

	for (unsigned int spins = 0; __builtin_expect(h == e->seen, 0); spins++) {
		e->seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h != e->seen)
			break;
		/* stop is set after the last put: read tail again after it. */
		if ((atomic_load_explicit(&r->stop, memory_order_acquire) || wl_aborted(abort)) &&
		    h == (e->seen = atomic_load_explicit(&r->tail, memory_order_acquire)))
			return NULL;
		if (h != e->seen)
			break;
		wl_ring_wait(e, spins);
	}
	obj = atomic_load_explicit(&r->slot[h & (cap - 1)], memory_order_relaxed);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	e->mine = h + 1;
	return obj;
}

/* The pairs of one workload: a ring per pair, mapped by its producer, and the run's barrier. */
struct wl_pairs {
	struct wl_ring *ring[WL_MAX_PAIRS];
	struct wl_barrier barrier;
};

#define WL_PAIRS_INIT { { NULL }, WL_BARRIER_INIT }

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
		r = mmap(NULL, wl_ring_bytes(WL_RING_SLOTS), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
		while ((obj = wl_ring_take(r, WL_RING_SLOTS, e, NULL)))
			b->free(obj, size);
	wl_barrier_wait(&ps->barrier, kmb_gb_threads(st));	/* every ring drained */
	if (r && !(tid & 1)) {
		munmap(r, wl_ring_bytes(WL_RING_SLOTS));
		ps->ring[tid / 2] = NULL;
	}
}

#endif
