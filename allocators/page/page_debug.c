/*
 * page_debug.c - misuse reports, allocation-failure warnings, GFP flag names and the invariant
 * check of the page allocator.  Nothing here is on a fast path.
 *
 * Reports go to stderr, one "kmbench: " prefixed line each, in the shape of the kernel's
 * bad_page() / dump_page() and warn_alloc() / show_free_areas() output.  A misuse report ends in
 * base's kmb_misuse_end(), the policy of every layer: the process stops (abort) when
 * kmb_mm_config.debug says so (by default in debug builds); otherwise the offending free is
 * refused and counted (kmb_mm_stats.bad_page), and the run goes on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_alloc.h"

/* --- GFP names --- */

/* gfpflag_names (mm/debug.c): kmbench/gfp.h's KMB_GFP_NAMES, the kernel's order. */
static const struct {
	gfp_t mask;
	const char *name;
} gfp_names[] = {
#define GFP_NAME(flag) { flag, #flag },
	KMB_GFP_NAMES(GFP_NAME)
#undef GFP_NAME
};

/*
 * As lib/vsprintf.c's format_flags() writes %pGg: each name whose whole mask is still set, in
 * the table's order, its bits then cleared; "|" between; the bits no name covers last, as
 * "0x..." in lowercase hex.  No flags at all write nothing (the tracepoints' show_gfp_flags()
 * writes "none" there; %pGg, which warn_alloc uses, does not).
 */
size_t kmb_gfp_format(char *buf, size_t len, gfp_t gfp)
{
	size_t pos = 0;

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && gfp; i++) {
		if ((gfp & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		gfp &= ~gfp_names[i].mask;
		pos += (size_t)snprintf(buf + (pos < len ? pos : len), pos < len ? len - pos : 0,
					"%s%s", gfp_names[i].name, gfp ? "|" : "");
	}
	if (gfp)
		pos += (size_t)snprintf(buf + (pos < len ? pos : len), pos < len ? len - pos : 0,
					"%#x", gfp);
	return pos;
}

/* --- reports --- */


static const char *comm(void)
{
	static _Thread_local char name[17];

	if (kmb_thread_name(name))
		snprintf(name, sizeof(name), "?");
	return name;
}

static void flag_names(char *buf, size_t len, unsigned long flags)
{
	static const char *const names[NR_PAGEFLAGS] = {
		"reserved", "buddy", "head", "pcp", "slab", "bad", "workingset",
	};
	size_t pos = 0;

	buf[0] = 0;
	for (int f = 0; f < NR_PAGEFLAGS; f++)
		if (flags & PG_mask(f))
			pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0, "%s%s",
						pos ? "|" : "", names[f]);
}

/* The block that contains @pfn: its head and state, found by trying each order's alignment. */
static void describe_state(char *buf, size_t len, struct page *page)
{
	unsigned long pfn = page_to_pfn(page), f = page->flags & PG_STATE_MASK;

	if (f & PG_mask(PG_reserved)) {
		snprintf(buf, len, "frame is reserved (memblock, memory map): the buddy allocator "
			 "does not own it");
		return;
	}
	if (f & PG_mask(PG_slab)) {
		snprintf(buf, len, "frame belongs to the slab layer");
		return;
	}
	if (f & PG_mask(PG_buddy)) {
		snprintf(buf, len, "double free: frame is the head of a free order-%u block",
			 page->order);
		return;
	}
	if (f & PG_mask(PG_pcp)) {
		snprintf(buf, len, "double free: frame heads a free order-%u block on a per-CPU "
			 "list", page->order);
		return;
	}
	if (f & PG_mask(PG_head)) {
		snprintf(buf, len, "frame heads an allocated order-%u block", page->order);
		return;
	}
	for (unsigned int o = 1; o <= MAX_PAGE_ORDER; o++) {
		unsigned long head_pfn = pfn & ~((1UL << o) - 1);
		struct page *h = pfn_to_page(head_pfn);

		if (head_pfn == pfn || !(h->flags & PG_STATE_MASK) || h->order < o)
			continue;
		if (h->flags & (PG_mask(PG_buddy) | PG_mask(PG_pcp)))
			snprintf(buf, len, "double free: frame is free, inside the free order-%u "
				 "block at pfn:%#lx", h->order, head_pfn);
		else if (h->flags & PG_mask(PG_head))
			snprintf(buf, len, "not a block head: frame is inside the allocated "
				 "order-%u block at pfn:%#lx", h->order, head_pfn);
		else
			snprintf(buf, len, "frame is inside a reserved range at pfn:%#lx",
				 head_pfn);
		return;
	}
	snprintf(buf, len, "frame is in no block");
}

static void misuse_end(void)
{
	kmb_misuse_end(KMB_LAYER_PAGE, "the free was refused; the frame is left as it was");
}

void bad_page(struct page *page, const char *reason, unsigned int order, const void *caller)
{
	char state[160], flags[96], who[256], last[256];

	describe_state(state, sizeof(state), page);
	flag_names(flags, sizeof(flags), page->flags);
	kmb_describe_caller(who, sizeof(who), caller);
	kmb_describe_caller(last, sizeof(last), (const void *)page->caller);
	kmb_report("BUG: Bad page state in process %s  pfn:%05lx", comm(), page_to_pfn(page));
	kmb_report("page:%p refcount:%d order:%u node:%d zone:%s flags:%#lx(%s)", (void *)page,
	       page_count(page), page->order, page->node,
	       page->zone == ZONE_DMA ? "DMA" : page->zone == ZONE_NORMAL ? "Normal" : "HighMem",
	       page->flags, flags);
	if (reason) {
		kmb_report("page dumped because: %s", reason);
		kmb_report("state: %s", state);
	} else if ((page->flags & PG_STATE_MASK) == PG_mask(PG_head) && page->order != order) {
		kmb_report("page dumped because: free with the wrong order: allocated as order %u, "
		       "freed as order %u", page->order, order);
	} else {
		kmb_report("page dumped because: %s", state);
	}
	kmb_report("caller: %s", who);
	if (page->caller)
		kmb_report("last allocation or free of this frame: %s", last);
	misuse_end();
}

void bad_address(const void *addr, const char *reason, const void *caller)
{
	char who[256];

	kmb_describe_caller(who, sizeof(who), caller);
	kmb_report("BUG: Bad page address in process %s  addr:%p", comm(), addr);
	kmb_report("page dumped because: %s", reason);
	kmb_report("caller: %s", who);
	misuse_end();
}

/* nopage_rs: DEFAULT_RATELIMIT_INTERVAL (5 s), DEFAULT_RATELIMIT_BURST (10) */
static struct ratelimit_state nopage_rs = RATELIMIT_STATE_INIT(5000, 10);

void warn_alloc(gfp_t gfp, unsigned int order, int nid, const char *why)
{
	char mode[256];

	if (!kmb_ratelimit(&nopage_rs)) {
		atomic_fetch_add_explicit(&kmb_mm.warn_suppressed, 1, memory_order_relaxed);
		return;
	}
	kmb_gfp_format(mode, sizeof(mode), gfp);
	kmb_report("%s: page allocation failure: order:%u, mode:%#x(%s), nid=%d%s%s", comm(), order,
	       gfp, mode, nid, why ? ": " : "", why ? why : "");
	if (!kmb_mm.booted)
		return;
	/* show_free_areas(): per zone, the counts and the free blocks per order */
	for (int n = 0; n < kmb_mm.nr_nodes; n++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(n)->node_zones[z];
			char line[512];
			size_t pos = 0;
			unsigned long total = 0;

			if (!populated_zone(zone))
				continue;
			kmb_report("Node %d %s free:%lukB min:%lukB low:%lukB high:%lukB managed:%lukB",
			       n, zone->name, zone_page_state(zone) * 4,
			       zone->_watermark[WMARK_MIN] * 4, zone->_watermark[WMARK_LOW] * 4,
			       zone->_watermark[WMARK_HIGH] * 4, zone->managed_pages * 4);
			for (int o = 0; o < NR_PAGE_ORDERS; o++) {
				unsigned long nr = zone->free_area[o].nr_free;

				total += nr << o;
				pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "%lu*%lukB ",
							nr, 4UL << o);
			}
			kmb_report("Node %d %s: %s= %lukB", n, zone->name, line, total * 4);
		}
}

/* --- kmb_mm_check --- */

static int check_zone_lists(struct zone *z, char *why, size_t whylen,
			    unsigned long blocks[NR_PAGE_ORDERS])
{
	unsigned long pages = 0;

	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		struct free_area *area = &z->free_area[o];
		unsigned long n = 0;
		struct list_head *pos;

		list_for_each(pos, &area->free_list) {
			struct page *p = list_entry(pos, struct page, lru);
			unsigned long pfn = page_to_pfn(p), bpfn = pfn ^ (1UL << o);

			CHECK(n < z->spanned_pages, "node %d %s order %u: free list loops",
			      z->node, z->name, o);
			CHECK((p->flags & PG_STATE_MASK) == PG_mask(PG_buddy) && p->order == o,
			      "node %d %s order %u: pfn %#lx on the free list has flags %#lx "
			      "order %u", z->node, z->name, o, pfn, p->flags, p->order);
			CHECK(!(pfn & ((1UL << o) - 1)) && pfn >= z->zone_start_pfn &&
			      pfn + (1UL << o) <= z->zone_start_pfn + z->spanned_pages,
			      "node %d %s order %u: block at pfn %#lx misaligned or outside the "
			      "zone", z->node, z->name, o, pfn);
			if (o < MAX_PAGE_ORDER) {
				struct page *b = pfn_to_page(bpfn);

				CHECK(!((b->flags & PG_STATE_MASK) == PG_mask(PG_buddy) &&
					b->order == o),
				      "node %d %s: buddies %#lx and %#lx are both free at order "
				      "%u and not merged", z->node, z->name, pfn, bpfn, o);
			}
			n++;
		}
		CHECK(n == area->nr_free, "node %d %s order %u: %lu blocks on the list, nr_free "
		      "says %lu", z->node, z->name, o, n, area->nr_free);
		blocks[o] = n;
		pages += n << o;
	}
	CHECK(pages == zone_page_state(z), "node %d %s: free lists hold %lu pages, free_pages "
	      "says %lu", z->node, z->name, pages, zone_page_state(z));
	return 0;
}

/* What check_pcp gathers over a zone's per-CPU (or per-thread) lists. */
struct pcp_check {
	char *why;
	size_t whylen;
	unsigned long blocks[NR_PCP_LISTS];	/* on the stacks, per order */
	struct page **seen;			/* every block on them: one listed twice? */
	size_t nseen, cap;
	bool nomem;
};

static int page_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct page *const *)a, y = (uintptr_t)*(struct page *const *)b;

	return x < y ? -1 : x > y;
}

/* No block on two lists (or twice on one): with the per-order counts equal to the PG_pcp
 * blocks of mem_map, the lists and those blocks match one to one. */
static int check_pcp_unique(struct zone *z, struct pcp_check *pc)
{
	char *why = pc->why;
	size_t whylen = pc->whylen;

	if (pc->nomem || pc->nseen < 2)
		return 0;
	qsort(pc->seen, pc->nseen, sizeof(pc->seen[0]), page_ptr_cmp);
	for (size_t i = 1; i < pc->nseen; i++)
		CHECK(pc->seen[i] != pc->seen[i - 1], "node %d %s: pfn %#lx is on the per-CPU "
		      "lists twice", z->node, z->name, page_to_pfn(pc->seen[i]));
	return 0;
}

static void pcp_owner(char *buf, size_t len, int who)
{
	if (who >= 0)
		snprintf(buf, len, "cpu %d", who);
	else
		snprintf(buf, len, "thread %d", -who);
}

/* One list: well-formed stacks of PG_pcp blocks of their order, in this zone. */
static int check_pcp(struct zone *z, struct per_cpu_pages *pcp, int who, void *arg)
{
	struct pcp_check *pc = arg;
	char *why = pc->why, owner[24];
	size_t whylen = pc->whylen;

	pcp_owner(owner, sizeof(owner), who);
	for (unsigned int o = 0; o < NR_PCP_LISTS; o++) {
		const struct pcp_stack *st = pcp->stacks[o];

		CHECK(st->count <= st->capacity, "node %d %s %s: order-%u per-CPU list holds %u "
		      "blocks, more than its %u", z->node, z->name, owner, o, st->count,
		      st->capacity);
		for (uint32_t i = 0; i < st->count; i++) {
			struct page *p = st->pages[i];
			uintptr_t off = (uintptr_t)p - (uintptr_t)kmb_memmap.vmemmap;

			CHECK((uintptr_t)p >= (uintptr_t)kmb_memmap.vmemmap &&
			      off % sizeof(struct page) == 0 &&
			      off / sizeof(struct page) < kmb_memmap.max_pfn,
			      "node %d %s %s: order-%u per-CPU list holds %p, not a frame", z->node,
			      z->name, owner, o, (void *)p);
			CHECK((p->flags & PG_STATE_MASK) == PG_mask(PG_pcp) && p->order == o &&
			      page_zone(p) == z,
			      "node %d %s %s: pfn %#lx on the order-%u per-CPU list has flags %#lx "
			      "order %u", z->node, z->name, owner, page_to_pfn(p), o, p->flags,
			      p->order);
			CHECK(page_count(p) == 0, "node %d %s %s: pfn %#lx on the order-%u per-CPU "
			      "list has refcount %d", z->node, z->name, owner, page_to_pfn(p), o,
			      page_count(p));
			if (pc->nseen == pc->cap && !pc->nomem) {
				size_t cap = pc->cap ? pc->cap * 2 : 1024;
				struct page **seen = realloc(pc->seen, cap * sizeof(*seen));

				pc->nomem = !seen;	/* then the duplicate test is skipped */
				if (seen) {
					pc->seen = seen;
					pc->cap = cap;
				}
			}
			if (!pc->nomem)
				pc->seen[pc->nseen++] = p;
		}
		pc->blocks[o] += st->count;
	}
	return 0;
}

/* Walk the zone frame by frame: every frame belongs to exactly one block. */
static int check_zone_frames(struct zone *z, char *why, size_t whylen,
			     const unsigned long blocks[NR_PAGE_ORDERS],
			     const unsigned long pcp_blocks[NR_PCP_LISTS])
{
	unsigned long end = z->zone_start_pfn + z->spanned_pages, seen[NR_PAGE_ORDERS] = { 0 };
	unsigned long seen_pcp[NR_PAGE_ORDERS] = { 0 };

	for (unsigned long pfn = z->zone_start_pfn; pfn < end;) {
		struct page *p = pfn_to_page(pfn);
		unsigned long f = p->flags & PG_STATE_MASK;
		unsigned int o = p->order;

		CHECK(p->node == z->node && p->zone == z->idx, "pfn %#lx: node/zone %d/%d in a "
		      "frame of node %d zone %s", pfn, p->node, p->zone, z->node, z->name);
		if (f == PG_mask(PG_reserved)) {
			pfn++;
			continue;
		}
		CHECK(f == PG_mask(PG_buddy) || f == PG_mask(PG_pcp) || f == PG_mask(PG_head) ||
		      f == (PG_mask(PG_head) | PG_mask(PG_slab)),
		      "node %d %s: pfn %#lx is in no block (flags %#lx): a frame was lost or "
		      "handed out twice", z->node, z->name, pfn, p->flags);
		CHECK(o <= MAX_PAGE_ORDER && !(pfn & ((1UL << o) - 1)) && pfn + (1UL << o) <= end,
		      "node %d %s: block at pfn %#lx has order %u: misaligned or past the zone",
		      z->node, z->name, pfn, o);
		for (unsigned long i = 1; i < (1UL << o); i++)
			CHECK(!(p[i].flags & PG_STATE_MASK), "node %d %s: pfn %#lx inside the "
			      "order-%u block at %#lx has flags %#lx: blocks overlap", z->node,
			      z->name, pfn + i, o, pfn, p[i].flags);
		CHECK(f != PG_mask(PG_buddy) || page_count(p) == 0, "node %d %s: free block at "
		      "pfn %#lx has refcount %d", z->node, z->name, pfn, page_count(p));
		CHECK(!(f & PG_mask(PG_head)) || page_count(p) > 0, "node %d %s: allocated block "
		      "at pfn %#lx has refcount %d", z->node, z->name, pfn, page_count(p));
		if (f == PG_mask(PG_buddy))
			seen[o]++;
		if (f == PG_mask(PG_pcp))
			seen_pcp[o]++;
		pfn += 1UL << o;
	}
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long on_pcp = o < NR_PCP_LISTS ? pcp_blocks[o] : 0;

		CHECK(seen[o] == blocks[o], "node %d %s order %u: %lu free blocks in mem_map, %lu "
		      "on the list", z->node, z->name, o, seen[o], blocks[o]);
		/* Equal counts and the stacks' own check: each PG_pcp block is on one stack. */
		CHECK(seen_pcp[o] == on_pcp, "node %d %s order %u: %lu PG_pcp blocks in mem_map, "
		      "%lu on the per-CPU lists: a block is lost or on two lists", z->node,
		      z->name, o, seen_pcp[o], on_pcp);
	}
	return 0;
}

int kmb_mm_check(char *why, size_t whylen)
{
	CHECK(kmb_mm.booted, "mm: not initialised");
	for (int n = 0; n < kmb_mm.nr_nodes; n++)
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &NODE_DATA(n)->node_zones[zi];
			struct pcp_check pc = { .why = why, .whylen = whylen };
			unsigned long blocks[NR_PAGE_ORDERS];
			int r;

			/* The lists first, each owned while it is read (lock order: a list, then
			 * the zone); the caller keeps every other thread out meanwhile. */
			r = pcp_for_each(z, PCP_OWN, check_pcp, &pc);
			if (!r)
				r = check_pcp_unique(z, &pc);
			free(pc.seen);
			if (r)
				return r;
			spin_lock(&z->lock);
			r = check_zone_lists(z, why, whylen, blocks);
			if (!r)
				r = check_zone_frames(z, why, whylen, blocks, pc.blocks);
			spin_unlock(&z->lock);
			if (r)
				return r;
		}
	return 0;
}
