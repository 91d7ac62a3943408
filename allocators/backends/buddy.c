/*
 * buddy.c - backend: the buddy page allocator (include/kmbench/mm.h) as a sized allocator.
 * A request of @size bytes takes the smallest order that holds it (get_order), so every
 * allocation is at least a page and page aligned; free uses the same order.  The node and GFP
 * flags go to alloc_pages_node() unchanged, except __GFP_HIGHMEM: a workload needs an address,
 * and a HIGHMEM frame has none.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kmbench/backend.h"
#include "kmbench/mm.h"

static int buddy_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	struct kmb_mm_config mc = {
		.nr_nodes = cfg->mm_nodes,
		.node_mem = cfg->node_mem,
		.lowmem_limit = cfg->lowmem_limit,
		.dma_size = cfg->dma_size,
		.pcp = cfg->pcp,
	};

	if (cfg->max_size > (PAGE_SIZE << MAX_PAGE_ORDER)) {
		snprintf(why, whylen, "buddy: sizes above %lu bytes (order %d) cannot be allocated",
			 PAGE_SIZE << MAX_PAGE_ORDER, MAX_PAGE_ORDER);
		return -EINVAL;
	}
	return kmb_mm_init(&mc, why, whylen);
}

static void buddy_fini(void)
{
	kmb_mm_teardown();
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

static int buddy_stats(const struct kmb_stats_sink *sink)
{
	static const struct {
		const char *key;
		size_t (*show)(char *, size_t);
	} tables[] = {
		{ "nodes", kmb_show_nodes },
		{ "buddyinfo", kmb_show_buddyinfo },
		{ "zoneinfo", kmb_show_zoneinfo },
		{ "extfrag_index", kmb_show_extfrag_index },
		{ "unusable_index", kmb_show_unusable_index },
	};
	struct kmb_mm_stats st;
	char key[48];

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		size_t need = tables[i].show(NULL, 0) + 1;
		char *buf = malloc(need);

		if (!buf)
			return -ENOMEM;
		tables[i].show(buf, need);
		sink->text(sink->ctx, tables[i].key, buf);
		free(buf);
	}
	kmb_mm_get_stats(&st);
	sink->num(sink->ctx, "nr_nodes", kmb_mm_nr_nodes());
	sink->num(sink->ctx, "managed_pages", (double)st.managed_pages);
	sink->num(sink->ctx, "reserved_pages", (double)st.reserved_pages);
	sink->num(sink->ctx, "free_pages", (double)st.free_pages);
	sink->num(sink->ctx, "pcp_pages", (double)st.pcp_pages);
	for (int o = 0; o < NR_PAGE_ORDERS; o++) {
		snprintf(key, sizeof(key), "pgalloc_order%d", o);
		sink->num(sink->ctx, key, (double)st.pgalloc[o]);
	}
	sink->num(sink->ctx, "pgfree", (double)st.pgfree);
	sink->num(sink->ctx, "alloc_fail", (double)st.alloc_fail);
	sink->num(sink->ctx, "alloc_reserve", (double)st.alloc_reserve);
	sink->num(sink->ctx, "kswapd_wake", (double)st.kswapd_wake);
	sink->num(sink->ctx, "allocstall", (double)st.allocstall);
	sink->num(sink->ctx, "bad_page", (double)st.bad_page);
	for (int o = 0; o < NR_PAGE_ORDERS; o++) {
		snprintf(key, sizeof(key), "fragmentation_index_order%d", o);
		sink->num(sink->ctx, key, kmb_fragmentation_index(-1, ZONE_NORMAL, (unsigned)o) / 1000.0);
	}
	return 0;
}

static int buddy_check(char *why, size_t whylen)
{
	return kmb_mm_check(why, whylen);
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
	.fini = buddy_fini,
	.alloc = buddy_alloc,
	.free = buddy_free,
	.stats = buddy_stats,
	.check = buddy_check,
	.free_name = buddy_free_name,
	.frag_index = buddy_frag_index,
};
