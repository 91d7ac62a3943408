/*
 * test_slub_cpu.c - SLUB's multi-CPU machinery (mm/slub.c, Linux 6.8+): the CPU slab with its
 * lockless freelist, the frozen-slab protocol, the CPU partial lists with the kernel's limits,
 * the node partial lists, and sheaves switched on and off per cache, through the public API:
 *
 *   shape          kmb_slab_cache_info against the kernel's rules: set_cpu_partial's objects
 *                  (6, 24, 52, 120 by object size) and cpu_partial_slabs
 *                  (DIV_ROUND_UP(2 * objects, objs_per_slab)), calculate_sheaf_capacity's 4,
 *                  12, 28, 60; no sheaves and no CPU partial lists with sheaves off, in mode
 *                  none, and for debug caches;
 *   frozen         objects of this CPU's slab freed by another CPU go to the slab's own
 *                  freelist (the slab is frozen: no list moves), and this CPU takes exactly
 *                  those back (get_freelist) before it takes a new slab;
 *   cpu partial    freeing one object of each of many full slabs puts each on this CPU's
 *                  partial list, which grows to cpu_partial_slabs and is then drained to the
 *                  node whole (put_cpu_partial), for several object sizes;
 *   sheaves on/off the same frees go to a sheaf instead when the cache has sheaves (no slab
 *                  moves), and kmb_slab_set_sheaves(false) turns them off for new caches;
 *   concurrency    one owner thread allocates without pause while many threads free into its
 *                  slabs (lockless __slab_free against the owner's get_freelist and freezes),
 *                  in each per-CPU mode with sheaves on and off: no object handed out twice
 *                  (an owner word set by atomic exchange), none lost (every object comes back,
 *                  the cache is empty after a shrink, destroy finds none), every page back.
 *
 * Every test boots its own machine (slab_test.h).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "kmbench/tsan.h"
#include "slab_test.h"


static struct kmem_cache *create_ctor(const char *name, unsigned int size,
				      enum kmb_percpu_mode mode, enum kmem_cache_sheaves sheaves,
				      void (*ctor)(void *))
{
	struct kmem_cache_args args = { .percpu = mode, .sheaves = sheaves, .ctor = ctor };
	struct kmem_cache *s = __kmem_cache_create_args(name, size, &args, SLAB_HWCACHE_ALIGN);

	if (!s)
		fail_msg("__kmem_cache_create_args(%s) failed", name);
	return s;
}

static struct kmem_cache *create(const char *name, unsigned int size, enum kmb_percpu_mode mode,
				 enum kmem_cache_sheaves sheaves)
{
	return create_ctor(name, size, mode, sheaves, NULL);
}

/* The kernel's rules, written out again here (mm/slub.c set_cpu_partial,
 * slub_set_cpu_partial, calculate_sheaf_capacity with a 32-byte struct slab_sheaf and the
 * kmalloc size classes). */
static unsigned int want_cpu_partial(unsigned int size)
{
	return size >= 4096 ? 6 : size >= 1024 ? 24 : size >= 256 ? 52 : 120;
}

static unsigned int want_sheaf_capacity(unsigned int size)
{
	return size >= 4096 ? 4 : size >= 1024 ? 12 : size >= 256 ? 28 : 60;
}

static int fill_partials(struct kmem_cache *s, unsigned int slabs, int *drops);

/* --- shape --- */

static void test_shape(void **state)
{
	static const unsigned int sizes[] = { 8, 64, 200, 256, 700, 1024, 3000, 4096, 8192 };
	struct kmb_slab_cache_info in;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[40];
		struct kmem_cache *on, *off;
		unsigned int objs;

		snprintf(name, sizeof(name), "shape-on-%u", sizes[i]);
		on = create(name, sizes[i], KMB_PERCPU_CPU_LOCK, KMEM_SHEAVES_ON);
		snprintf(name, sizeof(name), "shape-off-%u", sizes[i]);
		off = create(name, sizes[i], KMB_PERCPU_CPU_LOCK, KMEM_SHEAVES_OFF);
		kmb_slab_cache_info(on, &in);
		objs = in.objs_per_slab;
		if (in.cpu_partial != want_cpu_partial(in.slab_size) ||
		    in.cpu_partial_slabs != (2 * in.cpu_partial + objs - 1) / objs ||
		    in.sheaf_capacity != want_sheaf_capacity(in.slab_size))
			fail_msg("size %u (slab size %u, %u a slab): cpu_partial %u slabs %u sheaf %u; "
				 "the kernel's %u, %u, %u", sizes[i], in.slab_size, objs,
				 in.cpu_partial, in.cpu_partial_slabs, in.sheaf_capacity,
				 want_cpu_partial(in.slab_size),
				 (2 * want_cpu_partial(in.slab_size) + objs - 1) / objs,
				 want_sheaf_capacity(in.slab_size));
		kmb_slab_cache_info(off, &in);
		assert_int_equal(in.sheaf_capacity, 0);
		assert_int_equal(in.cpu_partial, want_cpu_partial(in.slab_size));
		assert_int_equal(kmem_cache_destroy(on), 0);
		assert_int_equal(kmem_cache_destroy(off), 0);
	}
	/* cpu_partial set as through sysfs: the slab limit follows (slub_set_cpu_partial); 0 is
	 * no CPU partial list. */
	kmb_slab_set_cpu_partial(30);
	{
		struct kmem_cache *s = create("shape-cp30", 256, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_OFF);

		kmb_slab_cache_info(s, &in);
		assert_int_equal(in.cpu_partial, 30);
		assert_int_equal(in.cpu_partial_slabs, (60 + in.objs_per_slab - 1) / in.objs_per_slab);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	kmb_slab_set_cpu_partial(0);
	{
		struct kmem_cache *s = create("shape-cp0", 256, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_OFF);
		int drops;

		kmb_slab_cache_info(s, &in);
		assert_int_equal(in.cpu_partial_slabs, 0);
		pin(0);
		assert_int_equal(fill_partials(s, 3, &drops), 0);	/* to the node instead */
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	kmb_slab_set_cpu_partial(-1);
	/* A run's sheaf capacity (--sheaf-capacity) is what each creator would ask for: caches
	 * that ask for none get it, one that asks keeps its own, one without sheaves has none;
	 * and a sheaf that large really holds that many objects on the CPU. */
	kmb_slab_set_sheaf_capacity(200);
	{
		struct kmem_cache_args args = { .percpu = KMB_PERCPU_CPU_LOCK,
						.sheaves = KMEM_SHEAVES_ON, .sheaf_capacity = 8 };
		struct kmem_cache *big = create("shape-sc200", 1024, KMB_PERCPU_CPU_LOCK,
						KMEM_SHEAVES_ON);
		struct kmem_cache *own = __kmem_cache_create_args("shape-sc8", 1024, &args,
								  SLAB_HWCACHE_ALIGN);
		struct kmem_cache *off = create("shape-sc-off", 1024, KMB_PERCPU_CPU_LOCK,
						KMEM_SHEAVES_OFF);
		void *obj[150];

		assert_non_null(own);
		kmb_slab_cache_info(big, &in);
		assert_int_equal(in.sheaf_capacity, 200);
		kmb_slab_cache_info(own, &in);
		assert_int_equal(in.sheaf_capacity, 8);
		kmb_slab_cache_info(off, &in);
		assert_int_equal(in.sheaf_capacity, 0);
		pin(0);
		for (int i = 0; i < 150; i++)
			assert_non_null(obj[i] = kmem_cache_alloc(big, GFP_KERNEL));
		for (int i = 0; i < 150; i++)
			kmem_cache_free(big, obj[i]);
		/* All 150 stay in CPU 0's main sheaf: another CPU finds none of them (with the
		 * default 12, ten full sheaves would wait in the node's barn for it). */
		if (test_cpu[0] != test_cpu[1]) {
			void *other;

			pin(1);
			other = kmem_cache_alloc(big, GFP_KERNEL);
			assert_non_null(other);
			for (int i = 0; i < 150; i++)
				assert_ptr_not_equal(other, obj[i]);
			kmem_cache_free(big, other);
			pin(0);
		}
		assert_ptr_equal(kmem_cache_alloc(big, GFP_KERNEL), obj[149]);
		kmem_cache_free(big, obj[149]);
		assert_int_equal(kmem_cache_destroy(big), 0);
		assert_int_equal(kmem_cache_destroy(own), 0);
		assert_int_equal(kmem_cache_destroy(off), 0);
	}
	kmb_slab_set_sheaf_capacity(0);
	{
		struct kmem_cache *s = create("shape-sc-default", 1024, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_ON);

		kmb_slab_cache_info(s, &in);
		assert_int_equal(in.sheaf_capacity, want_sheaf_capacity(in.slab_size));
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	/* Mode none has no CPU slots: neither sheaves nor CPU partial lists. */
	{
		struct kmem_cache *s = create("shape-none", 64, KMB_PERCPU_NONE, KMEM_SHEAVES_ON);

		kmb_slab_cache_info(s, &in);
		assert_int_equal(in.sheaf_capacity, 0);
		assert_int_equal(in.cpu_partial, 0);
		assert_int_equal(in.cpu_partial_slabs, 0);
		assert_int_equal(kmb_slab_cpu_partial_slabs(s, test_cpu[0]), -1);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	/* Debug caches keep to the node lists (kmem_cache_debug): none of either. */
	kmb_slab_set_debug(SLAB_RED_ZONE);
	{
		struct kmem_cache *s = create("shape-debug", 64, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_ON);

		kmb_slab_cache_info(s, &in);
		assert_int_equal(in.sheaf_capacity, 0);
		assert_int_equal(in.cpu_partial_slabs, 0);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	kmb_slab_set_debug(0);
	/* An explicit capacity is taken as given. */
	{
		struct kmem_cache_args args = { .percpu = KMB_PERCPU_CPU_LOCK, .sheaf_capacity = 7 };
		struct kmem_cache *s = __kmem_cache_create_args("shape-cap", 64, &args, 0);

		assert_non_null(s);
		kmb_slab_cache_info(s, &in);
		assert_int_equal(in.sheaf_capacity, 7);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
}

/* --- the frozen protocol --- */

struct handoff {
	struct kmem_cache *s;
	void **objs;
	int n;
};

static void *free_on_cpu1(void *arg)
{
	struct handoff *h = arg;

	pin(1);
	for (int i = 0; i < h->n; i++)
		kmem_cache_free(h->s, h->objs[i]);
	return NULL;
}

static void free_from_cpu1(struct kmem_cache *s, void **objs, int n)
{
	struct handoff h = { s, objs, n };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, free_on_cpu1, &h), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* One slab's objects, all taken by this CPU; half freed by the other CPU go to the frozen
 * slab's own freelist, and this CPU's next allocations are exactly those, from no new slab. */
static void test_frozen(void **state)
{
	enum kmb_percpu_mode modes[] = { KMB_PERCPU_CPU_LOCK, KMB_PERCPU_CPU_RSEQ };

	(void)state;
	if (test_cpu[0] == test_cpu[1])
		skip();
	pin(0);
	for (size_t m = 0; m < 2; m++) {
		struct kmem_cache *s = create("frozen", 256, modes[m], KMEM_SHEAVES_OFF);
		struct kmb_slab_cache_info in;
		struct slabinfo_row r;
		void **objs, **half, **again;
		unsigned int n;

		kmb_slab_cache_info(s, &in);
		n = in.objs_per_slab;
		objs = calloc(n, sizeof(void *));
		half = calloc(n, sizeof(void *));
		again = calloc(n, sizeof(void *));
		assert_true(objs && half && again);
		for (unsigned int i = 0; i < n; i++)
			assert_non_null(objs[i] = kmem_cache_alloc(s, GFP_KERNEL));
		r = slabinfo_row("frozen");
		assert_int_equal(r.num_objs, n);		/* one slab, all of it taken */
		for (unsigned int i = 0; i < n / 2; i++)
			half[i] = objs[2 * i];
		free_from_cpu1(s, half, (int)(n / 2));
		/* frozen: the frees moved it to no list, so no object counts as free */
		r = slabinfo_row("frozen");
		assert_int_equal(r.active_objs, n);
		assert_int_equal(kmb_slab_cpu_partial_slabs(s, test_cpu[1]), 0);
		for (unsigned int i = 0; i < n / 2; i++)
			assert_non_null(again[i] = kmem_cache_alloc(s, GFP_KERNEL));
		r = slabinfo_row("frozen");
		assert_int_equal(r.num_objs, n);		/* no new slab */
		qsort(half, n / 2, sizeof(void *), cmp_ptr);
		qsort(again, n / 2, sizeof(void *), cmp_ptr);
		assert_memory_equal(half, again, n / 2 * sizeof(void *));
		for (unsigned int i = 0; i < n / 2; i++)
			objs[2 * i] = again[i];
		for (unsigned int i = 0; i < n; i++)
			kmem_cache_free(s, objs[i]);
		kmem_cache_shrink(s);
		r = slabinfo_row("frozen");
		assert_int_equal(r.active_objs, 0);
		assert_valid(s);
		assert_int_equal(kmem_cache_destroy(s), 0);
		free(objs);
		free(half);
		free(again);
	}
}

/* --- the CPU partial lists --- */

/*
 * @slabs + 1 slabs' worth of objects allocated on this CPU (the last slab stays its CPU slab),
 * then one object of each full slab freed here: returns the longest this CPU's partial list
 * was seen, and in *@drops how often it shrank (a drain to the node).
 */
static int fill_partials(struct kmem_cache *s, unsigned int slabs, int *drops)
{
	struct kmb_slab_cache_info in;
	unsigned int n, longest = 0;
	int prev = 0;
	void **objs;

	kmb_slab_cache_info(s, &in);
	n = in.objs_per_slab * (slabs + 1);
	objs = calloc(n, sizeof(void *));
	assert_non_null(objs);
	for (unsigned int i = 0; i < n; i++)
		assert_non_null(objs[i] = kmem_cache_alloc(s, GFP_KERNEL));
	*drops = 0;
	/* Each slab's objects are consecutive here (one CPU slab at a time, in order). */
	for (unsigned int k = 0; k < slabs; k++) {
		int now;

		kmem_cache_free(s, objs[k * in.objs_per_slab]);
		objs[k * in.objs_per_slab] = NULL;
		now = kmb_slab_cpu_partial_slabs(s, test_cpu[0]);
		if (now < prev)
			(*drops)++;
		if ((unsigned int)now > longest)
			longest = (unsigned int)now;
		prev = now;
	}
	for (unsigned int i = 0; i < n; i++)
		if (objs[i])
			kmem_cache_free(s, objs[i]);
	free(objs);
	return (int)longest;
}

static void test_cpu_partial(void **state)
{
	static const unsigned int sizes[] = { 64, 256, 1024, 4096 };
	enum kmb_percpu_mode modes[] = { KMB_PERCPU_CPU_LOCK, KMB_PERCPU_CPU_RSEQ };

	(void)state;
	pin(0);
	for (size_t m = 0; m < 2; m++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct kmem_cache *s = create("partial", sizes[i], modes[m],
						      KMEM_SHEAVES_OFF);
			struct kmb_slab_cache_info in;
			int longest, drops;

			kmb_slab_cache_info(s, &in);
			/* the list drains at frees L + 1 and 2L + 1 (L = cpu_partial_slabs) */
			longest = fill_partials(s, 2 * in.cpu_partial_slabs + 1, &drops);
			if ((unsigned int)longest != in.cpu_partial_slabs || drops != 2)
				fail_msg("size %u (%u a slab), %s: the partial list reached %d slabs "
					 "and was drained %d times; cpu_partial_slabs is %u, so "
					 "%u and 2", sizes[i], in.objs_per_slab,
					 kmb_percpu_mode_name(modes[m]), longest, drops,
					 in.cpu_partial_slabs, in.cpu_partial_slabs);
			kmem_cache_shrink(s);
			assert_int_equal(slabinfo_row("partial").num_objs, 0);
			assert_valid(s);
			assert_int_equal(kmem_cache_destroy(s), 0);
		}
}

/* --- sheaves on and off --- */

static void test_sheaves_on_off(void **state)
{
	struct kmb_slab_cache_info in;
	int drops;

	(void)state;
	pin(0);
	/* With sheaves the frees of fill_partials go to the main sheaf: no slab moves. */
	{
		struct kmem_cache *s = create("sheaves-on", 256, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_ON);

		kmb_slab_cache_info(s, &in);
		assert_int_equal(fill_partials(s, in.sheaf_capacity / 2, &drops), 0);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	/* Without, each makes a full slab partial, onto this CPU's list. */
	{
		struct kmem_cache *s = create("sheaves-off", 256, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_OFF);

		kmb_slab_cache_info(s, &in);
		assert_int_equal(fill_partials(s, 2, &drops), 2);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	/* The default follows kmb_slab_set_sheaves; a cache's own setting wins. */
	assert_true(kmb_slab_sheaves());
	kmb_slab_set_sheaves(false);
	{
		struct kmem_cache *d = create("sheaves-default", 64, KMB_PERCPU_CPU_LOCK,
					      KMEM_SHEAVES_DEFAULT);
		struct kmem_cache *on = create("sheaves-asked", 64, KMB_PERCPU_CPU_LOCK,
					       KMEM_SHEAVES_ON);

		kmb_slab_cache_info(d, &in);
		assert_int_equal(in.sheaf_capacity, 0);
		kmb_slab_cache_info(on, &in);
		assert_int_equal(in.sheaf_capacity, 60);
		assert_int_equal(kmem_cache_destroy(d), 0);
		assert_int_equal(kmem_cache_destroy(on), 0);
	}
	kmb_slab_set_sheaves(true);
	{
		struct kmem_cache_args bad = { .sheaves = (enum kmem_cache_sheaves)7 };
		struct capture cap;

		capture_begin(&cap);
		assert_null(__kmem_cache_create_args("sheaves-bad", 64, &bad, 0));
		assert_contains(capture_end(&cap), "sheaves");
	}
}

/* --- concurrency --- */

#define FREERS		6
/* Under ThreadSanitizer every access is checked (several times slower): fewer rounds there, so
 * the test stays well inside its watchdog (SLAB_TEST_SECONDS) on a loaded machine; every mode
 * and both sheaf settings still run. */
#if KMB_TSAN
#define ROUNDS		250
#else
#define ROUNDS		1000
#endif
#define PER_ROUND	(64 * FREERS)

struct objhdr {
	atomic_int owner;	/* 0 free; 1 allocated: set by exchange, so two owners show */
};

/* The constructor: an object is free (owner 0) in its constructed state, and the free pointer
 * lies outside it (a cache with a constructor), so nothing else writes the word. */
static void objhdr_ctor(void *p)
{
	atomic_init(&((struct objhdr *)p)->owner, 0);
}

static struct {
	struct kmem_cache *s;
	pthread_barrier_t go, done;
	void *objs[FREERS][PER_ROUND / FREERS];
	atomic_int stop;
	atomic_ulong twice;
} cc;

static void *freer(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&cc.go);
		if (atomic_load(&cc.stop))
			return NULL;
		for (int i = 0; i < PER_ROUND / FREERS; i++) {
			struct objhdr *o = cc.objs[me][i];

			if (atomic_exchange(&o->owner, 0) != 1)
				atomic_fetch_add(&cc.twice, 1);
			kmem_cache_free(cc.s, o);
		}
		pthread_barrier_wait(&cc.done);
	}
}

/* The owner takes an object and marks it its own; one already marked was handed out twice. */
static void *owned_alloc(void)
{
	struct objhdr *o = kmem_cache_alloc(cc.s, GFP_KERNEL);

	assert_non_null(o);
	if (atomic_exchange(&o->owner, 1) != 0)
		atomic_fetch_add(&cc.twice, 1);
	return o;
}

static void test_concurrent(void **state)
{
	enum kmb_percpu_mode modes[] = { KMB_PERCPU_NONE, KMB_PERCPU_THREAD, KMB_PERCPU_CPU_LOCK,
					 KMB_PERCPU_CPU_RSEQ };
	struct kmb_mm_stats before = stats();

	(void)state;
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		for (int sheaves = 0; sheaves < 2; sheaves++) {
			pthread_t t[FREERS];
			void *churn[64];
			char name[48];

			snprintf(name, sizeof(name), "concurrent-%s-%s",
				 kmb_percpu_mode_name(modes[m]), sheaves ? "sheaves" : "cpu");
			cc.s = create_ctor(name, 128, modes[m],
					   sheaves ? KMEM_SHEAVES_ON : KMEM_SHEAVES_OFF, objhdr_ctor);
			atomic_store(&cc.stop, 0);
			atomic_store(&cc.twice, 0);
			pthread_barrier_init(&cc.go, NULL, FREERS + 1);
			pthread_barrier_init(&cc.done, NULL, FREERS + 1);
			for (int i = 0; i < FREERS; i++)
				assert_int_equal(pthread_create(&t[i], NULL, freer,
								(void *)(intptr_t)i), 0);
			pin(0);
			for (int r = 0; r < ROUNDS; r++) {
				/* object j to freer j % FREERS: every freer frees into every slab */
				for (int i = 0; i < PER_ROUND / FREERS; i++)
					for (int f = 0; f < FREERS; f++)
						cc.objs[f][i] = owned_alloc();
				pthread_barrier_wait(&cc.go);
				/* while they free into these slabs, keep allocating from them */
				for (int k = 0; k < 8; k++) {
					for (int i = 0; i < 64; i++)
						churn[i] = owned_alloc();
					for (int i = 0; i < 64; i++) {
						struct objhdr *o = churn[i];

						if (atomic_exchange(&o->owner, 0) != 1)
							atomic_fetch_add(&cc.twice, 1);
						kmem_cache_free(cc.s, o);
					}
				}
				pthread_barrier_wait(&cc.done);
			}
			atomic_store(&cc.stop, 1);
			pthread_barrier_wait(&cc.go);
			for (int i = 0; i < FREERS; i++)
				pthread_join(t[i], NULL);
			if (atomic_load(&cc.twice))
				fail_msg("%s: %lu objects handed out twice or freed unowned", name,
					 (unsigned long)atomic_load(&cc.twice));
			kmem_cache_shrink(cc.s);
			assert_int_equal(slabinfo_row(name).active_objs, 0);
			assert_int_equal(slabinfo_row(name).num_objs, 0);
			assert_valid(cc.s);
			assert_int_equal(kmem_cache_destroy(cc.s), 0);
			pthread_barrier_destroy(&cc.go);
			pthread_barrier_destroy(&cc.done);
		}
	check_mm();
	assert_int_equal(stats().free_pages + stats().pcp_pages,
			 before.free_pages + before.pcp_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SLAB_TEST(test_shape),
		SLAB_TEST(test_frozen),
		SLAB_TEST(test_cpu_partial),
		SLAB_TEST(test_sheaves_on_off),
		SLAB_TEST(test_concurrent),
	};

	find_test_cpus();
	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
