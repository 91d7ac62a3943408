/*
 * results.c - runs and context in Google Benchmark's JSON format (results.h,
 * results/README.md).  Key order follows Google Benchmark's JSONReporter, so a diff of two
 * files reads the same as theirs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "json.h"
#include "kmbench/percpu.h"
#include "perf.h"
#include "policy.h"
#include "profile.h"
#include "plan.h"
#include "results.h"
#include "run.h"

#ifndef KMB_VERSION
#define KMB_VERSION "0.0.0"
#endif
#ifndef KMB_GIT_COMMIT
#define KMB_GIT_COMMIT "unknown"
#endif
#ifndef KMB_BUILD_TYPE
#define KMB_BUILD_TYPE "unknown"
#endif
#ifndef KMB_CFLAGS
#define KMB_CFLAGS ""
#endif
#ifndef KMB_NUMA_VERSION
#define KMB_NUMA_VERSION "unknown"
#endif

/* kmb_context_sink over the JSON writer: the options' record, a family's params. */
static void ctx_begin(void *j, const char *key) { kmb_json_obj_begin(j, key); }
static void ctx_end(void *j) { kmb_json_end(j); }
static void ctx_num(void *j, const char *key, long long v) { kmb_json_int(j, key, v); }
static void ctx_text(void *j, const char *key, const char *s) { kmb_json_str(j, key, s); }
static void ctx_array(void *j, const char *key) { kmb_json_arr_begin(j, key); }
#define JSON_SINK(j) { .begin = ctx_begin, .end = ctx_end, .num = ctx_num, .text = ctx_text, \
		       .array = ctx_array, .ctx = (j) }

/*
 * A family's parameters, each KEY and VALUE, through @out: size and batch where the workload
 * has them, then the workload's own for its cell (kmb_workload.cell_params).  The family's
 * name and its results' params are written by this one walk.
 */
static void each_param(const struct kmb_backend_ops *b, const struct kmb_workload *w,
		       const struct kmb_workload_params *p, const struct kmb_context_sink *out)
{
	if (w->params & KMB_P_SIZE)
		out->num(out->ctx, "size", (long long)p->size);
	if (w->params & KMB_P_BATCH)
		out->num(out->ctx, "batch", (long long)p->batch);
	if (w->cell_params)
		w->cell_params(p->opts, b, p->cell, out);
}

/* The name's sink: "KEY:VALUE", "/"-separated. */
struct name_buf {
	char *buf;
	size_t len, n;
};

static void name_text(void *ctx, const char *key, const char *text)
{
	struct name_buf *nb = ctx;

	if (nb->n < nb->len)
		nb->n += (size_t)snprintf(nb->buf + nb->n, nb->len - nb->n, "%s%s:%s",
					  nb->n ? "/" : "", key, text);
}

static void name_num(void *ctx, const char *key, long long v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", v);
	name_text(ctx, key, text);
}

void kmb_results_param_name(char *buf, size_t len, const struct kmb_backend_ops *b,
			    const struct kmb_workload *w, const struct kmb_workload_params *p)
{
	struct name_buf nb = { buf, len, 0 };
	const struct kmb_context_sink sink = { .num = name_num, .text = name_text, .ctx = &nb };

	buf[0] = '\0';
	each_param(b, w, p, &sink);
}

/*
 * Where the run's memory lay: "checked" with the intended nodes, the pages sampled whose node
 * the kernel reported, how many were on an intended node, and the pages per node; or
 * "unavailable" with the reason (results/README.md).
 */
static void write_placement(struct kmb_json *j, const struct kmb_placement *pl)
{
	char intended[256];

	kmb_json_obj_begin(j, "placement");
	if (pl->err || !pl->known) {
		kmb_json_str(j, "status", "unavailable");
		kmb_json_str(j, "reason", pl->err ? pl->why : "no sampled page was present");
		kmb_json_obj_end(j);
		return;
	}
	kmb_json_str(j, "status", "checked");
	kmb_json_str(j, "intended", kmb_nodes_format(pl->intended, intended, sizeof(intended)));
	kmb_json_int(j, "pages", pl->known);
	kmb_json_int(j, "on_intended", pl->on_target);
	kmb_json_obj_begin(j, "pages_per_node");
	for (int n = 0; n < KMB_MPOL_MAX_NODES; n++) {
		char key[16];

		if (!pl->per_node[n])
			continue;
		snprintf(key, sizeof(key), "%u", (unsigned int)n);
		kmb_json_int(j, key, pl->per_node[n]);
	}
	kmb_json_obj_end(j);
	kmb_json_obj_end(j);
}

static void write_meta(struct kmb_json *j, const struct kmb_gb_run *r, const struct kmb_run_meta *m)
{
	const struct kmb_context_sink sink = JSON_SINK(j);

	kmb_json_obj_begin(j, "kmbench");
	kmb_json_str(j, "backend", m->backend);
	kmb_json_str(j, "workload", m->workload);
	kmb_json_obj_begin(j, "params");
	each_param(m->b, m->w, m->p, &sink);
	kmb_json_obj_end(j);
	kmb_json_int(j, "threads", r->threads);
	kmb_json_str(j, "pin", m->pin);
	if (m->cpus && m->nodes) {
		kmb_json_int_array(j, "cpus", m->cpus, (size_t)r->threads);
		kmb_json_int_array(j, "nodes", m->nodes, (size_t)r->threads);
	}
	kmb_json_str(j, "host", m->host);
	kmb_json_str(j, "run_id", m->run_id);
	if (m->sequenced)
		kmb_json_int(j, "sequence", m->sequence);
	if (m->placement)
		write_placement(j, m->placement);
	if (m->profile || m->profile_why)
		kmb_profile_meta(j, m->profile, m->profile_iterations, m->profile_why);
	if (m->callgraph)
		kmb_json_raw(j, "callgraph", m->callgraph);
	kmb_json_obj_end(j);
}

void kmb_results_write_run(FILE *f, const struct kmb_gb_run *r, const struct kmb_run_meta *m)
{
	struct kmb_json j;
	bool pct = r->aggregate && r->aggregate_is_percentage;

	kmb_json_init(&j, f, false);
	kmb_json_obj_begin(&j, NULL);
	kmb_json_str(&j, "name", r->name);
	kmb_json_int(&j, "family_index", m->family_index >= 0 ? m->family_index : r->family_index);
	kmb_json_int(&j, "per_family_instance_index", r->per_family_instance_index);
	kmb_json_str(&j, "run_name", r->run_name);
	kmb_json_str(&j, "run_type", r->aggregate ? "aggregate" : "iteration");
	kmb_json_int(&j, "repetitions", r->repetitions);
	if (!r->aggregate)
		kmb_json_int(&j, "repetition_index", r->repetition_index);
	kmb_json_int(&j, "threads", r->threads);
	if (r->aggregate) {
		kmb_json_str(&j, "aggregate_name", r->aggregate_name);
		kmb_json_str(&j, "aggregate_unit", pct ? "percentage" : "time");
	}
	if (r->error) {
		kmb_json_bool(&j, "error_occurred", true);
		kmb_json_str(&j, "error_message", r->error_message);
	}
	kmb_json_int(&j, "iterations", r->iterations);
	kmb_json_num(&j, "real_time", r->real_time_ns);
	kmb_json_num(&j, "cpu_time", r->cpu_time_ns);
	if (!pct)
		kmb_json_str(&j, "time_unit", "ns");
	for (size_t i = 0; i < r->ncounters; i++)
		kmb_json_num(&j, r->counters[i].name, r->counters[i].value);
	/* The placement check's fraction, as a counter of the run; absent when unavailable. */
	if (m->placement && kmb_placement_fraction(m->placement) >= 0) {
		kmb_json_num(&j, "placement_ok", kmb_placement_fraction(m->placement));
		kmb_json_int(&j, "placement_pages", m->placement->known);
	}
	if (m->profile)
		kmb_profile_counters(&j, m->profile);
	if (m->backend)
		write_meta(&j, r, m);
	kmb_json_obj_end(&j);
	fputc('\n', f);
}

/* ISO 8601 local time with a colon in the offset, as Google Benchmark writes "date". */
static void iso_date(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	char off[8];

	localtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(off, sizeof(off), "%z", &tm);	/* +0100 */
	snprintf(buf + strlen(buf), len - strlen(buf), "%.3s:%.2s", off, off + 3);
}

static void write_gbench_context(struct kmb_json *j)
{
	struct kmb_gb_sysinfo si;
	char date[64], exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	kmb_gb_sysinfo(&si);
	iso_date(date, sizeof(date));
	kmb_json_str(j, "date", date);
	kmb_json_str(j, "host_name", si.host_name);
	kmb_json_str(j, "executable", exe);
	kmb_json_int(j, "num_cpus", si.num_cpus);
	kmb_json_num(j, "mhz_per_cpu", si.mhz_per_cpu);
	kmb_json_bool(j, "cpu_scaling_enabled", si.cpu_scaling_enabled);
	kmb_json_arr_begin(j, "caches");
	for (size_t i = 0; i < si.ncaches; i++) {
		kmb_json_obj_begin(j, NULL);
		kmb_json_str(j, "type", si.caches[i].type);
		kmb_json_int(j, "level", si.caches[i].level);
		kmb_json_int(j, "size", si.caches[i].size);
		kmb_json_int(j, "num_sharing", si.caches[i].num_sharing);
		kmb_json_obj_end(j);
	}
	kmb_json_arr_end(j);
	kmb_json_arr_begin(j, "load_avg");
	for (size_t i = 0; i < si.nload_avg; i++)
		kmb_json_num(j, NULL, si.load_avg[i]);
	kmb_json_arr_end(j);
	kmb_json_str(j, "library_build_type", si.library_build_type);
}

static void write_topology(struct kmb_json *j, const struct kmb_topo *t)
{
	int nn = kmb_topo_num_nodes(t);
	char *xml;

	kmb_json_obj_begin(j, "topology");
	kmb_json_int(j, "packages", kmb_topo_num_packages(t));
	kmb_json_int(j, "cores", kmb_topo_num_cores(t));
	kmb_json_int(j, "pus", kmb_topo_num_pus(t));
	kmb_json_int(j, "numa_nodes", nn);
	kmb_json_arr_begin(j, "nodes");
	for (int i = 0; i < nn; i++) {
		char cpus[1024];

		if (kmb_topo_node_cpulist(t, i, cpus, sizeof(cpus)))
			snprintf(cpus, sizeof(cpus), "?");
		kmb_json_obj_begin(j, NULL);
		kmb_json_int(j, "os_index", kmb_topo_node_os_index(t, i));
		kmb_json_str(j, "cpus", cpus);
		kmb_json_num(j, "memory_bytes", (double)kmb_topo_node_memory(t, i));
		kmb_json_obj_end(j);
	}
	kmb_json_arr_end(j);
	kmb_json_arr_begin(j, "distances");
	for (int a = 0; a < nn; a++) {
		kmb_json_arr_begin(j, NULL);
		for (int b = 0; b < nn; b++)
			kmb_json_int(j, NULL, kmb_topo_node_distance(t, a, b));
		kmb_json_arr_end(j);
	}
	kmb_json_arr_end(j);
	/* The whole tree for the report's Machine section, which draws it (report/sections/). */
	xml = kmb_topo_export_xml(t);
	if (xml)
		kmb_json_str(j, "hwloc_xml", xml);
	free(xml);
	kmb_json_obj_end(j);
}

static void write_counters(struct kmb_json *j, const struct kmb_counter_probe *probe,
			   bool exclude_kernel)
{
	kmb_json_obj_begin(j, "counters");
	kmb_json_arr_begin(j, "available");
	for (int c = 0; c < KMB_CTR_COUNT; c++)
		if (probe[c].available)
			kmb_json_str(j, NULL, kmb_counter_name(c));
	kmb_json_arr_end(j);
	kmb_json_obj_begin(j, "unavailable");
	for (int c = 0; c < KMB_CTR_COUNT; c++)
		if (!probe[c].available)
			kmb_json_str(j, kmb_counter_name(c), probe[c].reason);
	kmb_json_obj_end(j);
	kmb_json_bool(j, "exclude_kernel", exclude_kernel);
	kmb_json_int(j, "perf_event_paranoid", kmb_perf_paranoid());
	kmb_json_obj_end(j);
}


/*
 * What each set of backend options records for @section (backend.h kmb_backend_optset.context),
 * from the run's options as that set parses them.  Every set of the registry records itself,
 * whichever backends run, so that the context has the same keys in every file.
 */
static void write_backend_context(struct kmb_json *j, const struct kmb_options *o,
				  const char *section)
{
	const struct kmb_context_sink sink = JSON_SINK(j);
	const struct kmb_backend_optset *sets[KMB_MAX_LIST];
	size_t nsets = kmb_backend_optsets(sets, KMB_MAX_LIST);
	char err[256];

	for (size_t i = 0; i < nsets; i++) {
		void *st;

		if (!sets[i]->context || kmb_options_backend_state(o, sets[i], &st, err, sizeof(err)))
			continue;	/* checked when the options were parsed */
		sets[i]->context(st, section, &sink);
		free(st);
	}
}

/* What each workload's options record (workload.h kmb_workload.opts: the optset's context),
 * from its state: every workload of the registry, selected or not, as the backends'. */
static void write_workload_context(struct kmb_json *j, const struct kmb_options *o)
{
	const struct kmb_context_sink sink = JSON_SINK(j);

	for (size_t i = 0; i < kmb_nr_workloads; i++) {
		const struct kmb_workload *w = kmb_workloads[i];

		if (w->opts && w->opts->context)
			w->opts->context(kmb_options_workload_state(o, w), NULL, &sink);
	}
}

/* The backend (workload) options as given, under @key, KEY: VALUE (as their owner shows it):
 * the run's settings of every layer and workload, a new one's too, so that the run can be
 * repeated (results/README.md). */
static void write_given_options(struct kmb_json *j, const char *key,
				const struct kmb_backend_optval *v, size_t n)
{
	char name[64];

	kmb_json_obj_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)v[i].keylen, v[i].text + 2);
		kmb_json_str(j, name, v[i].text + 2 + v[i].keylen + 1);
	}
	kmb_json_obj_end(j);
}

/*
 * The per-CPU modes (results/README.md): each layer's, for the backends that follow the run's
 * options, and whether rseq could be used, with what asked for it; the <layer>-cpu-rseq
 * backends run cpu-lock when it could not.
 */
static void write_percpu_options(struct kmb_json *j, const struct kmb_options *o)
{
	const char *why = NULL, *asked[KMB_RSEQ_ASKED_MAX];
	bool usable = kmb_rseq_status(&why);
	size_t nasked = kmb_options_rseq_asked(o, asked, KMB_RSEQ_ASKED_MAX);

	kmb_json_obj_begin(j, "percpu");
	write_backend_context(j, o, "percpu");
	kmb_json_obj_begin(j, "rseq");
	kmb_json_bool(j, "usable", usable);
	if (!usable)
		kmb_json_str(j, "reason", why ? why : "unknown");
	kmb_json_arr_begin(j, "asked_by");
	for (size_t i = 0; i < nasked; i++)
		kmb_json_str(j, NULL, asked[i]);
	kmb_json_arr_end(j);
	kmb_json_obj_end(j);
	kmb_json_obj_end(j);
}

/* The experiment's check key with its defaults (experiment.h): what `kmbench check` compares
 * this run with a baseline by (report/kmb_check.py, docs/experiments.md). */
static void write_check(struct kmb_json *j, const struct kmb_exp_check *c)
{
	kmb_json_obj_begin(j, "check");
	kmb_json_str(j, "reference", c->reference);
	kmb_json_num(j, "alpha", c->alpha);
	kmb_json_obj_begin(j, "tolerance");
	for (int m = 0; m < KMB_CHECK_NR_METRICS; m++)
		if (c->tolerance[m] > 0)
			kmb_json_num(j, kmb_check_metric_names[m], c->tolerance[m]);
	kmb_json_obj_end(j);
	kmb_json_str(j, "from", c->given ? "experiment" : "default");
	kmb_json_obj_end(j);
}

static void write_options(struct kmb_json *j, const struct kmb_options *o)
{
	char pin[32], pol[256];

	kmb_json_obj_begin(j, "options");
	kmb_json_str(j, "preset", o->preset);
	/* Where the options came from (docs/experiments.md): the run's directory keeps the file's
	 * text as experiment.yaml; its hash is the saved options' --experiment-hash. */
	kmb_json_str(j, "experiment_file", o->matrix);
	kmb_json_str(j, "experiment", o->experiment);
	kmb_json_str(j, "experiment_description", o->exp_description);
	{
		char hash[17];

		snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)o->exp_hash);
		kmb_json_str(j, "experiment_hash", hash);
	}
	write_check(j, &o->check);
	kmb_json_arr_begin(j, "backends");
	for (size_t i = 0; i < o->nbackends; i++)
		kmb_json_str(j, NULL, o->backends[i]->name);
	kmb_json_arr_end(j);
	kmb_json_arr_begin(j, "workloads");
	for (size_t i = 0; i < o->nworkloads; i++)
		kmb_json_str(j, NULL, o->workloads[i]->name);
	kmb_json_arr_end(j);
	kmb_json_int_array(j, "threads", o->threads, o->nthreads);
	kmb_json_arr_begin(j, "sizes");
	for (size_t i = 0; i < o->nsizes; i++)
		kmb_json_int(j, NULL, (long long)o->sizes[i]);
	kmb_json_arr_end(j);
	kmb_json_arr_begin(j, "batch");
	for (size_t i = 0; i < o->nbatches; i++)
		kmb_json_int(j, NULL, (long long)o->batches[i]);
	kmb_json_arr_end(j);
	kmb_json_num(j, "min_time", o->min_time);
	kmb_json_int(j, "repetitions", o->repetitions);
	kmb_json_str(j, "pin", kmb_pin_format(&o->pin, pin, sizeof(pin)));
	kmb_json_bool(j, "profile", !o->no_profile);
	if (o->callgraph)	/* --profile: "" (every cell) is "all" */
		kmb_json_str(j, "callgraph", o->callgraph_cells[0] ? o->callgraph_cells : "all");
	else
		kmb_json_bool(j, "callgraph", false);
	kmb_json_bool(j, "interleave", !o->no_interleave);
	write_backend_context(j, o, NULL);
	write_given_options(j, "backend_options", o->bopts, o->nbopts);
	write_percpu_options(j, o);
	/* The node policy as given ("default" when none); how each kind of backend gets it is
	 * in each backend's status (child.c). */
	kmb_json_str(j, "numa_policy", kmb_mpol_format(&o->mpol, pol, sizeof(pol)));
	write_workload_context(j, o);
	write_given_options(j, "workload_options", o->wopts, o->nwopts);
	kmb_json_obj_end(j);
}

/* Each backend's status object, as its child (or the parent) wrote it. */
static void write_backends(struct kmb_json *j, const struct kmb_options *o, const char *dir)
{
	const struct kmb_backend_ops *order[KMB_MAX_LIST + 1];
	size_t nb = kmb_matrix_backends(o, order);

	kmb_json_obj_begin(j, "backends");
	for (size_t i = 0; i < nb; i++) {
		char path[PATH_MAX], *text;

		kmb_pathf(path, sizeof(path), "%s/parts/%s.status.json", dir, order[i]->name);
		if (kmb_read_file(path, &text, NULL) == 0) {
			text[strcspn(text, "\n")] = '\0';
			kmb_json_raw(j, order[i]->name, text);
			free(text);
		} else {
			kmb_json_obj_begin(j, order[i]->name);
			kmb_json_str(j, "status", "failed");
			kmb_json_str(j, "reason", "no status was written (child did not start?)");
			kmb_json_obj_end(j);
		}
	}
	kmb_json_obj_end(j);
}

/*
 * The run's saved options (<dir>/cmdline, options.h kmb_options_save), one argument a string:
 * what `kmbench merge` compares to tell that runs belong to the same matrix.
 */
static void write_cmdline(struct kmb_json *j, const char *dir)
{
	char path[PATH_MAX], *text, *save, *line;

	kmb_json_arr_begin(j, "cmdline");
	kmb_pathf(path, sizeof(path), "%s/cmdline", dir);
	if (kmb_read_file(path, &text, NULL) == 0) {
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			kmb_json_str(j, NULL, line);
		free(text);
	}
	kmb_json_arr_end(j);
}

/*
 * --shard I/N: which shard this run is, its cells by id (plan.h kmb_plan_cell_name), and the
 * estimates the split was made from, so that `kmbench merge` can tell which cells of the
 * matrix are missing and a reader can check the split.
 */
static void write_shard(struct kmb_json *j, const struct kmb_plan *p)
{
	char name[300];
	double most = 0;

	kmb_json_obj_begin(j, "shard");
	kmb_json_int(j, "index", p->shard_index);
	kmb_json_int(j, "count", p->shard_count);
	kmb_json_arr_begin(j, "cells");
	for (size_t c = 0; c < p->all_cells; c++)
		if (kmb_plan_in_shard(p, c) && kmb_plan_cell_name(p, c, name, sizeof(name)))
			kmb_json_str(j, NULL, name);
	kmb_json_arr_end(j);
	kmb_json_int(j, "matrix_cells", (long long)p->all_cells);
	kmb_json_num(j, "estimated_s", p->shard_s[p->shard_index]);
	kmb_json_arr_begin(j, "shards_estimated_s");
	for (int i = 1; i <= p->shard_count; i++) {
		kmb_json_num(j, NULL, p->shard_s[i]);
		most = p->shard_s[i] > most ? p->shard_s[i] : most;
	}
	kmb_json_arr_end(j);
	kmb_json_num(j, "matrix_estimated_s", p->all_cells_s);
	kmb_json_num(j, "largest_cell_s", p->largest_cell_s);
	kmb_json_obj_end(j);
}

int kmb_results_write_context(struct kmb_json *j, const struct kmb_options *o,
			      const struct kmb_topo *t, const struct kmb_plan *p,
			      const struct kmb_counter_probe *probe, bool exclude_kernel,
			      const char *dir)
{
	struct utsname u;
	char kernel[512], pin[32];

	uname(&u);
	snprintf(kernel, sizeof(kernel), "%s %s %s", u.sysname, u.release, u.machine);
	kmb_json_obj_begin(j, "context");
	write_gbench_context(j);
	kmb_json_str(j, "kmbench_version", KMB_VERSION);
	kmb_json_str(j, "run_id", o->run_id);
	/* The seed of the order of the repetitions (reps.h), used where options.interleave. */
	kmb_json_int(j, "interleave_seed", o->seed);
	kmb_json_str(j, "build_type", KMB_BUILD_TYPE);
	kmb_json_str(j, "compiler", KMB_COMPILER);
	kmb_json_str(j, "cflags", KMB_CFLAGS);
	kmb_json_str(j, "git_commit", KMB_GIT_COMMIT);
	kmb_json_str(j, "kernel", kernel);
	kmb_json_str(j, "cpu_model", kmb_topo_cpu_model(t));
	kmb_json_int(j, "cache_line_size", kmb_topo_cache_line_size(t));
	write_topology(j, t);
	kmb_json_str(j, "pin_policy", kmb_pin_format(&o->pin, pin, sizeof(pin)));
	kmb_json_obj_begin(j, "libraries");
	kmb_json_str(j, "glibc", gnu_get_libc_version());
	kmb_json_str(j, "hwloc", kmb_topo_hwloc_version());
	kmb_json_str(j, "libnuma", KMB_NUMA_VERSION);
	kmb_json_str(j, "benchmark", kmb_gb_version());
	kmb_json_obj_end(j);
	write_counters(j, probe, exclude_kernel);
	kmb_env_write_json(j);		/* "environment": checked when the run started */
	write_options(j, o);
	write_cmdline(j, dir);
	if (p && p->shard_count)
		write_shard(j, p);
	write_backends(j, o, dir);
	kmb_json_obj_end(j);
	return 0;
}
