/*
 * results.h - writing results in Google Benchmark's JSON format plus kmbench's keys
 * (results/README.md is the schema).  Runs are written one per line into part files; the
 * context is written once by the parent.
 */
#ifndef KMB_HARNESS_RESULTS_H
#define KMB_HARNESS_RESULTS_H

#include <stdio.h>

#include "gbench.h"
#include "options.h"

/* What kmbench knows of a run beyond Google Benchmark's fields. */
struct kmb_run_meta {
	long long family_index;		/* global family index, or -1: Google Benchmark's */
	const char *backend, *workload;	/* NULL for runs outside the matrix (overhead) */
	/* The family's backend and workload, whose parameters @p are (their kmb_param bits and
	 * the workload's cell_params); NULL outside the matrix. */
	const struct kmb_backend_ops *b;
	const struct kmb_workload *w;
	const struct kmb_workload_params *p;
	const char *pin;
	const int *cpus, *nodes;	/* per thread; NULL when unknown */
	const char *host, *run_id;
	/* Where the run's memory lay, all threads together (numa/placement.h); NULL for runs
	 * without one (aggregates, failed runs, workloads that do not allocate). */
	const struct kmb_placement *placement;
	/* The family's profile pass at this thread count (profile.h), for its iteration rows
	 * that did not fail: @profile with the pass's @profile_iterations, or, with @profile
	 * NULL, why there is none in @profile_why; both NULL: no kmbench.profile (aggregates,
	 * failed runs, runs outside the matrix). */
	const struct kmb_profile *profile;
	long long profile_iterations;
	const char *profile_why;
	/* The repetition's place in its backend's run order (reps.h kmb_step.seq), when
	 * @sequenced: kmbench.sequence of an iteration row. */
	long long sequence;
	bool sequenced;
	/* The cell's callgraph pass (callgraph.h, --profile), a JSON object written by child.c,
	 * for every row of a selected cell: kmbench.callgraph; NULL: none. */
	const char *callgraph;
};

/* kmb_results_write_run - one run as one line of JSON (and a newline) to @f. */
void kmb_results_write_run(FILE *f, const struct kmb_gb_run *r, const struct kmb_run_meta *m);

/* kmb_results_param_name - the name component for the parameters of @w's family @p on @b,
 * e.g. "size:64/batch:100", "size:256/batch:100/fail:10". */
void kmb_results_param_name(char *buf, size_t len, const struct kmb_backend_ops *b,
			    const struct kmb_workload *w, const struct kmb_workload_params *p);

/* kmb_results_write_context - the context object (key "context") of a run: with @p's shard
 * (--shard), its "shard"; the saved options of run directory @dir as "cmdline". */
struct kmb_json;
struct kmb_counter_probe;
struct kmb_plan;
int kmb_results_write_context(struct kmb_json *j, const struct kmb_options *o,
			      const struct kmb_topo *t, const struct kmb_plan *p,
			      const struct kmb_counter_probe *probe, bool exclude_kernel,
			      const char *dir);

#endif
