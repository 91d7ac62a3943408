/*
 * test_node_policy.c - the run's node policy in the kernel-style backends (be_mm.c) and
 * the libnuma backend, on a model of four nodes.
 *
 * The model may have nodes the machine lacks (--mm-nodes): they are not bound anywhere, but
 * every frame knows its model node (page_to_nid), so node selection is checked here exactly,
 * on any machine, down to the order of fallback.  Distances of unbound nodes are 10 local and
 * 20 remote, so "the farthest node from node 0" is a tie, which goes to the lowest number, 1.
 * Nodes are small (8 MiB, no DMA zone), so that one 4 MiB block fills one.
 * tests/numa/ checks that real nodes get the pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/backend.h"
#include "kmbench/mm.h"
#include "placement.h"

#define NODES		4
#define NODE_MEM	(8UL << 20)
#define BLOCK		(4UL << 20)	/* one max-order block */
#define GFP		(GFP_NOWAIT | __GFP_NOWARN)	/* fail fast when a node is full */
/* The same model as the backends' options (be_mm.c): NODES nodes of NODE_MEM, no DMA zone. */
static const char *const mm_opts[] = { "mm-nodes=4", "node-mem=8M", "dma-zone=none", NULL };

static const struct kmb_backend_ops *be;
static bool is_up;	/* be is initialised: the teardown takes it down after a failure */

/* Bring @name up with four model nodes under @mode over @nodes; 0 or init's error. */
static int up(const char *name, enum kmb_mpol_mode mode, uint64_t nodes, char *why, size_t len)
{
	struct kmb_backend_config cfg = {
		.nthreads = 1, .max_size = BLOCK, .opts = mm_opts, .mpol = { mode, nodes },
	};
	int r;

	be = kmb_backend_find(name);
	assert_non_null(be);
	r = be->init(&cfg, why, len);
	is_up = !r;
	if (!r && be->thread_init)
		assert_int_equal(be->thread_init(), 0);
	return r;
}

static void down(void)
{
	is_up = false;
	be->fini();
}

static int teardown(void **state)
{
	(void)state;
	if (is_up)
		down();
	return 0;
}

static void bring_up(const char *name, enum kmb_mpol_mode mode, uint64_t nodes)
{
	char why[256] = "";

	if (up(name, mode, nodes, why, sizeof(why)))
		fail_msg("%s init: %s", name, why);
}

static int nid(const void *p)
{
	return page_to_nid(virt_to_page(p));
}

/* Allocate @n objects of @size without a node; their nodes into nodes[] (-1 for NULL). */
static void alloc_n(size_t size, int n, void **objs, int *nodes)
{
	for (int i = 0; i < n; i++) {
		objs[i] = be->alloc(size, GFP, NUMA_NO_NODE);
		nodes[i] = objs[i] ? nid(objs[i]) : -1;
	}
}

static void free_n(size_t size, int n, void **objs)
{
	while (n--)
		be->free(objs[n], size);
}

static void assert_nodes(const int *got, const int *want, int n)
{
	for (int i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("allocation %d on node %d, want %d", i, got[i], want[i]);
}

static void test_default_is_local(void **state)
{
	void *objs[4];
	int nodes[4];

	(void)state;
	bring_up("buddy", KMB_MPOL_DEFAULT, 0);
	alloc_n(4096, 4, objs, nodes);
	assert_nodes(nodes, (int[]){ 0, 0, 0, 0 }, 4);
	free_n(4096, 4, objs);
	down();
}

/* node:2 is __GFP_THISNODE: once node 2 has no 4 MiB block left, NULL, never another node. */
static void test_node_strict(void **state)
{
	void *objs[3];
	int nodes[3];

	(void)state;
	bring_up("buddy", KMB_MPOL_NODE, 1ULL << 2);
	alloc_n(BLOCK, 2, objs, nodes);
	assert_nodes(nodes, (int[]){ 2, -1 }, 2);
	free_n(BLOCK, 1, objs);
	/* An explicit node wins over the policy. */
	objs[0] = be->alloc(4096, GFP, 3);
	assert_non_null(objs[0]);
	assert_int_equal(nid(objs[0]), 3);
	be->free(objs[0], 4096);
	down();
}

/* preferred:3 falls back when node 3 is full; local stays on the thread's node, 0. */
static void test_preferred_and_local(void **state)
{
	void *objs[3];
	int nodes[3];

	(void)state;
	bring_up("buddy", KMB_MPOL_PREFERRED, 1ULL << 3);
	alloc_n(BLOCK, 3, objs, nodes);
	assert_int_equal(nodes[0], 3);
	assert_true(nodes[1] >= 0 && nodes[1] != 3);	/* fell back, did not fail */
	free_n(BLOCK, 3, objs);
	down();

	bring_up("buddy", KMB_MPOL_LOCAL, 0);
	alloc_n(4096, 3, objs, nodes);
	assert_nodes(nodes, (int[]){ 0, 0, 0 }, 3);
	free_n(4096, 3, objs);
	down();
}

/* remote: the farthest from node 0; 1, 2 and 3 are all 20 away, so node 1. */
static void test_remote(void **state)
{
	void *objs[4];
	int nodes[4];

	(void)state;
	bring_up("buddy", KMB_MPOL_REMOTE, 0);
	alloc_n(4096, 4, objs, nodes);
	assert_nodes(nodes, (int[]){ 1, 1, 1, 1 }, 4);
	free_n(4096, 4, objs);
	down();
}

/* bind:1,3: nearest first (a tie: 1), then 3 when 1 is full, then NULL: never 0 or 2. */
static void test_bind_walk(void **state)
{
	void *objs[3];
	int nodes[3];

	(void)state;
	bring_up("buddy", KMB_MPOL_BIND, 1ULL << 1 | 1ULL << 3);
	alloc_n(BLOCK, 3, objs, nodes);
	assert_nodes(nodes, (int[]){ 1, 3, -1 }, 3);
	free_n(BLOCK, 2, objs);
	down();
}

/* interleave:0-3: one node per allocation, in turn. */
static void test_interleave(void **state)
{
	void *objs[8];
	int nodes[8];

	(void)state;
	bring_up("buddy", KMB_MPOL_INTERLEAVE, 0xf);
	alloc_n(4096, 8, objs, nodes);
	assert_nodes(nodes, (int[]){ 0, 1, 2, 3, 0, 1, 2, 3 }, 8);
	free_n(4096, 8, objs);
	down();

	bring_up("buddy", KMB_MPOL_INTERLEAVE, 1ULL << 1 | 1ULL << 2);
	alloc_n(4096, 4, objs, nodes);
	assert_nodes(nodes, (int[]){ 1, 2, 1, 2 }, 4);
	free_n(4096, 4, objs);
	down();
}

/* The slab backends and kmalloc choose the node the same way, on their slow path. */
static void test_slab_kmalloc(void **state)
{
	void *objs[8];
	int nodes[8];
	void *(*cache_alloc)(void *, gfp_t);
	void *cache;

	(void)state;
	bring_up("slab", KMB_MPOL_NODE, 1ULL << 2);
	alloc_n(64, 8, objs, nodes);
	assert_nodes(nodes, (int[]){ 2, 2, 2, 2, 2, 2, 2, 2 }, 8);
	free_n(64, 8, objs);
	cache = be->cache->create("policy", 128, NULL);
	assert_non_null(cache);
	cache_alloc = be->cache->alloc;
	objs[0] = cache_alloc(cache, GFP);
	assert_non_null(objs[0]);
	assert_int_equal(nid(objs[0]), 2);
	be->cache->free(cache, objs[0]);
	be->cache->destroy(cache);
	down();

	bring_up("slab-cpu-lock", KMB_MPOL_INTERLEAVE, 0xf);
	alloc_n(4096, 4, objs, nodes);
	assert_nodes(nodes, (int[]){ 0, 1, 2, 3 }, 4);
	free_n(4096, 4, objs);
	down();

	bring_up("kmalloc", KMB_MPOL_PREFERRED, 1ULL << 1);
	alloc_n(256, 4, objs, nodes);
	assert_nodes(nodes, (int[]){ 1, 1, 1, 1 }, 4);
	free_n(256, 4, objs);
	alloc_n(64 << 10, 2, objs, nodes);	/* large: straight from the page allocator */
	assert_nodes(nodes, (int[]){ 1, 1 }, 2);
	free_n(64 << 10, 2, objs);
	down();
}

/* A policy naming a node the model lacks fails init, naming --mm-nodes. */
static void test_node_beyond_model(void **state)
{
	char why[256] = "";

	(void)state;
	assert_int_equal(up("buddy", KMB_MPOL_NODE, 1ULL << 5, why, sizeof(why)), -ENODEV);
	assert_string_equal(why, "--numa-policy node:5: the model has 4 nodes (--mm-nodes), no "
			    "node 5");
	assert_int_equal(up("kmalloc", KMB_MPOL_BIND, 0x3 | 1ULL << 9, why, sizeof(why)),
			 -ENODEV);
	assert_non_null(strstr(why, "no node 9"));
	/* And the next init works: nothing was left half up. */
	bring_up("buddy", KMB_MPOL_DEFAULT, 0);
	down();
}

/* libnuma: the policy's node, on the machine's nodes (node 0 here, the thread's own). */
static void test_libnuma(void **state)
{
	struct kmb_backend_config cfg = { .nthreads = 1, .max_size = BLOCK };
	int home = kmb_numa_node_self();
	char why[256] = "";
	char *p;

	(void)state;
	be = kmb_backend_find("libnuma");
	assert_non_null(be);
	cfg.mpol = (struct kmb_mempolicy){ KMB_MPOL_NODE, 1ULL << home };
	assert_int_equal(be->init(&cfg, why, sizeof(why)), 0);
	is_up = true;
	assert_int_equal(be->thread_init(), 0);
	p = be->alloc(3 * 4096, GFP_KERNEL, NUMA_NO_NODE);
	assert_non_null(p);
	memset(p, 7, 3 * 4096);
	{
		struct kmb_placement pl = { .intended = 1ULL << home };
		void *pages[3] = { p, p + 4096, p + 8192 };

		if (!kmb_placement_check(&pl, pages, 3))
			assert_true(kmb_placement_fraction(&pl) == 1.0);
	}
	be->free(p, 3 * 4096);
	assert_null(be->alloc(4096, GFP_KERNEL, 63));	/* a node not here: NULL, not unbound */
	down();
	/* Init refuses a node the machine lacks, as the harness does. */
	cfg.mpol = (struct kmb_mempolicy){ KMB_MPOL_NODE, 1ULL << 63 };
	assert_int_equal(be->init(&cfg, why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "no node 63 with memory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_default_is_local, teardown),
		cmocka_unit_test_teardown(test_node_strict, teardown),
		cmocka_unit_test_teardown(test_preferred_and_local, teardown),
		cmocka_unit_test_teardown(test_remote, teardown),
		cmocka_unit_test_teardown(test_bind_walk, teardown),
		cmocka_unit_test_teardown(test_interleave, teardown),
		cmocka_unit_test_teardown(test_slab_kmalloc, teardown),
		cmocka_unit_test_teardown(test_node_beyond_model, teardown),
		cmocka_unit_test_teardown(test_libnuma, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
