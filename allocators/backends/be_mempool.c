/*
 * be_mempool.c - backend: memory pools (include/kmbench/mempool.h), one per power-of-two size
 * class: a slab cache "mempool-<n>" under the pool up to 8 KiB (the largest kmalloc cache), the
 * page allocator above, up to 4 MiB.  Each pool keeps MEMPOOL_BACKEND_MIN_NR elements in
 * reserve, fewer for large classes so that a reserve holds at most MEMPOOL_BACKEND_RESERVE bytes.
 *
 * A pool is created the first time its class is asked for, under a mutex; after that the class's
 * slot is read without a lock, so the measured path is mempool_alloc/mempool_free.  The free
 * needs the pool, so the size given to free picks it (KMB_CAP_SIZED_FREE).
 *
 * Fault injection (set_fail) applies to every pool, those created later included; a run
 * injects nothing unless its workload asks (mempool-pressure, with --mempool-fail), and the
 * workload turns it off again at its end.  reserve.stats/reserve.reset read and zero the
 * counters of the pool that serves a size, creating the pool if it is not there yet.
 *
 * __GFP_ZERO is honoured here, not by the pool: an element from the reserve is not zeroed (the
 * kernel warns about __GFP_ZERO on a mempool), so the flag is taken off and the element cleared.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kmbench/backend.h"
#include "kmbench/mempool.h"
#include "be_mm.h"

#define MEMPOOL_BACKEND_MIN_NR		64
#define MEMPOOL_BACKEND_RESERVE		(1UL << 20)
#define MEMPOOL_MIN_SHIFT		3		/* 8 bytes: the smallest class */
#define MEMPOOL_MAX_SHIFT		22		/* 4 MiB: KMALLOC_MAX_SIZE */
_Static_assert((1UL << MEMPOOL_MAX_SHIFT) == KMALLOC_MAX_SIZE, "classes up to KMALLOC_MAX_SIZE");

struct size_pool {
	mempool_t *_Atomic pool;
	struct kmem_cache *cache;	/* NULL for the page classes */
};

static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static struct size_pool pools[MEMPOOL_MAX_SHIFT + 1];
static unsigned int fail_permille;	/* set_fail's, for pools created later; under pools_lock */

static inline unsigned int size_shift(size_t size)
{
	if (size <= (1UL << MEMPOOL_MIN_SHIFT))
		return MEMPOOL_MIN_SHIFT;
	return (unsigned int)(64 - __builtin_clzl(size - 1));
}

static __attribute__((noinline)) mempool_t *pool_create(unsigned int shift)
{
	struct size_pool *sp = &pools[shift];
	size_t size = 1UL << shift;
	int min_nr = MEMPOOL_BACKEND_MIN_NR;
	mempool_t *pool;

	if (size * (size_t)min_nr > MEMPOOL_BACKEND_RESERVE)
		min_nr = size >= MEMPOOL_BACKEND_RESERVE ? 1 : (int)(MEMPOOL_BACKEND_RESERVE / size);
	pthread_mutex_lock(&pools_lock);
	pool = atomic_load_explicit(&sp->pool, memory_order_acquire);
	if (!pool) {
		if (shift <= KMALLOC_SHIFT_HIGH) {
			char name[KMEM_CACHE_NAME_MAX];

			snprintf(name, sizeof(name), "mempool-%zu", size);
			sp->cache = sp->cache ? sp->cache :
				    kmem_cache_create(name, (unsigned int)size, 0, 0, NULL);
			if (sp->cache)
				pool = mempool_create_slab_pool(min_nr, sp->cache);
		} else {
			pool = mempool_create_page_pool(min_nr, shift - PAGE_SHIFT);
		}
		if (pool)
			kmb_mempool_set_fail(pool, fail_permille);
		atomic_store_explicit(&sp->pool, pool, memory_order_release);
	}
	pthread_mutex_unlock(&pools_lock);
	return pool;
}

static inline mempool_t *pool_for(size_t size)
{
	unsigned int shift = size_shift(size);
	mempool_t *pool;

	if (__builtin_expect(shift > MEMPOOL_MAX_SHIFT, 0))
		return NULL;
	pool = atomic_load_explicit(&pools[shift].pool, memory_order_acquire);
	if (__builtin_expect(!pool, 0))
		pool = pool_create(shift);
	return pool;
}

static int mempool_backend_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return kmb_mm_backend_init(cfg, true, KMB_PERCPU_DEFAULT, KMB_PERCPU_DEFAULT, why,
				   whylen);
}

static void mempool_backend_fini(void)
{
	pthread_mutex_lock(&pools_lock);
	for (unsigned int i = 0; i <= MEMPOOL_MAX_SHIFT; i++) {
		mempool_destroy(atomic_load_explicit(&pools[i].pool, memory_order_relaxed));
		atomic_store_explicit(&pools[i].pool, NULL, memory_order_relaxed);
		if (pools[i].cache)
			kmem_cache_destroy(pools[i].cache);
		pools[i].cache = NULL;
	}
	fail_permille = 0;
	pthread_mutex_unlock(&pools_lock);
	kmb_mm_backend_fini();
}

static void *mempool_backend_alloc(size_t size, gfp_t gfp, int node)
{
	mempool_t *pool = pool_for(size);
	void *p;

	(void)node;
	if (__builtin_expect(!pool, 0))
		return NULL;
	p = mempool_alloc(pool, gfp & ~(__GFP_ZERO | __GFP_HIGHMEM));
	if (p && size > (1UL << KMALLOC_SHIFT_HIGH))
		p = page_address(p);
	if (p && (gfp & __GFP_ZERO))
		memset(p, 0, size);
	return p;
}

static void mempool_backend_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size > (1UL << KMALLOC_SHIFT_HIGH))
		p = virt_to_page(p);
	mempool_free(p, pool_for(size));
}

static int mempool_set_fail(unsigned int permille)
{
	if (permille > 1000)
		return -EINVAL;
	pthread_mutex_lock(&pools_lock);
	fail_permille = permille;
	for (unsigned int i = 0; i <= MEMPOOL_MAX_SHIFT; i++) {
		mempool_t *pool = atomic_load_explicit(&pools[i].pool, memory_order_relaxed);

		if (pool)
			kmb_mempool_set_fail(pool, permille);
	}
	pthread_mutex_unlock(&pools_lock);
	return 0;
}

static int mempool_reserve_stats(size_t size, struct kmb_reserve_stats *out)
{
	struct kmb_mempool_stats st;
	mempool_t *pool;

	if (size_shift(size) > MEMPOOL_MAX_SHIFT)
		return -EINVAL;
	pool = pool_for(size);
	if (!pool)
		return -ENOMEM;
	kmb_mempool_stats(pool, &st);
	*out = (struct kmb_reserve_stats){
		.min_nr = st.min_nr, .curr_nr = st.curr_nr, .from_reserve = st.nr_from_reserve,
		.nulls = st.nr_null, .waits = st.nr_waits, .waited = st.nr_waited,
		.wait_ns = st.wait_ns, .max_wait_ns = st.max_wait_ns, .injected = st.nr_injected,
	};
	return 0;
}

static void mempool_reserve_reset(size_t size)
{
	mempool_t *pool = pool_for(size);

	if (pool)
		kmb_mempool_reset_stats(pool);
}

static const char *mempool_free_name(void)
{
	return "mempool_free";
}

static const struct kmb_reserve_ops mempool_reserve = {
	.set_fail = mempool_set_fail,
	.stats = mempool_reserve_stats,
	.reset = mempool_reserve_reset,
};

const struct kmb_backend_ops kmb_backend_mempool = {
	.name = "mempool",
	.description = "mempool_alloc/free: a reserve of 64 elements per size class over slab caches and pages",
	.caps = KMB_CAP_SIZED_FREE | KMB_CAP_GFP | KMB_CAP_STATS | KMB_CAP_CHECK,
	.init = mempool_backend_init,
	.fini = mempool_backend_fini,
	.alloc = mempool_backend_alloc,
	.free = mempool_backend_free,
	.stats = kmb_mm_backend_stats,
	.usage = kmb_mm_backend_usage,
	.state = kmb_mm_backend_state,
	.check = kmb_mm_backend_check,
	.opts = &kmb_mm_backend_opts,
	.free_name = mempool_free_name,
	.reserve = &mempool_reserve,
};
