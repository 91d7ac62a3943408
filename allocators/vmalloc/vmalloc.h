/*
 * vmalloc.h - internal header of the mapping layer: vmap_area.c (the window's address
 * allocator), vmalloc.c (vmalloc, vmap, the mappings, setup), highmem.c (kmap) and ioremap.c.
 * Users include kmbench/vmalloc.h, highmem.h and io.h.
 *
 * The layer's address space is one reservation made at setup, PROT_NONE until mapped:
 *
 *   VMALLOC_START .. VMALLOC_END    vmalloc, vmap and ioremap areas, each with its guard page
 *   one page                        unmapped
 *   PKMAP_BASE .. + LAST_PKMAP pages the persistent kmap slots
 *   one page                        unmapped
 *   FIXADDR_START .. FIXADDR_END    KM_MAX_IDX kmap_local slots for each of
 *                                   KMB_KMAP_MAX_THREADS threads
 *
 * Lock order: kmap_lock (a mutex: kmap may sleep), then the page_address hash lock; the purge
 * mutex (held over a purge's system calls) stands alone; the window's busy, free and purge
 * locks (spinlocks, never held together, never across a system call or an allocation) are
 * innermost.  The page allocator is called with none of them held.
 */
#ifndef KMB_ALLOC_VMALLOC_H
#define KMB_ALLOC_VMALLOC_H

#include "kmbench/highmem.h"
#include "kmbench/vmalloc.h"
#include "page_alloc.h"

/*
 * struct vmap_area - a range of the window, in one of two trees (mm/vmalloc.c struct
 * vmap_area).  Both are AVL trees keyed by va_start; the free tree's nodes also keep the
 * largest free range in their subtree (the kernel's augmented rbtree, subtree_max_size).
 */
struct vmap_area {
	unsigned long va_start, va_end;		/* [va_start, va_end) */
	struct vmap_area *left, *right;
	unsigned long subtree_max_size;		/* free tree: largest va_end - va_start below */
	int height;				/* AVL: 1 for a leaf */
	struct vm_struct *vm;			/* busy tree: the area */
};

/* A busy area: the vm_struct, its tree node and the frames' array in one allocation. */
struct vm_area {
	struct vm_struct vm;
	struct vmap_area va;
	unsigned int cache_class;	/* its class in vmw.area_cache (page array of 1 << class
					 * frames), AREA_NO_CLASS: from malloc, back to free */
	struct page *pages[];
};

/*
 * The areas' bookkeeping comes from the C library, through a cache of freed vm_areas per size
 * class (the kernel's vmap_area_cachep is a slab cache): a purge frees thousands at once, which
 * would otherwise leave glibc's tcache and send each next vmalloc into malloc's slow path.
 */
#define AREA_CLASSES		5	/* page arrays of 1, 2, 4, 8 and 16 frames */
#define AREA_NO_CLASS		(~0u)
#define AREA_CACHE_MAX		8192	/* areas kept per class, at most */
struct area_cache {
	spinlock_t lock cacheline_aligned;
	struct vm_area *head;		/* linked by va.right */
	unsigned long nr;
};

/* The layer's state; zero until vmalloc_setup(). */
struct vmap_state {
	char *reservation;		/* the whole reservation (layout above) */
	size_t reservation_size;
	unsigned int flags;		/* kmb_mm_config.vmap_flags */
	int map_flags;			/* mmap() flags for frames: MAP_SHARED | MAP_FIXED [| POPULATE] */

	/* free_vmap_area_lock: the free tree and the cache of spare nodes. */
	spinlock_t free_lock cacheline_aligned;
	struct vmap_area *free_root;
	struct vmap_area *spare;	/* spare free-tree nodes, linked by ->right */
	unsigned int nr_spare;

	/* vmap_area_lock: the busy tree and the counters of busy areas. */
	spinlock_t busy_lock cacheline_aligned;
	struct vmap_area *busy_root;
	unsigned long nr_busy, nr_busy_peak, nr_by_kind[3];	/* vmalloc, vmap, ioremap */
	unsigned long vmalloc_pages, vmalloc_pages_peak;

	/* The lazy purge (mm/vmalloc.c vmap_purge_list, vmap_lazy_nr): areas freed whose range
	 * is still mapped and not yet free, linked by va.right.  purge_mutex (vmap_purge_lock)
	 * is held over a purge's system calls, outside every spinlock; purge_lock covers the
	 * list and lazy_nr. */
	pthread_mutex_t purge_mutex;
	spinlock_t purge_lock cacheline_aligned;
	struct vmap_area *purge_list;
	unsigned long lazy_nr;		/* window pages on purge_list */
	unsigned long lazy_max;		/* lazy_max_pages() */

	/* Freed vm_areas kept for the next ones (area_alloc/area_free in vmalloc.c). */
	struct area_cache area_cache[AREA_CLASSES];

	/* Event counters. */
	atomic_ulong map_calls cacheline_aligned;
	atomic_ulong unmap_calls, alloc_fail, purges;

	/* ioremap.c: the device. */
	int iomem_fd;
	phys_addr_t iomem_start;
	size_t iomem_size;
};
extern struct vmap_state vmw;	/* the window's state */

/* The kinds counted in nr_by_kind (an area of get_vm_area() is none of them). */
enum { VMAP_KIND_VMALLOC, VMAP_KIND_VMAP, VMAP_KIND_IOREMAP };

/* --- vmap_area.c: the window's address allocator --- */
void vmap_area_init(unsigned long start, unsigned long end);
void vmap_area_teardown(void);
/* alloc_vmap_area - the lowest range of @size bytes (a multiple of PAGE_SIZE) aligned to
 * @align (a power of two, at least PAGE_SIZE), taken out of the free tree; 0 when none. */
unsigned long alloc_vmap_area(unsigned long size, unsigned long align);
/* free_vmap_area - give [@start, @start + @size) back, merged with its free neighbours. */
void free_vmap_area(unsigned long start, unsigned long size);
/* Busy areas: insert, unlink the one that starts at @addr (NULL if none), and find the one
 * that contains @addr (busy_lock held by the caller). */
void insert_vmap_area(struct vmap_area *va);
struct vmap_area *unlink_vmap_area(unsigned long addr);
struct vmap_area *find_vmap_area_locked(unsigned long addr);
/* The largest free range, all free bytes, and the number of free ranges. */
void vmap_free_info(unsigned long *largest, unsigned long *bytes, unsigned long *nr);
/* In-order walks of the busy tree (busy_lock held), stopping at a nonzero return. */
int vmap_busy_walk(int (*fn)(struct vmap_area *va, void *arg), void *arg);
/* kmb_vmalloc_check's tree part. */
int vmap_area_check(char *why, size_t whylen);

/* --- vmalloc.c: mappings, shared by the whole layer --- */
/* Map @nr frames at @addr in order (runs of contiguous frames with one mmap() unless
 * KMB_VMAP_NO_MERGE); on failure nothing stays mapped.  0 or -errno. */
int vmap_map_frames(unsigned long addr, struct page **pages, unsigned int nr, int prot);
/* Map @size bytes of descriptor @fd at offset @off at @addr.  0 or -errno. */
int vmap_map_fd(unsigned long addr, size_t size, int prot, int fd, off_t off);
/* Take every mapping off [@addr, @addr + @size): PROT_NONE again, as reserved. */
void vmap_unmap_range(unsigned long addr, size_t size);
/* The mapcount of @page, up or down (mm.h: vmalloc and vmap areas, kmap users). */
static inline void page_mapcount_add(struct page *page, int n)
{
	__atomic_fetch_add(&page->mapcount, n, __ATOMIC_RELAXED);
}
/* get_vm_area with everything said: NULL when the window is full (counted, and reported
 * unless @quiet). */
struct vm_area *get_vm_area_raw(unsigned long size, unsigned long align, unsigned long flags,
				unsigned int nr_pages, const void *caller, bool quiet);
/* Put an area that was set up in the busy tree; take the one that starts at @addr out again
 * (NULL: none). */
void vm_area_publish(struct vm_area *area);
struct vm_area *vm_area_unlink(const void *addr);
/* Give the range of an area that is in no tree back to the window, and free it. */
void vm_area_release(struct vm_area *area);
/* Every range on the purge list, for kmb_vmalloc_check (purge_lock taken here). */
void vmap_lazy_walk(void (*fn)(const struct vmap_area *va, void *arg), void *arg);
/* iounmap's part: unlink, unmap and release the ioremap area at @addr, or report misuse. */
void vmap_iounmap(const void *addr, const void *caller);
/*
 * Misuse reports, in the shape of the page allocator's: vmap_misuse_begin() (base's
 * kmb_misuse_begin) writes the "BUG: ..." line, the caller adds lines of its own with
 * kmb_report(), and vmap_misuse_end() names the caller and applies the policy of every layer
 * (base/debug.c: stop, or go on with the call refused); vmap_misuse_fatal() always stops (a
 * call that cannot be refused).  Counted as KMB_LAYER_VMALLOC's misuse.
 */
#define vmap_misuse_begin kmb_misuse_begin
cold noinline void vmap_misuse_end(const void *caller);
cold noinline __attribute__((noreturn)) void vmap_misuse_fatal(const void *caller);
/* "symbol+0xoff/0xsize", as the kernel's %pS. */
void vmap_format_caller(char *buf, size_t len, const void *caller);

/* Setup and teardown, from kmb_mm_setup() and kmb_mm_teardown() in mm_init.c (mm_core_init() calls
 * vmalloc_init() in the kernel).  0, or -errno with one line in why. */
int vmalloc_setup(char *why, size_t whylen);
void vmalloc_teardown(void);

/* --- highmem.c --- */
int kmap_setup(unsigned long pkmap_base, unsigned int last_pkmap, unsigned long fixaddr_start,
	       char *why, size_t whylen);
void kmap_teardown(void);
void kmap_get_stats(struct kmb_vmalloc_stats *st);

/* --- ioremap.c --- */
int iomem_setup(char *why, size_t whylen);
void iomem_teardown(void);

#endif
