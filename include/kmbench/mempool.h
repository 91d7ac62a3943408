/*
 * mempool.h - memory pools: guaranteed forward progress from a reserve (include/linux/mempool.h).
 *
 * A pool keeps min_nr preallocated elements of some underlying allocator (a slab cache, kmalloc,
 * the page allocator, or any pair of functions).  mempool_alloc() asks the allocator first and
 * falls back to the reserve; a caller that may sleep waits for a mempool_free() when the reserve
 * is empty, and so never fails.  The elements a pool hands out are the allocator's own objects:
 * mempool_free() either refills the reserve or gives the element back to the allocator.
 *
 * Context: once mempool_init/mempool_create has returned, mempool_alloc and mempool_free may be
 * called from any thread.  mempool_exit/destroy run when no other thread uses the pool, and every
 * element has been given back (as in the kernel, elements still out are simply not the pool's).
 * mempool_resize may run at any time.
 *
 * kmbench additions (not in the kernel): a fault-injection setting per pool that makes the
 * underlying allocation fail with a given probability (the kernel's fail_page_alloc and failslab,
 * narrowed to one pool), and counters of the slow path: reserve use, waits and time waited, per
 * sleep and per allocation.
 */
#ifndef KMBENCH_MEMPOOL_H
#define KMBENCH_MEMPOOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kmbench/gfp.h"
#include "kmbench/mm.h"
#include "kmbench/slab.h"

typedef void *(mempool_alloc_t)(gfp_t gfp_mask, void *pool_data);
typedef void (mempool_free_t)(void *element, void *pool_data);

/* The fields are the kernel's, plus kmbench's fault injection and counters.  Read them through
 * kmb_mempool_stats(); they change under @lock. */
typedef struct mempool {
	pthread_mutex_t lock;		/* the kernel's spinlock: a mutex, for the condvar */
	int min_nr;			/* nr of elements at *elements */
	int curr_nr;			/* current nr of elements at *elements */
	void **elements;

	void *pool_data;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
	pthread_cond_t wait;		/* the kernel's wait_queue_head_t */
	int nr_waiting;			/* sleepers on @wait: mempool_free wakes only when > 0 */

	/* kmbench: fault injection (permille of underlying allocations made to fail; the
	 * decisions are drawn per thread, mempool.c). */
	unsigned int fail_permille;

	/* kmbench: counters of the slow path (under @lock, except nr_injected: atomic). */
	unsigned long nr_from_reserve;	/* elements taken from the reserve */
	unsigned long nr_null;		/* NULLs returned to callers that may not sleep */
	unsigned long nr_waits;		/* sleeps of callers waiting for a free */
	unsigned long nr_waited;	/* allocations that slept at least once */
	uint64_t wait_ns;		/* time those sleeps took, in total */
	uint64_t max_wait_ns;		/* the longest time one allocation slept, all its sleeps */
	unsigned long nr_injected;	/* underlying allocations failed on purpose */
} mempool_t;

/*
 * mempool_init - set up @pool in the caller's storage and fill its reserve with @min_nr elements
 * from @alloc_fn(GFP_KERNEL, @pool_data).  0, or -ENOMEM with everything undone.
 * Context: may sleep.
 */
KMB_API int mempool_init(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
			 mempool_free_t *free_fn, void *pool_data);
/* mempool_exit - give the reserve back to free_fn and release what mempool_init took. */
KMB_API void mempool_exit(mempool_t *pool);
/* mempool_create - mempool_init into new storage.  The pool, or NULL. */
KMB_API mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
				  void *pool_data);
/* mempool_destroy - mempool_exit and free the storage; NULL is ignored. */
KMB_API void mempool_destroy(mempool_t *pool);

/*
 * mempool_resize - change the reserve's size to @new_min_nr (> 0).  Shrinking gives the surplus
 * elements to free_fn at once; growing allocates the new elements with GFP_KERNEL, and as in the
 * kernel returns 0 even when one of those allocations fails (the reserve then refills from
 * mempool_free).  -ENOMEM only when the new element array cannot be had; -EINVAL for
 * @new_min_nr <= 0 (the kernel's BUG_ON).  Context: may sleep.
 */
KMB_API int mempool_resize(mempool_t *pool, int new_min_nr);

/*
 * mempool_alloc - an element of @pool.  The underlying allocator is tried first with
 * __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN added and, on that first try, without
 * __GFP_DIRECT_RECLAIM and __GFP_IO; then the reserve.  When the reserve is empty a caller that
 * may not sleep (no __GFP_DIRECT_RECLAIM: GFP_ATOMIC, GFP_NOWAIT) gets NULL; one that may tries
 * the allocator once more with its full flags, then sleeps until a mempool_free (or 5 seconds,
 * the kernel's io_schedule_timeout(5*HZ)) and starts over.
 * Context: with __GFP_DIRECT_RECLAIM it never returns NULL; it may sleep for as long as no other
 * thread frees an element.  __GFP_ZERO is not supported (the kernel warns): a reserved element
 * is not zeroed.
 */
KMB_API void *mempool_alloc(mempool_t *pool, gfp_t gfp_mask);
/* mempool_free - @element back into the reserve while it holds fewer than min_nr, else to
 * free_fn; wakes the callers waiting in mempool_alloc.  NULL is ignored. */
KMB_API void mempool_free(void *element, mempool_t *pool);

/* Ready-made pairs: a slab cache (@pool_data: struct kmem_cache *), kmalloc (@pool_data: the
 * size, cast to a pointer), pages (@pool_data: the order, cast; elements are struct page *). */
KMB_API void *mempool_alloc_slab(gfp_t gfp_mask, void *pool_data);
KMB_API void mempool_free_slab(void *element, void *pool_data);
KMB_API void *mempool_kmalloc(gfp_t gfp_mask, void *pool_data);
KMB_API void mempool_kfree(void *element, void *pool_data);
KMB_API void *mempool_alloc_pages(gfp_t gfp_mask, void *pool_data);
KMB_API void mempool_free_pages(void *element, void *pool_data);

KMB_API mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *cache);
KMB_API mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size);
KMB_API mempool_t *mempool_create_page_pool(int min_nr, unsigned int order);

/* --- kmbench: fault injection and counters --- */

/*
 * kmb_mempool_set_fail - make @permille (0..1000) of @pool's underlying allocations fail, before
 * the allocator is called: at mempool_alloc, at mempool_resize's growth and at nothing else (set
 * it after mempool_init, which must fill the reserve).  0 turns it off.  The decisions are a
 * fixed pseudo-random sequence per thread (the kernel draws them from per-CPU random state), so
 * deciding touches no shared cache line and a single-threaded run repeats exactly.
 */
KMB_API void kmb_mempool_set_fail(mempool_t *pool, unsigned int permille);

struct kmb_mempool_stats {
	int min_nr, curr_nr;
	unsigned long nr_from_reserve, nr_null, nr_waits, nr_waited, nr_injected;
	uint64_t wait_ns, max_wait_ns;
};

/* kmb_mempool_stats - a consistent snapshot of @pool's counters (see struct mempool). */
KMB_API void kmb_mempool_stats(mempool_t *pool, struct kmb_mempool_stats *st);
/* kmb_mempool_reset_stats - zero @pool's counters (not min_nr, curr_nr or the fault setting). */
KMB_API void kmb_mempool_reset_stats(mempool_t *pool);

#endif
