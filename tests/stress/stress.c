/*
 * stress.c - a seeded multithreaded stress test of the allocator library (issue 20).
 *
 *   stress [--seconds N] [--threads T] [--phases P] [--seed S] [--mem MIB]
 *
 * T threads (default 4, more than the CPUs of a small machine, so that threads are preempted
 * inside the per-CPU paths) allocate and free for N seconds (default 20) in P phases (default
 * 4): slab objects from three caches (cache-line aligned; with a constructor; with red zones
 * and poison), kmalloc of 8 bytes to 16 KiB, and pages of orders 0 to 3.  Each thread keeps
 * its own live set; a share of its objects it hands to the next thread, which frees them (a
 * remote free, from another CPU).  Every object carries a pattern derived from the seed and
 * is checked before it is freed.
 *
 * Between phases every thread stops at a barrier and the main thread validates: every live
 * object's pattern, kmb_mm_check() (the buddy allocator's free lists and counters),
 * kmem_cache_validate() of every cache, no slab error and no page-allocator misuse report.
 * At the end every thread frees all it holds, the caches are destroyed (refused while an
 * object is live), the per-CPU lists drained, and every frame must be back: the frames in the
 * buddy lists plus the frames in slabs (the kmalloc caches keep theirs) are what they were
 * before the first allocation.
 *
 * The seed (default: the time) is printed first, so a failure can be run again with it; the
 * thread interleaving is the machine's, so a rerun is not exact, but the operations each
 * thread draws are.  Exit status: 0 every check passed; 1 a check failed (it says which; misuse
 * reports stop the process, as the library's debug policy says); 2 bad arguments.
 * ctest runs it for 20 s (stress) in the debug and sanitizer builds; longer runs are opt-in:
 * `build/debug/tests/stress/stress --seconds 3600`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"

#define MAX_THREADS 64
#define MAX_LIVE 1024
#define MAILBOX 256
#define NCACHES 3
#define CTOR_BYTES 16

enum kind { K_SLAB, K_KMALLOC, K_PAGES };

struct obj {
	uint8_t *p;
	uint32_t len;		/* bytes the pattern covers */
	uint8_t kind, cache_or_order;
	uint32_t tag;
};

struct mailbox {		/* objects handed to a thread, which frees them */
	pthread_mutex_t lock;
	struct obj o[MAILBOX];
	unsigned n;
};

struct thread {
	pthread_t tid;
	int id;
	uint64_t rng;
	struct obj live[MAX_LIVE];
	unsigned nlive;
	unsigned long ops, remote;
	struct mailbox box;
};

static struct kmem_cache *caches[NCACHES];
static const unsigned cache_size[NCACHES] = { 64, 200, 1000 };
static struct thread *threads;
static int nthreads = 4, nphases = 4;
static double seconds = 20;
static atomic_int stop;
static pthread_barrier_t barrier;

#define FAIL(...)							\
	do {								\
		fprintf(stderr, "stress: check failed: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		exit(1);						\
	} while (0)

static uint64_t next(uint64_t *s)		/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void ctor(void *p)
{
	for (int i = 0; i < CTOR_BYTES; i++)
		((uint8_t *)p)[i] = (uint8_t)(0xa0 + i);
}

/* The pattern: the first and last 8 bytes and one every 512 (objects with a constructor keep
 * their first CTOR_BYTES constructed: the pattern starts after them). */
static size_t first_byte(const struct obj *o)
{
	return o->kind == K_SLAB && o->cache_or_order == 1 ? CTOR_BYTES : 0;
}

static void fill(struct obj *o)
{
	for (size_t i = first_byte(o); i < o->len; i += i + 8 < o->len ? 512 : 1)
		o->p[i] = (uint8_t)(o->tag + i);
	o->p[o->len - 1] = (uint8_t)(o->tag * 7);
}

static void check(const struct obj *o, const char *when)
{
	for (size_t i = first_byte(o); i < o->len; i += i + 8 < o->len ? 512 : 1)
		if (i != o->len - 1 && o->p[i] != (uint8_t)(o->tag + i))
			FAIL("%s: object %p (kind %d, %u bytes): byte %zu is %#x, not %#x", when,
			     (void *)o->p, o->kind, o->len, i, o->p[i], (uint8_t)(o->tag + i));
	if (o->p[o->len - 1] != (uint8_t)(o->tag * 7))
		FAIL("%s: object %p: its last byte changed", when, (void *)o->p);
	if (o->kind == K_SLAB && o->cache_or_order == 1)
		for (int i = 0; i < CTOR_BYTES; i++)
			if (o->p[i] != (uint8_t)(0xa0 + i))
				FAIL("%s: object %p lost its constructed bytes", when, (void *)o->p);
}

static void release(struct obj *o)
{
	check(o, "free");
	switch (o->kind) {
	case K_SLAB:
		kmem_cache_free(caches[o->cache_or_order], o->p);
		break;
	case K_KMALLOC:
		kfree(o->p);
		break;
	default:
		__free_pages(virt_to_page(o->p), o->cache_or_order);
	}
}

static bool take(struct thread *t, struct obj *o)
{
	uint64_t r = next(&t->rng);
	gfp_t gfp = (r & 1 ? GFP_KERNEL : GFP_ATOMIC) | __GFP_NOWARN;

	o->kind = (uint8_t)(r >> 1) % 3;
	o->tag = (uint32_t)(r >> 32);
	if (o->kind == K_SLAB) {
		o->cache_or_order = (uint8_t)((r >> 8) % NCACHES);
		o->len = cache_size[o->cache_or_order];
		o->p = kmem_cache_alloc(caches[o->cache_or_order], gfp);
	} else if (o->kind == K_KMALLOC) {
		o->len = 8 + (uint32_t)((r >> 8) % (16384 - 8));
		o->p = kmalloc(o->len, gfp);
	} else {
		o->cache_or_order = (uint8_t)((r >> 8) % 4);
		o->len = (uint32_t)(PAGE_SIZE << o->cache_or_order);
		struct page *pg = alloc_pages(gfp, o->cache_or_order);

		o->p = pg ? page_address(pg) : NULL;
	}
	if (!o->p)
		return false;	/* GFP_ATOMIC may fail when the reserves are low: allowed */
	fill(o);
	return true;
}

static void drain_box(struct thread *t)
{
	struct obj o[MAILBOX];
	unsigned n;

	pthread_mutex_lock(&t->box.lock);
	n = t->box.n;
	memcpy(o, t->box.o, n * sizeof(o[0]));
	t->box.n = 0;
	pthread_mutex_unlock(&t->box.lock);
	for (unsigned i = 0; i < n; i++)
		release(&o[i]);
	t->remote += n;
}

static void step(struct thread *t)
{
	uint64_t r = next(&t->rng);
	unsigned what = (unsigned)(r % 100);

	if (what < 50 && t->nlive < MAX_LIVE) {
		if (take(t, &t->live[t->nlive]))
			t->nlive++;
	} else if (what < 85 && t->nlive) {
		unsigned i = (unsigned)(r >> 8) % t->nlive;

		release(&t->live[i]);
		t->live[i] = t->live[--t->nlive];
	} else if (what < 95 && t->nlive) {	/* hand one to the next thread */
		struct thread *to = &threads[(t->id + 1) % nthreads];
		unsigned i = (unsigned)(r >> 8) % t->nlive;

		pthread_mutex_lock(&to->box.lock);
		if (to->box.n < MAILBOX) {
			to->box.o[to->box.n++] = t->live[i];
			t->live[i] = t->live[--t->nlive];
		}
		pthread_mutex_unlock(&to->box.lock);
	} else {
		drain_box(t);
	}
	t->ops++;
}

static void *worker(void *arg)
{
	struct thread *t = arg;

	for (int ph = 0; ph < nphases; ph++) {
		while (!atomic_load_explicit(&stop, memory_order_acquire))
			step(t);
		pthread_barrier_wait(&barrier);	/* stopped: the main thread validates */
		pthread_barrier_wait(&barrier);	/* validated: on */
	}
	drain_box(t);
	pthread_barrier_wait(&barrier);		/* every box drained: nothing will arrive now */
	drain_box(t);
	while (t->nlive)
		release(&t->live[--t->nlive]);
	return NULL;
}

static void validate(int phase, unsigned long errors0, unsigned long misuse0)
{
	struct kmb_slab_stats st;
	char why[512];
	unsigned long live = 0, boxed = 0;

	for (int i = 0; i < nthreads; i++) {
		for (unsigned k = 0; k < threads[i].nlive; k++)
			check(&threads[i].live[k], "phase end");
		for (unsigned k = 0; k < threads[i].box.n; k++)
			check(&threads[i].box.o[k], "phase end (handed over)");
		live += threads[i].nlive;
		boxed += threads[i].box.n;
	}
	if (kmb_mm_check(why, sizeof(why)))
		FAIL("phase %d: kmb_mm_check: %s", phase, why);
	if (kmem_cache_validate(NULL))
		FAIL("phase %d: kmem_cache_validate found problems", phase);
	kmb_slab_get_stats(&st);
	if (st.errors != errors0)
		FAIL("phase %d: %lu slab errors", phase, st.errors - errors0);
	if (kmb_misuse_count(KMB_LAYER_PAGE) != misuse0)
		FAIL("phase %d: page allocator misuse reported", phase);
	printf("stress: phase %d of %d: %lu objects live, %lu handed over, every check passed\n",
	       phase, nphases, live, boxed);
}

static unsigned long frames_accounted(void)
{
	struct kmb_mm_stats st;
	unsigned long slab_pages;
	unsigned long long live_bytes;

	drain_all_pages(NULL);
	kmb_mm_get_stats(&st);
	kmb_slab_usage(&slab_pages, &live_bytes);
	return st.free_pages + slab_pages;
}

static int usage(const char *why)
{
	fprintf(stderr, "stress: %s; usage: stress [--seconds N] [--threads 1..%d] [--phases N] "
		"[--seed S] [--mem MIB]\n", why, MAX_THREADS);
	return 2;
}

int main(int argc, char **argv)
{
	struct kmb_mm_config cfg = { .node_mem = 256UL << 20, .debug = 1 };
	unsigned long long seed = (unsigned long long)time(NULL) ^ (unsigned long long)getpid();
	struct kmb_slab_stats st;
	unsigned long before, after, errors0, misuse0, ops = 0, remote = 0;
	char why[256];

	for (int i = 1; i < argc; i++) {
		char *end;
		double v;

		if (i + 1 >= argc)
			return usage("every option needs a value");
		errno = 0;
		v = strtod(argv[i + 1], &end);
		if (errno || end == argv[i + 1] || *end || v <= 0)
			return usage("a value is not a positive number");
		if (!strcmp(argv[i], "--seconds"))
			seconds = v;
		else if (!strcmp(argv[i], "--threads") && v <= MAX_THREADS)
			nthreads = (int)v;
		else if (!strcmp(argv[i], "--phases"))
			nphases = (int)v;
		else if (!strcmp(argv[i], "--seed"))
			seed = (unsigned long long)v;
		else if (!strcmp(argv[i], "--mem") && v >= 16)
			cfg.node_mem = ((size_t)v << 20) & ~((4UL << 20) - 1);
		else
			return usage("unknown option or value out of range");
		i++;
	}
	printf("stress: seed %llu, %d threads, %d phases, %.0f s\n", seed, nthreads, nphases,
	       seconds);
	cfg.nr_nodes = 1;
	if (kmb_mm_init(&cfg, why, sizeof(why)))
		FAIL("kmb_mm_init: %s", why);
	before = frames_accounted();
	caches[0] = kmem_cache_create("stress-64", cache_size[0], 0, SLAB_HWCACHE_ALIGN, NULL);
	caches[1] = kmem_cache_create("stress-ctor", cache_size[1], 0, 0, ctor);
	caches[2] = kmem_cache_create("stress-debug", cache_size[2], 0,
				      SLAB_RED_ZONE | SLAB_POISON, NULL);
	for (int i = 0; i < NCACHES; i++)
		if (!caches[i])
			FAIL("kmem_cache_create %d failed", i);
	kmb_slab_get_stats(&st);
	errors0 = st.errors;
	misuse0 = kmb_misuse_count(KMB_LAYER_PAGE);
	threads = calloc((size_t)nthreads, sizeof(*threads));
	if (!threads || pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1))
		FAIL("out of memory");
	/* Every mailbox before the first thread: thread i hands objects to thread i + 1's (a race
	 * TSan found when each was set up just before its own thread started). */
	for (int i = 0; i < nthreads; i++) {
		threads[i].id = i;
		threads[i].rng = seed * 1000003u + (uint64_t)i;
		pthread_mutex_init(&threads[i].box.lock, NULL);
	}
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i].tid, NULL, worker, &threads[i]))
			FAIL("pthread_create failed");
	}
	for (int ph = 1; ph <= nphases; ph++) {
		struct timespec ts = { .tv_sec = (time_t)(seconds / nphases),
				       .tv_nsec = (long)((seconds / nphases -
							  (double)(time_t)(seconds / nphases)) * 1e9) };

		nanosleep(&ts, NULL);
		atomic_store_explicit(&stop, 1, memory_order_release);
		pthread_barrier_wait(&barrier);
		validate(ph, errors0, misuse0);
		atomic_store_explicit(&stop, 0, memory_order_release);
		pthread_barrier_wait(&barrier);
	}
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(threads[i].tid, NULL);
		ops += threads[i].ops;
		remote += threads[i].remote;
	}
	for (int i = 0; i < NCACHES; i++)
		if (kmem_cache_destroy(caches[i]))
			FAIL("the end: kmem_cache_destroy of %s refused: objects remain",
			     kmem_cache_name(caches[i]));
	if (kmem_cache_validate(NULL))
		FAIL("the end: kmem_cache_validate found problems");
	if (kmb_mm_check(why, sizeof(why)))
		FAIL("the end: kmb_mm_check: %s", why);
	after = frames_accounted();
	if (after != before)
		FAIL("the end: %lu frames in the buddy lists and slabs, %lu before: %ld lost", after,
		     before, (long)(before - after));
	printf("stress: %lu operations, %lu remote frees; every frame back (%lu); passed\n", ops,
	       remote, after);
	free(threads);
	return 0;
}
