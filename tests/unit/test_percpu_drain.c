/*
 * test_percpu_drain.c - drains of the per-CPU caches (percpu.h's struct kmb_pcpu_cache) while
 * their owners run: the slab sheaves and the page lists in the mode KMB_TEST_SLAB_PERCPU and
 * KMB_TEST_PCP_MODE ask for (tests/CMakeLists.txt runs it in each; the plain run is the
 * default, cpu-rseq where rseq works).
 *
 * DRAIN_WORKERS threads allocate and free objects of one cache and order-0..3 blocks of pages,
 * keeping up to DRAIN_KEEP of each alive, while another thread calls kmem_cache_shrink() (every
 * CPU's and every thread's sheaves back to the slabs) and drain_all_pages() (every list back to
 * the buddy lists) over and over.  Each live object and block carries its owner's tag in its
 * first word: an allocation that finds a tag already there was handed out twice, a free that
 * finds another tag freed what it does not own.  Then, with the workers alive and parked,
 * every object they hold is counted: the objects in use (every CPU's and thread's sheaves
 * flushed) must be exactly the ones held, and slabinfo's active objects the same.  The workers
 * free what they hold and exit; the cache has no object left, kmem_cache_destroy succeeds,
 * every frame is back in the buddy lists (free == managed, nothing on a list) and
 * kmb_mm_check passes.
 *
 * KMB_TEST_DRAIN_FAULT=1 plants a fault: the drain protocol skips its wait for threads inside a
 * fast path (kmb_pcpu_test_skip_wait), so a thread-mode drain may flush a sheaf or a list its
 * owner is popping, and the workers run four times as long (the fault shows when a worker is
 * preempted inside a fast path while a drain runs).  test_percpu_drain_planted runs it in
 * thread mode and must fail: a tag found wrong, a bad-page report, or the watchdog.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "page_alloc.h"
#include "slab.h"
#include "slab_test.h"

#define DRAIN_WORKERS	8
#define DRAIN_OPS	400000	/* alloc-or-free steps per worker */
#define DRAIN_KEEP	256	/* objects (and blocks) a worker holds at most */
#define DRAIN_TAG	0x5ca1ab1e00000000UL

struct worker {
	pthread_t tid;
	int id;
	uint64_t seed;
	void *obj[DRAIN_KEEP];
	unsigned int nobj;
	struct page *blk[DRAIN_KEEP];
	unsigned int blk_order[DRAIN_KEEP];
	unsigned int nblk;
	unsigned long bad;	/* tags found wrong */
	char why[160];
};

static struct kmem_cache *cache;
static volatile int stop_drainer;
static pthread_barrier_t parked, release;	/* workers and the main thread */
static unsigned long drains;
static int ops = DRAIN_OPS;

static void bad(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->bad++) {
		va_start(ap, fmt);
		vsnprintf(w->why, sizeof(w->why), fmt, ap);
		va_end(ap);
	}
}

static uint64_t tag_of(const struct worker *w, unsigned int i)
{
	return DRAIN_TAG | (uint64_t)w->id << 24 | i;
}

static void take_obj(struct worker *w)
{
	uint64_t *p = kmem_cache_alloc(cache, GFP_KERNEL);

	if (!p) {
		bad(w, "kmem_cache_alloc failed");
		return;
	}
	if ((*p & 0xffffffff00000000UL) == DRAIN_TAG)
		bad(w, "object %p handed out twice (tag %#lx)", (void *)p, (unsigned long)*p);
	*p = tag_of(w, w->nobj);
	w->obj[w->nobj++] = p;
}

static void give_obj(struct worker *w, unsigned int i)
{
	uint64_t *p = w->obj[i];

	if (*p != tag_of(w, i))
		bad(w, "object %p: tag %#lx, not ours", (void *)p, (unsigned long)*p);
	*p = 0;
	kmem_cache_free(cache, p);
	w->obj[i] = w->obj[--w->nobj];
	if (i < w->nobj)
		*(uint64_t *)w->obj[i] = tag_of(w, i);
}

static void take_blk(struct worker *w, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);
	uint64_t *p;

	if (!page) {
		bad(w, "alloc_pages(%u) failed", order);
		return;
	}
	p = page_address(page);
	if ((*p & 0xffffffff00000000UL) == DRAIN_TAG)
		bad(w, "block %p handed out twice (tag %#lx)", (void *)p, (unsigned long)*p);
	*p = tag_of(w, w->nblk);
	w->blk_order[w->nblk] = order;
	w->blk[w->nblk++] = page;
}

static void give_blk(struct worker *w, unsigned int i)
{
	uint64_t *p = page_address(w->blk[i]);

	if (*p != tag_of(w, i))
		bad(w, "block %p: tag %#lx, not ours", (void *)p, (unsigned long)*p);
	*p = 0;
	__free_pages(w->blk[i], w->blk_order[i]);
	w->nblk--;
	w->blk[i] = w->blk[w->nblk];
	w->blk_order[i] = w->blk_order[w->nblk];
	if (i < w->nblk)
		*(uint64_t *)page_address(w->blk[i]) = tag_of(w, i);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int n = 0; n < ops; n++) {
		uint64_t r = rnd(&w->seed);

		/* Mostly objects; a block now and then.  More allocations than frees while
		 * little is held, so that the sheaves and lists fill and empty. */
		if (r % 8) {
			if (w->nobj < DRAIN_KEEP && (!w->nobj || (r >> 8) % 100 < 55))
				take_obj(w);
			else
				give_obj(w, (unsigned int)((r >> 16) % w->nobj));
		} else if (w->nblk < DRAIN_KEEP && (!w->nblk || (r >> 8) % 100 < 55)) {
			take_blk(w, (unsigned int)((r >> 24) % 4));
		} else {
			give_blk(w, (unsigned int)((r >> 16) % w->nblk));
		}
	}
	/* Parked, alive, holding what they hold: the main thread counts. */
	pthread_barrier_wait(&parked);
	pthread_barrier_wait(&release);
	while (w->nobj)
		give_obj(w, w->nobj - 1);
	while (w->nblk)
		give_blk(w, w->nblk - 1);
	return NULL;
}

static void *drainer_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_drainer, __ATOMIC_RELAXED)) {
		kmem_cache_shrink(cache);
		drain_all_pages(NULL);
		drains++;
	}
	return NULL;
}

static void drain_while_running(void **state)
{
	static struct worker w[DRAIN_WORKERS];
	const char *fault = getenv("KMB_TEST_DRAIN_FAULT");
	unsigned long held = 0, in_use;
	struct slabinfo_row row;
	struct kmb_mm_stats st;
	uint64_t seed = seed_from_env("test_percpu_drain", 0x9e3779b97f4a7c15ULL);
	pthread_t drainer;

	(void)state;
	if (fault && *fault == '1') {
		print_message("[ INFO     ] planted fault: the drain protocol does not wait\n");
		kmb_pcpu_test_skip_wait(true);
		alarm(10);	/* a corrupt freelist may make the allocator loop: fail sooner */
		ops = 4 * DRAIN_OPS;	/* the race needs a preemption inside a fast path */
	}
	cache = kmem_cache_create("drain", 64, 0, 0, NULL);
	assert_non_null(cache);
	pthread_barrier_init(&parked, NULL, DRAIN_WORKERS + 1);
	pthread_barrier_init(&release, NULL, DRAIN_WORKERS + 1);
	stop_drainer = 0;
	drains = 0;
	assert_int_equal(pthread_create(&drainer, NULL, drainer_main, NULL), 0);
	for (int i = 0; i < DRAIN_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i + 1;
		w[i].seed = seed + (uint64_t)i;
		assert_int_equal(pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
	}
	pthread_barrier_wait(&parked);
	__atomic_store_n(&stop_drainer, 1, __ATOMIC_RELAXED);
	pthread_join(drainer, NULL);
	print_message("[ INFO     ] %lu drains of the sheaves and the page lists\n", drains);

	/* The workers are alive with their sheaves: every one is flushed for the count. */
	for (int i = 0; i < DRAIN_WORKERS; i++)
		held += w[i].nobj;
	in_use = kmem_cache_objects_in_use(cache);
	row = slabinfo_row("drain");
	pthread_barrier_wait(&release);
	for (int i = 0; i < DRAIN_WORKERS; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].bad)
			fail_msg("worker %d: %lu wrong tags; the first: %s", w[i].id, w[i].bad,
				 w[i].why);
	}
	assert_int_equal(in_use, held);
	assert_int_equal(row.active_objs, held);

	/* Everything freed, the workers gone (their sheaves and lists with them). */
	assert_int_equal(kmem_cache_objects_in_use(cache), 0);
	assert_int_equal(kmem_cache_destroy(cache), 0);
	drain_all_pages(NULL);
	kmb_mm_get_stats(&st);
	assert_int_equal(st.pcp_pages, 0);
	kmem_cache_exit();
	check_mm();
	kmb_mm_get_stats(&st);
	assert_int_equal(st.free_pages + st.pcp_pages, st.managed_pages);
	kmb_pcpu_test_skip_wait(false);
}

static int drain_setup(void **state)
{
	(void)state;
	slab_boot_watched(1);
	return 0;
}

static int drain_teardown(void **state)
{
	(void)state;
	kmb_mm_teardown();
	alarm(0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(drain_while_running, drain_setup, drain_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
