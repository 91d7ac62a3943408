/*
 * test_placement.c - numa/policy.c and the placement check of numa/placement.c.
 *
 * The pure parts (node lists, the farthest-node rule, policy text, the tally of move_pages
 * status words) are checked against hand-written inputs, including nodes this machine does
 * not have.  The parts that ask the machine run on whatever it is: on a one-node machine the
 * check of pages on node 0 reports 1.0 for {0} and 0.0 for {1}, which is what shows that the
 * checker can report misplaced memory at all.  tests/numa/ checks the same on several nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "placement.h"
#include "policy.h"

static char err[256];

static void test_nodes_parse(void **state)
{
	uint64_t m = 42;
	char buf[64];

	(void)state;
	assert_int_equal(kmb_nodes_parse("0", &m), 0);
	assert_int_equal(m, 1);
	assert_int_equal(kmb_nodes_parse("0,2-3,63", &m), 0);
	assert_true(m == (0xdULL | 1ULL << 63));
	assert_string_equal(kmb_nodes_format(m, buf, sizeof(buf)), "0,2-3,63");
	assert_int_equal(kmb_nodes_parse("5-5,1", &m), 0);
	assert_int_equal(m, 0x22);
	m = 42;
	assert_int_equal(kmb_nodes_parse("", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse(",1", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("1,", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("3-1", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("1-", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("-1", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("a", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("1 ", &m), -EINVAL);
	assert_int_equal(kmb_nodes_parse("64", &m), -ERANGE);
	assert_int_equal(kmb_nodes_parse("0,99999999999999999999", &m), -ERANGE);
	assert_int_equal(kmb_nodes_parse("64,x", &m), -EINVAL);	/* syntax first */
	assert_int_equal(m, 42);
	assert_string_equal(kmb_nodes_format(0, buf, sizeof(buf)), "");
	assert_string_equal(kmb_nodes_format(0xff00ff, buf, sizeof(buf)), "0-7,16-23");
	assert_string_equal(kmb_nodes_format(0x5, buf, 3), "0,");	/* cut, terminated */
}

/* A 4-node ring: 10 local, 20 to a neighbour, 30 across; node 3 unknown (0) from node 0. */
static int ring(void *ctx, int a, int b)
{
	static const int d[4][4] = {
		{ 10, 20, 30, 0 }, { 20, 10, 20, 30 }, { 30, 20, 10, 20 }, { 0, 30, 20, 10 },
	};

	(void)ctx;
	return d[a][b];
}

static int unknown(void *ctx, int a, int b)
{
	(void)ctx, (void)a, (void)b;
	return 0;
}

static void test_farthest(void **state)
{
	(void)state;
	assert_int_equal(kmb_farthest_node(0, 0xf, ring, NULL), 2);
	assert_int_equal(kmb_farthest_node(1, 0xf, ring, NULL), 3);
	assert_int_equal(kmb_farthest_node(2, 0xf, ring, NULL), 0);
	assert_int_equal(kmb_farthest_node(0, 0xb, ring, NULL), 1);	/* 2 is no candidate */
	assert_int_equal(kmb_farthest_node(3, 0xf, ring, NULL), 1);
	assert_int_equal(kmb_farthest_node(1, 0xf, unknown, NULL), 0);	/* all unknown: lowest */
	assert_int_equal(kmb_farthest_node(0, 0x1, ring, NULL), -ENODEV);
	assert_int_equal(kmb_farthest_node(0, 0, ring, NULL), -ENODEV);
}

static void parse_ok(const char *s, enum kmb_mpol_mode mode, uint64_t nodes, const char *text)
{
	struct kmb_mempolicy p = { KMB_MPOL_NR_MODES, 99 };
	char buf[64];

	if (kmb_mpol_parse(s, &p, err, sizeof(err)))
		fail_msg("'%s': %s", s, err);
	assert_int_equal(p.mode, mode);
	assert_true(p.nodes == nodes);
	assert_string_equal(kmb_mpol_format(&p, buf, sizeof(buf)), text);
}

static void parse_bad(const char *s, const char *want)
{
	struct kmb_mempolicy p = { KMB_MPOL_LOCAL, 7 };

	err[0] = '\0';
	assert_int_equal(kmb_mpol_parse(s, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s': '%s' lacks '%s'", s, err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(p.mode, KMB_MPOL_LOCAL);	/* untouched */
	assert_int_equal(p.nodes, 7);
}

static void test_mpol_text(void **state)
{
	struct kmb_mempolicy def = { KMB_MPOL_DEFAULT, 0 };
	char buf[64];

	(void)state;
	parse_ok("local", KMB_MPOL_LOCAL, 0, "local");
	parse_ok("remote", KMB_MPOL_REMOTE, 0, "remote");
	parse_ok("node:3", KMB_MPOL_NODE, 8, "node:3");
	parse_ok("preferred:0", KMB_MPOL_PREFERRED, 1, "preferred:0");
	parse_ok("bind:0-2,5", KMB_MPOL_BIND, 0x27, "bind:0-2,5");
	parse_ok("bind:1", KMB_MPOL_BIND, 2, "bind:1");
	parse_ok("interleave", KMB_MPOL_INTERLEAVE, 0, "interleave");
	parse_ok("interleave:1,0", KMB_MPOL_INTERLEAVE, 3, "interleave:0-1");
	assert_string_equal(kmb_mpol_format(&def, buf, sizeof(buf)), "default");

	parse_bad("nearby", "'nearby' is not a node policy; valid: " KMB_MPOL_SYNTAX);
	parse_bad("", "'' is not a node policy");
	parse_bad("default", "'default' is not a node policy");
	parse_bad("Local", "'Local' is not a node policy");
	parse_bad("local:0", "'local:0': local takes no node");
	parse_bad("remote:1", "'remote:1': remote takes no node");
	parse_bad("node", "'node' needs a node, e.g. node:0");
	parse_bad("preferred", "'preferred' needs a node");
	parse_bad("bind", "'bind' needs a node list, e.g. bind:0,1");
	parse_bad("node:", "'node:': '' is not a node number; give one number, e.g. 1");
	parse_bad("node:x", "'node:x': 'x' is not a node number");
	parse_bad("node:0,1", "'node:0,1': node takes one node; bind:LIST takes a set");
	parse_bad("preferred:1-2", "preferred takes one node");
	parse_bad("bind:0,,1", "'bind:0,,1': '0,,1' is not a node list; give numbers and ranges");
	parse_bad("interleave:", "'interleave:': '' is not a node list");
	parse_bad("node:64", "'node:64': nodes above 63 are not supported");
	assert_int_equal(kmb_mpol_parse(NULL, &def, err, sizeof(err)), -EINVAL);
}

/* This machine's nodes with memory, and one it lacks. */
static uint64_t have;
static int missing;

static int setup_machine(void **state)
{
	(void)state;
	have = kmb_numa_memory_nodes();
	missing = 0;
	while (missing < KMB_MPOL_MAX_NODES && (have >> missing & 1))
		missing++;
	return 0;
}

static void test_check_machine(void **state)
{
	struct kmb_mempolicy p;
	char want[256], nodes[64];
	int home = kmb_numa_node_self();

	(void)state;
	assert_true(have & 1ULL << home);
	assert_true(kmb_numa_node_has_memory(home));
	kmb_nodes_format(have, nodes, sizeof(nodes));

	/* The libnuma trap: a node the machine lacks is an error that names the nodes it has. */
	p = (struct kmb_mempolicy){ KMB_MPOL_NODE, 1ULL << missing };
	assert_int_equal(kmb_mpol_check(&p, err, sizeof(err)), -ENODEV);
	snprintf(want, sizeof(want), "node:%d: this machine has no node %d with memory; nodes "
		 "with memory: %s", missing, missing, nodes);
	assert_string_equal(err, want);
	assert_null(kmb_numa_alloc_onnode(4096, missing, false));
	assert_null(kmb_numa_alloc_onnode(4096, missing, true));
	p = (struct kmb_mempolicy){ KMB_MPOL_BIND, have | 1ULL << missing };
	assert_int_equal(kmb_mpol_check(&p, err, sizeof(err)), -ENODEV);
	assert_int_equal(kmb_numa_set_policy_self(KMB_MPOL_BIND, 1ULL << missing), -ENODEV);

	p = (struct kmb_mempolicy){ KMB_MPOL_NODE, 1ULL << home };
	assert_int_equal(kmb_mpol_check(&p, err, sizeof(err)), 0);
	p = (struct kmb_mempolicy){ KMB_MPOL_INTERLEAVE, 0 };
	assert_int_equal(kmb_mpol_check(&p, err, sizeof(err)), 0);
	assert_true(kmb_mpol_intended(&p, home) == have);
	p = (struct kmb_mempolicy){ KMB_MPOL_LOCAL, 0 };
	assert_true(kmb_mpol_intended(&p, home) == 1ULL << home);
	p = (struct kmb_mempolicy){ KMB_MPOL_BIND, have };
	assert_true(kmb_mpol_intended(&p, home) == have);

	p = (struct kmb_mempolicy){ KMB_MPOL_REMOTE, 0 };
	if (have & (have - 1)) {
		int far = kmb_numa_farthest(home, have);

		assert_int_equal(kmb_mpol_check(&p, err, sizeof(err)), 0);
		assert_true(far >= 0 && far != home);
		assert_true(kmb_mpol_intended(&p, home) == 1ULL << far);
	} else {
		snprintf(want, sizeof(want), "remote: needs two nodes with memory; this machine "
			 "has one (node %s)", nodes);
		assert_int_equal(kmb_mpol_check(&p, err, sizeof(err)), -ENODEV);
		assert_string_equal(err, want);
		assert_int_equal(kmb_numa_farthest(home, have), -ENODEV);
		assert_int_equal(kmb_mpol_intended(&p, home), 0);
		assert_int_equal(kmb_mpol_apply_self(&p, home, err, sizeof(err)), -ENODEV);
	}
}

/* The calling thread's policy as the kernel reports it (get_mempolicy(2)). */
static int policy_now(unsigned long *mask)
{
	int mode = -1;

	*mask = 0;
	assert_int_equal(get_mempolicy(&mode, mask, KMB_MPOL_MAX_NODES + 1, NULL, 0), 0);
	return mode;
}

static void test_apply_self(void **state)
{
	struct kmb_mempolicy p;
	unsigned long mask;
	int home = kmb_numa_node_self();

	(void)state;
	if (numa_available() < 0)
		skip();
	p = (struct kmb_mempolicy){ KMB_MPOL_NODE, 1ULL << home };
	assert_int_equal(kmb_mpol_apply_self(&p, home, err, sizeof(err)), 0);
	assert_int_equal(policy_now(&mask), MPOL_BIND);
	assert_true(mask == 1UL << home);
	p = (struct kmb_mempolicy){ KMB_MPOL_PREFERRED, 1ULL << home };
	assert_int_equal(kmb_mpol_apply_self(&p, home, err, sizeof(err)), 0);
	assert_int_equal(policy_now(&mask), MPOL_PREFERRED);
	assert_true(mask == 1UL << home);
	p = (struct kmb_mempolicy){ KMB_MPOL_INTERLEAVE, 0 };
	assert_int_equal(kmb_mpol_apply_self(&p, home, err, sizeof(err)), 0);
	assert_int_equal(policy_now(&mask), MPOL_INTERLEAVE);
	assert_true(mask == have);
	p = (struct kmb_mempolicy){ KMB_MPOL_LOCAL, 0 };
	assert_int_equal(kmb_mpol_apply_self(&p, home, err, sizeof(err)), 0);
	assert_int_equal(policy_now(&mask), MPOL_LOCAL);
	assert_int_equal(kmb_mpol_reset_self(), 0);
	assert_int_equal(policy_now(&mask), MPOL_DEFAULT);
	p = (struct kmb_mempolicy){ KMB_MPOL_DEFAULT, 0 };
	assert_int_equal(kmb_mpol_apply_self(&p, home, err, sizeof(err)), 0);
	assert_int_equal(policy_now(&mask), MPOL_DEFAULT);
	assert_int_equal(kmb_numa_set_policy_self(KMB_MPOL_PREFERRED, 3), -EINVAL);
	assert_int_equal(kmb_numa_set_policy_self(KMB_MPOL_BIND, 0), -ENODEV);
	assert_int_equal(kmb_numa_set_policy_self(KMB_MPOL_REMOTE, 1), -EINVAL);
}

/* The tally is what the fraction comes from: synthetic status words, nodes we lack too. */
static void test_tally(void **state)
{
	static const int status[] = { 0, 0, 1, 3, -ENOENT, 1, -EFAULT, 0, 70 };
	struct kmb_placement pl = { .intended = 1ULL << 1 | 1ULL << 3 }, other;

	(void)state;
	kmb_placement_tally(&pl, status, sizeof(status) / sizeof(status[0]));
	assert_int_equal(pl.pages, 9);
	assert_int_equal(pl.known, 7);		/* the two negative words are unknown */
	assert_int_equal(pl.on_target, 3);	/* 1, 3, 1 */
	assert_int_equal(pl.per_node[0], 3);
	assert_int_equal(pl.per_node[1], 2);
	assert_int_equal(pl.per_node[3], 1);
	assert_true(kmb_placement_fraction(&pl) == 3.0 / 7.0);

	other = (struct kmb_placement){ .intended = pl.intended };
	assert_true(kmb_placement_fraction(&other) == -1);	/* nothing known */
	kmb_placement_tally(&other, (const int[]){ -ENOENT, -ENOENT }, 2);
	assert_true(kmb_placement_fraction(&other) == -1);
	kmb_placement_tally(&other, (const int[]){ 1 }, 1);
	assert_true(kmb_placement_fraction(&other) == 1.0);
	kmb_placement_merge(&pl, &other);
	assert_int_equal(pl.pages, 12);
	assert_int_equal(pl.known, 8);
	assert_int_equal(pl.on_target, 4);
	assert_int_equal(pl.per_node[1], 3);
	assert_true(kmb_placement_fraction(&pl) == 0.5);
	other.err = -ENOSYS;
	snprintf(other.why, sizeof(other.why), "no NUMA");
	kmb_placement_merge(&pl, &other);
	assert_int_equal(pl.err, -ENOSYS);
	assert_string_equal(pl.why, "no NUMA");
	assert_true(kmb_placement_fraction(&pl) == -1);	/* a failed check has no fraction */
}

#define NPAGES 64

/* Pages bound with mbind to a node and touched: the checker must find them there, and say
 * that none of them is on a node they are not on. */
static void test_check_real_pages(void **state)
{
	long psz = sysconf(_SC_PAGESIZE);
	int home = kmb_numa_node_self();
	char *buf = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	void *pages[NPAGES + 1];
	struct kmb_placement pl = { .intended = 1ULL << home };

	(void)state;
	assert_true(buf != MAP_FAILED);
	if (numa_available() >= 0)
		assert_int_equal(kmb_numa_bind(buf, NPAGES * psz, home), 0);
	for (int i = 0; i < NPAGES; i++) {
		buf[i * psz + 5] = 1;
		pages[i] = buf + i * psz + 5;	/* not page aligned: the checker rounds down */
	}
	if (kmb_placement_check(&pl, pages, NPAGES)) {
		munmap(buf, NPAGES * psz);
		printf("placement check unavailable here: %s\n", pl.why);
		skip();
	}
	assert_int_equal(pl.pages, NPAGES);
	assert_int_equal(pl.known, NPAGES);
	assert_int_equal(pl.per_node[home], NPAGES);
	assert_true(kmb_placement_fraction(&pl) == 1.0);

	/* The same pages checked against a node they are not on: 0, not 1. */
	pl = (struct kmb_placement){ .intended = ~(1ULL << home) };
	assert_int_equal(kmb_placement_check(&pl, pages, NPAGES), 0);
	assert_true(kmb_placement_fraction(&pl) == 0.0);

	/* A page never touched is not present: unknown, not counted either way. */
	munmap(buf + (NPAGES - 1) * psz, psz);
	buf[0] = 2;
	pages[NPAGES - 1] = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	assert_true(pages[NPAGES - 1] != MAP_FAILED);
	pl = (struct kmb_placement){ .intended = 1ULL << home };
	assert_int_equal(kmb_placement_check(&pl, pages, NPAGES), 0);
	assert_int_equal(pl.known, NPAGES - 1);
	assert_true(kmb_placement_fraction(&pl) == 1.0);
	munmap(pages[NPAGES - 1], psz);
	munmap(buf, (NPAGES - 1) * psz);
}

/* kmb_numa_alloc_onnode: fresh, zeroed, page aligned, on the node. */
static void test_alloc_onnode(void **state)
{
	int home = kmb_numa_node_self();
	long psz = sysconf(_SC_PAGESIZE);

	(void)state;
	for (int strict = 0; strict < 2; strict++) {
		char *p = kmb_numa_alloc_onnode(3 * psz, home, strict);
		struct kmb_placement pl = { .intended = 1ULL << home };
		void *pages[3] = { p, p + psz, p + 2 * psz };

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % psz, 0);
		for (long i = 0; i < 3 * psz; i++)
			assert_int_equal(p[i], 0);
		memset(p, 1, 3 * psz);
		if (!kmb_placement_check(&pl, pages, 3))
			assert_true(kmb_placement_fraction(&pl) == 1.0);
		kmb_numa_free(p, 3 * psz);
	}
	assert_null(kmb_numa_alloc_onnode(0, home, false));
	assert_null(kmb_numa_alloc_onnode(psz, -1, false));
	kmb_numa_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_parse),
		cmocka_unit_test(test_farthest),
		cmocka_unit_test(test_mpol_text),
		cmocka_unit_test(test_tally),
		cmocka_unit_test_setup(test_check_machine, setup_machine),
		cmocka_unit_test_setup(test_apply_self, setup_machine),
		cmocka_unit_test(test_check_real_pages),
		cmocka_unit_test(test_alloc_onnode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
