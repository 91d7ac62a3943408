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
 *   kmbench report RESULTS... [-o OUT]
 *                               the HTML report of a run; of several, the compare mode
 *                               (report/kmbench_report.py, run by report.c)
 *   kmbench slurm --shards N [slurm options] [run options]
 *                               the matrix as a Slurm job array, one shard a task, and a
 *                               dependent job that merges them and writes the report (slurm.c)
 *   kmbench plan [options]      the cells, pinning and estimated time of that run (plan.c)
 *   kmbench check RUN --baseline BASE [--reference NAME]
 *                               a run against a baseline run of the same experiment: ratios
 *                               to a reference backend, the U test (check.c, report/kmb_check.py)
 *   kmbench reproduce RUN [--out DIR]
 *                               the run's saved options run again, checked against it (check.c)
 *   kmbench overhead [options]  the harness's own loop cost against native C++
 *   kmbench pairs [options]     alloc+free pairs of one backend, for instruction counts (pairs.c)
 *   kmbench record [options]    the kernel's own allocations, into a trace the trace workload
 *                               replays (record.c)
 *   kmbench help | --help | --version
 *
 * Bad input is one line on stderr naming the problem and the valid choices, exit status 2.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "json.h"
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
		"  list --presets --json [--matrix FILE]\n"
		"                           the presets (or FILE's experiments) as JSON: name,\n"
		"                           description and the run options each gives\n"
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
		"  report RESULTS... [-o OUT.html] [--summary]\n"
		"                           the HTML report of a run (a run directory or its\n"
		"                           results.json); given several runs, the compare mode:\n"
		"                           each against the first, cell by cell (U test, geometric\n"
		"                           mean), what got slower or faster first, by host\n"
		"  slurm --shards N [--partition P] [--constraint C] [--nodelist LIST]\n"
		"        [--time T] [--sbatch-arg=--NAME=VALUE]... [--shared] [--no-report]\n"
		"        [--out DIR] [--run-id ID] [--job-name NAME] [--dry-run] [run options]\n"
		"                           submit the matrix to Slurm as a job array, task I\n"
		"                           running `run --shard I/N` into DIR/shards/I, and a job\n"
		"                           that merges them into DIR once all succeed, then writes\n"
		"                           DIR/index.html; prints the job ids (docs/slurm.md)\n"
		"  check RUN --baseline BASE [--reference NAME] [--all]\n"
		"                           a run against a baseline run of the same experiment\n"
		"                           (run directories or results.json): each cell's time as\n"
		"                           a ratio to the reference backend's (default glibc), the\n"
		"                           U test per cell; exit 1 on a significant regression\n"
		"                           beyond the experiment's tolerance (docs/experiments.md)\n"
		"  reproduce RUN [--out DIR] [--reference NAME] [--quiet | --verbose]\n"
		"                           run RUN's saved options again (default into\n"
		"                           RUN-reproduced-<time>), then check the new run against\n"
		"                           RUN; warns where the commit or the machine differs\n"
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

/* An experiment's check key as written (only the keys given; none without one). */
static void list_check_json(struct kmb_json *j, const struct kmb_exp_check *c)
{
	if (!c->given)
		return;
	kmb_json_obj_begin(j, "check");
	if (c->reference[0])
		kmb_json_str(j, "reference", c->reference);
	if (c->text_alpha[0])
		kmb_json_str(j, "alpha", c->text_alpha);
	if (c->tolerance_given) {
		kmb_json_obj_begin(j, "tolerance");
		for (int m = 0; m < KMB_CHECK_NR_METRICS; m++)
			if (c->text_tolerance[m][0])
				kmb_json_str(j, kmb_check_metric_names[m], c->text_tolerance[m]);
		kmb_json_obj_end(j);
	}
	kmb_json_obj_end(j);
}

/* One experiment file as JSON: each experiment's name, description and the run arguments its
 * keys map onto, in the file's order (report/kmb_experiments.py makes the same of it). */
static void list_file_json(struct kmb_json *j, const struct kmb_exp_file *f, const char *key)
{
	kmb_json_arr_begin(j, key);
	for (size_t e = 0; e < f->nexp; e++) {
		kmb_json_obj_begin(j, NULL);
		kmb_json_str(j, "name", f->exp[e].name);
		kmb_json_str(j, "description", f->exp[e].description);
		kmb_json_arr_begin(j, "args");
		for (size_t a = 0; a < f->exp[e].nargs; a++)
			kmb_json_str(j, NULL, f->exp[e].args[a].text);
		kmb_json_arr_end(j);
		list_check_json(j, &f->exp[e].check);
		kmb_json_obj_end(j);
	}
	kmb_json_arr_end(j);
}

/*
 * kmbench list --presets --json [--matrix FILE]: the shipped presets (or FILE's experiments) as
 * the C loader reads them, for scripts and for the test that the report's loader agrees.
 */
static int list_presets_json(int argc, char **argv)
{
	struct kmb_json j;
	struct kmb_exp_file f;
	char err[1024];

	kmb_json_init(&j, stdout, true);
	kmb_json_obj_begin(&j, NULL);
	if (argc == 2 && !strcmp(argv[0], "--matrix")) {
		if (kmb_exp_read(&f, argv[1], err, sizeof(err))) {
			fprintf(stderr, "kmbench list: %s\n", err);
			kmb_exp_free(&f);
			return 2;
		}
		list_file_json(&j, &f, argv[1]);
		kmb_exp_free(&f);
	} else if (argc) {
		fprintf(stderr, "kmbench list: '%s': give --presets --json, optionally with "
			"--matrix FILE\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; !argc && i < kmb_nr_shipped_experiments; i++) {
		if (kmb_exp_preset(&f, kmb_shipped_experiments[i].name, err, sizeof(err))) {
			fprintf(stderr, "kmbench list: %s\n", err);
			kmb_exp_free(&f);
			return 1;
		}
		list_file_json(&j, &f, kmb_shipped_experiments[i].name);
		kmb_exp_free(&f);
	}
	kmb_json_obj_end(&j);
	putchar('\n');
	return 0;
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
	printf("presets (harness/experiments/NAME.yaml, built in; --matrix FILE runs your own):\n");
	for (size_t i = 0; i < kmb_nr_shipped_experiments; i++) {
		struct kmb_exp_file f;

		if (kmb_exp_preset(&f, kmb_shipped_experiments[i].name, err, sizeof(err)))
			printf("  %-14s (cannot read: %s)\n", kmb_shipped_experiments[i].name, err);
		for (size_t e = 0; e < f.nexp; e++)
			printf("  %-14s %s\n", f.exp[e].name, f.exp[e].description);
		kmb_exp_free(&f);
	}
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

/*
 * A file of several experiments and no --experiment: each one, in the file's order, into
 * OUT/NAME with run id ID-NAME (OUT and ID: --out and --run-id, or the defaults of one run).
 * Every experiment's options are parsed before any runs, so a bad one runs nothing; OUT gets
 * the list of names (KMB_EXP_LIST) for --resume OUT.  The worst exit status of the runs.
 */
static int run_each(const char *cmd, int argc, char **argv, struct kmb_options *first)
{
	size_t n = first->nexperiments;
	struct kmb_options *o = calloc(n, sizeof(*o));
	char out[PATH_MAX], id[sizeof(first->run_id)], err[1024], path[PATH_MAX];
	char **args = calloc((size_t)argc + 4, sizeof(char *));
	char a_exp[96], a_out[PATH_MAX + 96], a_id[sizeof(id) + 96];
	int worst = 0;
	FILE *f;

	if (!o || !args) {
		fprintf(stderr, "kmbench %s: out of memory\n", cmd);
		return 1;
	}
	if (!first->run_id[0])
		kmb_default_run_id(first);
	snprintf(id, sizeof(id), "%s", first->run_id);
	if (first->out[0])
		snprintf(out, sizeof(out), "%s", first->out);
	else
		snprintf(out, sizeof(out), "results/runs/%s", id);
	memcpy(args, argv, (size_t)argc * sizeof(char *));
	args[argc] = a_exp;
	args[argc + 1] = a_out;
	args[argc + 2] = a_id;
	for (size_t i = 0; i < n; i++) {
		const char *name = first->exp_names[i];

		snprintf(a_exp, sizeof(a_exp), "--experiment=%s", name);
		snprintf(a_out, sizeof(a_out), "--out=%s/%s", out, name);
		snprintf(a_id, sizeof(a_id), "--run-id=%.60s-%s", id, name);
		if (kmb_options_parse(&o[i], argc + 3, args, err, sizeof(err))) {
			fprintf(stderr, "kmbench %s: %s\n", cmd, err);
			free(o);
			free(args);
			return 2;
		}
		o[i].dry_run = first->dry_run;	/* kmbench plan */
	}
	if (!first->dry_run) {
		kmb_pathf(path, sizeof(path), "%s/" KMB_EXP_LIST, out);
		if (kmb_mkdir_p(out) || !(f = fopen(path, "w"))) {
			fprintf(stderr, "kmbench %s: --out %s: cannot write there\n", cmd, out);
			free(o);
			free(args);
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s\n", first->exp_names[i]);
		fclose(f);
	}
	for (size_t i = 0; i < n; i++) {
		int r;

		printf("== experiment %s (%zu of %zu) -> %s\n", o[i].experiment, i + 1, n, o[i].out);
		r = kmb_run_parent(&o[i]);
		worst = r > worst ? r : worst;
	}
	if (!first->dry_run) {
		printf("experiments of %s:\n", first->matrix[0] ? first->matrix : first->preset);
		for (size_t i = 0; i < n; i++)
			printf("  %-20s %s/results.json\n", o[i].experiment, o[i].out);
	}
	free(o);
	free(args);
	return worst;
}

/* --resume OUT of a run of several experiments (run_each): each, in the order listed. */
static int resume_each(struct kmb_options *o, const char *list)
{
	char dir[PATH_MAX], line[256];
	int worst = 0;
	FILE *f = fopen(list, "r");

	if (!f)
		return -1;
	snprintf(dir, sizeof(dir), "%s", o->out);
	while (fgets(line, sizeof(line), f)) {
		struct kmb_options one = *o;
		int r;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		kmb_pathf(one.out, sizeof(one.out), "%s/%s", dir, line);
		printf("== experiment %s -> %s\n", line, one.out);
		r = kmb_run_parent(&one);
		worst = r > worst ? r : worst;
	}
	fclose(f);
	return worst;
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
	if (!strcmp(cmd, "list") && argc >= 4 && !strcmp(argv[2], "--presets") &&
	    !strcmp(argv[3], "--json"))
		return list_presets_json(argc - 4, argv + 4);
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
	if (!strcmp(cmd, "report"))
		return kmb_run_report(argc - 2, argv + 2);
	if (!strcmp(cmd, "slurm"))
		return kmb_run_slurm(argc - 2, argv + 2);
	if (!strcmp(cmd, "check"))
		return kmb_run_check(argc - 2, argv + 2);
	if (!strcmp(cmd, "reproduce"))
		return kmb_run_reproduce(argc - 2, argv + 2);
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
		if (o.resume) {
			char path[PATH_MAX];

			kmb_pathf(path, sizeof(path), "%s/cmdline", o.out);
			if (access(path, F_OK)) {
				kmb_pathf(path, sizeof(path), "%s/" KMB_EXP_LIST, o.out);
				if (!access(path, R_OK))
					return resume_each(&o, path);
			}
		}
		if (o.nexperiments > 1 && !o.experiment[0])
			return run_each(cmd, argc - 2, argv + 2, &o);
		return kmb_run_parent(&o);
	}
	fprintf(stderr, "kmbench: unknown command '%s'; valid commands: list, env, run, plan, "
		"merge, slurm, report, check, reproduce, overhead, pairs, record, help\n", cmd);
	return 2;
}
