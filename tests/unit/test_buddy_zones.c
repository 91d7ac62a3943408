/*
 * test_buddy_zones.c - zones, HIGHMEM and nodes of the buddy page allocator:
 *
 *   highmem     with a 48 MiB low-memory limit on a 64 MiB node, GFP_HIGHUSER frames come from
 *               ZONE_HIGHMEM, have no linear address, and __GFP_ZERO clears them (read back
 *               through the node's memfd, the only way to reach them); a node that is all
 *               HIGHMEM gets its memory map from another node's low memory;
 *   fallback    by exhaustion: GFP_HIGHUSER goes HIGHMEM -> NORMAL -> DMA, GFP_KERNEL
 *               NORMAL -> DMA and never HIGHMEM, each step only once the zone before is at its
 *               watermark; __GFP_DMA stays in the first 16 MiB of node 0;
 *   nodes       three nodes where node 0's nearest is node 2, then node 1: node 0's requests
 *               fall back in that order, and fail with __GFP_THISNODE instead;
 *   zoneinfo    the /proc/zoneinfo subset names every node's zones with their protection,
 *               and their watermarks in the kernel's layout (mm/vmstat.c), promo included;
 *   config      kmb_mm_setup() refuses bad shapes with -EINVAL and a reason, and leaves
 *               nothing behind.
 *
 * Each test boots its own machine and tears it down.
 */
#define _GNU_SOURCE		/* allocators/base/lib.h: sched_getcpu(), rseq */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "page_alloc.h"		/* allocators/page/: kmb_mm_internal */
#include "mm_test.h"

#define MiB		(1UL << 20)
#define NODE_MEM	(64 * MiB)
#define LOWMEM_LIMIT	(48 * MiB)
#define DMA_LIMIT	(16 * MiB)
#define NORETRY		(__GFP_NORETRY | __GFP_NOWARN)

static char why[256];

/* --- helpers --- */

static struct kmb_mm_config base_cfg(int nr_nodes, phys_addr_t lowmem_limit)
{
	struct kmb_mm_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = nr_nodes;
	cfg.node_mem = NODE_MEM;
	cfg.lowmem_limit = lowmem_limit;
	return cfg;
}

static struct zone *zone_of(int nid, enum zone_type z)
{
	return &NODE_DATA(nid)->node_zones[z];
}

/* Is @z at or below the watermark that turns a request of @highest_zoneidx away? */
static bool zone_at_mark(int nid, enum zone_type z, enum zone_watermarks w, int highest_zoneidx)
{
	struct zone *zone = zone_of(nid, z);

	return (long)zone_page_state(zone) <= (long)zone->_watermark[w] +
					      zone->lowmem_reserve[highest_zoneidx];
}

struct pages {
	struct page **p;
	size_t n, cap;
};

static void pages_push(struct pages *ps, struct page *p)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 4096;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
		assert_non_null(ps->p);
	}
	ps->p[ps->n++] = p;
}

static void pages_free_all(struct pages *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		__free_page(ps->p[i]);
	free(ps->p);
	memset(ps, 0, sizeof(*ps));
}

/* Give every page of @ps back, drain the per-CPU lists, and check the allocator. */
static void give_back_all(struct pages *ps)
{
	pages_free_all(ps);
	drain_all_pages(NULL);
	check_mm();
}

/* The bytes of a frame, read through its node's memfd (HIGHMEM frames have no address). */
static void read_frame(const struct page *page, void *buf)
{
	pg_data_t *pgdat = NODE_DATA(page_to_nid(page));
	off_t off = (off_t)(page_to_pfn(page) - pgdat->node_start_pfn) << PAGE_SHIFT;

	assert_int_equal(pread(pgdat->memfd, buf, PAGE_SIZE, off), PAGE_SIZE);
}

/* --- HIGHMEM --- */

static void test_highmem(void **state)
{
	struct kmb_mm_config cfg = base_cfg(1, LOWMEM_LIMIT);
	unsigned long hi_start = LOWMEM_LIMIT >> PAGE_SHIFT;
	static unsigned char buf[PAGE_SIZE], dirt[MiB];
	struct page *dirty, *z, *k;
	pg_data_t *pgdat;
	unsigned long addr;

	(void)state;
	boot_pages(&cfg);
	pgdat = NODE_DATA(0);
	assert_int_equal(kmb_memmap.max_low_pfn, hi_start);
	assert_int_equal(kmb_memmap.max_pfn, NODE_MEM >> PAGE_SHIFT);
	assert_int_equal(zone_of(0, ZONE_HIGHMEM)->zone_start_pfn, hi_start);
	assert_int_equal(zone_of(0, ZONE_HIGHMEM)->spanned_pages, (NODE_MEM - LOWMEM_LIMIT) >>
								   PAGE_SHIFT);
	assert_int_equal(zone_of(0, ZONE_HIGHMEM)->managed_pages, (NODE_MEM - LOWMEM_LIMIT) >>
								   PAGE_SHIFT);
	assert_false(virt_addr_valid(kmb_memmap.linear + LOWMEM_LIMIT));
	assert_true(virt_addr_valid(kmb_memmap.linear + LOWMEM_LIMIT - 1));

	/* dirty all of HIGHMEM behind the allocator's back */
	memset(dirt, 0xaa, sizeof(dirt));
	for (unsigned long off = LOWMEM_LIMIT; off < NODE_MEM; off += sizeof(dirt))
		assert_int_equal(pwrite(pgdat->memfd, dirt, sizeof(dirt), (off_t)off),
				 (ssize_t)sizeof(dirt));

	dirty = alloc_pages(GFP_HIGHUSER, 0);
	assert_non_null(dirty);
	assert_true(PageHighMem(dirty));
	assert_int_equal(page_zonenum(dirty), ZONE_HIGHMEM);
	assert_null(page_address(dirty));
	assert_true(page_to_pfn(dirty) >= hi_start && page_to_pfn(dirty) < kmb_memmap.max_pfn);
	read_frame(dirty, buf);
	assert_true(all_bytes(buf, PAGE_SIZE, 0xaa));	/* precondition: the dirt is there */

	z = alloc_pages(GFP_HIGHUSER | __GFP_ZERO, 2);
	assert_non_null(z);
	assert_int_equal(page_zonenum(z), ZONE_HIGHMEM);
	assert_null(page_address(z));
	for (int i = 0; i < 4; i++) {
		read_frame(z + i, buf);
		if (!all_bytes(buf, PAGE_SIZE, 0))
			fail_msg("frame %d of a __GFP_ZERO HIGHMEM block is not zero", i);
	}
	/* freed dirty, taken again zeroed */
	__free_page(dirty);
	dirty = alloc_pages(GFP_HIGHUSER | __GFP_ZERO, 0);
	assert_non_null(dirty);
	read_frame(dirty, buf);
	assert_true(all_bytes(buf, PAGE_SIZE, 0));

	/* low-memory requests never see HIGHMEM; the address-returning calls mask it off */
	k = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(k);
	assert_int_equal(page_zonenum(k), ZONE_NORMAL);
	assert_non_null(page_address(k));
	addr = __get_free_pages(GFP_HIGHUSER, 1);
	assert_true(addr != 0 && virt_addr_valid((void *)addr));
	assert_false(PageHighMem(virt_to_page((void *)addr)));
	free_pages(addr, 1);
	addr = get_zeroed_page(GFP_HIGHUSER);
	assert_true(addr != 0 && virt_addr_valid((void *)addr));
	free_page(addr);

	__free_page(k);
	__free_page(dirty);
	__free_pages(z, 2);
	check_mm();
}

/*
 * Two nodes, node 1 entirely HIGHMEM: its memory map must come from node 0's low memory, below
 * node 0's own.  Both stay reserved, node 1's frames are HIGHMEM, and a low-memory request on
 * node 1 is served by node 0.
 */
static void test_highmem_node(void **state)
{
	struct kmb_mm_config cfg = base_cfg(2, LOWMEM_LIMIT);
	unsigned long map_bytes = (NODE_MEM >> PAGE_SHIFT) * sizeof(struct page);
	unsigned long map_frames = (map_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned long reserved = 0;
	struct kmb_mm_stats st;
	struct page *p;

	(void)state;
	boot_pages(&cfg);
	check_mm();
	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++) {
		struct page *f = pfn_to_page(pfn);
		int nid = (int)(pfn / (NODE_MEM >> PAGE_SHIFT));

		if (page_to_nid(f) != nid || (nid == 1 && !PageHighMem(f)))
			fail_msg("pfn %#lx: node %d zone %d, expected node %d%s", pfn,
				 page_to_nid(f), page_zonenum(f), nid, nid ? " HIGHMEM" : "");
		reserved += page_test(f, PG_reserved);
	}
	st = stats();
	assert_int_equal(st.reserved_pages, 2 * map_frames);
	assert_int_equal(reserved, 2 * map_frames);
	assert_int_equal(st.free_pages + st.reserved_pages, kmb_memmap.max_pfn);
	assert_int_equal(zone_of(1, ZONE_HIGHMEM)->managed_pages, NODE_MEM >> PAGE_SHIFT);
	assert_int_equal(zone_of(1, ZONE_NORMAL)->managed_pages, 0);

	p = alloc_pages_node(1, GFP_HIGHUSER | __GFP_THISNODE | NORETRY, 0);
	assert_non_null(p);
	assert_int_equal(page_to_nid(p), 1);
	assert_true(PageHighMem(p));
	__free_page(p);
	p = alloc_pages_node(1, GFP_KERNEL | NORETRY, 0);
	assert_non_null(p);
	assert_int_equal(page_to_nid(p), 0);
	assert_int_equal(page_zonenum(p), ZONE_NORMAL);
	__free_page(p);
	assert_null(alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE | NORETRY, 0));
	check_mm();
}

/* --- fallback by exhaustion --- */

/* Order-0 requests of @gfp on node 0 until one fails, into @ps; the zone of each, malloc'd. */
static unsigned char *exhaust(struct pages *ps, gfp_t gfp,
			      bool (*at_switch)(size_t i, enum zone_type from, enum zone_type to))
{
	unsigned char *zones = malloc(kmb_memmap.max_pfn);
	struct page *p;

	assert_non_null(zones);
	while ((p = alloc_pages_node(0, gfp, 0))) {
		assert_true(ps->n < kmb_memmap.max_pfn);
		zones[ps->n] = (unsigned char)page_zonenum(p);
		if (ps->n && zones[ps->n] != zones[ps->n - 1] && at_switch)
			at_switch(ps->n, (enum zone_type)zones[ps->n - 1],
				  (enum zone_type)zones[ps->n]);
		pages_push(ps, p);
	}
	return zones;
}

/* The first run of each zone, in order: "H+N+D+" is [HIGHMEM, NORMAL, DMA]. */
static int first_runs(const unsigned char *zones, size_t n, int *runs, int max)
{
	int r = 0;

	for (size_t i = 0; i < n && r < max; i++) {
		bool seen = false;

		if (i && zones[i] == zones[i - 1])
			continue;
		for (int j = 0; j < r; j++)
			seen |= runs[j] == zones[i];
		if (seen)
			break;		/* the slow path's second round, at the min watermark */
		runs[r++] = zones[i];
	}
	return r;
}

/* The zones @zones went through (each zone's first run) are @want[0..nr), in that order. */
static void assert_zone_order(const unsigned char *zones, size_t n, const int *want, int nr)
{
	int runs[MAX_NR_ZONES] = { -1, -1, -1 };

	assert_int_equal(first_runs(zones, n, runs, MAX_NR_ZONES), nr);
	for (int i = 0; i < nr; i++)
		assert_int_equal(runs[i], want[i]);
}

static int switch_highest;	/* the request's highest zone, for the switch check */

/* A request moves on from a zone only when the zone is at the watermark it was checked
 * against (low on the fast path, min on the slow path, so at least at low), plus the reserve
 * it keeps from requests of higher zones. */
static bool check_switch(size_t i, enum zone_type from, enum zone_type to)
{
	if (!zone_at_mark(0, from, WMARK_LOW, switch_highest))
		fail_msg("allocation %zu moved from zone %d to %d while zone %d has %lu free "
			 "pages, above its low watermark %lu + reserve %ld", i, from, to, from,
			 zone_page_state(zone_of(0, from)), zone_of(0, from)->_watermark[WMARK_LOW],
			 zone_of(0, from)->lowmem_reserve[switch_highest]);
	return true;
}

static void test_highuser_fallback(void **state)
{
	struct kmb_mm_config cfg = base_cfg(1, LOWMEM_LIMIT);
	struct pages ps = { 0 };
	unsigned char *zones;
	unsigned long managed = 0, count[MAX_NR_ZONES] = { 0 };

	(void)state;
	boot_pages(&cfg);
	switch_highest = ZONE_HIGHMEM;
	zones = exhaust(&ps, GFP_HIGHUSER | NORETRY, check_switch);
	assert_zone_order(zones, ps.n, (const int[]){ ZONE_HIGHMEM, ZONE_NORMAL, ZONE_DMA }, 3);
	for (size_t i = 0; i < ps.n; i++)
		count[zones[i]]++;
	/* The last, failed request drained the per-CPU lists and found every zone at its min
	 * watermark plus reserve: each zone gave everything but that. */
	assert_int_equal(stats().pcp_pages, 0);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = zone_of(0, z);

		managed += zone->managed_pages;
		assert_int_equal(count[z] + zone_page_state(zone), zone->managed_pages);
		if (!zone_at_mark(0, z, WMARK_MIN, ZONE_HIGHMEM))
			fail_msg("zone %s: the request failed with %lu pages free, min watermark "
				 "%lu + reserve %ld", zone->name, zone_page_state(zone),
				 zone->_watermark[WMARK_MIN], zone->lowmem_reserve[ZONE_HIGHMEM]);
	}
	assert_true(ps.n < managed);
	check_mm();
	give_back_all(&ps);
	free(zones);
}

static void test_kernel_fallback(void **state)
{
	struct kmb_mm_config cfg = base_cfg(1, LOWMEM_LIMIT);
	struct pages ps = { 0 };
	unsigned char *zones;

	(void)state;
	boot_pages(&cfg);
	switch_highest = ZONE_NORMAL;
	zones = exhaust(&ps, GFP_KERNEL | NORETRY, check_switch);
	assert_zone_order(zones, ps.n, (const int[]){ ZONE_NORMAL, ZONE_DMA }, 2);
	for (size_t i = 0; i < ps.n; i++)
		if (zones[i] == ZONE_HIGHMEM)
			fail_msg("GFP_KERNEL allocation %zu came from HIGHMEM", i);
	/* HIGHMEM untouched: all of it is still free */
	assert_int_equal(zone_page_state(zone_of(0, ZONE_HIGHMEM)),
			 zone_of(0, ZONE_HIGHMEM)->managed_pages);
	/* and it is what a HIGHMEM-capable request gets now */
	{
		struct page *h = alloc_pages(GFP_HIGHUSER | NORETRY, 0);

		assert_non_null(h);
		assert_int_equal(page_zonenum(h), ZONE_HIGHMEM);
		__free_page(h);
	}
	give_back_all(&ps);
	free(zones);
}

static void test_dma(void **state)
{
	struct kmb_mm_config cfg = base_cfg(1, 0);
	struct pages ps = { 0 };
	struct page *blk[6];
	unsigned char *zones;

	(void)state;
	boot_pages(&cfg);
	for (unsigned int o = 0; o < 6; o++) {
		blk[o] = alloc_pages(GFP_KERNEL | __GFP_DMA, o);
		assert_non_null(blk[o]);
		assert_int_equal(page_zonenum(blk[o]), ZONE_DMA);
		assert_int_equal(page_to_nid(blk[o]), 0);
		assert_true(page_to_phys(blk[o]) + (PAGE_SIZE << o) <= DMA_LIMIT);
	}
	for (unsigned int o = 0; o < 6; o++)
		__free_pages(blk[o], o);

	/* DMA requests never leave ZONE_DMA, and fail while NORMAL has plenty */
	zones = exhaust(&ps, GFP_KERNEL | __GFP_DMA | NORETRY, NULL);
	for (size_t i = 0; i < ps.n; i++)
		if (zones[i] != ZONE_DMA || page_to_phys(ps.p[i]) >= DMA_LIMIT)
			fail_msg("__GFP_DMA allocation %zu at pfn %#lx zone %d", i,
				 page_to_pfn(ps.p[i]), zones[i]);
	assert_true(ps.n > zone_of(0, ZONE_DMA)->managed_pages / 2);
	assert_true(ps.n <= zone_of(0, ZONE_DMA)->managed_pages);
	assert_true(zone_page_state(zone_of(0, ZONE_NORMAL)) >
		    zone_of(0, ZONE_NORMAL)->managed_pages / 2);
	give_back_all(&ps);
	free(zones);
}

/* --- nodes --- */

/* Three nodes; node 0's nearest other node is 2, then 1. */
static struct kmb_mm_config three_nodes(void)
{
	static const int d[3][3] = { { 10, 30, 20 }, { 30, 10, 20 }, { 20, 20, 10 } };
	struct kmb_mm_config cfg = base_cfg(3, 0);

	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			cfg.distance[a][b] = d[a][b];
	return cfg;
}

static bool node_at_low(int nid, int highest_zoneidx)
{
	for (int z = 0; z <= highest_zoneidx; z++)
		if (zone_of(nid, z)->managed_pages &&
		    !zone_at_mark(nid, z, WMARK_LOW, highest_zoneidx))
			return false;
	return true;
}

static void test_node_fallback(void **state)
{
	struct kmb_mm_config cfg = three_nodes();
	struct pages ps = { 0 };
	int order[3], runs = 0, last = -1;
	struct page *p;

	(void)state;
	boot_pages(&cfg);
	assert_int_equal(kmb_mm_nr_nodes(), 3);
	/* every node's own requests are local first */
	for (int nid = 0; nid < 3; nid++) {
		p = alloc_pages_node(nid, GFP_KERNEL, 0);
		assert_non_null(p);
		assert_int_equal(page_to_nid(p), nid);
		assert_int_equal(page_to_pfn(p) / (NODE_MEM >> PAGE_SHIFT), nid);
		__free_page(p);
	}

	/* Exhaust node 0: its pages, then node 2's, then node 1's. */
	while (runs < 3) {
		int nid;

		p = alloc_pages_node(0, GFP_KERNEL | __GFP_NOWARN, 0);
		assert_non_null(p);
		assert_true(ps.n < kmb_memmap.max_pfn);
		nid = page_to_nid(p);
		if (nid != last) {
			for (int r = 0; r < runs; r++)
				if (order[r] == nid)
					fail_msg("allocation %zu: back to node %d from node %d",
						 ps.n, nid, last);
			if (last >= 0 && !node_at_low(last, ZONE_NORMAL))
				fail_msg("allocation %zu fell back from node %d to node %d while "
					 "node %d is above its low watermarks", ps.n, last, nid,
					 last);
			order[runs++] = nid;
			last = nid;
		}
		pages_push(&ps, p);
	}
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 1);
	check_mm();
	give_back_all(&ps);

	/* __GFP_THISNODE: node 0 only, and failure instead of fallback */
	while ((p = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE | NORETRY, 0))) {
		if (page_to_nid(p) != 0)
			fail_msg("__GFP_THISNODE allocation %zu from node %d", ps.n,
				 page_to_nid(p));
		pages_push(&ps, p);
	}
	assert_true(ps.n > (zone_of(0, ZONE_NORMAL)->managed_pages +
			    zone_of(0, ZONE_DMA)->managed_pages) / 2);
	assert_true(node_at_low(0, ZONE_NORMAL));
	assert_true(zone_page_state(zone_of(1, ZONE_NORMAL)) >
		    zone_of(1, ZONE_NORMAL)->managed_pages / 2);
	assert_true(zone_page_state(zone_of(2, ZONE_NORMAL)) >
		    zone_of(2, ZONE_NORMAL)->managed_pages / 2);
	/* without it the same request succeeds, on node 2 */
	p = alloc_pages_node(0, GFP_KERNEL | NORETRY, 0);
	assert_non_null(p);
	assert_int_equal(page_to_nid(p), 2);
	__free_page(p);
	/* NUMA_NO_NODE: the calling CPU's node (this machine's node 0, model node 0) */
	p = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL | __GFP_THISNODE | NORETRY, 0);
	assert_null(p);
	/* a node the model does not have */
	assert_null(alloc_pages_node(3, GFP_KERNEL | __GFP_NOWARN, 0));
	give_back_all(&ps);
}

/* --- zoneinfo --- */

static void test_zoneinfo(void **state)
{
	struct kmb_mm_config cfg = three_nodes();
	size_t protections = 0;
	char *text, *at, want[256];

	(void)state;
	boot_pages(&cfg);
	text = show(kmb_show_zoneinfo);

	/* every zone of every node, populated or not, in node and zone order */
	at = text;
	for (int nid = 0; nid < 3; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = zone_of(nid, z);
			unsigned long free;

			snprintf(want, sizeof(want), "Node %d, zone %8s\n", nid, zone->name);
			at = strstr(at, want);
			if (!at)
				fail_msg("no \"%.*s\" in order in zoneinfo", (int)strlen(want) - 1,
					 want);
			at += strlen(want);
			assert_int_equal(sscanf(at, "  pages free %lu", &free), 1);
			assert_int_equal(free, zone_page_state(zone));
			/* the watermark block as mm/vmstat.c zoneinfo_show_print prints it, promo
			 * after high; promo = high + (high - low), as __setup_per_zone_wmarks sets it */
			snprintf(want, sizeof(want), "\n        min      %lu\n        low      %lu"
				 "\n        high     %lu\n        promo    %lu\n        spanned  %lu\n",
				 zone->_watermark[WMARK_MIN], zone->_watermark[WMARK_LOW],
				 zone->_watermark[WMARK_HIGH], zone->_watermark[WMARK_PROMO],
				 zone->spanned_pages);
			if (!strstr(at, want))
				fail_msg("node %d zone %s: no watermark block\n%s", nid, zone->name, want);
			assert_int_equal(zone->_watermark[WMARK_PROMO] - zone->_watermark[WMARK_HIGH],
					 zone->_watermark[WMARK_HIGH] - zone->_watermark[WMARK_LOW]);
			snprintf(want, sizeof(want), "        protection: (%ld, %ld, %ld)\n",
				 zone->lowmem_reserve[0], zone->lowmem_reserve[1],
				 zone->lowmem_reserve[2]);
			assert_non_null(strstr(at, want));
		}
	assert_non_null(strstr(text, "Node 1, zone   Normal"));
	for (at = text; (at = strstr(at, "protection: (")); at++)
		protections++;
	assert_int_equal(protections, 3 * MAX_NR_ZONES);
	/* node 0's DMA zone keeps a reserve from NORMAL requests (lowmem_reserve_ratio 256) */
	assert_int_equal(zone_of(0, ZONE_DMA)->lowmem_reserve[ZONE_NORMAL],
			 (long)(zone_of(0, ZONE_NORMAL)->managed_pages / 256));
	free(text);
}

/* --- configuration checks --- */

static void expect_einval(struct kmb_mm_config *cfg, const char *words)
{
	int r;

	why[0] = 0;
	r = kmb_mm_setup(cfg, why, sizeof(why));
	if (r != -EINVAL) {
		if (!r)
			kmb_mm_teardown();
		fail_msg("kmb_mm_setup accepted a bad config (%d), expected -EINVAL about %s", r,
			 words);
	}
	if (!strstr(why, words))
		fail_msg("reason \"%s\" does not mention \"%s\"", why, words);
	/* nothing left behind */
	assert_null(kmb_memmap.vmemmap);
	assert_null(kmb_memmap.linear);
	assert_int_equal(kmb_mm_nr_nodes(), 0);
}

static void test_bad_config(void **state)
{
	struct kmb_mm_config cfg;

	(void)state;
	cfg = base_cfg(1, 0);
	cfg.node_mem = 6 * MiB;
	expect_einval(&cfg, "node memory");
	cfg.node_mem = NODE_MEM + PAGE_SIZE;
	expect_einval(&cfg, "node memory");

	cfg = base_cfg(KMB_MAX_NUMNODES + 1, 0);
	expect_einval(&cfg, "nodes");
	cfg = base_cfg(-1, 0);
	expect_einval(&cfg, "nodes");

	cfg = base_cfg(1, 8 * MiB);		/* below the 16 MiB DMA zone */
	expect_einval(&cfg, "low-memory limit");
	cfg = base_cfg(1, DMA_LIMIT);		/* no room above DMA */
	expect_einval(&cfg, "low-memory limit");
	cfg = base_cfg(1, 50 * MiB);		/* not a multiple of 4 MiB */
	expect_einval(&cfg, "low-memory limit");

	cfg = base_cfg(1, 0);
	cfg.dma_size = 6 * MiB;
	expect_einval(&cfg, "DMA");

	/* a good one still works afterwards, and a second setup is refused */
	cfg = base_cfg(1, LOWMEM_LIMIT);
	boot_pages(&cfg);
	assert_int_equal(kmb_mm_setup(&cfg, why, sizeof(why)), -EBUSY);
	check_mm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_highmem, teardown),
		cmocka_unit_test_teardown(test_highmem_node, teardown),
		cmocka_unit_test_teardown(test_highuser_fallback, teardown),
		cmocka_unit_test_teardown(test_kernel_fallback, teardown),
		cmocka_unit_test_teardown(test_dma, teardown),
		cmocka_unit_test_teardown(test_node_fallback, teardown),
		cmocka_unit_test_teardown(test_zoneinfo, teardown),
		cmocka_unit_test_teardown(test_bad_config, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
