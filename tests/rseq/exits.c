/*
 * exits.c - every exit of the rseq sequences, through the allocators' own call sites, checked
 * in the build that compiled them (tests/rseq).
 *
 *   kmb_rseq_exits
 *
 * Why: gcc 12 miscompiles an asm goto with outputs whose label block only returns a constant
 * (include/kmbench/rseq.h, KMB_RSEQ_LABEL): the constant's copy is dropped, and a pop that
 * missed returns a wild pointer, kmb_rseq_lock that found the slot busy returns a CPU (gcc
 * 12.2 -O3, kmb_rseq_lock alone in a function that returns its result: the busy exit returns
 * an uninitialised register).  The tsan build has the workaround; in the others the sequences
 * are inlined into call sites that test the result at once, where the label blocks branch
 * straight to the caller's code.  This program drives those call sites, inlined as the build
 * inlined them, down each exit and checks what comes back; it is built in every build, the
 * release one included (scripts/test runs it there, where there is no ctest), and in the test
 * builds it is a ctest (tsan: label concurrent).
 *
 *   slab, sheaves   kmem_cache_alloc/free in cpu-rseq mode (the main sheaf, rseq stack
 *                   sequences): a pop that misses (empty sheaf), a pop that hits, a push,
 *                   a push that misses (full sheaf), a push of the top object again (dup:
 *                   the double free reported and refused), and a pop and a push that find
 *                   the slot busy (held by this CPU's slow path: another thread of this CPU
 *                   owns it, taken by kmb_rseq_lock), after which kmb_rseq_lock itself finds
 *                   the slot busy until the owner lets go: the allocation must not return
 *                   while the owner holds the slot;
 *   slab, cpu slab  the same with sheaves off (c->freelist, rseq list sequences), a push of
 *                   another slab's object (miss) among them;
 *   pages           alloc_pages/__free_pages of order 0 on cpu-rseq page lists (stack
 *                   sequences): a pop that misses, pops and pushes that hit, pushes that
 *                   miss once MANY frees fill the list, and pops and pushes that find the
 *                   list busy (held by this CPU's slow path), which go to the zone;
 *   counter         percpu_counter_add within and beyond its batch (kmb_rseq_add_s32_bounded
 *                   succeeds and misses), against percpu_counter_sum.
 * Every object and page returned must be one of the cache's (zone's) own, aligned as its
 * objects are, and never handed out twice.  An abort (a sequence preempted) restarts; nothing
 * here forces one.
 *
 * Exit status: 0 every exit gave what it must; 1 one did not (named on stderr); 2 bad
 * arguments; 77 rseq is not usable here (no cpu-rseq mode to check).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "kmbench/percpu.h"
#include "kmbench/slab.h"
#include "slab.h"		/* allocators/slab: struct kmem_cache, virt_to_slab */

#define MANY	600		/* more than a sheaf, a slab or a page list holds */

static int failed;

#define EXPECT(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "kmb_rseq_exits: " __VA_ARGS__);	\
			fputc('\n', stderr);					\
			failed = 1;						\
		}								\
	} while (0)

static int this_cpu;

static void pin_here(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(this_cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("kmb_rseq_exits: sched_setaffinity");
}

/* @obj is one of @s's objects: in one of its slabs, at an object's start. */
static bool cache_object(struct kmem_cache *s, void *obj)
{
	struct slab *slab;
	char *first;

	if (!obj || !virt_addr_valid(obj))
		return false;
	slab = virt_to_slab(obj);
	if (!slab || slab->slab_cache != s)
		return false;
	first = slab_first_object(s, slab);
	return (char *)obj >= first && ((char *)obj - first) % s->size == 0 &&
	       ((char *)obj - first) / s->size < slab->objects;
}

/* No pointer twice among @n. */
static bool distinct(void **v, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (v[i] == v[j])
				return false;
	return true;
}

/* --- busy: a thread of this CPU owns the slot; another uses the fast paths meanwhile --- */

struct busy {
	struct kmem_cache *s;
	atomic_int started, done, tid;
	void *obj;
};

/* Nanoseconds thread @tid has run (/proc: schedstat's first field); -1 when unreadable. */
static long long ran_ns(int tid)
{
	char path[64];
	long long ns = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &ns) != 1)
			ns = -1;
		fclose(f);
	}
	return ns;
}

static void *busy_user(void *arg)
{
	struct busy *b = arg;
	void *obj;

	pin_here();
	atomic_store(&b->tid, gettid());
	atomic_store(&b->started, 1);
	obj = kmem_cache_alloc(b->s, GFP_KERNEL);	/* pop: busy, then kmb_rseq_lock: busy */
	if (obj)
		kmem_cache_free(b->s, obj);		/* push: the slot is ours or free now */
	b->obj = kmem_cache_alloc(b->s, GFP_KERNEL);
	atomic_store(&b->done, 1);
	return NULL;
}

static void slab_busy(struct kmem_cache *s, const char *what)
{
	struct busy b = { .s = s };
	struct timespec wait = { 0, 1000 * 1000 };
	long long start;
	pthread_t t;
	void *slot;
	int cpu;

	slot = kmb_pcpu_cache_lock_here(&s->pcs, &cpu, false);	/* kmb_rseq_lock: it commits */
	EXPECT(slot && cpu == this_cpu, "%s: kmb_rseq_lock did not give this CPU's slot (%d)",
	      what, cpu);
	if (!slot)
		return;
	if (pthread_create(&t, NULL, busy_user, &b)) {
		EXPECT(0, "%s: pthread_create failed", what);
		kmb_pcpu_cache_unlock(&s->pcs, slot, cpu);
		return;
	}
	while (!atomic_load(&b.started))
		sched_yield();
	/* Let it run into the held slot, which it cannot pass: 10 ms of its CPU time since it
	 * started, all spent there (without schedstat, 50 ms of ours instead). */
	start = ran_ns(b.tid);
	for (int i = 0; i < (start < 0 ? 50 : 100000) && !atomic_load(&b.done); i++) {
		nanosleep(&wait, NULL);
		if (start >= 0 && ran_ns(b.tid) - start >= 10 * 1000 * 1000)
			break;
	}
	EXPECT(!atomic_load(&b.done), "%s: an allocation went through a slot another thread held",
	      what);
	kmb_pcpu_cache_unlock(&s->pcs, slot, cpu);
	pthread_join(t, NULL);
	EXPECT(cache_object(s, b.obj), "%s: the allocation past a busy slot returned %p", what,
	      b.obj);
	if (b.obj)
		kmem_cache_free(s, b.obj);
}

/* --- the slab fast paths --- */

static void slab_exits(bool sheaves)
{
	struct kmem_cache_args args = { .percpu = KMB_PERCPU_CPU_RSEQ,
					.sheaves = sheaves ? KMEM_SHEAVES_ON : KMEM_SHEAVES_OFF };
	const char *what = sheaves ? "sheaves" : "cpu slab";
	struct kmem_cache *s = __kmem_cache_create_args(sheaves ? "rseq-exits-sheaf" :
							"rseq-exits-cpu", 64, &args, 0);
	static void *v[MANY];
	unsigned long errors;
	void *a, *b;

	if (!s || s->fast != (sheaves ? SLAB_FAST_RSEQ_SHEAF : SLAB_FAST_RSEQ_CPU)) {
		EXPECT(0, "%s: no cpu-rseq cache", what);
		return;
	}
	a = kmem_cache_alloc(s, GFP_KERNEL);		/* pop: miss (nothing yet) */
	EXPECT(cache_object(s, a), "%s: the first allocation (a pop that missed) gave %p", what,
	      a);
	b = kmem_cache_alloc(s, GFP_KERNEL);		/* pop: hit */
	EXPECT(cache_object(s, b) && b != a, "%s: a pop that hit gave %p", what, b);
	kmem_cache_free(s, b);				/* push: hit */
	EXPECT(kmem_cache_alloc(s, GFP_KERNEL) == b, "%s: a push then a pop: not the same object",
	      what);
	/* Many: the sheaf (the CPU slab) runs out and fills up, pops and pushes miss. */
	for (int i = 0; i < MANY; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		EXPECT(cache_object(s, v[i]), "%s: allocation %d gave %p", what, i, v[i]);
	}
	EXPECT(distinct(v, MANY), "%s: an object handed out twice", what);
	for (int i = 0; i < MANY; i++)
		kmem_cache_free(s, v[i]);
	/* dup: the object on top freed again is refused and reported */
	printf("kmb_rseq_exits: %s: a double free on purpose, reported below\n", what);
	fflush(stdout);
	errors = atomic_load(&s->errors);
	kmem_cache_free(s, v[MANY - 1]);
	EXPECT(atomic_load(&s->errors) == errors + 1,
	      "%s: a double free of the top object was not reported", what);
	for (int i = 0; i < MANY; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		EXPECT(cache_object(s, v[i]), "%s: allocation %d after the frees gave %p", what, i,
		      v[i]);
	}
	EXPECT(distinct(v, MANY), "%s: an object handed out twice after a double free", what);
	for (int i = 0; i < MANY; i++)
		kmem_cache_free(s, v[i]);
	slab_busy(s, what);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	EXPECT(kmem_cache_destroy(s) == 0, "%s: objects left in the cache", what);
}

/* --- the page lists --- */

/* @page is a frame of the model: inside the struct page array, at an element's start. */
static bool page_ok(const struct page *page)
{
	uintptr_t p = (uintptr_t)page, base = (uintptr_t)kmb_memmap.vmemmap;

	return page && p >= base && (p - base) % sizeof(struct page) == 0 &&
	       pfn_valid(page_to_pfn(page));
}

static void page_exits(void)
{
	static struct page *v[MANY];
	const char *why;

	if (kmb_mm_pcp_mode(&why) != KMB_PERCPU_CPU_RSEQ) {
		EXPECT(0, "pages: the page lists are not cpu-rseq (%s)", why ? why : "?");
		return;
	}
	for (int round = 0; round < 2; round++) {	/* the first pops miss, later ones hit */
		for (int i = 0; i < MANY; i++) {
			v[i] = alloc_pages(GFP_KERNEL, 0);
			EXPECT(page_ok(v[i]), "pages: allocation %d gave %p", i, (void *)v[i]);
		}
		EXPECT(distinct((void **)v, MANY), "pages: a page handed out twice");
		for (int i = 0; i < MANY; i++)		/* pushes, then the list is full */
			if (v[i])
				__free_pages(v[i], 0);
	}
}

/* Pages while this CPU's page list is held: the pops and pushes find it busy and go to the
 * zone (rmqueue_pcplist_slow, free_pcp_slow), so they return at once with good frames. */
struct page_busy {
	struct page *got[4];
};

static void *page_busy_user(void *arg)
{
	struct page_busy *b = arg;

	pin_here();
	for (int i = 0; i < 4; i++)
		b->got[i] = alloc_pages(GFP_KERNEL, 0);	/* pop: busy */
	for (int i = 0; i < 4; i++)
		if (b->got[i])
			__free_pages(b->got[i], 0);	/* push: busy */
	return NULL;
}

static void page_busy(void)
{
	struct page_busy b = { { NULL } };
	struct page *any = alloc_pages(GFP_KERNEL, 0);
	struct zone *zone;
	pthread_t t;
	void *slot;
	int cpu;

	if (!any) {
		EXPECT(0, "pages: no page");
		return;
	}
	zone = page_zone(any);
	__free_pages(any, 0);
	slot = kmb_pcpu_cache_lock_here(&zone->pcpc, &cpu, false);
	EXPECT(slot && cpu == this_cpu, "pages: kmb_rseq_lock did not give this CPU's list (%d)",
	       cpu);
	if (!slot)
		return;
	if (pthread_create(&t, NULL, page_busy_user, &b))
		EXPECT(0, "pages: pthread_create failed");
	else
		pthread_join(t, NULL);
	kmb_pcpu_cache_unlock(&zone->pcpc, slot, cpu);
	for (int i = 0; i < 4; i++)
		EXPECT(page_ok(b.got[i]), "pages: an allocation past a busy list gave %p",
		       (void *)b.got[i]);
}

/* --- percpu_counter: kmb_rseq_add_s32_bounded within and beyond the batch --- */

static void counter_exits(void)
{
	struct percpu_counter c;
	int64_t want = 0;

	if (percpu_counter_init(&c, 0)) {
		EXPECT(0, "counter: percpu_counter_init failed");
		return;
	}
	for (int i = 1; i <= 2000; i++) {
		int64_t d = i % 7 ? 1 : 1000;		/* small adds hit, large ones miss */

		percpu_counter_add(&c, d);
		want += d;
	}
	EXPECT(percpu_counter_sum(&c) == want, "counter: sum %lld, want %lld",
	      (long long)percpu_counter_sum(&c), (long long)want);
	percpu_counter_destroy(&c);
}

int main(int argc, char **argv)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = 64ul << 20,
				     .pcp_mode = KMB_PERCPU_CPU_RSEQ, .debug = -1 };
	char why[256];

	if (argc > 1) {
		fprintf(stderr, "kmb_rseq_exits: unknown argument '%s'; valid: none\n", argv[1]);
		return 2;
	}
	this_cpu = sched_getcpu();
	pin_here();
	if (kmb_mm_init(&cfg, why, sizeof(why)) || kmem_cache_init()) {
		fprintf(stderr, "kmb_rseq_exits: kmb_mm_init: %s\n", why);
		return 1;
	}
	if (!kmb_rseq_ok) {
		printf("kmb_rseq_exits: rseq is not usable here; nothing to check\n");
		kmb_mm_teardown();
		return 77;
	}
	/* The dup exits need a real double free, which ASan would stop first in a build with
	 * the tools (a free object is poisoned): these caches go without them. */
	kmb_slab_set_tools(false);
	slab_exits(true);
	slab_exits(false);
	page_exits();
	page_busy();
	counter_exits();
	kmem_cache_exit();
	kmb_mm_teardown();
	if (!failed)
		printf("kmb_rseq_exits: every exit of every sequence gave what it must\n");
	return failed;
}
