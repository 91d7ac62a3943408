/*
 * main.c - the kmbench command line: subcommands, and `kmbench list`.
 *
 *   kmbench list                what can run here: backends, workloads, presets, backend
 *                               options, counters, topology, environment
 *   kmbench env                 the environment checks a run records (env.h): governor, turbo,
 *                               load, THP, SMT, ...; runs nothing
 *   kmbench run [options]       run a matrix, write results.json (harness/options.c)
 *   kmbench merge RUN... --out DIR
 *                               runs of one matrix (its shards: run --shard I/N) joined into
 *                               one results.json (merge.c)
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

#include "env.h"
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
		"  env                      the machine's state as a benchmark sees it (governor,\n"
		"                           turbo, load, THP, SMT, ...), as `run` checks and records\n"
		"                           it; runs nothing\n"
		"  plan [options]           what `run` with these options would do: its cells, the\n"
		"                           pinning of every thread, the estimated time; runs nothing\n"
		"  merge RUN... --out DIR [--complete] [--run-id ID]\n"
		"                           join the results of runs of one matrix (the shards of\n"
		"                           `run --shard I/N`), each a run directory or a\n"
		"                           results.json, into DIR/results.json; --complete: an\n"
		"                           error when a cell of the matrix is missing\n"
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

/* @bytes as "64 GiB", "1.5 GiB", "512 MiB". */
static const char *fmt_memory(char *buf, size_t len, unsigned long long bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (v == (double)(unsigned long long)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/*
 * The topology part of `kmbench list`: the counts, then every node in OS number order with
 * its memory and CPUs, saying which have none (memory-only nodes: CXL, HBM, or a node whose
 * CPUs are all outside our cpuset), and the usable CPUs that have no node of their own.
 */
static void list_topology(const struct kmb_topo *t)
{
	int nn = kmb_topo_num_nodes(t), memonly = 0, done = 0, last = -1;
	char cpus[1024], mem[32];

	for (int i = 0; i < nn; i++)
		memonly += !kmb_topo_node_num_cpus(t, i);
	if (*kmb_topo_source(t))
		printf("topology (from %s):\n", kmb_topo_source(t));
	else
		printf("topology:\n");
	printf("  %d package(s), %d core(s), %d CPU(s), %d NUMA node(s)", kmb_topo_num_packages(t),
	       kmb_topo_num_cores(t), kmb_topo_num_pus(t), nn);
	if (memonly)
		printf(" of which %d memory only", memonly);
	printf(", cache line %d bytes\n", kmb_topo_cache_line_size(t));
	if (*kmb_topo_cpu_model(t))
		printf("  %s\n", kmb_topo_cpu_model(t));
	while (done < nn) {	/* by OS number: selection, as nodes are few */
		int next = -1;

		for (int i = 0; i < nn; i++) {
			int os = kmb_topo_node_os_index(t, i);

			if (os > last && (next < 0 || os < kmb_topo_node_os_index(t, next)))
				next = i;
		}
		if (next < 0)
			break;
		last = kmb_topo_node_os_index(t, next);
		fmt_memory(mem, sizeof(mem), kmb_topo_node_memory(t, next));
		if (!kmb_topo_node_num_cpus(t, next))
			printf("  node %d: memory only, %s, no CPUs\n", last, mem);
		else if (kmb_topo_node_cpulist(t, next, cpus, sizeof(cpus)) == 0)
			printf("  node %d: %s, CPUs %s\n", last, mem, cpus);
		else
			printf("  node %d: %s, %d CPUs\n", last, mem, kmb_topo_node_num_cpus(t, next));
		done++;
	}
	if (kmb_topo_num_nodeless_cpus(t)) {
		if (kmb_topo_nodeless_cpulist(t, cpus, sizeof(cpus)))
			snprintf(cpus, sizeof(cpus), "(%d)", kmb_topo_num_nodeless_cpus(t));
		printf("  CPUs %s: no NUMA node of their own (their node is not among the usable "
		       "memory nodes); each counts as its nearest node, and every --pin but node:N "
		       "uses them\n", cpus);
	}
}

/* The environment checks (env.h) over the counters `kmbench list` probed already. */
static void list_environment(const struct kmb_counter_probe *probe, bool exclude_kernel)
{
	struct kmb_env_check env[KMB_ENV_NR];
	struct kmb_env_input in;

	kmb_env_input_here(&in, probe, exclude_kernel);
	kmb_env_collect(&in, env);
	printf("environment (as `kmbench env`; every run records it):\n");
	kmb_env_print(stdout, env);
}

int kmb_run_list(void)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	char err[256];
	struct kmb_topo *t = kmb_topo_load(NULL, NULL, err, sizeof(err));
	bool exclude_kernel;

	if (!t) {	/* a bad HWLOC_XMLFILE, say: one line, before anything is listed */
		fprintf(stderr, "kmbench list: %s\n", err);
		return 2;
	}

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
	list_topology(t);
	kmb_topo_free(t);
	list_environment(probe, exclude_kernel);
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
	if (!strcmp(cmd, "env"))
		return kmb_env_command();
	if (!strcmp(cmd, "overhead"))
		return kmb_run_overhead(argc - 2, argv + 2);
	if (!strcmp(cmd, "pairs"))
		return kmb_run_pairs(argc - 2, argv + 2);
	if (!strcmp(cmd, "record"))
		return kmb_run_record(argc - 2, argv + 2);
	if (!strcmp(cmd, "merge"))
		return kmb_run_merge(argc - 2, argv + 2);
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
	fprintf(stderr, "kmbench: unknown command '%s'; valid commands: list, env, run, plan, "
		"merge, overhead, pairs, record, help\n", cmd);
	return 2;
}
