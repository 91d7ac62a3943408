/*
 * reps.h - a backend's repetitions: the order they run in, and their aggregates.
 *
 * Order.  A child runs its cells' repetitions one at a time (gbench.h kmb_gb_run_one), and
 * each cell's profile pass (profile.h) right after the cell's last repetition, so that every
 * cell is finished, and written (part.h), as soon as it can be.  By default the repetitions of
 * all the backend's cells are shuffled together, so that whatever drifts over a run (the
 * machine's clock and thermal state, another process, the allocator's own aging) spreads over
 * every cell instead of weighing on the cells that happen to run late: what Google Benchmark's
 * --benchmark_enable_random_interleaving does, but that flag seeds its std::mt19937 from
 * std::random_device (benchmark.cc RunBenchmarks, 1.7.1), so no order could be repeated; hence
 * our own, from the run's seed (--seed, recorded as context.interleave_seed) and the backend's
 * name: Fisher-Yates driven by SplitMix64.  With --no-interleave: the cells in family order
 * (plan.h), each cell's repetitions one after another, as before.
 *
 * The order depends on the seed, the backend and the plan's cells alone.  A --resume leaves out
 * the cells already finished and runs the rest in the order the first attempt would have,
 * numbered as that one would have numbered them (kmb_step.seq, each row's kmbench.sequence).
 *
 * Aggregates.  Google Benchmark computes a cell's mean, median, stddev and cv over the
 * repetitions it runs as one benchmark (statistics.cc ComputeStats, 1.7.1); run one at a time,
 * each is a benchmark of its own, so the same computation is made here, the same way, and the
 * rows are those it would have written.
 */
#ifndef KMB_HARNESS_REPS_H
#define KMB_HARNESS_REPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gbench.h"

/* One thing a child runs: a repetition of a cell, or the cell's profile pass. */
struct kmb_step {
	size_t cell;		/* the cell's index, in plan order */
	bool pass;		/* its profile pass; else one of its repetitions */
	long long seq;		/* place in the backend's whole order, from 0 */
};

/*
 * kmb_reps_order - the steps of @ncells cells of @reps repetitions each, with a pass after the
 * last repetition of every cell whose @has_pass[i], in the order above (@interleave, @seed,
 * @backend), leaving out the cells whose @kept[i] (@kept may be NULL): into *steps,
 * malloc'd.  Returns how many, or -ENOMEM.
 */
long kmb_reps_order(size_t ncells, int reps, const bool *has_pass, const bool *kept,
		    bool interleave, uint32_t seed, const char *backend, struct kmb_step **steps);

/*
 * A cell's aggregate rows.  kmb_reps_aggregates - the aggregates of the @n repetitions @runs
 * of one cell, in repetition order, as Google Benchmark computes them: none where fewer than
 * two did not fail; else KMB_REPS_NAGG rows into @agg ("mean", "median", "stddev", "cv"),
 * which point into @runs (names) and own their counters and full names: kmb_reps_agg_free()
 * when done.  Returns how many, or -ENOMEM.
 */
#define KMB_REPS_NAGG 4
struct kmb_reps_agg {
	struct kmb_gb_run r;
	char name[512];		/* run_name "_" aggregate_name: r.name */
	struct kmb_gb_counter *counters;
};
int kmb_reps_aggregates(const struct kmb_gb_run *runs, size_t n,
			struct kmb_reps_agg agg[KMB_REPS_NAGG]);
void kmb_reps_agg_free(struct kmb_reps_agg *agg, int n);

#endif
