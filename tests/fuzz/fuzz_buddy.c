/*
 * fuzz_buddy.c - op sequences on the buddy allocator (mm/page_alloc.c's API: alloc_pages_node,
 * __free_pages, get_page/put_page), checked against the live set.
 *
 * Ops (one byte, then its operands):
 *   0 alloc  order (0..MAX_PAGE_ORDER), gfp (GFP_KERNEL|__GFP_NORETRY, GFP_ATOMIC, GFP_NOWAIT,
 *            GFP_DMA|__GFP_NORETRY, each with __GFP_NOWARN, and maybe __GFP_ZERO)
 *   1 free   the live block at index (byte % live)
 *   2 get    a second reference on a live block (its free then takes two puts)
 *   3 drain  drain_all_pages, then kmb_mm_check
 * Checked: a block is aligned to its order, disjoint from every live block, zeroed with
 * __GFP_ZERO, in ZONE_DMA with __GFP_DMA, keeps what was written into it until it is freed;
 * failures only where the flags allow them (never with memory to spare: at most a few
 * blocks live); at the end every frame is back in the buddy lists and kmb_mm_check passes.
 */
#include "fuzz.h"

#define MAX_LIVE 256

struct block {
	struct page *page;
	unsigned long pfn;
	unsigned order, tag, refs;
};

static const gfp_t gfps[] = {
	GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
	GFP_ATOMIC | __GFP_NOWARN,
	GFP_NOWAIT,
	GFP_DMA | __GFP_NORETRY | __GFP_NOWARN,
};

static void release(struct block *b)
{
	size_t at;
	uint8_t *p = page_address(b->page);

	FZ_CHECK(fz_intact(p, PAGE_SIZE << b->order, b->tag, &at),
		 "pfn %lu order %u: byte %zu changed while it was live", b->pfn, b->order, at);
	while (b->refs--)
		__free_pages(b->page, b->order);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct block live[MAX_LIVE];
	static unsigned long start_free;
	struct fz f = { data, size };
	unsigned n = 0, tag = 0;

	fz_boot();
	if (!start_free)
		start_free = fz_free_pages();
	while (f.n) {
		unsigned op = fz_u8(&f) % 4;

		if (op == 0 && n < MAX_LIVE) {
			unsigned order = fz_u8(&f) % (MAX_PAGE_ORDER + 1), g = fz_u8(&f);
			gfp_t gfp = gfps[g % 4] | (g & 4 ? __GFP_ZERO : 0);
			struct page *page = alloc_pages_node(0, gfp, order);
			unsigned long pfn, held = 0;
			uint8_t *p;

			for (unsigned i = 0; i < n; i++)
				held += 1UL << live[i].order;
			if (!page) {
				/* Failure is allowed near exhaustion only: with three quarters of
				 * memory free a block of order <= 3 must be found. */
				FZ_CHECK(order > 3 || held * 4 > start_free || (gfp & __GFP_DMA),
					 "order %u failed with %lu of %lu frames held", order, held,
					 start_free);
				continue;
			}
			pfn = page_to_pfn(page);
			FZ_CHECK(!(pfn & ((1UL << order) - 1)), "pfn %lu not aligned to order %u",
				 pfn, order);
			if (gfp & __GFP_DMA)
				FZ_CHECK(page->zone == ZONE_DMA, "__GFP_DMA block in zone %d",
					 page->zone);
			for (unsigned i = 0; i < n; i++)
				FZ_CHECK(pfn + (1UL << order) <= live[i].pfn ||
					 live[i].pfn + (1UL << live[i].order) <= pfn,
					 "block %lu/%u overlaps live block %lu/%u", pfn, order,
					 live[i].pfn, live[i].order);
			p = page_address(page);
			if (gfp & __GFP_ZERO) {
				for (size_t i = 0; i < (PAGE_SIZE << order); i = fz_next(i, PAGE_SIZE << order))
					FZ_CHECK(!p[i], "__GFP_ZERO block %lu/%u: byte %zu is %u", pfn,
						 order, i, p[i]);
			}
			fz_fill(p, PAGE_SIZE << order, ++tag);
			live[n++] = (struct block){ page, pfn, order, tag, 1 };
		} else if (op == 1 && n) {
			unsigned i = fz_u8(&f) % n;

			release(&live[i]);
			live[i] = live[--n];
		} else if (op == 2 && n) {
			unsigned i = fz_u8(&f) % n;

			if (live[i].refs < 4) {
				get_page(live[i].page);
				live[i].refs++;
			}
		} else if (op == 3) {
			drain_all_pages(NULL);
			fz_check_mm();
		}
	}
	while (n)
		release(&live[--n]);
	FZ_CHECK(fz_free_pages() == start_free, "%lu frames free at the end, %lu at the start",
		 fz_free_pages(), start_free);
	fz_check_mm();
	fz_check_reports();
	return 0;
}
