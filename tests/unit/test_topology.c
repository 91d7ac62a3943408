/*
 * test_topology.c - numa/topology.c against machines we do not have, and against this one.
 *
 * Large machines come from hwloc synthetic descriptions and from the XML fixture
 * tests/fixtures/topology/4pack-8node.xml (see the README there for how it was made and what
 * it holds).  Expected values are worked out by hand from the hwloc tree; each test says how.
 * In a synthetic topology OS indexes equal logical indexes unless "indexes=" says otherwise,
 * so the XML fixture is the one that catches a logical/OS mix-up.
 *
 * The fixture is found through $KMB_SOURCE_DIR, else the KMB_SOURCE_DIR macro, else ".".
 * The real-machine tests pin the main thread and restore its affinity before returning.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "topology.h"
#include "../source_dir.h"

#define SYN_SMALL	"pack:2 numa:2 core:4 pu:2"	/* 32 PUs, 16 cores, 4 nodes */
#define SYN_LARGE	"pack:2 numa:4 core:16 pu:2"	/* 256 PUs, 128 cores, 8 nodes */
#define XML_FIXTURE	"tests/fixtures/topology/4pack-8node.xml"
#define MAX_CPUS	1024
#define GIB		(1024ULL * 1024 * 1024)

static char errbuf[256];

/* A plan without a node, as a pointer for kmb_topo_pin_plan(). */
#define PIN(p) (&(struct kmb_pin){ (p), -1 })

static struct kmb_topo *load_or_fail(const char *synthetic, const char *xml)
{
	struct kmb_topo *t = kmb_topo_load(synthetic, xml, errbuf, sizeof(errbuf));

	if (!t)
		fail_msg("kmb_topo_load(%s, %s): %s", synthetic ? synthetic : "NULL",
			 xml ? xml : "NULL", errbuf);
	return t;
}

static int setup_small(void **state)
{
	*state = load_or_fail(SYN_SMALL, NULL);
	return 0;
}

static int setup_large(void **state)
{
	*state = load_or_fail(SYN_LARGE, NULL);
	return 0;
}

static int setup_xml(void **state)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", kmb_test_source_dir(), XML_FIXTURE);
	*state = load_or_fail(NULL, path);
	return 0;
}

static int teardown_topo(void **state)
{
	kmb_topo_free(*state);
	*state = NULL;
	return 0;
}

/* Plan @n threads under @pin, failing the test on error; cpus[] needs room for @n + 1 entries. */
static void plan_pin(const struct kmb_topo *t, const struct kmb_pin *pin, int n, int *cpus)
{
	char name[32];
	int i, ret;

	for (i = 0; i < MAX_CPUS; i++)
		cpus[i] = INT_MIN;
	ret = kmb_topo_pin_plan(t, pin, n, cpus, errbuf, sizeof(errbuf));
	if (ret)
		fail_msg("pin_plan(%s, %d) = %d: %s", kmb_pin_format(pin, name, sizeof(name)), n, ret,
			 errbuf);
	for (i = 0; i < n; i++)
		assert_true(pin->policy == KMB_PIN_NONE ? cpus[i] == -1 :
			    cpus[i] >= 0 && cpus[i] < MAX_CPUS);
	assert_int_equal(cpus[n], INT_MIN);	/* wrote no more than asked */
}

static void plan(const struct kmb_topo *t, enum kmb_pin_policy p, int n, int *cpus)
{
	plan_pin(t, PIN(p), n, cpus);
}

/* node:@node for @n threads. */
static void plan_node(const struct kmb_topo *t, int node, int n, int *cpus)
{
	plan_pin(t, &(struct kmb_pin){ KMB_PIN_NODE, node }, n, cpus);
}

/* cpus[0..n) must be want[0..n). */
static void assert_cpus(const int *cpus, const int *want, int n)
{
	for (int i = 0; i < n; i++)
		if (cpus[i] != want[i])
			fail_msg("thread %d on CPU %d, want %d", i, cpus[i], want[i]);
}

/* Number of distinct values of key(cpus[i]) over the first n threads. */
static int distinct(const int *cpus, int n, int (*key)(const struct kmb_topo *, int),
		    const struct kmb_topo *t)
{
	static unsigned char seen[MAX_CPUS];
	int i, k, count = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		k = key(t, cpus[i]);
		assert_true(k >= 0 && k < MAX_CPUS);
		if (!seen[k]++)
			count++;
	}
	return count;
}

static int key_cpu(const struct kmb_topo *t, int cpu)
{
	(void)t;
	return cpu;
}

static int key_node(const struct kmb_topo *t, int cpu)
{
	return kmb_topo_cpu_to_node(t, cpu);
}

/* SYN_SMALL and SYN_LARGE: PU P#c sits on core c / 2 (two SMT threads per core). */
static int key_core_syn(const struct kmb_topo *t, int cpu)
{
	(void)t;
	return cpu / 2;
}

/* SYN_SMALL: 16 PUs per package.  SYN_LARGE: 128. */
static int key_pkg_small(const struct kmb_topo *t, int cpu)
{
	(void)t;
	return cpu / 16;
}

static int key_pkg_large(const struct kmb_topo *t, int cpu)
{
	(void)t;
	return cpu / 128;
}

/*
 * "pack:2 numa:2 core:4 pu:2": package p holds a Group per node; node n (OS n) holds cores
 * 4n..4n+3, core c holds PUs 2c and 2c+1 (lstopo-no-graphics --input ... -p).
 */
static void test_small_counts(void **state)
{
	const struct kmb_topo *t = *state;
	char buf[64];
	int i, j;

	assert_int_equal(kmb_topo_num_pus(t), 32);
	assert_int_equal(kmb_topo_num_cores(t), 16);
	assert_int_equal(kmb_topo_num_packages(t), 2);
	assert_int_equal(kmb_topo_num_nodes(t), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(kmb_topo_node_os_index(t, i), i);
		assert_int_equal(kmb_topo_node_memory(t, i), 1 * GIB);	/* synthetic default */
		assert_int_equal(kmb_topo_cpu_to_node(t, 8 * i), i);
		assert_int_equal(kmb_topo_cpu_to_node(t, 8 * i + 7), i);
	}
	assert_int_equal(kmb_topo_node_cpulist(t, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "8-15");
	/* No distance matrix in a synthetic topology: unknown everywhere, 0 (see topology.h). */
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			assert_int_equal(kmb_topo_node_distance(t, i, j), 0);
	/* No caches, and the host's line size says nothing about this machine. */
	assert_int_equal(kmb_topo_cache_line_size(t), 64);
	assert_string_equal(kmb_topo_cpu_model(t), "");
}

static void test_small_plans(void **state)
{
	const struct kmb_topo *t = *state;
	int cpus[MAX_CPUS];
	int i;

	/* Compact: PU L#0..3 = P#0..3; threads 0,1 are core 0's SMT siblings, 2,3 core 1's. */
	plan(t, KMB_PIN_COMPACT, 4, cpus);
	for (i = 0; i < 4; i++)
		assert_int_equal(cpus[i], i);
	assert_int_equal(key_core_syn(t, cpus[0]), key_core_syn(t, cpus[1]));

	plan(t, KMB_PIN_SCATTER, 4, cpus);
	assert_int_equal(distinct(cpus, 4, key_node, t), 4);

	plan(t, KMB_PIN_SCATTER, 2, cpus);
	assert_int_equal(distinct(cpus, 2, key_pkg_small, t), 2);

	plan(t, KMB_PIN_SCATTER, 16, cpus);
	assert_int_equal(distinct(cpus, 16, key_core_syn, t), 16);

	plan(t, KMB_PIN_SCATTER, 32, cpus);
	assert_int_equal(distinct(cpus, 32, key_cpu, t), 32);

	plan(t, KMB_PIN_NONE, 40, cpus);	/* NONE has no limit */
	for (i = 0; i < 40; i++)
		assert_int_equal(cpus[i], -1);
}

static void test_small_too_many(void **state)
{
	const struct kmb_topo *t = *state;
	int cpus[MAX_CPUS];

	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_COMPACT), 33, cpus, errbuf, sizeof(errbuf)),
			 -E2BIG);
	assert_non_null(strstr(errbuf, "33 threads"));
	assert_non_null(strstr(errbuf, "32"));
	assert_non_null(strstr(errbuf, "--pin none"));
	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_SCATTER), 33, cpus, errbuf, sizeof(errbuf)),
			 -E2BIG);
	assert_non_null(strstr(errbuf, "--pin scatter"));
	assert_non_null(strstr(errbuf, "32"));
}

/*
 * "pack:2 numa:4 core:16 pu:2": node n (OS n) holds cores 16n..16n+15 = PUs 32n..32n+31,
 * package p holds nodes 4p..4p+3 = PUs 128p..128p+127.
 */
static void test_large_plans(void **state)
{
	const struct kmb_topo *t = *state;
	int cpus[MAX_CPUS];
	int i, per_node[2] = { 0, 0 };

	assert_int_equal(kmb_topo_num_pus(t), 256);
	assert_int_equal(kmb_topo_num_cores(t), 128);
	assert_int_equal(kmb_topo_num_packages(t), 2);
	assert_int_equal(kmb_topo_num_nodes(t), 8);

	plan(t, KMB_PIN_SCATTER, 8, cpus);
	assert_int_equal(distinct(cpus, 8, key_node, t), 8);

	plan(t, KMB_PIN_SCATTER, 2, cpus);
	assert_int_equal(distinct(cpus, 2, key_pkg_large, t), 2);

	plan(t, KMB_PIN_SCATTER, 128, cpus);
	assert_int_equal(distinct(cpus, 128, key_core_syn, t), 128);

	plan(t, KMB_PIN_SCATTER, 256, cpus);
	assert_int_equal(distinct(cpus, 256, key_cpu, t), 256);

	/* Compact 64 = PUs 0-63 = cores 0-31: package 0's nodes 0 and 1, 32 threads each. */
	plan(t, KMB_PIN_COMPACT, 64, cpus);
	for (i = 0; i < 64; i++) {
		int node = kmb_topo_cpu_to_node(t, cpus[i]);

		assert_int_equal(cpus[i], i);
		assert_true(node == 0 || node == 1);
		per_node[node]++;
	}
	assert_int_equal(per_node[0], 32);
	assert_int_equal(per_node[1], 32);

	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_COMPACT), 257, cpus, errbuf, sizeof(errbuf)),
			 -E2BIG);
	assert_non_null(strstr(errbuf, "256"));
}

/* Plans must not share mutable state: many threads planning at once agree with one. */
struct plan_job {
	const struct kmb_topo *t;
	const int *want;
	const char *version;
	int ok;
};

static void *plan_worker(void *arg)
{
	struct plan_job *job = arg;
	int cpus[64];
	char err[128];
	int round;

	job->ok = 1;
	for (round = 0; round < 50; round++) {
		if (kmb_topo_pin_plan(job->t, PIN(KMB_PIN_SCATTER), 64, cpus, err, sizeof(err)) ||
		    memcmp(cpus, job->want, sizeof(cpus)) ||
		    kmb_topo_cpu_to_node(job->t, cpus[round % 64]) < 0 ||
		    strcmp(kmb_topo_hwloc_version(), job->version))
			job->ok = 0;
	}
	return NULL;
}

static void test_large_concurrent(void **state)
{
	const struct kmb_topo *t = *state;
	struct plan_job jobs[8];
	pthread_t tid[8];
	const char *version = kmb_topo_hwloc_version();
	int want[MAX_CPUS];
	int i;

	plan(t, KMB_PIN_SCATTER, 64, want);
	for (i = 0; i < 8; i++) {
		jobs[i] = (struct plan_job){ .t = t, .want = want, .version = version };
		assert_int_equal(pthread_create(&tid[i], NULL, plan_worker, &jobs[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(jobs[i].ok, 1);
	}
}

/* The fixture's latency matrix: see tests/fixtures/topology/README.md. */
static int fixture_distance(int i, int j)
{
	int hop = (i / 2 - j / 2 + 4) % 4;

	if (i == j)
		return 10;
	if (hop == 0)
		return 12;
	return hop == 2 ? 32 : 21;
}

/* XML: PU P#c and P#c+64 are core c's siblings; core c is in package c / 16. */
static int key_pkg_xml(const struct kmb_topo *t, int cpu)
{
	(void)t;
	return (cpu % 64) / 16;
}

static int key_core_xml(const struct kmb_topo *t, int cpu)
{
	(void)t;
	return cpu % 64;
}

static void test_xml_queries(void **state)
{
	static const int node_os[8] = { 0, 4, 1, 5, 2, 6, 3, 7 };
	const struct kmb_topo *t = *state;
	char buf[64];
	int i, j;

	assert_int_equal(kmb_topo_num_pus(t), 128);
	assert_int_equal(kmb_topo_num_cores(t), 64);
	assert_int_equal(kmb_topo_num_packages(t), 4);
	assert_int_equal(kmb_topo_num_nodes(t), 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(kmb_topo_node_os_index(t, i), node_os[i]);
		assert_int_equal(kmb_topo_node_memory(t, i), 64 * GIB);
		for (j = 0; j < 8; j++)
			assert_int_equal(kmb_topo_node_distance(t, i, j), fixture_distance(i, j));
	}
	/* Node index 0 (OS 0) has cores 0-7; index 1 (OS 4) cores 8-15; SMT siblings at +64. */
	assert_int_equal(kmb_topo_node_cpulist(t, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-7,64-71");
	assert_int_equal(kmb_topo_node_cpulist(t, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "8-15,72-79");
	assert_int_equal(kmb_topo_node_cpulist(t, 1, buf, 5), -ENOSPC);
	assert_int_equal(kmb_topo_cpu_to_node(t, 0), 0);
	assert_int_equal(kmb_topo_cpu_to_node(t, 64), 0);
	assert_int_equal(kmb_topo_cpu_to_node(t, 8), 4);
	assert_int_equal(kmb_topo_cpu_to_node(t, 16), 1);
	assert_int_equal(kmb_topo_cpu_to_node(t, 127), 7);
	assert_int_equal(kmb_topo_cpu_to_node(t, 128), -1);
	assert_int_equal(kmb_topo_cache_line_size(t), 128);
	assert_string_equal(kmb_topo_cpu_model(t), "KMB Synthetic CPU @ 2.00GHz");
	assert_int_equal(kmb_topo_pin_self(t, 0), -EINVAL);	/* not this machine */
}

static void test_xml_plans(void **state)
{
	const struct kmb_topo *t = *state;
	int cpus[MAX_CPUS];

	/* Compact fills core 0's SMT pair first: OS CPUs 0 and 64, not 0 and 1. */
	plan(t, KMB_PIN_COMPACT, 4, cpus);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[1], 64);
	assert_int_equal(cpus[2], 1);
	assert_int_equal(cpus[3], 65);

	plan(t, KMB_PIN_SCATTER, 4, cpus);
	assert_int_equal(distinct(cpus, 4, key_pkg_xml, t), 4);

	plan(t, KMB_PIN_SCATTER, 8, cpus);
	assert_int_equal(distinct(cpus, 8, key_node, t), 8);
	assert_int_equal(distinct(cpus, 8, key_pkg_xml, t), 4);

	plan(t, KMB_PIN_SCATTER, 64, cpus);
	assert_int_equal(distinct(cpus, 64, key_core_xml, t), 64);

	plan(t, KMB_PIN_SCATTER, 128, cpus);
	assert_int_equal(distinct(cpus, 128, key_cpu, t), 128);
}


/* --- node:N and spread, the farthest node, and the larger fixtures (see the README there) --- */

/*
 * SYN_SMALL: node n holds PUs 8n..8n+7 (cores 4n..4n+3).  No distances in a synthetic
 * topology, so the farthest node is the lowest-numbered other one.
 */
static void test_small_node_spread(void **state)
{
	const struct kmb_topo *t = *state;
	int cpus[MAX_CPUS];
	struct kmb_pin pin = { KMB_PIN_NODE, 3 };

	/* node:N: the node's cores one PU each (PU 2c of core c), then their SMT siblings. */
	plan_node(t, 3, 2, cpus);
	assert_cpus(cpus, (int[]){ 24, 26 }, 2);
	plan_node(t, 1, 8, cpus);
	assert_cpus(cpus, (int[]){ 8, 10, 12, 14, 9, 11, 13, 15 }, 8);
	/* Spread: thread i on node i % 4, each node's next core, not its first core's sibling. */
	plan(t, KMB_PIN_SPREAD, 6, cpus);
	assert_cpus(cpus, (int[]){ 0, 8, 16, 24, 2, 10 }, 6);
	plan(t, KMB_PIN_SPREAD, 32, cpus);
	assert_int_equal(distinct(cpus, 32, key_cpu, t), 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(kmb_topo_cpu_to_node(t, cpus[i]), i % 4);
	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, &pin, 9, cpus, errbuf, sizeof(errbuf)), -E2BIG);
	assert_non_null(strstr(errbuf, "--pin node:3: 9 threads but node 3 has only 8 CPUs"));
	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_SPREAD), 33, cpus, errbuf,
					   sizeof(errbuf)), -E2BIG);
	assert_non_null(strstr(errbuf, "--pin spread: 33 threads"));
	pin.node = 4;
	assert_int_equal(kmb_topo_pin_plan(t, &pin, 1, cpus, errbuf, sizeof(errbuf)), -EINVAL);
	assert_string_equal(errbuf, "--pin node:4: there is no NUMA node 4 here; nodes with CPUs: 0-3");
	assert_int_equal(kmb_topo_farthest_node(t, 0), 1);
	assert_int_equal(kmb_topo_farthest_node(t, 2), 0);
	assert_int_equal(kmb_topo_farthest_node(t, 4), -EINVAL);
	assert_int_equal(kmb_topo_node_index(t, 2), 2);
	assert_int_equal(kmb_topo_node_index(t, 4), -1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(kmb_topo_node_num_cpus(t, i), 8);
	assert_int_equal(kmb_topo_node_num_cpus(t, 4), 0);
}

/*
 * 4pack-8node.xml, node OS numbers 0, 4, 1, 5, 2, 6, 3, 7 by logical index: package p holds
 * nodes p and p + 4, node p its cores 16p..16p+7, node p + 4 cores 16p+8..16p+15 (PUs c and
 * c + 64).  Spread takes nodes in OS order, so thread 1 goes to package 1, not to node 4.
 */
static void test_xml_node_spread(void **state)
{
	const struct kmb_topo *t = *state;
	int cpus[MAX_CPUS];

	plan(t, KMB_PIN_SPREAD, 8, cpus);
	assert_cpus(cpus, (int[]){ 0, 16, 32, 48, 8, 24, 40, 56 }, 8);
	plan(t, KMB_PIN_SPREAD, 10, cpus);
	assert_cpus(cpus + 8, (int[]){ 1, 17 }, 2);	/* node 0's and node 1's second cores */
	plan_node(t, 4, 3, cpus);
	assert_cpus(cpus, (int[]){ 8, 9, 10 }, 3);	/* cores before SMT siblings (72, ...) */
	/* Ring of packages: 32 to the package across, ties to the lowest OS number. */
	assert_int_equal(kmb_topo_farthest_node(t, 0), 2);
	assert_int_equal(kmb_topo_farthest_node(t, 4), 2);
	assert_int_equal(kmb_topo_farthest_node(t, 1), 3);
	assert_int_equal(kmb_topo_farthest_node(t, 7), 1);
	assert_int_equal(kmb_topo_node_index(t, 4), 1);
}

#define XML_256PU	"tests/fixtures/topology/2pack-8node-256pu.xml"
#define XML_SNC4	"tests/fixtures/topology/4pack-snc4-16node.xml"
#define XML_HBM_CXL	"tests/fixtures/topology/2pack-hbm-cxl.xml"

static struct kmb_topo *load_fixture(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", kmb_test_source_dir(), rel);
	return load_or_fail(NULL, path);
}

/*
 * 2 packages x 4 nodes (NPS4) x 16 cores x 2 threads: node n (OS = logical) holds cores
 * 16n..16n+15, core c the PUs c and c + 128; distances 10, 12 in the package, 32 across.
 */
static void test_256pu(void **state)
{
	struct kmb_topo *t = load_fixture(XML_256PU);
	int cpus[MAX_CPUS], per_node[8] = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(kmb_topo_num_pus(t), 256);
	assert_int_equal(kmb_topo_num_cores(t), 128);
	assert_int_equal(kmb_topo_num_packages(t), 2);
	assert_int_equal(kmb_topo_num_nodes(t), 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(kmb_topo_node_os_index(t, i), i);
		assert_int_equal(kmb_topo_node_num_cpus(t, i), 32);
		assert_int_equal(kmb_topo_node_memory(t, i), 64 * GIB);
		for (int j = 0; j < 8; j++)
			assert_int_equal(kmb_topo_node_distance(t, i, j),
					 i == j ? 10 : i / 4 == j / 4 ? 12 : 32);
	}
	assert_int_equal(kmb_topo_node_cpulist(t, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-15,128-143");
	assert_int_equal(kmb_topo_node_cpulist(t, 5, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "80-95,208-223");
	assert_int_equal(kmb_topo_cpu_to_node(t, 143), 0);
	assert_int_equal(kmb_topo_cpu_to_node(t, 200), 4);
	assert_int_equal(kmb_topo_farthest_node(t, 0), 4);
	assert_int_equal(kmb_topo_farthest_node(t, 5), 0);

	plan(t, KMB_PIN_COMPACT, 4, cpus);
	assert_cpus(cpus, (int[]){ 0, 128, 1, 129 }, 4);
	plan_node(t, 5, 4, cpus);
	assert_cpus(cpus, (int[]){ 80, 81, 82, 83 }, 4);	/* cores first, siblings (208) later */
	plan_node(t, 7, 32, cpus);
	for (int i = 0; i < 32; i++)
		assert_int_equal(kmb_topo_cpu_to_node(t, cpus[i]), 7);
	assert_int_equal(distinct(cpus, 32, key_cpu, t), 32);
	assert_int_equal(kmb_topo_pin_plan(t, &(struct kmb_pin){ KMB_PIN_NODE, 5 }, 33, cpus,
					   errbuf, sizeof(errbuf)), -E2BIG);
	assert_non_null(strstr(errbuf, "node 5 has only 32 CPUs"));
	plan(t, KMB_PIN_SPREAD, 10, cpus);
	assert_cpus(cpus, (int[]){ 0, 16, 32, 48, 64, 80, 96, 112, 1, 17 }, 10);
	plan(t, KMB_PIN_SPREAD, 256, cpus);
	assert_int_equal(distinct(cpus, 256, key_cpu, t), 256);
	for (int i = 0; i < 256; i++) {
		assert_int_equal(kmb_topo_cpu_to_node(t, cpus[i]), i % 8);
		per_node[i % 8]++;
	}
	plan(t, KMB_PIN_SCATTER, 8, cpus);
	assert_int_equal(distinct(cpus, 8, key_node, t), 8);
	kmb_topo_free(t);
}

/*
 * 4 packages in SNC4 x 4 cores x 2 threads: node n (OS = logical) holds cores 4n..4n+3, core
 * c the PUs c and c + 64; distances 10, 12 in the package, 21 to every other package.
 */
static void test_snc4(void **state)
{
	struct kmb_topo *t = load_fixture(XML_SNC4);
	int cpus[MAX_CPUS];
	char buf[64];

	(void)state;
	assert_int_equal(kmb_topo_num_pus(t), 128);
	assert_int_equal(kmb_topo_num_cores(t), 64);
	assert_int_equal(kmb_topo_num_packages(t), 4);
	assert_int_equal(kmb_topo_num_nodes(t), 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(kmb_topo_node_num_cpus(t, i), 8);
		assert_int_equal(kmb_topo_node_memory(t, i), 32 * GIB);
		for (int j = 0; j < 16; j++)
			assert_int_equal(kmb_topo_node_distance(t, i, j),
					 i == j ? 10 : i / 4 == j / 4 ? 12 : 21);
	}
	assert_int_equal(kmb_topo_node_cpulist(t, 15, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "60-63,124-127");
	assert_int_equal(kmb_topo_cpu_to_node(t, 67), 0);
	assert_int_equal(kmb_topo_cpu_to_node(t, 100), 9);
	/* Every other package is 21 away: the lowest-numbered node of another package. */
	assert_int_equal(kmb_topo_farthest_node(t, 0), 4);
	assert_int_equal(kmb_topo_farthest_node(t, 5), 0);
	assert_int_equal(kmb_topo_farthest_node(t, 13), 0);

	plan(t, KMB_PIN_COMPACT, 4, cpus);
	assert_cpus(cpus, (int[]){ 0, 64, 1, 65 }, 4);
	plan_node(t, 6, 4, cpus);
	assert_cpus(cpus, (int[]){ 24, 25, 26, 27 }, 4);
	plan(t, KMB_PIN_SPREAD, 20, cpus);
	assert_cpus(cpus, (int[]){ 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
				   1, 5, 9, 13 }, 20);
	plan(t, KMB_PIN_SPREAD, 128, cpus);
	assert_int_equal(distinct(cpus, 128, key_cpu, t), 128);
	for (int i = 0; i < 128; i++)
		assert_int_equal(kmb_topo_cpu_to_node(t, cpus[i]), i % 16);
	plan(t, KMB_PIN_SCATTER, 4, cpus);
	assert_int_equal(distinct(cpus, 4, key_pkg_xml, t), 4);	/* package = (cpu % 64) / 16 */
	kmb_topo_free(t);
}

/* Distances of the HBM/CXL fixture by OS node number (README.md). */
static const int hbm_cxl_dist[5][5] = {
	{ 10, 21, 13, 23, 28 },
	{ 21, 10, 23, 13, 17 },
	{ 13, 23, 10, 23, 28 },
	{ 23, 13, 23, 10, 17 },
	{ 28, 17, 28, 17, 10 },
};

/*
 * 2 packages x 8 cores x 2 threads (PU 2c and 2c + 1 on core c, package p cores 8p..8p+7);
 * DRAM nodes 0 and 1 have the CPUs, HBM nodes 2 and 3 (attached to the packages) and the CXL
 * node 4 (attached to the machine) have none.  Logical order 0, 2, 1, 3, 4.
 */
static void test_hbm_cxl(void **state)
{
	static const int os[5] = { 0, 2, 1, 3, 4 };
	static const unsigned long long mem[5] = { 256, 64, 256, 64, 512 };
	static const int ncpus[5] = { 16, 0, 16, 0, 0 };
	static const char *const lists[5] = { "0-15", "", "16-31", "", "" };
	struct kmb_topo *t = load_fixture(XML_HBM_CXL);
	int cpus[MAX_CPUS];
	char buf[64];

	(void)state;
	assert_int_equal(kmb_topo_num_pus(t), 32);
	assert_int_equal(kmb_topo_num_packages(t), 2);
	assert_int_equal(kmb_topo_num_nodes(t), 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(kmb_topo_node_os_index(t, i), os[i]);
		assert_int_equal(kmb_topo_node_index(t, os[i]), i);
		assert_int_equal(kmb_topo_node_memory(t, i), mem[i] * GIB);
		assert_int_equal(kmb_topo_node_num_cpus(t, i), ncpus[i]);
		assert_int_equal(kmb_topo_node_cpulist(t, i, buf, sizeof(buf)), 0);
		assert_string_equal(buf, lists[i]);
		for (int j = 0; j < 5; j++)
			assert_int_equal(kmb_topo_node_distance(t, i, j), hbm_cxl_dist[os[i]][os[j]]);
	}
	/* A CPU's node is its package's DRAM node, never the HBM beside it or the CXL above. */
	for (int c = 0; c < 32; c++)
		assert_int_equal(kmb_topo_cpu_to_node(t, c), c / 16);
	/* Remote may be a node without CPUs: the farthest by distance, ties to the lowest. */
	assert_int_equal(kmb_topo_farthest_node(t, 0), 4);
	assert_int_equal(kmb_topo_farthest_node(t, 1), 2);
	assert_int_equal(kmb_topo_farthest_node(t, 2), 4);
	assert_int_equal(kmb_topo_farthest_node(t, 3), 0);
	assert_int_equal(kmb_topo_farthest_node(t, 4), 0);

	plan_node(t, 1, 3, cpus);
	assert_cpus(cpus, (int[]){ 16, 18, 20 }, 3);	/* cores 8, 9, 10: siblings later */
	plan(t, KMB_PIN_SPREAD, 4, cpus);
	assert_cpus(cpus, (int[]){ 0, 16, 2, 18 }, 4);
	plan(t, KMB_PIN_SPREAD, 32, cpus);
	assert_int_equal(distinct(cpus, 32, key_cpu, t), 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(kmb_topo_cpu_to_node(t, cpus[i]), i % 2);
	plan(t, KMB_PIN_SCATTER, 2, cpus);
	assert_int_equal(cpus[0] / 16 != cpus[1] / 16, 1);	/* one per package */
	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, &(struct kmb_pin){ KMB_PIN_NODE, 2 }, 1, cpus,
					   errbuf, sizeof(errbuf)), -EINVAL);
	assert_string_equal(errbuf, "--pin node:2: node 2 has no CPUs (memory only); nodes with "
			    "CPUs: 0-1");
	assert_int_equal(kmb_topo_pin_plan(t, &(struct kmb_pin){ KMB_PIN_NODE, 7 }, 1, cpus,
					   errbuf, sizeof(errbuf)), -EINVAL);
	assert_string_equal(errbuf, "--pin node:7: there is no NUMA node 7 here; nodes with "
			    "CPUs: 0-1");
	kmb_topo_free(t);
}

static int affinity_count(cpu_set_t *set)
{
	CPU_ZERO(set);
	assert_int_equal(sched_getaffinity(0, sizeof(*set), set), 0);
	return CPU_COUNT(set);
}

static void test_real_machine(void **state)
{
	struct kmb_topo *t;
	cpu_set_t orig;
	int cpus[MAX_CPUS];
	unsigned int maj, min, rel;
	int i, n, line, ret, usable;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	usable = affinity_count(&orig);
	t = load_or_fail(NULL, NULL);
	n = kmb_topo_num_pus(t);
	assert_int_equal(n, usable);
	assert_true(n <= online);
	assert_true(kmb_topo_num_cores(t) >= 1 && kmb_topo_num_cores(t) <= n);
	assert_true(kmb_topo_num_packages(t) >= 1);
	assert_true(kmb_topo_num_nodes(t) >= 1);
	assert_true(kmb_topo_node_memory(t, 0) > 0);
	if (kmb_topo_num_nodes(t) == 1)
		assert_int_equal(kmb_topo_node_distance(t, 0, 0), 10);
	line = kmb_topo_cache_line_size(t);
	assert_true(line >= 16 && line <= 256 && !(line & (line - 1)));
	assert_non_null(kmb_topo_cpu_model(t));
	assert_int_equal(sscanf(kmb_topo_hwloc_version(), "%u.%u.%u", &maj, &min, &rel), 3);
	assert_int_equal(maj, 2);

	plan(t, KMB_PIN_COMPACT, n, cpus);
	for (i = 0; i < n; i++) {
		int node = kmb_topo_cpu_to_node(t, cpus[i]), k, found = 0;

		assert_true(CPU_ISSET(cpus[i], &orig));
		for (k = 0; k < kmb_topo_num_nodes(t); k++)
			found |= kmb_topo_node_os_index(t, k) == node;
		assert_true(found);
		ret = kmb_topo_pin_self(t, cpus[i]);
		if (ret) {
			sched_setaffinity(0, sizeof(orig), &orig);
			fail_msg("pin_self(%d) = %d", cpus[i], ret);
		}
		for (k = 0; k < 3 && sched_getcpu() != cpus[i]; k++)
			sched_yield();
		if (sched_getcpu() != cpus[i]) {
			sched_setaffinity(0, sizeof(orig), &orig);
			fail_msg("pinned to %d but running on %d", cpus[i], sched_getcpu());
		}
	}
	assert_int_equal(sched_setaffinity(0, sizeof(orig), &orig), 0);
	assert_int_equal(kmb_topo_pin_self(t, -1), -EINVAL);
	assert_int_equal(kmb_topo_pin_self(t, MAX_CPUS * 64), -EINVAL);
	kmb_topo_free(t);

	t = load_or_fail(SYN_SMALL, NULL);
	assert_int_equal(kmb_topo_pin_self(t, 0), -EINVAL);
	kmb_topo_free(t);
}

/* Under taskset the topology shrinks to the allowed CPUs. */
static void test_real_affinity(void **state)
{
	struct kmb_topo *t;
	cpu_set_t orig, one;
	int cpus[MAX_CPUS];
	char msg[sizeof(errbuf)];
	int first = -1, i, ret, npus;

	(void)state;
	if (affinity_count(&orig) < 2)
		skip();
	for (i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &orig))
			first = i;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	t = kmb_topo_load(NULL, NULL, errbuf, sizeof(errbuf));
	assert_int_equal(sched_setaffinity(0, sizeof(orig), &orig), 0);
	if (!t)
		fail_msg("load under affinity: %s", errbuf);
	npus = kmb_topo_num_pus(t);
	ret = kmb_topo_pin_plan(t, PIN(KMB_PIN_COMPACT), 2, cpus, msg, sizeof(msg));
	plan(t, KMB_PIN_SCATTER, 1, cpus);
	kmb_topo_free(t);
	assert_int_equal(npus, 1);
	assert_int_equal(ret, -E2BIG);
	assert_non_null(strstr(msg, "only 1 CPU is usable"));
	assert_int_equal(cpus[0], first);
}

static void test_bad_input(void **state)
{
	struct kmb_pin pin = { KMB_PIN_SCATTER, -1 };
	struct kmb_topo *t;
	int cpus[4];
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(kmb_pin_parse("bogus", &pin), -EINVAL);
	assert_int_equal(pin.policy, KMB_PIN_SCATTER);
	assert_int_equal(kmb_pin_parse("", &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse(NULL, &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse("node", &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse("node:", &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse("node:-1", &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse("node:1x", &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse("node:4096", &pin), -EINVAL);
	assert_int_equal(kmb_pin_parse("Spread", &pin), -EINVAL);
	assert_int_equal(pin.policy, KMB_PIN_SCATTER);
	assert_int_equal(kmb_pin_parse("none", &pin), 0);
	assert_int_equal(pin.policy, KMB_PIN_NONE);
	assert_int_equal(kmb_pin_parse("compact", &pin), 0);
	assert_int_equal(pin.policy, KMB_PIN_COMPACT);
	assert_int_equal(kmb_pin_parse("spread", &pin), 0);
	assert_int_equal(pin.policy, KMB_PIN_SPREAD);
	assert_int_equal(pin.node, -1);
	assert_int_equal(kmb_pin_parse("node:12", &pin), 0);
	assert_int_equal(pin.policy, KMB_PIN_NODE);
	assert_int_equal(pin.node, 12);
	assert_string_equal(kmb_pin_format(&pin, path, sizeof(path)), "node:12");
	assert_int_equal(kmb_pin_parse("scatter", &pin), 0);
	assert_int_equal(pin.policy, KMB_PIN_SCATTER);
	assert_string_equal(kmb_pin_format(&pin, path, sizeof(path)), "scatter");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_NONE), "none");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_COMPACT), "compact");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_SCATTER), "scatter");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_SPREAD), "spread");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_NODE), "node");
	assert_string_equal(kmb_pin_policy_name(KMB_NR_PIN_POLICIES), "?");

	errbuf[0] = '\0';
	assert_null(kmb_topo_load("garbage", NULL, errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "'garbage'"));

	errbuf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", kmb_test_source_dir(), XML_FIXTURE);
	assert_null(kmb_topo_load(SYN_SMALL, path, errbuf, sizeof(errbuf)));
	assert_true(strlen(errbuf) > 0);

	errbuf[0] = '\0';
	assert_null(kmb_topo_load(NULL, "/nonexistent/kmb-topo.xml", errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "/nonexistent/kmb-topo.xml"));

	assert_null(kmb_topo_load("garbage", NULL, NULL, 0));	/* no error buffer: fine */

	t = load_or_fail(SYN_SMALL, NULL);
	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_COMPACT), 0, cpus, errbuf, sizeof(errbuf)),
			 -EINVAL);
	assert_true(strlen(errbuf) > 0);
	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_NONE), -1, cpus, errbuf, sizeof(errbuf)),
			 -EINVAL);
	assert_int_equal(kmb_topo_pin_plan(t, PIN((enum kmb_pin_policy)42), 1, cpus, errbuf,
					   sizeof(errbuf)), -EINVAL);
	assert_int_equal(kmb_topo_pin_plan(t, PIN(KMB_PIN_COMPACT), 1, NULL, errbuf, sizeof(errbuf)),
			 -EINVAL);
	assert_int_equal(kmb_topo_node_os_index(t, 4), -EINVAL);
	assert_int_equal(kmb_topo_node_os_index(t, -1), -EINVAL);
	assert_int_equal(kmb_topo_node_memory(t, 4), 0);
	assert_int_equal(kmb_topo_node_distance(t, 0, 4), 0);
	assert_int_equal(kmb_topo_node_cpulist(t, 4, path, sizeof(path)), -EINVAL);
	assert_int_equal(kmb_topo_cpu_to_node(t, -1), -1);
	assert_int_equal(kmb_topo_cpu_to_node(t, 32), -1);
	kmb_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_counts, setup_small, teardown_topo),
		cmocka_unit_test_setup_teardown(test_small_plans, setup_small, teardown_topo),
		cmocka_unit_test_setup_teardown(test_small_too_many, setup_small, teardown_topo),
		cmocka_unit_test_setup_teardown(test_large_plans, setup_large, teardown_topo),
		cmocka_unit_test_setup_teardown(test_large_concurrent, setup_large, teardown_topo),
		cmocka_unit_test_setup_teardown(test_xml_queries, setup_xml, teardown_topo),
		cmocka_unit_test_setup_teardown(test_xml_plans, setup_xml, teardown_topo),
		cmocka_unit_test_setup_teardown(test_small_node_spread, setup_small, teardown_topo),
		cmocka_unit_test_setup_teardown(test_xml_node_spread, setup_xml, teardown_topo),
		cmocka_unit_test(test_256pu),
		cmocka_unit_test(test_snc4),
		cmocka_unit_test(test_hbm_cxl),
		cmocka_unit_test(test_real_machine),
		cmocka_unit_test(test_real_affinity),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
