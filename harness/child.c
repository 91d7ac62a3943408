/*
 * child.c - one backend's process: run its cells, write each to its part as it finishes.
 *
 * The cells (plan.h: a family at one thread count) run one Google Benchmark run at a time
 * (gbench.h kmb_gb_run_one), in the order of reps.h: by default every repetition of the
 * backend in a seeded random order, each cell's profile pass right after its last repetition.
 * A cell's first repetition grows its iteration count until a trial lasts --min-time; the
 * others run that many iterations (Google Benchmark's rule for repetitions).  Each repetition
 * is held back until its cell is finished; then the cell's aggregates are computed (reps.h,
 * as Google Benchmark would), and its rows, repetitions in order then aggregates, are appended
 * to the part and made durable in one piece (part.h).  A part left by an earlier attempt
 * (--resume) is read first: its whole cells are kept as they are and not run again, whatever
 * follows them is cut off and runs again.  With --shard I/N, the cells of the other shards
 * (plan.h) are not run: the part holds this shard's alone.
 *
 * Per benchmark thread (bench_thread): pin by the plan (a numa-matrix cell's own, node:N, for
 * its families; a remote-free-matrix cell's own CPUs, at its one thread count), note the CPU
 * and node it landed on, make the run's node policy the thread's memory policy for a backend
 * that takes no node (set_mempolicy; a KMB_CAP_NODE backend
 * applies it itself), the backend's thread_init, open perf counters (enabled and disabled by
 * the gbench region hooks, so only the timed loop is counted), run the workload, report each
 * counter per operation, averaged over threads, and probe where the backend's memory lies
 * (probe.c) unless the workload checked its own.  Nothing here is on the measured path
 * except what the workload does between the hooks.
 *
 * The profile pass (profile.h): after a cell's last repetition, a run "<name>/profile" (its
 * own shorter min time, the cell's thread count) runs the workload again through the wrapped
 * operations table, with no perf counters and no placement probe.  Its report is not a row:
 * the cell's repetitions are held back (copied: Google Benchmark's strings are the
 * callback's) until it reports, then written with its percentiles, peak RSS and timeline.
 * Workloads that do not allocate, and runs with --no-profile, have no pass: their rows say
 * why.
 *
 * The callgraph pass (callgraph.h, --profile): a selected cell, once its last step has
 * reported, runs once more, "<name>/callgraph", with its repetitions' iterations, while perf
 * record samples this process; then the cell is written, every row with kmbench.callgraph.
 * Google Benchmark's reporter cannot start a run, so finish_cell leaves the cell to run_steps
 * (c->cg_due), keeping what its profile pass said.
 *
 * Families and their observed CPUs are written by benchmark threads (each its own slot) and
 * read by the reporter on the main thread after the run, which Google Benchmark's thread joins
 * order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callgraph.h"
#include "json.h"
#include "part.h"
#include "placement.h"
#include "plan.h"
#include "profile.h"
#include "wl_sync.h"
#include "policy.h"
#include "perf.h"
#include "reps.h"
#include "results.h"
#include "run.h"

struct child;
struct family;

/* What a registered benchmark's arg points at: a family's timed runs, its profile pass, or
 * (callgraph) its callgraph pass: the timed workload under perf record, without counters or
 * placement probe. */
struct bench_arg {
	struct family *f;
	bool profile;
	bool callgraph;
};

/* A timed run held back until its profile pass reports, with what its row needs. */
struct held_run {
	struct kmb_gb_run r;		/* strings and counters: copies, owned */
	int *cpus, *nodes;		/* copies, r.threads each; NULL for aggregates */
	struct kmb_placement place;
	bool has_place;
	long long seq;			/* a repetition's kmb_step.seq; -1: an aggregate */
};

struct family {
	long long index;		/* global family index */
	char name[256];			/* "churn/slab/size:64/batch:1" (kmb_family_name) */
	size_t first_cell;		/* its cells: child.cells[first_cell ..] */
	const struct kmb_workload *w;
	struct kmb_workload_params p;
	struct child *c;
	int cpus[KMB_MAX_THREADS];	/* OS CPU of each thread in the latest run */
	int nodes[KMB_MAX_THREADS];
	struct kmb_placement *place;	/* per thread, the latest run; p.placement points here */
	struct kmb_pin pin;		/* a cell's own plan (node:N, kmb_family_node); else the
					 * run's */
	bool own_pin;			/* pin is the cell's own, or its CPUs are (cell_threads) */
	int *plans[KMB_MAX_LIST];	/* a cell's own plan per o.threads[i]; NULL: the run's
					 * plans, or (own) that many threads do not fit.  With
					 * cell_threads: plans[0], the cell's CPUs */
	int cell_threads;		/* a cell that names its CPUs (kmb_family_cpus): it runs
					 * at this one thread count; 0: the run's counts */
	char pin_name[32];
	/* Every thread of a run passes it once its workload has returned (or it gave up before
	 * running it): the placement probe allocates through the backend, and must not run while
	 * another thread is still inside the workload, whose own end-of-run checks read the
	 * allocator's state (mempool-pressure counts the reserve). */
	struct wl_barrier ran;
	struct bench_arg timed, pass, cgpass;	/* the registered args */
	/* The profile pass: its start barrier (thread 0 begins the pass before any thread runs
	 * the workload), ns per operation of one thread in the latest timed run per thread count
	 * (o.threads order; 0: none), and the timed runs held back for it. */
	struct wl_barrier start;
	double op_ns[KMB_MAX_LIST];
	struct held_run *held;
	size_t nheld, held_cap;
};

/* One family at one thread count (plan.h): run, written and resumed whole. */
struct cell {
	struct family *f;
	int threads;
	int instance;			/* per_family_instance_index: the thread count's place */
	int reps_done;			/* repetitions run by this process */
	int64_t iters;			/* iterations a thread of its first repetition that did not
					 * fail, which every later one runs; 0: none yet */
	bool kept;			/* whole in the part from an earlier attempt: not run */
	bool other_shard;		/* another shard's (--shard, plan.h): not run here */
	bool finished;			/* written to the part by this process */
	/* --profile selects it (callgraph.h): once its last step has reported, its callgraph
	 * pass runs before it is written; what its profile pass said is kept till then. */
	bool callgraph;
	bool pass_ran, pass_failed;
	long long pass_iters;
	char pass_err[256];
};

struct child {
	struct kmb_options o;
	const struct kmb_backend_ops *b;
	struct kmb_topo *topo;
	uint32_t perf_mask;
	int *plans[KMB_MAX_LIST];	/* per o.threads[i]: the OS CPU of each thread */
	char host[256];
	int progress_fd;		/* the parent's progress pipe (plan.h); -1: none */
	/* The part (part.h): its descriptor, the rows of the cell being written, and the first
	 * error writing it (-errno), which ends the run: a cell that cannot be kept is not run. */
	int part_fd;
	FILE *out;
	int error;
	/* The families and their cells in plan order, and the step running now (reps.h). */
	struct family *fams;
	size_t nfam;
	struct cell *cells;
	size_t ncells;
	const struct kmb_step *step;
	/* The profile pass (profile.h): the wrapped table, and the latest pass's result. */
	const struct kmb_backend_ops *pb;
	struct kmb_profile prof;
	/* --profile (callgraph.h): the run directory, perf's event and why, the cell whose
	 * callgraph pass is due (its last step has reported), and the pass's run while it runs. */
	const char *dir;
	char cg_event[32], cg_event_why[160];
	struct cell *cg_due;
	bool cg_running;
	struct kmb_gb_run cg_run;	/* error_message and names not kept */
	char cg_err[256];
};

/* Does @f have a profile pass?  NULL: yes; else why not. */
static const char *no_pass_why(const struct child *c, const struct family *f)
{
	if (f->w->flags & KMB_WL_NO_ALLOCATOR)
		return "the workload does not allocate";
	if (f->w->flags & KMB_WL_NO_PROFILE)
		return "the workload's allocations are another process's";
	if (c->o.no_profile)
		return "--no-profile";
	return NULL;
}

/* The index of @nt in o.threads; 0 when absent. */
static size_t thread_slot(const struct child *c, int64_t nt)
{
	for (size_t i = 0; i < c->o.nthreads; i++)
		if (c->o.threads[i] == nt)
			return i;
	return 0;
}

static const int *plan_for(const struct child *c, int nthreads)
{
	for (size_t i = 0; i < c->o.nthreads; i++)
		if (c->o.threads[i] == nthreads)
			return c->plans[i];
	return NULL;
}

static void perf_start(struct kmb_gb_state *st, void *arg)
{
	(void)st;
	kmb_perf_enable(arg);
}

static void perf_stop(struct kmb_gb_state *st, void *arg)
{
	(void)st;
	kmb_perf_disable(arg);
}

static void report_counters(struct kmb_gb_state *st, struct kmb_perf *perf)
{
	struct kmb_perf_values v;
	int64_t iters = kmb_gb_iterations(st);
	bool any_hw = false;

	if (!perf || iters <= 0 || kmb_perf_read(perf, &v))
		return;
	for (int c = 0; c < KMB_CTR_COUNT; c++) {
		if (!v.valid[c])
			continue;
		kmb_gb_set_counter(st, kmb_counter_name(c), v.value[c] / (double)iters,
				   KMB_GB_CTR_AVG_THREADS);
		any_hw |= !kmb_counter_is_software(c);
	}
	if (any_hw)
		kmb_gb_set_counter(st, "hw_counted_fraction", v.hw_running_fraction,
				   KMB_GB_CTR_AVG_THREADS);
}

/* The plan of @f for @nt threads: a cell's own, else the run's. */
static const int *family_plan(const struct family *f, int nt)
{
	if (!f->own_pin)
		return plan_for(f->c, nt);
	if (f->cell_threads)
		return nt == f->cell_threads ? f->plans[0] : NULL;
	for (size_t i = 0; i < f->c->o.nthreads; i++)
		if (f->c->o.threads[i] == nt)
			return f->plans[i];
	return NULL;
}

/* The thread's memory policy for a backend that takes no node; 1 when set, 0 when there is
 * none to set, -errno (with msg) when the kernel refused it. */
static int thread_policy(const struct family *f, int home, char *msg, size_t len)
{
	const struct child *c = f->c;
	int r;

	if (c->o.mpol.mode == KMB_MPOL_DEFAULT || (c->b->caps & KMB_CAP_NODE) || !f->p.placement)
		return 0;
	r = kmb_mpol_apply_self(&c->o.mpol, home, msg, len);
	return r ? r : 1;
}

/* The workload on this thread: timed, with perf counters, or (@a->profile) through the
 * wrapped table into the pass's samplers. */
static void run_workload(struct kmb_gb_state *st, const struct bench_arg *a)
{
	struct family *f = a->f;
	struct child *c = f->c;
	struct kmb_profile_thread pt;
	struct kmb_perf *perf;

	if (a->callgraph) {	/* the timed workload; perf record samples it from outside */
		f->w->run(st, c->b, &f->p);
		return;
	}
	if (a->profile) {
		kmb_profile_thread_begin(&c->prof, &pt,
					 0x9e3779b97f4a7c15ull * (uint64_t)(kmb_gb_thread_index(st) + 1));
		f->w->run(st, c->pb, &f->p);
		kmb_profile_thread_end(&c->prof, &pt);
		return;
	}
	perf = kmb_perf_open(c->perf_mask);
	if (perf)
		kmb_gb_set_hooks(st, perf_start, perf_stop, perf);
	f->w->run(st, c->b, &f->p);
	if (perf) {
		kmb_perf_disable(perf);	/* the workload may have left the loop on an error */
		if (!kmb_gb_error_occurred(st))
			report_counters(st, perf);
		kmb_perf_close(perf);
	}
}

/* Calls per sample of @f's pass at @nt threads: every call where the timed runs took
 * KMB_PROFILE_SLOW_NS or more an operation (the clock's cost is small beside it). */
static uint32_t pass_period(const struct family *f, int nt)
{
	double ns = f->op_ns[thread_slot(f->c, nt)];

	return ns >= KMB_PROFILE_SLOW_NS ? 1 : KMB_PROFILE_PERIOD;
}

static void bench_one(struct kmb_gb_state *st, const struct bench_arg *a);

static void end_pass(void *arg)
{
	kmb_profile_end(arg);
}

/* Every thread of a run passes f->ran once its workload has returned; in a profile pass the
 * last to arrive ends the pass (the sampler stops) before any thread goes on to thread_fini,
 * whose teardown the sampler's usage() calls must not see. */
static void ran(const struct bench_arg *a, int nt)
{
	wl_barrier_wait_then(&a->f->ran, nt, a->profile ? end_pass : NULL, &a->f->c->prof);
}

static void bench_thread(struct kmb_gb_state *st, void *arg)
{
	const struct bench_arg *a = arg;
	struct family *f = a->f;
	int ti = kmb_gb_thread_index(st), nt = kmb_gb_threads(st);

	if (!family_plan(f, nt) && f->own_pin) {
		char msg[400];
		int cpus[KMB_MAX_THREADS];

		kmb_topo_pin_plan(f->c->topo, &f->pin, nt, cpus, msg, sizeof(msg));
		kmb_gb_skip_with_error(st, msg);
		return;
	}
	if (a->profile) {
		if (ti == 0)
			kmb_profile_begin(&f->c->prof, f->c->b, pass_period(f, nt));
		wl_barrier_wait(&f->start, nt);
	}
	bench_one(st, a);
}

/* One thread of a run: placed, its backend thread state, the workload, the placement probe;
 * every path passes f->ran (ran()). */
static void bench_one(struct kmb_gb_state *st, const struct bench_arg *a)
{
	struct family *f = a->f;
	struct child *c = f->c;
	int ti = kmb_gb_thread_index(st), nt = kmb_gb_threads(st);
	const int *plan = family_plan(f, nt);
	char msg[400];
	int cpu, home, r, policy;

	if (f->place && !a->profile)
		f->place[ti] = (struct kmb_placement){ 0 };
	/*
	 * The memory policy first, on the node of the CPU the plan names: the thread's first
	 * malloc (pinning allocates) may give it a fresh glibc arena, whose pages must be
	 * faulted in under the policy like the rest.  Nothing before it allocates.
	 */
	home = kmb_topo_cpu_to_node(c->topo, plan && plan[ti] >= 0 ? plan[ti] : sched_getcpu());
	policy = thread_policy(f, home, msg, sizeof(msg));
	if (policy < 0) {
		kmb_gb_skip_with_error(st, msg);
		ran(a, nt);
		return;
	}
	if (plan && plan[ti] >= 0 && (r = kmb_topo_pin_self(c->topo, plan[ti]))) {
		snprintf(msg, sizeof(msg), "cannot pin thread %d to CPU %d: %s", ti, plan[ti],
			 strerror(-r));
		kmb_gb_skip_with_error(st, msg);
		if (policy)
			kmb_mpol_reset_self();
		ran(a, nt);
		return;
	}
	cpu = sched_getcpu();
	if (!a->profile) {	/* the rows' CPUs are the timed runs' */
		f->cpus[ti] = cpu;
		f->nodes[ti] = kmb_topo_cpu_to_node(c->topo, cpu);
	}
	if (c->b->thread_init && (r = c->b->thread_init())) {
		snprintf(msg, sizeof(msg), "%s thread_init: %s", c->b->name, strerror(-r));
		kmb_gb_skip_with_error(st, msg);
		if (policy)
			kmb_mpol_reset_self();
		ran(a, nt);
		return;
	}
	run_workload(st, a);
	ran(a, nt);
	if (f->place && !a->profile && !a->callgraph && !(f->w->flags & KMB_WL_OWN_PLACEMENT) &&
	    !kmb_gb_error_occurred(st))
		kmb_probe_placement(c->b, f->p.size, kmb_mpol_intended(&c->o.mpol, home),
				    &f->place[ti]);
	if (c->b->thread_fini)
		c->b->thread_fini();
	if (policy)
		kmb_mpol_reset_self();	/* thread 0 is the main thread: it runs the next family */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * For the progress line (plan.h): the median over @f's held repetitions of @threads threads
 * that did not fail, in ns per operation as one thread sees it (real time x threads); NaN
 * when every one failed, with the last failure in @err.
 */
static double cell_median(const struct family *f, int64_t threads, char *err, size_t len)
{
	double v[64];
	int n = 0;

	for (size_t i = 0; i < f->nheld; i++) {
		const struct kmb_gb_run *r = &f->held[i].r;

		if (r->aggregate || r->threads != threads)
			continue;
		if (r->error)
			snprintf(err, len, "%s", r->error_message);
		else if (n < (int)(sizeof(v) / sizeof(v[0])))
			v[n++] = r->real_time_ns * (double)r->threads;
	}
	if (!n)
		return NAN;
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Write @h, a held run of @f, into the cell being written, with the pass @prof of
 * @iterations, or why there is none (@why; ignored for aggregates and failed runs, which get
 * no kmbench.profile). */
static void write_run(struct child *c, struct family *f, const struct held_run *h,
		      const struct kmb_profile *prof, long long iterations, const char *why,
		      const char *cg)
{
	const struct kmb_gb_run *r = &h->r;
	struct kmb_run_meta m = {
		.family_index = f->index, .backend = c->b->name, .workload = f->w->name,
		.b = c->b, .w = f->w, .p = &f->p, .pin = f->pin_name,
		.cpus = h->cpus, .nodes = h->nodes, .placement = h->has_place ? &h->place : NULL,
		.host = c->host, .run_id = c->o.run_id,
		.sequence = h->seq, .sequenced = !r->aggregate, .callgraph = cg,
	};

	if (!r->aggregate && !r->error) {
		m.profile = prof;
		m.profile_iterations = iterations;
		m.profile_why = prof ? NULL : why;
	}
	kmb_results_write_run(c->out, r, &m);
}

static char *dup_or(const char *s, bool *ok)
{
	char *d = strdup(s ? s : "");

	*ok &= d != NULL;
	return d;
}

static void held_free(struct held_run *h)
{
	free((char *)h->r.name);
	free((char *)h->r.run_name);
	free((char *)h->r.function_name);
	free((char *)h->r.aggregate_name);
	free((char *)h->r.error_message);
	for (size_t i = 0; h->r.counters && i < h->r.ncounters; i++)
		free((char *)h->r.counters[i].name);
	free((void *)h->r.counters);
	free(h->cpus);
	free(h->nodes);
}

/* Hold @r (the repetition of step @seq, or an aggregate: -1) back in @f until its cell is
 * finished; -ENOMEM when it cannot be copied. */
static int hold(struct family *f, const struct kmb_gb_run *r, const struct kmb_placement *pl,
		long long seq)
{
	struct held_run *h;
	struct kmb_gb_counter *ctrs;
	size_t nt = r->aggregate ? 0 : (size_t)r->threads;
	bool ok = true;

	if (f->nheld == f->held_cap) {
		size_t cap = f->held_cap ? 2 * f->held_cap : 16;
		struct held_run *n = realloc(f->held, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->held = n;
		f->held_cap = cap;
	}
	h = &f->held[f->nheld];
	*h = (struct held_run){ .r = *r, .seq = seq };
	h->r.name = dup_or(r->name, &ok);
	h->r.run_name = dup_or(r->run_name, &ok);
	h->r.function_name = dup_or(r->function_name, &ok);
	h->r.aggregate_name = dup_or(r->aggregate_name, &ok);
	h->r.error_message = dup_or(r->error_message, &ok);
	ctrs = calloc(r->ncounters ? r->ncounters : 1, sizeof(*ctrs));
	h->r.counters = ctrs;
	ok &= ctrs != NULL;
	for (size_t i = 0; ctrs && i < r->ncounters; i++)
		ctrs[i] = (struct kmb_gb_counter){ dup_or(r->counters[i].name, &ok),
						   r->counters[i].value };
	if (!ctrs)
		h->r.ncounters = 0;
	if (nt) {
		h->cpus = malloc(nt * sizeof(int));
		h->nodes = malloc(nt * sizeof(int));
		ok &= h->cpus && h->nodes;
		if (h->cpus && h->nodes) {
			memcpy(h->cpus, f->cpus, nt * sizeof(int));
			memcpy(h->nodes, f->nodes, nt * sizeof(int));
		}
	}
	if (pl) {
		h->place = *pl;
		h->has_place = true;
	}
	if (!ok) {
		held_free(h);
		return -ENOMEM;
	}
	f->nheld++;
	return 0;
}

/* Write @f's held runs of @threads threads, in the order held, with the pass @prof of
 * @iterations, or why there is none; drop them. */
static void release(struct child *c, struct family *f, int64_t threads,
		    const struct kmb_profile *prof, long long iterations, const char *why,
		    const char *cg)
{
	size_t k = 0;

	for (size_t i = 0; i < f->nheld; i++) {
		struct held_run *h = &f->held[i];

		if (h->r.threads != threads) {
			f->held[k++] = *h;
			continue;
		}
		write_run(c, f, h, prof, iterations, why, cg);
		held_free(h);
	}
	f->nheld = k;
}

/* The aggregates of @f's held repetitions of @threads threads (reps.h), held after them. */
static int hold_aggregates(struct family *f, int64_t threads)
{
	struct kmb_gb_run *runs = malloc((f->nheld ? f->nheld : 1) * sizeof(*runs));
	struct kmb_reps_agg agg[KMB_REPS_NAGG];
	size_t n = 0;
	int na, r = 0;

	if (!runs)
		return -ENOMEM;
	for (size_t i = 0; i < f->nheld; i++)	/* held as they ran: repetition_index order */
		if (!f->held[i].r.aggregate && f->held[i].r.threads == threads)
			runs[n++] = f->held[i].r;
	na = kmb_reps_aggregates(runs, n, agg);
	for (int i = 0; i < na && !r; i++)
		r = hold(f, &agg[i].r, NULL, -1);
	if (na > 0)
		kmb_reps_agg_free(agg, na);
	free(runs);
	return na < 0 ? na : r;
}

/*
 * @cl's last step has reported (@pass: its profile pass, or NULL when it has none), and its
 * callgraph pass, if any (@cg: its kmbench.callgraph object): its aggregates join its
 * repetitions, and all of them go to the part as one cell, durably, before the parent hears
 * that it is done.
 */
static void write_cell(struct child *c, struct cell *cl, const struct kmb_gb_run *pass,
		       const char *cg)
{
	struct family *f = cl->f;
	char why[320], err[256] = "", *rows = NULL;
	double ns = cell_median(f, cl->threads, err, sizeof(err));
	size_t len = 0, nrows = 0;
	int r = hold_aggregates(f, cl->threads);

	cl->finished = true;
	c->out = r ? NULL : open_memstream(&rows, &len);
	if (!c->out) {
		c->error = r ? r : -errno;
		return;
	}
	if (pass && pass->error) {
		snprintf(why, sizeof(why), "the profile pass failed: %s", pass->error_message);
		release(c, f, cl->threads, NULL, 0, why, cg);
	} else if (pass) {
		release(c, f, cl->threads, &c->prof, pass->iterations, NULL, cg);
	} else {
		release(c, f, cl->threads, NULL, 0, no_pass_why(c, f), cg);
	}
	if (fclose(c->out) && !c->error)
		c->error = -ENOMEM;
	c->out = NULL;
	for (size_t i = 0; i < len; i++)
		nrows += rows[i] == '\n';
	r = c->error ? c->error : kmb_part_append(c->part_fd, f->index, cl->threads, rows, len,
						   nrows);
	free(rows);
	if (r) {
		c->error = r;
		return;
	}
	kmb_progress_cell_done(c->progress_fd, f->index, cl->threads, ns, isnan(ns) ? err : NULL);
}

/*
 * @cl's last step has reported: write it, or, when --profile selected it, keep what its
 * profile pass said (c->prof stays until the next pass) and leave it to run_steps, which runs
 * its callgraph pass (no Google Benchmark run may start inside this reporter) and writes it.
 */
static void finish_cell(struct child *c, struct cell *cl, const struct kmb_gb_run *pass)
{
	if (!cl->callgraph) {
		write_cell(c, cl, pass, NULL);
		return;
	}
	cl->pass_ran = pass != NULL;
	if (pass) {
		cl->pass_failed = pass->error;
		cl->pass_iters = pass->iterations;
		snprintf(cl->pass_err, sizeof(cl->pass_err), "%s",
			 pass->error_message ? pass->error_message : "");
	}
	c->cg_due = cl;
}

/* A run of the step now running (c->step): one repetition of its cell, or the cell's pass;
 * or the callgraph pass (c->cg_running), kept in c->cg_run. */
static void on_run(const struct kmb_gb_run *r, void *ctx)
{
	struct child *c = ctx;
	const struct kmb_step *s = c->step;
	struct cell *cl = &c->cells[s->cell];
	struct family *f = cl->f;
	struct kmb_gb_run run = *r;
	struct kmb_placement all = { 0 };
	const struct kmb_placement *pl = NULL;

	if (c->cg_running) {
		c->cg_run = *r;
		c->cg_run.name = c->cg_run.run_name = c->cg_run.function_name = NULL;
		c->cg_run.counters = NULL;
		c->cg_run.ncounters = 0;
		snprintf(c->cg_err, sizeof(c->cg_err), "%s",
			 r->error_message ? r->error_message : "");
		c->cg_run.error_message = c->cg_err;
		return;
	}
	if (s->pass) {
		finish_cell(c, cl, r);
		return;
	}
	/* Numbered as they ran: repetition 0 is the one that grew the iteration count. */
	run.repetitions = c->o.repetitions > 1 ? c->o.repetitions : 1;
	run.repetition_index = cl->reps_done++;
	run.per_family_instance_index = cl->instance;
	if (!r->error) {
		if (f->place) {		/* the repetition's threads together */
			for (int64_t t = 0; t < r->threads && t < KMB_MAX_THREADS; t++)
				kmb_placement_merge(&all, &f->place[t]);
			pl = &all;
		}
		f->op_ns[thread_slot(c, r->threads)] = r->real_time_ns * (double)r->threads;
		if (!cl->iters && r->threads > 0)
			cl->iters = r->iterations / r->threads;
	}
	if (hold(f, &run, pl, s->seq)) {
		c->error = -ENOMEM;
		return;
	}
	if (cl->reps_done == run.repetitions && no_pass_why(c, f))
		finish_cell(c, cl, NULL);
}

static void stats_num(void *ctx, const char *key, double v)
{
	kmb_json_num(ctx, key, v);
}

static void stats_text(void *ctx, const char *key, const char *text)
{
	kmb_json_str(ctx, key, text);
}

/* parts/<backend>.status.json: one line, spliced into context.backends by the parent. */
static int write_status(const char *dir, const struct kmb_backend_ops *b,
			const struct kmb_mempolicy *mpol, const char *status, const char *reason)
{
	char path[PATH_MAX];
	struct kmb_atomic_file af;
	struct kmb_json j;
	struct rusage ru;
	int r;

	kmb_pathf(path, sizeof(path), "%s/parts/%s.status.json", dir, b->name);
	r = kmb_atomic_open(&af, path);
	if (r)
		return r;
	kmb_json_init(&j, af.f, false);
	kmb_json_obj_begin(&j, NULL);
	kmb_json_str(&j, "status", status);
	if (reason)
		kmb_json_str(&j, "reason", reason);
	if (b->preload)
		kmb_json_str(&j, "preload", b->preload);
	if (mpol->mode != KMB_MPOL_DEFAULT && b != &kmb_no_allocator)	/* how it gets --numa-policy */
		kmb_json_str(&j, "numa_policy_by", (b->caps & KMB_CAP_NODE) ? "node argument"
								     : "set_mempolicy");
	if (!reason) {
		struct kmb_stats_sink sink = { stats_num, stats_text, &j };

		kmb_json_str(&j, "free", b->free_name ? b->free_name() : "free");
		if (b->version)
			kmb_json_str(&j, "version", b->version());
		getrusage(RUSAGE_SELF, &ru);
		kmb_json_int(&j, "max_rss_kb", ru.ru_maxrss);
		if (b->stats) {
			kmb_json_obj_begin(&j, "stats");
			b->stats(&sink);
			kmb_json_obj_end(&j);
		}
	}
	kmb_json_obj_end(&j);
	fputc('\n', af.f);
	return kmb_atomic_commit(&af);
}

static void part_path(char *path, size_t len, const char *dir, const char *backend,
		      const char *suffix)
{
	kmb_pathf(path, len, "%s/parts/%s%s", dir, backend, suffix);
}

/* fsync(2) @path's directory, so that a file created or renamed there stays so. */
static void sync_dir(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	kmb_pathf(path, sizeof(path), "%s/parts", dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* A whole cell of the part left by an earlier attempt: it is not run again. */
static void kept_cell(const struct kmb_part_cell *pc, void *ctx)
{
	struct child *c = ctx;
	long long k = c->nfam ? pc->family - c->fams[0].index : -1;
	struct family *f;

	if (k < 0 || (size_t)k >= c->nfam)
		return;		/* not a family of this backend: never run, never kept */
	f = &c->fams[k];
	for (size_t i = f->first_cell; i < c->ncells && c->cells[i].f == f; i++)
		if (c->cells[i].threads == pc->threads)
			c->cells[i].kept = true;
}

/*
 * Open parts/<backend>.partial.jsonl to append cells to, creating it, or, left by an earlier
 * attempt, keeping its whole cells (marked kept) and cutting off what follows them: a cell
 * cut short, which runs again.
 */
static int open_part(struct child *c, const char *dir)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0, keep;
	int r;

	part_path(path, sizeof(path), dir, c->b->name, KMB_PART_PARTIAL_SUFFIX);
	c->part_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (c->part_fd < 0)
		return -errno;
	r = kmb_read_file(path, &text, &len);
	if (r)
		return r;
	keep = kmb_part_scan(text, len, kept_cell, c);
	free(text);
	if (keep < len && (ftruncate(c->part_fd, (off_t)keep) || fdatasync(c->part_fd)))
		return -errno;
	sync_dir(dir);		/* the file may be new */
	return 0;
}

/* Every cell is in the part: it becomes parts/<backend>.jsonl, the finished backend's. */
static int publish_part(struct child *c, const char *dir)
{
	char from[PATH_MAX], to[PATH_MAX];
	int r = 0;

	part_path(from, sizeof(from), dir, c->b->name, KMB_PART_PARTIAL_SUFFIX);
	part_path(to, sizeof(to), dir, c->b->name, KMB_PART_SUFFIX);
	if (fsync(c->part_fd) || rename(from, to))
		r = -errno;
	sync_dir(dir);
	return r;
}

/* A backend that cannot run here has an empty part, and no partial one. */
static int empty_part(const struct child *c, const char *dir)
{
	char path[PATH_MAX];
	struct kmb_atomic_file af;
	int r;

	part_path(path, sizeof(path), dir, c->b->name, KMB_PART_PARTIAL_SUFFIX);
	unlink(path);
	part_path(path, sizeof(path), dir, c->b->name, KMB_PART_SUFFIX);
	r = kmb_atomic_open(&af, path);
	return r ? r : kmb_atomic_commit(&af);
}

static int node_family(struct child *c, struct family *f, int node);
static int cpus_family(struct family *f, const int *cpus, int n);

/* @f's cells, one per thread count (its own when it names its CPUs), from c->cells[k]. */
static void add_cells(struct child *c, struct family *f)
{
	const int *threads = f->cell_threads ? &f->cell_threads : c->o.threads;
	size_t n = f->cell_threads ? 1 : c->o.nthreads;

	f->first_cell = c->ncells;
	for (size_t i = 0; i < n; i++) {
		char name[300];

		snprintf(name, sizeof(name), "%s/threads:%d", f->name, threads[i]);
		c->cells[c->ncells++] = (struct cell){
			.f = f, .threads = threads[i], .instance = (int)i,
			.callgraph = c->o.callgraph && kmb_cg_match(c->o.callgraph_cells, name),
		};
	}
}

static int setup_families(struct child *c, struct family **fams, size_t *nfam)
{
	const struct kmb_backend_ops *order[KMB_MAX_LIST + 1];
	size_t n = kmb_matrix_families(&c->o, c->b), nb = kmb_matrix_backends(&c->o, order);
	int most = kmb_matrix_max_threads(&c->o, c->b);
	long long index = 0;

	/* Global order (matrix.c): backend, workload, size, batch, the workload's cell.  Count
	 * earlier backends' families. */
	for (size_t bi = 0; bi < nb && order[bi] != c->b; bi++)
		index += (long long)kmb_matrix_families(&c->o, order[bi]);
	*fams = calloc(n ? n : 1, sizeof(**fams));
	c->cells = calloc(n ? n * c->o.nthreads : 1, sizeof(*c->cells));
	if (!*fams || !c->cells)
		return -ENOMEM;
	*nfam = 0;
	for (size_t wi = 0; wi < c->o.nworkloads; wi++) {
		const struct kmb_workload *w = c->o.workloads[wi];
		size_t ncells = kmb_family_count(&c->o, c->b, w);

		for (size_t ci = 0; ci < ncells; ci++) {
			struct family *f = &(*fams)[(*nfam)++];
			int cpus[KMB_MAX_CELL_CPUS], ncpus;
			int r;

			f->index = index++;
			f->ran = (struct wl_barrier)WL_BARRIER_INIT;
			f->w = w;
			f->c = c;
			kmb_family_decode(&c->o, c->b, w, ci, &f->p);
			f->pin = c->o.pin;
			ncpus = kmb_family_cpus(w, &f->p, cpus, f->pin_name, sizeof(f->pin_name));
			if (ncpus) {
				if ((r = cpus_family(f, cpus, ncpus)))
					return r;
			} else {
				if (kmb_family_node(w, &f->p) >= 0 &&
				    (r = node_family(c, f, kmb_family_node(w, &f->p))))
					return r;
				kmb_pin_format(&f->pin, f->pin_name, sizeof(f->pin_name));
			}
			if (!(w->flags & KMB_WL_NO_ALLOCATOR)) {
				f->place = calloc((size_t)most, sizeof(*f->place));
				if (!f->place)
					return -ENOMEM;
				f->p.placement = f->place;
			}
			kmb_family_name(f->name, sizeof(f->name), c->b, w, &f->p);
			f->timed = (struct bench_arg){ f, false, false };
			f->pass = (struct bench_arg){ f, true, false };
			f->cgpass = (struct bench_arg){ f, false, true };
			f->start = (struct wl_barrier)WL_BARRIER_INIT;
			add_cells(c, f);
		}
	}
	return 0;
}

/*
 * With --shard: mark the cells of other shards, which this process does not run.  The split
 * is the parent's (plan.h kmb_plan_shard), computed again from the same options; the cells
 * here are the plan's cells of this backend, in the same order.  0 or -ENOMEM.
 */
static int mark_shard(struct child *c)
{
	struct kmb_plan plan;
	size_t bi = 0;

	if (!c->o.shard_count)
		return 0;
	if (kmb_plan_build(&c->o, &plan))
		return -ENOMEM;
	while (bi < plan.nbe && plan.be[bi].b != c->b)
		bi++;
	for (size_t i = 0; bi < plan.nbe && i < c->ncells && i < plan.be[bi].all_cells; i++)
		c->cells[i].other_shard = !kmb_plan_in_shard(&plan, plan.be[bi].first_cell + i);
	kmb_plan_free(&plan);
	return 0;
}

/* The steps that run the cells not kept (reps.h), into *steps; how many, or -ENOMEM. */
static long plan_steps(struct child *c, struct kmb_step **steps)
{
	bool *pass = calloc(c->ncells ? c->ncells : 1, sizeof(bool));
	bool *kept = calloc(c->ncells ? c->ncells : 1, sizeof(bool));
	long n = -ENOMEM;

	if (pass && kept) {
		for (size_t i = 0; i < c->ncells; i++) {
			pass[i] = !no_pass_why(c, c->cells[i].f);
			kept[i] = c->cells[i].kept || c->cells[i].other_shard;
		}
		n = kmb_reps_order(c->ncells, c->o.repetitions, pass, kept, !c->o.no_interleave,
				   c->o.seed, c->b->name, steps);
	}
	free(pass);
	free(kept);
	return n;
}

/*
 * One step: a repetition of its cell (the iterations of the cell's first one, once there is
 * one), or the cell's profile pass, "<name>/profile", a share of the min time
 * (kmb_profile_min_time).  0, or -errno when Google Benchmark did not run it.
 */
static int run_step(struct child *c, const struct kmb_step *s)
{
	struct cell *cl = &c->cells[s->cell];
	struct family *f = cl->f;
	struct kmb_gb_one one = { .threads = cl->threads, .real_time = true };
	char pname[300];

	c->step = s;
	if (!s->pass) {
		one.iterations = cl->iters;
		return kmb_gb_run_one(f->name, bench_thread, &f->timed, &one, on_run, c);
	}
	snprintf(pname, sizeof(pname), "%s/profile", f->name);
	one.min_time = kmb_profile_min_time(c->o.min_time);
	return kmb_gb_run_one(pname, bench_thread, &f->pass, &one, on_run, c);
}

/* A family whose cell runs on @node's CPUs (kmb_family_node: a numa-matrix cell): its plans,
 * node:<node>, for each thread count (NULL where that many threads do not fit on the node:
 * those runs fail with the plan's message). */
static int node_family(struct child *c, struct family *f, int node)
{
	char err[256];

	f->own_pin = true;
	f->pin = (struct kmb_pin){ KMB_PIN_NODE, node };
	for (size_t i = 0; i < c->o.nthreads; i++) {
		f->plans[i] = calloc((size_t)c->o.threads[i], sizeof(int));
		if (!f->plans[i])
			return -ENOMEM;
		if (kmb_topo_pin_plan(c->topo, &f->pin, c->o.threads[i], f->plans[i], err,
				      sizeof(err))) {
			free(f->plans[i]);
			f->plans[i] = NULL;
		}
	}
	return 0;
}

/* A family whose cell names its CPUs (kmb_family_cpus): it runs at @n threads alone, thread t
 * on cpus[t]; the CPUs were checked against the machine when the workload resolved them. */
static int cpus_family(struct family *f, const int *cpus, int n)
{
	f->own_pin = true;
	f->cell_threads = n;
	f->plans[0] = malloc((size_t)n * sizeof(int));
	if (!f->plans[0])
		return -ENOMEM;
	memcpy(f->plans[0], cpus, (size_t)n * sizeof(int));
	return 0;
}

/* The false-sharing workloads (the falseshare preset's), whose callgraph pass runs perf c2c
 * too, where the machine can sample memory accesses. */
static bool wants_c2c(const struct kmb_workload *w)
{
	return strncmp(w->name, "false-share-", 12) == 0;
}

/*
 * One pass of @cl under perf (@c2c: perf c2c record, else perf record -g) recording into
 * @data: Google Benchmark's run "<name>/callgraph" (or "/c2c"), the cell's own iterations and
 * thread count, into c->cg_run.  0, or -errno with the reason in @why: perf did not run, or
 * the run did not happen or failed.
 */
static int perf_pass(struct child *c, struct cell *cl, bool c2c, const char *data,
		     const char *log, char *why, size_t len)
{
	struct family *f = cl->f;
	struct kmb_gb_one one = { .threads = cl->threads, .real_time = true,
				  .iterations = cl->iters };
	struct kmb_cg_rec rec;
	char pname[300];
	int r, rs;

	r = kmb_cg_start(&rec, c2c, c->cg_event, data, log, why, len);
	if (r)
		return r;
	snprintf(pname, sizeof(pname), "%s/%s", f->name, c2c ? "c2c" : "callgraph");
	c->cg_running = true;
	c->cg_run = (struct kmb_gb_run){ .error = true, .error_message = "it did not report" };
	r = kmb_gb_run_one(pname, bench_thread, &f->cgpass, &one, on_run, c);
	c->cg_running = false;
	rs = kmb_cg_stop(&rec, why, len);
	if (r)
		return snprintf(why, len, "the pass did not run: %s", strerror(-r)), r;
	if (c->cg_run.error)
		return snprintf(why, len, "the pass failed: %s", c->cg_run.error_message), -EIO;
	return rs;
}

/* kmbench.callgraph's c2c object for @cl (its base name @base): measured, or why not. */
static void c2c_pass(struct child *c, struct cell *cl, struct kmb_json *j, const char *base)
{
	char data[PATH_MAX], log[PATH_MAX], out[PATH_MAX], rel[PATH_MAX], why[512];
	const char *no = kmb_cg_c2c_supported();

	kmb_json_obj_begin(j, "c2c");
	kmb_pathf(data, sizeof(data), "%s/%s/%s.c2c.data", c->dir, KMB_CG_DIR, base);
	kmb_pathf(log, sizeof(log), "%s/%s/%s.c2c.log", c->dir, KMB_CG_DIR, base);
	kmb_pathf(out, sizeof(out), "%s/%s/%s.c2c.txt", c->dir, KMB_CG_DIR, base);
	if (!no && !perf_pass(c, cl, true, data, log, why, sizeof(why)) &&
	    !kmb_cg_c2c_report(data, out, why, sizeof(why))) {
		kmb_json_str(j, "status", "measured");
		kmb_pathf(rel, sizeof(rel), "%s/%s.c2c.txt", KMB_CG_DIR, base);
		kmb_json_str(j, "report", rel);
	} else {
		kmb_json_str(j, "status", "unavailable");
		kmb_json_str(j, "reason", no ? no : why);
	}
	kmb_json_obj_end(j);
	unlink(data);
}

/* The callgraph pass of @cl into kmbench.callgraph's object @j (callgraph.h); unavailable
 * with the reason whatever goes wrong: a profile never fails a run. */
static void callgraph_pass(struct child *c, struct cell *cl, struct kmb_json *j)
{
	struct family *f = cl->f;
	char name[300], base[300], dir[PATH_MAX], data[PATH_MAX], log[PATH_MAX];
	char folded[PATH_MAX], top[PATH_MAX], rel[PATH_MAX], why[512] = "", err[256];
	double ns = cell_median(f, cl->threads, err, sizeof(err)), pns;
	long long samples = 0;
	int r;

	snprintf(name, sizeof(name), "%s/threads:%d", f->name, cl->threads);
	kmb_cg_basename(base, sizeof(base), name);
	kmb_pathf(dir, sizeof(dir), "%s/%s", c->dir, KMB_CG_DIR);
	kmb_pathf(data, sizeof(data), "%s/%s.perf.data", dir, base);
	kmb_pathf(log, sizeof(log), "%s/%s.perf.log", dir, base);
	kmb_pathf(folded, sizeof(folded), "%s/%s.folded", dir, base);
	kmb_pathf(top, sizeof(top), "%s/%s.top.json", dir, base);
	if (!cl->iters)
		r = -EINVAL, snprintf(why, sizeof(why), "no repetition of the cell ran");
	else if ((r = kmb_mkdir_p(dir)))
		snprintf(why, sizeof(why), "%.400s: %s", dir, strerror(-r));
	else if (!(r = perf_pass(c, cl, false, data, log, why, sizeof(why))))
		r = kmb_cg_fold(data, folded, top, &samples, why, sizeof(why));
	unlink(data);
	if (!r && !samples)
		r = -ENODATA, snprintf(why, sizeof(why), "perf recorded no samples of the pass");
	kmb_json_str(j, "status", r ? "unavailable" : "measured");
	if (r)
		kmb_json_str(j, "reason", why);
	kmb_json_str(j, "event", c->cg_event);
	kmb_json_str(j, "event_why", c->cg_event_why);
	if (!r) {
		unlink(log);
		kmb_json_int(j, "frequency_hz", KMB_CG_FREQ);
		kmb_json_str(j, "call_graph", "fp");
		kmb_json_int(j, "samples", samples);
		kmb_pathf(rel, sizeof(rel), "%s/%s.folded", KMB_CG_DIR, base);
		kmb_json_str(j, "folded", rel);
		kmb_pathf(rel, sizeof(rel), "%s/%s.top.json", KMB_CG_DIR, base);
		kmb_json_str(j, "top", rel);
		/* The profiled run's cost beside the timed ones: never one of them. */
		pns = c->cg_run.real_time_ns * (double)c->cg_run.threads;
		kmb_json_int(j, "iterations", c->cg_run.iterations);
		kmb_json_num(j, "profiled_ns_per_op", pns);
		kmb_json_num(j, "unprofiled_ns_per_op", ns);
		kmb_json_num(j, "overhead", ns > 0 ? pns / ns : NAN);
	}
	if (wants_c2c(f->w))
		c2c_pass(c, cl, j, base);
}

/*
 * The cell whose last step has reported and that --profile selected (c->cg_due): its
 * callgraph pass, then the cell written with it (write_cell).  0, or c->error.
 */
static int callgraph_cell(struct child *c)
{
	struct cell *cl = c->cg_due;
	struct kmb_gb_run pass = { .error = cl->pass_failed, .error_message = cl->pass_err,
				   .iterations = cl->pass_iters };
	struct kmb_json j;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	c->cg_due = NULL;
	if (!f)
		return c->error = -ENOMEM;
	kmb_json_init(&j, f, false);
	kmb_json_obj_begin(&j, NULL);
	callgraph_pass(c, cl, &j);
	kmb_json_obj_end(&j);
	if (fclose(f)) {
		free(text);
		return c->error = -ENOMEM;
	}
	write_cell(c, cl, cl->pass_ran ? &pass : NULL, text);
	free(text);
	return c->error;
}

/* Run every step; 0, or the first -errno of a run that did not happen or of the part. */
static int run_steps(struct child *c)
{
	struct kmb_step *steps;
	long n = plan_steps(c, &steps);
	int r = 0;

	if (n < 0)
		return (int)n;
	for (long i = 0; i < n && !r; i++) {
		r = run_step(c, &steps[i]);
		if (!r && c->cg_due)
			r = callgraph_cell(c);
		if (!r && steps[i].pass && !c->cells[steps[i].cell].finished)
			r = -EIO;	/* the pass ran and did not report */
		if (!r)
			r = c->error;
	}
	free(steps);
	return r;
}

/*
 * The runner's lock on the run directory (runner.c) reaches this process open, so that the
 * directory stays locked until this process is gone as well as the runner; nothing this
 * process starts may hold it.
 */
static void close_lock_on_exec(void)
{
	const char *fd = getenv(KMB_LOCK_ENV);

	if (fd) {
		fcntl(atoi(fd), F_SETFD, FD_CLOEXEC);
		unsetenv(KMB_LOCK_ENV);
	}
}

int kmb_run_child(const char *dir, const char *backend)
{
	struct child *c = calloc(1, sizeof(*c));
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	const char *kv[KMB_MAX_BACKEND_OPTS + 1];
	struct kmb_backend_config cfg = { 0 };
	struct family *fams = NULL;
	size_t nfam = 0, max_size = 0;
	char path[PATH_MAX], err[512], why[256] = "";
	bool exclude_kernel;
	int r, status = 1;

	close_lock_on_exec();
	if (!c)
		return 1;
	c->part_fd = -1;
	kmb_pathf(path, sizeof(path), "%s/cmdline", dir);
	if (kmb_options_load(&c->o, path, err, sizeof(err))) {
		fprintf(stderr, "kmbench child: %s\n", err);
		goto out;
	}
	c->o.verbose = getenv("KMB_VERBOSE") != NULL;
	c->progress_fd = getenv(KMB_PROGRESS_ENV) ? atoi(getenv(KMB_PROGRESS_ENV)) : -1;
	c->b = kmb_matrix_find(backend);
	c->topo = kmb_topo_load(NULL, NULL, err, sizeof(err));
	if (!c->b || !c->topo || kmb_options_resolve(&c->o, c->topo, err, sizeof(err))) {
		fprintf(stderr, "kmbench child: %s\n", c->b ? err : "unknown backend");
		goto out;
	}
	gethostname(c->host, sizeof(c->host) - 1);
	for (size_t i = 0; i < c->o.nthreads; i++) {
		c->plans[i] = calloc((size_t)c->o.threads[i], sizeof(int));
		if (!c->plans[i] || kmb_topo_pin_plan(c->topo, &c->o.pin, c->o.threads[i],
						      c->plans[i], err, sizeof(err)))
			goto out;
	}
	kmb_numa_memory_nodes();	/* libnuma's view read now, not on a benchmark thread */
	kmb_perf_probe(probe, &exclude_kernel);
	for (int i = 0; i < KMB_CTR_COUNT; i++)
		if (probe[i].available)
			c->perf_mask |= 1u << i;
	/* --profile's event: cycles where the PMU counts them, else the software clock. */
	c->dir = dir;
	if (probe[KMB_CTR_CYCLES].available) {
		snprintf(c->cg_event, sizeof(c->cg_event), "cycles");
		snprintf(c->cg_event_why, sizeof(c->cg_event_why), "the PMU counts cycles");
	} else {
		snprintf(c->cg_event, sizeof(c->cg_event), "cpu-clock");
		snprintf(c->cg_event_why, sizeof(c->cg_event_why), "cycles: %s",
			 probe[KMB_CTR_CYCLES].reason);
	}

	for (size_t i = 0; i < c->o.nsizes; i++)
		max_size = c->o.sizes[i] > max_size ? c->o.sizes[i] : max_size;
	cfg.nthreads = kmb_matrix_max_threads(&c->o, c->b);
	cfg.max_size = max_size;
	kmb_options_backend_kv(&c->o, kv, KMB_MAX_BACKEND_OPTS + 1);
	cfg.opts = kv;
	cfg.mpol = c->o.mpol;
	r = c->b->init(&cfg, why, sizeof(why));
	if (r) {
		/* Cannot run here: recorded as skipped with the reason; an empty part. */
		status = write_status(dir, c->b, &c->o.mpol, "skipped", why[0] ? why : strerror(-r)) ||
			 empty_part(c, dir);
		goto out;
	}
	/* One repetition a Google Benchmark run: the cells' repetitions are the steps. */
	struct kmb_gb_global_opts go = { c->o.min_time, 1, c->o.verbose, NULL };

	kmb_gb_add_context("kmbench_backend", c->b->name);	/* in the console header */
	kmb_gb_add_context("kmbench_run_id", c->o.run_id);
	kmb_profile_init(&c->prof);
	c->pb = kmb_profile_ops(c->b);
	r = kmb_gb_init(&go);
	if (!r)
		r = setup_families(c, &fams, &nfam);
	c->fams = fams;
	c->nfam = nfam;
	if (!r)
		r = mark_shard(c);
	if (!r)
		r = open_part(c, dir);
	if (r) {
		fprintf(stderr, "kmbench child: cannot set up the %s runs: %s\n", backend,
			strerror(-r));
		c->b->fini();
		goto out;
	}
	r = run_steps(c);
	if (r) {
		/* The cells written so far stay in the partial part, for a --resume. */
		fprintf(stderr, "kmbench child: %s stopped: %s: %s\n", backend,
			c->error ? "cannot write its part" : "a run did not report", strerror(-r));
		c->b->fini();
		goto out;
	}
	status = write_status(dir, c->b, &c->o.mpol, "ok", NULL) != 0;
	c->b->fini();
	if (!status)
		status = publish_part(c, dir) != 0;	/* its name says the backend is done */
out:
	if (c->part_fd >= 0)
		close(c->part_fd);
	for (size_t i = 0; i < KMB_MAX_LIST; i++)
		free(c->plans[i]);
	if (c->topo)
		kmb_topo_free(c->topo);
	for (size_t i = 0; i < nfam; i++) {
		for (size_t k = 0; k < fams[i].nheld; k++)
			held_free(&fams[i].held[k]);
		free(fams[i].held);
		free(fams[i].place);
		for (size_t k = 0; k < KMB_MAX_LIST; k++)
			free(fams[i].plans[k]);
	}
	free(fams);
	free(c->cells);
	free(c);
	return status;
}
