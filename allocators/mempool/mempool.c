/*
 * mempool.c - memory pools: a reserve of preallocated elements that guarantees forward progress
 * to callers that may sleep, after Linux's mm/mempool.c.
 *
 * Design.  A pool is a stack of up to min_nr elements (elements[0..curr_nr)) over an underlying
 * allocator given as a pair of functions.  The reserve is the last resort, not a cache: the
 * allocator is always asked first, so in normal operation the reserve stays full and costs
 * nothing but its memory.  Only when the allocator fails are elements taken from it; they come
 * back through mempool_free, which refills the reserve before it gives anything back to the
 * allocator.  A caller that may sleep and finds the reserve empty waits for such a free.  That is
 * the guarantee: as long as every element handed out is eventually freed, a sleeping
 * mempool_alloc returns.
 *
 * Invariants: 0 <= curr_nr <= min_nr except transiently in mempool_resize; elements[] has room
 * for max(min_nr, 1) (asserted in add_element and remove_element, as the kernel's BUG_ON(curr_nr
 * >= min_nr), at KMB_DEBUG >= 1); the fast paths (the allocator succeeds; the reserve is full on free) take
 * no lock.
 *
 * Lock order: pool->lock is innermost; the underlying allocator is never called under it (it
 * may sleep, and it may itself free into this pool through a shrinker).
 *
 * Differences from Linux: the lock is a mutex and the wait queue a condition variable (one
 * cannot sleep under a spinlock here, and a condvar needs a mutex); the pool's own storage and
 * element array come from the C library, not kmalloc, so that a pool's bookkeeping does not count
 * against the modelled memory; the fault injection and counters are kmbench's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmbench/mempool.h"
#include "lib.h"
#include "tools.h"
#if KMB_TOOLS
#include "slab.h"
#endif

/* The kernel's io_schedule_timeout(5*HZ): a waiter retries the allocator this often even
 * when no element is freed, since memory may have come back to the allocator instead. */
#define MEMPOOL_WAIT_NS		(5ULL * 1000000000ULL)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#if KMB_TOOLS
/*
 * kasan_poison_element, kasan_unpoison_element (mm/mempool.c): an element in the reserve is
 * free to the pool's users, so in a build with the tools (base/tools.h) it is poisoned there: a
 * slab or kmalloc pool's object of a SLAB_TOOLS cache as a freed memcheck block, a page pool's
 * pages NOACCESS, and given out again as a block (a kmalloc pool's of the pool's size, the rest
 * of its class poisoned) or accessible.  A pool of another allocator, and a large kmalloc's
 * pages, are left alone.
 */
static void element_tools(mempool_t *pool, void *element, bool reserve)
{
	struct kmem_cache *s;
	struct slab *slab;
	void *p;

	if (pool->alloc == mempool_alloc_slab || pool->alloc == mempool_kmalloc) {
		slab = virt_to_slab(element);
		s = slab ? slab->slab_cache : NULL;
		if (!s || !(s->flags & SLAB_TOOLS))
			return;
		if (reserve) {
			(void)kmb_tool_freelike(element, s->object_size);	/* memcheck says */
		} else {
			kmb_tool_malloclike(element, s->object_size);
			/* a kmalloc element at the size asked for, as kmalloc gives it */
			if (pool->alloc == mempool_kmalloc)
				kmb_tool_resize(element, s->object_size,
						(size_t)(uintptr_t)pool->pool_data);
		}
	} else if (pool->alloc == mempool_alloc_pages) {
		p = page_address(element);
		if (!p)
			return;
		if (reserve)
			kmb_tool_poison(p, PAGE_SIZE << (uintptr_t)pool->pool_data);
		else
			kmb_tool_unpoison(p, PAGE_SIZE << (uintptr_t)pool->pool_data);
	}
}
#else
static inline void element_tools(mempool_t *pool, void *element, bool reserve)
{
	(void)pool, (void)element, (void)reserve;
}
#endif

/*
 * curr_nr changes under pool->lock, and mempool_free reads it without the lock first
 * (read_curr_nr: the kernel's READ_ONCE in mm/mempool.c).  The stores are relaxed atomics, the
 * kernel's WRITE_ONCE: the unlocked read is only a hint, re-checked under the lock, but in C11
 * a plain store beside an atomic load is a data race (ThreadSanitizer reports it).
 */
static void add_element(mempool_t *pool, void *element)
{
	int n = pool->curr_nr;

	kmb_assert(pool->curr_nr >= 0 && pool->curr_nr < (pool->min_nr > 0 ? pool->min_nr : 1));
	element_tools(pool, element, true);
	pool->elements[n] = element;
	__atomic_store_n(&pool->curr_nr, n + 1, __ATOMIC_RELAXED);
}

static void *remove_element(mempool_t *pool)
{
	int n = pool->curr_nr - 1;

	kmb_assert(pool->curr_nr > 0);
	__atomic_store_n(&pool->curr_nr, n, __ATOMIC_RELAXED);
	element_tools(pool, pool->elements[n], false);
	return pool->elements[n];
}

static int read_curr_nr(mempool_t *pool)
{
	return __atomic_load_n(&pool->curr_nr, __ATOMIC_RELAXED);
}

/*
 * Should this underlying allocation fail on purpose?  Each thread draws from its own splitmix64
 * sequence, as the kernel's fault injection draws from per-CPU random state (lib/fault-inject.c,
 * should_fail_ex: get_random_u32_below): a decision touches no shared cache line, so injecting
 * failures does not itself slow the threads down.  A thread's sequence is seeded on its first
 * decision from the order in which threads first decided, so one thread repeats exactly from run
 * to run.  Only the count of injected failures is shared, and only failures pay for it.
 */
static _Thread_local uint64_t fail_state;	/* 0: not seeded yet */
static uint64_t fail_threads;			/* threads seeded so far; atomic */

static noinline uint64_t fail_seed(void)
{
	uint64_t n = __atomic_add_fetch(&fail_threads, 1, __ATOMIC_RELAXED);

	return n * 0xd1b54a32d192ed03ULL;	/* odd: never 0 */
}

static bool should_fail(mempool_t *pool)
{
	unsigned int permille = __atomic_load_n(&pool->fail_permille, __ATOMIC_RELAXED);
	uint64_t z;

	if (likely(!permille))
		return false;
	if (unlikely(!fail_state))
		fail_state = fail_seed();
	z = (fail_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	if (z % 1000 >= permille)
		return false;
	__atomic_fetch_add(&pool->nr_injected, 1, __ATOMIC_RELAXED);
	return true;
}

static void *pool_alloc(mempool_t *pool, gfp_t gfp)
{
	if (unlikely(should_fail(pool)))
		return NULL;
	return pool->alloc(gfp, pool->pool_data);
}

void mempool_exit(mempool_t *pool)
{
	while (pool->curr_nr)
		pool->free(remove_element(pool), pool->pool_data);
	free(pool->elements);
	pool->elements = NULL;
	pthread_cond_destroy(&pool->wait);
	pthread_mutex_destroy(&pool->lock);
}

int mempool_init(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
		 mempool_free_t *free_fn, void *pool_data)
{
	pthread_condattr_t attr;

	if (min_nr < 0)
		return -EINVAL;
	memset(pool, 0, sizeof(*pool));
	pool->min_nr = min_nr;
	pool->pool_data = pool_data;
	pool->alloc = alloc_fn;
	pool->free = free_fn;
	/* Room for one element even when min_nr is 0: mempool_free keeps one then (below). */
	pool->elements = calloc(min_nr > 0 ? (size_t)min_nr : 1, sizeof(void *));
	if (!pool->elements)
		return -ENOMEM;
	pthread_mutex_init(&pool->lock, NULL);
	/* A monotonic clock for the wait's timeout: a change of the wall clock must not make a
	 * waiter sleep for hours or spin. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->wait, &attr);
	pthread_condattr_destroy(&attr);

	/* First pre-allocate the guaranteed number of elements. */
	while (pool->curr_nr < pool->min_nr) {
		void *element = pool->alloc(GFP_KERNEL, pool->pool_data);

		if (unlikely(!element)) {
			mempool_exit(pool);
			return -ENOMEM;
		}
		add_element(pool, element);
	}
	return 0;
}

mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
			  void *pool_data)
{
	mempool_t *pool = malloc(sizeof(*pool));

	if (!pool)
		return NULL;
	if (mempool_init(pool, min_nr, alloc_fn, free_fn, pool_data)) {
		free(pool);
		return NULL;
	}
	return pool;
}

void mempool_destroy(mempool_t *pool)
{
	if (unlikely(!pool))
		return;
	mempool_exit(pool);
	free(pool);
}

int mempool_resize(mempool_t *pool, int new_min_nr)
{
	void **new_elements;
	void *element;

	if (new_min_nr <= 0)
		return -EINVAL;

	pthread_mutex_lock(&pool->lock);
	if (new_min_nr <= pool->min_nr) {
		while (new_min_nr < pool->curr_nr) {
			element = remove_element(pool);
			pthread_mutex_unlock(&pool->lock);
			pool->free(element, pool->pool_data);
			pthread_mutex_lock(&pool->lock);
		}
		pool->min_nr = new_min_nr;
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pthread_mutex_unlock(&pool->lock);

	/* Grow the pool. */
	new_elements = calloc((size_t)new_min_nr, sizeof(*new_elements));
	if (!new_elements)
		return -ENOMEM;

	pthread_mutex_lock(&pool->lock);
	if (unlikely(new_min_nr <= pool->min_nr)) {
		/* Raced: another resize did our work. */
		pthread_mutex_unlock(&pool->lock);
		free(new_elements);
		return 0;
	}
	memcpy(new_elements, pool->elements, (size_t)pool->curr_nr * sizeof(*new_elements));
	free(pool->elements);
	pool->elements = new_elements;
	pool->min_nr = new_min_nr;

	while (pool->curr_nr < pool->min_nr) {
		pthread_mutex_unlock(&pool->lock);
		element = pool_alloc(pool, GFP_KERNEL);
		if (!element)
			return 0;	/* as the kernel: mempool_free refills the rest */
		pthread_mutex_lock(&pool->lock);
		if (pool->curr_nr < pool->min_nr) {
			add_element(pool, element);
		} else {
			/* Raced: frees filled the reserve meanwhile. */
			pthread_mutex_unlock(&pool->lock);
			pool->free(element, pool->pool_data);
			return 0;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

/*
 * The reserve is empty and the caller may sleep: wait under pool->lock (held on entry and on
 * return) for a free to wake us, or for the timeout.  The condvar drops the lock atomically, so
 * a free that refills the reserve after our check cannot be missed.  Returns the time slept in
 * ns (at least 1).
 */
static uint64_t mempool_wait(mempool_t *pool)
{
	uint64_t start = now_ns(), deadline = start + MEMPOOL_WAIT_NS, slept;
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ULL),
			       .tv_nsec = (long)(deadline % 1000000000ULL) };

	pool->nr_waits++;
	pool->nr_waiting++;
	pthread_cond_timedwait(&pool->wait, &pool->lock, &ts);
	pool->nr_waiting--;
	slept = now_ns() - start;
	pool->wait_ns += slept;
	return slept ? slept : 1;
}

/* An allocation that slept @slept ns in all (0: never) got its element; under pool->lock. */
static void account_waited(mempool_t *pool, uint64_t slept)
{
	if (!slept)
		return;
	pool->nr_waited++;
	if (slept > pool->max_wait_ns)
		pool->max_wait_ns = slept;
}

static noinline cold void *mempool_alloc_slow(mempool_t *pool, gfp_t gfp_mask, gfp_t gfp_temp)
{
	uint64_t slept = 0;
	void *element;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		if (likely(pool->curr_nr)) {
			element = remove_element(pool);
			pool->nr_from_reserve++;
			account_waited(pool, slept);
			pthread_mutex_unlock(&pool->lock);
			return element;
		}

		/* The first try was without reclaim and I/O: try once more with the caller's
		 * full flags before sleeping.  Equal for callers that may not sleep anyway. */
		if (gfp_temp != gfp_mask) {
			pthread_mutex_unlock(&pool->lock);
			gfp_temp = gfp_mask;
		} else if (!gfpflags_allow_blocking(gfp_mask)) {
			/* We must not sleep without __GFP_DIRECT_RECLAIM. */
			pool->nr_null++;
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		} else {
			/* Wait for someone else to return an element to @pool. */
			slept += mempool_wait(pool);
			pthread_mutex_unlock(&pool->lock);
		}

		element = pool_alloc(pool, gfp_temp);
		if (likely(element)) {
			if (unlikely(slept)) {
				pthread_mutex_lock(&pool->lock);
				account_waited(pool, slept);
				pthread_mutex_unlock(&pool->lock);
			}
			return element;
		}
	}
}

void *mempool_alloc(mempool_t *pool, gfp_t gfp_mask)
{
	gfp_t gfp_temp;
	void *element;

	gfp_mask |= __GFP_NOMEMALLOC;	/* don't allocate emergency reserves */
	gfp_mask |= __GFP_NORETRY;	/* don't loop in the allocator */
	gfp_mask |= __GFP_NOWARN;	/* failures are OK */

	gfp_temp = gfp_mask & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
	element = pool_alloc(pool, gfp_temp);
	if (likely(element))
		return element;
	return mempool_alloc_slow(pool, gfp_mask, gfp_temp);
}

void mempool_free(void *element, mempool_t *pool)
{
	if (unlikely(!element))
		return;

	/*
	 * The unlocked read of curr_nr is the kernel's: it may be stale, but a free that misses a
	 * just-emptied reserve gives its element to the allocator, from which the waiter's next
	 * try (at the latest after the timeout) can take it.  A pool with min_nr 0 still keeps one
	 * element when it has none, so that its waiters can make progress (as the kernel does
	 * since 5.x for pools resized or created with min_nr 0).
	 */
	int min_nr = __atomic_load_n(&pool->min_nr, __ATOMIC_RELAXED);

	if (unlikely(read_curr_nr(pool) < min_nr || (min_nr == 0 && read_curr_nr(pool) == 0))) {
		pthread_mutex_lock(&pool->lock);
		if (likely(pool->curr_nr < pool->min_nr ||
			   (pool->min_nr == 0 && pool->curr_nr == 0))) {
			bool wake = pool->nr_waiting > 0;

			add_element(pool, element);
			pthread_mutex_unlock(&pool->lock);
			if (wake)
				pthread_cond_broadcast(&pool->wait);
			return;
		}
		pthread_mutex_unlock(&pool->lock);
	}
	pool->free(element, pool->pool_data);
}

/* --- ready-made underlying allocators --- */

void *mempool_alloc_slab(gfp_t gfp_mask, void *pool_data)
{
	return kmem_cache_alloc(pool_data, gfp_mask);
}

void mempool_free_slab(void *element, void *pool_data)
{
	kmem_cache_free(pool_data, element);
}

void *mempool_kmalloc(gfp_t gfp_mask, void *pool_data)
{
	return kmalloc((size_t)(uintptr_t)pool_data, gfp_mask);
}

void mempool_kfree(void *element, void *pool_data)
{
	(void)pool_data;
	kfree(element);
}

void *mempool_alloc_pages(gfp_t gfp_mask, void *pool_data)
{
	return alloc_pages(gfp_mask, (unsigned int)(uintptr_t)pool_data);
}

void mempool_free_pages(void *element, void *pool_data)
{
	__free_pages(element, (unsigned int)(uintptr_t)pool_data);
}

mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *cache)
{
	return mempool_create(min_nr, mempool_alloc_slab, mempool_free_slab, cache);
}

mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size)
{
	return mempool_create(min_nr, mempool_kmalloc, mempool_kfree, (void *)(uintptr_t)size);
}

mempool_t *mempool_create_page_pool(int min_nr, unsigned int order)
{
	return mempool_create(min_nr, mempool_alloc_pages, mempool_free_pages,
			      (void *)(uintptr_t)order);
}

/* --- kmbench: fault injection and counters --- */

void kmb_mempool_set_fail(mempool_t *pool, unsigned int permille)
{
	__atomic_store_n(&pool->fail_permille, permille > 1000 ? 1000 : permille,
			 __ATOMIC_RELAXED);
}

void kmb_mempool_stats(mempool_t *pool, struct kmb_mempool_stats *st)
{
	pthread_mutex_lock(&pool->lock);
	st->min_nr = pool->min_nr;
	st->curr_nr = pool->curr_nr;
	st->nr_from_reserve = pool->nr_from_reserve;
	st->nr_null = pool->nr_null;
	st->nr_waits = pool->nr_waits;
	st->nr_waited = pool->nr_waited;
	st->wait_ns = pool->wait_ns;
	st->max_wait_ns = pool->max_wait_ns;
	st->nr_injected = __atomic_load_n(&pool->nr_injected, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pool->lock);
}

void kmb_mempool_reset_stats(mempool_t *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->nr_from_reserve = pool->nr_null = pool->nr_waits = pool->nr_waited = 0;
	pool->wait_ns = pool->max_wait_ns = 0;
	__atomic_store_n(&pool->nr_injected, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pool->lock);
}
