/*
 * test_rfm_plan.c - "The remote-free matrix covers every pair of the plan" (issue 15), on
 * machines we do not have: the families remote-free-matrix expands into, as the harness
 * decodes them (kmb_options_parse, kmb_options_resolve against an hwloc synthetic or XML
 * topology, kmb_family_count/decode/cpus: the very calls the child registers its families
 * with), against the pinning plan kmb_topo_pin_plan() gives for the run's largest thread count.
 *
 * For each case: the cells are exactly the ordered pairs (i, j) of the expected CPUs, each
 * once, allocating CPU major; each runs 2 threads, thread 0 on CPU i and thread 1 on CPU j,
 * with pin name "cpus:i,j"; its params are alloc_cpu, free_cpu and, where the CPUs span
 * several nodes, alloc_node and free_node, the nodes kmb_topo_cpu_to_node() gives.  That the
 * threads really land there is tests/cli/remote_free_matrix.sh's check, on this machine.
 *
 * Machines: a synthetic 32-PU, 4-node one (scatter over 16 threads: 256 cells; 32 threads:
 * the plan's first 16), and tests/fixtures/topology/4pack-8node.xml (128 PUs, OS numbers
 * unlike logical ones; spread over 8 threads: one CPU per node, every node pair).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "options.h"
#include "run.h"
#include "topology.h"
#include "../source_dir.h"

#define SYN_SMALL	"pack:2 numa:2 core:4 pu:2"	/* 32 PUs, 16 cores, 4 nodes */
#define XML_FIXTURE	"tests/fixtures/topology/4pack-8node.xml"
#define RFM		"remote-free-matrix"
#define MAX_CPUS	64

/* @synthetic, or @xml under $KMB_SOURCE_DIR (else the build's KMB_SOURCE_DIR). */
static struct kmb_topo *load(const char *synthetic, const char *xml)
{
	char path[4096], err[256];
	struct kmb_topo *t;

	if (xml)
		snprintf(path, sizeof(path), "%s/%s", kmb_test_source_dir(), xml);
	t = kmb_topo_load(synthetic, xml ? path : NULL, err, sizeof(err));
	if (!t)
		fail_msg("kmb_topo_load: %s", err);
	return t;
}

/* The params of one cell, as its sink hands them over. */
struct params {
	long long alloc_cpu, free_cpu, alloc_node, free_node;
	int n;
};

static void p_num(void *ctx, const char *key, long long v)
{
	struct params *p = ctx;

	p->n++;
	if (!strcmp(key, "alloc_cpu"))
		p->alloc_cpu = v;
	else if (!strcmp(key, "free_cpu"))
		p->free_cpu = v;
	else if (!strcmp(key, "alloc_node"))
		p->alloc_node = v;
	else if (!strcmp(key, "free_node"))
		p->free_node = v;
	else
		fail_msg("unexpected param %s", key);
}

static void p_text(void *ctx, const char *key, const char *text)
{
	(void)ctx;
	fail_msg("unexpected text param %s=%s", key, text);
}

static const struct kmb_workload *rfm_workload(void)
{
	for (size_t i = 0; i < kmb_nr_workloads; i++)
		if (!strcmp(kmb_workloads[i]->name, RFM))
			return kmb_workloads[i];
	fail_msg("no workload %s", RFM);
	return NULL;
}

/* Parse @args (NULL-ended) over remote-free-matrix on slab and resolve them on @t; 0 or the
 * resolve error, its message in @err. */
static int resolve(struct kmb_options *o, struct kmb_topo *t, const char *const *args, char *err,
		   size_t len)
{
	char *argv[16] = { "--backends=slab", "--workloads=" RFM, "--sizes=64" };
	int argc = 3;

	while (*args)
		argv[argc++] = (char *)*args++;
	memset(o, 0, sizeof(*o));
	if (kmb_options_parse(o, argc, argv, err, len))
		fail_msg("parse: %s", err);
	return kmb_options_resolve(o, t, err, len);
}

/*
 * The families of the resolved @o on slab cover exactly every ordered pair of want[0..n), in
 * allocating-CPU-major order, each on its two CPUs, with the node pair when @nodes.
 */
static void check_cells(const struct kmb_options *o, struct kmb_topo *t, const int *want, int n,
			bool nodes)
{
	const struct kmb_workload *w = rfm_workload();
	const struct kmb_backend_ops *b = kmb_backend_find("slab");
	size_t nfam = kmb_family_count(o, b, w);
	static unsigned char seen[MAX_CPUS][MAX_CPUS];

	assert_non_null(b);
	assert_int_equal(nfam, (size_t)n * (size_t)n);
	memset(seen, 0, sizeof(seen));
	for (size_t k = 0; k < nfam; k++) {
		struct kmb_workload_params p = { 0 };
		struct params got = { -1, -1, -1, -1, 0 };
		struct kmb_context_sink sink = { .num = p_num, .text = p_text, .ctx = &got };
		int cpus[KMB_MAX_CELL_CPUS], i = (int)(k / (size_t)n), j = (int)(k % (size_t)n);
		char pin[32], want_pin[32];

		kmb_family_decode(o, b, w, k, &p);
		assert_int_equal(kmb_family_cpus(w, &p, cpus, pin, sizeof(pin)), 2);
		assert_int_equal(cpus[0], want[i]);
		assert_int_equal(cpus[1], want[j]);
		snprintf(want_pin, sizeof(want_pin), "cpus:%d,%d", want[i], want[j]);
		assert_string_equal(pin, want_pin);
		w->cell_params(p.opts, b, p.cell, &sink);
		assert_int_equal(got.alloc_cpu, want[i]);
		assert_int_equal(got.free_cpu, want[j]);
		assert_int_equal(got.n, nodes ? 4 : 2);
		if (nodes) {
			assert_int_equal(got.alloc_node, kmb_topo_cpu_to_node(t, want[i]));
			assert_int_equal(got.free_node, kmb_topo_cpu_to_node(t, want[j]));
		}
		seen[i][j]++;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (seen[i][j] != 1)
				fail_msg("pair (%d, %d): %d cells", want[i], want[j], seen[i][j]);
	assert_int_equal(kmb_matrix_max_threads(o, b), o->threads[o->nthreads - 1] > 2 ?
			 o->threads[o->nthreads - 1] : 2);
}

/* The plan of @pin for @nthreads threads on @t, into @cpus. */
static void plan(struct kmb_topo *t, enum kmb_pin_policy pin, int nthreads, int *cpus)
{
	char err[256];

	if (kmb_topo_pin_plan(t, &(struct kmb_pin){ pin, -1 }, nthreads, cpus, err, sizeof(err)))
		fail_msg("plan: %s", err);
}

/* 32 PUs, 4 nodes, --pin scatter: the plan of the largest --threads, 16 threads: 256 cells
 * over every node pair. */
static void test_scatter_16(void **state)
{
	static struct kmb_options o;
	struct kmb_topo *t = load(SYN_SMALL, NULL);
	const char *args[] = { "--pin=scatter", "--threads=1,4,16", NULL };
	int want[16];
	char err[256];

	(void)state;
	assert_int_equal(resolve(&o, t, args, err, sizeof(err)), 0);
	plan(t, KMB_PIN_SCATTER, 16, want);
	check_cells(&o, t, want, 16, true);
	kmb_topo_free(t);
}

/* More CPUs in the plan than the default takes: its first 16, in plan order (compact: nodes 0
 * and 1 only). */
static void test_plan_capped(void **state)
{
	static struct kmb_options o;
	struct kmb_topo *t = load(SYN_SMALL, NULL);
	const char *args[] = { "--pin=compact", "--threads=32", NULL };
	int want[32];
	char err[256];

	(void)state;
	assert_int_equal(resolve(&o, t, args, err, sizeof(err)), 0);
	plan(t, KMB_PIN_COMPACT, 32, want);
	check_cells(&o, t, want, 16, true);
	kmb_topo_free(t);
}

/* --pin none: the first usable CPUs, ascending, as many as the largest --threads; one node. */
static void test_pin_none(void **state)
{
	static struct kmb_options o;
	struct kmb_topo *t = load(SYN_SMALL, NULL);
	const char *args[] = { "--pin=none", "--threads=1,3", NULL };
	const int want[] = { 0, 1, 2 };
	char err[256];

	(void)state;
	assert_int_equal(resolve(&o, t, args, err, sizeof(err)), 0);
	check_cells(&o, t, want, 3, false);
	kmb_topo_free(t);
}

/* rfm-cpus: its CPUs in its order, whatever --pin; a CPU not here is refused in one line
 * naming the usable ones. */
static void test_rfm_cpus(void **state)
{
	static struct kmb_options o;
	struct kmb_topo *t = load(SYN_SMALL, NULL);
	const char *args[] = { "--threads=2", "-W", "rfm-cpus=31,0,16-17", NULL };
	const char *bad[] = { "--threads=2", "--rfm-cpus=3,32", NULL };
	const int want[] = { 31, 0, 16, 17 };
	char err[256];

	(void)state;
	assert_int_equal(resolve(&o, t, args, err, sizeof(err)), 0);
	check_cells(&o, t, want, 4, true);
	assert_int_equal(resolve(&o, t, bad, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--rfm-cpus: CPU 32 is not usable here; usable: 0-31");
	kmb_topo_free(t);
}

/* 4pack-8node.xml: --pin spread over 8 threads puts one CPU on each node (OS numbers 0, 4, 1,
 * ... by logical index): 64 cells, every ordered node pair once. */
static void test_xml_spread(void **state)
{
	static struct kmb_options o;
	struct kmb_topo *t = load(NULL, XML_FIXTURE);
	const char *args[] = { "--pin=spread", "--threads=8", NULL };
	int want[8], pairs[8][8] = { { 0 } };
	char err[256];

	(void)state;
	assert_int_equal(resolve(&o, t, args, err, sizeof(err)), 0);
	plan(t, KMB_PIN_SPREAD, 8, want);
	check_cells(&o, t, want, 8, true);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			pairs[kmb_topo_cpu_to_node(t, want[i])][kmb_topo_cpu_to_node(t, want[j])]++;
	for (int x = 0; x < 8; x++)
		for (int y = 0; y < 8; y++)
			assert_int_equal(pairs[x][y], 1);
	kmb_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scatter_16),
		cmocka_unit_test(test_plan_capped),
		cmocka_unit_test(test_pin_none),
		cmocka_unit_test(test_rfm_cpus),
		cmocka_unit_test(test_xml_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
