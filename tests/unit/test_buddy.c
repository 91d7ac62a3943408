/*
 * test_buddy.c - correctness of the buddy page allocator through its public API (kmbench/mm.h):
 *
 *   boot          free + reserved frames add up to all frames; kmb_mm_check passes; buddyinfo
 *                 has the kernel's exact format and the order-10 counts the zones imply;
 *   memblock      the boot allocator returns zeroed, aligned, disjoint linear-map ranges that
 *                 stay reserved after mem_init() and are never handed out by the buddy lists;
 *   invariants    random alloc/free: no frame handed out twice, the checker passes, and
 *                 freeing everything coalesces back to the boot buddyinfo;
 *   model         random alloc/free of orders 0..10 against an independent frame-state model,
 *                 including when an allocation may fail (watermarks, lowmem reserve);
 *   threads       four threads allocate, fill, verify and free (and pass blocks to each other);
 *   refcounts     get_page/put_page: only the last reference frees the block (to the buddy
 *                 lists or a per-CPU list);
 *   zeroing and address conversions, get_order, statistics counters;
 *   vmstat        fragmentation and unusable-free indices of a hand-built free-list state,
 *                 against the formulas of mm/vmstat.c.
 *
 * Each test boots its own 64 MiB single-node machine and tears it down.  The random tests take
 * their seed from KMB_SEED (default fixed, so ctest is deterministic) and print it.
 *
 * Per-CPU page lists: every case that boots a machine runs them in KMB_TEST_PCP_MODE's mode
 * (tests/CMakeLists.txt runs this file once per mode) and says which mode ran; mm_test.h's
 * check_pcp_mode() fails the case when the mode was not applied.  Two exceptions: model runs
 * with the lists off whatever the variable says (it predicts each allocation from the buddy
 * lists alone, where a frame on a per-CPU list is neither free nor allocated), and get_order
 * boots nothing.
 */
#define _GNU_SOURCE		/* allocators/base/lib.h: sched_getcpu(), rseq */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmbench/mm.h"
#include "page_alloc.h"		/* allocators/page/: kmb_mm_internal */
#include "mm_test.h"

#define NODE_MEM	(64UL << 20)
#define NODE_FRAMES	(NODE_MEM >> PAGE_SHIFT)
#define DMA_FRAMES	((16UL << 20) >> PAGE_SHIFT)
#define NORETRY		(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)
#define DEFAULT_SEED	0x6b6d6231ULL

static char why[256];

/* --- helpers --- */

static struct kmb_mm_config base_cfg(int pcp)
{
	struct kmb_mm_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 1;
	cfg.node_mem = NODE_MEM;
	cfg.pcp = pcp;
	return cfg;
}

/* A growable array of allocated blocks. */
struct block {
	struct page *page;
	unsigned int order;
	unsigned int id;
};

struct blocks {
	struct block *b;
	size_t n, cap;
};

static void blocks_push(struct blocks *bs, struct page *page, unsigned int order, unsigned int id)
{
	if (bs->n == bs->cap) {
		bs->cap = bs->cap ? bs->cap * 2 : 1024;
		bs->b = realloc(bs->b, bs->cap * sizeof(*bs->b));
		assert_non_null(bs->b);
	}
	bs->b[bs->n++] = (struct block){ page, order, id };
}

static void blocks_free_all(struct blocks *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		__free_pages(bs->b[i].page, bs->b[i].order);
	free(bs->b);
	memset(bs, 0, sizeof(*bs));
}

/* Order-0 allocations until @gfp fails. */
static void grab_all(struct blocks *bs, gfp_t gfp)
{
	struct page *p;

	while ((p = alloc_pages(gfp, 0)))
		blocks_push(bs, p, 0, 0);
}

/* Every frame the buddy allocator manages, order 0: the watermark reserves too. */
static void grab_everything(struct blocks *bs)
{
	grab_all(bs, NORETRY);
	grab_all(bs, NORETRY | __GFP_MEMALLOC);
}

static unsigned long count_reserved_frames(void)
{
	unsigned long n = 0;

	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++)
		n += page_test(pfn_to_page(pfn), PG_reserved);
	return n;
}

/* The buddyinfo text as the kernel prints it, from the zones' counters. */
static char *expected_buddyinfo(void)
{
	size_t len = 4096, pos = 0;
	char *buf = malloc(len);

	assert_non_null(buf);
	buf[0] = 0;
	for (int n = 0; n < kmb_mm_nr_nodes(); n++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(n)->node_zones[z];

			if (!zone->managed_pages)
				continue;
			pos += (size_t)snprintf(buf + pos, len - pos, "Node %d, zone %8s ", n,
						zone->name);
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				pos += (size_t)snprintf(buf + pos, len - pos, "%6lu ",
							zone->free_area[o].nr_free);
			pos += (size_t)snprintf(buf + pos, len - pos, "\n");
			assert_true(pos < len);
		}
	return buf;
}

/* Everything given back: with the per-CPU lists drained, the allocator is intact and its free
 * lists are what @info0, a buddyinfo taken before, shows.  Frees @info0. */
static void check_buddyinfo_back(char *info0)
{
	char *info1;

	drain_all_pages(NULL);
	check_mm();
	info1 = show(kmb_show_buddyinfo);
	assert_string_equal(info1, info0);
	free(info0);
	free(info1);
}

/* A block fresh from the allocator: aligned to its order, inside memory, an allocated head. */
static void check_new_block(int step, struct page *p, unsigned int order)
{
	unsigned long pfn = page_to_pfn(p);

	if (pfn & ((1UL << order) - 1) || pfn + (1UL << order) > kmb_memmap.max_pfn)
		fail_msg("step %d: order-%u block at pfn %#lx misaligned or outside memory", step,
			 order, pfn);
	if (!page_test(p, PG_head) || p->order != order || page_count(p) != 1)
		fail_msg("step %d: order-%u block at pfn %#lx: flags %#lx order %u refcount %d",
			 step, order, pfn, p->flags, p->order, page_count(p));
}

/* --- boot --- */

static void test_boot(void **state)
{
	struct kmb_mm_config cfg = base_cfg(0);
	struct kmb_mm_stats st;
	char *info, *want, *line;
	int lines = 0;

	(void)state;
	boot_pages(&cfg);
	st = stats();
	assert_int_equal(kmb_memmap.max_pfn, NODE_FRAMES);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages + st.reserved_pages, kmb_memmap.max_pfn);
	assert_int_equal(st.managed_pages + st.reserved_pages, kmb_memmap.max_pfn);
	assert_int_equal(st.free_pages, st.managed_pages);
	/* memblock took exactly the memory map: a struct page per frame, rounded up to frames */
	assert_int_equal(st.reserved_pages, (NODE_FRAMES * sizeof(struct page) + PAGE_SIZE - 1) /
					    PAGE_SIZE);
	assert_int_equal(count_reserved_frames(), st.reserved_pages);
	check_mm();

	info = show(kmb_show_buddyinfo);
	want = expected_buddyinfo();
	assert_string_equal(info, want);

	/* one line per populated zone (DMA, Normal); the order-10 count is every 4 MiB block of
	 * the zone that holds no reserved frame: DMA 16 MiB = 4, Normal 48 MiB less the 1 MiB
	 * memory map (about 1 MiB) at its top (memblock allocates top-down) = 11 */
	for (line = info; *line; lines++) {
		char zname[16];
		unsigned long nr[NR_PAGE_ORDERS], blocks = 0;
		int node, used = 0;
		struct zone *z;

		assert_int_equal(sscanf(line, "Node %d, zone %15s %lu %lu %lu %lu %lu %lu %lu %lu "
					"%lu %lu %lu %n", &node, zname, &nr[0], &nr[1], &nr[2],
					&nr[3], &nr[4], &nr[5], &nr[6], &nr[7], &nr[8], &nr[9],
					&nr[10], &used), 13);
		assert_int_equal(node, 0);
		assert_true(lines < 2);
		z = &NODE_DATA(0)->node_zones[lines == 0 ? ZONE_DMA : ZONE_NORMAL];
		assert_string_equal(zname, z->name);
		for (unsigned long b = z->zone_start_pfn; b < z->zone_start_pfn + z->spanned_pages;
		     b += MAX_ORDER_NR_PAGES) {
			bool clean = true;

			for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++)
				clean &= !page_test(pfn_to_page(b + i), PG_reserved);
			blocks += clean;
		}
		assert_int_equal(nr[MAX_PAGE_ORDER], blocks);
		assert_int_equal(nr[MAX_PAGE_ORDER], lines == 0 ? 4 : 11);
		line += used;
		assert_int_equal(line[-1], '\n');
	}
	assert_int_equal(lines, 2);
	free(info);
	free(want);
}

/* --- memblock boot path --- */

struct early {
	void *p;
	size_t size, align;
	bool reserved;		/* memblock_reserve()d, not allocated: contents not ours */
};

static bool pfn_in_early(unsigned long pfn, const struct early *e, int n)
{
	for (int i = 0; i < n; i++) {
		phys_addr_t pa = kmb_pa(e[i].p);

		if (pfn >= pa >> PAGE_SHIFT && pfn <= (pa + e[i].size - 1) >> PAGE_SHIFT)
			return true;
	}
	return false;
}

/* Before mem_init every frame is reserved, with its node, zone and refcount 1: an early
 * allocation placed on the memory map would have zeroed some of them. */
static void check_boot_memmap(const char *after, const void *p)
{
	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++) {
		struct page *f = pfn_to_page(pfn);

		if (f->flags != 1UL << PG_reserved || f->node != 0 || page_count(f) != 1 ||
		    f->zone != (pfn < DMA_FRAMES ? ZONE_DMA : ZONE_NORMAL))
			fail_msg("after %s (pa %#llx): struct page of pfn %#lx overwritten: flags "
				 "%#lx node %d zone %d refcount %d", after,
				 p ? (unsigned long long)kmb_pa(p) : 0ULL, pfn, f->flags, f->node,
				 f->zone, page_count(f));
	}
}

static void test_memblock(void **state)
{
	struct kmb_mm_config cfg = base_cfg(0), asked;
	struct early e[10];
	unsigned long split_pfn = (20UL << 20 >> PAGE_SHIFT) + 1;
	bool split_seen = false;
	struct blocks bs = { 0 };
	struct kmb_mm_stats st;
	unsigned long early_frames = 0;
	unsigned char *probe;
	int n = 0;

	(void)state;
	asked = cfg;
	pcp_mode_from_env(&cfg);
	assert_int_equal(kmb_mm_setup(&cfg, why, sizeof(why)), 0);
	check_boot_memmap("setup", NULL);

	/* One at a time: an allocation on top of the memory map zeroes struct pages. */
	e[n++] = (struct early){ memblock_alloc(100, 64), 100, 64, false };
	check_boot_memmap("memblock_alloc(100, 64)", e[n - 1].p);
	e[n++] = (struct early){ alloc_bootmem(5000), 5000, SMP_CACHE_BYTES, false };
	check_boot_memmap("alloc_bootmem(5000)", e[n - 1].p);
	e[n++] = (struct early){ alloc_bootmem_pages(3 * PAGE_SIZE + 1), 3 * PAGE_SIZE + 1,
				 PAGE_SIZE, false };
	check_boot_memmap("alloc_bootmem_pages(3 pages + 1)", e[n - 1].p);
	e[n++] = (struct early){ memblock_alloc_node(8 * PAGE_SIZE, 8 * PAGE_SIZE, 0),
				 8 * PAGE_SIZE, 8 * PAGE_SIZE, false };
	check_boot_memmap("memblock_alloc_node(8 pages, 8 pages, 0)", e[n - 1].p);
	e[n++] = (struct early){ alloc_bootmem_low(200), 200, SMP_CACHE_BYTES, false };
	check_boot_memmap("alloc_bootmem_low(200)", e[n - 1].p);

	/* Zeroing: dirty a range, give it back, ask again: top-down, the same range comes back
	 * and must be zero. */
	probe = memblock_alloc(3 * PAGE_SIZE, PAGE_SIZE);
	assert_non_null(probe);
	memset(probe, 0xa5, 3 * PAGE_SIZE);
	memblock_free(probe, 3 * PAGE_SIZE);
	e[n++] = (struct early){ memblock_alloc(3 * PAGE_SIZE, PAGE_SIZE), 3 * PAGE_SIZE,
				 PAGE_SIZE, false };
	assert_ptr_equal(e[n - 1].p, probe);
	check_boot_memmap("memblock_free and memblock_alloc again", probe);

	/* Explicit reservations that start and end inside a frame: the frames they touch stay
	 * reserved.  A three-frame reservation with its middle frame given back: that one is
	 * the buddy allocator's after mem_init, the other two are not. */
	assert_int_equal(memblock_reserve((8UL << 20) + 100, 200), 0);
	e[n++] = (struct early){ kmb_va((8UL << 20) + 100), 200, 1, true };
	assert_int_equal(memblock_reserve((12UL << 20) - 100, 200), 0);
	e[n++] = (struct early){ kmb_va((12UL << 20) - 100), 200, 1, true };
	assert_int_equal(memblock_reserve(20UL << 20, 3 * PAGE_SIZE), 0);
	memblock_free(kmb_va((20UL << 20) + PAGE_SIZE), PAGE_SIZE);
	e[n++] = (struct early){ kmb_va(20UL << 20), PAGE_SIZE, 1, true };
	e[n++] = (struct early){ kmb_va((20UL << 20) + 2 * PAGE_SIZE), PAGE_SIZE, 1, true };
	check_boot_memmap("memblock_reserve", NULL);

	for (int i = 0; i < n; i++) {
		phys_addr_t pa;

		if (!e[i].p)
			fail_msg("early allocation %d returned NULL", i);
		pa = kmb_pa(e[i].p);
		assert_true(virt_addr_valid(e[i].p));
		assert_true(virt_addr_valid((char *)e[i].p + e[i].size - 1));
		if (pa % e[i].align)
			fail_msg("early allocation %d at %#llx not aligned to %zu", i,
				 (unsigned long long)pa, e[i].align);
		if (!e[i].reserved && !all_bytes(e[i].p, e[i].size, 0))
			fail_msg("early allocation %d at %#llx is not zeroed", i,
				 (unsigned long long)pa);
		for (int j = 0; j < i; j++) {
			phys_addr_t pb = kmb_pa(e[j].p);

			if (pa < pb + e[j].size && pb < pa + e[i].size)
				fail_msg("early allocations %d [%#llx+%zu] and %d [%#llx+%zu] "
					 "overlap", i, (unsigned long long)pa, e[i].size, j,
					 (unsigned long long)pb, e[j].size);
		}
	}
	assert_true(kmb_pa(e[4].p) + e[4].size <= 16UL << 20);	/* _low: below the DMA limit */

	/* Write every range: one on top of the memory map would corrupt struct pages, one on top
	 * of another range would change its pattern. */
	for (int i = 0; i < n; i++)
		memset(e[i].p, 0x30 + i, e[i].size);
	check_boot_memmap("writing every early range", NULL);
	for (int i = 0; i < n; i++)
		if (!all_bytes(e[i].p, e[i].size, (unsigned char)(0x30 + i)))
			fail_msg("early allocation %d overwritten by another", i);

	mem_init();
	check_pcp_mode(&asked);
	check_mm();
	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++)
		if (pfn_in_early(pfn, e, n)) {
			early_frames++;
			if (!page_test(pfn_to_page(pfn), PG_reserved))
				fail_msg("pfn %#lx of an early allocation is not PG_reserved", pfn);
		}
	st = stats();
	assert_int_equal(st.reserved_pages, count_reserved_frames());
	assert_true(st.reserved_pages >= early_frames +
					  NODE_FRAMES * sizeof(struct page) / PAGE_SIZE);

	/* The buddy allocator hands out every managed frame, and none of the early ones. */
	grab_everything(&bs);
	assert_int_equal(bs.n, st.managed_pages);
	for (size_t i = 0; i < bs.n; i++) {
		if (pfn_in_early(page_to_pfn(bs.b[i].page), e, n))
			fail_msg("buddy allocator handed out pfn %#lx of an early allocation",
				 page_to_pfn(bs.b[i].page));
		split_seen |= page_to_pfn(bs.b[i].page) == split_pfn;
	}
	assert_true(split_seen);	/* the frame memblock_free() gave back */
	for (int i = 0; i < n; i++)
		if (!all_bytes(e[i].p, e[i].size, (unsigned char)(0x30 + i)))
			fail_msg("early allocation %d changed after mem_init", i);

	/* memblock is closed after mem_init */
	assert_null(memblock_alloc(64, 64));
	assert_null(alloc_bootmem_pages(PAGE_SIZE));
	assert_null(memblock_alloc_node(PAGE_SIZE, PAGE_SIZE, 0));
	assert_true(memblock_reserve(PAGE_SIZE, PAGE_SIZE) < 0);
	blocks_free_all(&bs);
	check_mm();
	assert_int_equal(stats().free_pages + stats().pcp_pages, st.managed_pages);
}

/* --- invariants under random sequences (per-CPU lists in the run's mode) --- */

#define INV_STEPS	50000
#define INV_CHECK_EVERY	1000
#define INV_MAX_LIVE	2048

static unsigned int random_order(uint64_t *s)
{
	uint64_t r = rnd(s);

	return (r & 3) == 0 ? (unsigned int)((r >> 8) % NR_PAGE_ORDERS) :
			      (unsigned int)((r >> 8) % (PAGE_ALLOC_COSTLY_ORDER + 1));
}

static void test_invariants(void **state)
{
	struct kmb_mm_config cfg = base_cfg(1);
	uint64_t s = seed_from_env("invariants", DEFAULT_SEED);
	struct blocks bs = { 0 };
	unsigned char *live;
	unsigned long free0;
	char *info0;

	(void)state;
	boot_pages(&cfg);
	info0 = show(kmb_show_buddyinfo);
	free0 = stats().free_pages;
	live = calloc(kmb_memmap.max_pfn, 1);
	assert_non_null(live);

	for (int step = 0; step < INV_STEPS; step++) {
		if (bs.n < INV_MAX_LIVE && (bs.n == 0 || rnd(&s) % 100 < 55)) {
			unsigned int order = random_order(&s);
			struct page *p = alloc_pages_node(0, NORETRY, order);
			unsigned long pfn;

			if (!p)
				continue;
			check_new_block(step, p, order);
			pfn = page_to_pfn(p);
			for (unsigned long i = pfn; i < pfn + (1UL << order); i++) {
				if (live[i])
					fail_msg("step %d: pfn %#lx handed out twice", step, i);
				live[i] = 1;
			}
			blocks_push(&bs, p, order, 0);
		} else {
			size_t k = rnd(&s) % bs.n;
			struct block b = bs.b[k];

			bs.b[k] = bs.b[--bs.n];
			memset(&live[page_to_pfn(b.page)], 0, 1UL << b.order);
			__free_pages(b.page, b.order);
		}
		if (step % INV_CHECK_EVERY == 0)
			check_mm();
	}
	check_mm();
	blocks_free_all(&bs);
	check_buddyinfo_back(info0);
	assert_int_equal(stats().free_pages, free0);
	assert_int_equal(stats().pcp_pages, 0);
	free(live);
}

/* --- the model test --- */

#define MODEL_STEPS	50000
#define MODEL_MAX_LIVE	4096
#define FRAME_RESERVED	(-1)
#define FRAME_FREE	0

/* An independent picture of physical memory: one owner per frame, free counts per zone and
 * per 4 MiB block (to find free aligned runs quickly). */
struct model {
	int *owner;			/* FRAME_RESERVED, FRAME_FREE or the block's id */
	unsigned int *block_free;	/* free frames per MAX_ORDER_NR_PAGES block */
	unsigned long zone_free[MAX_NR_ZONES];
	unsigned long zone_start[MAX_NR_ZONES], zone_end[MAX_NR_ZONES];
};

static int model_zone(const struct model *m, unsigned long pfn)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (pfn >= m->zone_start[z] && pfn < m->zone_end[z])
			return z;
	return -1;
}

static void model_set(struct model *m, unsigned long pfn, unsigned int order, int owner)
{
	int z = model_zone(m, pfn);

	for (unsigned long i = pfn; i < pfn + (1UL << order); i++)
		m->owner[i] = owner;
	if (owner == FRAME_FREE) {
		m->zone_free[z] += 1UL << order;
		m->block_free[pfn / MAX_ORDER_NR_PAGES] += 1U << order;
	} else {
		m->zone_free[z] -= 1UL << order;
		m->block_free[pfn / MAX_ORDER_NR_PAGES] -= 1U << order;
	}
}

/* Is there a free, aligned run of 2^order frames in zone @z? */
static bool model_has_run(const struct model *m, int z, unsigned int order)
{
	unsigned long size = 1UL << order;

	for (unsigned long b = m->zone_start[z]; b < m->zone_end[z]; b += MAX_ORDER_NR_PAGES) {
		if (m->block_free[b / MAX_ORDER_NR_PAGES] < size)
			continue;
		for (unsigned long r = b; r < b + MAX_ORDER_NR_PAGES; r += size) {
			unsigned long i = r;

			while (i < r + size && m->owner[i] == FRAME_FREE)
				i++;
			if (i == r + size)
				return true;
		}
	}
	return false;
}

/* The zone's watermark check (__zone_watermark_ok) for a GFP_KERNEL request, on the model's
 * free count: the watermark and the lowmem reserve are the zone's configuration. */
static bool model_zone_ok(const struct model *m, int z, unsigned int order, enum zone_watermarks w)
{
	const struct zone *zone = &NODE_DATA(0)->node_zones[z];
	long free = (long)m->zone_free[z] - ((1L << order) - 1);

	if (!zone->managed_pages)
		return false;
	if (free <= (long)zone->_watermark[w] + zone->lowmem_reserve[ZONE_NORMAL])
		return false;
	return model_has_run(m, z, order);
}

/* The zone a GFP_KERNEL|__GFP_NORETRY request must come from, or -1 if it must fail: the fast
 * path takes the first zone of the zonelist (Normal, DMA) above its low watermark, the slow
 * path the first above its min watermark; there is nothing to reclaim. */
static int model_predict(const struct model *m, unsigned int order)
{
	static const int zonelist[] = { ZONE_NORMAL, ZONE_DMA };

	for (size_t i = 0; i < 2; i++)
		if (model_zone_ok(m, zonelist[i], order, WMARK_LOW))
			return zonelist[i];
	for (size_t i = 0; i < 2; i++)
		if (model_zone_ok(m, zonelist[i], order, WMARK_MIN))
			return zonelist[i];
	return -1;
}

/* One allocation, checked against the model's prediction; false if it (rightly) failed. */
static bool model_alloc(struct model *m, struct blocks *bs, unsigned int order, int step,
			unsigned int id)
{
	int want = model_predict(m, order);
	struct page *p = alloc_pages_node(0, NORETRY, order);
	unsigned long pfn;

	if (!p) {
		if (want >= 0)
			fail_msg("step %d: order-%u allocation failed, but zone %d has %lu free "
				 "frames above its watermark and a free aligned run", step, order,
				 want, m->zone_free[want]);
		return false;
	}
	pfn = page_to_pfn(p);
	if (want < 0)
		fail_msg("step %d: order-%u allocation at pfn %#lx succeeded; the model says "
			 "every zone is at its watermark or fragmented", step, order, pfn);
	check_new_block(step, p, order);
	for (unsigned long i = pfn; i < pfn + (1UL << order); i++)
		if (m->owner[i] != FRAME_FREE)
			fail_msg("step %d: order-%u block at pfn %#lx holds pfn %#lx, which the "
				 "model has as %s %d", step, order, pfn, i,
				 m->owner[i] < 0 ? "reserved" : "owned by block", m->owner[i]);
	if (page_zonenum(p) != (enum zone_type)want)
		fail_msg("step %d: order-%u block from zone %d, expected zone %d", step, order,
			 page_zonenum(p), want);
	model_set(m, pfn, order, (int)id);
	blocks_push(bs, p, order, id);
	return true;
}

/* The lists off (pcp -1) in every mode: a frame on a per-CPU list is neither free in the
 * buddy lists nor allocated, so the model could not predict the next allocation. */
static void test_model(void **state)
{
	struct kmb_mm_config cfg = base_cfg(-1);
	uint64_t s = seed_from_env("model", DEFAULT_SEED);
	struct blocks bs = { 0 };
	struct model m = { 0 };
	unsigned long fails = 0, allocs = 0, total_free = 0;
	unsigned int next_id = 1;
	char *info0;

	(void)state;
	cfg.min_free_kbytes = 128;
	boot_pages(&cfg);
	info0 = show(kmb_show_buddyinfo);
	m.owner = calloc(kmb_memmap.max_pfn, sizeof(*m.owner));
	m.block_free = calloc(kmb_memmap.max_pfn / MAX_ORDER_NR_PAGES, sizeof(*m.block_free));
	assert_non_null(m.owner);
	assert_non_null(m.block_free);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &NODE_DATA(0)->node_zones[z];

		m.zone_start[z] = zone->zone_start_pfn;
		m.zone_end[z] = zone->zone_start_pfn + zone->spanned_pages;
	}
	/* Boot state: every frame free but those memblock reserved. */
	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++) {
		if (page_test(pfn_to_page(pfn), PG_reserved)) {
			m.owner[pfn] = FRAME_RESERVED;
			continue;
		}
		model_set(&m, pfn, 0, FRAME_FREE);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		total_free += m.zone_free[z];
	assert_int_equal(total_free, stats().free_pages);

	for (int step = 0; step < MODEL_STEPS; step++) {
		if (bs.n < MODEL_MAX_LIVE && (bs.n == 0 || rnd(&s) % 100 < 60)) {
			allocs++;
			fails += !model_alloc(&m, &bs, random_order(&s), step, next_id++);
		} else {
			size_t k = rnd(&s) % bs.n;
			struct block b = bs.b[k];
			unsigned long pfn = page_to_pfn(b.page);

			for (unsigned long i = pfn; i < pfn + (1UL << b.order); i++)
				assert_int_equal(m.owner[i], b.id);
			bs.b[k] = bs.b[--bs.n];
			__free_pages(b.page, b.order);
			model_set(&m, pfn, b.order, FRAME_FREE);
		}
		total_free = 0;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			total_free += m.zone_free[z];
			assert_int_equal(m.zone_free[z],
					 zone_page_state(&NODE_DATA(0)->node_zones[z]));
		}
		assert_int_equal(stats().free_pages, total_free);
		if (step % INV_CHECK_EVERY == 0)
			check_mm();
	}
	printf("[ INFO     ] model: %lu allocations, %lu failed as the model predicted\n", allocs,
	       fails);
	/* the run must have reached the watermarks, or the failure half was never tested */
	assert_true(fails > 0);
	check_mm();
	blocks_free_all(&bs);
	check_buddyinfo_back(info0);
	free(m.owner);
	free(m.block_free);
}

/* --- threads --- */

#define MT_THREADS	4
#define MT_STEPS	1000000
#define MT_LIVE		64
#define MT_POOL		32

struct mt_block {
	struct page *page;
	unsigned int order;
	uint64_t tag;		/* the pattern every word of the block holds */
};

static struct {
	pthread_mutex_t lock;
	struct mt_block b[MT_POOL];
	int n;
} mt_pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct mt_arg {
	int tid;
	uint64_t seed;
	unsigned long allocs, fails, errors;
	char msg[160];
};

static void mt_error(struct mt_arg *a, const char *what, const struct mt_block *b)
{
	if (!a->errors++)
		snprintf(a->msg, sizeof(a->msg), "thread %d: %s: order-%u block at pfn %#lx tag "
			 "%#llx", a->tid, what, b->order, page_to_pfn(b->page),
			 (unsigned long long)b->tag);
}

/* The tag goes into the first and last word of every frame: enough to see a second owner,
 * cheap enough that the threads spend their time in the allocator, where the races are. */
#define MT_WORDS	(PAGE_SIZE / sizeof(uint64_t))

static void mt_fill(const struct mt_block *b)
{
	uint64_t *w = page_address(b->page);

	for (size_t f = 0; f < 1UL << b->order; f++) {
		w[f * MT_WORDS] = b->tag;
		w[f * MT_WORDS + MT_WORDS - 1] = b->tag;
	}
}

static void mt_verify_free(struct mt_arg *a, const struct mt_block *b)
{
	const uint64_t *w = page_address(b->page);

	for (size_t f = 0; f < 1UL << b->order; f++)
		if (w[f * MT_WORDS] != b->tag || w[f * MT_WORDS + MT_WORDS - 1] != b->tag) {
			mt_error(a, "block overwritten: handed out twice", b);
			break;
		}
	__free_pages(b->page, b->order);
}

static void *mt_thread(void *arg)
{
	struct mt_arg *a = arg;
	struct mt_block live[MT_LIVE];
	uint64_t s = a->seed, serial = 0;
	int n = 0;

	for (int step = 0; step < MT_STEPS; step++) {
		uint64_t r = rnd(&s);

		if (n < MT_LIVE && (n == 0 || r % 2)) {
			struct mt_block b;

			b.order = (unsigned int)((r >> 8) % 5);
			b.page = alloc_pages(NORETRY, b.order);
			b.tag = (uint64_t)(a->tid + 1) << 48 | ++serial;
			if (!b.page) {
				a->fails++;
				continue;
			}
			a->allocs++;
			if (page_to_pfn(b.page) & ((1UL << b.order) - 1) ||
			    page_count(b.page) != 1 || !page_address(b.page))
				mt_error(a, "bad block", &b);
			mt_fill(&b);
			live[n++] = b;
		} else {
			int k = (int)((r >> 8) % (uint64_t)n);
			struct mt_block b = live[k];
			bool passed = false;

			live[k] = live[--n];
			/* hand every fourth block to whichever thread frees from the pool next */
			if ((r >> 40) % 4 == 0) {
				pthread_mutex_lock(&mt_pool.lock);
				if (mt_pool.n < MT_POOL) {
					mt_pool.b[mt_pool.n++] = b;
					passed = true;
				}
				pthread_mutex_unlock(&mt_pool.lock);
			}
			if (!passed)
				mt_verify_free(a, &b);
			if ((r >> 44) % 4 == 0) {
				struct mt_block o = { 0 };

				pthread_mutex_lock(&mt_pool.lock);
				if (mt_pool.n)
					o = mt_pool.b[--mt_pool.n];
				pthread_mutex_unlock(&mt_pool.lock);
				if (o.page)
					mt_verify_free(a, &o);
			}
		}
	}
	while (n)
		mt_verify_free(a, &live[--n]);
	return NULL;
}

static void test_threads(void **state)
{
	struct kmb_mm_config cfg = base_cfg(1);
	uint64_t seed = seed_from_env("threads", DEFAULT_SEED);
	struct mt_arg args[MT_THREADS];
	pthread_t th[MT_THREADS];
	unsigned long free0;
	char *info0;

	(void)state;
	boot_pages(&cfg);
	info0 = show(kmb_show_buddyinfo);
	free0 = stats().free_pages;
	mt_pool.n = 0;
	for (int i = 0; i < MT_THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].tid = i;
		args[i].seed = seed + (uint64_t)i * 0x1000193;
		assert_int_equal(pthread_create(&th[i], NULL, mt_thread, &args[i]), 0);
	}
	for (int i = 0; i < MT_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	while (mt_pool.n)
		mt_verify_free(&args[0], &mt_pool.b[--mt_pool.n]);
	for (int i = 0; i < MT_THREADS; i++) {
		if (args[i].errors)
			fail_msg("%lu errors; first: %s", args[i].errors, args[i].msg);
		/* at most 4 * 64 blocks of 16 frames live: every request fits */
		assert_int_equal(args[i].fails, 0);
		assert_true(args[i].allocs > MT_STEPS / 4);
	}
	check_mm();
	check_buddyinfo_back(info0);
	assert_int_equal(stats().free_pages, free0);
}

/* --- references --- */

/* Frames free in the buddy lists or on a per-CPU list: a freed block is in one or the other,
 * whatever the mode of the lists. */
static unsigned long free_frames(void)
{
	struct kmb_mm_stats st = stats();

	return st.free_pages + st.pcp_pages;
}

static void test_refcount(void **state)
{
	struct kmb_mm_config cfg = base_cfg(0);
	unsigned long free0;
	struct page *p, *q;

	(void)state;
	boot_pages(&cfg);
	p = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(p);
	free0 = free_frames();
	assert_int_equal(page_count(p), 1);
	get_page(p);
	get_page(p);
	assert_int_equal(page_count(p), 3);
	put_page(p);
	assert_int_equal(page_count(p), 2);
	assert_int_equal(free_frames(), free0);
	assert_true(page_test(p, PG_head));
	__free_pages(p, 2);		/* a reference like any other */
	assert_int_equal(page_count(p), 1);
	assert_int_equal(free_frames(), free0);
	check_mm();
	put_page(p);			/* the last one frees all four frames */
	assert_int_equal(page_count(p), 0);
	assert_false(page_test(p, PG_head));
	assert_int_equal(free_frames(), free0 + 4);
	check_mm();

	/* order 0: put_page on a single reference frees at once */
	q = alloc_page(GFP_KERNEL);
	assert_non_null(q);
	assert_int_equal(free_frames(), free0 + 3);
	put_page(q);
	assert_int_equal(free_frames(), free0 + 4);
	check_mm();
}

/* --- zeroing, conversions, get_order --- */

static void test_zero(void **state)
{
	struct kmb_mm_config cfg = base_cfg(0);
	struct blocks bs = { 0 };
	struct page *dirty, *z3;
	unsigned long a, b;

	(void)state;
	boot_pages(&cfg);
	/* dirty every frame the allocator owns */
	grab_everything(&bs);
	assert_int_equal(bs.n, stats().managed_pages);
	for (size_t i = 0; i < bs.n; i++)
		memset(page_address(bs.b[i].page), 0x5a, PAGE_SIZE);
	blocks_free_all(&bs);

	/* precondition: memory comes back dirty without __GFP_ZERO */
	dirty = alloc_pages(GFP_KERNEL, 1);
	assert_non_null(dirty);
	assert_true(all_bytes(page_address(dirty), 2 * PAGE_SIZE, 0x5a));

	z3 = alloc_pages(GFP_KERNEL | __GFP_ZERO, 3);
	assert_non_null(z3);
	assert_true(all_bytes(page_address(z3), 8 * PAGE_SIZE, 0));
	a = get_zeroed_page(GFP_KERNEL);
	assert_true(a != 0);
	assert_true(all_bytes((void *)a, PAGE_SIZE, 0));
	b = __get_free_pages(GFP_KERNEL | __GFP_ZERO, 4);
	assert_true(b != 0);
	assert_true(all_bytes((void *)b, 16 * PAGE_SIZE, 0));

	/* dirty, free, and the same frames again zeroed (per-CPU lists are LIFO, but whichever
	 * frames come back, all of them were dirty) */
	memset((void *)a, 0x77, PAGE_SIZE);
	free_page(a);
	a = get_zeroed_page(GFP_KERNEL);
	assert_true(a != 0);
	assert_true(all_bytes((void *)a, PAGE_SIZE, 0));

	__free_pages(dirty, 1);
	__free_pages(z3, 3);
	free_page(a);
	free_pages(b, 4);
	free_pages(0, 3);		/* ignored */
	check_mm();
}

static void test_conversions(void **state)
{
	struct kmb_mm_config cfg = base_cfg(0);
	struct page *p;
	unsigned long pfn, addr;
	char *va;

	(void)state;
	boot_pages(&cfg);
	p = alloc_pages(GFP_KERNEL, 3);
	assert_non_null(p);
	pfn = page_to_pfn(p);
	va = page_address(p);
	assert_non_null(va);
	assert_true(pfn_valid(pfn));
	assert_false(pfn_valid(kmb_memmap.max_pfn));
	assert_ptr_equal(pfn_to_page(pfn), p);
	assert_ptr_equal(va, kmb_memmap.linear + (pfn << PAGE_SHIFT));
	for (unsigned long i = 0; i < 8; i++) {
		struct page *f = pfn_to_page(pfn + i);
		char *fva = va + i * PAGE_SIZE;

		assert_int_equal(page_to_pfn(f), pfn + i);
		assert_ptr_equal(page_address(f), fva);
		assert_ptr_equal(virt_to_page(fva), f);
		assert_ptr_equal(virt_to_page(fva + PAGE_SIZE - 1), f);
		assert_int_equal(virt_to_phys(fva), page_to_phys(f));
		assert_int_equal(page_to_phys(f), (phys_addr_t)(pfn + i) << PAGE_SHIFT);
		assert_ptr_equal(phys_to_virt(page_to_phys(f)), fva);
		assert_true(virt_addr_valid(fva));
		assert_int_equal(page_to_nid(f), 0);
		assert_false(PageHighMem(f));
	}
	assert_false(virt_addr_valid(kmb_memmap.linear + (kmb_memmap.max_low_pfn << PAGE_SHIFT)));
	assert_false(virt_addr_valid(kmb_memmap.linear - 1));
	__free_pages(p, 3);

	addr = __get_free_pages(GFP_KERNEL, 1);
	assert_true(addr != 0);
	p = virt_to_page((void *)addr);
	assert_true(page_test(p, PG_head));
	assert_int_equal(p->order, 1);
	assert_int_equal(page_count(p), 1);
	free_pages(addr, 1);
	assert_false(page_test(p, PG_head));
	check_mm();
}

static void test_get_order(void **state)
{
	static const struct {
		unsigned long size;
		unsigned int order;
	} t[] = {
		{ 0, 0 }, { 1, 0 }, { 4095, 0 }, { 4096, 0 }, { 4097, 1 }, { 8192, 1 },
		{ 8193, 2 }, { 16384, 2 }, { 1UL << 20, 8 }, { (4UL << 20) - 1, 10 },
		{ 4UL << 20, 10 }, { (4UL << 20) + 1, 11 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (get_order(t[i].size) != t[i].order)
			fail_msg("get_order(%lu) = %u, expected %u", t[i].size,
				 get_order(t[i].size), t[i].order);
}

/* --- statistics --- */

static void test_stats(void **state)
{
	static const unsigned int orders[] = { 0, 0, 0, 2, 5, 5, 3, 10 };
	struct kmb_mm_config cfg = base_cfg(0);
	struct page *p[sizeof(orders) / sizeof(orders[0])];
	struct kmb_mm_stats s0, s1, s2;
	unsigned long used = 0, want[NR_PAGE_ORDERS] = { 0 };
	const size_t n = sizeof(orders) / sizeof(orders[0]);

	(void)state;
	boot_pages(&cfg);
	s0 = stats();
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		assert_int_equal(s0.pgalloc[o], 0);
	assert_int_equal(s0.pgfree, 0);
	for (size_t i = 0; i < n; i++) {
		p[i] = alloc_pages(GFP_KERNEL, orders[i]);
		assert_non_null(p[i]);
		used += 1UL << orders[i];
		want[orders[i]]++;
	}
	s1 = stats();
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		if (s1.pgalloc[o] != s0.pgalloc[o] + want[o])
			fail_msg("pgalloc[%d] is %lu, expected %lu", o, s1.pgalloc[o],
				 s0.pgalloc[o] + want[o]);
	assert_int_equal(s1.pgfree, s0.pgfree);
	assert_int_equal(s1.free_pages + s1.pcp_pages + used, s1.managed_pages);
	assert_int_equal(s1.alloc_fail, s0.alloc_fail);

	for (size_t i = 0; i < n; i++)
		__free_pages(p[i], orders[i]);
	s2 = stats();
	assert_int_equal(s2.pgfree, s0.pgfree + n);
	assert_int_equal(s2.free_pages + s2.pcp_pages, s2.managed_pages);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		assert_int_equal(s2.pgalloc[o], s1.pgalloc[o]);

	/* an impossible order fails and is counted, nothing else moves */
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	s1 = stats();
	assert_int_equal(s1.alloc_fail, s2.alloc_fail + 1);
	assert_int_equal(s1.pgfree, s2.pgfree);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		assert_int_equal(s1.pgalloc[o], s2.pgalloc[o]);
	assert_int_equal(s1.bad_page, 0);
}

/* --- vmstat fragmentation indices --- */

/* What mm/vmstat.c computes from a contig_page_info, written out again here. */
static int want_frag(unsigned int order, unsigned long free, unsigned long total,
		     unsigned long suitable)
{
	if (!total)
		return 0;
	if (suitable)
		return -1000;
	return 1000 - (int)((1000 + free * 1000 / (1UL << order)) / total);
}

static int want_unusable(unsigned int order, unsigned long free, unsigned long suitable)
{
	if (!free)
		return 1000;
	return (int)((free - (suitable << order)) * 1000 / free);
}

/* Free blocks per zone as this test builds them: @f0 single frames and @g3 order-3 blocks. */
static void frag_counts(unsigned int order, unsigned long f0, unsigned long g3,
			unsigned long *free, unsigned long *total, unsigned long *suitable)
{
	*free = f0 + 8 * g3;
	*total = f0 + g3;
	*suitable = (order == 0 ? f0 : 0) + (order <= 3 ? g3 << (3 - order) : 0);
}

static char *want_index_table(unsigned long f0[MAX_NR_ZONES], unsigned long g3[MAX_NR_ZONES],
			      bool extfrag)
{
	size_t len = 4096, pos = 0;
	char *buf = malloc(len);

	assert_non_null(buf);
	buf[0] = 0;
	for (int z = ZONE_DMA; z <= ZONE_NORMAL; z++) {
		pos += (size_t)snprintf(buf + pos, len - pos, "Node 0, zone %8s ",
					z == ZONE_DMA ? "DMA" : "Normal");
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned long fr, tot, su;
			int idx;

			frag_counts(o, f0[z], g3[z], &fr, &tot, &su);
			idx = extfrag ? want_frag(o, fr, tot, su) : want_unusable(o, fr, su);
			pos += (size_t)snprintf(buf + pos, len - pos, "%2d.%03d ", idx / 1000,
						idx % 1000);
		}
		pos += (size_t)snprintf(buf + pos, len - pos, "\n");
	}
	return buf;
}

static void test_vmstat_index(void **state)
{
	struct kmb_mm_config cfg = base_cfg(0);
	struct blocks bs = { 0 };
	unsigned long f0[MAX_NR_ZONES] = { 0 }, g3[MAX_NR_ZONES] = { 0 };
	unsigned char *mine;
	size_t kept = 0;
	char *text, *want;

	(void)state;
	boot_pages(&cfg);
	grab_everything(&bs);
	assert_int_equal(stats().free_pages, 0);
	/* nothing free: index 0 (no blocks at all), everything "unusable" */
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		assert_int_equal(kmb_fragmentation_index(-1, ZONE_NORMAL, o), 0);
		assert_int_equal(kmb_unusable_index(-1, ZONE_NORMAL, o), 1000);
	}

	/* Free every even frame, and all eight frames of every sixteenth aligned group of 8:
	 * the even frames' buddies stay allocated, so they are order-0 blocks; the groups' buddy
	 * groups are not free, so they are order-3 blocks. */
	mine = calloc(kmb_memmap.max_pfn, 1);
	assert_non_null(mine);
	for (size_t i = 0; i < bs.n; i++)
		mine[page_to_pfn(bs.b[i].page)] = 1;
	for (unsigned long g = 0; g < kmb_memmap.max_pfn / 8; g += 16) {
		bool full = true;

		for (unsigned long i = g * 8; i < g * 8 + 8; i++)
			full &= mine[i];
		if (full)
			g3[pfn_to_page(g * 8)->zone]++;
	}
	for (size_t i = 0; i < bs.n; i++) {
		unsigned long pfn = page_to_pfn(bs.b[i].page), g = pfn / 8;
		bool in_group = g % 16 == 0 && mine[g * 8] && mine[g * 8 + 1] && mine[g * 8 + 2] &&
				mine[g * 8 + 3] && mine[g * 8 + 4] && mine[g * 8 + 5] &&
				mine[g * 8 + 6] && mine[g * 8 + 7];

		if (in_group || pfn % 2 == 0) {
			if (!in_group)
				f0[bs.b[i].page->zone]++;
			__free_pages(bs.b[i].page, 0);
		} else {
			bs.b[kept++] = bs.b[i];
		}
	}
	bs.n = kept;
	drain_all_pages(NULL);
	check_mm();
	assert_true(f0[ZONE_DMA] > 0 && f0[ZONE_NORMAL] > 0);
	assert_true(g3[ZONE_DMA] > 0 && g3[ZONE_NORMAL] > 0);
	for (int z = ZONE_DMA; z <= ZONE_NORMAL; z++) {
		const struct zone *zone = &NODE_DATA(0)->node_zones[z];

		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
			if (zone->free_area[o].nr_free != (o == 0 ? f0[z] : o == 3 ? g3[z] : 0))
				fail_msg("zone %s order %u: %lu free blocks, expected %lu",
					 zone->name, o, zone->free_area[o].nr_free,
					 o == 0 ? f0[z] : o == 3 ? g3[z] : 0UL);
	}

	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long fr, tot, su;

		/* each zone */
		for (int z = ZONE_DMA; z <= ZONE_NORMAL; z++) {
			frag_counts(o, f0[z], g3[z], &fr, &tot, &su);
			assert_int_equal(kmb_fragmentation_index(0, (enum zone_type)z, o),
					 want_frag(o, fr, tot, su));
			assert_int_equal(kmb_unusable_index(0, (enum zone_type)z, o),
					 want_unusable(o, fr, su));
		}
		/* all zones together */
		frag_counts(o, f0[ZONE_DMA] + f0[ZONE_NORMAL], g3[ZONE_DMA] + g3[ZONE_NORMAL], &fr,
			    &tot, &su);
		assert_int_equal(kmb_fragmentation_index(-1, ZONE_NORMAL, o),
				 want_frag(o, fr, tot, su));
		assert_int_equal(kmb_unusable_index(-1, ZONE_NORMAL, o), want_unusable(o, fr, su));
	}
	/* a value worked by hand: DMA has 512 groups of 8 frames, 32 of them freed whole, and
	 * 2048 - 32 * 4 = 1920 lone even frames; order 4: 1000 - (1000 + 2176 * 1000 / 16) /
	 * 1952 = 1000 - 137000 / 1952 = 930; unusable for order 3: 1920 * 1000 / 2176 = 882 */
	assert_int_equal(f0[ZONE_DMA], 1920);
	assert_int_equal(g3[ZONE_DMA], 32);
	assert_int_equal(kmb_fragmentation_index(0, ZONE_DMA, 4), 930);
	assert_int_equal(kmb_unusable_index(0, ZONE_DMA, 3), 882);
	assert_int_equal(kmb_fragmentation_index(0, ZONE_DMA, 3), -1000);

	text = show(kmb_show_extfrag_index);
	want = want_index_table(f0, g3, true);
	assert_string_equal(text, want);
	assert_non_null(strstr(text, "-1.000 -1.000 -1.000 -1.000  0.930 "));
	free(text);
	free(want);
	text = show(kmb_show_unusable_index);
	want = want_index_table(f0, g3, false);
	assert_string_equal(text, want);
	free(text);
	free(want);

	blocks_free_all(&bs);
	free(mine);
	check_mm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_boot, teardown),
		cmocka_unit_test_teardown(test_memblock, teardown),
		cmocka_unit_test_teardown(test_invariants, teardown),
		cmocka_unit_test_teardown(test_model, teardown),
		cmocka_unit_test_teardown(test_threads, teardown),
		cmocka_unit_test_teardown(test_refcount, teardown),
		cmocka_unit_test_teardown(test_zero, teardown),
		cmocka_unit_test_teardown(test_conversions, teardown),
		cmocka_unit_test(test_get_order),
		cmocka_unit_test_teardown(test_stats, teardown),
		cmocka_unit_test_teardown(test_vmstat_index, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
