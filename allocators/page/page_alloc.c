/*
 * page_alloc.c - the buddy page allocator (mm/page_alloc.c).
 *
 * Design, as the kernel's:
 *  - Each zone keeps free lists for orders 0..MAX_PAGE_ORDER.  A free block is 2^order frames
 *    aligned to its size; its first frame carries PG_buddy and the order.  Allocation takes the
 *    smallest order that has a block and splits it, putting the upper halves back (expand());
 *    a free merges the block with its buddy (pfn ^ (1 << order)) while the buddy is free at the
 *    same order (__free_one_page()).
 *  - In front of the free lists, per-CPU lists for orders 0..PAGE_ALLOC_COSTLY_ORDER hold
 *    recently freed blocks (struct per_cpu_pages, a stack per order): an order-0 free and the
 *    next allocation meet there without touching the zone.  They are refilled and drained
 *    @batch blocks at a time, drained when full, and the slow path drains every list
 *    (drain_all_pages()).  Four modes, chosen per run: none, thread, cpu-lock (a trylock per
 *    operation, as the kernel's pcp_spin_trylock) and cpu-rseq (restartable sequences, no
 *    atomic); page_pcp.c describes them and holds their slow paths, this file their fast
 *    paths, inline in alloc_pages and __free_pages, and the moves between a list and the zone.
 *  - Zones are tried along the node's zonelist: HIGHMEM -> NORMAL -> DMA on the node, then the
 *    other nodes by distance.  gfp_zone() bounds how high a zone may be used; __GFP_THISNODE
 *    takes the no-fallback zonelist.  A zone is used only if its free pages stay above a
 *    watermark plus the lowmem reserve that protects it from higher zones' requests.
 *  - The fast path checks the low watermark.  The slow path (__alloc_pages_slowpath) retries
 *    with the min watermark, lowered for __GFP_HIGH and further for GFP_ATOMIC; then, if the
 *    caller may sleep, it reclaims (shrinkers, per-CPU lists) and waits for frees, a bounded
 *    number of rounds, and fails unless __GFP_NOFAIL.  Flags as include/linux/gfp_types.h.
 *
 * Invariants (kmb_mm_check() verifies them):
 *  - A frame is in exactly one state: head of a free block (PG_buddy), head of a per-CPU
 *    block (PG_pcp), head of an allocated block (PG_head), reserved, or inside a block whose
 *    head is one of these (flags clear).
 *  - Two buddies are never both free at the same order in the buddy lists.
 *  - zone->free_pages == sum over orders of nr_free << order.
 *  - A per-CPU list's stacks hold PG_pcp blocks of their order and zone (page_pcp.c).
 *
 * Locks: a per-CPU list (its slot's guard, a CPU's or a thread's), then zone->lock.  Never
 * held while sleeping or calling a shrinker.
 *
 * Assertions (base/config.h): the moves under zone->lock check the invariants they touch at
 * KMB_DEBUG >= 1 (a block's alignment and state, nr_free and free_pages never negative), and
 * at KMB_DEBUG >= 2 that every frame inside a block merged, split or handed out is idle
 * (block_is_idle()); the per-CPU fast paths check nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "page_alloc.h"
#include "tools.h"

struct kmb_mm kmb_mm;

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "Normal", "HighMem" };
/* mm/page_alloc.c sysctl_lowmem_reserve_ratio, for DMA, NORMAL and HIGHMEM */
static const int lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 32, 0 };

/* --- free lists --- */

/* block_is_idle - the validator of a block's inside: every frame but the head (@page) of the
 * order-@order block is in no state of its own.  O(2^order): in kmb_assert_internal only. */
static bool block_is_idle(const struct page *page, unsigned int order)
{
	for (unsigned long i = 1; i < (1UL << order); i++)
		if (page[i].flags & PG_STATE_MASK)
			return false;
	return true;
}

static always_inline void add_to_free_list(struct page *page, struct zone *zone, unsigned int order)
{
	struct free_area *area = &zone->free_area[order];

	list_add(&page->lru, &area->free_list);
	area->nr_free++;
}

static always_inline void del_page_from_free_list(struct page *page, struct zone *zone,
						  unsigned int order)
{
	kmb_assert((page->flags & PG_STATE_MASK) == PG_mask(PG_buddy) && page->order == order);
	kmb_assert(zone->free_area[order].nr_free > 0);
	list_del(&page->lru);
	page->flags &= ~PG_mask(PG_buddy);
	zone->free_area[order].nr_free--;
}

static always_inline void set_buddy_order(struct page *page, unsigned int order)
{
	page->order = order;
	page->flags |= PG_mask(PG_buddy);
}

/* Free pages are written only under zone->lock; readers (watermark checks) do not lock. */
static always_inline void zone_add_free(struct zone *zone, long nr)
{
	long free = atomic_load_explicit(&zone->free_pages, memory_order_relaxed) + nr;

	kmb_assert(free >= 0 && (unsigned long)free <= zone->managed_pages);
	atomic_store_explicit(&zone->free_pages, free, memory_order_relaxed);
}

/* __free_one_page: merge with free buddies, then put the block on its list.  zone->lock held. */
static always_inline void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
					  unsigned int order)
{
	kmb_assert(order <= MAX_PAGE_ORDER && !(pfn & ((1UL << order) - 1)));
	kmb_assert(!(page->flags & (PG_mask(PG_buddy) | PG_mask(PG_pcp))) &&
		   page->node == zone->node && page->zone == zone->idx);
	kmb_assert_internal(block_is_idle(page, order));
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy = page + ((long)buddy_pfn - (long)pfn);

		/* page_is_buddy(): free, in the buddy lists, at the same order.  Zone and node
		 * boundaries are 4 MiB aligned, so the buddy is always in the same zone.  The
		 * buddy state is set and cleared only under the zone's lock, which we hold; a
		 * buddy not in it may be another thread's block, whose flags and order its owner
		 * changes without the lock: whatever we read of them then is not the buddy state
		 * (a race on purpose, as the kernel's page_is_buddy(): tsan.h). */
		if ((kmb_data_race(buddy->flags) & PG_STATE_MASK) != PG_mask(PG_buddy) ||
		    kmb_data_race(buddy->order) != order)
			break;
		del_page_from_free_list(buddy, zone, order);
		pfn &= buddy_pfn;
		page = pfn_to_page(pfn);
		order++;
	}
	set_buddy_order(page, order);
	add_to_free_list(page, zone, order);
}

/* expand: split a block of order @high down to @low, freeing the upper halves. */
static always_inline void expand(struct zone *zone, struct page *page, unsigned int low,
				 unsigned int high)
{
	unsigned long size = 1UL << high;

	kmb_assert(low <= high && high <= MAX_PAGE_ORDER);
	kmb_assert_internal(block_is_idle(page, high));
	while (high > low) {
		high--;
		size >>= 1;
		set_buddy_order(&page[size], high);
		add_to_free_list(&page[size], zone, high);
	}
}

/* __rmqueue_smallest: the smallest free block of at least @order, split.  zone->lock held. */
static always_inline struct page *__rmqueue_smallest(struct zone *zone, unsigned int order)
{
	for (unsigned int cur = order; cur < NR_PAGE_ORDERS; cur++) {
		struct free_area *area = &zone->free_area[cur];
		struct page *page;

		if (list_empty(&area->free_list))
			continue;
		page = list_first_entry(&area->free_list, struct page, lru);
		del_page_from_free_list(page, zone, cur);
		expand(zone, page, order, cur);
		return page;
	}
	return NULL;
}

/* --- per-CPU page lists: moving blocks between them and the zone --- */

static void reverse_pages(struct page **p, unsigned int n)
{
	for (unsigned int i = 0; i < n / 2; i++) {
		struct page *t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

int rmqueue_bulk(struct zone *zone, unsigned int order, struct per_cpu_pages *pcp)
{
	struct pcp_stack *st = pcp->stacks[order];
	unsigned int want = pcp_batch(pcp->batch, order), room = st->capacity - st->count, i;

	if (want > room)
		want = room;
	spin_lock(&zone->lock);
	for (i = 0; i < want; i++) {
		struct page *page = __rmqueue_smallest(zone, order);

		if (!page)
			break;
		page->order = order;
		page->flags |= PG_mask(PG_pcp);
		st->pages[st->count + i] = page;
	}
	zone_add_free(zone, -(long)(i << order));
	spin_unlock(&zone->lock);
	/* The kernel queues them at the list's tail and allocates from its head, so the first
	 * block the zone gave goes out first: the top of the stack. */
	reverse_pages(st->pages + st->count, i);
	st->count += i;
	count_vm_events(pcp->nr_in[order], i);
	return (int)i;
}

/* Free the @n coldest blocks of @order's stack.  zone->lock held; returns pages freed. */
static long free_pcp_stack(struct zone *zone, struct per_cpu_pages *pcp, unsigned int order,
			   unsigned int n)
{
	struct pcp_stack *st = pcp->stacks[order];

	if (n > st->count)
		n = st->count;
	for (unsigned int i = 0; i < n; i++) {
		struct page *page = st->pages[i];

		page->flags &= ~PG_mask(PG_pcp);
		__free_one_page(page, page_to_pfn(page), zone, order);
	}
	memmove(st->pages, st->pages + n, (st->count - n) * sizeof(st->pages[0]));
	st->count -= n;
	count_vm_events(pcp->nr_out[order], n);
	return (long)n << order;
}

void free_pcppages_bulk(struct zone *zone, struct per_cpu_pages *pcp, unsigned int order,
			unsigned int n)
{
	long freed = 0;

	spin_lock(&zone->lock);
	if (n)
		freed = free_pcp_stack(zone, pcp, order, n);
	else
		for (unsigned int o = 0; o < NR_PCP_LISTS; o++)
			freed += free_pcp_stack(zone, pcp, o, pcp->stacks[o]->count);
	zone_add_free(zone, freed);
	spin_unlock(&zone->lock);
}

/* --- per-CPU page lists: the fast paths of each mode (page_pcp.c has the slow ones) --- */

static always_inline struct per_cpu_pages *this_cpu_pcp(struct zone *zone)
{
	return per_cpu_ptr(zone->pcp, kmb_current_cpu());
}

static always_inline struct page *rmqueue_pcp_rseq(struct zone *zone, unsigned int order)
{
#if KMB_HAVE_RSEQ_ASM
	int why = KMB_RSEQ_MISS;	/* set by the pop when it returns NULL */
	struct page *page = kmb_rseq_stack_pop(zone->pcp, PCP_STACK_OFF(order), &why);

	if (likely(page)) {
		page->flags &= ~PG_mask(PG_pcp);
		return page;
	}
	return rmqueue_pcplist_slow(zone, order, why);
#else
	(void)zone, (void)order;
	return NULL;	/* never resolved to cpu-rseq */
#endif
}

static always_inline struct page *rmqueue_pcp_lock(struct zone *zone, unsigned int order)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(zone);
	struct pcp_stack *st;
	struct page *page = NULL;

	if (unlikely(!kmb_pcpu_spin_trylock(&pcp->guard)))
		return NULL;
	st = pcp->stacks[order];
	if (likely(st->count) || rmqueue_bulk(zone, order, pcp)) {
		page = st->pages[--st->count];
		page->flags &= ~PG_mask(PG_pcp);
	}
	kmb_pcpu_spin_unlock(&pcp->guard);
	return page;
}

/* Thread mode: the thread's list, from its fast entry (percpu.h); the bootstrap, with empty
 * stacks and no room, when it has none yet or a drain owns it: the slow path decides. */
static always_inline struct page *rmqueue_pcp_thread(struct zone *zone, unsigned int order)
{
	struct per_cpu_pages *pcp = kmb_pcpu_thread_enter(zone->pcpc.id);
	struct pcp_stack *st = pcp->stacks[order];
	struct page *page;
	uint32_t n = st->count;

	if (unlikely(!n)) {
		kmb_pcpu_thread_leave();
		return rmqueue_pcplist_slow(zone, order, KMB_RSEQ_MISS);
	}
	page = st->pages[n - 1];
	st->count = n - 1;
	kmb_pcpu_thread_leave();
	page->flags &= ~PG_mask(PG_pcp);
	return page;
}

/* rmqueue_pcplist: a block of @order from the calling CPU's (or thread's) list; NULL: use the
 * zone (also in mode none).  The default mode is tested first. */
static always_inline struct page *rmqueue_pcplist(struct zone *zone, unsigned int order)
{
	const enum kmb_percpu_mode mode = kmb_mm.pcp_mode;

	if (likely(mode == KMB_PERCPU_CPU_RSEQ))
		return rmqueue_pcp_rseq(zone, order);
	if (mode == KMB_PERCPU_THREAD)
		return rmqueue_pcp_thread(zone, order);
	if (mode == KMB_PERCPU_CPU_LOCK)
		return rmqueue_pcp_lock(zone, order);
	return NULL;
}

static always_inline bool free_pcp_rseq(struct zone *zone, struct page *page, unsigned int order)
{
#if KMB_HAVE_RSEQ_ASM
	struct per_cpu_pages __percpu *pcp = zone->pcp;	/* not read again after the asm */
	int r;

	/* Flags first: once pushed, the block is another thread's to pop. */
	page->order = order;
	page->flags |= PG_mask(PG_pcp);
	r = kmb_rseq_stack_push(pcp, PCP_STACK_OFF(order), page);
	if (unlikely(r))
		return free_pcp_slow(zone, page, order, r);
	if (KMB_STAT >= 1)	/* count_vm_event(PGFREE): a second rseq sequence */
		kmb_rseq_add(&pcp->pgfree[order], 1);
	return true;
#else
	(void)zone, (void)page, (void)order;
	return false;
#endif
}

static always_inline bool free_pcp_lock(struct zone *zone, struct page *page, unsigned int order)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(zone);
	struct pcp_stack *st;

	if (unlikely(!kmb_pcpu_spin_trylock(&pcp->guard)))
		return false;
	st = pcp->stacks[order];
	if (unlikely(st->count >= st->capacity))
		free_pcppages_bulk(zone, pcp, order, pcp_batch(pcp->batch, order));
	page->order = order;
	page->flags |= PG_mask(PG_pcp);
	st->pages[st->count++] = page;
	count_vm_events(pcp->pgfree[order], 1);
	kmb_pcpu_spin_unlock(&pcp->guard);
	return true;
}

static always_inline bool free_pcp_thread(struct zone *zone, struct page *page,
					  unsigned int order)
{
	/* The id from the page's own fields, not from the zone: no load after theirs. */
	struct per_cpu_pages *pcp = kmb_pcpu_thread_enter(kmb_mm.pcp_id_base + page->node *
							  MAX_NR_ZONES + page->zone);
	struct pcp_stack *st = pcp->stacks[order];
	uint32_t n = st->count;

	if (unlikely(n >= st->capacity)) {
		kmb_pcpu_thread_leave();
		return free_pcp_slow(zone, page, order, KMB_RSEQ_MISS);
	}
	page->order = order;
	page->flags |= PG_mask(PG_pcp);
	st->pages[n] = page;
	st->count = n + 1;
	count_vm_events(pcp->pgfree[order], 1);
	kmb_pcpu_thread_leave();
	return true;
}

/* free_pcp: @page onto the calling CPU's (or thread's) list; false: use the zone (also in
 * mode none). */
static always_inline bool free_pcp(struct zone *zone, struct page *page, unsigned int order)
{
	const enum kmb_percpu_mode mode = kmb_mm.pcp_mode;

	if (likely(mode == KMB_PERCPU_CPU_RSEQ))
		return free_pcp_rseq(zone, page, order);
	if (mode == KMB_PERCPU_THREAD)
		return free_pcp_thread(zone, page, order);
	if (mode == KMB_PERCPU_CPU_LOCK)
		return free_pcp_lock(zone, page, order);
	return false;
}

/* --- allocation --- */

/* rmqueue_buddy: straight from the buddy lists, under the zone lock. */
static noinline struct page *rmqueue_buddy(struct zone *zone, unsigned int order)
{
	struct page *page;

	spin_lock(&zone->lock);
	page = __rmqueue_smallest(zone, order);
	if (page) {
		zone_add_free(zone, -(1L << order));
		count_vm_events(zone->pgalloc[order], 1);
	}
	spin_unlock(&zone->lock);
	return page;
}

/* rmqueue: a block of @order from @zone, through its per-CPU lists when they cover @order. */
static always_inline struct page *rmqueue(struct zone *zone, unsigned int order)
{
	if (likely(order <= PAGE_ALLOC_COSTLY_ORDER)) {
		struct page *page = rmqueue_pcplist(zone, order);

		if (likely(page))
			return page;
	}
	return rmqueue_buddy(zone, order);
}

/* __zone_watermark_ok (mm/page_alloc.c): may @order pages come from @z under @mark? */
noinline bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags, long free_pages)
{
	long min = (long)mark;

	free_pages -= (1L << order) - 1;
	if (unlikely(alloc_flags & ALLOC_RESERVES)) {
		/* __GFP_HIGH may use half of the min reserve; a caller that cannot sleep too
		 * (GFP_ATOMIC) a further quarter of what is left. */
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
	}
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	/* Without the zone's lock, as the kernel's (which reads free_area_empty() there): a hint,
	 * rmqueue_buddy() looks again under the lock.  A race on purpose (tsan.h). */
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++)
		if (kmb_data_race(z->free_area[o].nr_free))
			return true;
	return false;
}

static always_inline bool zone_watermark_fast(struct zone *z, unsigned int order,
					      unsigned long mark, int highest_zoneidx,
					      unsigned int alloc_flags)
{
	long free_pages = (long)zone_page_state(z);

	if (!order && free_pages > (long)mark + z->lowmem_reserve[highest_zoneidx])
		return true;
	return zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

struct alloc_context {
	struct zonelist *zonelist;
	int highest_zoneidx;
	int nid;
};

/* gfp_zone (include/linux/gfp.h): the highest zone the flags allow. */
static always_inline int gfp_zone(gfp_t gfp)
{
	if (unlikely(gfp & __GFP_DMA))
		return ZONE_DMA;
	if (gfp & __GFP_HIGHMEM)
		return ZONE_HIGHMEM;
	return ZONE_NORMAL;
}

static void prep_zero(struct page *page, unsigned int order)
{
	if (!PageHighMem(page)) {
		memset(page_address(page), 0, PAGE_SIZE << order);
		return;
	}
	/* A HIGHMEM frame has no linear address (a kmap address it may have is not ours to use
	 * without a kmap): clear it through its memfd, as the kernel clears one through a
	 * temporary kmap.  Punching a hole gives zeroes and releases the memory. */
	pg_data_t *pgdat = NODE_DATA(page->node);
	off_t off = (off_t)(page_to_pfn(page) - pgdat->node_start_pfn) << PAGE_SHIFT;

	kmb_memfd_zero(pgdat->memfd, off, PAGE_SIZE << order);
}

/* check_new_pages / free_tail_page_prepare, at KMB_DEBUG >= 2: every frame but the head must
 * be idle; false (after the report) when one is not. */
static always_inline bool check_tail_frames(struct page *page, unsigned int order,
					    const void *caller)
{
	if (KMB_DEBUG < 2)
		return true;
	for (unsigned long i = 1; i < (1UL << order); i++)
		if (unlikely(page[i].flags & PG_STATE_MASK)) {
			bad_page(&page[i], "frame inside a block is itself in use", order, caller);
			return false;
		}
	return true;
}

#if KMB_TOOLS
/*
 * A build with the tools (base/tools.h), as KASAN's page allocator hooks (mm/page_alloc.c
 * free_pages_prepare: kasan_poison_pages; post_alloc_hook: kasan_unpoison_pages): a free block
 * is poisoned (ASan) and NOACCESS (memcheck), an allocated one accessible.  Not at boot
 * (__free_pages_core: the kernel poisons there too): that would be a write of an eighth of the
 * model's memory in shadow at every start, which a run of many cells makes often; a block is
 * poisoned from its first free on.  The allocator keeps nothing inside a free block (struct
 * page is in mem_map), so nothing is left out.  A slab poisons its new pages itself, after
 * this; a HIGHMEM frame has no linear address to mark.
 */
static noinline void page_tools(struct page *page, unsigned int order, bool free)
{
	if (PageHighMem(page))
		return;
	if (free)
		kmb_tool_poison(page_address(page), PAGE_SIZE << order);
	else
		kmb_tool_unpoison(page_address(page), PAGE_SIZE << order);
}
#endif

/* prep_new_page: the block is the caller's now. */
static always_inline void prep_new_page(struct page *page, unsigned int order, gfp_t gfp,
					const void *caller)
{
	page->flags |= PG_mask(PG_head);
	page->order = order;
	page->caller = (uintptr_t)caller;
	atomic_store_explicit(&page->refcount, 1, memory_order_relaxed);
	check_tail_frames(page, order, caller);
#if KMB_TOOLS
	page_tools(page, order, false);
#endif
	if (unlikely(gfp & __GFP_ZERO))
		prep_zero(page, order);
}

static always_inline struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
							 unsigned int alloc_flags,
							 const struct alloc_context *ac)
{
	(void)gfp;
	for (struct zone **zp = ac->zonelist->zones; *zp; zp++) {
		struct zone *zone = *zp;
		struct page *page;

		if ((int)zone->idx > ac->highest_zoneidx)
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(zone, order,
					 zone->_watermark[alloc_flags & ALLOC_WMARK_MASK],
					 ac->highest_zoneidx, alloc_flags))
			continue;
		page = rmqueue(zone, order);
		if (page)
			return page;
	}
	return NULL;
}

/* gfp_to_alloc_flags (mm/page_alloc.c): what the slow path may use. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int f = ALLOC_WMARK_MIN;

	(void)order;
	if (gfp & __GFP_HIGH)
		f |= ALLOC_MIN_RESERVE;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		f |= ALLOC_KSWAPD;
	if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC))
		f |= ALLOC_NON_BLOCK;
	if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC))
		f |= ALLOC_NO_WATERMARKS;
	return f;
}

/* Lock and unlock every zone and per-CPU list the context may use, so that a free that
 * finished before this either is visible to the next attempt or saw our nr_waiters. */
static void sync_with_frees(const struct alloc_context *ac)
{
	for (struct zone **zp = ac->zonelist->zones; *zp; zp++) {
		spin_lock(&(*zp)->lock);
		spin_unlock(&(*zp)->lock);
	}
	drain_all_pages_sync();
}

static struct page *wait_and_retry(gfp_t gfp, unsigned int order, unsigned int alloc_flags,
				   const struct alloc_context *ac, unsigned int ms)
{
	unsigned long seq = atomic_load(&kmb_mm.free_seq);
	struct page *page;

	atomic_fetch_add(&kmb_mm.nr_waiters, 1);
	sync_with_frees(ac);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (!page) {
		count_vm_event_atomic(kmb_mm.reclaim_wait);
		wait_for_free(seq, ms);
	}
	atomic_fetch_sub(&kmb_mm.nr_waiters, 1);
	return page;
}

#define MAX_RECLAIM_RETRIES 16	/* mm/internal.h */

/*
 * __alloc_pages_slowpath: the fast path found no zone above its low watermark.
 *   1. wake kswapd (counted: kmbench runs no background reclaimer) and retry at the min
 *      watermark, with the reserves the flags allow;
 *   2. a caller that cannot sleep stops here (GFP_ATOMIC, GFP_NOWAIT);
 *   3. direct reclaim: the shrinkers the flags permit, then the per-CPU lists; retry;
 *   4. __GFP_NORETRY stops; a costly order stops unless __GFP_RETRY_MAYFAIL;
 *   5. wait for a free (bounded) and go back to 3, MAX_RECLAIM_RETRIES rounds;
 *   6. __GFP_NOFAIL never stops; everyone else fails with a warning unless __GFP_NOWARN.
 */
static noinline struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order,
						    const struct alloc_context *ac)
{
	const bool can_reclaim = gfpflags_allow_blocking(gfp);
	const bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	const unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
	const unsigned int ms = kmb_mm.cfg.reclaim_wait_ms;
	struct page *page;
	int rounds = 0;

	if (alloc_flags & ALLOC_KSWAPD)
		count_vm_event_atomic(kmb_mm.kswapd_wake);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		goto got;
	if (!can_reclaim) {
		if (gfp & __GFP_NOFAIL)
			warn_alloc(gfp & ~__GFP_NOWARN, order, ac->nid,
				   "__GFP_NOFAIL without __GFP_DIRECT_RECLAIM cannot wait: failing "
				   "(the kernel's WARN_ON_ONCE_GFP(!can_direct_reclaim))");
		goto nopage;
	}
	for (;;) {
		count_vm_event_atomic(kmb_mm.allocstall);
		shrink_slab(gfp, ac->nid);
		drain_all_pages(NULL);
		page = get_page_from_freelist(gfp, order, alloc_flags, ac);
		if (page)
			goto got;
		if (gfp & __GFP_NORETRY)
			goto nopage;
		if (costly && !(gfp & (__GFP_RETRY_MAYFAIL | __GFP_NOFAIL)))
			goto nopage;
		if (++rounds > MAX_RECLAIM_RETRIES && !(gfp & __GFP_NOFAIL))
			goto nopage;
		page = wait_and_retry(gfp, order, alloc_flags, ac, ms);
		if (page)
			goto got;
	}
nopage:
	count_vm_event_atomic(kmb_mm.alloc_fail);
	if (!(gfp & __GFP_NOWARN))
		warn_alloc(gfp, order, ac->nid, NULL);
	return NULL;
got:
	if (zone_page_state(page_zone(page)) < page_zone(page)->_watermark[WMARK_MIN])
		count_vm_event_atomic(kmb_mm.alloc_reserve);
	return page;
}

/* Misuse and boot-order errors on allocation: off the fast path. */
static cold noinline struct page *alloc_pages_invalid(int nid, gfp_t gfp, unsigned int order)
{
	if (order > MAX_PAGE_ORDER) {
		/* WARN_ON_ONCE_GFP(order > MAX_PAGE_ORDER, gfp) */
		static atomic_flag warned = ATOMIC_FLAG_INIT;

		if (!(gfp & __GFP_NOWARN) && !atomic_flag_test_and_set(&warned))
			warn_alloc(gfp, order, nid, "order above MAX_PAGE_ORDER (10)");
	} else if (!(gfp & __GFP_NOWARN) || !kmb_mm.booted) {
		warn_alloc(gfp, order, nid, !kmb_mm.booted ? "page allocator not initialised "
			   "(kmb_mm_init)" : "no such node");
	}
	count_vm_event_atomic(kmb_mm.alloc_fail);
	return NULL;
}

static always_inline void prepare_alloc_pages(int nid, gfp_t gfp, struct alloc_context *ac)
{
	ac->nid = nid;
	ac->highest_zoneidx = gfp_zone(gfp);
	ac->zonelist = &NODE_DATA(nid)->node_zonelists[(gfp & __GFP_THISNODE) ?
		ZONELIST_NOFALLBACK : ZONELIST_FALLBACK];
}

/* The slow path as a separate function, so the fast path keeps few registers live. */
static noinline struct page *alloc_pages_slow(int nid, gfp_t gfp, unsigned int order,
					      const void *caller)
{
	struct alloc_context ac;
	struct page *page;

	prepare_alloc_pages(nid, gfp, &ac);
	page = __alloc_pages_slowpath(gfp, order, &ac);
	if (page)
		prep_new_page(page, order, gfp, caller);
	return page;
}

/*
 * The fast path: the first zone of the zonelist above its low watermark, through this CPU's
 * list for small orders.  kmb_mm.online_nodes is 0 until mem_init(), so one unsigned compare
 * rejects a bad node and an allocator that is not up yet.
 */
static always_inline struct page *alloc_pages_common(int nid, gfp_t gfp, unsigned int order,
						     const void *caller)
{
	struct alloc_context ac;
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER || (unsigned int)nid >= kmb_mm.online_nodes))
		return alloc_pages_invalid(nid, gfp, order);
	prepare_alloc_pages(nid, gfp, &ac);
	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac);
	if (unlikely(!page))
		return alloc_pages_slow(nid, gfp, order, caller);
	prep_new_page(page, order, gfp, caller);
	return page;
}

struct page *__alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return alloc_pages_common(nid, gfp, order, __builtin_return_address(0));
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	if (nid == NUMA_NO_NODE)
		nid = numa_node_id();
	return alloc_pages_common(nid, gfp, order, __builtin_return_address(0));
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages_common(numa_node_id(), gfp, order, __builtin_return_address(0));
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages_common(numa_node_id(), gfp & ~__GFP_HIGHMEM, order,
					       __builtin_return_address(0));

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	struct page *page = alloc_pages_common(numa_node_id(), (gfp & ~__GFP_HIGHMEM) | __GFP_ZERO,
					       0, __builtin_return_address(0));

	return page ? (unsigned long)page_address(page) : 0;
}

/* --- free --- */

static always_inline bool page_in_memmap(const struct page *page)
{
	uintptr_t off = (uintptr_t)page - (uintptr_t)kmb_memmap.vmemmap;

	return (uintptr_t)page >= (uintptr_t)kmb_memmap.vmemmap &&
	       off / sizeof(struct page) < kmb_memmap.max_pfn && off % sizeof(struct page) == 0;
}

static always_inline void wake_if_waiters(bool waiters)
{
	if (unlikely(waiters))
		wake_free_waiters();
}

/* free_one_page: into the buddy lists, under the zone lock. */
static noinline void free_one_page(struct zone *zone, struct page *page, unsigned int order)
{
	bool waiters;

	spin_lock(&zone->lock);
	__free_one_page(page, page_to_pfn(page), zone, order);
	zone_add_free(zone, 1L << order);
	count_vm_events(zone->pgfree, 1);
	waiters = atomic_load_explicit(&kmb_mm.nr_waiters, memory_order_relaxed);
	spin_unlock(&zone->lock);
	wake_if_waiters(waiters);
}

/* free_the_page: to this CPU's (or thread's) list for small orders, else straight to the
 * buddy lists. */
static always_inline void free_the_page(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);

#if KMB_TOOLS
	page_tools(page, order, true);
#endif
	page->flags &= ~PG_mask(PG_head);
	if (likely(order <= PAGE_ALLOC_COSTLY_ORDER) && likely(free_pcp(zone, page, order))) {
		/* After the push: a waiter that raised nr_waiters before its drain either drained
		 * this block or is seen here (drain_all_pages_sync). */
		wake_if_waiters(atomic_load_explicit(&kmb_mm.nr_waiters, memory_order_relaxed));
		return;
	}
	free_one_page(zone, page, order);
}

/*
 * put_page_testzero: drop one reference; true for the last.  A reference may be taken only by
 * someone who holds one (get_page), so a count of 1 means the caller is the only holder and
 * nobody can race it: by default the last reference is dropped with a plain store, no atomic,
 * as the kernel's page_ref_freeze() users reason.  That reasoning fails only for a program that
 * frees one block twice at the same moment from two threads; with strict refcounts (debug
 * builds, or kmb_mm_config.debug set) every drop is atomic, so the second free sees the count
 * go below zero and is reported.
 */
static always_inline bool put_page_testzero(struct page *page, unsigned int order,
					    const void *caller)
{
	int ref;

	if (likely(!kmb_mm.strict_refcount)) {
		ref = atomic_load_explicit(&page->refcount, memory_order_acquire);
		if (likely(ref == 1)) {
			atomic_store_explicit(&page->refcount, 0, memory_order_relaxed);
			return true;
		}
	}
	ref = atomic_fetch_sub_explicit(&page->refcount, 1, memory_order_acq_rel);
	if (likely(ref > 0))
		return ref == 1;
	atomic_fetch_add_explicit(&page->refcount, 1, memory_order_relaxed);	/* undo */
	bad_page(page, "reference count underflow: the block is already free", order, caller);
	return false;
}

/* The common part of every free, once @page is known to be a frame of mem_map. */
static always_inline void free_frame(struct page *page, unsigned int order, const void *caller)
{
	if (unlikely(order > MAX_PAGE_ORDER)) {
		bad_page(page, "free of an order above MAX_PAGE_ORDER", order, caller);
		return;
	}
	if (unlikely((page->flags & PG_STATE_MASK) != PG_mask(PG_head) || page->order != order)) {
		bad_page(page, NULL, order, caller);	/* page_debug.c names the state */
		return;
	}
	if (!check_tail_frames(page, order, caller))
		return;		/* refused, as the other misuse above */
	if (!put_page_testzero(page, order, caller))
		return;
	page->caller = (uintptr_t)caller;
	free_the_page(page, order);
}

void __free_pages(struct page *page, unsigned int order)
{
	const void *caller = __builtin_return_address(0);

	if (unlikely(!page_in_memmap(page))) {
		bad_address(page, "struct page outside mem_map: not a frame of this allocator",
			    caller);
		return;
	}
	free_frame(page, order, caller);
}

void free_pages(unsigned long addr, unsigned int order)
{
	const void *caller = __builtin_return_address(0);

	if (!addr)
		return;
	if (unlikely(!virt_addr_valid((void *)addr))) {
		bad_address((void *)addr, "address outside the linear map of low memory", caller);
		return;
	}
	free_frame(virt_to_page((void *)addr), order, caller);
}

void get_page(struct page *page)
{
	if (unlikely(!page_in_memmap(page))) {
		bad_address(page, "struct page outside mem_map", __builtin_return_address(0));
		return;
	}
	if (unlikely(!page_test(page, PG_head) ||
		     atomic_load_explicit(&page->refcount, memory_order_relaxed) <= 0)) {
		bad_page(page, "get_page on a frame that is not an allocated block's head", 0,
			 __builtin_return_address(0));
		return;
	}
	atomic_fetch_add_explicit(&page->refcount, 1, memory_order_relaxed);
}

void put_page(struct page *page)
{
	const void *caller = __builtin_return_address(0);

	if (unlikely(!page_in_memmap(page))) {
		bad_address(page, "struct page outside mem_map", caller);
		return;
	}
	free_frame(page, page->order, caller);
}

/* --- boot --- */

void zone_init(struct zone *z, int nid, enum zone_type idx, unsigned long start_pfn,
	       unsigned long spanned)
{
	memset(z, 0, sizeof(*z));
	spin_lock_init(&z->lock);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		INIT_LIST_HEAD(&z->free_area[o].free_list);
	z->node = nid;
	z->idx = idx;
	z->name = zone_names[idx];
	z->zone_start_pfn = start_pfn;
	z->spanned_pages = spanned;
	z->present_pages = spanned;
}

/* __free_pages_core: a free range from memblock enters the buddy allocator. */
void __free_pages_core(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);

	for (unsigned long i = 0; i < (1UL << order); i++) {
		page[i].flags &= ~PG_mask(PG_reserved);
		atomic_store_explicit(&page[i].refcount, 0, memory_order_relaxed);
	}
	zone->managed_pages += 1UL << order;
	spin_lock(&zone->lock);
	__free_one_page(page, page_to_pfn(page), zone, order);
	zone_add_free(zone, 1L << order);
	spin_unlock(&zone->lock);
}

/*
 * build_all_zonelists: per node, its own zones from the highest down, then every other node's
 * by increasing distance (ties by node number): the kernel's node-ordered zonelist.  The
 * no-fallback list (__GFP_THISNODE) has the node's own zones only.
 */
void build_all_zonelists(void)
{
	for (int nid = 0; nid < kmb_mm.nr_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		int order[KMB_MAX_NUMNODES], n = 0, k = 0;
		bool used[KMB_MAX_NUMNODES] = { false };

		for (int i = 0; i < kmb_mm.nr_nodes; i++) {
			int best = -1;

			for (int m = 0; m < kmb_mm.nr_nodes; m++)
				if (!used[m] && (best < 0 || kmb_mm.cfg.distance[nid][m] <
							     kmb_mm.cfg.distance[nid][best] ||
						 (m == nid && kmb_mm.cfg.distance[nid][m] ==
							     kmb_mm.cfg.distance[nid][best])))
					best = m;
			used[best] = true;
			order[n++] = best;
		}
		for (int i = 0; i < n; i++)
			for (int z = MAX_NR_ZONES - 1; z >= 0; z--) {
				struct zone *zone = &NODE_DATA(order[i])->node_zones[z];

				if (populated_zone(zone))
					pgdat->node_zonelists[ZONELIST_FALLBACK].zones[k++] = zone;
			}
		pgdat->node_zonelists[ZONELIST_FALLBACK].zones[k] = NULL;
		k = 0;
		for (int z = MAX_NR_ZONES - 1; z >= 0; z--)
			if (populated_zone(&pgdat->node_zones[z]))
				pgdat->node_zonelists[ZONELIST_NOFALLBACK].zones[k++] =
					&pgdat->node_zones[z];
		pgdat->node_zonelists[ZONELIST_NOFALLBACK].zones[k] = NULL;
	}
}

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/*
 * setup_per_zone_wmarks (mm/page_alloc.c __setup_per_zone_wmarks, calculate_min_free_kbytes,
 * setup_per_zone_lowmem_reserve): min_free_kbytes = sqrt(16 * low memory in KiB), clamped to
 * 128 KiB .. 256 MiB, split over the low zones by size; a HIGHMEM zone's min is managed/1024
 * clamped to 32..128 pages.  low = min + max(min/4, 0.1% of the zone); high = low + the same;
 * promo = high + the same again (WMARK_PROMO).
 */
void setup_per_zone_wmarks(void)
{
	unsigned long lowmem_pages = 0, pages_min, kbytes = kmb_mm.cfg.min_free_kbytes;
	struct zone *z;

	for_each_zone(z)
		if (z->idx != ZONE_HIGHMEM)
			lowmem_pages += z->managed_pages;
	if (!kbytes) {
		kbytes = int_sqrt(lowmem_pages * (PAGE_SIZE >> 10) * 16);
		kbytes = kbytes < 128 ? 128 : kbytes > 262144 ? 262144 : kbytes;
		kmb_mm.cfg.min_free_kbytes = kbytes;
	}
	pages_min = kbytes >> (PAGE_SHIFT - 10);
	for_each_zone(z) {
		unsigned long tmp = lowmem_pages ? pages_min * z->managed_pages / lowmem_pages : 0;

		if (z->idx == ZONE_HIGHMEM) {
			unsigned long m = z->managed_pages / 1024;

			z->_watermark[WMARK_MIN] = m < 32 ? 32 : m > 128 ? 128 : m;
		} else {
			z->_watermark[WMARK_MIN] = tmp;
		}
		if (!z->managed_pages)
			z->_watermark[WMARK_MIN] = 0;
		tmp = tmp >> 2 > z->managed_pages * 10 / 10000 ? tmp >> 2 :
		      z->managed_pages * 10 / 10000;
		z->_watermark[WMARK_LOW] = z->_watermark[WMARK_MIN] + tmp;
		z->_watermark[WMARK_HIGH] = z->_watermark[WMARK_LOW] + tmp;
		z->_watermark[WMARK_PROMO] = z->_watermark[WMARK_HIGH] + tmp;
	}
	for (int nid = 0; nid < kmb_mm.nr_nodes; nid++)
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[i];
			unsigned long managed = 0;
			bool clear = !lowmem_reserve_ratio[i] || !zone->managed_pages;

			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += NODE_DATA(nid)->node_zones[j].managed_pages;
				zone->lowmem_reserve[j] = clear ? 0 :
					(long)(managed / (unsigned long)lowmem_reserve_ratio[i]);
			}
		}
}

/* --- setup and teardown: the page layer's share of the boot (allocators/mm_init.c) --- */

int page_alloc_setup(const struct kmb_mm_config *cfg, char *why, size_t whylen)
{
	int r;

	memset(&kmb_mm, 0, sizeof(kmb_mm));
	if (cfg)
		kmb_mm.cfg = *cfg;
	kmb_misuse_set_policy(kmb_mm.cfg.debug);	/* every layer's (base/debug.c) */
	kmb_misuse_reset(KMB_LAYER_PAGE);
	pthread_mutex_init(&kmb_mm.wait_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&kmb_mm.wait_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&kmb_mm.shrinker_lock, NULL);
	INIT_LIST_HEAD(&kmb_mm.shrinkers);
	r = physmem_setup(why, whylen);
	if (!r)
		r = pcp_resolve_mode(why, whylen);
	return r;
}

void mem_init(void)
{
	struct zone *z;
	unsigned long present = 0, managed = 0;

	if (!kmb_memmap.vmemmap || kmb_mm.booted)
		return;
	memblock_free_all();
	for_each_zone(z) {
		present += z->present_pages;
	kmb_misuse_set_policy(kmb_mm.cfg.debug);	/* every layer's (base/debug.c) */
	kmb_misuse_reset(KMB_LAYER_PAGE);
		managed += z->managed_pages;
	}
	kmb_mm.reserved_pages = present - managed;
	setup_per_zone_wmarks();
	build_all_zonelists();
	if (setup_pcp()) {
		/* Run without per-CPU lists rather than not at all, and say so. */
		teardown_pcp();
		snprintf(kmb_mm.pcp_why, sizeof(kmb_mm.pcp_why), "%s unavailable, none used: no "
			 "memory for the per-CPU page lists",
			 kmb_percpu_mode_name(kmb_mm.pcp_mode));
		kmb_mm.pcp_mode = kmb_mm.cfg.pcp_mode = KMB_PERCPU_NONE;
		kmb_mm.cfg.pcp = -1;
	}
	kmb_mm.strict_refcount = KMB_DEBUG >= 1 || kmb_mm.cfg.debug != 0;
	kmb_mm.booted = true;
	kmb_mm.online_nodes = (unsigned int)kmb_mm.nr_nodes;
}

void page_alloc_teardown(void)
{
	teardown_pcp();
	physmem_teardown();
	if (kmb_mm.shrinkers.next)
		INIT_LIST_HEAD(&kmb_mm.shrinkers);
	kmb_mm.booted = false;
	kmb_mm.online_nodes = 0;
	kmb_mm.nr_nodes = 0;
}

const struct kmb_mm_config *kmb_mm_config(void)
{
	return &kmb_mm.cfg;
}

int kmb_mm_nr_nodes(void)
{
	return kmb_mm.nr_nodes;
}

/* kmb_mm_get_stats' share of each per-CPU (or per-thread) list. */
static int pcp_stats(struct zone *zone, struct per_cpu_pages *pcp, int who, void *arg)
{
	struct kmb_mm_stats *st = arg;

	(void)zone, (void)who;
	st->pcp_pages += pcp_pages(pcp);
	for (unsigned int o = 0; KMB_STAT >= 1 && o < NR_PCP_LISTS; o++) {
		st->pgfree += (unsigned long)pcp->pgfree[o];
		st->pgalloc[o] += (unsigned long)pcp_pgalloc(pcp, o);
	}
	return 0;
}

void kmb_mm_get_stats(struct kmb_mm_stats *st)
{
	struct zone *z;

	memset(st, 0, sizeof(*st));
	if (!kmb_mm.booted)
		return;
	for_each_zone(z) {
		st->free_pages += zone_page_state(z);
		st->managed_pages += z->managed_pages;
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			st->pgalloc[o] += z->pgalloc[o];
		st->pgfree += z->pgfree;
		if (populated_zone(z))
			pcp_for_each(z, 0, pcp_stats, st);
	}
	st->reserved_pages = kmb_mm.reserved_pages;
	st->alloc_fail = atomic_load(&kmb_mm.alloc_fail);
	st->alloc_reserve = atomic_load(&kmb_mm.alloc_reserve);
	st->kswapd_wake = atomic_load(&kmb_mm.kswapd_wake);
	st->allocstall = atomic_load(&kmb_mm.allocstall);
	st->reclaim_wait = atomic_load(&kmb_mm.reclaim_wait);
	st->shrinker_freed = atomic_load(&kmb_mm.shrinker_freed);
	st->bad_page = kmb_misuse_count(KMB_LAYER_PAGE);
	st->warn_suppressed = atomic_load(&kmb_mm.warn_suppressed);
}
