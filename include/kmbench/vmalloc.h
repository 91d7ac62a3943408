/*
 * vmalloc.h - virtually contiguous memory from physically scattered frames: the public API
 * (include/linux/vmalloc.h).
 *
 * One window of address space, VMALLOC_START .. VMALLOC_END, is reserved when the machine is
 * set up (kmb_mm_setup) and inaccessible until parts of it are mapped.  vmalloc() takes a range
 * of it, order-0 frames from the buddy allocator (HIGHMEM first, as the kernel's
 * GFP_KERNEL | __GFP_HIGHMEM), and maps each frame at its place in the range: an mmap() of the
 * frame's node memfd at the frame's offset, so the bytes seen through the vmalloc address are
 * the bytes of the frame, as seen through its linear or kmap address.  Every area but VM_NO_GUARD
 * ones is followed by an unmapped guard page, so running off its end faults.
 *
 * The window's address allocator is mm/vmalloc.c's: free ranges in a balanced tree augmented
 * with the largest free range below each node (lowest-address fit in O(log n)), busy areas in a
 * tree keyed by address.  vmap() maps frames the caller holds; ioremap() (kmbench/io.h) maps
 * device memory into the same window; kmap (kmbench/highmem.h) has windows of its own.
 *
 * Names, arguments and guarantees are the kernel's; kmbench's additions carry a kmb_ prefix.
 * docs/vmalloc.md has the design and where it differs from Linux.
 *
 * Context: every function may be called from any thread once the machine is up (kmb_mm_init),
 * and none after kmb_mm_teardown.  vmalloc and vmap may sleep when their flags allow it (the
 * page allocator's reclaim); vfree and vunmap never sleep.  An area belongs to its caller
 * until it is given back; giving one back twice, or an address that is not an area's start,
 * is misuse: reported, and refused or fatal as kmb_mm_config.debug says.
 */
#ifndef KMBENCH_VMALLOC_H
#define KMBENCH_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "kmbench/gfp.h"
#include "kmbench/mm.h"

/* vm_struct flags (include/linux/vmalloc.h; the kernel's values). */
#define VM_IOREMAP		0x00000001	/* ioremap() and friends */
#define VM_ALLOC		0x00000002	/* vmalloc() */
#define VM_MAP			0x00000004	/* vmap()ed pages */
#define VM_NO_GUARD		0x00000040	/* no guard page after the area */

/* ioremap areas are aligned to their size, up to this order (include/linux/vmalloc.h). */
#define IOREMAP_MAX_ORDER	(7 + PAGE_SHIFT)	/* 128 pages */

/* Page protections (arch/x86/include/asm/pgtable_types.h, carried as PROT_* bits). */
typedef struct {
	unsigned long pgprot;
} pgprot_t;
#define __pgprot(x)		((pgprot_t){ (x) })
#define pgprot_val(x)		((x).pgprot)
#define PAGE_KERNEL		__pgprot(PROT_READ | PROT_WRITE)
#define PAGE_KERNEL_RO		__pgprot(PROT_READ)

/*
 * struct vm_struct - one area of the window (include/linux/vmalloc.h).  Read-only to users.
 * @size covers the guard page (get_vm_area_size() is what the caller asked for, page-rounded).
 * @pages: the frames mapped, in address order: vmalloc's own (nr_pages of them), and a copy of
 * the caller's array for vmap() (the kernel keeps those only in its page tables).
 */
struct vm_struct {
	void *addr;
	unsigned long size;
	unsigned long flags;		/* VM_* */
	struct page **pages;
	unsigned int nr_pages;
	phys_addr_t phys_addr;		/* ioremap: the device address mapped at addr */
	const void *caller;		/* who asked for it: vmallocinfo names it */
};

static inline size_t get_vm_area_size(const struct vm_struct *area)
{
	return area->flags & VM_NO_GUARD ? area->size : area->size - PAGE_SIZE;
}

/*
 * Where the mapping layer's windows lie, set by kmb_mm_setup() (the kernel's VMALLOC_START,
 * VMALLOC_END, PKMAP_BASE and FIXADDR_START are constants of its address-space layout).
 */
struct kmb_vm_layout {
	unsigned long vmalloc_start, vmalloc_end;	/* vmalloc, vmap and ioremap areas */
	unsigned long pkmap_base;			/* LAST_PKMAP persistent kmap slots */
	unsigned int last_pkmap;
	unsigned long fixaddr_start, fixaddr_end;	/* kmap_local slots (highmem.h) */
};
extern KMB_API struct kmb_vm_layout kmb_vm_layout;
#define VMALLOC_START	(kmb_vm_layout.vmalloc_start)
#define VMALLOC_END	(kmb_vm_layout.vmalloc_end)

/* is_vmalloc_addr - is @x inside the vmalloc window (mapped or not)? */
static inline bool is_vmalloc_addr(const void *x)
{
	return (uintptr_t)x - VMALLOC_START < VMALLOC_END - VMALLOC_START;
}

/*
 * vmalloc - @size bytes (rounded up to pages), virtually contiguous, from order-0 frames of any
 * zone (GFP_KERNEL | __GFP_HIGHMEM) on the calling CPU's node; not zeroed.  NULL when @size is
 * 0 or more than all memory, or when the frames or the window run out: then every frame taken
 * is back in the buddy allocator and the range back in the window.  Context: may sleep.
 */
KMB_API void *vmalloc(unsigned long size);
/* vzalloc - vmalloc, zeroed. */
KMB_API void *vzalloc(unsigned long size);
/* vmalloc_node / vzalloc_node - frames from node @node first (NUMA_NO_NODE: the CPU's). */
KMB_API void *vmalloc_node(unsigned long size, int node);
KMB_API void *vzalloc_node(unsigned long size, int node);
/*
 * __vmalloc - vmalloc with the caller's flags: a reclaim or zone modifier (GFP_NOFS, GFP_NOIO,
 * GFP_ATOMIC, __GFP_DMA, ...) goes to the page allocator for every frame, __GFP_ZERO zeroes,
 * __GFP_NOWARN silences the failure report.  __GFP_HIGHMEM is added unless a DMA zone is asked
 * for.  With __GFP_NOFAIL the frames never run out, but a full window still fails.
 */
KMB_API void *__vmalloc(unsigned long size, gfp_t gfp_mask);
/* __vmalloc_node - the general form: the area aligned to @align (a power of two, else NULL;
 * below a page means a page), frames from @node first, @caller named in vmallocinfo. */
KMB_API void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp_mask, int node,
			     const void *caller);

/* vmalloc_array / vcalloc - @n elements of @size bytes (vcalloc zeroed); NULL on overflow. */
static inline void *vmalloc_array(size_t n, size_t size)
{
	size_t bytes;

	return __builtin_mul_overflow(n, size, &bytes) ? NULL : vmalloc(bytes);
}

static inline void *vcalloc(size_t n, size_t size)
{
	size_t bytes;

	return __builtin_mul_overflow(n, size, &bytes) ? NULL : vzalloc(bytes);
}

/*
 * vfree - unmap the area that starts at @addr and give its frames back to the buddy allocator;
 * NULL is ignored.  For a vmap() area, only the mapping goes (as vunmap).  Context: any; never
 * sleeps.  An address that starts no area is reported ("Trying to vfree() nonexistent vm
 * area"); the kernel would free the area around an address inside it, kmbench refuses.
 * The range is purged lazily, as the kernel's: its mapping stays (a stale one: the frames are
 * already free) until lazy_max_pages() worth of freed ranges have gathered, then all are
 * unmapped together and only then reused; vm_unmap_aliases() purges at once.
 */
KMB_API void vfree(const void *addr);

/* vm_unmap_aliases - purge every lazily freed range now (mm/vmalloc.c): a touch of a freed
 * area faults after it.  Context: may sleep. */
KMB_API void vm_unmap_aliases(void);

/*
 * vmap - map @count frames the caller holds, in order, into one area of the window, with
 * @prot (PAGE_KERNEL: read and write) and @flags (VM_MAP; VM_NO_GUARD leaves out the guard
 * page).  The frames stay the caller's: each frame's mapcount counts the areas that map it.
 * NULL when @count is 0 or more than all memory, or the window is full.  Context: may sleep.
 */
KMB_API void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot);
/* vunmap - undo vmap(); the frames stay the caller's.  vunmap of a vmalloc area is misuse (its
 * frames would leak; the kernel leaks them): reported and refused. */
KMB_API void vunmap(const void *addr);

/* vmalloc_to_page - the frame mapped at @addr in a vmalloc or vmap area; NULL for a guard page,
 * an ioremap area or an address outside every area. */
KMB_API struct page *vmalloc_to_page(const void *addr);
/* vmalloc_to_pfn - its frame number; -1UL where vmalloc_to_page() gives NULL (the kernel leaves
 * that undefined). */
KMB_API unsigned long vmalloc_to_pfn(const void *addr);

/*
 * get_vm_area / get_vm_area_caller - reserve an area of @size bytes (page-rounded, plus the
 * guard page unless VM_NO_GUARD) in the window, with nothing mapped: touching it faults.
 * NULL when the window has no room.  free_vm_area() gives it back.
 */
KMB_API struct vm_struct *get_vm_area(unsigned long size, unsigned long flags);
KMB_API struct vm_struct *get_vm_area_caller(unsigned long size, unsigned long flags,
					     const void *caller);
/* find_vm_area - the area that contains @addr (its guard page included), NULL if none.  Valid
 * until its owner gives it back. */
KMB_API struct vm_struct *find_vm_area(const void *addr);
/* free_vm_area - give back an area from get_vm_area(). */
KMB_API void free_vm_area(struct vm_struct *area);

/* vmalloc_nr_pages - frames held by vmalloc areas now (/proc/meminfo VmallocUsed in pages). */
KMB_API unsigned long vmalloc_nr_pages(void);

/* --- kmbench: statistics and checks --- */

/*
 * kmb_show_vmallocinfo - /proc/vmallocinfo (mm/vmalloc.c vmalloc_info_show): one line per area
 * in address order, "0xstart-0xend size caller pages=N phys=... ioremap|vmalloc|vmap N0=n",
 * where the range and size include the guard page and the caller is "symbol+0xoff/0xsize".
 * Written into @buf (NUL-terminated, truncated to @len); returns the length it needed.
 */
KMB_API size_t kmb_show_vmallocinfo(char *buf, size_t len);

struct kmb_vmalloc_stats {
	unsigned long vmalloc_total;	/* bytes of the window (meminfo VmallocTotal) */
	unsigned long vmalloc_used;	/* bytes of frames in vmalloc areas (VmallocUsed) */
	unsigned long vmalloc_chunk;	/* the largest free range (VmallocChunk) */
	unsigned long free_bytes;	/* all free ranges */
	unsigned long nr_free_ranges;	/* free ranges in the free tree */
	unsigned long nr_areas;		/* busy areas now: vmalloc, vmap, ioremap, get_vm_area */
	unsigned long nr_areas_peak;	/* the most at once since setup */
	unsigned long nr_vmalloc, nr_vmap, nr_ioremap;	/* areas now, by kind */
	unsigned long vmalloc_pages_peak;	/* the most frames in vmalloc areas at once */
	unsigned long map_calls;	/* mmap() calls mapping frames or device memory */
	unsigned long unmap_calls;	/* mmap() calls taking mappings away */
	unsigned long purges;		/* lazy purges that unmapped freed ranges */
	unsigned long lazy_pages;	/* window pages freed, awaiting the purge (vmap_lazy_nr) */
	unsigned long lazy_max_pages;	/* the purge starts above this many (lazy_max_pages()) */
	unsigned long alloc_fail;	/* vmalloc, vmap, ioremap, get_vm_area returning NULL */
	unsigned long misuse;		/* misuse reports of the whole mapping layer */
	/* highmem.h */
	unsigned int last_pkmap;	/* persistent kmap slots */
	unsigned int pkmap_in_use;	/* slots with kmap users now */
	unsigned int pkmap_mapped;	/* slots still mapping a frame (in use or awaiting a flush) */
	unsigned int kmap_waiting;	/* kmap() callers asleep for a slot now */
	unsigned long kmap_waits;	/* sleeps of kmap() callers since setup */
	unsigned long pkmap_flushes;	/* flush_all_zero_pkmaps() rounds that unmapped slots */
	unsigned long kmap_local_maps;	/* kmap_local/kmap_atomic mappings of HIGHMEM frames */
};
/* kmb_vmalloc_get_stats - a snapshot (exact while no other thread maps or unmaps). */
KMB_API void kmb_vmalloc_get_stats(struct kmb_vmalloc_stats *st);

/*
 * kmb_vmalloc_check - validate the window: both trees ordered and balanced, subtree maxima
 * right, free ranges merged, busy areas and free ranges never overlapping and together
 * covering the whole window, every vmalloc or vmap frame with a mapcount.  0, or -EUCLEAN with
 * the first problem in why.  Call while no other thread is inside the mapping layer.
 */
KMB_API int kmb_vmalloc_check(char *why, size_t whylen);

#endif
