/*
 * test_buddy_pcp.c - the page allocator's per-CPU page lists in each of their modes (none,
 * thread, cpu-lock, cpu-rseq: allocators/page/page_pcp.c), chosen with kmb_mm_config.pcp_mode:
 *
 *   mode          kmb_mm_pcp_mode() reports the mode asked for; cpu-rseq where rseq cannot be
 *                 used reports cpu-lock with the reason (and a re-executed child with
 *                 GLIBC_TUNABLES=glibc.pthread.rseq=0 checks exactly that);
 *   accounting    orders 0-3 allocated and freed: pgalloc per order and pgfree exact, free +
 *                 per-CPU pages == managed after the frees, kmb_mm_check passes, the lists hold
 *                 what was freed (none: nothing), and drain_all_pages empties them;
 *   drain         threads pinned to each CPU fill their lists (the CPUs' slots, or their own
 *                 thread lists), stay alive, and drain_all_pages from another thread empties
 *                 every one; in thread mode threads that exit give their pages back, and their
 *                 counts stay exact;
 *   migration     unpinned threads allocate and free while a migrator thread changes their
 *                 affinity in a loop: every frame has one owner at a time (a per-frame owner
 *                 mark taken and given back with compare-and-swap, and a tag written into the
 *                 memory), nothing is lost or duplicated, the counters sum exactly;
 *   remote free   blocks allocated by a thread on CPU 0 and freed by one on CPU 1 are handed
 *                 out again there (the last freed first), and nothing leaks after a drain;
 *   teardown      thread lists that are still alive at kmb_mm_teardown() do not survive into
 *                 the next boot, and their threads keep working;
 *   double free   a second free of a block on a list (per-CPU, per-thread, or the buddy lists
 *                 in none) is reported and refused, and the allocator stays intact.
 *
 * Each test boots its own 64 MiB single-node machine.  No test measures time.  The random
 * parts take their seed from KMB_SEED (default fixed) and print it.  tests/CMakeLists.txt runs
 * the whole file once more with GLIBC_TUNABLES=glibc.pthread.rseq=0 (test_buddy_pcp_norseq),
 * and test_buddy and test_buddy_zones in the other modes (KMB_TEST_PCP_MODE, mm_test.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"
#include "page_alloc.h"		/* allocators/page/: kmb_mm_internal */
#include "mm_test.h"

#define NODE_MEM	(64UL << 20)
#define DEFAULT_SEED	0x70637031ULL
#define NR_WORKERS	4
#define MIGRATE_OPS	40000		/* alloc+free steps per worker, at least */
#define MIGRATE_MOVES	3000		/* affinity changes, at least, before they stop */
#define MIGRATE_LIVE	32		/* blocks a worker holds at most */
#define RSEQ_CHILD_ENV	"KMB_TEST_PCP_RSEQ_CHILD"

static const enum kmb_percpu_mode modes[] = {
	KMB_PERCPU_NONE, KMB_PERCPU_THREAD, KMB_PERCPU_CPU_LOCK, KMB_PERCPU_CPU_RSEQ,
};

/* --- helpers --- */

static enum kmb_percpu_mode mode_of(void **state)
{
	return (enum kmb_percpu_mode)(intptr_t)*state;
}

/* The mode a machine asked for @want really runs: cpu-rseq only where rseq works here. */
static enum kmb_percpu_mode expected_mode(enum kmb_percpu_mode want)
{
	if (want == KMB_PERCPU_CPU_RSEQ && !kmb_rseq_status(NULL))
		return KMB_PERCPU_CPU_LOCK;
	return want;
}

static void boot_mode(enum kmb_percpu_mode mode, int debug)
{
	struct kmb_mm_config cfg;
	const char *why;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 1;
	cfg.node_mem = NODE_MEM;
	cfg.pcp_mode = mode;
	cfg.debug = debug;
	boot_pages(&cfg);
	if (kmb_mm_pcp_mode(&why) != expected_mode(mode))
		fail_msg("asked for %s, runs %s (%s)", kmb_percpu_mode_name(mode),
			 kmb_percpu_mode_name(kmb_mm_pcp_mode(NULL)), why);
}

static bool has_lists(enum kmb_percpu_mode mode)
{
	return mode != KMB_PERCPU_NONE;
}

static int nr_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Pin the calling thread to @cpu (modulo the CPUs online); false when the system refuses. */
static bool pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % nr_online_cpus(), &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

/* Everything back in the buddy lists: lists drained and empty, nothing lost, invariants. */
static void check_all_back(void)
{
	struct kmb_mm_stats st;

	drain_all_pages(NULL);
	st = stats();
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	check_mm();
}

static unsigned long sum_pgalloc(const struct kmb_mm_stats *st)
{
	unsigned long n = 0;

	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		n += st->pgalloc[o];
	return n;
}

/* Pages on CPU @cpu's lists of every zone (cpu-lock, cpu-rseq). */
static unsigned long cpu_list_pages(int cpu)
{
	unsigned long n = 0;
	struct zone *z;

	for_each_populated_zone(z)
		if (z->pcp)
			n += pcp_pages(per_cpu_ptr(z->pcp, cpu));
	return n;
}

/* --- mode and accounting --- */

static void test_mode(void **state)
{
	enum kmb_percpu_mode mode = mode_of(state), got;
	struct kmb_mm_config cfg;
	const char *why;

	boot_mode(mode, 0);
	got = kmb_mm_pcp_mode(&why);
	assert_non_null(why);
	if (got == mode)
		assert_string_equal(why, "");
	else
		assert_non_null(strstr(why, "cpu-rseq unavailable, cpu-lock used"));
	/* the effective configuration says the same */
	assert_int_equal(kmb_mm_config()->pcp_mode, got);
	assert_int_equal(kmb_mm_config()->pcp, got == KMB_PERCPU_NONE ? -1 : 1);
	kmb_mm_teardown();

	/* pcp = -1 (--pcp=off) is none, whatever the mode says */
	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 1;
	cfg.node_mem = NODE_MEM;
	cfg.pcp = -1;
	cfg.pcp_mode = mode;
	boot_pages(&cfg);
	assert_int_equal(kmb_mm_pcp_mode(NULL), KMB_PERCPU_NONE);
}

/*
 * zoneinfo's pageset of @who ("cpu: 0", "thread: 1") in node 0's Normal zone is mm/vmstat.c zoneinfo_show_print's,
 * byte for byte: count, high, batch, high_min, high_max, then "vm stats threshold"; high and
 * batch are the zone's (high_min == high_max == high: no adaptive high) and the threshold 0.
 */
static void check_pageset(const char *info, const char *who)
{
	struct zone *zone = &NODE_DATA(0)->node_zones[ZONE_NORMAL];
	char head[32], want[384];
	unsigned long count;
	const char *at;

	snprintf(head, sizeof(head), "\n    %s\n", who);
	at = strstr(info, "Node 0, zone   Normal\n");
	assert_non_null(at);
	at = strstr(at, head);
	if (!at)
		fail_msg("no \"%s\" in zoneinfo:\n%s", who, info);
	at += strlen(head);
	assert_int_equal(sscanf(at, "              count: %lu", &count), 1);
	snprintf(want, sizeof(want), "              count:    %lu\n              high:     %d"
		 "\n              batch:    %d\n              high_min: %d"
		 "\n              high_max: %d\n  vm stats threshold: %d\n",
		 count, zone->pcp_high, zone->pcp_batch, zone->pcp_high, zone->pcp_high, 0);
	if (strncmp(at, want, strlen(want)))
		fail_msg("%s's pageset is not the kernel's layout; want\n%sgot\n%.*s", who, want,
			 (int)strlen(want), at);
}

static void test_accounting(void **state)
{
	enum { PER_ORDER = 300 };
	enum kmb_percpu_mode mode = mode_of(state);
	struct page *p[NR_PCP_LISTS][PER_ORDER];
	struct kmb_mm_stats s0, s1, s2;
	unsigned char *mark;
	unsigned long used = 0;
	char *info;

	boot_mode(mode, 0);
	mark = calloc(kmb_memmap.max_pfn, 1);
	assert_non_null(mark);
	s0 = stats();
	for (int round = 0; round < 2; round++) {
		/* orders interleaved, so the lists fill and refill at once */
		for (int i = 0; i < PER_ORDER; i++)
			for (unsigned int o = 0; o < NR_PCP_LISTS; o++) {
				unsigned long pfn;

				p[o][i] = alloc_pages(GFP_KERNEL, o);
				assert_non_null(p[o][i]);
				pfn = page_to_pfn(p[o][i]);
				assert_int_equal(pfn & ((1UL << o) - 1), 0);
				for (unsigned long f = pfn; f < pfn + (1UL << o); f++) {
					if (mark[f])
						fail_msg("pfn %#lx handed out twice", f);
					mark[f] = 1;
				}
				used += 1UL << o;
			}
		s1 = stats();
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
			if (s1.pgalloc[o] - s0.pgalloc[o] != (o < NR_PCP_LISTS ? PER_ORDER : 0UL))
				fail_msg("round %d order %u: pgalloc grew by %lu, expected %d",
					 round, o, s1.pgalloc[o] - s0.pgalloc[o],
					 o < NR_PCP_LISTS ? PER_ORDER : 0);
		assert_int_equal(s1.pgfree, s0.pgfree);
		assert_int_equal(s1.free_pages + s1.pcp_pages + used, s1.managed_pages);
		check_mm();

		/* freed in another interleaving, so the lists also drain when full */
		for (unsigned int o = 0; o < NR_PCP_LISTS; o++)
			for (int i = 0; i < PER_ORDER; i++) {
				unsigned long pfn = page_to_pfn(p[o][i]);

				__free_pages(p[o][i], o);
				memset(mark + pfn, 0, 1UL << o);
				used -= 1UL << o;
			}
		s2 = stats();
		assert_int_equal(s2.pgfree - s1.pgfree, NR_PCP_LISTS * PER_ORDER);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
			assert_int_equal(s2.pgalloc[o], s1.pgalloc[o]);
		assert_int_equal(s2.free_pages + s2.pcp_pages, s2.managed_pages);
		if (has_lists(mode))
			assert_true(s2.pcp_pages > 0);
		else
			assert_int_equal(s2.pcp_pages, 0);
		check_mm();
		s0 = s2;
	}
	info = show(kmb_show_zoneinfo);
	if (mode == KMB_PERCPU_THREAD)
		check_pageset(info, "thread: 1");
	else if (has_lists(mode))
		check_pageset(info, "cpu: 0");
	free(info);
	check_all_back();
	/* the drain moved blocks, it allocated and freed none */
	s1 = stats();
	assert_int_equal(s1.pgfree, s0.pgfree);
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
		assert_int_equal(s1.pgalloc[o], s0.pgalloc[o]);
	free(mark);
}

/* --- drain_all_pages empties other threads' and other CPUs' lists --- */

struct filler {
	pthread_t t;
	int cpu;
	pthread_barrier_t *filled, *drained;
	unsigned long allocs;
	bool pinned;
};

/* Fill the calling thread's (or CPU's) lists: allocate blocks of orders 0-3, free them. */
static unsigned long fill_lists(void)
{
	enum { N = 64 };
	struct page *p[N];
	unsigned long n = 0;

	for (unsigned int o = 0; o < NR_PCP_LISTS; o++) {
		for (int i = 0; i < N; i++) {
			p[i] = alloc_pages(GFP_KERNEL, o);
			if (!p[i])
				abort();
			n++;
		}
		for (int i = 0; i < N; i++)
			__free_pages(p[i], o);
	}
	return n;
}

static void *filler_main(void *arg)
{
	struct filler *f = arg;

	f->pinned = pin_self(f->cpu);
	f->allocs = fill_lists();
	pthread_barrier_wait(f->filled);	/* main drains meanwhile */
	pthread_barrier_wait(f->drained);
	f->allocs += fill_lists();		/* the lists work after a remote drain */
	return NULL;
}

static void test_drain_all(void **state)
{
	enum kmb_percpu_mode mode = expected_mode(mode_of(state));
	int cpus = nr_online_cpus(), n = cpus > 1 ? cpus : 2;
	struct filler *f = calloc((size_t)n, sizeof(*f));
	pthread_barrier_t filled, drained;
	struct kmb_mm_stats s0, st;
	unsigned long allocs = 0;
	bool pinned = true;

	assert_non_null(f);
	boot_mode(mode_of(state), 0);
	s0 = stats();
	pthread_barrier_init(&filled, NULL, (unsigned int)n + 1);
	pthread_barrier_init(&drained, NULL, (unsigned int)n + 1);
	for (int i = 0; i < n; i++) {
		f[i] = (struct filler){ .cpu = i, .filled = &filled, .drained = &drained };
		assert_int_equal(pthread_create(&f[i].t, NULL, filler_main, &f[i]), 0);
	}
	pthread_barrier_wait(&filled);
	for (int i = 0; i < n; i++)
		pinned &= f[i].pinned;
	st = stats();
	if (has_lists(mode))
		assert_true(st.pcp_pages > 0);
	/* each pinned thread filled its own CPU's slot */
	if ((mode == KMB_PERCPU_CPU_LOCK || mode == KMB_PERCPU_CPU_RSEQ) && pinned && cpus > 1)
		for (int cpu = 0; cpu < cpus; cpu++)
			if (!cpu_list_pages(cpu))
				fail_msg("CPU %d's lists are empty after a thread pinned "
					 "there freed pages", cpu);
	check_all_back();	/* the fillers are alive and keep their (now empty) lists */
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		assert_int_equal(cpu_list_pages(cpu), 0);
	pthread_barrier_wait(&drained);
	for (int i = 0; i < n; i++) {
		pthread_join(f[i].t, NULL);
		allocs += f[i].allocs;
	}
	/* thread mode: the exits gave the threads' lists back, and folded their counts */
	st = stats();
	if (mode == KMB_PERCPU_THREAD)
		assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages + st.pcp_pages, st.managed_pages);
	assert_int_equal(sum_pgalloc(&st) - sum_pgalloc(&s0), allocs);
	assert_int_equal(st.pgfree - s0.pgfree, allocs);
	check_all_back();
	pthread_barrier_destroy(&filled);
	pthread_barrier_destroy(&drained);
	free(f);
}

/* --- migration --- */

struct migration {
	atomic_uint *owner;		/* per pfn: 0 free, else the worker's id + 1 */
	atomic_int running;
	atomic_ulong dup, lost, bad_tag, migrations, allocs, frees, cpu_changes;
	uint64_t seed;
};

struct worker {
	pthread_t t;
	struct migration *m;
	unsigned int id;
};

struct live {
	struct page *page;
	unsigned int order;
	uint64_t tag;
};

/* Take every frame of the block for @id; a frame someone else holds is a duplicate. */
static void own_block(struct migration *m, struct page *page, unsigned int order, unsigned int id)
{
	unsigned long pfn = page_to_pfn(page);

	for (unsigned long f = pfn; f < pfn + (1UL << order); f++) {
		unsigned int zero = 0;

		if (!atomic_compare_exchange_strong(&m->owner[f], &zero, id + 1))
			atomic_fetch_add(&m->dup, 1);
	}
}

static void disown_block(struct migration *m, struct page *page, unsigned int order,
			 unsigned int id)
{
	unsigned long pfn = page_to_pfn(page);

	for (unsigned long f = pfn; f < pfn + (1UL << order); f++) {
		unsigned int mine = id + 1;

		if (!atomic_compare_exchange_strong(&m->owner[f], &mine, 0))
			atomic_fetch_add(&m->lost, 1);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct migration *m = w->m;
	struct live live[MIGRATE_LIVE];
	uint64_t rs = m->seed + w->id * 0x9e3779b97f4a7c15ULL;
	int n = 0, cpu = sched_getcpu();

	/* Until both the steps and the migrator's moves are done: a count, not a time. */
	for (unsigned long op = 0; op < MIGRATE_OPS ||
	     atomic_load_explicit(&m->migrations, memory_order_relaxed) < MIGRATE_MOVES; op++) {
		int now = sched_getcpu();

		if (now != cpu)
			atomic_fetch_add_explicit(&m->cpu_changes, 1, memory_order_relaxed);
		cpu = now;
		/* grow or shrink the live set at random, so lists both fill and empty */
		if (n < MIGRATE_LIVE && (n == 0 || rnd(&rs) % 2)) {
			unsigned int order = (unsigned int)(rnd(&rs) % NR_PCP_LISTS);
			struct page *page = alloc_pages(GFP_KERNEL, order);
			uint64_t tag = ((uint64_t)w->id << 48) | op;

			if (!page)
				abort();
			own_block(m, page, order, w->id);
			*(volatile uint64_t *)page_address(page) = tag;
			live[n++] = (struct live){ page, order, tag };
			atomic_fetch_add_explicit(&m->allocs, 1, memory_order_relaxed);
		}
		if (n && (n == MIGRATE_LIVE || rnd(&rs) % 2)) {
			int i = (int)(rnd(&rs) % (uint64_t)n);
			struct live l = live[i];

			live[i] = live[--n];
			if (*(volatile uint64_t *)page_address(l.page) != l.tag)
				atomic_fetch_add(&m->bad_tag, 1);
			disown_block(m, l.page, l.order, w->id);
			__free_pages(l.page, l.order);
			atomic_fetch_add_explicit(&m->frees, 1, memory_order_relaxed);
		}
	}
	while (n--) {
		disown_block(m, live[n].page, live[n].order, w->id);
		__free_pages(live[n].page, live[n].order);
		atomic_fetch_add_explicit(&m->frees, 1, memory_order_relaxed);
	}
	atomic_fetch_sub(&m->running, 1);
	return NULL;
}

static void test_migration(void **state)
{
	enum kmb_percpu_mode mode = mode_of(state);
	struct migration m = { .seed = seed_from_env("migration", DEFAULT_SEED) };
	struct worker w[NR_WORKERS];
	int cpus = nr_online_cpus();
	struct kmb_mm_stats s0, st;
	uint64_t rs = m.seed;

	boot_mode(mode, 0);
	m.owner = calloc(kmb_memmap.max_pfn, sizeof(*m.owner));
	assert_non_null(m.owner);
	s0 = stats();
	atomic_store(&m.running, NR_WORKERS);
	for (unsigned int i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){ .m = &m, .id = i };
		assert_int_equal(pthread_create(&w[i].t, NULL, worker_main, &w[i]), 0);
	}
	/* The migrator: each worker in turn onto one CPU, another, or all of them. */
	while (atomic_load(&m.running)) {
		struct worker *v = &w[rnd(&rs) % NR_WORKERS];
		unsigned int pick = (unsigned int)(rnd(&rs) % (unsigned int)(cpus + 1));
		cpu_set_t set;

		CPU_ZERO(&set);
		for (int c = 0; c < cpus; c++)
			if (pick == (unsigned int)cpus || (unsigned int)c == pick)
				CPU_SET(c, &set);
		if (pthread_setaffinity_np(v->t, sizeof(set), &set) == 0)
			atomic_fetch_add(&m.migrations, 1);
		/* A short sleep, not sched_yield(): a waking sleeper gets a CPU back from the
		 * busy workers at once, a yielder waits behind them. */
		nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
	}
	for (unsigned int i = 0; i < NR_WORKERS; i++)
		pthread_join(w[i].t, NULL);
	printf("[ INFO     ] migration (%s): %lu affinity changes, %lu CPU changes seen, %lu "
	       "allocations\n", kmb_percpu_mode_name(kmb_mm_pcp_mode(NULL)),
	       atomic_load(&m.migrations), atomic_load(&m.cpu_changes), atomic_load(&m.allocs));
	assert_int_equal(atomic_load(&m.dup), 0);
	assert_int_equal(atomic_load(&m.lost), 0);
	assert_int_equal(atomic_load(&m.bad_tag), 0);
	assert_int_equal(atomic_load(&m.allocs), atomic_load(&m.frees));
	assert_true(atomic_load(&m.migrations) > 0);
	for (unsigned long f = 0; f < kmb_memmap.max_pfn; f++)
		assert_int_equal(atomic_load(&m.owner[f]), 0);
	st = stats();
	assert_int_equal(st.free_pages + st.pcp_pages, st.managed_pages);
	assert_int_equal(sum_pgalloc(&st) - sum_pgalloc(&s0), atomic_load(&m.allocs));
	assert_int_equal(st.pgfree - s0.pgfree, atomic_load(&m.frees));
	check_mm();
	check_all_back();
	free(m.owner);
}

/* --- remote free --- */

#define REMOTE_PER_ORDER	6
#define REMOTE_BLOCKS		(REMOTE_PER_ORDER * NR_PCP_LISTS)

struct remote {
	struct page *p[REMOTE_BLOCKS];
	unsigned int order[REMOTE_BLOCKS];
	unsigned long again_same;	/* blocks the freeing CPU got back at once */
	bool pinned;
};

static void *remote_alloc_main(void *arg)
{
	struct remote *r = arg;

	r->pinned = pin_self(0);
	for (int i = 0; i < REMOTE_BLOCKS; i++) {
		r->order[i] = (unsigned int)i % NR_PCP_LISTS;
		r->p[i] = alloc_pages(GFP_KERNEL, r->order[i]);
		if (!r->p[i])
			abort();
	}
	return NULL;
}

static void *remote_free_main(void *arg)
{
	struct remote *r = arg;
	struct page *again[REMOTE_BLOCKS];

	r->pinned &= pin_self(1);
	for (int i = 0; i < REMOTE_BLOCKS; i++)
		__free_pages(r->p[i], r->order[i]);
	/* The same orders again, in reverse: each comes off the top of this CPU's (or thread's)
	 * list, the block freed last of its order first. */
	for (int i = REMOTE_BLOCKS - 1; i >= 0; i--) {
		again[i] = alloc_pages(GFP_KERNEL, r->order[i]);
		if (!again[i])
			abort();
		r->again_same += again[i] == r->p[i];
	}
	for (int i = 0; i < REMOTE_BLOCKS; i++)
		__free_pages(again[i], r->order[i]);
	return NULL;
}

static void test_remote_free(void **state)
{
	enum kmb_percpu_mode mode = expected_mode(mode_of(state));
	struct remote *r = calloc(1, sizeof(*r));
	struct kmb_mm_stats s0, st;
	pthread_t t;

	assert_non_null(r);
	boot_mode(mode_of(state), 0);
	/* every block fits on its list: none is drained before it is allocated again */
	if (has_lists(mode))
		assert_true((NODE_DATA(0)->node_zones[ZONE_NORMAL].pcp_high >>
			     PAGE_ALLOC_COSTLY_ORDER) >= REMOTE_PER_ORDER);
	s0 = stats();
	assert_int_equal(pthread_create(&t, NULL, remote_alloc_main, r), 0);
	pthread_join(t, NULL);
	assert_int_equal(pthread_create(&t, NULL, remote_free_main, r), 0);
	pthread_join(t, NULL);
	if (!r->pinned || nr_online_cpus() < 2)
		printf("[ INFO     ] remote free: could not pin to CPUs 0 and 1; ran unpinned\n");
	/* With lists, every block was reused where it was freed (the trylock of cpu-lock fails
	 * only under contention, and nothing else runs). */
	if (has_lists(mode))
		assert_int_equal(r->again_same, REMOTE_BLOCKS);
	st = stats();
	assert_int_equal(sum_pgalloc(&st) - sum_pgalloc(&s0), 2 * REMOTE_BLOCKS);
	assert_int_equal(st.pgfree - s0.pgfree, 2 * REMOTE_BLOCKS);
	assert_int_equal(st.free_pages + st.pcp_pages, st.managed_pages);
	check_mm();
	check_all_back();	/* nothing leaks */
	free(r);
}

/* --- teardown with thread lists alive --- */

struct survivor {
	pthread_barrier_t *step;
	unsigned long allocs[2];
};

static void *survivor_main(void *arg)
{
	struct survivor *s = arg;

	s->allocs[0] = fill_lists();
	pthread_barrier_wait(s->step);		/* main tears down and boots again */
	pthread_barrier_wait(s->step);
	s->allocs[1] = fill_lists();
	return NULL;
}

static void test_teardown_alive(void **state)
{
	enum kmb_percpu_mode mode = mode_of(state);
	struct survivor s = { 0 };
	pthread_barrier_t step;
	struct kmb_mm_stats st;
	pthread_t t;

	pthread_barrier_init(&step, NULL, 2);
	s.step = &step;
	boot_mode(mode, 0);
	assert_int_equal(pthread_create(&t, NULL, survivor_main, &s), 0);
	pthread_barrier_wait(&step);
	fill_lists();
	kmb_mm_teardown();
	boot_mode(mode, 0);
	st = stats();
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(sum_pgalloc(&st), 0);
	pthread_barrier_wait(&step);
	pthread_join(t, NULL);
	st = stats();
	assert_int_equal(sum_pgalloc(&st), s.allocs[1]);
	assert_int_equal(st.pgfree, s.allocs[1]);
	check_all_back();
	pthread_barrier_destroy(&step);
}

/* --- double free --- */

static void test_double_free(void **state)
{
	enum kmb_percpu_mode mode = expected_mode(mode_of(state));
	struct kmb_mm_stats s0, s1;
	struct capture cap;
	struct page *page;
	char *text;

	boot_mode(mode_of(state), -1);	/* report and go on */
	page = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(page);
	__free_pages(page, 0);
	s0 = stats();
	capture_begin(&cap);
	__free_pages(page, 0);
	text = capture_end(&cap);
	s1 = stats();
	assert_prefixed(text);
	assert_contains(text, "BUG: Bad page state");
	/* none: the block is in the buddy lists, perhaps merged into a larger free block */
	assert_contains(text, has_lists(mode) ? "double free: frame heads a free order-0 block "
				"on a per-CPU list" : "double free: frame is");
	assert_contains(text, "refused");
	assert_int_equal(s1.bad_page - s0.bad_page, 1);
	assert_int_equal(s1.pgfree, s0.pgfree);
	assert_int_equal(s1.free_pages + s1.pcp_pages, s0.free_pages + s0.pcp_pages);
	check_mm();
	check_all_back();
}

/* --- cpu-rseq where rseq is not registered --- */

/* The re-executed child: glibc registered no rseq area, so cpu-rseq must run as cpu-lock. */
static int rseq_child(void)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = NODE_MEM,
				     .pcp_mode = KMB_PERCPU_CPU_RSEQ };
	char why[256] = "";
	const char *pcp_why;
	struct page *p;

	if (kmb_rseq_status(NULL)) {
		fprintf(stderr, "child: rseq usable despite glibc.pthread.rseq=0\n");
		return 3;
	}
	if (kmb_mm_init(&cfg, why, sizeof(why))) {
		fprintf(stderr, "child: kmb_mm_init: %s\n", why);
		return 4;
	}
	if (kmb_mm_pcp_mode(&pcp_why) != KMB_PERCPU_CPU_LOCK ||
	    !strstr(pcp_why, "cpu-rseq unavailable, cpu-lock used: rseq not registered")) {
		fprintf(stderr, "child: mode %s, why \"%s\"\n",
			kmb_percpu_mode_name(kmb_mm_pcp_mode(NULL)), pcp_why);
		return 5;
	}
	p = alloc_pages(GFP_KERNEL, 0);
	if (!p)
		return 6;
	__free_pages(p, 0);
	if (!stats().pcp_pages || kmb_mm_check(why, sizeof(why))) {
		fprintf(stderr, "child: pcp_pages %lu, check: %s\n", stats().pcp_pages, why);
		return 7;
	}
	return 0;
}

static void test_rseq_unavailable(void **state)
{
	const char *tunables = getenv("GLIBC_TUNABLES");
	char env[512];
	int status;
	pid_t pid;

	(void)state;
	snprintf(env, sizeof(env), "%s%sglibc.pthread.rseq=0", tunables ? tunables : "",
		 tunables ? ":" : "");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { "test_buddy_pcp", NULL };

		setenv("GLIBC_TUNABLES", env, 1);
		setenv(RSEQ_CHILD_ENV, "1", 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child with glibc.pthread.rseq=0: status %#x", status);
}

/* --- the table: every test in every mode --- */

#define NR_MODES	(sizeof(modes) / sizeof(modes[0]))
#define PER_MODE(fn)								\
	{ #fn ", none", fn, NULL, teardown, (void *)(intptr_t)KMB_PERCPU_NONE },		\
	{ #fn ", thread", fn, NULL, teardown, (void *)(intptr_t)KMB_PERCPU_THREAD },	\
	{ #fn ", cpu-lock", fn, NULL, teardown, (void *)(intptr_t)KMB_PERCPU_CPU_LOCK },	\
	{ #fn ", cpu-rseq", fn, NULL, teardown, (void *)(intptr_t)KMB_PERCPU_CPU_RSEQ }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PER_MODE(test_mode),
		PER_MODE(test_accounting),
		PER_MODE(test_drain_all),
		PER_MODE(test_migration),
		PER_MODE(test_remote_free),
		PER_MODE(test_teardown_alive),
		PER_MODE(test_double_free),
		{ "test_rseq_unavailable", test_rseq_unavailable, NULL, NULL, NULL },
	};

	_Static_assert(NR_MODES == 4, "PER_MODE lists every mode");
	if (getenv(RSEQ_CHILD_ENV))
		return rseq_child();
	return cmocka_run_group_tests_name("buddy_pcp", tests, NULL, drop_kept_text);
}
