/*
 * test_numa_pin_plans.c - the pinning plans (kmb_topo_pin_plan) on machines that are not
 * regular, and the topology named by HWLOC_XMLFILE (issue 17, "Pinning fixed and stated").
 *
 * The plans were right on regular machines and wrong on these, each taken from hwloc's own
 * export of a real shape (tests/fixtures/topology/README.md says how each was made):
 *
 *   nodeless-cpus.xml    3 packages, but cpuset.mems holds only nodes 0 and 1: package 2's
 *                        CPUs have no node.  spread never returned for more threads than the
 *                        nodes' CPUs (9 here), and kmb_topo_cpu_to_node() said -1 for them.
 *   uneven-packages.xml  8 usable CPUs in package 0, 4 in package 1: scatter put its first
 *                        two threads on package 0 (hwloc_distrib splits by weight).
 *   offline-cpus.xml     4 cores, three of them with a thread offline: scatter put threads
 *                        on core 0's two siblings while core 2 was idle.
 *   2pack-hbm-cxl.xml    memory-only nodes (HBM, CXL): never a CPU's node, never planned on.
 * and hwloc synthetic machines with SMT, where spread and node:N took a core's sibling before
 * the node's next core.  Each test names the exact CPU list of every policy for every thread
 * count (a plan of n threads is the first n of the full list), worked out by hand from the
 * tree that `lstopo-no-graphics -i FILE -p` shows.  Every binding policy but compact takes one
 * PU on every core before any SMT sibling.
 *
 * No plan may hang: every call runs under a watchdog (SIGALRM after WATCHDOG_S seconds says
 * which plan and exits 1), and ctest's TIMEOUT bounds the whole program.
 *
 * Fixtures are found through $KMB_SOURCE_DIR, else the KMB_SOURCE_DIR macro, else ".".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
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

#define FIXTURES	"tests/fixtures/topology/"
#define MAX_CPUS	512
#define WATCHDOG_S	20	/* one plan takes microseconds; this is "never returns" */

static char errbuf[512];
static char what[160];	/* the plan being computed, for the watchdog's message */

static void watchdog(int sig)
{
	static const char msg[] = "test_numa_pin_plans: a plan did not return within the "
				  "watchdog's time (a hang): ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, what, strnlen(what, sizeof(what))) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static const char *fixture(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" FIXTURES "%s", kmb_test_source_dir(), name);
	return buf;
}

static struct kmb_topo *load_xml(const char *name)
{
	char path[PATH_MAX];
	struct kmb_topo *t = kmb_topo_load(NULL, fixture(name, path, sizeof(path)), errbuf,
					   sizeof(errbuf));

	if (!t)
		fail_msg("kmb_topo_load(%s): %s", path, errbuf);
	return t;
}

static struct kmb_topo *load_syn(const char *synthetic)
{
	struct kmb_topo *t = kmb_topo_load(synthetic, NULL, errbuf, sizeof(errbuf));

	if (!t)
		fail_msg("kmb_topo_load(%s): %s", synthetic, errbuf);
	return t;
}

/* kmb_topo_pin_plan under the watchdog. */
static int plan_raw(const struct kmb_topo *t, const struct kmb_pin *pin, int n, int *cpus)
{
	char name[32];
	int ret;

	snprintf(what, sizeof(what), "--pin %s with %d threads",
		 kmb_pin_format(pin, name, sizeof(name)), n);
	alarm(WATCHDOG_S);
	ret = kmb_topo_pin_plan(t, pin, n, cpus, errbuf, sizeof(errbuf));
	alarm(0);
	return ret;
}

#define PIN(p)		(&(struct kmb_pin){ (p), -1 })
#define NODE(n)		(&(struct kmb_pin){ KMB_PIN_NODE, (n) })

/*
 * The plan of every thread count 1..nwant under @pin is want[0..n) exactly, and nwant + 1
 * threads are refused with -E2BIG, the message naming the count.
 */
static void expect_plans(const struct kmb_topo *t, const struct kmb_pin *pin, const int *want,
			 int nwant)
{
	int cpus[MAX_CPUS + 1];
	char name[32], count[32];

	kmb_pin_format(pin, name, sizeof(name));
	for (int n = 1; n <= nwant; n++) {
		for (int i = 0; i <= n; i++)
			cpus[i] = INT_MIN;
		if (plan_raw(t, pin, n, cpus))
			fail_msg("--pin %s, %d threads: %s", name, n, errbuf);
		for (int i = 0; i < n; i++)
			if (cpus[i] != want[i])
				fail_msg("--pin %s, %d threads: thread %d on CPU %d, want %d", name,
					 n, i, cpus[i], want[i]);
		assert_int_equal(cpus[n], INT_MIN);	/* nothing written past n */
	}
	if (plan_raw(t, pin, nwant + 1, cpus) != -E2BIG)
		fail_msg("--pin %s with %d threads, one more than the CPUs: not -E2BIG (%s)", name,
			 nwant + 1, errbuf);
	snprintf(count, sizeof(count), "%d threads", nwant + 1);
	assert_non_null(strstr(errbuf, count));
}

#define EXPECT(t, pin, ...)							\
	do {									\
		static const int want_[] = { __VA_ARGS__ };			\
		expect_plans(t, pin, want_, (int)(sizeof(want_) / sizeof(want_[0])));	\
	} while (0)

/* @pin refused with -EINVAL and exactly @msg. */
static void expect_refused(const struct kmb_topo *t, const struct kmb_pin *pin, const char *msg)
{
	int cpus[4];

	assert_int_equal(plan_raw(t, pin, 1, cpus), -EINVAL);
	assert_string_equal(errbuf, msg);
}

static void expect_cpulist(const char *got_from, int ret, const char *buf, const char *want)
{
	if (ret)
		fail_msg("%s: %d", got_from, ret);
	assert_string_equal(buf, want);
}

/*
 * nodeless-cpus.xml: package p holds cores 2p, 2p + 1; core c the PUs c and c + 6.  Nodes 0
 * and 1 are packages 0's and 1's; node 2 (package 2's) is outside cpuset.mems and gone, so
 * CPUs 4, 5, 10 and 11 have no node.  They are usable by every policy but node:N, and count
 * as node 0: the lowest-numbered node below their closest ancestor with one (the machine).
 */
static void test_nodeless_cpus(void **state)
{
	static const int node_of[12] = { 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0 };
	struct kmb_topo *t = load_xml("nodeless-cpus.xml");
	char buf[64];

	(void)state;
	assert_int_equal(kmb_topo_num_pus(t), 12);
	assert_int_equal(kmb_topo_num_cores(t), 6);
	assert_int_equal(kmb_topo_num_packages(t), 3);
	assert_int_equal(kmb_topo_num_nodes(t), 2);
	assert_int_equal(kmb_topo_node_num_cpus(t, 0), 4);
	assert_int_equal(kmb_topo_node_num_cpus(t, 1), 4);
	expect_cpulist("node 0", kmb_topo_node_cpulist(t, 0, buf, sizeof(buf)), buf, "0-1,6-7");
	expect_cpulist("node 1", kmb_topo_node_cpulist(t, 1, buf, sizeof(buf)), buf, "2-3,8-9");
	assert_int_equal(kmb_topo_num_nodeless_cpus(t), 4);
	expect_cpulist("nodeless", kmb_topo_nodeless_cpulist(t, buf, sizeof(buf)), buf,
		       "4-5,10-11");
	for (int c = 0; c < 12; c++)
		assert_int_equal(kmb_topo_cpu_to_node(t, c), node_of[c]);
	assert_int_equal(kmb_topo_cpu_to_node(t, 12), -1);

	EXPECT(t, PIN(KMB_PIN_COMPACT), 0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11);
	/* packages in turn, each its next core; then the siblings in the same order */
	EXPECT(t, PIN(KMB_PIN_SCATTER), 0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11);
	/* nodes 0 and 1 in turn, then the CPUs without a node; all cores before siblings */
	EXPECT(t, PIN(KMB_PIN_SPREAD), 0, 2, 1, 3, 4, 5, 6, 8, 7, 9, 10, 11);
	EXPECT(t, NODE(0), 0, 1, 6, 7);
	EXPECT(t, NODE(1), 2, 3, 8, 9);
	expect_refused(t, NODE(2), "--pin node:2: there is no NUMA node 2 here; nodes with CPUs: "
		       "0-1");
	kmb_topo_free(t);
}

/*
 * uneven-packages.xml: package 0 holds cores 0-3 (node 0), package 1 cores 4 and 5 (node 1;
 * its cores 6 and 7 are outside the cpuset); core c the PUs c and c + 8.
 */
static void test_uneven_packages(void **state)
{
	struct kmb_topo *t = load_xml("uneven-packages.xml");

	(void)state;
	assert_int_equal(kmb_topo_num_pus(t), 12);
	assert_int_equal(kmb_topo_num_cores(t), 6);
	assert_int_equal(kmb_topo_num_packages(t), 2);
	EXPECT(t, PIN(KMB_PIN_COMPACT), 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13);
	/* Round robin over the packages until package 1 runs out of cores. */
	EXPECT(t, PIN(KMB_PIN_SCATTER), 0, 4, 1, 5, 2, 3, 8, 12, 9, 13, 10, 11);
	EXPECT(t, PIN(KMB_PIN_SPREAD), 0, 4, 1, 5, 2, 3, 8, 12, 9, 13, 10, 11);
	EXPECT(t, NODE(0), 0, 1, 2, 3, 8, 9, 10, 11);
	EXPECT(t, NODE(1), 4, 5, 12, 13);
	kmb_topo_free(t);
}

/*
 * offline-cpus.xml: one package, cores 0-3 with PUs c and c + 4, CPUs 2, 5 and 7 offline:
 * core 0 has 0 and 4, core 1 has 1, core 2 only its second thread 6, core 3 has 3.  CPU 6
 * is core 2's first PU here, so it comes before CPU 4, core 0's sibling.
 */
static void test_offline_cpus(void **state)
{
	struct kmb_topo *t = load_xml("offline-cpus.xml");
	char buf[64];

	(void)state;
	assert_int_equal(kmb_topo_num_pus(t), 5);
	assert_int_equal(kmb_topo_num_cores(t), 4);
	expect_cpulist("node 0", kmb_topo_node_cpulist(t, 0, buf, sizeof(buf)), buf, "0-1,3-4,6");
	assert_int_equal(kmb_topo_cpu_to_node(t, 2), -1);	/* offline: not usable */
	EXPECT(t, PIN(KMB_PIN_COMPACT), 0, 4, 1, 6, 3);
	EXPECT(t, PIN(KMB_PIN_SCATTER), 0, 1, 6, 3, 4);
	EXPECT(t, PIN(KMB_PIN_SPREAD), 0, 1, 6, 3, 4);
	EXPECT(t, NODE(0), 0, 1, 6, 3, 4);
	kmb_topo_free(t);
}

/*
 * "pack:2 numa:2 core:4 pu:2": package p holds a Group per node, node n (OS n) the cores
 * 4n..4n+3, core c the PUs 2c and 2c + 1.  Scatter: packages in turn, within each its two
 * nodes in turn, then cores; spread: nodes 0-3 in turn.  Siblings (odd CPUs) after every
 * core, in the same order.
 */
static void test_smt(void **state)
{
	struct kmb_topo *t = load_syn("pack:2 numa:2 core:4 pu:2");
	int cpus[MAX_CPUS];

	(void)state;
	EXPECT(t, PIN(KMB_PIN_COMPACT), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
	EXPECT(t, PIN(KMB_PIN_SCATTER), 0, 16, 8, 24, 2, 18, 10, 26, 4, 20, 12, 28, 6, 22, 14,
	       30, 1, 17, 9, 25, 3, 19, 11, 27, 5, 21, 13, 29, 7, 23, 15, 31);
	EXPECT(t, PIN(KMB_PIN_SPREAD), 0, 8, 16, 24, 2, 10, 18, 26, 4, 12, 20, 28, 6, 14, 22,
	       30, 1, 9, 17, 25, 3, 11, 19, 27, 5, 13, 21, 29, 7, 15, 23, 31);
	EXPECT(t, NODE(2), 16, 18, 20, 22, 17, 19, 21, 23);
	/* compact alone shares a core at 2 threads */
	assert_int_equal(plan_raw(t, PIN(KMB_PIN_COMPACT), 2, cpus), 0);
	assert_int_equal(cpus[0] / 2, cpus[1] / 2);
	kmb_topo_free(t);

	/* SMT4, as POWER or Xeon Phi: every core's first thread, then every core's second... */
	t = load_syn("pack:1 core:2 pu:4");
	EXPECT(t, PIN(KMB_PIN_COMPACT), 0, 1, 2, 3, 4, 5, 6, 7);
	EXPECT(t, PIN(KMB_PIN_SCATTER), 0, 4, 1, 5, 2, 6, 3, 7);
	EXPECT(t, PIN(KMB_PIN_SPREAD), 0, 4, 1, 5, 2, 6, 3, 7);
	EXPECT(t, NODE(0), 0, 4, 1, 5, 2, 6, 3, 7);
	kmb_topo_free(t);
}

/*
 * 2pack-hbm-cxl.xml: core c holds PUs 2c and 2c + 1, package p the cores 8p..8p+7 and DRAM
 * node p; HBM nodes 2 and 3 and the CXL node 4 have no CPUs.  No plan uses them, none names
 * them as a CPU's node, and node:N for them is refused naming the nodes with CPUs.
 */
static void test_memory_only(void **state)
{
	struct kmb_topo *t = load_xml("2pack-hbm-cxl.xml");
	int cpus[MAX_CPUS];

	(void)state;
	assert_int_equal(kmb_topo_num_nodeless_cpus(t), 0);
	for (int c = 0; c < 32; c++)
		assert_int_equal(kmb_topo_cpu_to_node(t, c), c / 16);
	EXPECT(t, PIN(KMB_PIN_SCATTER), 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14,
	       30, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
	EXPECT(t, PIN(KMB_PIN_SPREAD), 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14,
	       30, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
	EXPECT(t, NODE(1), 16, 18, 20, 22, 24, 26, 28, 30, 17, 19, 21, 23, 25, 27, 29, 31);
	for (int n = 2; n <= 4; n++) {
		char msg[128];

		snprintf(msg, sizeof(msg), "--pin node:%d: node %d has no CPUs (memory only); "
			 "nodes with CPUs: 0-1", n, n);
		expect_refused(t, NODE(n), msg);
	}
	assert_int_equal(plan_raw(t, PIN(KMB_PIN_COMPACT), 32, cpus), 0);
	kmb_topo_free(t);
}

/*
 * Every policy, every thread count from 1 to one past the CPUs, on every topology here and
 * the larger fixtures: each call returns (the watchdog), with 0 and distinct usable CPUs,
 * or -E2BIG past the CPUs, and the plan of n threads is the first n of the plan of n + 1.
 */
static void sweep(const struct kmb_topo *t, const char *name)
{
	static int prev[MAX_CPUS + 1], cpus[MAX_CPUS + 1];
	int npus = kmb_topo_num_pus(t);

	for (int k = -3; k < kmb_topo_num_nodes(t); k++) {
		const struct kmb_pin *pin = k == -3 ? PIN(KMB_PIN_COMPACT) :
					    k == -2 ? PIN(KMB_PIN_SCATTER) :
					    k == -1 ? PIN(KMB_PIN_SPREAD) :
					    NODE(kmb_topo_node_os_index(t, k));
		int max = k < 0 ? npus : kmb_topo_node_num_cpus(t, k);

		if (max == 0)
			continue;	/* memory only: expect_refused's case */
		for (int n = 1; n <= max + 1 && n <= MAX_CPUS; n++) {
			int ret = plan_raw(t, pin, n, cpus);

			if (n > max) {
				if (ret != -E2BIG)
					fail_msg("%s: %s: %d, not -E2BIG", name, what, ret);
				break;
			}
			if (ret)
				fail_msg("%s: %s: %s", name, what, errbuf);
			for (int i = 0; i < n; i++) {
				if (kmb_topo_cpu_to_node(t, cpus[i]) < 0)
					fail_msg("%s: %s: thread %d on CPU %d, not usable", name,
						 what, i, cpus[i]);
				for (int j = 0; j < i; j++)
					if (cpus[j] == cpus[i])
						fail_msg("%s: %s: threads %d and %d on CPU %d",
							 name, what, j, i, cpus[i]);
				if (i < n - 1 && cpus[i] != prev[i])
					fail_msg("%s: %s: thread %d moved from CPU %d to %d",
						 name, what, i, prev[i], cpus[i]);
			}
			memcpy(prev, cpus, sizeof(int) * (size_t)n);
		}
	}
}

static void test_every_plan_returns(void **state)
{
	static const char *const xml[] = {
		"nodeless-cpus.xml", "uneven-packages.xml", "offline-cpus.xml",
		"2pack-hbm-cxl.xml", "4pack-8node.xml", "4pack-snc4-16node.xml",
		"2pack-8node-256pu.xml",
	};
	static const char *const syn[] = {
		"pack:2 numa:2 core:4 pu:2", "pack:1 core:2 pu:4", "pack:3 core:5 pu:1", "pu:1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(xml) / sizeof(xml[0]); i++) {
		struct kmb_topo *t = load_xml(xml[i]);

		sweep(t, xml[i]);
		kmb_topo_free(t);
	}
	for (size_t i = 0; i < sizeof(syn) / sizeof(syn[0]); i++) {
		struct kmb_topo *t = load_syn(syn[i]);

		sweep(t, syn[i]);
		kmb_topo_free(t);
	}
}

/* Load with only @name=@value of hwloc's topology variables set; the variables are restored. */
static struct kmb_topo *load_env(const char *name, const char *value)
{
	static const char *const vars[] = { "HWLOC_XMLFILE", "HWLOC_SYNTHETIC", "HWLOC_FSROOT",
					    "HWLOC_CPUID_PATH" };
	char *saved[4];
	struct kmb_topo *t;

	for (int i = 0; i < 4; i++) {
		saved[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
		unsetenv(vars[i]);
	}
	if (name)
		setenv(name, value, 1);
	errbuf[0] = '\0';
	t = kmb_topo_load(NULL, NULL, errbuf, sizeof(errbuf));
	for (int i = 0; i < 4; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
	return t;
}

/* HWLOC_XMLFILE=@value is refused with exactly "HWLOC_XMLFILE=@value: @problem", one line. */
static void expect_env_error(const char *name, const char *value, const char *problem)
{
	char want[PATH_MAX + 256];
	struct kmb_topo *t = load_env(name, value);

	if (t) {
		kmb_topo_free(t);
		fail_msg("%s=%s was loaded (as %s), not refused", name, value,
			 "this machine, most likely");
	}
	snprintf(want, sizeof(want), "%s=%s: %s", name, value, problem);
	if (strncmp(errbuf, want, strlen(want)))
		fail_msg("%s=%s: message '%s', want it to start '%s'", name, value, errbuf, want);
	assert_null(strchr(errbuf, '\n'));
}

/*
 * hwloc, given HWLOC_XMLFILE it cannot use, quietly discovers this machine instead; kmbench
 * refuses it, naming the variable, the file and the problem, in one line.
 */
static void test_hwloc_xmlfile(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX + 32], bad[] = "/tmp/kmb-pin-plans-XXXXXX";
	struct kmb_topo *t;
	FILE *f;
	int fd;

	(void)state;
	expect_env_error("HWLOC_XMLFILE", "/nonexistent/kmb-topo.xml",
			 "cannot read the file: No such file or directory");
	snprintf(dir, sizeof(dir), "%s/" FIXTURES, kmb_test_source_dir());
	expect_env_error("HWLOC_XMLFILE", dir, "cannot read the file: Is a directory");
	expect_env_error("HWLOC_XMLFILE", "", "empty; unset it to see this machine");

	fd = mkstemp(bad);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("this is not XML\n", f);
	fclose(f);
	expect_env_error("HWLOC_XMLFILE", bad, "not an hwloc XML topology (hwloc ");
	assert_non_null(strstr(errbuf, "cannot parse it)"));
	f = fopen(bad, "w");	/* XML, but no topology in it */
	assert_non_null(f);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<topology version=\"2.0\">\n"
	      "</topology>\n", f);
	fclose(f);
	expect_env_error("HWLOC_XMLFILE", bad, "not an hwloc XML topology (hwloc ");
	assert_non_null(strstr(errbuf, "cannot load it"));
	unlink(bad);

	expect_env_error("HWLOC_SYNTHETIC", "bogus", "hwloc cannot parse the synthetic "
			 "description");

	/* A good file is the topology, and says where it came from. */
	fixture("nodeless-cpus.xml", path, sizeof(path));
	t = load_env("HWLOC_XMLFILE", path);
	if (!t)
		fail_msg("HWLOC_XMLFILE=%s: %s", path, errbuf);
	assert_int_equal(kmb_topo_num_pus(t), 12);
	snprintf(dir, sizeof(dir), "HWLOC_XMLFILE=%s", path);
	assert_string_equal(kmb_topo_source(t), dir);
	assert_int_equal(kmb_topo_pin_self(t, 0), -EINVAL);	/* not this machine */
	kmb_topo_free(t);

	/* This machine: no variable, no source. */
	t = load_env(NULL, NULL);
	if (!t)
		fail_msg("this machine: %s", errbuf);
	assert_string_equal(kmb_topo_source(t), "");
	kmb_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodeless_cpus),
		cmocka_unit_test(test_uneven_packages),
		cmocka_unit_test(test_offline_cpus),
		cmocka_unit_test(test_smt),
		cmocka_unit_test(test_memory_only),
		cmocka_unit_test(test_every_plan_returns),
		cmocka_unit_test(test_hwloc_xmlfile),
	};

	signal(SIGALRM, watchdog);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
