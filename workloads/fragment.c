/*
 * fragment.c - fragmentation over time: random-order churn, with a high-order probe.
 *
 * Each thread keeps about 1.5 x @batch blocks live.  One iteration is one step: allocate a
 * block (while fewer than @batch are live, and otherwise half of the time while fewer than
 * 2 x @batch are) or free a random live block; an allocation that fails (no waiting) frees a
 * block instead and counts toward churn_fail.  Block sizes are pages of order 0 up to one
 * below the probe order, order k with probability proportional to 2^-k, as small allocations
 * dominate a kernel's; a block is touched once when it arrives.  Every PROBE_EVERY steps the
 * thread asks for one block of @size (the probe order) with GFP_NOWAIT | __GFP_NOWARN and gives
 * it back at once: the share of probes that succeed is the high-order success rate.
 *
 * Over time: at steps 1K, 4K, 16K, ... (powers of four) of the final run the thread records the
 * success rate of the probes since the previous checkpoint and, for backends that have one,
 * the fragmentation index of the probe order: counters hi_success_at_<steps> and
 * frag_index_at_<steps> (index in the kernel's units / 1000: -1 = a free block exists).
 *
 * The churn draws from a per-thread xorshift generator seeded by the thread index, so a run is
 * reproducible for a given thread count.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>

#include "workload.h"

#define PAGE_SZ		4096UL
#define PROBE_EVERY	256
#define FIRST_MARK	1024
/* Churn allocations do not wait for memory: when it is full or fragmented the step frees a
 * block instead, and the failure is counted (counter churn_fail: failed / attempted). */
#define CHURN_GFP	(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

struct block {
	void *p;
	size_t size;
};

static unsigned int order_of(size_t size)
{
	unsigned int o = 0;

	while ((PAGE_SZ << o) < size)
		o++;
	return o;
}

/* Order k of 0..max-1 with probability ~ 2^-k (order 0 when max is 0). */
static size_t pick_size(uint64_t *rng, unsigned int max)
{
	uint64_t r = kmb_xorshift(rng);
	unsigned int k = 0;

	while (k + 1 < max && (r & 1)) {
		k++;
		r >>= 1;
	}
	return PAGE_SZ << k;
}

struct probe_state {
	unsigned long tried, ok;	/* since the last checkpoint */
	unsigned long all_tried, all_ok;
	int64_t next_mark;
};

static void probe(struct kmb_gb_state *st, const struct kmb_backend_ops *b, size_t size,
		  struct probe_state *ps)
{
	void *p = b->alloc(size, GFP_NOWAIT | __GFP_NOWARN, NUMA_NO_NODE);

	ps->tried++;
	ps->all_tried++;
	if (p) {
		ps->ok++;
		ps->all_ok++;
		b->free(p, size);
	}
	(void)st;
}

static void checkpoint(struct kmb_gb_state *st, const struct kmb_backend_ops *b, size_t size,
		       struct probe_state *ps, int64_t steps)
{
	char name[48];

	snprintf(name, sizeof(name), "hi_success_at_%lldk", (long long)steps / 1024);
	kmb_gb_set_counter(st, name, ps->tried ? (double)ps->ok / (double)ps->tried : 0,
			   KMB_GB_CTR_AVG_THREADS);
	if (b->frag_index) {
		snprintf(name, sizeof(name), "frag_index_at_%lldk", (long long)steps / 1024);
		kmb_gb_set_counter(st, name, b->frag_index(size) / 1000.0, KMB_GB_CTR_AVG_THREADS);
	}
	ps->tried = ps->ok = 0;
	ps->next_mark = steps * 4;
}

static int fragment_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			const struct kmb_workload_params *prm)
{
	const size_t target = prm->batch ? prm->batch : 1, cap = 2 * target, size = prm->size;
	const unsigned int probe_order = order_of(size);
	size_t bytes = cap * sizeof(struct block), live = 0;
	struct block *blk = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(kmb_gb_thread_index(st) + 1);
	struct probe_state ps = { .next_mark = FIRST_MARK };
	int64_t steps = 0;
	unsigned long churn_tried = 0, churn_failed = 0;

	if (blk == MAP_FAILED) {
		kmb_gb_skip_with_error(st, "fragment: cannot map the block array");
		return -ENOMEM;
	}
	while (kmb_gb_keep_running_batch(st, PROBE_EVERY)) {
		for (int i = 0; i < PROBE_EVERY; i++) {
			uint64_t r = kmb_xorshift(&rng);

			if (live < target || (live < cap && (r & 1))) {
				size_t sz = pick_size(&rng, probe_order);
				char *p = b->alloc(sz, CHURN_GFP, NUMA_NO_NODE);

				churn_tried++;
				if (p) {
					*(volatile char *)p = 1;
					blk[live++] = (struct block){ p, sz };
					continue;
				}
				churn_failed++;		/* memory is full or fragmented: free instead */
				if (!live)
					continue;
			}
			size_t j = (size_t)(r >> 1) % live;

			b->free(blk[j].p, blk[j].size);
			blk[j] = blk[--live];
		}
		steps += PROBE_EVERY;
		probe(st, b, size, &ps);
		if (steps >= ps.next_mark)
			checkpoint(st, b, size, &ps, steps);
	}
	kmb_gb_set_counter(st, "churn_fail", churn_tried ? (double)churn_failed /
					     (double)churn_tried : 0, KMB_GB_CTR_AVG_THREADS);
	kmb_gb_set_counter(st, "hi_success", ps.all_tried ? (double)ps.all_ok / (double)ps.all_tried
							   : 0, KMB_GB_CTR_AVG_THREADS);
	if (b->frag_index)
		kmb_gb_set_counter(st, "frag_index", b->frag_index(size) / 1000.0,
				   KMB_GB_CTR_AVG_THREADS);
	while (live)
		b->free(blk[live - 1].p, blk[live - 1].size), live--;
	kmb_gb_set_items_processed(st, steps);
	munmap(blk, bytes);
	return 0;
}

const struct kmb_workload kmb_workload_fragment = {
	.name = "fragment",
	.description = "random-order page churn with a high-order probe: success rate and "
		       "fragmentation index over time",
	.params = KMB_P_SIZE | KMB_P_BATCH,
	.run = fragment_run,
};
