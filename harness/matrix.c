/*
 * matrix.c - which backend processes a run starts, and the families each one runs (run.h).
 *
 * The matrix is backends x workloads x sizes x thread counts, one process per backend.  A
 * workload flagged KMB_WL_NO_ALLOCATOR (workload.h: the per-CPU counters) does not allocate,
 * so running it once per backend would measure the same code under every backend's name.  It
 * runs once per thread count instead, in the process of the pseudo-backend "no-allocator"
 * defined here, which the runner starts after the run's backends whenever such a workload is
 * selected; its runs carry backend "no-allocator".  A backend of the run left without a family
 * (every selected workload is such a workload) is not started (runner.c records why).
 *
 * A workload with KMB_P_BATCH runs once per --batch value, each a family with the batch in its
 * name (churn at batch 1 is the hot pair, at 100 a batched case); the others run once.
 *
 * A workload with options may expand them into cells of its own (workload.h kmb_workload.cells),
 * one family each, for every size and batch, with the cell's parameters in its name
 * (kmb_workload.cell_params), and none on a backend it cannot run on: mempool-pressure has a
 * cell per mempool-fail rate on the backends with the reserve part (one, without the parameter,
 * on the others); numa-matrix a cell per (policy, memory node, CPU node) on the backends that
 * take a node, and no size; remote-free-matrix a cell per ordered pair of CPUs, whose threads
 * run on those CPUs at that one thread count (kmb_workload.cell_cpus).  The harness knows none.
 *
 * Family order, the results' family_index: backends in kmb_matrix_backends() order, then
 * workloads in the run's order, then sizes, then batches, then the workload's cells.  Every
 * process computes the same order.
 */
#include <stdio.h>
#include <string.h>

#include "results.h"
#include "run.h"

static int no_allocator_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	(void)cfg, (void)why, (void)whylen;
	return 0;
}

static void no_allocator_fini(void)
{
}

/* Never called by a KMB_WL_NO_ALLOCATOR workload; NULL and nothing keep any other honest. */
static void *no_allocator_alloc(size_t size, gfp_t gfp, int node)
{
	(void)size, (void)gfp, (void)node;
	return NULL;
}

static void no_allocator_free(void *p, size_t size)
{
	(void)p, (void)size;
}

static const char *no_allocator_free_name(void)
{
	return "-";
}

const struct kmb_backend_ops kmb_no_allocator = {
	.name = KMB_NO_ALLOCATOR,
	.description = "pseudo-backend: the process of the workloads that do not allocate",
	.init = no_allocator_init,
	.fini = no_allocator_fini,
	.alloc = no_allocator_alloc,
	.free = no_allocator_free,
	.free_name = no_allocator_free_name,
};

static bool needs_no_allocator(const struct kmb_options *o)
{
	for (size_t i = 0; i < o->nworkloads; i++)
		if (o->workloads[i]->flags & KMB_WL_NO_ALLOCATOR)
			return true;
	return false;
}

size_t kmb_matrix_backends(const struct kmb_options *o, const struct kmb_backend_ops **out)
{
	size_t n = 0;

	for (; n < o->nbackends; n++)
		out[n] = o->backends[n];
	if (needs_no_allocator(o))
		out[n++] = &kmb_no_allocator;
	return n;
}

const struct kmb_backend_ops *kmb_matrix_find(const char *name)
{
	return strcmp(name, KMB_NO_ALLOCATOR) ? kmb_backend_find(name) : &kmb_no_allocator;
}

size_t kmb_family_cells(const struct kmb_options *o, const struct kmb_backend_ops *b,
			const struct kmb_workload *w, const char **why)
{
	const char *none = NULL;

	return w->cells ? w->cells(kmb_options_workload_state(o, w), b, why ? why : &none) : 1;
}

size_t kmb_family_batches(const struct kmb_options *o, const struct kmb_workload *w)
{
	return (w->params & KMB_P_BATCH) ? o->nbatches : 1;
}

size_t kmb_family_count(const struct kmb_options *o, const struct kmb_backend_ops *b,
			const struct kmb_workload *w)
{
	bool no_alloc = w->flags & KMB_WL_NO_ALLOCATOR;

	if (no_alloc != (b == &kmb_no_allocator))
		return 0;
	return ((w->params & KMB_P_SIZE) ? o->nsizes : 1) * kmb_family_batches(o, w) *
	       kmb_family_cells(o, b, w, NULL);
}

const char *kmb_matrix_why_none(const struct kmb_options *o, const struct kmb_backend_ops *b)
{
	for (size_t i = 0; i < o->nworkloads; i++) {
		const struct kmb_workload *w = o->workloads[i];
		const char *why = NULL;

		if (!(w->flags & KMB_WL_NO_ALLOCATOR) && !kmb_family_cells(o, b, w, &why) && why)
			return why;
	}
	return "no selected workload allocates (those that do not run once, under "
	       KMB_NO_ALLOCATOR ")";
}

size_t kmb_matrix_families(const struct kmb_options *o, const struct kmb_backend_ops *b)
{
	size_t n = 0;

	for (size_t i = 0; i < o->nworkloads; i++)
		n += kmb_family_count(o, b, o->workloads[i]);
	return n;
}

void kmb_family_decode(const struct kmb_options *o, const struct kmb_backend_ops *b,
		       const struct kmb_workload *w, size_t ci, struct kmb_workload_params *p)
{
	size_t ncell = kmb_family_cells(o, b, w, NULL), nbatch = kmb_family_batches(o, w);

	/* ci runs over sizes, then batches, then the workload's cells */
	p->size = o->sizes[ci / (ncell * nbatch)];
	p->batch = o->batches[ci / ncell % nbatch];
	p->opts = kmb_options_workload_state(o, w);
	p->cell = ci % ncell;
}

void kmb_family_name(char *buf, size_t len, const struct kmb_backend_ops *b,
		     const struct kmb_workload *w, const struct kmb_workload_params *p)
{
	char params[160];

	kmb_results_param_name(params, sizeof(params), b, w, p);
	snprintf(buf, len, "%s/%s%s%s", w->name, b->name, *params ? "/" : "", params);
}

int kmb_family_node(const struct kmb_workload *w, const struct kmb_workload_params *p)
{
	return w->cell_node ? w->cell_node(p->opts, p->cell) : -1;
}

int kmb_family_cpus(const struct kmb_workload *w, const struct kmb_workload_params *p, int *cpus,
		    char *name, size_t len)
{
	int n = w->cell_cpus ? w->cell_cpus(p->opts, p->cell, cpus, KMB_MAX_CELL_CPUS) : 0;
	size_t used;

	if (n <= 0 || n > KMB_MAX_CELL_CPUS)
		return 0;
	used = (size_t)snprintf(name, len, "cpus:");
	for (int t = 0; t < n && used < len; t++)
		used += (size_t)snprintf(name + used, len - used, "%s%d", t ? "," : "", cpus[t]);
	return n;
}

int kmb_matrix_max_threads(const struct kmb_options *o, const struct kmb_backend_ops *b)
{
	int most = o->nthreads ? o->threads[o->nthreads - 1] : 1;

	for (size_t i = 0; i < o->nworkloads; i++) {
		const struct kmb_workload *w = o->workloads[i];
		size_t n = w->cell_cpus ? kmb_family_count(o, b, w) : 0;

		for (size_t ci = 0; ci < n; ci++) {
			struct kmb_workload_params p = { 0 };
			int cpus[KMB_MAX_CELL_CPUS], k;
			char name[8];

			kmb_family_decode(o, b, w, ci, &p);
			k = kmb_family_cpus(w, &p, cpus, name, sizeof(name));
			most = k > most ? k : most;
		}
	}
	return most;
}
