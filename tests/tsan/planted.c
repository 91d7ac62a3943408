/*
 * planted.c - a data race planted on purpose, which the tsan build must report (tests/tsan).
 *
 *   tsan_planted [--locked]
 *
 * Two threads that nothing TSan can see orders (they meet through relaxed atomics only): the
 * writer allocates and frees objects of a debug cache, whose every allocation and free changes
 * its slab's counters under the node's list_lock (slub.c: a debug cache has no sheaves and no
 * lockless free); the reader reads that slab's inuse without the lock, as a slow path that
 * forgot it would.  TSan must report the race (tsan_planted passes on the report, naming
 * planted_reader and the slab layer's writer), and halt_on_error stops the program there.
 * With --locked the reader takes the list_lock as it should: no race, no report, exit 0
 * (tsan_planted_locked), so that the report above is the plant's and not noise.
 * Exit status: 0 done (no race seen, or TSan not stopping the program), 1 a step failed,
 * 2 bad arguments; TSan's own 66 when it stops the program.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "slab.h"		/* allocators/slab: struct slab, virt_to_slab, the node's lock */

#define ROUNDS	2000

static struct kmem_cache *cache;
static struct slab *slab;
static bool locked;
static atomic_int writer_started;
static volatile unsigned long sink;	/* keeps the reads */

static void *planted_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		void *obj = kmem_cache_alloc(cache, GFP_KERNEL);

		if (!obj)
			return "kmem_cache_alloc failed";
		kmem_cache_free(cache, obj);
		atomic_store_explicit(&writer_started, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *planted_reader(void *arg)
{
	spinlock_t *lock = &cache->node[slab->node]->list_lock;
	unsigned long sum = 0;

	(void)arg;
	while (!atomic_load_explicit(&writer_started, memory_order_relaxed))
		sched_yield();
	for (int i = 0; i < ROUNDS; i++) {
		if (locked)
			spin_lock(lock);
		sum += slab->inuse;	/* the plant: without the list_lock unless --locked */
		if (locked)
			spin_unlock(lock);
	}
	sink = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = 64ul << 20 };
	pthread_t w, r;
	char why[256];
	void *keep, *werr;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--locked"))) {
		fprintf(stderr, "tsan_planted: unknown argument '%s'; valid: --locked, or none\n",
			argv[argc - 1]);
		return 2;
	}
	locked = argc == 2;
	if (kmb_mm_init(&cfg, why, sizeof(why))) {
		fprintf(stderr, "tsan_planted: kmb_mm_init: %s\n", why);
		return 1;
	}
	/* SLAB_RED_ZONE: a debug cache, every object through the node's list_lock. */
	cache = kmem_cache_create("tsan_planted", 64, 0, SLAB_RED_ZONE, NULL);
	keep = cache ? kmem_cache_alloc(cache, GFP_KERNEL) : NULL;	/* the slab stays */
	if (!keep) {
		fprintf(stderr, "tsan_planted: no cache or no object\n");
		return 1;
	}
	slab = virt_to_slab(keep);
	if (pthread_create(&w, NULL, planted_writer, NULL) ||
	    pthread_create(&r, NULL, planted_reader, NULL)) {
		fprintf(stderr, "tsan_planted: pthread_create failed\n");
		return 1;
	}
	pthread_join(w, &werr);
	pthread_join(r, NULL);
	if (werr) {
		fprintf(stderr, "tsan_planted: %s\n", (const char *)werr);
		return 1;
	}
	kmem_cache_free(cache, keep);
	kmem_cache_destroy(cache);
	kmb_mm_teardown();
	printf("tsan_planted: done (%s), no race reported\n", locked ? "locked" : "planted");
	return 0;
}
