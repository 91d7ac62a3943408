/*
 * test_mempool.c - memory pools (allocators/mempool/mempool.c, include/kmbench/mempool.h).
 *
 * The reserve is filled at init and refilled by frees before anything goes back to the
 * allocator; with the underlying allocator failing, callers that may not sleep drain the reserve
 * and then get NULL without waiting, and callers that may sleep wait for a free from another
 * thread and never get NULL.  No assertion depends on timing: a waiter is seen waiting through
 * the pool's wait counter, which it bumps under the pool's lock before it sleeps.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "kmbench/mempool.h"
#include "slab_test.h"

/* An underlying allocator over a slab cache that counts its calls, records the flags of its
 * last calls, and fails on request (the allocator's own failure, not the pool's injection). */
struct counting {
	struct kmem_cache *cache;
	atomic_int allocs, frees, calls;
	atomic_bool fail;
	atomic_int fail_after;		/* > 0: calls after this many successes fail */
	gfp_t gfp[8];			/* flags of the first calls */
};

static void *counting_alloc(gfp_t gfp, void *data)
{
	struct counting *c = data;
	int n = atomic_fetch_add(&c->calls, 1);
	void *p;

	if (n < 8)
		c->gfp[n] = gfp;
	if (atomic_load(&c->fail) ||
	    (atomic_load(&c->fail_after) && atomic_load(&c->allocs) >= atomic_load(&c->fail_after)))
		return NULL;
	p = kmem_cache_alloc(c->cache, gfp);
	if (p)
		atomic_fetch_add(&c->allocs, 1);
	return p;
}

static void counting_free(void *element, void *data)
{
	struct counting *c = data;

	atomic_fetch_add(&c->frees, 1);
	kmem_cache_free(c->cache, element);
}

static void counting_setup(struct counting *c)
{
	memset(c, 0, sizeof(*c));
	c->cache = kmem_cache_create("mempool-test", 128, 0, 0, NULL);
	assert_non_null(c->cache);
}

static void counting_done(struct counting *c)
{
	assert_int_equal(atomic_load(&c->allocs), atomic_load(&c->frees));
	assert_valid(c->cache);
	assert_int_equal(kmem_cache_destroy(c->cache), 0);
	check_mm();
}

static struct kmb_mempool_stats pool_stats(mempool_t *pool)
{
	struct kmb_mempool_stats st;

	kmb_mempool_stats(pool, &st);
	return st;
}

/* Wait (without a time limit of our own: the watchdog ends a hang) until @pool has seen
 * @waits sleeps. */
static void await_waits(mempool_t *pool, unsigned long waits)
{
	while (pool_stats(pool).nr_waits < waits)
		sched_yield();
}

static void test_init_fills_reserve(void **state)
{
	struct counting c;
	mempool_t pool;

	(void)state;
	counting_setup(&c);
	assert_int_equal(mempool_init(&pool, 8, counting_alloc, counting_free, &c), 0);
	assert_int_equal(pool_stats(&pool).curr_nr, 8);
	assert_int_equal(pool_stats(&pool).min_nr, 8);
	assert_int_equal(atomic_load(&c.allocs), 8);
	for (int i = 0; i < 8; i++)	/* init fills with GFP_KERNEL, as the kernel */
		assert_int_equal(c.gfp[i], GFP_KERNEL);
	mempool_exit(&pool);
	assert_int_equal(atomic_load(&c.frees), 8);
	counting_done(&c);
}

static void test_init_failure_undone(void **state)
{
	struct counting c;
	mempool_t pool;

	(void)state;
	counting_setup(&c);
	atomic_store(&c.fail_after, 5);
	assert_int_equal(mempool_init(&pool, 8, counting_alloc, counting_free, &c), -ENOMEM);
	assert_int_equal(atomic_load(&c.allocs), 5);
	assert_int_equal(atomic_load(&c.frees), 5);
	assert_null(mempool_create(8, counting_alloc, counting_free, &c));
	counting_done(&c);
}

/* GFP_ATOMIC with the allocator failing: the reserve, then NULL, never a sleep.  The frees
 * refill the reserve first; what is over min_nr goes to free_fn. */
static void test_atomic_drains_then_null(void **state)
{
	struct counting c;
	mempool_t *pool;
	void *p[7];
	struct kmb_mempool_stats st;

	(void)state;
	counting_setup(&c);
	pool = mempool_create(4, counting_alloc, counting_free, &c);
	assert_non_null(pool);
	kmb_mempool_set_fail(pool, 1000);
	for (int i = 0; i < 4; i++) {
		p[i] = mempool_alloc(pool, GFP_ATOMIC);
		assert_non_null(p[i]);
	}
	assert_null(mempool_alloc(pool, GFP_ATOMIC));
	assert_null(mempool_alloc(pool, GFP_NOWAIT));
	st = pool_stats(pool);
	assert_int_equal(st.curr_nr, 0);
	assert_int_equal(st.nr_from_reserve, 4);
	assert_int_equal(st.nr_null, 2);
	assert_int_equal(st.nr_waits, 0);
	assert_int_equal(st.nr_injected, 6);
	assert_int_equal(atomic_load(&c.allocs), 4);	/* the allocator was never called */

	kmb_mempool_set_fail(pool, 0);
	for (int i = 4; i < 7; i++) {
		p[i] = mempool_alloc(pool, GFP_ATOMIC);
		assert_non_null(p[i]);
	}
	assert_int_equal(atomic_load(&c.allocs), 7);
	for (int i = 6; i >= 0; i--)
		mempool_free(p[i], pool);
	mempool_free(NULL, pool);
	assert_int_equal(pool_stats(pool).curr_nr, 4);
	assert_int_equal(atomic_load(&c.frees), 3);
	mempool_destroy(pool);
	mempool_destroy(NULL);
	counting_done(&c);
}

struct waiter {
	mempool_t *pool;
	gfp_t gfp;
	void *got;
	atomic_bool done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->got = mempool_alloc(w->pool, w->gfp);
	atomic_store(&w->done, true);
	return NULL;
}

/* GFP_KERNEL with the allocator failing (injection): past the reserve the caller sleeps until
 * another thread frees, then gets that element; never NULL. */
static void test_kernel_waits_for_free(void **state)
{
	struct kmb_mempool_stats st;
	struct counting c;
	struct waiter w[2];
	pthread_t t[2];
	mempool_t *pool;
	void *p[2];

	(void)state;
	counting_setup(&c);
	pool = mempool_create(2, counting_alloc, counting_free, &c);
	assert_non_null(pool);
	kmb_mempool_set_fail(pool, 1000);
	p[0] = mempool_alloc(pool, GFP_KERNEL);
	p[1] = mempool_alloc(pool, GFP_KERNEL);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_int_equal(pool_stats(pool).nr_waits, 0);

	for (int i = 0; i < 2; i++) {
		w[i] = (struct waiter){ .pool = pool, .gfp = GFP_KERNEL };
		assert_int_equal(pthread_create(&t[i], NULL, waiter_fn, &w[i]), 0);
		await_waits(pool, (unsigned long)i + 1);
	}
	/* Both asleep: the allocator fails, the reserve is empty, nobody freed. */
	assert_false(atomic_load(&w[0].done));
	assert_false(atomic_load(&w[1].done));

	mempool_free(p[0], pool);
	mempool_free(p[1], pool);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_non_null(w[0].got);
	assert_non_null(w[1].got);
	assert_true((w[0].got == p[0] && w[1].got == p[1]) ||
		    (w[0].got == p[1] && w[1].got == p[0]));
	st = pool_stats(pool);
	assert_true(st.wait_ns > 0);
	/* Each waiter is one allocation that slept (perhaps more than once, if the other took
	 * the element it was woken for); the longest is at most their sum. */
	assert_int_equal(st.nr_waited, 2);
	assert_true(st.nr_waits >= 2);
	assert_true(st.max_wait_ns > 0 && st.max_wait_ns <= st.wait_ns);
	assert_int_equal(st.nr_from_reserve, 4);

	kmb_mempool_set_fail(pool, 0);
	mempool_free(w[0].got, pool);
	mempool_free(w[1].got, pool);
	assert_int_equal(pool_stats(pool).curr_nr, 2);
	assert_int_equal(pool_stats(pool).nr_null, 0);
	mempool_destroy(pool);
	counting_done(&c);
}

/* The flags the allocator sees: the first try without __GFP_DIRECT_RECLAIM and __GFP_IO, the
 * second (only for a caller that may sleep) with the caller's own; both with NOMEMALLOC,
 * NORETRY and NOWARN. */
static void test_gfp_of_tries(void **state)
{
	const gfp_t extra = __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
	struct counting c;
	struct waiter w = { .gfp = GFP_KERNEL };
	pthread_t t;
	mempool_t *pool;
	void *p;

	(void)state;
	counting_setup(&c);
	pool = mempool_create(1, counting_alloc, counting_free, &c);
	assert_non_null(pool);
	atomic_store(&c.fail, true);
	atomic_store(&c.calls, 0);

	p = mempool_alloc(pool, GFP_KERNEL);		/* from the reserve after one try */
	assert_non_null(p);
	assert_int_equal(atomic_load(&c.calls), 1);
	assert_int_equal(c.gfp[0], (GFP_KERNEL | extra) & ~(__GFP_DIRECT_RECLAIM | __GFP_IO));

	assert_null(mempool_alloc(pool, GFP_ATOMIC));	/* one try, then NULL */
	assert_int_equal(atomic_load(&c.calls), 2);
	assert_int_equal(c.gfp[1], GFP_ATOMIC | extra);

	w.pool = pool;
	assert_int_equal(pthread_create(&t, NULL, waiter_fn, &w), 0);
	await_waits(pool, 1);
	assert_true(atomic_load(&c.calls) >= 4);
	assert_int_equal(c.gfp[2], (GFP_KERNEL | extra) & ~(__GFP_DIRECT_RECLAIM | __GFP_IO));
	assert_int_equal(c.gfp[3], GFP_KERNEL | extra);
	assert_false(atomic_load(&w.done));
	mempool_free(p, pool);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_ptr_equal(w.got, p);

	atomic_store(&c.fail, false);
	mempool_free(w.got, pool);
	mempool_destroy(pool);
	counting_done(&c);
}

static void test_resize(void **state)
{
	struct counting c;
	mempool_t *pool;
	void *p[3];

	(void)state;
	counting_setup(&c);
	pool = mempool_create(4, counting_alloc, counting_free, &c);
	assert_non_null(pool);
	for (int i = 0; i < 3; i++)
		p[i] = mempool_alloc(pool, GFP_KERNEL);

	assert_int_equal(mempool_resize(pool, 8), 0);	/* grows with GFP_KERNEL */
	assert_int_equal(pool_stats(pool).min_nr, 8);
	assert_int_equal(pool_stats(pool).curr_nr, 8);
	assert_int_equal(atomic_load(&c.allocs), 4 + 3 + 4);

	assert_int_equal(mempool_resize(pool, 2), 0);	/* the surplus to free_fn at once */
	assert_int_equal(pool_stats(pool).min_nr, 2);
	assert_int_equal(pool_stats(pool).curr_nr, 2);
	assert_int_equal(atomic_load(&c.frees), 6);

	assert_int_equal(mempool_resize(pool, 0), -EINVAL);
	assert_int_equal(mempool_resize(pool, -1), -EINVAL);

	/* Growing with the allocator failing: still 0, the reserve refills from frees. */
	kmb_mempool_set_fail(pool, 1000);
	assert_int_equal(mempool_resize(pool, 5), 0);
	assert_int_equal(pool_stats(pool).min_nr, 5);
	assert_int_equal(pool_stats(pool).curr_nr, 2);
	for (int i = 0; i < 3; i++)
		mempool_free(p[i], pool);
	assert_int_equal(pool_stats(pool).curr_nr, 5);
	assert_int_equal(atomic_load(&c.frees), 6);
	mempool_destroy(pool);
	counting_done(&c);
}

static unsigned long free_page_count(void)
{
	struct kmb_mm_stats st;

	drain_all_pages(NULL);
	st = stats();
	return st.free_pages + st.pcp_pages;
}

static void test_page_pool(void **state)
{
	unsigned long before = free_page_count();
	struct page *p[8];
	mempool_t *pool;

	(void)state;
	pool = mempool_create_page_pool(4, 2);
	assert_non_null(pool);
	assert_int_equal(free_page_count(), before - 4 * 4);
	for (int i = 0; i < 8; i++) {
		p[i] = mempool_alloc(pool, GFP_KERNEL);
		assert_non_null(p[i]);
		memset(page_address(p[i]), i, 4 * PAGE_SIZE);
	}
	for (int i = 0; i < 8; i++) {
		assert_true(all_bytes(page_address(p[i]), 4 * PAGE_SIZE, (unsigned char)i));
		mempool_free(p[i], pool);
	}
	assert_int_equal(pool_stats(pool).curr_nr, 4);
	mempool_destroy(pool);
	assert_int_equal(free_page_count(), before);
	check_mm();
}

static void test_slab_and_kmalloc_pools(void **state)
{
	struct kmem_cache *s = kmem_cache_create("mempool-slab", 96, 0, 0, NULL);
	mempool_t *sp, *kp;
	void *a[32], *b[32];

	(void)state;
	assert_non_null(s);
	sp = mempool_create_slab_pool(16, s);
	kp = mempool_create_kmalloc_pool(16, 200);
	assert_non_null(sp);
	assert_non_null(kp);
	for (int i = 0; i < 32; i++) {
		a[i] = mempool_alloc(sp, GFP_KERNEL);
		b[i] = mempool_alloc(kp, GFP_KERNEL);
		assert_non_null(a[i]);
		assert_non_null(b[i]);
		assert_true(ksize(b[i]) >= 200);
		memset(a[i], 0x5a, 96);
		memset(b[i], 0xa5, 200);
	}
	for (int i = 0; i < 32; i++) {
		mempool_free(a[i], sp);
		mempool_free(b[i], kp);
	}
	assert_int_equal(pool_stats(sp).curr_nr, 16);
	assert_int_equal(pool_stats(kp).curr_nr, 16);
	assert_valid(NULL);
	mempool_destroy(sp);
	mempool_destroy(kp);
	assert_int_equal(kmem_cache_destroy(s), 0);	/* -EBUSY if an element were left */
	check_mm();
}

/* The counters start again from zero; the reserve and the fault setting are not counters. */
static void test_reset_stats(void **state)
{
	struct kmb_mempool_stats st;
	struct counting c;
	mempool_t *pool;
	void *p[3];

	(void)state;
	counting_setup(&c);
	pool = mempool_create(2, counting_alloc, counting_free, &c);
	assert_non_null(pool);
	kmb_mempool_set_fail(pool, 1000);
	for (int i = 0; i < 2; i++)
		p[i] = mempool_alloc(pool, GFP_ATOMIC);
	assert_null(mempool_alloc(pool, GFP_ATOMIC));
	st = pool_stats(pool);
	assert_int_equal(st.nr_from_reserve, 2);
	assert_int_equal(st.nr_null, 1);
	assert_int_equal(st.nr_injected, 3);

	kmb_mempool_reset_stats(pool);
	st = pool_stats(pool);
	assert_int_equal(st.nr_from_reserve + st.nr_null + st.nr_waits + st.nr_waited +
			 st.nr_injected, 0);
	assert_int_equal(st.wait_ns + st.max_wait_ns, 0);
	assert_int_equal(st.min_nr, 2);
	assert_int_equal(st.curr_nr, 0);
	assert_null(mempool_alloc(pool, GFP_ATOMIC));	/* still failing after the reset */
	assert_int_equal(pool_stats(pool).nr_null, 1);
	assert_int_equal(pool_stats(pool).nr_injected, 1);

	kmb_mempool_set_fail(pool, 0);
	p[2] = mempool_alloc(pool, GFP_KERNEL);
	assert_non_null(p[2]);
	for (int i = 0; i < 3; i++)
		mempool_free(p[i], pool);
	assert_int_equal(pool_stats(pool).curr_nr, 2);
	mempool_destroy(pool);
	counting_done(&c);
}

/* The injected share follows the setting: a fixed sequence per thread, so the counts below are
 * those of one sequence, far inside the bounds (about 10 standard deviations). */
#define FAIL_TRIES	10000

static void test_fail_rate(void **state)
{
	static const unsigned int permille[] = { 0, 100, 500, 1000 };
	struct counting c;
	mempool_t *pool;

	(void)state;
	counting_setup(&c);
	pool = mempool_create(1, counting_alloc, counting_free, &c);
	assert_non_null(pool);
	for (size_t i = 0; i < sizeof(permille) / sizeof(permille[0]); i++) {
		unsigned long injected, want = FAIL_TRIES / 1000 * permille[i];
		unsigned long slack = permille[i] % 1000 ? FAIL_TRIES / 20 : 0;

		kmb_mempool_set_fail(pool, permille[i]);
		kmb_mempool_reset_stats(pool);
		for (int n = 0; n < FAIL_TRIES; n++)	/* one element out at a time */
			mempool_free(mempool_alloc(pool, GFP_KERNEL), pool);
		/* Only first tries fail: the reserve always holds the one element out before. */
		injected = pool_stats(pool).nr_injected;
		assert_int_equal(pool_stats(pool).nr_from_reserve, injected);
		print_message("[ INFO     ] %u permille: %lu of %d first tries failed\n",
			      permille[i], injected, FAIL_TRIES);
		assert_true(injected + slack >= want && injected <= want + slack);
	}
	kmb_mempool_set_fail(pool, 0);
	assert_int_equal(pool_stats(pool).curr_nr, 1);
	mempool_destroy(pool);
	counting_done(&c);
}

/* Many threads, half the underlying allocations failing: every GFP_KERNEL allocation succeeds,
 * no element is handed out twice, and everything comes back. */
#define STRESS_THREADS	8
#define STRESS_ITERS	4000

struct stresser {
	mempool_t *pool;
	int id;
	int kernel_null;	/* GFP_KERNEL allocations that returned NULL: must stay 0 */
	int corrupt;		/* elements whose contents another user changed */
};

static void *stress_fn(void *arg)
{
	struct stresser *s = arg;
	uint64_t seed = (uint64_t)s->id * 7919 + 1;

	for (int i = 0; i < STRESS_ITERS; i++) {
		/* One element at a time, as the kernel asks of a mempool's users: a thread that
		 * holds one and sleeps for a second can deadlock. */
		bool atomic = rnd(&seed) % 4 == 0;
		unsigned char *p = mempool_alloc(s->pool, atomic ? GFP_ATOMIC : GFP_KERNEL);

		if (!p) {
			s->kernel_null += !atomic;
			continue;
		}
		memset(p, s->id, 64);
		if (rnd(&seed) % 2)
			sched_yield();
		if (!all_bytes(p, 64, (unsigned char)s->id))
			s->corrupt++;
		mempool_free(p, s->pool);
	}
	return NULL;
}

static void test_stress_half_failing(void **state)
{
	struct kmem_cache *cache = kmem_cache_create("mempool-stress", 64, 0, 0, NULL);
	struct stresser s[STRESS_THREADS];
	pthread_t t[STRESS_THREADS];
	struct kmb_mempool_stats st;
	mempool_t *pool;

	(void)state;
	assert_non_null(cache);
	pool = mempool_create_slab_pool(4, cache);
	assert_non_null(pool);
	kmb_mempool_set_fail(pool, 500);
	for (int i = 0; i < STRESS_THREADS; i++) {
		s[i] = (struct stresser){ .pool = pool, .id = i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, stress_fn, &s[i]), 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(s[i].kernel_null, 0);
		assert_int_equal(s[i].corrupt, 0);
	}
	st = pool_stats(pool);
	print_message("[ INFO     ] stress: %lu injected failures, %lu from the reserve, %lu NULL "
		      "(GFP_ATOMIC), %lu waits, %llu ns waited\n", st.nr_injected,
		      st.nr_from_reserve, st.nr_null, st.nr_waits,
		      (unsigned long long)st.wait_ns);
	assert_true(st.nr_injected > 0);
	assert_true(st.nr_from_reserve > 0);
	assert_int_equal(st.curr_nr, 4);
	assert_int_equal(kmem_cache_validate(cache), 0);
	mempool_destroy(pool);
	assert_int_equal(kmem_cache_destroy(cache), 0);
	check_mm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SLAB_TEST(test_init_fills_reserve),
		SLAB_TEST(test_init_failure_undone),
		SLAB_TEST(test_atomic_drains_then_null),
		SLAB_TEST(test_kernel_waits_for_free),
		SLAB_TEST(test_gfp_of_tries),
		SLAB_TEST(test_resize),
		SLAB_TEST(test_reset_stats),
		SLAB_TEST(test_fail_rate),
		SLAB_TEST(test_page_pool),
		SLAB_TEST(test_slab_and_kmalloc_pools),
		SLAB_TEST(test_stress_half_failing),
	};

	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
