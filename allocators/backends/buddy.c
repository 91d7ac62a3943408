/*
 * buddy.c - backend: the buddy page allocator (include/kmbench/mm.h) as a sized allocator.
 * A request of @size bytes takes the smallest order that holds it (get_order), so every
 * allocation is at least a page and page aligned; free uses the same order.  The node and GFP
 * flags go to alloc_pages_node() unchanged, except __GFP_HIGHMEM: a workload needs an address,
 * and a HIGHMEM frame has none.
 */
#include <errno.h>
#include <stdio.h>

#include "kmbench/backend.h"
#include "kmbench/mm.h"
#include "mm_backend.h"

static int buddy_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	if (cfg->max_size > (PAGE_SIZE << MAX_PAGE_ORDER)) {
		snprintf(why, whylen, "buddy: sizes above %lu bytes (order %d) cannot be allocated",
			 PAGE_SIZE << MAX_PAGE_ORDER, MAX_PAGE_ORDER);
		return -EINVAL;
	}
	return kmb_mm_backend_init(cfg, false, why, whylen);
}

static void *buddy_alloc(size_t size, gfp_t gfp, int node)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (__builtin_expect(order > MAX_PAGE_ORDER, 0))
		return NULL;
	page = alloc_pages_node(node, gfp & ~__GFP_HIGHMEM, order);
	return page ? page_address(page) : NULL;
}

static void buddy_free(void *p, size_t size)
{
	free_pages((unsigned long)p, get_order(size));
}

static int buddy_frag_index(size_t size)
{
	return kmb_fragmentation_index(-1, ZONE_NORMAL, get_order(size));
}

static const char *buddy_free_name(void)
{
	return "free_pages";
}

const struct kmb_backend_ops kmb_backend_buddy = {
	.name = "buddy",
	.description = "buddy page allocator: alloc_pages_node/free_pages, sizes rounded up to an order",
	.caps = KMB_CAP_SIZED_FREE | KMB_CAP_NODE | KMB_CAP_GFP | KMB_CAP_STATS | KMB_CAP_CHECK,
	.init = buddy_init,
	.fini = kmb_mm_backend_fini,
	.alloc = buddy_alloc,
	.free = buddy_free,
	.stats = kmb_mm_backend_stats,
	.check = kmb_mm_backend_check,
	.free_name = buddy_free_name,
	.frag_index = buddy_frag_index,
};
