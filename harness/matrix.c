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
 * A workload with KMB_P_FAIL (mempool-pressure) runs once per --mempool-fail rate, each rate a
 * family with the rate in its name, on the backends that can inject failures (those with the
 * reserve part, kmb_reserve_ops: the mempool backend); the other backends run it once, at no rate and without the parameter, so
 * their rows are not multiplied.  No other workload sees the rates.
 *
 * A workload with KMB_P_BATCH runs once per --batch value, each a family with the batch in its
 * name (churn at batch 1 is the hot pair, at 100 a batched case); the others run once.
 *
 * A workload flagged KMB_WL_NODE_MATRIX (numa-matrix) runs on the backends that take a node
 * (KMB_CAP_NODE) only, one family per cell the run resolved (options.h: policy, memory node,
 * CPU node), and no size: it builds its buffers from pages.
 *
 * Family order, the results' family_index: backends in kmb_matrix_backends() order, then
 * workloads in the run's order, then sizes (or matrix cells), then batches, then failure rates.  Every
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

unsigned int kmb_family_params(const struct kmb_backend_ops *b, const struct kmb_workload *w)
{
	return b->reserve ? w->params : w->params & ~KMB_P_FAIL;
}

size_t kmb_family_fails(const struct kmb_options *o, const struct kmb_backend_ops *b,
			const struct kmb_workload *w)
{
	return (kmb_family_params(b, w) & KMB_P_FAIL) ? o->nmempool_fail : 1;
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
	if (w->flags & KMB_WL_NODE_MATRIX)
		return (b->caps & KMB_CAP_NODE) ? o->nmatrix : 0;
	return ((w->params & KMB_P_SIZE) ? o->nsizes : 1) * kmb_family_batches(o, w) *
	       kmb_family_fails(o, b, w);
}

const char *kmb_matrix_why_none(const struct kmb_options *o, const struct kmb_backend_ops *b)
{
	bool matrix = false, other = false;

	for (size_t i = 0; i < o->nworkloads; i++) {
		unsigned int f = o->workloads[i]->flags;

		matrix |= (f & KMB_WL_NODE_MATRIX) != 0;
		other |= !(f & (KMB_WL_NODE_MATRIX | KMB_WL_NO_ALLOCATOR));
	}
	if (other || !matrix)
		return "no selected workload allocates (those that do not run once, under "
		       KMB_NO_ALLOCATOR ")";
	if (!(b->caps & KMB_CAP_NODE))
		return "numa-matrix runs only on backends that take a node (libnuma and the "
		       "kernel-style ones but mempool)";
	return "numa-matrix has no cell on this machine (see context.options.matrix)";
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
	size_t nfail = kmb_family_fails(o, b, w), nbatch = kmb_family_batches(o, w);
	bool matrix = w->flags & KMB_WL_NODE_MATRIX;

	/* ci runs over sizes (or matrix cells), then batches, then failure rates */
	p->size = o->sizes[matrix ? 0 : ci / (nfail * nbatch)];
	p->batch = o->batches[matrix ? 0 : ci / nfail % nbatch];
	p->fail = (kmb_family_params(b, w) & KMB_P_FAIL) ? o->mempool_fail[ci % nfail] : 0;
	if (matrix) {
		p->policy = o->matrix[ci].policy;
		p->mem_node = o->matrix[ci].mem_node;
		p->cpu_node = o->matrix[ci].cpu_node;
		p->buffer = o->matrix_buffer;
		p->mem_nodes = o->matrix_mem_nodes;
	}
}

void kmb_family_name(char *buf, size_t len, const struct kmb_backend_ops *b,
		     const struct kmb_workload *w, const struct kmb_workload_params *p)
{
	char params[160];

	kmb_results_param_name(params, sizeof(params), kmb_family_params(b, w), p);
	snprintf(buf, len, "%s/%s%s%s", w->name, b->name, *params ? "/" : "", params);
}
