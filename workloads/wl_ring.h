/*
 * wl_ring.h - a bounded single-producer/single-consumer ring of object pointers: the channel
 * through which one benchmark thread hands objects to another, which frees them (remote-free's
 * pairs, prodcons's producer-consumer rings).
 *
 * The ring is cap slots (a power of two), the producer's tail and the consumer's head each on
 * its own cache line.  Each side keeps its own index and a private copy of the other's
 * (struct wl_ring_end, in the thread's own memory) and reads the shared one only when its copy
 * says full (producer) or empty (consumer), as FastForward (Giacomoni et al., PPoPP 2008) and
 * the kernel's ptr_ring (include/linux/ptr_ring.h) keep the two sides off each other's line.
 * Indices are free-running; slot = index & (cap - 1).
 *
 * Invariants: 0 <= tail - head <= cap; the slots of head .. tail - 1 hold the objects put and
 * not yet taken; only the producer writes tail and stop, only the consumer head.  A ring is
 * wl_ring_bytes(cap) bytes of zeroed memory (mmap): empty, not stopped.
 *
 * Stopping: a producer that fails sets stop after its last put; the consumer takes what is
 * left, then wl_ring_take returns NULL.  A run whose threads depend on each other across
 * several rings also passes @abort, a flag any thread sets when it fails: a wait for room or
 * for an object gives up when it is set.
 */
#ifndef KMB_WL_RING_H
#define KMB_WL_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wl_sync.h"

#define WL_RING_LINE 64

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
};

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
		wl_spin_wait(spins);
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
		wl_spin_wait(spins);
	}
	obj = atomic_load_explicit(&r->slot[h & (cap - 1)], memory_order_relaxed);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	e->mine = h + 1;
	return obj;
}

#endif
