/*
 * fuzz_vmalloc.c - op sequences on the mapping layer (mm/vmalloc.c's API: vmalloc, vzalloc,
 * __vmalloc_node with an alignment, vfree, vmap/vunmap of frames, vm_unmap_aliases), checked
 * against the live set.
 *
 * Ops (one byte, then its operands):
 *   0 alloc   1..16 pages, or up to 1024 one time in eight; vmalloc, vzalloc, or
 *             __vmalloc_node aligned to a power of two up to 2 MiB
 *   1 free    vfree of a live area
 *   2 vmap    1..8 order-0 frames mapped together: what is written through the mapping is
 *             what the frames' linear addresses read, and the other way round
 *   3 purge   vm_unmap_aliases, then kmb_vmalloc_check
 * Checked: an area is page-aligned (and aligned as asked), disjoint from every live area,
 * zeroed by vzalloc, backed by a frame at its first and last page (vmalloc_to_page), and keeps
 * what was written until it is freed; no failure with memory to spare; no misuse report; at
 * the end no area left, the window's invariants and the page allocator's.
 */
#include "fuzz.h"
#include "kmbench/vmalloc.h"

#define MAX_LIVE 128
#define MAX_LIVE_PAGES 4096		/* a quarter of the 64 MiB: memory to spare */

struct area {
	uint8_t *p;
	size_t len;
	unsigned tag;
};

static struct area live[MAX_LIVE];
static unsigned nlive, tags;
static size_t live_pages;

static void vmap_round(unsigned count, unsigned tag)
{
	struct page *pages[8];
	uint8_t *v;

	for (unsigned i = 0; i < count; i++) {
		pages[i] = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
		FZ_CHECK(pages[i], "an order-0 frame failed with memory to spare");
		memset(page_address(pages[i]), 0, PAGE_SIZE);
	}
	v = vmap(pages, count, 0, PAGE_KERNEL);
	FZ_CHECK(v, "vmap of %u frames failed", count);
	for (unsigned i = 0; i < count; i++) {
		uint8_t *lin = page_address(pages[i]);

		v[i * PAGE_SIZE + tag % PAGE_SIZE] = (uint8_t)(tag + i);
		FZ_CHECK(lin[tag % PAGE_SIZE] == (uint8_t)(tag + i),
			 "frame %u: a write through vmap is not in the frame", i);
		lin[PAGE_SIZE - 1] = (uint8_t)(tag * 3 + i);
		FZ_CHECK(v[(i + 1) * PAGE_SIZE - 1] == (uint8_t)(tag * 3 + i),
			 "frame %u: a write to the frame is not seen through vmap", i);
		FZ_CHECK(vmalloc_to_page(v + i * PAGE_SIZE) == pages[i],
			 "vmalloc_to_page of page %u is not its frame", i);
	}
	vunmap(v);
	for (unsigned i = 0; i < count; i++)
		__free_pages(pages[i], 0);
}

static void release(unsigned i)
{
	size_t at;

	FZ_CHECK(fz_intact(live[i].p, live[i].len, live[i].tag, &at),
		 "area %p: byte %zu changed while it was live", (void *)live[i].p, at);
	vfree(live[i].p);
	live_pages -= live[i].len / PAGE_SIZE;
	live[i] = live[--nlive];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct kmb_vmalloc_stats st;
	char why[512];

	fz_boot();
	while (f.n) {
		unsigned op = fz_u8(&f) % 4;

		if (op == 0 && nlive < MAX_LIVE) {
			unsigned a = fz_u8(&f), b = fz_u8(&f);
			size_t pages = (a & 7) == 7 ? 1 + b * 4 : 1 + b % 16;
			unsigned long align = PAGE_SIZE;
			uint8_t *p;

			if (live_pages + pages > MAX_LIVE_PAGES)
				continue;
			if (a >> 3 & 3) {
				if ((a >> 3 & 3) == 3)
					align = PAGE_SIZE << (b % 10);
				p = (a >> 3 & 3) == 1 ? vzalloc(pages * PAGE_SIZE) :
					__vmalloc_node(pages * PAGE_SIZE, align, GFP_KERNEL,
						       NUMA_NO_NODE, NULL);
			} else {
				p = vmalloc(pages * PAGE_SIZE);
			}
			FZ_CHECK(p, "%zu pages failed with memory to spare", pages);
			FZ_CHECK(!((uintptr_t)p % align), "area %p not aligned to %lu", (void *)p,
				 align);
			for (unsigned i = 0; i < nlive; i++)
				FZ_CHECK(p + pages * PAGE_SIZE <= live[i].p ||
					 live[i].p + live[i].len <= p,
					 "area %p overlaps live %p", (void *)p, (void *)live[i].p);
			if ((a >> 3 & 3) == 1)
				for (size_t i = 0; i < pages * PAGE_SIZE; i = fz_next(i, pages * PAGE_SIZE))
					FZ_CHECK(!p[i], "vzalloc area: byte %zu is %#x", i, p[i]);
			FZ_CHECK(vmalloc_to_page(p) && vmalloc_to_page(p + (pages - 1) * PAGE_SIZE),
				 "area %p: a page without its frame", (void *)p);
			fz_fill(p, pages * PAGE_SIZE, ++tags);
			live[nlive++] = (struct area){ p, pages * PAGE_SIZE, tags };
			live_pages += pages;
		} else if (op == 1 && nlive) {
			release(fz_u8(&f) % nlive);
		} else if (op == 2) {
			vmap_round(1 + fz_u8(&f) % 8, ++tags);
		} else if (op == 3) {
			vm_unmap_aliases();
			if (kmb_vmalloc_check(why, sizeof(why)))
				FZ_FAIL("kmb_vmalloc_check: %s", why);
		}
	}
	while (nlive)
		release(nlive - 1);
	vm_unmap_aliases();
	kmb_vmalloc_get_stats(&st);
	FZ_CHECK(!st.nr_vmalloc && !st.nr_vmap, "%lu vmalloc and %lu vmap areas left",
		 st.nr_vmalloc, st.nr_vmap);
	fz_check_reports();
	if (kmb_vmalloc_check(why, sizeof(why)))
		FZ_FAIL("kmb_vmalloc_check: %s", why);
	fz_check_mm();
	return 0;
}
