/*
 * overhead.c - `kmbench overhead`: what the C wrapper's loop costs per iteration, beside the
 * same loop written directly in C++ against Google Benchmark, measured in one process and run.
 *
 * Each loop does the same work per iteration: an empty asm statement that keeps the loop
 * counter live, so the compiler cannot delete the loop.  Reported: ns per iteration (median
 * over repetitions) of
 *   c-batch:B      C, kmb_gb_keep_running_batch(B)        (how kmbench workloads loop)
 *   cxx-batch:B    C++, State::KeepRunningBatch(B)        (the reference for the target)
 *   cxx-range-for  C++, for (auto _ : state)              (Google Benchmark's idiom)
 *   c-batch:1      C, one wrapper call per iteration      (the cost without batching)
 * and the ratio c-batch:B / cxx-batch:B.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "results.h"
#include "run.h"

#define NR_ROWS 4

struct overhead {
	char names[NR_ROWS][64];
	double median[NR_ROWS];
	FILE *out;
};

static void c_loop(struct kmb_gb_state *st, void *arg)
{
	const int64_t batch = (int64_t)(intptr_t)arg;

	while (kmb_gb_keep_running_batch(st, batch))
		for (int64_t i = 0; i < batch; i++)
			__asm__ volatile("" : : "r"(i) : "memory");
}

static void on_run(const struct kmb_gb_run *r, void *ctx)
{
	struct overhead *ov = ctx;
	struct kmb_run_meta m = { .family_index = -1 };

	if (ov->out)
		kmb_results_write_run(ov->out, r, &m);
	/* The median aggregate when there are repetitions, else the single run. */
	if (r->error || (r->aggregate && strcmp(r->aggregate_name, "median")) ||
	    (!r->aggregate && r->repetitions > 1))
		return;
	for (int i = 0; i < NR_ROWS; i++) {
		size_t n = strlen(ov->names[i]);

		/* Google Benchmark appends "/threads:1" to the C families' names. */
		if (strncmp(r->run_name, ov->names[i], n) == 0 &&
		    (r->run_name[n] == '\0' || r->run_name[n] == '/'))
			ov->median[i] = r->real_time_ns;
	}
}

int kmb_run_overhead(int argc, char **argv)
{
	struct overhead ov = { 0 };
	struct kmb_gb_global_opts go = { 0.2, 5, false, NULL };
	struct kmb_gb_bench_opts bo = { (int[]){ 1 }, 1, false };
	const char *out = NULL;
	long batch = 1000;

	for (int i = 0; i < argc; i++) {
		char *end;

		if (strncmp(argv[i], "--batch=", 8) == 0) {
			batch = strtol(argv[i] + 8, &end, 10);
			if (*end || batch < 1 || batch > 1000000) {
				fprintf(stderr, "kmbench overhead: --batch: '%s' is not a batch size; "
					"give 1 to 1000000\n", argv[i] + 8);
				return 2;
			}
		} else if (strncmp(argv[i], "--min-time=", 11) == 0) {
			go.min_time = strtod(argv[i] + 11, &end);
			if (*end || !(go.min_time > 0) || go.min_time > 60) {
				fprintf(stderr, "kmbench overhead: --min-time: '%s' is not a time; give "
					"seconds above 0, at most 60\n", argv[i] + 11);
				return 2;
			}
		} else if (strncmp(argv[i], "--repetitions=", 14) == 0) {
			go.repetitions = (int)strtol(argv[i] + 14, &end, 10);
			if (*end || go.repetitions < 1 || go.repetitions > 1000) {
				fprintf(stderr, "kmbench overhead: --repetitions: give 1 to 1000\n");
				return 2;
			}
		} else if (strncmp(argv[i], "--out=", 6) == 0) {
			out = argv[i] + 6;
		} else {
			fprintf(stderr, "kmbench overhead: unknown option '%s'; valid options: "
				"--batch=N, --min-time=SECONDS, --repetitions=N, --out=FILE\n", argv[i]);
			return 2;
		}
	}
	snprintf(ov.names[0], 64, "overhead/c-batch:%ld", batch);
	snprintf(ov.names[1], 64, "overhead/cxx-batch:%ld", batch);
	snprintf(ov.names[2], 64, "overhead/cxx-range-for");
	snprintf(ov.names[3], 64, "overhead/c-batch:1");
	if (kmb_gb_init(&go) ||
	    kmb_gb_register(ov.names[0], c_loop, (void *)(intptr_t)batch, &bo) ||
	    kmb_gb_register_native_reference("overhead", batch) ||
	    kmb_gb_register(ov.names[3], c_loop, (void *)(intptr_t)1, &bo)) {
		fprintf(stderr, "kmbench overhead: cannot register the benchmarks\n");
		return 1;
	}
	struct kmb_atomic_file af;

	if (out && kmb_atomic_open(&af, out)) {
		fprintf(stderr, "kmbench overhead: --out: cannot write %s\n", out);
		return 2;
	}
	ov.out = out ? af.f : NULL;
	kmb_gb_run_all(on_run, &ov);
	if (out && kmb_atomic_commit(&af)) {
		fprintf(stderr, "kmbench overhead: cannot write %s\n", out);
		return 1;
	}
	printf("%-28s %12s\n", "loop", "ns/iteration");
	for (int i = 0; i < NR_ROWS; i++)
		printf("%-28s %12.4f\n", ov.names[i], ov.median[i]);
	if (ov.median[1] > 0)
		printf("ratio c-batch:%ld / cxx-batch:%ld = %.3f (target: at most 1.5)\n", batch,
		       batch, ov.median[0] / ov.median[1]);
	for (int i = 0; i < NR_ROWS; i++)
		if (!(ov.median[i] > 0)) {
			fprintf(stderr, "kmbench overhead: no result for %s\n", ov.names[i]);
			return 1;
		}
	return 0;
}
