/*
 * aba.c - the order a successful cmpxchg16b gives, which TSan must be told (tests/tsan).
 *
 *   tsan_slab_aba
 *
 * slab_update_freelist (allocators/slab/slab.h) compares {freelist, counters} with the values
 * its caller loaded before, and TSan hears of the acquire only through that load.  When the
 * pair went from A to B and back to A between the load and the exchange (ABA: an object taken
 * and freed again), the exchange succeeds and reads the value the last of those writers left:
 * a locked instruction, ordered after that writer's exchange as any read of its value is (the
 * x86 memory model; a full barrier), so everything that writer did before it happens before
 * what the caller does next.  TSan, told of an acquire at the load only, missed that order: it
 * reported test_slub_cpu's one race, discard_slab's stores to a slab against a concurrent
 * free's loads of the slab's freelist and cache (kmem_cache_free's obj_frame).  The acquire
 * after a successful exchange (slab.h) is the fix; this program makes that interleaving
 * happen every time, with the allocator's own free paths, in a cache of mode none (its objects
 * taken under the node's list_lock, freed without it while the slab keeps others in use):
 *
 *   D  frees the slab's last object in use, Y: __slab_free loads {P, inuse 1}, writes P into
 *      Y's free pointer (which main waits to see), and waits for the list_lock (the slab will
 *      be empty), which main holds;
 *   main, holding the lock as take_one_locked does, takes P off the slab with the same
 *      exchange ({P, 1} to {next, 2}; take_one_locked is static), and starts C;
 *   C  frees P with kmem_cache_free: {next, 2} to {P, 1}, no lock (the slab keeps one object
 *      in use); it tells main so through a relaxed atomic, which orders nothing for TSan;
 *   main drops the lock; D takes it, its exchange finds {P, 1} and succeeds, the slab is
 *      empty and beyond min_partial (0 here), so D gives it back: discard_slab's stores.
 *
 * Nothing TSan sees orders C's loads before D's stores but the exchange's acquire: without it
 * TSan reports the race (halt_on_error ends the program with its exit status, 66); with it,
 * none, and the program exits 0.  Exit status 1: a step failed; 2: bad arguments.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "kmbench/tsan.h"
#include "slab.h"		/* allocators/slab: struct slab, the node's lock, the exchange */

#define MARK	((void *)0x5a)	/* Y's free pointer until D's free writes P there */

static struct kmem_cache *cache;
static void *y, *p;
static atomic_int c_done;

static void *free_y(void *arg)
{
	(void)arg;
	kmem_cache_free(cache, y);
	return NULL;
}

static void *free_p(void *arg)
{
	(void)arg;
	kmem_cache_free(cache, p);
	atomic_store_explicit(&c_done, 1, memory_order_relaxed);
	return NULL;
}

/* D's free pointer write, read without telling TSan (it would be a race of the test's own). */
static void *y_freepointer(void)
{
	return kmb_data_race(*(void *volatile *)((char *)y + cache->offset));
}

static int fail(const char *what)
{
	fprintf(stderr, "tsan_slab_aba: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = 64ul << 20 };
	struct kmem_cache_args args = { .percpu = KMB_PERCPU_NONE, .sheaves = KMEM_SHEAVES_OFF };
	struct kmem_cache_node *n;
	unsigned long counters, slabs, objects, nfree;
	struct slab *slab, new;
	pthread_t d, c;
	char why[256];
	void *obj;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "tsan_slab_aba: unknown argument '%s'; valid: none\n", argv[1]);
		return 2;
	}
	if (kmb_mm_init(&cfg, why, sizeof(why))) {
		fprintf(stderr, "tsan_slab_aba: kmb_mm_init: %s\n", why);
		return 1;
	}
	cache = __kmem_cache_create_args("tsan_slab_aba", 128, &args, 0);
	if (!cache || cache->objects < 3)
		return fail("no cache of mode none with three objects a slab");
	cache->min_partial = 0;		/* an empty slab goes back at once */
	y = kmem_cache_alloc(cache, GFP_KERNEL);	/* a new slab, on the node's partial list */
	if (!y)
		return fail("kmem_cache_alloc failed");
	slab = virt_to_slab(y);
	n = cache->node[slab->node];
	p = slab->freelist;
	*(void **)((char *)y + cache->offset) = MARK;

	spin_lock(&n->list_lock);
	if (pthread_create(&d, NULL, free_y, NULL))
		return fail("pthread_create failed");
	while (y_freepointer() == MARK)	/* D has loaded {P, 1} */
		sched_yield();
	do {				/* take_one_locked's exchange: P off the slab */
		obj = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
		counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		new.counters = counters;
		new.inuse++;
	} while (!slab_update_freelist(slab, obj, counters, get_freepointer(cache, obj),
				       new.counters));
	if (obj != p)
		return fail("the slab's first free object moved");
	if (pthread_create(&c, NULL, free_p, NULL))
		return fail("pthread_create failed");
	while (!atomic_load_explicit(&c_done, memory_order_relaxed))
		sched_yield();
	spin_unlock(&n->list_lock);
	pthread_join(d, NULL);
	pthread_join(c, NULL);

	kmem_cache_counts(cache, &slabs, &objects, &nfree);
	if (slabs)
		return fail("the empty slab was not given back");
	if (kmem_cache_destroy(cache))
		return fail("kmem_cache_destroy found objects");
	kmb_mm_teardown();
	printf("tsan_slab_aba: the slab went back after the ABA, no race reported\n");
	return 0;
}
