/*
 * numa_matrix.c - the NUMA matrix: memory placed on node X, used from the CPUs of node Y, for
 * every cell (policy, X, Y) the run resolved (harness/options.c), in the manner of Intel MLC's
 * latency matrix and numademo.  It runs on the backends that take a node (KMB_CAP_NODE: the
 * kernel-style ones and libnuma, the reference); the harness pins its threads on node Y's CPUs
 * (plan node:Y).
 *
 * Each thread builds its own buffer of params.buffer bytes from page-sized allocations
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
 * than the caches only if params.buffer is (--matrix-buffer, default 64 MiB).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "policy.h"
#include "workload.h"

#define CHUNK		4096UL	/* bytes per allocation: a page */
#define LINE		64UL	/* bytes per link of the chase */
#define LINES		(CHUNK / LINE)
#define BATCH		256	/* loads per keep-running call */
#define MAX_SAMPLE	1024	/* pages the placement check asks about */
#define STREAM_NS	10000000LL	/* the streaming pass repeats for at least this long */

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

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The node and flags of chunk @i under the cell's policy (the table above). */
static int chunk_node(const struct kmb_workload_params *p, const int *il, int nil, size_t i,
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
static uint64_t intended(const struct kmb_workload_params *p)
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
			const struct kmb_workload_params *p, struct buf *bf)
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
static void check_placement(const struct kmb_workload_params *p, const struct buf *bf,
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
	int64_t t0 = now_ns(), t1;
	uint64_t sum = 0;
	size_t passes = 0;

	do {
		for (size_t c = 0; c < bf->nchunks; c++) {
			const uint64_t *w = bf->chunks[c];

			for (size_t i = 0; i < CHUNK / sizeof(uint64_t); i++)
				sum += w[i];
		}
		passes++;
		t1 = now_ns();
	} while (t1 - t0 < STREAM_NS && passes < 1000);
	__asm__ volatile("" : : "r"(sum));
	return (double)(passes * bf->nchunks * CHUNK) / (double)(t1 - t0);
}

static int matrix_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		      const struct kmb_workload_params *p)
{
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
	if (p->placement)
		check_placement(p, &bf, &p->placement[ti]);

	while (kmb_gb_keep_running_batch(st, BATCH)) {
		if (!t0)
			t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			line = *line;
		loads += BATCH;
		t1 = now_ns();
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

const struct kmb_workload kmb_workload_numa_matrix = {
	.name = "numa-matrix",
	.description = "NUMA matrix: a buffer on node X read from node Y's CPUs, per cell of "
		       "--matrix-policies; one op = one dependent load (latency), plus read GB/s",
	.params = KMB_P_MATRIX,
	.flags = KMB_WL_NODE_MATRIX | KMB_WL_OWN_PLACEMENT,
	.run = matrix_run,
};
