/*
 * memblock.c - the boot-time allocator (mm/memblock.c), and its hand-over to the buddy
 * allocator (memblock_free_all()).
 *
 * Two region lists, as the kernel keeps them: memory (one region per node) and reserved (what
 * early allocations took), both sorted by base.  Allocation is top-down within low memory, the
 * kernel's default direction, so early allocations stay clear of ZONE_DMA.  After mem_init()
 * memblock refuses every request: the buddy allocator owns the free ranges.
 *
 * Called only during setup, from one thread: no locking.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "page_alloc.h"

#define MEMBLOCK_MAX_REGIONS	128

struct memblock_region {
	phys_addr_t base, size;
	int nid;
};

struct memblock_type {
	unsigned long cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

static struct {
	struct memblock_type memory, reserved;
	bool done;	/* handed over to the buddy allocator */
} memblock;

void memblock_init(void)
{
	memset(&memblock, 0, sizeof(memblock));
}

/* Insert [base, base+size) into @type, keeping it sorted and merging neighbours. */
static int memblock_insert(struct memblock_type *type, phys_addr_t base, phys_addr_t size,
			   int nid)
{
	unsigned long i = 0;

	if (!size)
		return 0;
	while (i < type->cnt && type->regions[i].base < base)
		i++;
	if (type->cnt == MEMBLOCK_MAX_REGIONS)
		return -ENOSPC;
	memmove(&type->regions[i + 1], &type->regions[i],
		(type->cnt - i) * sizeof(type->regions[0]));
	type->regions[i] = (struct memblock_region){ base, size, nid };
	type->cnt++;
	/* merge adjacent regions of the same node */
	for (i = 0; i + 1 < type->cnt;) {
		struct memblock_region *a = &type->regions[i], *b = a + 1;

		if (a->base + a->size >= b->base && a->nid == b->nid) {
			phys_addr_t end = b->base + b->size > a->base + a->size ?
					  b->base + b->size : a->base + a->size;

			a->size = end - a->base;
			memmove(b, b + 1, (type->cnt - i - 2) * sizeof(*b));
			type->cnt--;
		} else {
			i++;
		}
	}
	return 0;
}

int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid)
{
	return memblock_insert(&memblock.memory, base, size, nid);
}

int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	if (memblock.done)
		return -EBUSY;
	return memblock_insert(&memblock.reserved, base, size, NUMA_NO_NODE);
}

/* Remove [base, base+size) from the reserved list (memblock_free). */
static void memblock_unreserve(phys_addr_t base, phys_addr_t size)
{
	struct memblock_type *t = &memblock.reserved;
	phys_addr_t end = base + size;

	for (unsigned long i = 0; i < t->cnt; i++) {
		struct memblock_region *r = &t->regions[i];
		phys_addr_t rend = r->base + r->size;

		if (rend <= base || r->base >= end)
			continue;
		if (r->base < base && rend > end) {		/* split in two */
			r->size = base - r->base;
			memblock_insert(t, end, rend - end, r->nid);
			return;
		}
		if (r->base < base) {
			r->size = base - r->base;
		} else if (rend > end) {
			r->size = rend - end;
			r->base = end;
		} else {
			memmove(r, r + 1, (t->cnt - i - 1) * sizeof(*r));
			t->cnt--;
			i--;
		}
	}
}

/*
 * Highest aligned free range of @size inside [lo, hi) of memory region @m, or 0 when none.
 * Free ranges are the gaps between reserved regions.
 */
static phys_addr_t find_top_down(const struct memblock_region *m, phys_addr_t lo,
				 phys_addr_t hi, phys_addr_t size, phys_addr_t align)
{
	const struct memblock_type *rs = &memblock.reserved;
	phys_addr_t mlo = m->base > lo ? m->base : lo;
	phys_addr_t mhi = m->base + m->size < hi ? m->base + m->size : hi;
	phys_addr_t gap_end = mhi;

	if (mlo >= mhi)
		return 0;
	for (long i = (long)rs->cnt - 1; i >= -1; i--) {
		/* gap between reserved region i (or mlo when i < 0) and gap_end */
		phys_addr_t gap_start = i >= 0 ? rs->regions[i].base + rs->regions[i].size : mlo;

		if (i >= 0 && rs->regions[i].base >= gap_end)
			continue;
		if (gap_start < mlo)
			gap_start = mlo;
		if (gap_end > gap_start && gap_end - gap_start >= size) {
			phys_addr_t cand = (gap_end - size) & ~(align - 1);

			if (cand >= gap_start)
				return cand;
		}
		if (i >= 0)
			gap_end = rs->regions[i].base < gap_end ? rs->regions[i].base : gap_end;
		if (gap_end <= mlo)
			break;
	}
	return 0;
}

/* memblock_alloc_try_nid: on @nid first, then any node; below @limit; zeroed. */
static void *memblock_alloc_range(phys_addr_t size, phys_addr_t align, int nid, phys_addr_t limit)
{
	phys_addr_t pa = 0;

	if (memblock.done || !size || (align & (align - 1)))
		return NULL;
	if (!align)
		align = SMP_CACHE_BYTES;
	size = (size + align - 1) & ~(align - 1);
	for (int pass = 0; pass < 2 && !pa; pass++)
		for (long i = (long)memblock.memory.cnt - 1; i >= 0 && !pa; i--) {
			const struct memblock_region *m = &memblock.memory.regions[i];

			if (pass == 0 && nid != NUMA_NO_NODE && m->nid != nid)
				continue;
			/* pa 0 is the first frame of node 0: never handed out (kernel: memblock
			 * does not allocate at address 0 either) */
			pa = find_top_down(m, PAGE_SIZE, limit, size, align);
		}
	if (!pa || memblock_reserve(pa, size))
		return NULL;
	memset(kmb_va(pa), 0, size);
	return kmb_va(pa);
}

void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_alloc_range(size, align, NUMA_NO_NODE,
				    (phys_addr_t)kmb_memmap.max_low_pfn << PAGE_SHIFT);
}

void *memblock_alloc_node(phys_addr_t size, phys_addr_t align, int nid)
{
	return memblock_alloc_range(size, align, nid,
				    (phys_addr_t)kmb_memmap.max_low_pfn << PAGE_SHIFT);
}

void *memblock_alloc_low(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t limit = kmb_mm.cfg.dma_size ? kmb_mm.cfg.dma_size :
			    (phys_addr_t)kmb_memmap.max_low_pfn << PAGE_SHIFT;

	return memblock_alloc_range(size, align, NUMA_NO_NODE, limit);
}

void memblock_free(void *ptr, size_t size)
{
	if (!ptr || memblock.done || !virt_addr_valid(ptr))
		return;
	memblock_unreserve(kmb_pa(ptr), size);
}

/* __free_pages_memory(): [start, end) in the largest aligned blocks that fit. */
static void free_pages_memory(unsigned long start, unsigned long end)
{
	while (start < end) {
		unsigned int order = start ? (unsigned int)__builtin_ctzl(start) : MAX_PAGE_ORDER;

		if (order > MAX_PAGE_ORDER)
			order = MAX_PAGE_ORDER;
		while (start + (1UL << order) > end)
			order--;
		__free_pages_core(pfn_to_page(start), order);
		start += 1UL << order;
	}
}

void memblock_free_all(void)
{
	const struct memblock_type *rs = &memblock.reserved;

	for (unsigned long m = 0; m < memblock.memory.cnt; m++) {
		const struct memblock_region *mr = &memblock.memory.regions[m];
		unsigned long pos = (unsigned long)(mr->base >> PAGE_SHIFT);
		unsigned long mend = (unsigned long)((mr->base + mr->size) >> PAGE_SHIFT);

		for (unsigned long i = 0; i <= rs->cnt && pos < mend; i++) {
			/* reserved frames: partial pages at either end stay reserved */
			unsigned long rs_start = i < rs->cnt ?
				(unsigned long)(rs->regions[i].base >> PAGE_SHIFT) : mend;
			unsigned long rs_end = i < rs->cnt ? (unsigned long)
				((rs->regions[i].base + rs->regions[i].size + PAGE_SIZE - 1) >>
				 PAGE_SHIFT) : mend;

			if (rs_end <= pos)
				continue;
			if (rs_start > mend)
				rs_start = mend;
			if (rs_start > pos)
				free_pages_memory(pos, rs_start);
			pos = rs_end > pos ? rs_end : pos;
		}
	}
	memblock.done = true;
}
