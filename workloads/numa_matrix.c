/*
 * numa_matrix.c - the NUMA matrix: memory placed on node X, used from the CPUs of node Y, for
 * every cell (policy, X, Y) of its options on this machine (matrix_resolve), in the manner of
 * Intel MLC's latency matrix and numademo.  It runs on the backends that take a node
 * (KMB_CAP_NODE: the kernel-style ones and libnuma, the reference), one family per cell
 * (matrix_cells); the harness pins its threads on node Y's CPUs (plan node:Y, matrix_node).
 *
 * Options (workload.h kmb_workload.opts; -W KEY=VALUE or --KEY VALUE):
 *   matrix-policies  the policies whose cells run (default bind)
 *   matrix-buffer    bytes per thread, a multiple of 4K (default 64M)
 *
 * Each thread builds its own buffer of matrix-buffer bytes from page-sized allocations
 * (CHUNK) through the backend, each with the node and flags of the cell's policy:
 *
 *   bind        node X with __GFP_THISNODE (MPOL_BIND on one node)
 *   preferred   node X, falling back along X's zonelist when it is full (MPOL_PREFERRED)
 *   local       node Y, the thread's own, with fallback (MPOL_LOCAL)
 *   remote      node X, the farthest from Y, with __GFP_THISNODE
 *   interleave  page i on the i-th node with memory, round robin, with fallback
 *               (MPOL_INTERLEAVE's interleave_nodes(), one node per allocation)
 *
 * Every allocation names its node, so the run's --numa-policy never applies here.  Then,
 * untimed: every 64-byte line of the buffer is linked into one cycle in random order
 * (Sattolo's algorithm: a single cycle through all lines), which also writes every page; the
 * placement of the pages is checked against the intended nodes (move_pages, up to 1024 pages
 * sampled evenly).  The timed loop follows the cycle with dependent loads: one iteration is one
 * load, so ns per iteration is the load-to-use latency of memory on X seen from Y (4 KiB pages:
 * it includes the page walks that MLC avoids with huge pages).  After the loop, a streaming
 * read of the whole buffer, timed on its own clock, gives the read bandwidth.
 *
 * Counters: load_ns (ns per dependent load, by the thread's own clock, averaged over threads)
 * and read_gbs (GB/s of the streaming pass, per thread, averaged).  The buffer is far larger
 * than the caches only if matrix-buffer is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "policy.h"
#include "latency.h"
#include "workload.h"

#define CHUNK		4096UL	/* bytes per allocation: a page */
#define LINE		64UL	/* bytes per link of the chase */
#define LINES		(CHUNK / LINE)
#define BATCH		256	/* loads per keep-running call */
#define MAX_SAMPLE	1024	/* pages the placement check asks about */
#define STREAM_NS	10000000LL	/* the streaming pass repeats for at least this long */
#define MAX_CELLS	1024	/* cells of one run */
#define DEFAULT_BUFFER	(64UL << 20)

/* One cell, resolved against the machine. */
struct cell {
	enum kmb_mpol_mode policy;	/* bind, preferred, local, remote or interleave */
	int mem_node;			/* where the memory is asked for; -1: interleave */
	int cpu_node;			/* where the threads run */
};

/* The option state (kmb_workload.opts): all zero is every option at its default. */
struct matrix_opts {
	unsigned int policies;		/* 1 << enum kmb_mpol_mode, each; 0: bind */
	size_t buffer;			/* bytes per thread; 0: DEFAULT_BUFFER */
	/* By matrix_resolve, when the run selects the workload: */
	bool resolved;
	struct cell cell[MAX_CELLS];	/* the policies in the order of policy_order, then CPU
					 * node, then memory node */
	size_t ncells;
	uint64_t mem_nodes;		/* the memory nodes the cells use (interleave's set) */
	char skipped[256];		/* the policies that got no cell here, and why; "" */
};

/* What one family of the workload runs: its cell, its buffer, interleave's nodes. */
struct matrix_cell {
	enum kmb_mpol_mode policy;
	int mem_node;
	int cpu_node;
	size_t buffer;
	uint64_t mem_nodes;
};

struct buf {
	void **chunks;		/* nchunks pages from the backend */
	size_t nchunks;
	uint32_t *order;	/* the lines in cycle order, while building */
};

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The node and flags of chunk @i under the cell's policy (the table above). */
static int chunk_node(const struct matrix_cell *p, const int *il, int nil, size_t i,
		      gfp_t *gfp)
{
	*gfp = GFP_KERNEL;
	switch (p->policy) {
	case KMB_MPOL_BIND:
	case KMB_MPOL_REMOTE:
		*gfp |= __GFP_THISNODE;
		return p->mem_node;
	case KMB_MPOL_LOCAL:
		return p->cpu_node;
	case KMB_MPOL_INTERLEAVE:
		return il[i % (size_t)nil];
	default:
		return p->mem_node;
	}
}

/* The nodes the cell means its memory to be on. */
static uint64_t intended(const struct matrix_cell *p)
{
	if (p->policy == KMB_MPOL_INTERLEAVE)
		return p->mem_nodes;
	if (p->policy == KMB_MPOL_LOCAL)
		return 1ULL << p->cpu_node;
	return 1ULL << p->mem_node;
}

static void free_chunks(const struct kmb_backend_ops *b, struct buf *bf, size_t n)
{
	while (n--)
		b->free(bf->chunks[n], CHUNK);
}

/* Allocate the chunks; 0, or -ENOMEM with the reason sent to Google Benchmark. */
static int build_chunks(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			const struct matrix_cell *p, struct buf *bf)
{
	int il[KMB_MPOL_MAX_NODES], nil = 0;

	for (int n = 0; n < KMB_MPOL_MAX_NODES; n++)
		if (p->mem_nodes >> n & 1)
			il[nil++] = n;
	if (p->policy == KMB_MPOL_INTERLEAVE && !nil) {
		kmb_gb_skip_with_error(st, "numa-matrix: interleave over no node");
		return -EINVAL;
	}
	for (size_t i = 0; i < bf->nchunks; i++) {
		gfp_t gfp;
		int node = chunk_node(p, il, nil, i, &gfp);

		bf->chunks[i] = b->alloc(CHUNK, gfp, node);
		if (!bf->chunks[i]) {
			char msg[160];

			snprintf(msg, sizeof(msg), "numa-matrix: %s returned NULL for page %zu of %zu "
				 "on node %d (%s)", b->name, i, bf->nchunks, node,
				 kmb_mpol_mode_name(p->policy));
			free_chunks(b, bf, i);
			kmb_gb_skip_with_error(st, msg);
			return -ENOMEM;
		}
	}
	return 0;
}

static inline void **line_at(const struct buf *bf, uint32_t k)
{
	return (void **)((char *)bf->chunks[k / LINES] + (k % LINES) * LINE);
}

/*
 * One cycle through all lines in random order: Sattolo's shuffle of 0..n-1 makes order[] a
 * random cyclic permutation, and each line points at the next one in that order.  Returns the
 * first line.
 */
static void **link_cycle(struct buf *bf, uint64_t seed)
{
	uint32_t n = (uint32_t)(bf->nchunks * LINES);

	for (uint32_t i = 0; i < n; i++)
		bf->order[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(kmb_xorshift(&seed) % i), t = bf->order[i];

		bf->order[i] = bf->order[j];
		bf->order[j] = t;
	}
	for (uint32_t i = 0; i < n; i++)
		*line_at(bf, bf->order[i]) = line_at(bf, bf->order[(i + 1) % n]);
	return line_at(bf, bf->order[0]);
}

/* Up to MAX_SAMPLE pages, evenly over the chunks, checked against the intended nodes. */
static void check_placement(const struct matrix_cell *p, const struct buf *bf,
			    struct kmb_placement *pl)
{
	void *pages[MAX_SAMPLE];
	size_t stride = (bf->nchunks + MAX_SAMPLE - 1) / MAX_SAMPLE, n = 0;

	*pl = (struct kmb_placement){ .intended = intended(p) };
	for (size_t i = 0; i < bf->nchunks && n < MAX_SAMPLE; i += stride)
		pages[n++] = bf->chunks[i];
	kmb_placement_check(pl, pages, n);
}

/* Read every word of the buffer, as many times as STREAM_NS takes; GB/s. */
static double stream(const struct buf *bf)
{
	int64_t t0 = (int64_t)kmb_latency_now(), t1;
	uint64_t sum = 0;
	size_t passes = 0;

	do {
		for (size_t c = 0; c < bf->nchunks; c++) {
			const uint64_t *w = bf->chunks[c];

			for (size_t i = 0; i < CHUNK / sizeof(uint64_t); i++)
				sum += w[i];
		}
		passes++;
		t1 = (int64_t)kmb_latency_now();
	} while (t1 - t0 < STREAM_NS && passes < 1000);
	__asm__ volatile("" : : "r"(sum));
	return (double)(passes * bf->nchunks * CHUNK) / (double)(t1 - t0);
}

static int matrix_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		      const struct kmb_workload_params *wp)
{
	const struct matrix_opts *o = wp->opts;
	const struct cell *c = &o->cell[wp->cell];
	const struct matrix_cell cell = { c->policy, c->mem_node, c->cpu_node,
					  o->buffer ? o->buffer : DEFAULT_BUFFER, o->mem_nodes };
	const struct matrix_cell *p = &cell;
	struct buf bf = { .nchunks = p->buffer / CHUNK };
	int ti = kmb_gb_thread_index(st);
	int64_t loads = 0, t0 = 0, t1 = 0;
	void **line;
	int err;

	if (bf.nchunks < 2 || bf.nchunks * LINES > UINT32_MAX) {
		kmb_gb_skip_with_error(st, "numa-matrix: the buffer must hold 2 to 2^32 / 64 pages");
		return -EINVAL;
	}
	bf.chunks = map(bf.nchunks * sizeof(void *));
	bf.order = map(bf.nchunks * LINES * sizeof(uint32_t));
	if (!bf.chunks || !bf.order) {
		kmb_gb_skip_with_error(st, "numa-matrix: cannot map the chunk and order arrays");
		err = -ENOMEM;
		goto out;
	}
	err = build_chunks(st, b, p, &bf);
	if (err)
		goto out;
	line = link_cycle(&bf, 0x9e3779b97f4a7c15ULL ^ ((uint64_t)ti << 32 | (uint64_t)p->cpu_node));
	munmap(bf.order, bf.nchunks * LINES * sizeof(uint32_t));
	bf.order = NULL;
	if (wp->placement)
		check_placement(p, &bf, &wp->placement[ti]);

	while (kmb_gb_keep_running_batch(st, BATCH)) {
		if (!t0)
			t0 = (int64_t)kmb_latency_now();
		for (int i = 0; i < BATCH; i++)
			line = *line;
		loads += BATCH;
		t1 = (int64_t)kmb_latency_now();
	}
	__asm__ volatile("" : : "r"(line));
	kmb_gb_set_items_processed(st, loads);
	if (loads && t1 > t0) {
		kmb_gb_set_counter(st, "load_ns", (double)(t1 - t0) / (double)loads,
				   KMB_GB_CTR_AVG_THREADS);
		kmb_gb_set_counter(st, "read_gbs", stream(&bf), KMB_GB_CTR_AVG_THREADS);
	}
	free_chunks(b, &bf, bf.nchunks);
out:
	if (bf.order)
		munmap(bf.order, bf.nchunks * LINES * sizeof(uint32_t));
	if (bf.chunks)
		munmap(bf.chunks, bf.nchunks * sizeof(void *));
	return err;
}

/* --- options (-W KEY=VALUE), and the cells they expand into on this machine --- */

/* The policies, in cell order. */
static const enum kmb_mpol_mode policy_order[5] = {
	KMB_MPOL_BIND, KMB_MPOL_PREFERRED, KMB_MPOL_LOCAL, KMB_MPOL_REMOTE, KMB_MPOL_INTERLEAVE,
};
#define POLICIES "bind, preferred, local, remote, interleave"

static unsigned int policies(const struct matrix_opts *o)
{
	return o->policies ? o->policies : 1u << KMB_MPOL_BIND;
}

static size_t buffer(const struct matrix_opts *o)
{
	return o->buffer ? o->buffer : DEFAULT_BUFFER;
}

static int parse_policies(void *st, const char *value, char *err, size_t errlen)
{
	struct matrix_opts *o = st;
	unsigned int set = 0;

	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ","), i = 0;

		while (i < 5 && (strlen(kmb_mpol_mode_name(policy_order[i])) != n ||
				 strncmp(p, kmb_mpol_mode_name(policy_order[i]), n)))
			i++;
		if (i == 5) {
			snprintf(err, errlen, "unknown policy '%.*s'; valid: " POLICIES, (int)n, p);
			return -EINVAL;
		}
		set |= 1u << policy_order[i];
		p += n + (p[n] == ',');
	}
	if (!set) {
		snprintf(err, errlen, "empty list; valid: " POLICIES);
		return -EINVAL;
	}
	o->policies = set;
	return 0;
}

/* The policies given, in cell order, ","-separated: the same set gives the same text. */
static const char *show_policies(const void *st, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < 5 && n < len; k++)
		if (policies(st) & 1u << policy_order[k])
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
					      kmb_mpol_mode_name(policy_order[k]));
	return buf;
}

static int parse_buffer(void *st, const char *value, char *err, size_t errlen)
{
	struct matrix_opts *o = st;
	size_t v;

	if (kmb_parse_bytes(value, 64ULL << 30, &v) || v % CHUNK || v < (64UL << 10)) {
		snprintf(err, errlen, "'%s' is not a buffer size; give a multiple of 4K from 64K "
			 "to 64G, e.g. 64M", value);
		return -EINVAL;
	}
	o->buffer = v;
	return 0;
}

/* The buffer in bytes. */
static const char *show_buffer(const void *st, char *buf, size_t len)
{
	snprintf(buf, len, "%zu", buffer(st));
	return buf;
}

static const struct kmb_backend_opt matrix_opt[] = {
	{ "matrix-policies", "LIST", "numa-matrix cells: " POLICIES " (default bind)",
	  parse_policies, show_policies },
	{ "matrix-buffer", "SIZE", "numa-matrix bytes per thread, a multiple of 4K (default 64M)",
	  parse_buffer, show_buffer },
};

static int add_cell(struct matrix_opts *o, enum kmb_mpol_mode m, int mem, int cpu)
{
	if (o->ncells == MAX_CELLS)
		return -E2BIG;
	o->cell[o->ncells++] = (struct cell){ m, mem, cpu };
	return 0;
}

/*
 * The cells: for each selected policy (policy_order), each node with CPUs (ascending) as the CPU
 * node Y, and the memory nodes the policy gives for it: every node with memory (bind,
 * preferred), Y itself (local, when Y has memory), the node farthest from Y (remote), all of
 * them at once (interleave, memory node -1).  A policy without a cell here is named in skipped
 * with the reason.
 */
static int matrix_resolve(void *st, const struct kmb_wl_machine *mach, char *err, size_t errlen)
{
	const int *ys = mach->cpu_nodes, ny = mach->ncpu_nodes;
	struct matrix_opts *o = st;
	uint64_t mem = kmb_numa_memory_nodes();
	size_t skipped = 0;
	int r = 0;

	o->ncells = 0;
	o->mem_nodes = mem;
	o->skipped[0] = '\0';
	o->resolved = true;
	for (size_t k = 0; k < 5; k++) {
		enum kmb_mpol_mode m = policy_order[k];
		size_t before = o->ncells;
		const char *why = "";

		if (!(policies(o) & 1u << m))
			continue;
		for (int y = 0; y < ny && !r; y++) {
			int far;

			switch (m) {
			case KMB_MPOL_BIND:
			case KMB_MPOL_PREFERRED:
				for (int x = 0; x < KMB_MPOL_MAX_NODES && !r; x++)
					if (mem >> x & 1)
						r = add_cell(o, m, x, ys[y]);
				break;
			case KMB_MPOL_LOCAL:
				if (mem >> ys[y] & 1)
					r = add_cell(o, m, ys[y], ys[y]);
				else
					why = "no node has both CPUs and memory";
				break;
			case KMB_MPOL_REMOTE:
				far = kmb_numa_farthest(ys[y], mem);
				if (far >= 0)
					r = add_cell(o, m, far, ys[y]);
				else
					why = "needs two nodes with memory; this machine has one";
				break;
			default:
				r = add_cell(o, m, -1, ys[y]);
				break;
			}
		}
		if (r) {
			snprintf(err, errlen, "--matrix-policies: more than %d numa-matrix cells on "
				 "this machine; select fewer policies", MAX_CELLS);
			return -E2BIG;
		}
		if (o->ncells == before && skipped < sizeof(o->skipped))
			skipped += (size_t)snprintf(o->skipped + skipped,
						    sizeof(o->skipped) - skipped, "%s%s: %s",
						    skipped ? "; " : "", kmb_mpol_mode_name(m),
						    *why ? why : "no node with CPUs");
	}
	return 0;
}

/* One family per cell, on the backends that take a node. */
static size_t matrix_cells(const void *st, const struct kmb_backend_ops *b, const char **why)
{
	const struct matrix_opts *o = st;

	if (!(b->caps & KMB_CAP_NODE)) {
		*why = "numa-matrix runs only on backends that take a node (libnuma and the "
		       "kernel-style ones but mempool)";
		return 0;
	}
	if (!o->ncells)
		*why = "numa-matrix has no cell on this machine (see context.options.matrix)";
	return o->ncells;
}

static void matrix_params(const void *st, const struct kmb_backend_ops *b, size_t k,
			  const struct kmb_context_sink *out)
{
	const struct matrix_opts *o = st;

	(void)b;
	out->text(out->ctx, "policy", kmb_mpol_mode_name(o->cell[k].policy));
	out->num(out->ctx, "mem_node", o->cell[k].mem_node);
	out->num(out->ctx, "cpu_node", o->cell[k].cpu_node);
	out->num(out->ctx, "buffer", (long long)buffer(o));
}

static int matrix_node(const void *st, size_t k)
{
	return ((const struct matrix_opts *)st)->cell[k].cpu_node;
}

/* context.options.matrix: the settings, and the cells they gave here (results/README.md). */
static void matrix_context(const void *st, const char *section, const struct kmb_context_sink *out)
{
	const struct matrix_opts *o = st;
	char nodes[256];

	if (section)
		return;
	out->begin(out->ctx, "matrix");
	out->array(out->ctx, "policies");
	for (size_t k = 0; k < 5; k++)
		if (policies(o) & 1u << policy_order[k])
			out->text(out->ctx, NULL, kmb_mpol_mode_name(policy_order[k]));
	out->end(out->ctx);
	out->num(out->ctx, "buffer", (long long)buffer(o));
	if (o->resolved) {
		out->num(out->ctx, "cells", (long long)o->ncells);
		out->text(out->ctx, "memory_nodes", kmb_nodes_format(o->mem_nodes, nodes,
								     sizeof(nodes)));
		if (o->skipped[0])
			out->text(out->ctx, "skipped", o->skipped);
	}
	out->end(out->ctx);
}

static const struct kmb_backend_optset matrix_optset = {
	.name = "numa-matrix",
	.size = sizeof(struct matrix_opts),
	.opt = matrix_opt,
	.nopt = sizeof(matrix_opt) / sizeof(matrix_opt[0]),
	.context = matrix_context,
};

const struct kmb_workload kmb_workload_numa_matrix = {
	.name = "numa-matrix",
	.description = "NUMA matrix: a buffer on node X read from node Y's CPUs, per cell of "
		       "--matrix-policies; one op = one dependent load (latency), plus read GB/s",
	.params = 0,
	.flags = KMB_WL_OWN_PLACEMENT,
	.run = matrix_run,
	.opts = &matrix_optset,
	.resolve = matrix_resolve,
	.cells = matrix_cells,
	.cell_params = matrix_params,
	.cell_node = matrix_node,
};
