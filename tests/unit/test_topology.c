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

#define SYN_SMALL	"pack:2 numa:2 core:4 pu:2"	/* 32 PUs, 16 cores, 4 nodes */
#define SYN_LARGE	"pack:2 numa:4 core:16 pu:2"	/* 256 PUs, 128 cores, 8 nodes */
#define XML_FIXTURE	"tests/fixtures/topology/4pack-8node.xml"
#define MAX_CPUS	1024
#define GIB		(1024ULL * 1024 * 1024)

static char errbuf[256];

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

static const char *source_dir(void)
{
	const char *s = getenv("KMB_SOURCE_DIR");

	if (s && *s)
		return s;
#ifdef KMB_SOURCE_DIR
	return KMB_SOURCE_DIR;
#else
	return ".";
#endif
}

static int setup_xml(void **state)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", source_dir(), XML_FIXTURE);
	*state = load_or_fail(NULL, path);
	return 0;
}

static int teardown_topo(void **state)
{
	kmb_topo_free(*state);
	*state = NULL;
	return 0;
}

/* Plan @n threads, failing the test on error; cpus[] needs room for @n + 1 entries. */
static void plan(const struct kmb_topo *t, enum kmb_pin_policy p, int n, int *cpus)
{
	int i, ret;

	for (i = 0; i < MAX_CPUS; i++)
		cpus[i] = INT_MIN;
	ret = kmb_topo_pin_plan(t, p, n, cpus, errbuf, sizeof(errbuf));
	if (ret)
		fail_msg("pin_plan(%s, %d) = %d: %s", kmb_pin_policy_name(p), n, ret, errbuf);
	for (i = 0; i < n; i++)
		assert_true(p == KMB_PIN_NONE ? cpus[i] == -1 : cpus[i] >= 0 && cpus[i] < MAX_CPUS);
	assert_int_equal(cpus[n], INT_MIN);	/* wrote no more than asked */
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
	assert_int_equal(kmb_topo_pin_plan(t, KMB_PIN_COMPACT, 33, cpus, errbuf, sizeof(errbuf)),
			 -E2BIG);
	assert_non_null(strstr(errbuf, "33 threads"));
	assert_non_null(strstr(errbuf, "32"));
	assert_non_null(strstr(errbuf, "--pin none"));
	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, KMB_PIN_SCATTER, 33, cpus, errbuf, sizeof(errbuf)),
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

	assert_int_equal(kmb_topo_pin_plan(t, KMB_PIN_COMPACT, 257, cpus, errbuf, sizeof(errbuf)),
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
		if (kmb_topo_pin_plan(job->t, KMB_PIN_SCATTER, 64, cpus, err, sizeof(err)) ||
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
	ret = kmb_topo_pin_plan(t, KMB_PIN_COMPACT, 2, cpus, msg, sizeof(msg));
	plan(t, KMB_PIN_SCATTER, 1, cpus);
	kmb_topo_free(t);
	assert_int_equal(npus, 1);
	assert_int_equal(ret, -E2BIG);
	assert_non_null(strstr(msg, "only 1 CPU is usable"));
	assert_int_equal(cpus[0], first);
}

static void test_bad_input(void **state)
{
	enum kmb_pin_policy p = KMB_PIN_SCATTER;
	struct kmb_topo *t;
	int cpus[4];
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(kmb_pin_policy_parse("bogus", &p), -EINVAL);
	assert_int_equal(p, KMB_PIN_SCATTER);
	assert_int_equal(kmb_pin_policy_parse("", &p), -EINVAL);
	assert_int_equal(kmb_pin_policy_parse(NULL, &p), -EINVAL);
	assert_int_equal(kmb_pin_policy_parse("none", &p), 0);
	assert_int_equal(p, KMB_PIN_NONE);
	assert_int_equal(kmb_pin_policy_parse("compact", &p), 0);
	assert_int_equal(p, KMB_PIN_COMPACT);
	assert_int_equal(kmb_pin_policy_parse("scatter", &p), 0);
	assert_int_equal(p, KMB_PIN_SCATTER);
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_NONE), "none");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_COMPACT), "compact");
	assert_string_equal(kmb_pin_policy_name(KMB_PIN_SCATTER), "scatter");

	errbuf[0] = '\0';
	assert_null(kmb_topo_load("garbage", NULL, errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "'garbage'"));

	errbuf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", source_dir(), XML_FIXTURE);
	assert_null(kmb_topo_load(SYN_SMALL, path, errbuf, sizeof(errbuf)));
	assert_true(strlen(errbuf) > 0);

	errbuf[0] = '\0';
	assert_null(kmb_topo_load(NULL, "/nonexistent/kmb-topo.xml", errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "/nonexistent/kmb-topo.xml"));

	assert_null(kmb_topo_load("garbage", NULL, NULL, 0));	/* no error buffer: fine */

	t = load_or_fail(SYN_SMALL, NULL);
	errbuf[0] = '\0';
	assert_int_equal(kmb_topo_pin_plan(t, KMB_PIN_COMPACT, 0, cpus, errbuf, sizeof(errbuf)),
			 -EINVAL);
	assert_true(strlen(errbuf) > 0);
	assert_int_equal(kmb_topo_pin_plan(t, KMB_PIN_NONE, -1, cpus, errbuf, sizeof(errbuf)),
			 -EINVAL);
	assert_int_equal(kmb_topo_pin_plan(t, (enum kmb_pin_policy)42, 1, cpus, errbuf,
					   sizeof(errbuf)), -EINVAL);
	assert_int_equal(kmb_topo_pin_plan(t, KMB_PIN_COMPACT, 1, NULL, errbuf, sizeof(errbuf)),
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
		cmocka_unit_test(test_real_machine),
		cmocka_unit_test(test_real_affinity),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
