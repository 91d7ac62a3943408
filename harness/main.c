/*
 * main.c - the kmbench command line: subcommands, and `kmbench list`.
 *
 *   kmbench list                what can run here: backends, workloads, presets, backend
 *                               options, counters
 *   kmbench run [options]       run a matrix, write results.json (harness/options.c)
 *   kmbench plan [options]      the cells, pinning and estimated time of that run (plan.c)
 *   kmbench overhead [options]  the harness's own loop cost against native C++
 *   kmbench pairs [options]     alloc+free pairs of one backend, for instruction counts (pairs.c)
 *   kmbench record [options]    the kernel's own allocations, into a trace the trace workload
 *                               replays (record.c)
 *   kmbench help | --help | --version
 *
 * Bad input is one line on stderr naming the problem and the valid choices, exit status 2.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "perf.h"
#include "policy.h"
#include "run.h"

#ifndef KMB_VERSION
#define KMB_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: kmbench <command> [options]\n\n"
		"commands:\n"
		"  list                     backends, workloads, presets, backend options and\n"
		"                           counters available here\n"
		"  run [options]            run a matrix and write its results (options below)\n"
		"  plan [options]           what `run` with these options would do: its cells, the\n"
		"                           pinning of every thread, the estimated time; runs nothing\n"
		"  overhead [options]       the C wrapper's loop cost against the same loop in C++\n"
		"  pairs --backend NAME [--size BYTES] [--pairs N] [--batch B]\n"
		"                           alloc+free pairs in kmb_pairs_loop(), for callgrind\n"
		"                           (scripts/instructions)\n"
		"  record [--seconds S] [--out FILE] [--max-events N] [-- COMMAND ARGS...]\n"
		"                           the kernel's own allocations (perf on the kmem\n"
		"                           tracepoints, as root), for S seconds (default 5) or\n"
		"                           while COMMAND runs, into a trace for `-W trace=FILE`\n"
		"  help                     this text\n\n"
		"run options:\n");
	kmb_options_help(f);
}

int kmb_run_list(void)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	char err[256];
	struct kmb_topo *t = kmb_topo_load(NULL, NULL, err, sizeof(err));
	bool exclude_kernel;

	printf("backends:\n");
	for (size_t i = 0; i < kmb_nr_backends; i++) {
		const struct kmb_backend_ops *b = kmb_backends[i];
		const char *state = "available";

		if ((b->caps & KMB_CAP_PRELOAD) && (!b->preload[0] || access(b->preload, R_OK)))
			state = "missing: library not found at build time";
		printf("  %-14s %-10s %s\n", b->name, state[0] == 'a' ? state : "missing",
		       b->description);
		if (state[0] != 'a')
			printf("  %-14s (%s)\n", "", state);
	}
	printf("workloads:\n");
	for (size_t i = 0; i < kmb_nr_workloads; i++)
		printf("  %-19s %s%s\n", kmb_workloads[i]->name, kmb_workloads[i]->description,
		       (kmb_workloads[i]->flags & KMB_WL_NO_ALLOCATOR) ? " [runs once per "
		       "thread count, as backend " KMB_NO_ALLOCATOR "]" : "");
	printf("presets:\n");
	for (size_t i = 0; i < kmb_nr_presets; i++)
		printf("  %-14s %s\n", kmb_presets[i].name, kmb_presets[i].description);
	printf("backend options (kmbench run -O KEY=VALUE, or --KEY VALUE):\n");
	kmb_options_backend_help(stdout);
	printf("workload options (kmbench run -W KEY=VALUE, or --KEY VALUE):\n");
	kmb_options_workload_help(stdout);
	printf("pin policies:\n  " KMB_PIN_SYNTAX "\n");
	printf("node policies (--numa-policy):\n  " KMB_MPOL_SYNTAX "\n");
	kmb_perf_probe(probe, &exclude_kernel);
	printf("counters (perf_event_paranoid=%d%s):\n", kmb_perf_paranoid(),
	       exclude_kernel ? ", user space only" : "");
	for (int c = 0; c < KMB_CTR_COUNT; c++)
		printf("  %-18s %s\n", kmb_counter_name(c),
		       probe[c].available ? "available" : probe[c].reason);
	if (t) {
		printf("topology:\n  %d package(s), %d core(s), %d CPU(s), %d NUMA node(s), "
		       "cache line %d bytes\n  %s\n", kmb_topo_num_packages(t),
		       kmb_topo_num_cores(t), kmb_topo_num_pus(t), kmb_topo_num_nodes(t),
		       kmb_topo_cache_line_size(t), kmb_topo_cpu_model(t));
		kmb_topo_free(t);
	} else {
		printf("topology:\n  unavailable: %s\n", err);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	struct kmb_options o;
	char err[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!cmd || !strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "--version")) {
		printf("kmbench %s\n", KMB_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "list"))
		return kmb_run_list();
	if (!strcmp(cmd, "overhead"))
		return kmb_run_overhead(argc - 2, argv + 2);
	if (!strcmp(cmd, "pairs"))
		return kmb_run_pairs(argc - 2, argv + 2);
	if (!strcmp(cmd, "record"))
		return kmb_run_record(argc - 2, argv + 2);
	if (!strcmp(cmd, "child") && argc == 4)	/* internal: started by `run` */
		return kmb_run_child(argv[2], argv[3]);
	if (!strcmp(cmd, "run") || !strcmp(cmd, "plan")) {
		if (kmb_options_parse(&o, argc - 2, argv + 2, err, sizeof(err))) {
			fprintf(stderr, "kmbench %s: %s\n", cmd, err);
			return 2;
		}
		if (o.resume) {
			for (int i = 2; i < argc; i++)
				if (strncmp(argv[i], "--resume", 8) && strcmp(argv[i], "--quiet") &&
				    strcmp(argv[i], "--verbose") &&
				    (i == 2 || strcmp(argv[i - 1], "--resume"))) {
					fprintf(stderr, "kmbench %s: --resume takes the options saved "
						"in the run directory; give no other option than "
						"--quiet or --verbose\n", cmd);
					return 2;
				}
		}
		if (!strcmp(cmd, "plan"))
			o.dry_run = true;
		return kmb_run_parent(&o);
	}
	fprintf(stderr, "kmbench: unknown command '%s'; valid commands: list, run, plan, overhead, "
		"pairs, record, help\n", cmd);
	return 2;
}
