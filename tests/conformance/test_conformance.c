/*
 * test_conformance.c - every registered backend through the same checks.
 *
 * Usage: test_conformance <backend>.  A backend that replaces malloc (KMB_CAP_PRELOAD) is
 * re-executed once with LD_PRELOAD set to its library, as `kmbench run` runs it; a backend that
 * cannot run in this build (library missing, AddressSanitizer build) exits 77, which ctest
 * reports as skipped, with the reason.  Once the backend is in place its init must succeed.
 *
 * Checks: many sizes (alignment, every byte writable, sized free), many live objects at once
 * (no two overlap), __GFP_ZERO, bulk alloc/free, free(NULL), objects freed by another thread,
 * statistics, invariant checks and held/live bytes where offered, object caches with constructors where offered
 * (all four cache operations or none; objects constructed once, reused constructed), fault
 * injection into a reserve's allocator where offered (all three operations or none).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include "kmbench/backend.h"
#include "run.h"

static const struct kmb_backend_ops *b;

/* A byte pattern that differs per object and per offset. */
static unsigned char pat(size_t obj, size_t off)
{
	return (unsigned char)(obj * 131 + off * 7 + 1);
}

static void fill(unsigned char *p, size_t size, size_t obj)
{
	for (size_t i = 0; i < size; i++)
		p[i] = pat(obj, i);
}

static void verify(const unsigned char *p, size_t size, size_t obj)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pat(obj, i))
			fail_msg("object %zu (%zu bytes) byte %zu is 0x%02x, wrote 0x%02x: "
				 "overlap or corruption", obj, size, i, p[i], pat(obj, i));
}

static void check_align(const void *p, size_t size)
{
	uintptr_t a = (uintptr_t)p;

	assert_int_equal(a % 8, 0);
	if (size >= 16)
		assert_int_equal(a % 16, 0);
}

static void test_sizes(void **state)
{
	(void)state;
	for (size_t size = 1; size <= 1u << 20; size = size < 512 ? size + 1 : size * 2 - 1) {
		unsigned char *p = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		assert_non_null(p);
		check_align(p, size);
		fill(p, size, size);
		verify(p, size, size);
		b->free(p, size);
	}
}

#define NLIVE 20000

static void test_many_live(void **state)
{
	unsigned char **p = calloc(NLIVE, sizeof(*p));
	size_t *sz = calloc(NLIVE, sizeof(*sz));
	unsigned int seed = 42;

	(void)state;
	assert_non_null(p);
	assert_non_null(sz);
	for (size_t i = 0; i < NLIVE; i++) {
		sz[i] = 1 + (size_t)rand_r(&seed) % (i % 100 == 0 ? 65536 : 512);
		p[i] = b->alloc(sz[i], GFP_KERNEL, NUMA_NO_NODE);
		assert_non_null(p[i]);
		check_align(p[i], sz[i]);
		fill(p[i], sz[i], i);
	}
	for (size_t i = 0; i < NLIVE; i++)	/* every object intact: none overlaps another */
		verify(p[i], sz[i], i);
	for (size_t i = NLIVE; i-- > 0;) {	/* free in a scrambled order */
		size_t j = (i * 7919) % NLIVE;

		if (p[j]) {
			b->free(p[j], sz[j]);
			p[j] = NULL;
		}
	}
	for (size_t i = 0; i < NLIVE; i++)
		if (p[i])
			b->free(p[i], sz[i]);
	free(p);
	free(sz);
}

static void test_zero(void **state)
{
	static const size_t sizes[] = { 8, 64, 100, 4096, 65536 };

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t size = sizes[s];

		for (int round = 0; round < 50; round++) {	/* dirty memory first, so reuse shows */
			unsigned char *d = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

			assert_non_null(d);
			memset(d, 0xa5, size);
			b->free(d, size);
		}
		unsigned char *z = b->alloc(size, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE);

		assert_non_null(z);
		for (size_t i = 0; i < size; i++)
			if (z[i])
				fail_msg("__GFP_ZERO allocation of %zu bytes has byte %zu = 0x%02x",
					 size, i, z[i]);
		b->free(z, size);
	}
}

static void test_bulk(void **state)
{
	enum { N = 1000 };
	void *p[N];

	(void)state;
	assert_int_equal(kmb_backend_alloc_bulk(b, 96, GFP_KERNEL, NUMA_NO_NODE, N, p), N);
	for (size_t i = 0; i < N; i++) {
		assert_non_null(p[i]);
		fill(p[i], 96, i);
	}
	for (size_t i = 0; i < N; i++)
		verify(p[i], 96, i);
	kmb_backend_free_bulk(b, 96, N, p);
}

static void test_free_null(void **state)
{
	(void)state;
	b->free(NULL, 64);	/* must be ignored, as kfree(NULL) is */
}

/* Objects allocated on one thread and freed on another (a remote free). */
struct handoff {
	void *objs[4096];
	size_t n;
};

static void *remote_free_thread(void *arg)
{
	struct handoff *h = arg;

	if (b->thread_init && b->thread_init())
		return (void *)1;
	for (size_t i = 0; i < h->n; i++) {
		verify(h->objs[i], 128, i);
		b->free(h->objs[i], 128);
	}
	if (b->thread_fini)
		b->thread_fini();
	return NULL;
}

static void test_remote_free(void **state)
{
	struct handoff *h = calloc(1, sizeof(*h));
	pthread_t t;
	void *ret;

	(void)state;
	assert_non_null(h);
	for (int round = 0; round < 10; round++) {
		h->n = 4096;
		for (size_t i = 0; i < h->n; i++) {
			h->objs[i] = b->alloc(128, GFP_KERNEL, NUMA_NO_NODE);
			assert_non_null(h->objs[i]);
			fill(h->objs[i], 128, i);
		}
		assert_int_equal(pthread_create(&t, NULL, remote_free_thread, h), 0);
		assert_int_equal(pthread_join(t, &ret), 0);
		assert_null(ret);
	}
	free(h);
}

/* Object caches with constructors (cache_* of backend.h), where the backend offers them. */
#define CACHE_OBJ 100
#define CACHE_N 1000

static unsigned long cache_ctor_calls;	/* the test is single-threaded */

static void cache_ctor(void *p)
{
	cache_ctor_calls++;
	fill(p, CACHE_OBJ, 0);		/* the constructed state: pattern 0 */
}

static void test_object_cache(void **state)
{
	const struct kmb_cache_ops *co = b->cache;
	int offered = co ? !!co->create + !!co->alloc + !!co->free + !!co->destroy : 0;
	void **p = calloc(CACHE_N, sizeof(*p));
	void *c, *c2;
	unsigned long calls;

	(void)state;
	assert_non_null(p);
	if (offered != 4) {
		if (co)		/* a part is all four, or absent */
			fail_msg("%s offers %d of the 4 cache operations: all or none", b->name,
				 offered);
		free(p);
		return;
	}
	c = co->create("conformance", CACHE_OBJ, cache_ctor);
	c2 = co->create("conformance", CACHE_OBJ, NULL);	/* the same name again */
	assert_non_null(c);
	assert_non_null(c2);
	assert_ptr_not_equal(c, c2);
	for (size_t i = 0; i < CACHE_N; i++) {
		p[i] = co->alloc(c, GFP_KERNEL);
		assert_non_null(p[i]);
		check_align(p[i], CACHE_OBJ);
		verify(p[i], CACHE_OBJ, 0);		/* constructed */
		fill(p[i], CACHE_OBJ, i + 1);		/* used */
	}
	assert_true(cache_ctor_calls >= CACHE_N);
	for (size_t i = 0; i < CACHE_N; i++)		/* none overlaps another */
		verify(p[i], CACHE_OBJ, i + 1);
	for (size_t i = CACHE_N; i-- > 0;) {		/* freed in the constructed state */
		fill(p[i], CACHE_OBJ, 0);
		co->free(c, p[i]);
	}
	co->free(c, NULL);				/* ignored */
	calls = cache_ctor_calls;
	for (size_t i = 0; i < 16; i++) {	/* reuse: constructed, and no constructor runs */
		p[i] = co->alloc(c, GFP_KERNEL);
		assert_non_null(p[i]);
		verify(p[i], CACHE_OBJ, 0);
	}
	assert_int_equal(cache_ctor_calls, calls);
	for (size_t i = 16; i-- > 0;)
		co->free(c, p[i]);
	p[0] = co->alloc(c2, GFP_KERNEL);		/* a cache without a constructor */
	assert_non_null(p[0]);
	fill(p[0], CACHE_OBJ, 7);
	co->free(c2, p[0]);
	assert_int_equal(cache_ctor_calls, calls);
	co->destroy(c2);
	co->destroy(c);
	co->destroy(NULL);				/* ignored */
	free(p);
}

/*
 * Fault injection and reserve counters (the reserve part: set_fail, stats, reset), where offered:
 * all three or none; with every underlying allocation failing, GFP_ATOMIC allocations are served
 * from the reserve until it is empty and then get NULL; the frees refill it; and turned off,
 * nothing comes from the reserve.
 */
#define RESERVE_SIZE 128

static void test_fault_injection(void **state)
{
	const struct kmb_reserve_ops *ro = b->reserve;
	int offered = ro ? !!ro->set_fail + !!ro->stats + !!ro->reset : 0;
	struct kmb_reserve_stats rs;
	void **p;
	long n = 0;

	(void)state;
	if (offered != 3) {
		if (ro)		/* a part is all three, or absent */
			fail_msg("%s offers %d of the 3 fault-injection operations: all or none",
				 b->name, offered);
		return;
	}
	assert_int_equal(ro->set_fail(1001), -EINVAL);
	assert_int_equal(ro->stats(RESERVE_SIZE, &rs), 0);
	assert_true(rs.min_nr > 0);
	assert_int_equal(rs.curr_nr, rs.min_nr);
	p = calloc((size_t)rs.min_nr + 1, sizeof(*p));
	assert_non_null(p);
	ro->reset(RESERVE_SIZE);
	assert_int_equal(ro->set_fail(1000), 0);
	while (n <= rs.min_nr && (p[n] = b->alloc(RESERVE_SIZE, GFP_ATOMIC, NUMA_NO_NODE))) {
		fill(p[n], RESERVE_SIZE, (size_t)n);
		n++;
	}
	assert_int_equal(n, rs.min_nr);			/* the reserve, then NULL */
	assert_int_equal(ro->stats(RESERVE_SIZE, &rs), 0);
	assert_int_equal(rs.curr_nr, 0);
	assert_int_equal(rs.from_reserve, (unsigned long)n);
	assert_int_equal(rs.nulls, 1);
	assert_true(rs.injected >= (unsigned long)n + 1);
	assert_int_equal(rs.waits + rs.waited + rs.wait_ns + rs.max_wait_ns, 0);
	assert_int_equal(ro->set_fail(0), 0);
	while (n--) {
		verify(p[n], RESERVE_SIZE, (size_t)n);
		b->free(p[n], RESERVE_SIZE);
	}
	assert_int_equal(ro->stats(RESERVE_SIZE, &rs), 0);
	assert_int_equal(rs.curr_nr, rs.min_nr);	/* refilled by the frees */
	ro->reset(RESERVE_SIZE);
	p[0] = b->alloc(RESERVE_SIZE, GFP_ATOMIC, NUMA_NO_NODE);
	assert_non_null(p[0]);
	b->free(p[0], RESERVE_SIZE);
	assert_int_equal(ro->stats(RESERVE_SIZE, &rs), 0);
	assert_int_equal(rs.from_reserve + rs.injected + rs.nulls, 0);
	free(p);
}

static size_t nstats;

static void count_num(void *ctx, const char *key, double v)
{
	(void)ctx;
	assert_non_null(key);
	assert_true(isfinite(v));	/* the fragmentation index is -1 when a block is free */
	nstats++;
}

static void count_text(void *ctx, const char *key, const char *text)
{
	(void)ctx;
	assert_non_null(key);
	assert_non_null(text);
	nstats++;
}

static void test_stats_and_check(void **state)
{
	struct kmb_stats_sink sink = { count_num, count_text, NULL };
	char why[256] = "";

	(void)state;
	if (b->caps & KMB_CAP_STATS) {
		nstats = 0;
		assert_int_equal(b->stats(&sink), 0);
		assert_true(nstats > 0);
	}
	if (b->check && b->check(why, sizeof(why)))
		fail_msg("%s: invariant check failed: %s", b->name, why);
}

/*
 * Held and live bytes (usage), where offered: -1 only for what the backend cannot say, held
 * never below live, and live following NUSAGE objects of USAGE_SIZE up and down (by at least
 * half their bytes: the slab backends count the objects of a per-CPU slab, and those held in
 * sheaves and the barn, as in use, as /proc/slabinfo does: slab-bigsheaves keeps up to 512
 * objects on a CPU and 2560 in the barn, so the thread stays on one CPU and the count is four
 * times that; vmalloc's areas, one mapping each, stay far below vm.max_map_count).
 */
#define NUSAGE 8192
#define USAGE_SIZE 256
#define USAGE_SLACK (64 * 1024)	/* held and live are not read atomically */

static void usage_ok(const struct kmb_backend_usage *u)
{
	assert_true(u->held >= 0);
	assert_true(u->live >= -1);
	if (u->live >= 0 && u->live > u->held + USAGE_SLACK)
		fail_msg("live %lld above held %lld", u->live, u->held);
}

static void test_usage(void **state)
{
	static void *p[NUSAGE];
	struct kmb_backend_usage before, during, after;
	long long grow = NUSAGE * USAGE_SIZE / 2;

	cpu_set_t was, here;

	(void)state;
	if (!b->usage || b->usage(&before) == -ENOTSUP)
		skip();		/* it cannot say here (glibc's under a sanitizer's malloc) */
	/* one CPU's per-CPU caches, not those of every CPU the thread might pass through */
	assert_int_equal(sched_getaffinity(0, sizeof(was), &was), 0);
	CPU_ZERO(&here);
	CPU_SET(sched_getcpu(), &here);
	assert_int_equal(sched_setaffinity(0, sizeof(here), &here), 0);
	assert_int_equal(b->usage(&before), 0);
	usage_ok(&before);
	for (size_t i = 0; i < NUSAGE; i++) {
		p[i] = b->alloc(USAGE_SIZE, GFP_KERNEL, NUMA_NO_NODE);
		assert_non_null(p[i]);
	}
	assert_int_equal(b->usage(&during), 0);
	usage_ok(&during);
	for (size_t i = 0; i < NUSAGE; i++)
		b->free(p[i], USAGE_SIZE);
	assert_int_equal(b->usage(&after), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(was), &was), 0);
	usage_ok(&after);
	assert_true(during.held >= during.live);
	if (before.live < 0)
		return;		/* held alone (mimalloc) */
	if (during.live - before.live < grow || during.live - after.live < grow)
		fail_msg("live bytes %lld -> %lld -> %lld around %d objects of %d bytes",
			 before.live, during.live, after.live, NUSAGE, USAGE_SIZE);
}

static int setup(void **state)
{
	struct kmb_backend_config cfg = { .nthreads = 2, .max_size = 1u << 20 };
	char why[256] = "";
	int r;

	(void)state;
	r = b->init(&cfg, why, sizeof(why));
	if (r) {
		fprintf(stderr, "%s: init failed: %s\n", b->name, why);
		return -1;
	}
	return b->thread_init ? b->thread_init() : 0;
}

static int teardown(void **state)
{
	(void)state;
	if (b->thread_fini)
		b->thread_fini();
	b->fini();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_many_live),
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_remote_free),
		cmocka_unit_test(test_object_cache),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_stats_and_check),
		cmocka_unit_test(test_usage),
	};
	const char *pre;
	char name[96];

	if (argc != 2 || !(b = kmb_backend_find(argv[1]))) {
		fprintf(stderr, "usage: test_conformance <backend>\n");
		return 2;
	}
	if (b->caps & KMB_CAP_PRELOAD) {
		const char *why = kmb_backend_cannot_run(b);

		if (why) {
			printf("SKIP %s: %s\n", b->name, why);
			return 77;
		}
		pre = getenv("LD_PRELOAD");
		if (!pre || strcmp(pre, b->preload)) {	/* once: re-execute under the preload */
			setenv("LD_PRELOAD", b->preload, 1);
			execv("/proc/self/exe", argv);
			perror("execv");
			return 1;
		}
	}
	snprintf(name, sizeof(name), "conformance/%s", b->name);
	return cmocka_run_group_tests_name(name, tests, setup, teardown);
}
