/*
 * page_alloc.h - internal header of the physical memory and buddy layers (physmem.c,
 * memblock.c, page_alloc.c, vmscan.c, vmstat.c, page_debug.c).  Layers above include it to
 * reach struct zone and the node data; users include kmbench/mm.h only.
 *
 * Lock order: pcp->lock, then zone->lock; kmb_mm.wait_lock and kmb_mm.shrinker_lock are never
 * held together with a zone or pcp lock.
 */
#ifndef KMB_ALLOC_PAGE_ALLOC_H
#define KMB_ALLOC_PAGE_ALLOC_H

#include <pthread.h>

#include "lib.h"

/* Watermarks (include/linux/mmzone.h enum zone_watermarks). */
enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

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

/* Per-CPU page lists for orders 0..PAGE_ALLOC_COSTLY_ORDER (mm/page_alloc.c struct
 * per_cpu_pages).  count is in pages; high and batch as the kernel computes them. */
#define NR_PCP_LISTS	(PAGE_ALLOC_COSTLY_ORDER + 1)
struct per_cpu_pages {
	spinlock_t lock;
	int count;			/* pages on all lists */
	int high;			/* drain batch pages when count exceeds this */
	int batch;			/* pages moved to or from the buddy lists at once */
	struct list_head lists[NR_PCP_LISTS];
	unsigned long pgalloc[NR_PCP_LISTS];	/* allocations served here, per order */
	unsigned long pgfree;			/* frees taken here */
} cacheline_aligned;

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;		/* blocks of this order */
};

struct zone {
	/* Written by every allocation and free: the lock and the counters it protects share a
	 * line; free_pages is also read without the lock by the watermark check. */
	spinlock_t lock cacheline_aligned;
	atomic_long free_pages;		/* NR_FREE_PAGES: pages in the buddy lists */
	unsigned long pgalloc[NR_PAGE_ORDERS];	/* allocations served by the buddy lists */
	unsigned long pgfree;			/* frees into the buddy lists */

	struct free_area free_area[NR_PAGE_ORDERS] cacheline_aligned;

	unsigned long _watermark[NR_WMARK];
	long lowmem_reserve[MAX_NR_ZONES];	/* kept free from allocations of higher zones */
	struct per_cpu_pages *pcp;		/* nr_cpus entries; NULL when pcp is off */
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
	int nr_cpus;			/* per-CPU list slots (possible CPUs) */
	pg_data_t *node_data[KMB_MAX_NUMNODES];
	int cpu_node[1024];		/* the machine's node of each CPU (model node mod nr_nodes) */
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
		shrinker_freed, bad_page, warn_suppressed;
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

/* numa_node_id: the model node of the calling CPU (the machine's node, modulo the model's). */
static always_inline int numa_node_id(void)
{
	int cpu;

	if (likely(kmb_mm.nr_nodes == 1))
		return 0;
	cpu = raw_smp_processor_id();
	return (unsigned int)cpu < (unsigned int)kmb_mm.nr_cpus ? kmb_mm.cpu_node[cpu] : 0;
}

/* --- physmem.c --- */
int physmem_setup(char *why, size_t whylen);
void physmem_teardown(void);

/* --- memblock.c --- */
void memblock_init(void);
int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid);
/* Hand every free range to __free_pages_core(); mark reserved frames PG_reserved. */
void memblock_free_all(void);

/* --- page_alloc.c --- */
void zone_init(struct zone *z, int nid, enum zone_type idx, unsigned long start_pfn,
	       unsigned long spanned);
void __free_pages_core(struct page *page, unsigned int order);	/* boot hand-over */
void build_all_zonelists(void);
void setup_per_zone_wmarks(void);
int setup_pcp(void);
void teardown_pcp(void);
/* Zone watermark check (mm/page_alloc.c __zone_watermark_ok). */
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags, long free_pages);

/* --- vmscan.c --- */
unsigned long shrink_slab(gfp_t gfp, int nid);	/* objects freed */
/* Block until a free happens or @ms pass; @seq is free_seq read before the failed attempt. */
void wait_for_free(unsigned long seq, unsigned int ms);
void wake_free_waiters(void);

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
