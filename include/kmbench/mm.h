/*
 * mm.h - physical memory and the buddy page allocator: the public API.
 *
 * The kernel's page allocator carried into user space.  "Physical memory" is one memfd per
 * NUMA node; a page frame number (pfn) is a 4 KiB frame of it.  Every frame has a struct page
 * in one virtually contiguous array (the kernel's SPARSEMEM_VMEMMAP mem_map), carved by memblock
 * from the node's own memory at boot.  Low memory is mapped once, linearly, so page_address(),
 * virt_to_page() and the __pa()/__va() analogues are arithmetic; HIGHMEM frames are not in the
 * linear map, as on 32-bit Linux, and page_address() gives NULL for them.
 *
 * Names, arguments and guarantees are the kernel's (include/linux/gfp.h, include/linux/mm.h,
 * mm/page_alloc.c, mm/memblock.c).  Where the kernel spells a name with two leading underscores
 * we keep that spelling for the kernel's own API, so a kernel developer reads it without a
 * glossary; kmbench's own additions carry a kmb_ prefix.
 *
 * Boot order, as the kernel's:
 *   kmb_mm_setup(cfg)   setup_arch(): create the nodes' memory, the linear map, memblock, and
 *                       the struct page array (from memblock); then the mapping layer's
 *                       windows (vmalloc.h, highmem.h, io.h), as mm_core_init() vmalloc_init();
 *   memblock_alloc*()   optional early allocations (alloc_bootmem*() are aliases);
 *   mem_init()          memblock_free_all(): hand every free range to the buddy allocator;
 *   alloc_pages() ...   from any thread;
 *   kmb_mm_teardown()   unmap everything; kmb_mm_setup() may run again.
 * kmb_mm_init(cfg) does setup and mem_init in one call.
 *
 * Thread safety: the allocation and free functions may be called from any thread.  Setup,
 * mem_init, teardown and shrinker (un)registration are called from one thread while no other
 * thread is inside the allocator.
 */
#ifndef KMBENCH_MM_H
#define KMBENCH_MM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmbench/gfp.h"
#include "kmbench/percpu.h"

#define KMB_API __attribute__((visibility("default")))

/* Pages: 4 KiB, as on x86. */
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/*
 * Orders 0 to 10: the largest block is 4 MiB.  The kernel called the number of orders MAX_ORDER
 * (11) until v6.4, then renamed the largest order MAX_PAGE_ORDER (10) and the count
 * NR_PAGE_ORDERS (include/linux/mmzone.h); all three names are here with those meanings.
 */
#define MAX_PAGE_ORDER		10
#define NR_PAGE_ORDERS		(MAX_PAGE_ORDER + 1)
#define MAX_ORDER		NR_PAGE_ORDERS
#define MAX_ORDER_NR_PAGES	(1UL << MAX_PAGE_ORDER)
/* Orders above this are "costly": retried less hard (include/linux/mmzone.h). */
#define PAGE_ALLOC_COSTLY_ORDER	3

#define KMB_MAX_NUMNODES	64	/* model nodes */

typedef uint64_t phys_addr_t;

/* Zones (include/linux/mmzone.h).  DMA is the first 16 MiB of node 0 by default; HIGHMEM the
 * frames above the low-memory limit. */
enum zone_type {
	ZONE_DMA,
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	MAX_NR_ZONES
};

struct list_head {
	struct list_head *next, *prev;
};

/*
 * Page flags (include/linux/page-flags.h names; kmbench keeps them in one word).
 * PG_buddy marks the first frame of a free block in a buddy free list (the kernel keeps it in
 * page_type); PG_head marks the first frame of an allocated block: kmbench sets it on every
 * allocation, not only __GFP_COMP ones, so that a free can be checked against its order.
 */
enum pageflags {
	PG_reserved,	/* never handed to the buddy allocator: memblock allocations, mem_map */
	PG_buddy,	/* head of a free block; order in page->order */
	PG_head,	/* head of an allocated block; order in page->order */
	PG_pcp,		/* on a per-CPU page list, not in the buddy lists */
	PG_slab,	/* owned by the slab layer */
	PG_bad,		/* withdrawn after a bad-page report (mm/page_alloc.c bad_page()) */
	PG_workingset,	/* slab: on its node's partial list (mm/slub.c slab_test_node_partial) */
	NR_PAGEFLAGS
};

/*
 * struct page - one per frame, 64 bytes (one cache line), in mem_map order (page_to_pfn() is arithmetic).
 * Fields belong to the frame's current owner: the buddy allocator while it is free, the caller
 * (and the layer above: slab, vmalloc) while it is allocated.
 */
struct page {
	unsigned long flags;		/* 1 << PG_* */
	struct list_head lru;		/* free list (PG_buddy), per-CPU list (PG_pcp), or owner's */
	uint8_t order;			/* block order for PG_buddy, PG_head and PG_pcp frames */
	uint8_t zone;			/* enum zone_type, fixed at boot */
	uint16_t node;			/* the frame's node, fixed at boot */
	atomic_int refcount;		/* _refcount: 1 from allocation; 0 when free */
	int mapcount;			/* mappings outside the linear map: vmalloc and vmap
					 * areas, kmap users (vmalloc.h, highmem.h); atomic */
	unsigned int owner_word;	/* the owner's (slab: object counters) */
	unsigned long private;		/* the owner's */
	void *mapping;			/* the owner's (slab: its kmem_cache) */
	uintptr_t caller;		/* last allocation or free call site of a head frame */
};
_Static_assert(sizeof(struct page) == 64, "struct page is one cache line, as the kernel's");
/* Limits and defaults of struct kmb_mm_config.  Every boundary (node size, DMA zone, low-memory
 * limit) is a multiple of KMB_MM_GRAIN, the largest buddy block, so no block straddles two. */
#define KMB_MM_GRAIN		(PAGE_SIZE << MAX_PAGE_ORDER)	/* 4 MiB */
#define KMB_MM_MAX_NODE_MEM	(64UL << 30)
#define KMB_MM_DEFAULT_NODE_MEM	(256UL << 20)
#define KMB_MM_DEFAULT_DMA	(16UL << 20)

/* kmb_mm_config.vmap_flags: how the mapping layer maps frames into its window (one mmap() of
 * the frame's node memfd per frame or per physically contiguous run; docs/vmalloc.md). */
#define KMB_VMAP_NO_MERGE	0x1	/* one mmap() per frame, even for contiguous frames */
#define KMB_VMAP_POPULATE	0x2	/* MAP_POPULATE: page-table entries written at map time, as
					 * the kernel's vmap_pages_range() does: no fault on first
					 * touch, a dearer vmalloc */

/*
 * kmb_mm_config - the shape of physical memory.  Zero fields take the defaults shown.
 */
struct kmb_mm_config {
	int nr_nodes;		  /* model nodes; 0: the machine's NUMA nodes.  A model node that
				   * the machine lacks is simply not bound (mbind) anywhere. */
	size_t node_mem;	  /* bytes per node, multiple of 4 MiB; 0: 256 MiB */
	size_t dma_size;	  /* ZONE_DMA: first bytes of node 0; 0: 16 MiB; SIZE_MAX: none */
	phys_addr_t lowmem_limit; /* frames at or above this physical address are HIGHMEM;
				   * 0: all memory is low (no HIGHMEM) */
	unsigned long min_free_kbytes;	/* 0: as the kernel computes it from low memory */
	unsigned int reclaim_wait_ms;	/* longest wait for a free per reclaim round; 0: 10 */
	int pcp;		  /* per-CPU page lists for orders 0-3: 1 on, -1 off (the same as
				   * pcp_mode none), 0: on */
	enum kmb_percpu_mode pcp_mode;	/* how the per-CPU page lists are kept (percpu.h);
				   * KMB_PERCPU_DEFAULT: cpu-rseq where rseq works, else thread */
	int debug;		  /* misuse, in every layer: 1 stops the process (abort) after
				   * the report, -1 reports, refuses and counts; 0: every
				   * layer stops in debug builds and goes on in release */
	/* The mapping layer (kmbench/vmalloc.h, highmem.h, io.h), set up with the rest. */
	size_t vmalloc_size;	  /* the vmalloc window VMALLOC_START..VMALLOC_END, a multiple of
				   * 4 KiB, 1 MiB .. 64 TiB; 0: twice the model's memory (room for
				   * every frame in a one-page area with its guard page), at least
				   * 1 GiB */
	size_t iomem_size;	  /* the device memory ioremap() maps, a multiple of 4 KiB, at
				   * most 64 GiB; 0: 16 MiB */
	unsigned int last_pkmap;  /* persistent kmap slots (LAST_PKMAP), 1..4096; 0: 512 */
	unsigned int vmap_flags;  /* KMB_VMAP_*: how frames are mapped into the window */
	int distance[KMB_MAX_NUMNODES][KMB_MAX_NUMNODES];
				  /* node distances; all 0: from libnuma for nodes the machine
				   * has, 10 local / 20 remote for the rest */
};

/*
 * The memory map, visible so that the conversions below are inline arithmetic.  Read-only to
 * users; set by kmb_mm_setup().
 */
struct kmb_memmap {
	struct page *vmemmap;		/* struct page of pfn p is vmemmap[p] */
	char *linear;			/* __va(0): the linear map of low memory */
	unsigned long max_pfn;		/* frames are 0 .. max_pfn - 1 */
	unsigned long max_low_pfn;	/* frames below this are in the linear map */
};
extern KMB_API struct kmb_memmap kmb_memmap;

/* --- boot (mm/memblock.c, init/main.c) --- */

/* kmb_mm_setup - create physical memory, the linear map, memblock and mem_map.  0 or -errno,
 * with one line in why.  The buddy allocator is not usable until mem_init(). */
KMB_API int kmb_mm_setup(const struct kmb_mm_config *cfg, char *why, size_t whylen);
/* mem_init - hand every range memblock did not reserve to the buddy allocator. */
KMB_API void mem_init(void);
/* kmb_mm_init - kmb_mm_setup(), mem_init(), then kmem_cache_init() (kmbench/slab.h): the
 * whole library up, in allocators/mm_init.c's order. */
KMB_API int kmb_mm_init(const struct kmb_mm_config *cfg, char *why, size_t whylen);
/* kmb_mm_teardown - drop everything (kmem_cache_exit() first); pages still allocated are
 * simply gone. */
KMB_API void kmb_mm_teardown(void);
/* The effective configuration (defaults filled in), after setup. */
KMB_API const struct kmb_mm_config *kmb_mm_config(void);
/* Number of model nodes, after setup. */
KMB_API int kmb_mm_nr_nodes(void);

/*
 * memblock (mm/memblock.c): the boot allocator, valid between kmb_mm_setup() and mem_init().
 * Allocations are zeroed, top-down within low memory, on @nid or, when it has no low memory
 * left, on any node; they stay reserved for good.  NULL when called after mem_init() or when
 * nothing fits.
 */
KMB_API void *memblock_alloc(phys_addr_t size, phys_addr_t align);
KMB_API void *memblock_alloc_node(phys_addr_t size, phys_addr_t align, int nid);
KMB_API void *memblock_alloc_low(phys_addr_t size, phys_addr_t align);	/* below the DMA limit */
KMB_API int memblock_reserve(phys_addr_t base, phys_addr_t size);
/* Frees an early allocation back to memblock (before mem_init only). */
KMB_API void memblock_free(void *ptr, size_t size);

/* The bootmem family, removed from Linux in 4.20, as aliases (include/linux/bootmem.h). */
#define SMP_CACHE_BYTES			64
#define alloc_bootmem(x)		memblock_alloc((x), SMP_CACHE_BYTES)
#define alloc_bootmem_align(x, a)	memblock_alloc((x), (a))
#define alloc_bootmem_pages(x)		memblock_alloc((x), PAGE_SIZE)
#define alloc_bootmem_node(nid, x)	memblock_alloc_node((x), SMP_CACHE_BYTES, (nid))
#define alloc_bootmem_pages_node(nid, x) memblock_alloc_node((x), PAGE_SIZE, (nid))
#define alloc_bootmem_low(x)		memblock_alloc_low((x), SMP_CACHE_BYTES)
#define alloc_bootmem_low_pages(x)	memblock_alloc_low((x), PAGE_SIZE)
#define free_bootmem(addr, x)		memblock_free((void *)(uintptr_t)(addr), (x))

/* --- frames, pages and addresses (include/linux/mm.h, arch/x86/include/asm/page.h) --- */

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - kmb_memmap.vmemmap);
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return kmb_memmap.vmemmap + pfn;
}

static inline bool pfn_valid(unsigned long pfn)
{
	return pfn < kmb_memmap.max_pfn;
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return (phys_addr_t)page_to_pfn(page) << PAGE_SHIFT;
}

static inline enum zone_type page_zonenum(const struct page *page)
{
	return (enum zone_type)page->zone;
}

static inline int page_to_nid(const struct page *page)
{
	return page->node;
}

static inline bool PageHighMem(const struct page *page)
{
	return page->zone == ZONE_HIGHMEM;
}

/* __pa() / __va(): physical address <-> linear-map address, for low memory only. */
static inline phys_addr_t kmb_pa(const void *x)
{
	return (phys_addr_t)((const char *)x - kmb_memmap.linear);
}

static inline void *kmb_va(phys_addr_t pa)
{
	return kmb_memmap.linear + pa;
}
#define virt_to_phys(x)	kmb_pa(x)
#define phys_to_virt(x)	kmb_va(x)

/* virt_addr_valid(): is @x an address in the linear map of low memory? */
static inline bool virt_addr_valid(const void *x)
{
	uintptr_t off = (uintptr_t)x - (uintptr_t)kmb_memmap.linear;

	return (uintptr_t)x >= (uintptr_t)kmb_memmap.linear &&
	       (off >> PAGE_SHIFT) < kmb_memmap.max_low_pfn;
}

/* The kmap address of a HIGHMEM frame, NULL while it has none (mm/highmem.c keeps these in a
 * hash table on x86-32, which has no page->virtual either). */
KMB_API void *kmb_highmem_page_address(const struct page *page);

/*
 * page_address - the linear address of a low-memory frame; NULL for a HIGHMEM frame that is
 * not kmapped (its kmap address otherwise), as on a 32-bit kernel with HIGHMEM.
 */
static inline void *page_address(const struct page *page)
{
	if (PageHighMem(page))
		return kmb_highmem_page_address(page);
	return kmb_memmap.linear + ((size_t)page_to_pfn(page) << PAGE_SHIFT);
}

/* virt_to_page - the struct page of a linear-map address (no check; see virt_addr_valid). */
static inline struct page *virt_to_page(const void *x)
{
	return pfn_to_page((unsigned long)(kmb_pa(x) >> PAGE_SHIFT));
}

/* get_order - the smallest order whose block holds @size bytes (include/asm-generic/getorder.h).
 * The kernel leaves get_order(0) undefined; here it is 0. */
static inline unsigned int get_order(unsigned long size)
{
	if (size <= PAGE_SIZE)
		return 0;
	return (unsigned int)(64 - __builtin_clzl((size - 1) >> PAGE_SHIFT));
}

/* --- the page allocator (include/linux/gfp.h, mm/page_alloc.c) --- */

/*
 * alloc_pages_node - 2^@order contiguous frames, preferably from node @nid (NUMA_NO_NODE: the
 * calling CPU's node), falling back along the node's zonelist unless __GFP_THISNODE.
 * Returns the first frame's struct page with refcount 1, or NULL.
 * Context: may sleep when @gfp allows it (gfpflags_allow_blocking()); GFP_ATOMIC and
 * GFP_NOWAIT never sleep.  With __GFP_NOFAIL it never returns NULL.
 */
KMB_API struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
/* The raw form: @nid must be a valid node, not NUMA_NO_NODE. */
KMB_API struct page *__alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
/* alloc_pages - from the calling CPU's node (the kernel's default memory policy, "local"). */
KMB_API struct page *alloc_pages(gfp_t gfp, unsigned int order);
#define alloc_page(gfp)		alloc_pages((gfp), 0)

/* __get_free_pages - like alloc_pages but returns the linear address; HIGHMEM is not allowed
 * (the kernel masks __GFP_HIGHMEM off).  0 on failure. */
KMB_API unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
#define __get_free_page(gfp)	__get_free_pages((gfp), 0)
KMB_API unsigned long get_zeroed_page(gfp_t gfp);

/*
 * __free_pages - drop a reference to the block at @page of @order; the last one frees it.
 * Misuse (wrong order, double free, a frame that is not an allocated block's head, one the
 * allocator does not own) is reported with the frame, its state and the caller.
 */
KMB_API void __free_pages(struct page *page, unsigned int order);
#define __free_page(page)	__free_pages((page), 0)
/* free_pages - the same by linear address; 0 is ignored. */
KMB_API void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr)		free_pages((addr), 0)

/* get_page / put_page: references on an allocated block (by its head frame). */
KMB_API void get_page(struct page *page);
KMB_API void put_page(struct page *page);
static inline int page_count(const struct page *page)
{
	return atomic_load_explicit(&page->refcount, memory_order_relaxed);
}

/* drain_all_pages - return every per-CPU list's pages to the buddy lists (NULL: all zones). */
struct zone;
KMB_API void drain_all_pages(struct zone *zone);

/* --- reclaim (include/linux/shrinker.h) --- */

struct shrink_control {
	gfp_t gfp_mask;			/* the allocation's flags: what the shrinker may do */
	int nid;			/* node under pressure */
	unsigned long nr_to_scan;	/* objects to scan */
	unsigned long nr_scanned;	/* objects scanned (may be set by scan_objects) */
};

#define SHRINK_STOP	(~0UL)
#define SHRINK_EMPTY	(~0UL - 1)

/*
 * struct shrinker - a cache that can give memory back under pressure.  count_objects says how
 * many objects could be freed (SHRINK_EMPTY: none); scan_objects frees up to nr_to_scan and
 * returns how many it freed, or SHRINK_STOP.  Direct reclaim runs a shrinker only when the
 * allocation's flags include what it declares it needs (kmbench's @flags: a shrinker that
 * writes back needs __GFP_IO, one that enters a filesystem needs __GFP_FS), as GFP_NOIO and
 * GFP_NOFS forbid; the shrinker also sees gfp_mask, as in the kernel.
 */
struct shrinker {
	unsigned long (*count_objects)(struct shrinker *s, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *s, struct shrink_control *sc);
	long batch;			/* objects per scan_objects call; 0: 128 */
	int seeks;			/* cost to recreate an object; 0: DEFAULT_SEEKS */
	gfp_t flags;			/* __GFP_IO / __GFP_FS the shrinker needs to run */
	void *private_data;
	/* internal */
	struct list_head list;
	char name[32];
	unsigned long nr_runs, nr_freed;
};
#define DEFAULT_SEEKS	2

KMB_API int register_shrinker(struct shrinker *s, const char *name);
KMB_API void unregister_shrinker(struct shrinker *s);

/* --- statistics, in the kernel's formats (mm/vmstat.c) --- */

/* Each writes the whole text into buf (NUL-terminated, truncated to len) and returns the length
 * it needed, as snprintf does. */
KMB_API size_t kmb_show_nodes(char *buf, size_t len);		/* model nodes and their binding */
KMB_API size_t kmb_show_buddyinfo(char *buf, size_t len);	/* /proc/buddyinfo */
KMB_API size_t kmb_show_zoneinfo(char *buf, size_t len);	/* a /proc/zoneinfo subset */
KMB_API size_t kmb_show_extfrag_index(char *buf, size_t len);	/* debugfs extfrag/extfrag_index */
KMB_API size_t kmb_show_unusable_index(char *buf, size_t len);	/* debugfs extfrag/unusable_index */

/*
 * kmb_fragmentation_index - the kernel's fragmentation index of @order over every zone (or of
 * node @nid's zone @zone when @nid >= 0), times 1000: -1000 when a block of @order is free,
 * otherwise 0 (failure for lack of memory) .. 1000 (failure from fragmentation).
 */
KMB_API int kmb_fragmentation_index(int nid, enum zone_type zone, unsigned int order);
/* kmb_unusable_index - free memory unusable for @order, times 1000 (0 .. 1000). */
KMB_API int kmb_unusable_index(int nid, enum zone_type zone, unsigned int order);

/*
 * kmb_zone_frag - one populated zone's free memory and its two indices for one order, from one
 * read of its free lists (kmb_zone_frag_info): what the extfrag_index and unusable_index
 * tables show for that order.
 */
struct kmb_zone_frag {
	int node;
	enum zone_type zone;
	const char *name;		/* "DMA", "Normal", "HighMem" */
	unsigned long free_pages;	/* on the buddy free lists, every order */
	int unusable;			/* as kmb_unusable_index: 0 .. 1000 */
	int extfrag;			/* as kmb_fragmentation_index: -1000, or 0 .. 1000 */
};
/*
 * kmb_zone_frag_info - the first @max populated zones, in /proc/buddyinfo's order (node, then
 * zone), at @order, into @out.  Returns the number of populated zones, which may exceed @max.
 * Read without the zone locks, as /proc/buddyinfo is: a snapshot while others allocate.
 */
KMB_API int kmb_zone_frag_info(struct kmb_zone_frag *out, int max, unsigned int order);

/* Counters since setup (vmstat-like names). */
struct kmb_mm_stats {
	unsigned long free_pages;	/* in buddy lists, all zones */
	unsigned long pcp_pages;	/* on per-CPU lists */
	unsigned long managed_pages;	/* handed to the buddy allocator at mem_init */
	unsigned long reserved_pages;	/* kept by memblock */
	unsigned long pgalloc[NR_PAGE_ORDERS];	/* successful allocations per order */
	unsigned long pgfree;		/* blocks freed */
	unsigned long alloc_fail;	/* allocations that returned NULL */
	unsigned long alloc_reserve;	/* succeeded only below the min watermark */
	unsigned long kswapd_wake;	/* wakeups asked for (no kswapd thread runs) */
	unsigned long allocstall;	/* direct reclaim entries */
	unsigned long reclaim_wait;	/* waits for a free */
	unsigned long shrinker_freed;	/* objects freed by shrinkers */
	unsigned long bad_page;		/* misuse reports */
	unsigned long warn_suppressed;	/* allocation-failure warnings rate-limited away */
};
KMB_API void kmb_mm_get_stats(struct kmb_mm_stats *st);

/*
 * How the library was built (allocators/base/config.h): the debug level, 0-3 (assertions),
 * and the statistics level, 0-2.  Below 1, the vm events of kmb_mm_stats (pgalloc, pgfree,
 * alloc_fail, alloc_reserve, kswapd_wake, allocstall, reclaim_wait, shrinker_freed) are not
 * counted and read 0: unavailable, not zero.
 */
KMB_API int kmb_debug_level(void);
KMB_API int kmb_stat_level(void);

/* The layers, for the misuse counts: every layer's misuse report goes through one function
 * and one policy (kmb_mm_config.debug) and is counted here. */
enum kmb_layer {
	KMB_LAYER_PERCPU,	/* free_percpu of what is no per-CPU allocation */
	KMB_LAYER_PAGE,		/* bad_page, bad addresses (kmb_mm_stats.bad_page) */
	KMB_LAYER_SLAB,		/* slab_err, red zone and poison reports (kmb_slab_stats.errors) */
	KMB_LAYER_VMALLOC,	/* bad vfree, vunmap, kunmap (kmb_vmalloc_stats.misuse) */
	KMB_LAYER_MEMPOOL,	/* no report site yet: misuse there is refused with -EINVAL */
	KMB_NR_LAYERS
};
/* kmb_misuse_count - misuse reports of @layer: page and vmalloc since their setup, the
 * others since the process started. */
KMB_API unsigned long kmb_misuse_count(enum kmb_layer layer);
/* The mode the per-CPU page lists run in after setup, and when it is not the one asked for,
 * why (one line, else ""). */
KMB_API enum kmb_percpu_mode kmb_mm_pcp_mode(const char **why);

/*
 * kmb_mm_check - validate every invariant: free lists hold well-formed, aligned, non-overlapping
 * blocks whose buddies are not both free at the same order; counters add up per zone and order;
 * no frame is both free and allocated.  0, or -EUCLEAN with the first problem in why.
 * Call while no other thread is inside the allocator.
 */
KMB_API int kmb_mm_check(char *why, size_t whylen);

/*
 * kmb_gfp_format - "GFP_KERNEL|__GFP_ZERO" for @gfp, as the kernel's %pGg prints it
 * (lib/vsprintf.c format_flags over mm/debug.c gfpflag_names): "" for 0, bits without a name as
 * "0x...".  Writes at most @len bytes, NUL-terminated when @len > 0, and returns the length the
 * whole text needs, as snprintf does.
 */
KMB_API size_t kmb_gfp_format(char *buf, size_t len, gfp_t gfp);

#endif
