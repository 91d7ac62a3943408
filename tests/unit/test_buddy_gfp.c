/*
 * test_buddy_gfp.c - what the GFP flags promise, on the buddy page allocator
 * (include/kmbench/gfp.h; allocators/page/page_alloc.c __alloc_pages_slowpath;
 * allocators/page/vmscan.c).
 *
 * Each test boots a small machine (one or two 32 MiB nodes, per-CPU lists off so that every
 * page is counted in its zone) and "fills" it: order-0 GFP_KERNEL|__GFP_NORETRY allocations
 * until the first failure, which leaves every zone at its min watermark (the slow path's
 * watermark).  From there:
 *  - reserves: __GFP_HIGH may take half of the min reserve, GFP_ATOMIC a further quarter;
 *    GFP_NOWAIT, __GFP_NOMEMALLOC and sleeping allocations may not; kmb_mm_stats.alloc_reserve
 *    counts the dips;
 *  - sleeping: GFP_KERNEL waits for a free and gets it, or gives up after a bounded number of
 *    waits; __GFP_NORETRY and costly orders (without __GFP_RETRY_MAYFAIL) do not wait at all;
 *    __GFP_NOFAIL waits past the point where GFP_KERNEL gives up;
 *  - shrinkers: direct reclaim runs them and they make the allocation succeed; GFP_NOIO and
 *    GFP_NOFS skip the ones that need __GFP_IO / __GFP_FS; non-sleeping flags run none; every
 *    shrinker sees the allocation's flags in sc->gfp_mask;
 *  - placement: __GFP_THISNODE does not fall back to another node, __GFP_DMA stays in ZONE_DMA,
 *    __GFP_HIGHMEM may return frames without a linear address and __get_free_pages() masks it
 *    (also with a second node that is all HIGHMEM, whose mem_map must then live in node 0's
 *    low memory beside node 0's own); __GFP_ZERO and get_zeroed_page() return zeroes;
 *  - reports: order > MAX_PAGE_ORDER fails, __GFP_NOWARN is silent, failures are reported with
 *    the flags by name and rate limited; kmb_gfp_format() names flags as the kernel's %pGg.
 *
 * No assertion is about time: sleeps only order events, and a thread that frees "while the
 * allocation waits" first watches kmb_mm_stats.reclaim_wait to know that it does wait.
 * The warning tests capture stderr, and run last: the failure warning is rate limited across
 * the whole process (5 s, burst 10), and the order > MAX_PAGE_ORDER one is printed once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"
#include "mm_test.h"

#define MIB		(1UL << 20)
#define NODE_MEM	(32 * MIB)
#define MAX_PAGES	(2 * NODE_MEM / PAGE_SIZE)	/* every frame of two nodes */
#define RECLAIM_ROUNDS	16	/* MAX_RECLAIM_RETRIES: waits before GFP_KERNEL gives up */
#define FILL_GFP	(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

/* Pages a test holds, to free at its end. */
struct pages {
	struct page *p[MAX_PAGES];
	size_t nr;
	unsigned int order;
};

static struct pages held, extra, pairs;
static bool booted;

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void mm_boot(struct kmb_mm_config cfg)
{
	if (!cfg.node_mem)
		cfg.node_mem = NODE_MEM;
	if (!cfg.nr_nodes)
		cfg.nr_nodes = 1;
	if (!cfg.pcp)
		cfg.pcp = -1;
	if (!cfg.debug)
		cfg.debug = -1;
	boot(&cfg);
	booted = true;
	held.nr = extra.nr = pairs.nr = 0;
}

static void put_all(struct pages *ps)
{
	for (size_t i = 0; i < ps->nr; i++)
		__free_pages(ps->p[i], ps->order);
	ps->nr = 0;
}

/* Teardown of every test: give everything back (tests check the allocator themselves). */
static int mm_down(void **state)
{
	(void)state;
	if (!booted)
		return 0;
	put_all(&held);
	put_all(&extra);
	put_all(&pairs);
	booted = false;
	kmb_mm_teardown();
	return 0;
}

/* Allocate order-@order blocks with @gfp into @ps until the first failure; how many. */
static size_t take_all(struct pages *ps, gfp_t gfp, unsigned int order)
{
	size_t n = 0;
	struct page *page;

	ps->order = order;
	while ((page = alloc_pages(gfp, order))) {
		assert_true(ps->nr < MAX_PAGES);
		ps->p[ps->nr++] = page;
		n++;
	}
	return n;
}

/* "fill": every zone down to its min watermark. */
static size_t fill(void)
{
	size_t n = take_all(&held, FILL_GFP, 0);

	assert_true(n > 0);
	return n;
}

/* The min watermarks of all zones together, in pages (min_free_kbytes, split over the zones). */
static unsigned long min_reserve_pages(void)
{
	return kmb_mm_config()->min_free_kbytes >> (PAGE_SHIFT - 10);
}

/* --- reserves --- */

static void test_atomic_dips_into_reserves(void **state)
{
	struct kmb_mm_stats s0, s1;
	size_t n_high, n_atomic;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	fill();
	s0 = stats();

	/* At the min watermark: nothing for those who may not use reserves. */
	assert_null(alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0));
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0));
	s1 = stats();
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 2);
	assert_int_equal(s1.alloc_reserve, s0.alloc_reserve);

	/* __GFP_HIGH from a context that may sleep: half of the min reserve. */
	n_high = take_all(&extra, GFP_KERNEL | __GFP_HIGH | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_true(n_high > 0);
	/* __GFP_NOMEMALLOC takes away the further quarter of a non-blocking __GFP_HIGH. */
	assert_null(alloc_pages(GFP_ATOMIC | __GFP_NOMEMALLOC | __GFP_NOWARN, 0));
	assert_null(alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0));
	/* GFP_ATOMIC: may not sleep, so a further quarter of what is left. */
	n_atomic = take_all(&extra, GFP_ATOMIC | __GFP_NOWARN, 0);
	assert_true(n_atomic > 0);
	/* ... but never the whole reserve. */
	assert_true(n_high + n_atomic < min_reserve_pages());
	assert_null(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0));
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0));

	s1 = stats();
	assert_true(s1.alloc_reserve > s0.alloc_reserve);
	assert_true(s1.alloc_reserve - s0.alloc_reserve <= n_high + n_atomic);
	assert_true(s1.free_pages > 0);
	/* Nothing waited: none of these may, or all said __GFP_NORETRY. */
	assert_int_equal(s1.reclaim_wait, s0.reclaim_wait);
	check_mm();
}

/* GFP_ATOMIC after fill, on its own: at least one page, at most the min watermarks. */
static void test_atomic_after_fill(void **state)
{
	struct kmb_mm_stats s0, s1;
	size_t n;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	fill();
	s0 = stats();
	n = take_all(&extra, GFP_ATOMIC | __GFP_NOWARN, 0);
	s1 = stats();
	assert_true(n > 0);
	assert_true(n <= min_reserve_pages());
	assert_true(s1.alloc_reserve > s0.alloc_reserve);
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 1);	/* the one that ended the loop */
	/* Given back, the reserve is whole again: the same number can be taken again. */
	put_all(&extra);
	assert_int_equal(take_all(&extra, GFP_ATOMIC | __GFP_NOWARN, 0), n);
	/* One frame above the watermark is enough for a sleeping allocation again. */
	put_all(&extra);
	__free_pages(held.p[--held.nr], 0);
	extra.p[0] = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_non_null(extra.p[0]);
	extra.nr = 1;
	check_mm();
}

/* --- sleeping allocations --- */

/* A thread that frees a block once an allocation is seen waiting (reclaim_wait grew past
 * @after), @delay_ms later; it sets @freeing just before the free. */
struct freer {
	pthread_t thread;
	struct page *block;
	unsigned int order;
	unsigned long after;
	unsigned int delay_ms;
	atomic_bool freeing;
	atomic_bool saw_wait;
};

static void *freer_main(void *arg)
{
	struct freer *f = arg;

	for (int i = 0; i < 10000; i++) {	/* 10 s at most: the allocation may never wait */
		struct kmb_mm_stats st;

		kmb_mm_get_stats(&st);
		if (st.reclaim_wait > f->after) {
			atomic_store(&f->saw_wait, true);
			break;
		}
		sleep_ms(1);
	}
	sleep_ms(f->delay_ms);
	atomic_store(&f->freeing, true);
	__free_pages(f->block, f->order);
	return NULL;
}

static void freer_start(struct freer *f, struct page *block, unsigned int order,
			unsigned long after, unsigned int delay_ms)
{
	f->block = block;
	f->order = order;
	f->after = after;
	f->delay_ms = delay_ms;
	atomic_init(&f->freeing, false);
	atomic_init(&f->saw_wait, false);
	assert_int_equal(pthread_create(&f->thread, NULL, freer_main, f), 0);
}

static void test_kernel_waits_for_free(void **state)
{
	struct kmb_mm_stats s0, s1;
	struct freer f;
	struct page *block, *page;
	bool freeing_at_return;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 500 });
	/* 512 KiB the thread will give back: more than any zone's min watermark. */
	block = alloc_pages(GFP_KERNEL, 7);
	assert_non_null(block);
	fill();
	take_all(&extra, GFP_ATOMIC | __GFP_NOWARN, 0);	/* the reserves too */
	assert_null(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0));
	s0 = stats();

	freer_start(&f, block, 7, s0.reclaim_wait, 100);
	page = alloc_pages(GFP_KERNEL, 0);
	freeing_at_return = atomic_load(&f.freeing);
	pthread_join(f.thread, NULL);
	s1 = stats();

	assert_true(atomic_load(&f.saw_wait));
	assert_non_null(page);
	assert_true(freeing_at_return);	/* it got the page only once the thread freed */
	assert_true(s1.reclaim_wait > s0.reclaim_wait);
	assert_true(s1.allocstall > s0.allocstall);
	assert_int_equal(s1.alloc_fail, s0.alloc_fail);
	__free_pages(page, 0);
	check_mm();
}

static void test_kernel_fails_when_nobody_frees(void **state)
{
	struct kmb_mm_stats s0, s1;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 5 });
	fill();
	s0 = stats();
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0));
	s1 = stats();
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 1);
	assert_true(s1.reclaim_wait > s0.reclaim_wait);
	assert_true(s1.reclaim_wait - s0.reclaim_wait <= RECLAIM_ROUNDS);	/* bounded */
	assert_true(s1.allocstall > s0.allocstall);
	check_mm();
}

static void test_noretry_does_not_wait(void **state)
{
	struct kmb_mm_stats s0, s1;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 2000 });
	fill();
	s0 = stats();
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0));
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 2));
	s1 = stats();
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 2);
	assert_int_equal(s1.reclaim_wait, s0.reclaim_wait);
	/* It did try once: direct reclaim was entered. */
	assert_int_equal(s1.allocstall - s0.allocstall, 2);
	check_mm();
}

static void test_nowait_never_reclaims(void **state)
{
	struct kmb_mm_stats s0, s1;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 2000 });
	fill();
	take_all(&extra, GFP_ATOMIC | __GFP_NOWARN, 0);
	s0 = stats();
	assert_null(alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0));
	assert_null(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0));
	s1 = stats();
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 2);
	assert_int_equal(s1.allocstall, s0.allocstall);
	assert_int_equal(s1.reclaim_wait, s0.reclaim_wait);
	assert_int_equal(s1.kswapd_wake - s0.kswapd_wake, 2);	/* both asked kswapd */
	check_mm();
}

static void test_costly_order_needs_retry_mayfail(void **state)
{
	struct kmb_mm_stats s0, s1;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 5 });
	fill();
	assert_true(PAGE_ALLOC_COSTLY_ORDER == 3);

	/* Costly (order 4): one reclaim pass, then give up without waiting. */
	s0 = stats();
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, PAGE_ALLOC_COSTLY_ORDER + 1));
	s1 = stats();
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 1);
	assert_int_equal(s1.reclaim_wait, s0.reclaim_wait);
	assert_true(s1.allocstall > s0.allocstall);

	/* Not costly (order 3): retried, so it waits. */
	s0 = stats();
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, PAGE_ALLOC_COSTLY_ORDER));
	s1 = stats();
	assert_true(s1.reclaim_wait > s0.reclaim_wait);
	assert_true(s1.reclaim_wait - s0.reclaim_wait <= RECLAIM_ROUNDS);

	/* Costly with __GFP_RETRY_MAYFAIL: tries hard (waits), then may fail. */
	s0 = stats();
	assert_null(alloc_pages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
				PAGE_ALLOC_COSTLY_ORDER + 1));
	s1 = stats();
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 1);
	assert_true(s1.reclaim_wait > s0.reclaim_wait);
	assert_true(s1.reclaim_wait - s0.reclaim_wait <= RECLAIM_ROUNDS);
	check_mm();
}

/*
 * Costly orders when order-0 pages are plentiful: only fragmentation stands in the way.  Fill,
 * give back every odd frame (holes that cannot merge: their even buddies stay allocated), then
 * take every free block of order 1 or more.  Free memory is far above the watermarks, all of it
 * in order-0 blocks.
 */
static void test_costly_order_fragmented(void **state)
{
	struct kmb_mm_stats s0, s1;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 5 });
	fill();
	extra.order = 0;
	for (size_t i = 0; i < held.nr;) {
		if (page_to_pfn(held.p[i]) & 1) {
			extra.p[extra.nr++] = held.p[i];
			held.p[i] = held.p[--held.nr];
		} else {
			i++;
		}
	}
	assert_true(extra.nr > 1000);
	put_all(&extra);
	take_all(&pairs, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 1);
	s0 = stats();
	assert_true(s0.free_pages > min_reserve_pages() + 1000);
	assert_true(kmb_fragmentation_index(-1, ZONE_NORMAL, 4) > 500);

	/* Order 4 without __GFP_RETRY_MAYFAIL: one reclaim pass, no wait. */
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 4));
	s1 = stats();
	assert_int_equal(s1.reclaim_wait, s0.reclaim_wait);
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 1);
	/* With it: waits for frees that might merge, then fails. */
	assert_null(alloc_pages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, 4));
	s0 = s1;
	s1 = stats();
	assert_true(s1.reclaim_wait > s0.reclaim_wait);
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 1);
	/* Order 0 is there without waiting. */
	extra.p[0] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
	assert_non_null(extra.p[0]);
	extra.nr = 1;
	assert_int_equal(stats().reclaim_wait, s1.reclaim_wait);
	check_mm();
}

static void test_nofail_never_returns_null(void **state)
{
	struct kmb_mm_stats s0, s1;
	struct freer f;
	struct page *block, *page;
	bool freeing_at_return;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 5 });
	block = alloc_pages(GFP_KERNEL, 7);
	assert_non_null(block);
	fill();
	s0 = stats();

	/* The thread frees only after more waits than a plain GFP_KERNEL makes before giving up
	 * (test_kernel_fails_when_nobody_frees), and 300 ms after that. */
	freer_start(&f, block, 7, s0.reclaim_wait + RECLAIM_ROUNDS, 300);
	page = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 0);
	freeing_at_return = atomic_load(&f.freeing);
	pthread_join(f.thread, NULL);
	s1 = stats();

	assert_non_null(page);
	assert_true(atomic_load(&f.saw_wait));
	assert_true(freeing_at_return);
	assert_true(s1.reclaim_wait - s0.reclaim_wait > RECLAIM_ROUNDS);
	assert_int_equal(s1.alloc_fail, s0.alloc_fail);
	__free_pages(page, 0);
	check_mm();
}

/* --- shrinkers --- */

#define SHRINK_PAGES 24

struct page_cache {
	struct shrinker s;
	struct page *pages[SHRINK_PAGES];
	int nr;
	int count_calls, scan_calls;
	unsigned long max_to_scan;
	gfp_t seen_gfp;		/* sc->gfp_mask of the last call */
	bool gfp_mismatch;	/* count and scan of one pass saw different masks */
	int seen_nid;
};

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	struct page_cache *c = s->private_data;

	c->count_calls++;
	c->seen_gfp = sc->gfp_mask;
	c->seen_nid = sc->nid;
	return c->nr ? (unsigned long)c->nr : SHRINK_EMPTY;
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct page_cache *c = s->private_data;
	unsigned long freed = 0;

	c->scan_calls++;
	if (sc->gfp_mask != c->seen_gfp)
		c->gfp_mismatch = true;
	if (sc->nr_to_scan > c->max_to_scan)
		c->max_to_scan = sc->nr_to_scan;
	while (freed < sc->nr_to_scan && c->nr > 0) {
		__free_pages(c->pages[--c->nr], 0);
		freed++;
	}
	sc->nr_scanned = freed;
	return freed ? freed : SHRINK_STOP;
}

/* Fill @c with pages (before the machine is filled: afterwards there are none). */
static void cache_init(struct page_cache *c, gfp_t needs, long batch)
{
	memset(c, 0, sizeof(*c));
	c->s.count_objects = cache_count;
	c->s.scan_objects = cache_scan;
	c->s.flags = needs;
	c->s.batch = batch;
	c->s.private_data = c;
	for (c->nr = 0; c->nr < SHRINK_PAGES; c->nr++) {
		c->pages[c->nr] = alloc_pages(GFP_KERNEL, 0);
		assert_non_null(c->pages[c->nr]);
	}
}

static void cache_drop(struct page_cache *c)
{
	while (c->nr > 0)
		__free_pages(c->pages[--c->nr], 0);
}

static struct page_cache cache_a, cache_io, cache_fs;

static void test_shrinker_frees_for_kernel(void **state)
{
	struct kmb_mm_stats s0, s1;
	struct page *page;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 2000 });
	cache_init(&cache_a, 0, 5);
	fill();	/* before registering: the fill's own reclaim would empty the cache */
	assert_int_equal(register_shrinker(&cache_a.s, "test-cache"), 0);
	s0 = stats();

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
	s1 = stats();
	assert_non_null(page);
	assert_true(cache_a.scan_calls > 0);
	assert_true(cache_a.s.nr_freed > 0);
	assert_int_equal(cache_a.s.nr_freed, SHRINK_PAGES - cache_a.nr);
	assert_int_equal(s1.shrinker_freed - s0.shrinker_freed, cache_a.s.nr_freed);
	assert_true(cache_a.max_to_scan <= 5);		/* in chunks of the shrinker's batch */
	assert_int_equal(cache_a.seen_gfp, GFP_KERNEL | __GFP_NOWARN);
	assert_false(cache_a.gfp_mismatch);
	assert_int_equal(cache_a.seen_nid, 0);
	/* The shrinker's pages were enough: no waiting for a free. */
	assert_int_equal(s1.reclaim_wait, s0.reclaim_wait);
	assert_int_equal(s1.alloc_fail, s0.alloc_fail);
	extra.p[extra.nr++] = page;
	extra.order = 0;

	/* Unregistered, it is not called again. */
	unregister_shrinker(&cache_a.s);
	cache_a.count_calls = cache_a.scan_calls = 0;
	take_all(&held, FILL_GFP, 0);
	assert_null(alloc_pages(FILL_GFP, 0));
	assert_int_equal(cache_a.count_calls, 0);
	assert_int_equal(cache_a.scan_calls, 0);
	cache_drop(&cache_a);
	check_mm();
}

static void test_shrinkers_respect_noio_nofs(void **state)
{
	struct page *page;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 2000 });
	cache_init(&cache_a, 0, 0);
	cache_init(&cache_io, __GFP_IO, 0);
	cache_init(&cache_fs, __GFP_FS, 0);
	fill();
	assert_int_equal(register_shrinker(&cache_a.s, "test-plain"), 0);
	assert_int_equal(register_shrinker(&cache_io.s, "test-needs-io"), 0);
	assert_int_equal(register_shrinker(&cache_fs.s, "test-needs-fs"), 0);

	/* Callers that may not sleep do not reclaim at all. */
	assert_null(alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0));
	assert_int_equal(cache_a.count_calls + cache_io.count_calls + cache_fs.count_calls, 0);

	/* GFP_NOIO: neither the I/O nor the filesystem shrinker; the plain one frees. */
	page = alloc_pages(GFP_NOIO | __GFP_NOWARN, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	extra.order = 0;
	assert_true(cache_a.scan_calls > 0);
	assert_int_equal(cache_a.seen_gfp, GFP_NOIO | __GFP_NOWARN);
	assert_int_equal(cache_io.count_calls + cache_io.scan_calls, 0);
	assert_int_equal(cache_fs.count_calls + cache_fs.scan_calls, 0);
	assert_int_equal(cache_io.nr, SHRINK_PAGES);
	assert_int_equal(cache_fs.nr, SHRINK_PAGES);

	/* GFP_NOFS down to the watermark again: the I/O shrinker runs, the filesystem one not. */
	take_all(&held, GFP_NOFS | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_true(cache_io.scan_calls > 0);
	assert_int_equal(cache_io.seen_gfp, GFP_NOFS | __GFP_NORETRY | __GFP_NOWARN);
	assert_int_equal(cache_io.nr, 0);
	assert_int_equal(cache_fs.count_calls + cache_fs.scan_calls, 0);
	assert_int_equal(cache_fs.nr, SHRINK_PAGES);

	/* GFP_KERNEL: the filesystem shrinker too. */
	take_all(&held, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_true(cache_fs.scan_calls > 0);
	assert_int_equal(cache_fs.seen_gfp, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	assert_int_equal(cache_fs.nr, 0);
	assert_false(cache_a.gfp_mismatch || cache_io.gfp_mismatch || cache_fs.gfp_mismatch);

	unregister_shrinker(&cache_fs.s);
	unregister_shrinker(&cache_io.s);
	unregister_shrinker(&cache_a.s);
	cache_drop(&cache_a);
	cache_drop(&cache_io);
	cache_drop(&cache_fs);
	check_mm();
}

/* --- placement --- */

static void test_thisnode_does_not_fall_back(void **state)
{
	struct page *page;
	size_t n;

	(void)state;
	mm_boot((struct kmb_mm_config){ .nr_nodes = 2 });
	assert_int_equal(kmb_mm_nr_nodes(), 2);
	held.order = 0;
	while ((page = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE | __GFP_NORETRY |
					__GFP_NOWARN, 0))) {
		assert_true(held.nr < MAX_PAGES);
		held.p[held.nr++] = page;
	}
	n = held.nr;
	assert_true(n > NODE_MEM / PAGE_SIZE / 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(page_to_nid(held.p[i]), 0);
	/* Node 0 is at its watermark: with __GFP_THISNODE nothing more, not even by waiting. */
	assert_null(alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE | __GFP_NORETRY |
				     __GFP_NOWARN, 0));
	/* Without it, node 0's zonelist falls back to node 1. */
	page = alloc_pages_node(0, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_non_null(page);
	held.p[held.nr++] = page;
	assert_int_equal(page_to_nid(page), 1);
	/* And node 1 asked directly, with __GFP_THISNODE, is node 1. */
	page = alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 0);
	assert_non_null(page);
	held.p[held.nr++] = page;
	assert_int_equal(page_to_nid(page), 1);
	check_mm();
}

static void test_dma_zone(void **state)
{
	const unsigned long dma_pfns = (16 * MIB) >> PAGE_SHIFT;
	struct page *page;
	size_t n;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	/* GFP_KERNEL prefers ZONE_NORMAL, keeping DMA for those who need it. */
	page = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	extra.order = 0;
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);

	n = take_all(&held, GFP_KERNEL | __GFP_DMA | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_true(n > dma_pfns / 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(page_zonenum(held.p[i]), ZONE_DMA);
		assert_true(page_to_pfn(held.p[i]) < dma_pfns);
	}
	/* ZONE_DMA at its watermark, ZONE_NORMAL nearly untouched: GFP_DMA still fails ... */
	assert_null(alloc_pages(GFP_DMA | __GFP_NOWARN, 0));
	assert_null(alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_NORETRY | __GFP_NOWARN, 0));
	/* ... and GFP_KERNEL still succeeds, from ZONE_NORMAL. */
	page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	assert_true(page_to_pfn(page) >= dma_pfns);
	check_mm();
}

static void test_highmem(void **state)
{
	const unsigned long low_pfns = (24 * MIB) >> PAGE_SHIFT;
	struct page *page;
	unsigned long addr;
	size_t n = 0;

	(void)state;
	mm_boot((struct kmb_mm_config){ .lowmem_limit = 24 * MIB });
	assert_int_equal(kmb_memmap.max_low_pfn, low_pfns);

	/* GFP_HIGHUSER prefers HIGHMEM: no linear address. */
	page = alloc_pages(GFP_HIGHUSER, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	extra.order = 0;
	assert_int_equal(page_zonenum(page), ZONE_HIGHMEM);
	assert_true(PageHighMem(page));
	assert_null(page_address(page));
	assert_true(page_to_pfn(page) >= low_pfns);

	/* __get_free_pages() masks __GFP_HIGHMEM: every page it gives has a linear address,
	 * down to the low zones' watermarks ... */
	held.order = 0;
	while ((addr = __get_free_pages(GFP_KERNEL | __GFP_HIGHMEM | __GFP_NORETRY |
					__GFP_NOWARN, 0))) {
		page = virt_to_page((void *)addr);
		assert_true(virt_addr_valid((void *)addr));
		assert_int_not_equal(page_zonenum(page), ZONE_HIGHMEM);
		assert_ptr_equal(page_address(page), (void *)addr);
		assert_true(held.nr < MAX_PAGES);
		held.p[held.nr++] = page;
		n++;
	}
	assert_true(n > 0);
	assert_int_equal(get_zeroed_page(GFP_KERNEL | __GFP_HIGHMEM | __GFP_NORETRY |
					 __GFP_NOWARN), 0);
	/* ... while HIGHMEM was there all along. */
	page = alloc_pages(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	assert_int_equal(page_zonenum(page), ZONE_HIGHMEM);
	/* Without __GFP_HIGHMEM, alloc_pages() does not use it either. */
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0));
	check_mm();
}

/*
 * Two nodes, lowmem_limit inside node 0: node 1 is all HIGHMEM, so its mem_map must come from
 * node 0's low memory, beside node 0's own.  Every frame keeps the node and zone of its
 * physical address, and a HIGHMEM page can be had on node 1.
 */
static void test_highmem_second_node(void **state)
{
	const unsigned long node_pfns = NODE_MEM >> PAGE_SHIFT;
	const unsigned long dma_pfns = (16 * MIB) >> PAGE_SHIFT;
	const unsigned long low_pfns = (24 * MIB) >> PAGE_SHIFT;
	struct page *page;

	(void)state;
	mm_boot((struct kmb_mm_config){ .nr_nodes = 2, .lowmem_limit = 24 * MIB });
	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++) {
		const struct page *p = pfn_to_page(pfn);
		enum zone_type zone = pfn < dma_pfns ? ZONE_DMA :
				      pfn < low_pfns ? ZONE_NORMAL : ZONE_HIGHMEM;

		if (page_to_nid(p) != (int)(pfn / node_pfns) || page_zonenum(p) != zone)
			fail_msg("pfn %#lx: struct page says node %d zone %d, the frame is on node "
				 "%lu zone %d: two nodes' mem_map overlap", pfn, page_to_nid(p),
				 page_zonenum(p), pfn / node_pfns, zone);
	}
	check_mm();
	page = alloc_pages_node(1, GFP_HIGHUSER | __GFP_THISNODE, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	extra.order = 0;
	assert_int_equal(page_to_nid(page), 1);
	assert_int_equal(page_zonenum(page), ZONE_HIGHMEM);
	assert_null(page_address(page));
	/* Low memory is node 0's only: GFP_KERNEL on node 1 falls back to node 0. */
	page = alloc_pages_node(1, GFP_KERNEL, 0);
	assert_non_null(page);
	extra.p[extra.nr++] = page;
	assert_int_equal(page_to_nid(page), 0);
	check_mm();
}

static void test_zero(void **state)
{
	unsigned long addr;
	size_t n;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	/* Dirty every page we can get, give them back, then ask for zeroed ones. */
	n = take_all(&held, FILL_GFP, 0);
	for (size_t i = 0; i < n; i++)
		memset(page_address(held.p[i]), 0xa5, PAGE_SIZE);
	put_all(&held);
	for (size_t i = 0; i < n / 2; i++) {
		const unsigned char *p;

		addr = i & 1 ? get_zeroed_page(GFP_KERNEL) :
			       (unsigned long)page_address(alloc_pages(GFP_KERNEL | __GFP_ZERO, 0));
		assert_true(addr != 0);
		p = (const unsigned char *)addr;
		for (size_t b = 0; b < PAGE_SIZE; b++)
			if (p[b])
				fail_msg("page %zu byte %zu is %#x", i, b, p[b]);
		held.p[held.nr++] = virt_to_page(p);
	}
	check_mm();
}

/* --- kmb_gfp_format --- */

static void expect_format(gfp_t gfp, const char *want)
{
	char buf[256];
	size_t n = kmb_gfp_format(buf, sizeof(buf), gfp);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/*
 * The kernel's values and its %pGg text (lib/vsprintf.c format_flags over mm/debug.c
 * gfpflag_names, Linux 6.18): the masks of real reports ("mode:0xcc0(GFP_KERNEL)",
 * "gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)") and lib/tests/printf_kunit.c's cases.
 */
static void test_gfp_format(void **state)
{
	char buf[256], small[8];

	(void)state;
	/* include/linux/gfp_types.h: the values, and GFP_NOWAIT's __GFP_NOWARN */
	assert_int_equal(GFP_KERNEL, 0xcc0);
	assert_int_equal(GFP_ATOMIC, 0x820);	/* 0x200 (__GFP_ATOMIC) went in 6.4 */
	assert_int_equal(GFP_NOWAIT, 0x2800);
	assert_int_equal(GFP_NOWAIT & __GFP_NOWARN, __GFP_NOWARN);
	assert_int_equal(GFP_KERNEL_ACCOUNT, 0x400cc0);
	assert_int_equal(GFP_HIGHUSER_MOVABLE, 0x100cca);
	assert_int_equal(GFP_TRANSHUGE, 0x1c24ca);
	assert_int_equal(__GFP_ZERO, 0x100);
	assert_int_equal(__GFP_COMP, 0x40000);

	expect_format(GFP_KERNEL, "GFP_KERNEL");
	expect_format(GFP_ATOMIC, "GFP_ATOMIC");
	expect_format(GFP_NOWAIT, "GFP_NOWAIT");
	expect_format(GFP_NOIO, "GFP_NOIO");
	expect_format(GFP_NOFS, "GFP_NOFS");
	expect_format(GFP_USER, "GFP_USER");
	expect_format(GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT");
	expect_format(GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE");
	expect_format(GFP_HIGHUSER_MOVABLE | __GFP_COMP, "GFP_HIGHUSER_MOVABLE|__GFP_COMP");
	expect_format(GFP_TRANSHUGE, "GFP_TRANSHUGE");
	expect_format(GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT");
	expect_format(GFP_ATOMIC | __GFP_DMA, "GFP_ATOMIC|GFP_DMA");
	expect_format(__GFP_HIGH, "__GFP_HIGH");
	expect_format(GFP_KERNEL | __GFP_NOWARN, "GFP_KERNEL|__GFP_NOWARN");
	/* singles in bit order, not in the order they were or'ed */
	expect_format(GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO, "GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN");
	expect_format(GFP_KERNEL | __GFP_NOFAIL, "GFP_KERNEL|__GFP_NOFAIL");
	expect_format(GFP_NOWAIT & ~__GFP_NOWARN, "__GFP_KSWAPD_RECLAIM");
	expect_format(__GFP_RECLAIM | __GFP_NORETRY, "GFP_NOIO|__GFP_NORETRY");
	/* bits with no name: a number last, as the kernel's leftover */
	expect_format(0x800000, "0x800000");
	expect_format(__GFP_HIGH | 0xfc000000u, "__GFP_HIGH|0xfc000000");
	expect_format(0, "");

	/* Truncation: what fits, NUL-terminated, and the length it needed (as snprintf). */
	assert_int_equal(kmb_gfp_format(small, sizeof(small), GFP_ATOMIC | __GFP_ZERO),
			 strlen("GFP_ATOMIC|__GFP_ZERO"));
	assert_string_equal(small, "GFP_ATO");
	assert_int_equal(kmb_gfp_format(NULL, 0, GFP_KERNEL), strlen("GFP_KERNEL"));
	assert_int_equal(kmb_gfp_format(buf, sizeof(buf), GFP_KERNEL), strlen("GFP_KERNEL"));
}

/* --- reports on stderr --- */

static void test_nowarn_is_silent(void **state)
{
	struct kmb_mm_stats s0, s1;
	struct capture cap;
	struct page *p1, *p2, *p3;
	unsigned long a1;
	char *text;

	(void)state;
	mm_boot((struct kmb_mm_config){ .reclaim_wait_ms = 1 });
	fill();
	s0 = stats();
	capture_begin(&cap);
	p1 = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1);
	a1 = __get_free_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1);
	p2 = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	p3 = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, MAX_PAGE_ORDER);
	text = capture_end(&cap);
	s1 = stats();

	assert_null(p1);
	assert_int_equal(a1, 0);
	assert_null(p2);
	assert_null(p3);
	assert_string_equal(text, "");
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 4);
	assert_int_equal(s1.warn_suppressed, s0.warn_suppressed);
	check_mm();
}

static void test_failure_warning(void **state)
{
	struct capture cap;
	struct page *page;
	char *text;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	fill();
	capture_begin(&cap);
	page = alloc_pages(GFP_KERNEL | __GFP_NORETRY, 0);
	text = capture_end(&cap);

	assert_null(page);
	assert_int_equal(count_substr(text, "page allocation failure: order:"), 1);
	assert_non_null(strstr(text, "page allocation failure: order:0, mode:"));
	assert_non_null(strstr(text, "(GFP_KERNEL|__GFP_NORETRY)"));
	assert_non_null(strstr(text, "nid=0"));
	/* show_free_areas(): the zones and their free blocks */
	assert_non_null(strstr(text, "Node 0 Normal free:"));
	assert_non_null(strstr(text, "Node 0 DMA free:"));
	assert_prefixed(text);
	check_mm();
}

static void test_order_above_max(void **state)
{
	struct capture cap;
	struct page *p1, *p2;
	char *text;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	capture_begin(&cap);
	p1 = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1);
	text = capture_end(&cap);
	assert_null(p1);
	assert_int_equal(count_substr(text, "page allocation failure: order:11, mode:"), 1);
	assert_non_null(strstr(text, "GFP_KERNEL"));
	assert_prefixed(text);

	/* The largest order is fine on a machine that has nothing allocated. */
	p2 = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	assert_non_null(p2);
	__free_pages(p2, MAX_PAGE_ORDER);
	check_mm();
}

static void test_failure_warning_rate_limited(void **state)
{
	struct kmb_mm_stats s0, s1;
	struct capture cap;
	int headers, nulls = 0;
	char *text;

	(void)state;
	mm_boot((struct kmb_mm_config){ 0 });
	fill();
	s0 = stats();
	capture_begin(&cap);
	for (int i = 0; i < 100; i++)
		nulls += !alloc_pages(GFP_KERNEL | __GFP_NORETRY, 0);
	text = capture_end(&cap);
	s1 = stats();

	assert_int_equal(nulls, 100);
	headers = count_substr(text, "page allocation failure: order:0");
	assert_true(headers <= 10);	/* DEFAULT_RATELIMIT_BURST */
	assert_true(s1.warn_suppressed - s0.warn_suppressed >= (unsigned long)(100 - headers));
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 100);
	check_mm();
}

#define T(f) cmocka_unit_test_teardown(f, mm_down)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_atomic_dips_into_reserves),
		T(test_atomic_after_fill),
		T(test_kernel_waits_for_free),
		T(test_kernel_fails_when_nobody_frees),
		T(test_noretry_does_not_wait),
		T(test_nowait_never_reclaims),
		T(test_costly_order_needs_retry_mayfail),
		T(test_costly_order_fragmented),
		T(test_nofail_never_returns_null),
		T(test_shrinker_frees_for_kernel),
		T(test_shrinkers_respect_noio_nofs),
		T(test_thisnode_does_not_fall_back),
		T(test_dma_zone),
		T(test_highmem),
		T(test_highmem_second_node),
		T(test_zero),
		cmocka_unit_test(test_gfp_format),
		/* stderr and the process-wide rate limit: keep these last, in this order */
		T(test_nowarn_is_silent),
		T(test_failure_warning),
		T(test_order_above_max),
		T(test_failure_warning_rate_limited),
	};

	return cmocka_run_group_tests_name("buddy_gfp", tests, NULL, drop_kept_text);
}
