/*
 * vmstat.c - the page allocator's statistics in the kernel's own formats (mm/vmstat.c):
 * /proc/buddyinfo, a /proc/zoneinfo subset, and the external fragmentation indices of
 * debugfs extfrag/extfrag_index and extfrag/unusable_index (also per zone for one order, for a
 * timeline: kmb_zone_frag_info).
 *
 * Counts are read without the zone locks, as the kernel's /proc files read them: exact when no
 * thread allocates, a snapshot otherwise.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>

#include "page_alloc.h"

/* The model's nodes: where each lies in physical memory and whether mbind() placed it. */
size_t kmb_show_nodes(char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };

	for (int n = 0; kmb_mm.booted && n < kmb_mm.nr_nodes; n++) {
		const pg_data_t *pgdat = NODE_DATA(n);

		sb_printf(&sb, "Node %d: pfn %#lx-%#lx (%lu MiB), %s\n", n, pgdat->node_start_pfn,
			  pgdat->node_start_pfn + pgdat->node_spanned_pages - 1,
			  pgdat->node_spanned_pages >> (20 - PAGE_SHIFT),
			  pgdat->bound ? "bound to the machine's node with mbind" : pgdat->bind_note);
	}
	return sb_end(&sb);
}

/*
 * zoneinfo's pageset of one CPU ("cpu: N", the kernel's) or, in thread mode, one thread
 * ("thread: N", kmbench's), in the layout of zoneinfo_show_print (mm/vmstat.c; since v6.7: count,
 * high, batch, high_min, high_max, then the CPU's "vm stats threshold"); count in pages.
 * high is fixed here (page_pcp.c: no adaptive high), which the kernel shows as high_min ==
 * high_max == high, as it does when percpu_pagelist_high_fraction turns its tuning off
 * (mm/page_alloc.c zone_set_pageset_high_and_batch).  The threshold is 0: the zone's counters
 * are exact, with no per-CPU differential to fold (the kernel folds one past its threshold).
 */
static int show_pageset(struct zone *zone, struct per_cpu_pages *pcp, int who, void *arg)
{
	struct sbuf *sb = arg;

	(void)zone;
	sb_printf(sb, "\n    %s: %d"
		  "\n              count:    %lu"
		  "\n              high:     %d"
		  "\n              batch:    %d"
		  "\n              high_min: %d"
		  "\n              high_max: %d"
		  "\n  vm stats threshold: %d",
		  who >= 0 ? "cpu" : "thread", who >= 0 ? who : -who, pcp_pages(pcp), pcp->high,
		  pcp->batch, pcp->high, pcp->high, 0);
	return 0;
}

/* frag_show_print: "Node 0, zone   Normal" then nr_free per order, populated zones only. */
size_t kmb_show_buddyinfo(char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };
	struct zone *zone;

	if (!kmb_mm.booted)
		return sb_end(&sb);
	for_each_populated_zone(zone) {
		sb_printf(&sb, "Node %d, zone %8s ", zone->node, zone->name);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			sb_printf(&sb, "%6lu ", zone->free_area[o].nr_free);
		sb_printf(&sb, "\n");
	}
	return sb_end(&sb);
}

/* zoneinfo_show_print (mm/vmstat.c, mainline's layout as read in a v6.1x tree: the promo
 * watermark after high, the pagesets as in show_pageset): every zone of every node, populated
 * or not; of the per-node and per-zone counters only nr_free_pages, which the model keeps. */
size_t kmb_show_zoneinfo(char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };

	for (int n = 0; kmb_mm.booted && n < kmb_mm.nr_nodes; n++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(n)->node_zones[z];

			sb_printf(&sb, "Node %d, zone %8s", n, zone->name);
			sb_printf(&sb, "\n  pages free     %lu"
				  "\n        boost    0"
				  "\n        min      %lu"
				  "\n        low      %lu"
				  "\n        high     %lu"
				  "\n        promo    %lu"
				  "\n        spanned  %lu"
				  "\n        present  %lu"
				  "\n        managed  %lu"
				  "\n        cma      0",
				  zone_page_state(zone), zone->_watermark[WMARK_MIN],
				  zone->_watermark[WMARK_LOW], zone->_watermark[WMARK_HIGH],
				  zone->_watermark[WMARK_PROMO],
				  zone->spanned_pages, zone->present_pages, zone->managed_pages);
			sb_printf(&sb, "\n        protection: (%ld", zone->lowmem_reserve[0]);
			for (int i = 1; i < MAX_NR_ZONES; i++)
				sb_printf(&sb, ", %ld", zone->lowmem_reserve[i]);
			sb_printf(&sb, ")");
			if (!populated_zone(zone)) {
				sb_printf(&sb, "\n");
				continue;
			}
			sb_printf(&sb, "\n      nr_free_pages %lu", zone_page_state(zone));
			sb_printf(&sb, "\n  pagesets");
			pcp_for_each(zone, 0, show_pageset, &sb);
			sb_printf(&sb, "\n  node_unreclaimable:  0"
				  "\n  start_pfn:           %lu\n", zone->zone_start_pfn);
		}
	return sb_end(&sb);
}

/* fill_contig_page_info (mm/vmstat.c): free pages, free blocks, and blocks usable for @order
 * (counted in units of 2^@order). */
void fill_contig_page_info(struct zone *z, unsigned int order, struct contig_page_info *info)
{
	info->free_pages = info->free_blocks_total = info->free_blocks_suitable = 0;
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long blocks = z->free_area[o].nr_free;

		info->free_blocks_total += blocks;
		info->free_pages += blocks << o;
		if (o >= order)
			info->free_blocks_suitable += blocks << (o - order);
	}
}

/*
 * __fragmentation_index (mm/vmstat.c): 0 .. 1000, where near 0 a failure of @order would be
 * for lack of memory and near 1000 for fragmentation; -1000 when a suitable block is free.
 */
static int fragmentation_index_of(unsigned int order, const struct contig_page_info *info)
{
	unsigned long requested = 1UL << order;

	if (order > MAX_PAGE_ORDER || !info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + info->free_pages * 1000 / requested) / info->free_blocks_total);
}

/* unusable_free_index (mm/vmstat.c): the share of free memory in blocks smaller than @order,
 * times 1000; 1000 when nothing is free. */
static int unusable_index_of(unsigned int order, const struct contig_page_info *info)
{
	if (!info->free_pages)
		return 1000;
	return (int)((info->free_pages - (info->free_blocks_suitable << order)) * 1000 /
		     info->free_pages);
}

/* The indices over a set of zones: one zone, or every populated zone summed. */
static void contig_info(int nid, enum zone_type zone, unsigned int order,
			struct contig_page_info *info)
{
	info->free_pages = info->free_blocks_total = info->free_blocks_suitable = 0;
	for (int n = 0; kmb_mm.booted && n < kmb_mm.nr_nodes; n++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct contig_page_info one;

			if ((nid >= 0 && (n != nid || z != (int)zone)) ||
			    !populated_zone(&NODE_DATA(n)->node_zones[z]))
				continue;
			fill_contig_page_info(&NODE_DATA(n)->node_zones[z], order, &one);
			info->free_pages += one.free_pages;
			info->free_blocks_total += one.free_blocks_total;
			info->free_blocks_suitable += one.free_blocks_suitable;
		}
}

int kmb_fragmentation_index(int nid, enum zone_type zone, unsigned int order)
{
	struct contig_page_info info;

	contig_info(nid, zone, order, &info);
	return fragmentation_index_of(order, &info);
}

int kmb_unusable_index(int nid, enum zone_type zone, unsigned int order)
{
	struct contig_page_info info;

	contig_info(nid, zone, order, &info);
	return unusable_index_of(order, &info);
}

int kmb_zone_frag_info(struct kmb_zone_frag *out, int max, unsigned int order)
{
	struct zone *zone;
	int n = 0;

	if (!kmb_mm.booted)
		return 0;
	for_each_populated_zone(zone) {
		struct contig_page_info info;

		if (n < max) {
			/* One read of the free lists for both indices, so they agree. */
			fill_contig_page_info(zone, order, &info);
			out[n] = (struct kmb_zone_frag){
				.node = zone->node,
				.zone = (enum zone_type)(zone - NODE_DATA(zone->node)->node_zones),
				.name = zone->name,
				.free_pages = info.free_pages,
				.unusable = unusable_index_of(order, &info),
				.extfrag = fragmentation_index_of(order, &info),
			};
		}
		n++;
	}
	return n;
}

/* extfrag_show_print / unusable_show_print: "%d.%03d " per order. */
static size_t index_table(char *buf, size_t len, int (*fn)(unsigned int,
							    const struct contig_page_info *))
{
	struct sbuf sb = { buf, len, 0 };
	struct zone *zone;

	if (!kmb_mm.booted)
		return sb_end(&sb);
	for_each_populated_zone(zone) {
		sb_printf(&sb, "Node %d, zone %8s ", zone->node, zone->name);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			struct contig_page_info info;
			int idx;

			fill_contig_page_info(zone, o, &info);
			idx = fn(o, &info);
			sb_printf(&sb, "%2d.%03d ", idx / 1000, (idx < 0 ? -idx : idx) % 1000);
		}
		sb_printf(&sb, "\n");
	}
	return sb_end(&sb);
}

size_t kmb_show_extfrag_index(char *buf, size_t len)
{
	return index_table(buf, len, fragmentation_index_of);
}

size_t kmb_show_unusable_index(char *buf, size_t len)
{
	return index_table(buf, len, unusable_index_of);
}
