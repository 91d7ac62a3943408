/*
 * test_numa_policy.c - every node policy places pages where it says, on a machine with several
 * nodes, as the malloc baselines get it: the thread's memory policy (kmb_mpol_apply_self,
 * set_mempolicy(2)), then fresh pages touched, then where they are asked of the kernel twice
 * (move_pages through the placement check, and get_mempolicy per page).
 *
 * From a thread on each node with CPUs (h): local puts every page on h; node:N and
 * preferred:N on N, for every node with memory; remote on the node farthest from h by
 * /sys/devices/system/node/node<h>/distance (which kmb_numa_farthest must name too); bind on
 * the nodes of its set only; interleave spreads the pages over its set, every node getting a
 * fair share.  Exit 77 with fewer than two nodes with memory.
 */
#define _GNU_SOURCE
#include "numa_test.h"
#include "placement.h"
#include "policy.h"

#define PAGES	64

static long psz;

/* Fresh pages under the calling thread's policy, touched; where are they? */
static void place(const struct kmb_mempolicy *p, int home, struct kmb_placement *pl,
		  const char *what)
{
	char *buf = mmap(NULL, PAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	void *pages[PAGES];
	char err[256];
	int r;

	*pl = (struct kmb_placement){ .intended = kmb_mpol_intended(p, home) };
	CHECK(buf != MAP_FAILED, "%s: mmap", what);
	if (buf == MAP_FAILED)
		return;
	r = kmb_mpol_apply_self(p, home, err, sizeof(err));
	CHECK(r == 0, "%s: apply: %s", what, err);
	for (int i = 0; i < PAGES; i++) {
		buf[i * psz] = (char)i;
		pages[i] = buf + i * psz;
	}
	kmb_mpol_reset_self();
	r = kmb_placement_check(pl, pages, PAGES);
	CHECK(r == 0, "%s: placement check: %s", what, pl->why);
	CHECK(pl->known == PAGES, "%s: %u of %d pages known", what, pl->known, PAGES);
	for (int i = 0; i < PAGES; i++) {	/* the second opinion agrees, page by page */
		int n = page_node(pages[i]);

		CHECK(n >= 0 && n < 64 && pl->per_node[n] > 0, "%s: page %d on node %d by "
		      "get_mempolicy, not in the tally", what, i, n);
	}
	munmap(buf, PAGES * psz);
}

static void all_on(const struct kmb_placement *pl, int node, const char *what)
{
	CHECK(node >= 0 && pl->per_node[node] == PAGES, "%s: %u of %d pages on node %d", what,
	      node >= 0 ? pl->per_node[node] : 0, PAGES, node);
	CHECK(kmb_placement_fraction(pl) == 1.0, "%s: fraction %.3f", what,
	      kmb_placement_fraction(pl));
}

static void spread_over(const struct kmb_placement *pl, uint64_t set, const char *what)
{
	unsigned int fair = PAGES / (unsigned int)popcount64(set);

	for (int n = 0; n < 64; n++) {
		if (set >> n & 1)
			CHECK(pl->per_node[n] >= fair / 2, "%s: node %d got %u of %d pages, fair "
			      "share %u", what, n, pl->per_node[n], PAGES, fair);
		else
			CHECK(pl->per_node[n] == 0, "%s: node %d outside the set got %u pages",
			      what, n, pl->per_node[n]);
	}
	CHECK(kmb_placement_fraction(pl) == 1.0, "%s: fraction %.3f", what,
	      kmb_placement_fraction(pl));
}

static struct kmb_mempolicy parse(const char *text)
{
	struct kmb_mempolicy p = { KMB_MPOL_DEFAULT, 0 };
	char err[256];

	CHECK(kmb_mpol_parse(text, &p, err, sizeof(err)) == 0, "parse %s: %s", text, err);
	CHECK(kmb_mpol_check(&p, err, sizeof(err)) == 0, "check %s: %s", text, err);
	return p;
}

static void from_node(int home, uint64_t mem)
{
	struct kmb_placement pl;
	struct kmb_mempolicy p;
	char text[64], what[96];
	int lo = __builtin_ctzll(mem), hi = 63 - __builtin_clzll(mem);
	int far = sys_farthest(home, mem);

	CHECK(run_on_node(home) == 0, "cannot run on node %d", home);
	CHECK(kmb_numa_node_self() == home, "kmb_numa_node_self %d on node %d",
	      kmb_numa_node_self(), home);
	CHECK(kmb_numa_farthest(home, mem) == far, "farthest from %d: library %d, sysfs %d",
	      home, kmb_numa_farthest(home, mem), far);

	if (mem >> home & 1) {
		snprintf(what, sizeof(what), "local from node %d", home);
		p = parse("local");
		place(&p, home, &pl, what);
		all_on(&pl, home, what);
	}
	snprintf(what, sizeof(what), "remote from node %d", home);
	p = parse("remote");
	CHECK(kmb_mpol_intended(&p, home) == 1ULL << far, "%s: intended %#llx", what,
	      (unsigned long long)kmb_mpol_intended(&p, home));
	place(&p, home, &pl, what);
	all_on(&pl, far, what);

	for (int n = 0; n < 64; n++) {
		if (!(mem >> n & 1))
			continue;
		snprintf(text, sizeof(text), "node:%d", n);
		snprintf(what, sizeof(what), "%s from node %d", text, home);
		p = parse(text);
		place(&p, home, &pl, what);
		all_on(&pl, n, what);
		snprintf(text, sizeof(text), "preferred:%d", n);
		snprintf(what, sizeof(what), "%s from node %d", text, home);
		p = parse(text);
		place(&p, home, &pl, what);
		all_on(&pl, n, what);
	}

	snprintf(text, sizeof(text), "bind:%d,%d", lo, hi);
	snprintf(what, sizeof(what), "%s from node %d", text, home);
	p = parse(text);
	place(&p, home, &pl, what);
	CHECK(pl.per_node[lo] + pl.per_node[hi] == PAGES, "%s: %u + %u pages in the set", what,
	      pl.per_node[lo], pl.per_node[hi]);
	CHECK(kmb_placement_fraction(&pl) == 1.0, "%s: fraction", what);

	snprintf(what, sizeof(what), "interleave from node %d", home);
	p = parse("interleave");
	place(&p, home, &pl, what);
	spread_over(&pl, mem, what);
	snprintf(text, sizeof(text), "interleave:%d,%d", lo, hi);
	snprintf(what, sizeof(what), "%s from node %d", text, home);
	p = parse(text);
	place(&p, home, &pl, what);
	spread_over(&pl, 1ULL << lo | 1ULL << hi, what);
}

int main(void)
{
	uint64_t mem = sys_nodes("has_memory"), cpus = sys_nodes("has_cpu");

	psz = sysconf(_SC_PAGESIZE);
	need_nodes(mem, 2, "with memory");
	CHECK(kmb_numa_memory_nodes() == mem, "libnuma's nodes with memory %#llx, sysfs %#llx",
	      (unsigned long long)kmb_numa_memory_nodes(), (unsigned long long)mem);
	for (int h = 0; h < 64; h++)
		if (cpus >> h & 1)
			from_node(h, mem);
	return numa_test_done("test_numa_policy");
}
