/*
 * highmem.h - temporary addresses for frames that have none: kmap and kmap_local
 * (include/linux/highmem.h, mm/highmem.c).
 *
 * A HIGHMEM frame is not in the linear map (page_address() gives NULL), as on a 32-bit kernel.
 * To touch one, a caller maps it for a while:
 *
 *   kmap()/kunmap()             a persistent slot of the pkmap window, LAST_PKMAP of them
 *                               (kmb_mm_config.last_pkmap), shared by every thread.  A frame
 *                               has one slot however many users it has; page_address() gives
 *                               it while it is mapped.  When every slot is in use the caller
 *                               sleeps until a kunmap().  A slot whose last user left keeps its
 *                               mapping until the next flush_all_zero_pkmaps(), which the slot
 *                               search runs each time it wraps around.
 *   kmap_local_page()/kunmap_local()
 *   kmap_atomic()/kunmap_atomic()
 *                               a slot of the calling thread's own stack of KM_MAX_IDX slots:
 *                               never sleeps, never shared, and must be undone in the reverse
 *                               order (a kunmap_local of any other than the last mapping is
 *                               misuse, reported as the page allocator reports a bad free).
 *                               kmap_atomic is kmap_local here: user space cannot disable
 *                               preemption or page faults.
 *
 * A low-memory frame needs none of this: every form returns its linear address and the
 * matching unmap does nothing, as in the kernel.
 *
 * kmap_local's slots are per thread, not per CPU: the kernel keeps kmap_local state per task
 * and pins the task to its CPU meanwhile (migrate_disable); user space cannot pin, so the slots
 * go with the thread.  docs/vmalloc.md has the reasons and the rest of the design.
 */
#ifndef KMBENCH_HIGHMEM_H
#define KMBENCH_HIGHMEM_H

#include <stddef.h>
#include <string.h>

#include "kmbench/mm.h"
#include "kmbench/vmalloc.h"

/* kmap_local slots per thread (include/linux/highmem-internal.h KM_MAX_IDX; 16 without
 * CONFIG_DEBUG_KMAP_LOCAL). */
#define KM_MAX_IDX		16
/* Threads that may hold kmap_local slots at once (the kernel's NR_CPUS for its per-CPU fixmap
 * slots); the window for them is reserved at setup. */
#define KMB_KMAP_MAX_THREADS	1024
/* LAST_PKMAP when kmb_mm_config.last_pkmap is 0: x86-32 PAE's (arch/x86/include/asm/
 * pgtable_32_areas.h), the most a user may ask for. */
#define KMB_LAST_PKMAP_DEFAULT	512
#define KMB_LAST_PKMAP_MAX	4096
_Static_assert(KM_MAX_IDX > 0 && KMB_KMAP_MAX_THREADS > 0, "kmap_local needs slots");
_Static_assert(KMB_LAST_PKMAP_DEFAULT <= KMB_LAST_PKMAP_MAX, "the default is allowed");

/* The pkmap window (arch/x86/include/asm/highmem.h). */
#define LAST_PKMAP		(kmb_vm_layout.last_pkmap)
#define PKMAP_BASE		(kmb_vm_layout.pkmap_base)
#define PKMAP_ADDR(nr)		(PKMAP_BASE + ((unsigned long)(nr) << PAGE_SHIFT))
#define PKMAP_NR(virt)		(((unsigned long)(virt) - PKMAP_BASE) >> PAGE_SHIFT)

/*
 * kmap - an address for @page that stays valid until kunmap(@page): its linear address for a
 * low-memory frame, else its persistent slot (a second kmap of a mapped frame shares the slot).
 * Context: may sleep until another thread's kunmap() frees a slot; never fails.
 */
KMB_API void *kmap(struct page *page);
/* kunmap - drop one kmap() of @page.  kunmap of a HIGHMEM frame that has no kmap user is
 * misuse (the kernel's BUG): reported and refused. */
KMB_API void kunmap(struct page *page);
/* kmap_to_page - the frame behind a kmap, kmap_local (of this thread) or linear address. */
KMB_API struct page *kmap_to_page(void *addr);
/* kmap_flush_unused - unmap every persistent slot that has no users left. */
KMB_API void kmap_flush_unused(void);

/*
 * kmap_local_page - an address for @page valid until the matching kunmap_local(), in this
 * thread only.  Mappings nest, KM_MAX_IDX deep (deeper is the kernel's BUG: reported, and the
 * process stops whatever the misuse policy).  Context: any; never sleeps, never fails.
 */
KMB_API void *kmap_local_page(struct page *page);
/* kunmap_local - undo the last kmap_local_page() of this thread; @addr may point anywhere in
 * the page.  Any other address (out of order, another thread's, never mapped) is misuse:
 * reported, and refused or fatal as kmb_mm_config.debug says. */
KMB_API void kunmap_local(const void *addr);
/* kmap_atomic / kunmap_atomic - the same (the kernel adds preempt and pagefault disabling). */
KMB_API void *kmap_atomic(struct page *page);
KMB_API void kunmap_atomic(const void *addr);

/* nr_free_highpages - free frames in the HIGHMEM zones (buddy lists), every node. */
KMB_API unsigned long nr_free_highpages(void);

/* Copies through a temporary kmap_local (include/linux/highmem.h). */
static inline void memcpy_from_page(char *to, struct page *page, size_t offset, size_t len)
{
	char *from = (char *)kmap_local_page(page);

	memcpy(to, from + offset, len);
	kunmap_local(from);
}

static inline void memcpy_to_page(struct page *page, size_t offset, const char *from, size_t len)
{
	char *to = (char *)kmap_local_page(page);

	memcpy(to + offset, from, len);
	kunmap_local(to);
}

static inline void clear_highpage(struct page *page)
{
	void *addr = kmap_local_page(page);

	memset(addr, 0, PAGE_SIZE);
	kunmap_local(addr);
}

#endif
