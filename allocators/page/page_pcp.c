/*
 * page_pcp.c - the page allocator's per-CPU page lists (mm/page_alloc.c: struct per_cpu_pages,
 * rmqueue_pcplist, free_unref_page_commit, drain_all_pages) in the four per-CPU modes of
 * kmbench/percpu.h, chosen per run (kmb_mm_config.pcp_mode).  page_alloc.c has their fast
 * paths, inline in alloc_pages and __free_pages; this file the slow paths, the thread caches,
 * the drains, setup and teardown.
 *
 * Lists.  Blocks of orders 0..PAGE_ALLOC_COSTLY_ORDER that are freed go onto a list of the
 * freeing CPU (or thread) instead of the buddy lists, and the next allocation of that order
 * takes the hottest one back: neither touches the zone or its lock.  Each list is one stack
 * per order (struct pcp_stack, the layout of rseq.h's stack sequences), not the kernel's
 * list_head per order: a pop is a load of the count and one store.  An empty stack is refilled
 * with a batch of blocks from the zone (rmqueue_bulk, under zone->lock); a push onto a full
 * one first gives the batch of its coldest blocks back (free_pcppages_bulk).
 *
 * Limits.  batch and high are the kernel's before v6.7's adaptive high (pcp_limits():
 * zone_batchsize, zone_highsize): batch is about a quarter of the zone's pages / 1024, at most
 * 1 MiB, a power of two minus one; high is the zone's low watermark shared among the CPUs of
 * its node, at least 4 x batch.  The kernel compares high to the pages on all of a CPU's lists
 * together (free_unref_page_commit: count >= high frees nr_pcp_free() >= batch pages, taken
 * round-robin over the orders).  A stack has a fixed capacity instead, so each order gets the
 * whole budget for itself: pcp_capacity() = high >> order blocks (high pages), at least two of
 * its batches (pcp_batch(): batch >> order, at least 2, nr_pcp_alloc's rule).  One order alone
 * behaves as the kernel's list would; all four full at once hold up to 4 x high pages, where
 * the kernel stops at high.
 *
 * Modes (kmb_mm.pcp_mode, resolved once at setup; kmb_mm_pcp_mode() says which, and why when
 * it is not the one asked for):
 *   none      no lists: every small block goes to and from the buddy lists under zone->lock
 *             (also --pcp=off, kmb_mm_config.pcp = -1).
 *   cpu-lock  a struct per_cpu_pages per CPU (zone->pcp, from alloc_percpu: each CPU's copy on
 *             its own lines, on its node; the stacks in zone->pcp_area, a page-aligned slice
 *             per CPU bound to its node).  The fast paths take the slot's guard with one atomic
 *             exchange, as a trylock: a thread that migrated onto a CPU whose slot another
 *             holds, or that races a drain, uses the zone (the kernel's pcp_spin_trylock).
 *   cpu-rseq  the same slots; the fast paths are kmb_rseq_stack_pop/push on the slot of the
 *             CPU the thread runs on, no atomic and no lock.  A slot whose guard is set (BUSY)
 *             sends the caller to the zone, as the trylock would.  An empty or full stack (MISS)
 *             is refilled or drained under the slot's lock taken by an rseq sequence on that
 *             CPU (kmb_rseq_lock: the try form of kmb_pcpu_lock_here), again the zone when it is
 *             busy.  The lock holder may migrate and still own the slot: sequences on the slot's
 *             CPU see the guard and give way.  Frees are counted with kmb_rseq_add, a sequence of
 *             its own, since a plain add could race a sequence of another thread.
 *   thread    a struct per_cpu_pages per thread and zone (glibc's tcache), made on the
 *             thread's first use of the zone and given back to the zone when the thread exits:
 *             the thread slots of the zone's per-CPU cache (zone->pcpc, percpu.h; the thread
 *             registry and its drain protocol are percpu.c's).  No lock and no atomic on the
 *             fast path: two stores of the thread's active word around a push or a pop on the
 *             list its fast entry points to.
 * DEFAULT asks for cpu-rseq, which becomes thread where rseq cannot be used (valgrind,
 * glibc.pthread.rseq=0, not x86-64: kmb_percpu_mode_resolve), with the reason recorded; an
 * explicit cpu-rseq becomes cpu-lock there.
 *
 * Draining.  drain_all_pages() (also the reclaim path's, __alloc_pages_slowpath) empties every
 * list, whatever CPU or thread owns it.  cpu-lock takes each CPU's guard; cpu-rseq takes each
 * CPU's slot from anywhere with kmb_pcpu_lock_cpu(..., true): the stop word, then
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) on that CPU restarts any sequence under way,
 * so none can commit until kmb_pcpu_unlock_cpu.  Lists found empty are skipped (the kernel's
 * has_pcps test), except by drain_all_pages_sync(), the reclaim path's synchronisation with
 * frees, which owns every one.
 *
 * Draining another thread's lists (thread mode) is percpu.c's drain protocol
 * (kmb_pcpu_cache_for_each): the drainer takes the list's guard (which keeps the owner's slow
 * paths out), swaps the thread's fast entry for kmb_pcpu_bootstrap, runs
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) and waits for the thread to leave its fast path;
 * percpu.c's opening comment has the argument.  A fast path that finds the bootstrap misses
 * (empty stacks with no room) and its slow path tries the guard: busy, it uses the zone, as
 * pcp_spin_trylock's failure does; free, it owns the list and publishes it as the fast entry
 * again.  Where membarrier cannot be registered (Linux before 4.14) thread mode resolves to
 * cpu-lock, with the reason (kmb_percpu_mode_resolve).
 *
 * Caveats of user space.  A thread cannot disable preemption: it may migrate between reading
 * its CPU and using the slot, so every cpu-lock access holds the guard and every cpu-rseq
 * access is a sequence that restarts on migration.  A signal handler that allocates or frees
 * pages is safe in cpu-rseq (delivery aborts a sequence under way) and cpu-lock (the trylock
 * fails, the zone serves it), not in thread mode, whose fast path, like glibc's tcache, is not
 * async-signal-safe.  A thread that exits gives its lists back; one that is killed does not.
 * After fork() only the forking thread runs: the child keeps the other threads' lists on the
 * registry (their guards reset, percpu.c), and drain_all_pages there gives their pages back; a
 * fork while another thread was inside the allocator leaves the child as unusable as any other
 * lock held across fork would.
 *
 * Counting.  pgfree counts the frees pushed onto a list (per order, in the list's counters);
 * the blocks allocated from a list are derived, not counted on the fast path: a list's blocks
 * came in by refill (nr_in) or free (pgfree) and left by allocation, drain (nr_out), or are
 * still there, so pgalloc = nr_in + pgfree - nr_out - count (pcp_pgalloc).  The sums over a
 * zone's lists are exact once no thread runs in the allocator, in every mode (in cpu-rseq the
 * free is added to the copy of the CPU the add runs on, so only the sum is meaningful); an
 * exited thread's counts are folded into its zone's pgalloc and pgfree.
 *
 * Invariants (kmb_mm_check): a block on a stack heads a free block of the stack's order in the
 * stack's zone and carries PG_pcp, no other state; count <= capacity; every PG_pcp block of a
 * zone is on exactly one of its stacks.
 *
 * Locks: the thread registry (percpu.c), then a list's guard (a CPU's or a thread's), then
 * zone->lock.  The fast paths take none of them in cpu-rseq and thread modes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "page_alloc.h"
#include "placement.h"

/* --- limits and layout --- */

/* zone_batchsize / zone_highsize (mm/page_alloc.c, before v6.7's adaptive high). */
static void pcp_limits(const struct zone *z, int *batch, int *high)
{
	unsigned long b = z->managed_pages >> 10, cpus = 0, h;

	if (b > (1UL << 20) / PAGE_SIZE)
		b = (1UL << 20) / PAGE_SIZE;
	b /= 4;
	if (b < 1)
		b = 1;
	b = b + b / 2;
	while (b & (b - 1))
		b &= b - 1;		/* rounddown_pow_of_two */
	b = b > 1 ? b - 1 : 1;
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		cpus += cpu_to_node(cpu) == z->node;
	if (!cpus)
		cpus = (unsigned long)nr_cpu_ids();
	h = z->_watermark[WMARK_LOW] / cpus;
	if (h < b * 4)
		h = b * 4;
	*batch = (int)b;
	*high = (int)h;
}

/* Blocks @order's stack holds: high pages, at least two of its batches (opening comment). */
static unsigned int pcp_capacity(int high, int batch, unsigned int order)
{
	unsigned int cap = (unsigned int)high >> order, two = 2 * pcp_batch(batch, order);

	return cap > two ? cap : two;
}

static size_t pcp_stacks_size(int high, int batch)
{
	size_t n = 0;

	for (unsigned int o = 0; o < NR_PCP_LISTS; o++)
		n += sizeof(struct pcp_stack) +
		     pcp_capacity(high, batch, o) * sizeof(struct page *);
	return n;
}

/* An empty list whose stacks are carved from @mem (pcp_stacks_size bytes). */
static void pcp_init(struct per_cpu_pages *pcp, char *mem, int high, int batch)
{
	memset(pcp, 0, sizeof(*pcp));
	pcp->high = high;
	pcp->batch = batch;
	for (unsigned int o = 0; o < NR_PCP_LISTS; o++) {
		struct pcp_stack *st = (struct pcp_stack *)mem;

		st->count = 0;
		st->capacity = pcp_capacity(high, batch, o);
		pcp->stacks[o] = st;
		mem += sizeof(*st) + st->capacity * sizeof(st->pages[0]);
	}
}

unsigned long pcp_pages(const struct per_cpu_pages *pcp)
{
	unsigned long n = 0;

	/* Also the drains' look before they own a slot (pcp_empty, percpu.h's racy look): its
	 * owner changes the counts meanwhile, without atomics (a race on purpose: tsan.h). */
	for (unsigned int o = 0; o < NR_PCP_LISTS; o++)
		n += (unsigned long)kmb_data_race(__atomic_load_n(&pcp->stacks[o]->count,
								  __ATOMIC_RELAXED)) << o;
	return n;
}

long pcp_pgalloc(const struct per_cpu_pages *pcp, unsigned int order)
{
	return pcp->nr_in[order] + pcp->pgfree[order] - pcp->nr_out[order] -
	       (long)__atomic_load_n(&pcp->stacks[order]->count, __ATOMIC_RELAXED);
}

/* --- an owned list: the slow paths' operations --- */

/* The hottest block of @order, after a refill when the stack is empty; NULL when the zone has
 * none either. */
static struct page *pcp_pop(struct zone *zone, struct per_cpu_pages *pcp, unsigned int order)
{
	struct pcp_stack *st = pcp->stacks[order];
	struct page *page;

	if (!st->count && !rmqueue_bulk(zone, order, pcp))
		return NULL;
	page = st->pages[--st->count];
	page->flags &= ~PG_mask(PG_pcp);
	return page;
}

/* @page on top of @order's stack, after giving a batch back when it is full. */
static void pcp_push(struct zone *zone, struct per_cpu_pages *pcp, struct page *page,
		     unsigned int order)
{
	struct pcp_stack *st = pcp->stacks[order];

	if (st->count >= st->capacity)
		free_pcppages_bulk(zone, pcp, order, pcp_batch(pcp->batch, order));
	page->order = order;
	page->flags |= PG_mask(PG_pcp);
	st->pages[st->count++] = page;
}

/* --- cpu-rseq --- */

static void pcp_rseq_count_free(struct zone *zone, unsigned int order)
{
#if KMB_HAVE_RSEQ_ASM
	if (KMB_STAT >= 1)
		kmb_rseq_add(&zone->pcp->pgfree[order], 1);
#else
	(void)zone, (void)order;
#endif
}

/* --- thread mode: the zone's thread slots (percpu.c keeps the registry) --- */

static struct zone *zone_of_cache(struct kmb_pcpu_cache *pc)
{
	return (struct zone *)((char *)pc - offsetof(struct zone, pcpc));
}

/* A thread's first use of the zone: its list, empty. */
static void *pcp_thread_new(struct kmb_pcpu_cache *pc)
{
	struct zone *zone = zone_of_cache(pc);
	struct per_cpu_pages *pcp;

	if (posix_memalign((void **)&pcp, 64,
			   sizeof(*pcp) + pcp_stacks_size(zone->pcp_high, zone->pcp_batch)))
		return NULL;
	pcp_init(pcp, (char *)(pcp + 1), zone->pcp_high, zone->pcp_batch);
	return pcp;
}

/* An exiting thread's list (or every thread's at teardown): its blocks back to the zone, its
 * counts into the zone's, and freed. */
static void pcp_thread_exit(struct kmb_pcpu_cache *pc, void *slot)
{
	struct zone *zone = zone_of_cache(pc);
	struct per_cpu_pages *pcp = slot;

	free_pcppages_bulk(zone, pcp, 0, 0);
	spin_lock(&zone->lock);
	for (unsigned int o = 0; o < NR_PCP_LISTS; o++) {
		zone->pgalloc[o] += (unsigned long)pcp_pgalloc(pcp, o);
		zone->pgfree += (unsigned long)pcp->pgfree[o];
	}
	spin_unlock(&zone->lock);
	free(pcp);
}

static bool pcp_empty(const void *slot)
{
	return !pcp_pages(slot);
}

/* --- the slow paths --- */

struct page *rmqueue_pcplist_slow(struct zone *zone, unsigned int order, int why)
{
	struct per_cpu_pages *pcp;
	struct page *page;
	int cpu;

	/* A busy slot (a drain, or another thread's slow path) sends us to the zone, as a failed
	 * pcp_spin_trylock does: the guard tried once (cpu-rseq: by a sequence on this CPU). */
	if (why == KMB_RSEQ_BUSY ||
	    !(pcp = kmb_pcpu_cache_lock_here(&zone->pcpc, &cpu, true)))
		return NULL;
	page = pcp_pop(zone, pcp, order);
	if (kmb_mm.pcp_mode == KMB_PERCPU_THREAD)
		kmb_pcpu_thread_publish(&zone->pcpc, pcp);
	kmb_pcpu_cache_unlock(&zone->pcpc, pcp, cpu);
	return page;
}

bool free_pcp_slow(struct zone *zone, struct page *page, unsigned int order, int why)
{
	struct per_cpu_pages *pcp;
	int cpu;

	if (why == KMB_RSEQ_DUP) {
		/* cpu-rseq: the block is already on top of this CPU's stack: two frees of it raced
		 * past free_frame's state check (possible only without strict refcounts).  It is
		 * on the list once, as it should be; report the second free. */
		bad_page(page, "double free: the block is already on top of this CPU's per-CPU "
			 "list", order, (const void *)page->caller);
		return true;
	}
	if (why == KMB_RSEQ_BUSY ||
	    !(pcp = kmb_pcpu_cache_lock_here(&zone->pcpc, &cpu, true))) {
		page->flags &= ~PG_mask(PG_pcp);	/* cpu-rseq: set by the fast path */
		return false;
	}
	pcp_push(zone, pcp, page, order);
	if (kmb_mm.pcp_mode == KMB_PERCPU_THREAD) {
		count_vm_events(pcp->pgfree[order], 1);
		kmb_pcpu_thread_publish(&zone->pcpc, pcp);
	}
	kmb_pcpu_cache_unlock(&zone->pcpc, pcp, cpu);
	/* cpu-rseq: a sequence of its own, as the fast path's count (a plain add under the
	 * guard could race the fast path's kmb_rseq_add on the same copy) */
	if (kmb_mm.pcp_mode == KMB_PERCPU_CPU_RSEQ)
		pcp_rseq_count_free(zone, order);
	return true;
}

/* --- walking and draining --- */

struct pcp_visit {
	struct zone *zone;
	pcp_visit_fn fn;
	void *arg;
};

static int pcp_visit(struct kmb_pcpu_cache *pc, void *slot, int who, void *arg)
{
	struct pcp_visit *v = arg;

	(void)pc;
	return v->fn(v->zone, slot, who, v->arg);
}

int pcp_for_each(struct zone *zone, unsigned int flags, pcp_visit_fn fn, void *arg)
{
	struct pcp_visit v = { zone, fn, arg };

	if (kmb_mm.pcp_mode == KMB_PERCPU_NONE || kmb_mm.pcp_mode == KMB_PERCPU_DEFAULT)
		return 0;
	return kmb_pcpu_cache_for_each(&zone->pcpc, flags, pcp_visit, &v);
}

static int drain_visit(struct zone *zone, struct per_cpu_pages *pcp, int who, void *arg)
{
	(void)who, (void)arg;
	free_pcppages_bulk(zone, pcp, 0, 0);
	return 0;
}

static void drain_pages(struct zone *zone, unsigned int flags)
{
	struct zone *z;

	if (!kmb_mm.booted)
		return;
	for_each_populated_zone(z)
		if (!zone || zone == z)
			pcp_for_each(z, PCP_OWN | flags, drain_visit, NULL);
}

void drain_all_pages(struct zone *zone)
{
	drain_pages(zone, PCP_NONEMPTY);
}

void drain_all_pages_sync(void)
{
	drain_pages(NULL, 0);
}

/* --- modes, setup and teardown --- */

int pcp_resolve_mode(char *why, size_t whylen)
{
	struct kmb_mm_config *c = &kmb_mm.cfg;
	enum kmb_percpu_mode want = c->pcp < 0 ? KMB_PERCPU_NONE : c->pcp_mode, mode;

	if ((unsigned int)want > KMB_PERCPU_CPU_RSEQ) {
		snprintf(why, whylen, "mm: per-CPU page list mode %d: valid modes are "
			 KMB_PERCPU_MODES, (int)want);
		return -EINVAL;
	}
	mode = kmb_percpu_mode_resolve(want, kmb_mm.pcp_why, sizeof(kmb_mm.pcp_why));
	kmb_mm.pcp_mode = c->pcp_mode = mode;
	c->pcp = mode == KMB_PERCPU_NONE ? -1 : 1;
	return 0;
}

/* cpu-lock and cpu-rseq: a slot per CPU, and its stacks on the CPU's node. */
static int pcp_cpu_setup(struct zone *z)
{
	size_t slice = (pcp_stacks_size(z->pcp_high, z->pcp_batch) + PAGE_SIZE - 1) & PAGE_MASK;
	char *area;

	z->pcp = z->pcpc.slots;
	area = kmb_mmap(NULL, slice * (size_t)nr_cpu_ids(), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -ENOMEM;
	z->pcp_area = area;
	z->pcp_area_size = slice * (size_t)nr_cpu_ids();
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++) {
		char *mine = area + (size_t)cpu * slice;

		/* Bound before the first touch, as the CPU's per-CPU unit is (percpu.c); a node
		 * the machine lacks leaves it where the first touch puts it. */
		kmb_numa_bind(mine, slice, kmb_cpu_to_node(cpu));
		pcp_init(per_cpu_ptr(z->pcp, cpu), mine, z->pcp_high, z->pcp_batch);
	}
	return 0;
}

int setup_pcp(void)
{
	const enum kmb_percpu_mode mode = kmb_mm.pcp_mode;
	struct zone *z;

	if (mode == KMB_PERCPU_NONE)
		return 0;
	if (mode == KMB_PERCPU_THREAD) {
		kmb_mm.pcp_id_base = kmb_pcpu_ids_run(kmb_mm.nr_nodes * MAX_NR_ZONES);
		if (kmb_mm.pcp_id_base < 0)
			return -ENOMEM;
	}
	for_each_populated_zone(z) {
		pcp_limits(z, &z->pcp_batch, &z->pcp_high);
		z->pcpc.thread_new = pcp_thread_new;
		z->pcpc.thread_exit = pcp_thread_exit;
		z->pcpc.empty = pcp_empty;
		if (kmb_pcpu_cache_init_id(&z->pcpc, mode, sizeof(struct per_cpu_pages),
					   __alignof__(struct per_cpu_pages), kmb_mm.pcp_id_base +
					   z->node * MAX_NR_ZONES + z->idx))
			return -ENOMEM;
		if ((mode == KMB_PERCPU_CPU_LOCK || mode == KMB_PERCPU_CPU_RSEQ) &&
		    pcp_cpu_setup(z))
			return -ENOMEM;
	}
	return 0;
}

void teardown_pcp(void)
{
	for (int nid = 0; nid < KMB_MAX_NUMNODES; nid++) {
		if (!kmb_mm.node_data[nid])
			continue;
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *z = &NODE_DATA(nid)->node_zones[i];

			/* Thread mode: every thread's list back to the zone and freed. */
			kmb_pcpu_cache_destroy(&z->pcpc);
			z->pcp = NULL;
			if (z->pcp_area)
				kmb_munmap(z->pcp_area, z->pcp_area_size);
			z->pcp_area = NULL;
			z->pcp_area_size = 0;
		}
	}
}

enum kmb_percpu_mode kmb_mm_pcp_mode(const char **why)
{
	if (why)
		*why = kmb_mm.pcp_why;
	/* Zero (DEFAULT) only before the first setup. */
	return kmb_mm.pcp_mode == KMB_PERCPU_DEFAULT ? KMB_PERCPU_NONE : kmb_mm.pcp_mode;
}
