/*
 * page_alloc.h - internal header of the physical memory and buddy layers (physmem.c,
 * memblock.c, page_alloc.c, page_pcp.c, vmscan.c, vmstat.c, page_debug.c).  Layers above
 * include it to reach struct zone and the node data; users include kmbench/mm.h only.
 *
 * Lock order: the per-CPU caches' thread registry (percpu.c, thread mode), then a list's guard
 * (a CPU's or a thread's), then zone->lock; kmb_mm.wait_lock and kmb_mm.shrinker_lock are never
 * held together with a zone or pcp lock.
 */
#ifndef KMB_ALLOC_PAGE_ALLOC_H
#define KMB_ALLOC_PAGE_ALLOC_H

#include <pthread.h>

#include "lib.h"

/* Watermarks (include/linux/mmzone.h enum zone_watermarks).  WMARK_PROMO, the kernel's target
 * for NUMA-balancing promotion into a node (kswapd reclaims to it in memory-tiering mode), is
 * set as the kernel sets it and shown in zoneinfo; nothing here promotes pages. */
enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

/* alloc_flags (mm/internal.h): which watermark, and what reserves an allocation may use. */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04	/* __GFP_MEMALLOC: ignore watermarks */
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_MIN_RESERVE	0x08	/* __GFP_HIGH: half of the min reserve */
#define ALLOC_NON_BLOCK		0x10	/* cannot sleep: a further quarter (with MIN_RESERVE) */
#define ALLOC_KSWAPD		0x20	/* wake kswapd on the slow path */
#define ALLOC_RESERVES		(ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_NO_WATERMARKS)

/*
 * Per-CPU page lists for orders 0..PAGE_ALLOC_COSTLY_ORDER (mm/page_alloc.c struct
 * per_cpu_pages), kept as one stack of free blocks per order instead of the kernel's list_heads:
 * the cpu-rseq fast paths pop and push them with rseq.h's stack sequences, which need an array
 * and a count.  One struct per_cpu_pages per CPU (cpu-lock, cpu-rseq) or per thread (thread
 * mode) and zone: the slots of the zone's per-CPU cache (struct kmb_pcpu_cache, percpu.h);
 * page_pcp.c's opening comment has the modes and their rules.
 */
#define NR_PCP_LISTS	(PAGE_ALLOC_COSTLY_ORDER + 1)

/* A stack of free blocks of one order, in the layout kmb_rseq_stack_pop/push expect. */
struct pcp_stack {
	uint32_t count;			/* blocks on the stack */
	uint32_t capacity;		/* blocks it holds (pcp_capacity()) */
	struct page *pages[];		/* [0] the coldest .. [count - 1] the hottest */
};

struct per_cpu_pages {
	struct kmb_pcpu_guard guard;	/* first: the cpu-rseq sequences test it (rseq.h) */
	struct pcp_stack *stacks[NR_PCP_LISTS];	/* per order; NUMA-local to the owner */
	/* Counters.  The blocks allocated from the stacks are not counted on the fast path but
	 * derived: nr_in + pgfree - nr_out - count, per order (pcp_pgalloc()). */
	long pgfree[NR_PCP_LISTS];	/* frees pushed on the stacks; in cpu-rseq a this_cpu add
					 * that may land on another CPU's copy than the push: only
					 * the sum over the zone's CPUs is exact */
	long nr_in[NR_PCP_LISTS];	/* blocks refilled from the zone */
	long nr_out[NR_PCP_LISTS];	/* blocks drained to the zone */
	int high;			/* pages; each order holds pcp_capacity() blocks */
	int batch;			/* pages moved to or from the zone at once */
} cacheline_aligned;

/* Byte offset of @order's stack pointer in struct per_cpu_pages: the rseq sequences' @off. */
#define PCP_STACK_OFF(order)	\
	((long)(offsetof(struct per_cpu_pages, stacks) + (order) * sizeof(struct pcp_stack *)))

/* Blocks moved at once for @order: the kernel's nr_pcp_alloc() without the adaptive part. */
static always_inline unsigned int pcp_batch(int batch, unsigned int order)
{
	unsigned int b = (unsigned int)batch >> order;

	return b > 2 ? b : 2;
}

/* A thread-mode fast path that finds the bootstrap (no list yet, or a drain) misses both ways:
 * its stacks are empty and have no room (percpu.h). */
_Static_assert(NR_PCP_LISTS <= KMB_PCPU_BOOTSTRAP_PTRS &&
	       offsetof(struct per_cpu_pages, stacks) == sizeof(struct kmb_pcpu_guard) &&
	       _Alignof(struct per_cpu_pages) <= _Alignof(struct kmb_pcpu_bootstrap),
	       "struct per_cpu_pages reads the bootstrap as empty, full stacks");

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;		/* blocks of this order */
};

struct zone {
	/* Written by every allocation and free: the lock and the counters it protects share a
	 * line; free_pages is also read without the lock by the watermark check. */
	spinlock_t lock cacheline_aligned;
	atomic_long free_pages;		/* NR_FREE_PAGES: pages in the buddy lists */
	unsigned long pgalloc[NR_PAGE_ORDERS];	/* allocations served by the buddy lists, and
						 * those of exited threads' lists (thread mode) */
	unsigned long pgfree;			/* frees into the buddy lists (the same) */

	struct free_area free_area[NR_PAGE_ORDERS] cacheline_aligned;

	unsigned long _watermark[NR_WMARK];
	long lowmem_reserve[MAX_NR_ZONES];	/* kept free from allocations of higher zones */
	/* Per-CPU page lists: the zone's per-CPU cache (percpu.h), in kmb_mm.pcp_mode.  pcp is
	 * its CPU slots (pcpc.slots, typed) in the cpu-lock and cpu-rseq modes, else NULL; their
	 * stacks live in pcp_area, one page-aligned slice per CPU on the CPU's node.  pcp_high and
	 * pcp_batch are set in every mode but none. */
	struct per_cpu_pages __percpu *pcp;
	struct kmb_pcpu_cache pcpc;
	void *pcp_area;
	size_t pcp_area_size;
	int pcp_high, pcp_batch;
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;
	unsigned long present_pages;
	unsigned long managed_pages;		/* handed to the buddy allocator */
	int node;
	enum zone_type idx;
	const char *name;
} cacheline_aligned;

static inline bool populated_zone(const struct zone *z)
{
	return z->managed_pages != 0;
}

static inline unsigned long zone_page_state(const struct zone *z)
{
	return (unsigned long)atomic_load_explicit(&z->free_pages, memory_order_relaxed);
}

/* A zonelist: zones in fallback order, NULL-terminated (include/linux/mmzone.h). */
struct zonelist {
	struct zone *zones[KMB_MAX_NUMNODES * MAX_NR_ZONES + 1];
};
enum { ZONELIST_FALLBACK, ZONELIST_NOFALLBACK, MAX_ZONELISTS };

/* One node (struct pglist_data). */
typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	struct zonelist node_zonelists[MAX_ZONELISTS];
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages;
	int memfd;			/* the node's "physical memory" */
	bool bound;			/* mbind() placed it on the machine's node */
	char bind_note[96];		/* why it is not bound */
} pg_data_t;

/* The whole machine model. */
struct kmb_mm {
	struct kmb_mm_config cfg;
	int nr_nodes;
	unsigned int online_nodes;	/* nr_nodes once mem_init() has run, else 0 */
	enum kmb_percpu_mode pcp_mode;	/* the page lists' mode, resolved: never DEFAULT */
	/* Thread mode: the zones' per-CPU cache ids are consecutive, pcp_id_base plus
	 * node * MAX_NR_ZONES + zone, so that the free path finds its zone's from the page's own
	 * fields: a load of pcp_id_base beside them, not one after them (setup_pcp). */
	int pcp_id_base;
	char pcp_why[192];		/* why pcp_mode is not the one asked for, else "" */
	pg_data_t *node_data[KMB_MAX_NUMNODES];
	int cpu_node[KMB_NR_CPUS];	/* the model node of each CPU: the machine's node
					 * (kmb_cpu_to_node) modulo nr_nodes; 0 past nr_cpu_ids() */
	size_t linear_size, vmemmap_size;
	bool booted;			/* mem_init() has run */
	bool strict_refcount;		/* every reference drop is atomic (page_alloc.c) */
	unsigned long reserved_pages;

	/* Waiting for frees (vmscan.c): a sleeping allocation that found nothing waits here. */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	atomic_ulong free_seq;		/* bumped by frees that saw waiters */
	atomic_int nr_waiters;

	pthread_mutex_t shrinker_lock;
	struct list_head shrinkers;

	/* Slow-path and error counters (struct kmb_mm_stats). */
	atomic_ulong alloc_fail, alloc_reserve, kswapd_wake, allocstall, reclaim_wait,
		shrinker_freed, warn_suppressed;
};
extern struct kmb_mm kmb_mm;

#define NODE_DATA(nid)	(kmb_mm.node_data[nid])

/* Zone iteration over every node (include/linux/mmzone.h for_each_zone, next_zone). */
static inline struct zone *next_zone(struct zone *zone)
{
	if (zone < NODE_DATA(zone->node)->node_zones + MAX_NR_ZONES - 1)
		return zone + 1;
	return zone->node + 1 < kmb_mm.nr_nodes ? NODE_DATA(zone->node + 1)->node_zones : NULL;
}
#define for_each_zone(zone)							\
	for ((zone) = kmb_mm.nr_nodes ? NODE_DATA(0)->node_zones : NULL; (zone);	\
	     (zone) = next_zone(zone))
#define for_each_populated_zone(zone)						\
	for_each_zone(zone)							\
		if (!populated_zone(zone))					\
			; /* do nothing */					\
		else

static inline struct zone *page_zone(const struct page *page)
{
	return &NODE_DATA(page->node)->node_zones[page->zone];
}

/* Page flag helpers; PG_STATE_MASK: the flags that say which block state a frame is in. */
#define PG_mask(f)	(1UL << (f))
#define PG_STATE_MASK	(PG_mask(PG_reserved) | PG_mask(PG_buddy) | PG_mask(PG_head) | \
			 PG_mask(PG_pcp) | PG_mask(PG_slab))

static inline bool page_test(const struct page *p, enum pageflags f)
{
	return p->flags & (1UL << f);
}
static inline void page_set(struct page *p, enum pageflags f)
{
	p->flags |= 1UL << f;
}
static inline void page_clear(struct page *p, enum pageflags f)
{
	p->flags &= ~(1UL << f);
}

/* cpu_to_node: the model node of CPU @cpu (the machine's node, modulo the model's). */
static always_inline int cpu_to_node(int cpu)
{
	return (unsigned int)cpu < KMB_NR_CPUS ? kmb_mm.cpu_node[cpu] : 0;
}

/* numa_node_id: the model node of the calling CPU. */
static always_inline int numa_node_id(void)
{
	if (likely(kmb_mm.nr_nodes == 1))
		return 0;
	return cpu_to_node(kmb_current_cpu());
}

/* --- physmem.c --- */
int physmem_setup(char *why, size_t whylen);
void physmem_teardown(void);
/* page_address() of a HIGHMEM frame: kmb_highmem_page_address() calls this hook, which the
 * mapping layer (highmem.c) sets while its kmap slots exist; NULL otherwise, when no HIGHMEM
 * frame has an address.  A hook because the page layer cannot call the layer above it. */
extern void *(*page_address_hook)(const struct page *page);

/* --- memblock.c --- */
void memblock_init(void);
int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid);
/* Hand every free range to __free_pages_core(); mark reserved frames PG_reserved. */
void memblock_free_all(void);

/* --- page_alloc.c --- */
/* The page layer's share of kmb_mm_setup() and kmb_mm_teardown() (allocators/mm_init.c):
 * kmb_mm reset to @cfg, physical memory, memblock and mem_map, the page lists' mode resolved.
 * 0 or -errno with one line in @why; the caller tears down on failure. */
int page_alloc_setup(const struct kmb_mm_config *cfg, char *why, size_t whylen);
void page_alloc_teardown(void);
void zone_init(struct zone *z, int nid, enum zone_type idx, unsigned long start_pfn,
	       unsigned long spanned);
void __free_pages_core(struct page *page, unsigned int order);	/* boot hand-over */
void build_all_zonelists(void);
void setup_per_zone_wmarks(void);
/* rmqueue_bulk - up to a batch of @order blocks from the zone onto @pcp's stack (its owner
 * only), the first the zone gives on top; returns how many. */
int rmqueue_bulk(struct zone *zone, unsigned int order, struct per_cpu_pages *pcp);
/* free_pcppages_bulk - @n blocks of @order from the cold end of @pcp's stack back to the zone
 * (its owner only); every block of every order when @n is 0. */
void free_pcppages_bulk(struct zone *zone, struct per_cpu_pages *pcp, unsigned int order,
			unsigned int n);
/* Zone watermark check (mm/page_alloc.c __zone_watermark_ok). */
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags, long free_pages);

/* --- page_pcp.c --- */
/* Resolve kmb_mm.cfg's pcp and pcp_mode into kmb_mm.pcp_mode (and pcp_why); 0, or -EINVAL
 * with one line in @why for a mode that does not exist. */
int pcp_resolve_mode(char *why, size_t whylen);
/* setup_pcp - the lists of every populated zone, in kmb_mm.pcp_mode; 0 or -ENOMEM. */
int setup_pcp(void);
/* teardown_pcp - free them, and forget every thread's caches (their pages are gone too). */
void teardown_pcp(void);
/* The slow paths of the fast paths in page_alloc.c: the list was empty or full, the slot busy,
 * or the thread has no cache yet.  Alloc: a block (PG_pcp cleared) or NULL (use the zone).
 * Free: true when the list took @page (PG_pcp set), false (flags as given) to use the zone. */
struct page *rmqueue_pcplist_slow(struct zone *zone, unsigned int order, int why);
bool free_pcp_slow(struct zone *zone, struct page *page, unsigned int order, int why);
/* Every list of every zone back to the buddy lists, locking even the empty ones: a free that
 * finished before this is either drained or sees nr_waiters raised before (vmscan's sync). */
void drain_all_pages_sync(void);
/*
 * pcp_for_each - call @fn on every per-CPU list of @zone (@who: the CPU) or, in thread mode,
 * every thread's (@who: -1, -2, ...); stops at the first nonzero return and returns it.  With
 * PCP_OWN each is owned for the call, so no fast path touches it (kmb_pcpu_cache_for_each:
 * its guard, and for a thread's the drain protocol); without, what @fn reads is a snapshot.
 * Call without a zone lock.
 */
#define PCP_OWN		KMB_PCPU_OWN		/* own each list for the call */
#define PCP_NONEMPTY	KMB_PCPU_NONEMPTY	/* skip lists found empty (before owning them) */
typedef int (*pcp_visit_fn)(struct zone *zone, struct per_cpu_pages *pcp, int who, void *arg);
int pcp_for_each(struct zone *zone, unsigned int flags, pcp_visit_fn fn, void *arg);
/* Pages on @pcp's stacks; blocks of @order allocated from them (derived from the counters). */
unsigned long pcp_pages(const struct per_cpu_pages *pcp);
long pcp_pgalloc(const struct per_cpu_pages *pcp, unsigned int order);

/* --- vmscan.c --- */
unsigned long shrink_slab(gfp_t gfp, int nid);	/* objects freed */
/* Block until a free happens or @ms pass; @seq is free_seq read before the failed attempt. */
void wait_for_free(unsigned long seq, unsigned int ms);
void wake_free_waiters(void);

/*
 * vm events (include/linux/vmstat.h count_vm_events(), CONFIG_VM_EVENT_COUNTERS): counted at
 * KMB_STAT >= 1 (base/config.h), compiled out below, kmb_mm_get_stats then reads 0 for them
 * and kmb_stat_level() says so.  @counter is the lvalue counted (a zone's, a per-CPU list's).
 */
#define count_vm_events(counter, n)	KMB_STAT_ADD(1, counter, n)
#define count_vm_event_atomic(counter)	KMB_STAT_ATOMIC_ADD(1, counter, 1)

/* --- page_debug.c --- */
/* bad_page - report misuse of @page (mm/page_alloc.c bad_page()); stops the process or
 * withdraws the frame according to the misuse policy. */
cold noinline void bad_page(struct page *page, const char *reason, unsigned int order,
			    const void *caller);
/* A free that names no frame the allocator owns (address or struct page out of range). */
cold noinline void bad_address(const void *addr, const char *reason, const void *caller);
/* warn_alloc - the rate-limited allocation-failure report (mm/page_alloc.c warn_alloc()). */
cold noinline void warn_alloc(gfp_t gfp, unsigned int order, int nid, const char *why);

/* --- vmstat.c --- */
struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};
void fill_contig_page_info(struct zone *z, unsigned int order, struct contig_page_info *info);

#endif
