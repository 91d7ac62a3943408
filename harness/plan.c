/*
 * plan.c - a run's cells, pinning and estimated time, and its progress against them (plan.h).
 *
 * The progress is drawn by the parent alone, from what the children write on their progress
 * pipe: a child never writes to the terminal unless --verbose asks for Google Benchmark's
 * tables, so the live line is not torn by other output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "profile.h"
#include "run.h"

/*
 * The estimate's constants, fitted on the 2-core development VM: the quick preset of issue 13
 * (210 cells of 3 x 0.1 s) took 100-105 s, 4.9 x min_time a cell; its first repetition, with
 * Google Benchmark's shorter trials before the one aimed at 1.4 x min_time, costs about
 * 2.1 x, every later one 1.4 x.  Each cell adds its threads' start, pinning and placement
 * probe, and each backend process its exec and init (32 cells of 4 backends at
 * --min-time 0.001 take 0.5 s).  The profile pass (profile.h) adds one first repetition of
 * its own shorter min time (the cells of workloads that do not allocate have none: they are
 * few, and over-estimated by it).
 */
#define EST_FIRST_REP	2.1
#define EST_LATER_REP	1.4
#define EST_CELL_S	0.01
#define EST_THREAD_S	0.002
#define EST_PROC_S	0.15
#define EST_CALLGRAPH_S	1.0	/* --profile: perf record's start and stop and perf script, a
				 * cell (1-1.6 s measured on the 2-core VM) */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *kmb_fmt_duration(char *buf, size_t len, double s)
{
	long t = s < 0 ? 0 : lround(s);

	if (t < 60)
		snprintf(buf, len, "%ld s", t);
	else if (t < 3600)
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
	else
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

/* The estimate of one cell of family @fam at @threads threads. */
static double cell_estimate(const struct kmb_plan *p, size_t fam, long long threads)
{
	double s = fam < p->nfam && p->fam[fam].est_s > 0 ? p->fam[fam].est_s : p->reps_s;

	return s + EST_THREAD_S * (double)threads;
}

/*
 * The estimate of a family whose workload estimates its operation (@op_s seconds, @rep_s more
 * a repetition, @cell_s more a cell: kmb_workload estimate), the threads' start left out.
 * Google Benchmark's first repetition ends at the first trial that lasts the min time, so a
 * repetition is the plan's model or one operation, whichever is longer; the profile and
 * callgraph passes, where the workload has them, one repetition more each.
 */
static double family_estimate(const struct kmb_options *o, const struct kmb_workload *w,
			      double op_s, double rep_s, double cell_s)
{
	int reps = o->repetitions > 1 ? o->repetitions : 1;
	double first = fmax(op_s, EST_FIRST_REP * o->min_time) + rep_s;
	double later = fmax(op_s, EST_LATER_REP * o->min_time) + rep_s;
	double s = cell_s + EST_CELL_S + first + later * (reps - 1);

	if (!o->no_profile && !(w->flags & KMB_WL_NO_PROFILE))
		s += fmax(op_s, EST_FIRST_REP * kmb_profile_min_time(o->min_time)) + rep_s;
	if (o->callgraph)
		s += later + EST_CALLGRAPH_S;
	return s;
}

/* The family and thread count of the matrix's cell @cell (plan order); false past the end. */
static bool cell_of(const struct kmb_plan *p, size_t cell, size_t *fam, int *threads)
{
	*fam = 0;
	*threads = 0;
	for (size_t bi = 0; bi < p->nbe; bi++) {
		const struct kmb_plan_backend *pb = &p->be[bi];
		size_t k;

		if (cell < pb->first_cell || cell >= pb->first_cell + pb->all_cells)
			continue;
		k = cell - pb->first_cell;
		for (size_t i = pb->first; i < pb->first + pb->nfam; i++) {
			size_t n = p->fam[i].threads ? 1 : p->nthreads;

			if (k < n) {
				*fam = i;
				*threads = p->fam[i].threads ? p->fam[i].threads : p->threads[k];
				return true;
			}
			k -= n;
		}
	}
	return false;
}

bool kmb_plan_in_shard(const struct kmb_plan *p, size_t cell)
{
	return !p->shard_of || p->shard_of[cell] == p->shard_index;
}

bool kmb_plan_cell_name(const struct kmb_plan *p, size_t cell, char *buf, size_t len)
{
	size_t fam;
	int threads;

	if (!cell_of(p, cell, &fam, &threads))
		return false;
	/* Google Benchmark's run_name of the cell's rows: the child registers every run with
	 * UseRealTime and a thread count (benchmark_register.cc appends "/real_time", then
	 * "/threads:N"), so merge can match rows to cells by it. */
	snprintf(buf, len, "%s/real_time/threads:%d", p->fam[fam].name, threads);
	return true;
}

/* The family and thread count of backend @bi's cell @k (< its ncells: of this run's shard),
 * in run order: each family's cells together, its thread counts ascending; false past the
 * end. */
static bool cell_at(const struct kmb_plan *p, size_t bi, size_t k, size_t *fam, int *threads)
{
	const struct kmb_plan_backend *pb = &p->be[bi];

	for (size_t c = pb->first_cell; c < pb->first_cell + pb->all_cells; c++) {
		if (!kmb_plan_in_shard(p, c))
			continue;
		if (!k--)
			return cell_of(p, c, fam, threads);
	}
	return false;
}

/* The estimate of backend @bi's cells from its cell @from on (cell_at's order). */
static double backend_estimate(const struct kmb_plan *p, size_t bi, size_t from)
{
	const struct kmb_plan_backend *pb = &p->be[bi];
	double s = 0;
	size_t k = 0, fam;
	int threads;

	for (size_t c = pb->first_cell; c < pb->first_cell + pb->all_cells; c++) {
		if (!kmb_plan_in_shard(p, c))
			continue;
		if (k++ >= from && cell_of(p, c, &fam, &threads))
			s += cell_estimate(p, fam, threads);
	}
	return s;
}

struct lpt_cell {
	size_t cell;
	double cost;
};

/* Costliest first; equal costs in plan order, so that the order is total and the same on
 * every host whatever its qsort. */
static int cmp_lpt(const void *a, const void *b)
{
	const struct lpt_cell *x = a, *y = b;

	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return (x->cell > y->cell) - (x->cell < y->cell);
}

/*
 * Split the matrix's cells into @o's shard count (kmb_plan_in_shard: the rule), and count
 * this shard's cells per backend.  0 or -ENOMEM.  The costs are sums of the same doubles in
 * the same order on every host, so the comparisons come out the same.
 */
static int plan_shard(const struct kmb_options *o, struct kmb_plan *p)
{
	struct lpt_cell *v = calloc(p->all_cells ? p->all_cells : 1, sizeof(*v));
	size_t fam = 0;
	int threads = 0, n = o->shard_count;

	p->shard_of = calloc(p->all_cells ? p->all_cells : 1, sizeof(*p->shard_of));
	if (!v || !p->shard_of) {
		free(v);
		return -ENOMEM;
	}
	for (size_t c = 0; c < p->all_cells; c++) {
		cell_of(p, c, &fam, &threads);
		v[c] = (struct lpt_cell){ c, cell_estimate(p, fam, threads) };
	}
	if (p->all_cells > 1)
		qsort(v, p->all_cells, sizeof(*v), cmp_lpt);
	for (size_t k = 0; k < p->all_cells; k++) {
		int best = 1;

		for (int i = 2; i <= n; i++)
			if (p->shard_s[i] < p->shard_s[best])
				best = i;
		p->shard_of[v[k].cell] = best;
		p->shard_s[best] += v[k].cost;
	}
	free(v);
	p->shard_index = o->shard_index;
	p->shard_count = n;
	p->ncells = 0;
	for (size_t bi = 0; bi < p->nbe; bi++) {
		struct kmb_plan_backend *pb = &p->be[bi];

		pb->ncells = 0;
		for (size_t c = pb->first_cell; c < pb->first_cell + pb->all_cells; c++)
			pb->ncells += kmb_plan_in_shard(p, c);
		p->ncells += pb->ncells;
	}
	return 0;
}

int kmb_plan_build(const struct kmb_options *o, struct kmb_plan *p)
{
	const struct kmb_backend_ops *order[KMB_MAX_LIST + 1];
	size_t nb = kmb_matrix_backends(o, order), n = 0;
	int reps = o->repetitions > 1 ? o->repetitions : 1;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < nb; i++)
		p->nfam += kmb_matrix_families(o, order[i]);
	p->fam = calloc(p->nfam ? p->nfam : 1, sizeof(*p->fam));
	if (!p->fam)
		return -ENOMEM;
	for (size_t i = 0; i < nb; i++) {
		struct kmb_plan_backend *pb = &p->be[p->nbe++];

		pb->b = order[i];
		pb->first = n;
		pb->skip = kmb_backend_cannot_run(order[i]);
		for (size_t wi = 0; wi < o->nworkloads; wi++) {
			const struct kmb_workload *w = o->workloads[wi];
			size_t nc = kmb_family_count(o, order[i], w);

			for (size_t ci = 0; ci < nc; ci++) {
				struct kmb_plan_family *f = &p->fam[n++];
				struct kmb_workload_params wp = { 0 };
				struct kmb_pin pin = o->pin;
				int cpus[KMB_MAX_CELL_CPUS];

				kmb_family_decode(o, order[i], w, ci, &wp);
				f->b = order[i];
				f->w = w;
				if (w->estimate) {
					double op = 0, rep = 0, once = 0;

					w->estimate(wp.opts, order[i], wp.cell, &op, &rep, &once);
					if (op > 0)
						f->est_s = family_estimate(o, w, op, rep, once);
				}
				kmb_family_name(f->name, sizeof(f->name), order[i], w, &wp);
				if (kmb_family_node(w, &wp) >= 0)
					pin = (struct kmb_pin){ KMB_PIN_NODE,
								kmb_family_node(w, &wp) };
				kmb_pin_format(&pin, f->pin, sizeof(f->pin));
				f->threads = kmb_family_cpus(w, &wp, cpus, f->pin, sizeof(f->pin));
				pb->ncells += f->threads ? 1 : o->nthreads;
			}
		}
		pb->nfam = n - pb->first;
		if (!pb->nfam && !pb->skip)
			pb->skip = kmb_matrix_why_none(o, order[i]);
		pb->first_cell = p->ncells;
		pb->all_cells = pb->ncells;
		p->ncells += pb->ncells;
	}
	p->all_cells = p->ncells;
	p->nthreads = o->nthreads;
	p->interleave = !o->no_interleave;
	memcpy(p->threads, o->threads, sizeof(p->threads));
	/* The repetitions, and the profile pass's one (harness/profile.h). */
	p->reps_s = o->min_time * (EST_FIRST_REP + EST_LATER_REP * (reps - 1)) + EST_CELL_S +
		    (o->no_profile ? 0 : EST_FIRST_REP * kmb_profile_min_time(o->min_time));
	/* --profile's callgraph pass (callgraph.h): one more repetition with perf around it;
	 * counted on every cell, an upper bound where CELLS selects some. */
	if (o->callgraph)
		p->reps_s += EST_LATER_REP * o->min_time + EST_CALLGRAPH_S;
	for (size_t t = 0; t < o->nthreads; t++)
		p->cell_s[t] = p->reps_s + EST_THREAD_S * o->threads[t];
	p->proc_s = EST_PROC_S;
	for (size_t c = 0; c < p->all_cells; c++) {
		size_t fam = 0;
		int threads = 0;
		double est;

		cell_of(p, c, &fam, &threads);
		est = cell_estimate(p, fam, threads);
		p->all_cells_s += est;
		p->largest_cell_s = est > p->largest_cell_s ? est : p->largest_cell_s;
	}
	if (o->shard_count && plan_shard(o, p))
		return -ENOMEM;
	/* A backend with no cell in this shard starts no process (runner.c). */
	for (size_t i = 0; i < p->nbe; i++)
		if (!p->be[i].skip && p->be[i].ncells)
			p->total_s += p->proc_s + backend_estimate(p, i, 0);
	return 0;
}

void kmb_plan_free(struct kmb_plan *p)
{
	free(p->fam);
	free(p->shard_of);
	p->fam = NULL;
	p->shard_of = NULL;
}

/* "0:0 1:0 2:1" - each thread's CPU and node; "-" where the plan leaves it unpinned. */
static void print_pinning(FILE *f, const struct kmb_options *o, const struct kmb_topo *t,
			  const struct kmb_pin *pin)
{
	char name[32], err[256];

	fprintf(f, "pinning %s (thread: CPU/node):\n", kmb_pin_format(pin, name, sizeof(name)));
	for (size_t i = 0; i < o->nthreads; i++) {
		int nt = o->threads[i], *cpus = calloc((size_t)nt, sizeof(int));

		fprintf(f, "  %4d thread%s ", nt, nt > 1 ? "s:" : ": ");
		if (!cpus || kmb_topo_pin_plan(t, pin, nt, cpus, err, sizeof(err))) {
			fprintf(f, "cannot be placed: %s\n", cpus ? err : strerror(ENOMEM));
			free(cpus);
			continue;
		}
		for (int k = 0; k < nt; k++) {
			if (cpus[k] < 0)
				fprintf(f, " %d:-", k);
			else
				fprintf(f, " %d:%d/%d", k, cpus[k], kmb_topo_cpu_to_node(t, cpus[k]));
			if (k % 12 == 11 && k + 1 < nt)
				fprintf(f, "\n%17s", "");
		}
		fputc('\n', f);
		free(cpus);
	}
}

static double max_shard_s(const struct kmb_plan *p)
{
	double m = 0;

	for (int i = 1; i <= p->shard_count; i++)
		m = p->shard_s[i] > m ? p->shard_s[i] : m;
	return m;
}

void kmb_plan_print(FILE *f, const struct kmb_options *o, const struct kmb_topo *t,
		    const struct kmb_plan *p)
{
	char est[32], runpin[32], threads[256] = "", pins[KMB_MPOL_MAX_NODES][32];
	size_t nruns = 0, npins = 0, len = 0, nown = 0;

	for (size_t i = 0; i < p->nbe; i++)
		nruns += !p->be[i].skip && p->be[i].ncells;	/* a shard may have none of its cells */
	for (size_t i = 0; i < p->nfam; i++)
		nown += p->fam[i].threads ? 1 : 0;
	for (size_t i = 0; i < o->nthreads && len < sizeof(threads); i++)
		len += (size_t)snprintf(threads + len, sizeof(threads) - len, "%s%d", i ? "," : "",
					o->threads[i]);
	if (o->matrix[0])
		fprintf(f, "plan: experiment %s of %s\n", o->experiment, o->matrix);
	fprintf(f, "plan: %s%s%s%zu cells: %zu families x %zu thread counts (%s), %d "
		"repetition%s of at least %g s each%s, %zu backend process%s\n",
		o->preset[0] ? "preset " : "", o->preset, o->preset[0] ? ", " : "", p->all_cells,
		p->nfam, o->nthreads, threads, o->repetitions, o->repetitions > 1 ? "s" : "",
		o->min_time, p->interleave ? " in a random order" : "", nruns,
		nruns == 1 ? "" : "es");
	if (p->shard_count)
		fprintf(f, "  shard %d/%d: %zu of the matrix's %zu cells, an estimated %.3g s of "
			"its %.3g s (the largest shard's %.3g s)\n", p->shard_index, p->shard_count,
			p->ncells, p->all_cells, p->shard_s[p->shard_index], p->all_cells_s,
			max_shard_s(p));
	if (nown)
		fprintf(f, "  (%zu of the families name their cells' CPUs: one cell each, at their "
			"own thread count)\n", nown);
	fprintf(f, "estimated time: %s on this machine (%d CPUs usable)\n",
		kmb_fmt_duration(est, sizeof(est), p->total_s), kmb_topo_num_pus(t));
	if (*kmb_topo_source(t))	/* HWLOC_XMLFILE: the pinning below is that machine's */
		fprintf(f, "topology: from %s, not this machine\n", kmb_topo_source(t));
	kmb_pin_format(&o->pin, runpin, sizeof(runpin));
	print_pinning(f, o, t, &o->pin);
	for (size_t i = 0; i < p->nfam; i++) {	/* the cells' own plans (node:N), once each */
		struct kmb_pin pin;
		size_t k = 0;

		while (k < npins && strcmp(pins[k], p->fam[i].pin))
			k++;
		if (k < npins || !strcmp(p->fam[i].pin, runpin) ||
		    npins == KMB_MPOL_MAX_NODES || kmb_pin_parse(p->fam[i].pin, &pin))
			continue;
		snprintf(pins[npins++], sizeof(pins[0]), "%s", p->fam[i].pin);
		print_pinning(f, o, t, &pin);
	}
	fprintf(f, "cells (family: threads %s each):\n", threads);
	for (size_t i = 0; i < p->nbe; i++) {
		const struct kmb_plan_backend *pb = &p->be[i];

		if (pb->skip) {
			fprintf(f, "  %-16s skipped: %s\n", pb->b->name, pb->skip);
			continue;
		}
		for (size_t k = pb->first; k < pb->first + pb->nfam; k++) {
			bool own = strcmp(p->fam[k].pin, runpin) != 0;	/* node:N, cpus:I,J */

			fprintf(f, "  %s%s%s", p->fam[k].name, own ? "  pin " : "",
				own ? p->fam[k].pin : "");
			if (p->fam[k].threads)
				fprintf(f, "  threads %d only", p->fam[k].threads);
			fputc('\n', f);
		}
	}
}

/* ---- progress ---- */

struct kmb_progress {
	const struct kmb_plan *p;
	bool tty, quiet, drawn;
	double start;
	size_t done;			/* cells finished (or skipped) */
	size_t failed;			/* cells whose every repetition failed */
	double est_done;		/* the estimate of what is finished */
	size_t bi;			/* the backend running now */
	size_t next;			/* the next cell of that backend, for the live line */
	double last_draw;
};

struct kmb_progress *kmb_progress_start(const struct kmb_plan *p, bool tty, bool quiet)
{
	struct kmb_progress *pr = calloc(1, sizeof(*pr));

	if (!pr)
		return NULL;
	pr->p = p;
	pr->tty = tty && !quiet;
	pr->quiet = quiet;
	pr->start = now_s();
	pr->bi = SIZE_MAX;
	return pr;
}

/* What is left, scaled by how the finished work compared with its estimate (with a prior of
 * a few seconds, so that the first cells do not swing it). */
static double left_s(const struct kmb_progress *pr)
{
	double elapsed = now_s() - pr->start, total = pr->p->total_s;
	double scale = (elapsed + 3.0) / (pr->est_done + 3.0);
	double left = (total - pr->est_done) * scale;

	return left > 0 ? left : 0;
}

void kmb_progress_clear(struct kmb_progress *pr)
{
	if (pr && pr->drawn) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
		pr->drawn = false;
	}
}

static void draw(struct kmb_progress *pr)
{
	const struct kmb_plan *p = pr->p;
	char el[32], left[32], what[300] = "", line[400];
	struct winsize ws;
	size_t fam;
	int n, threads;

	if (!pr->tty)
		return;
	if (pr->bi < p->nbe) {
		if (!p->interleave && cell_at(p, pr->bi, pr->next, &fam, &threads))
			snprintf(what, sizeof(what), "  %s threads:%d", p->fam[fam].name, threads);
		else
			snprintf(what, sizeof(what), "  %s", p->be[pr->bi].b->name);
	}
	/* Never wider than the terminal: a wrapped line is not rewritten in place. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_col < 20)
		ws.ws_col = 80;
	n = snprintf(line, sizeof(line), "[%zu/%zu] %s elapsed, ~%s left%s", pr->done, p->ncells,
		     kmb_fmt_duration(el, sizeof(el), now_s() - pr->start),
		     kmb_fmt_duration(left, sizeof(left), left_s(pr)), what);
	if (n >= ws.ws_col)
		line[ws.ws_col - 1] = '\0';
	printf("\r\033[K%s", line);
	fflush(stdout);
	pr->drawn = true;
	pr->last_draw = now_s();
}

void kmb_progress_tick(struct kmb_progress *pr)
{
	if (pr && pr->tty && now_s() - pr->last_draw >= 0.5)
		draw(pr);
}

void kmb_progress_backend(struct kmb_progress *pr, size_t bi)
{
	if (!pr)
		return;
	pr->bi = bi;
	pr->next = 0;
	if (!pr->p->be[bi].skip)	/* a skipped backend is not in the estimate */
		pr->est_done += pr->p->proc_s;
	draw(pr);
}

void kmb_progress_backend_end(struct kmb_progress *pr)
{
	size_t cells;

	if (!pr || pr->bi >= pr->p->nbe)
		return;
	cells = pr->p->be[pr->bi].ncells;
	if (pr->next < cells) {		/* not reported: skipped, or the child failed */
		pr->done += cells - pr->next;
		if (!pr->p->be[pr->bi].skip)
			pr->est_done += backend_estimate(pr->p, pr->bi, pr->next);
	}
	pr->bi = SIZE_MAX;
	draw(pr);
}

void kmb_progress_backend_kept(struct kmb_progress *pr, size_t bi)
{
	if (!pr)
		return;
	pr->done += pr->p->be[bi].ncells;
	if (!pr->p->be[bi].skip)	/* its time was in the estimate, but is not ahead */
		pr->est_done += pr->p->proc_s + backend_estimate(pr->p, bi, 0);
	draw(pr);
}

void kmb_progress_cell_kept(struct kmb_progress *pr, long long family, long long threads)
{
	if (!pr || family < 0 || (size_t)family >= pr->p->nfam)
		return;
	pr->done++;
	pr->next++;
	pr->est_done += cell_estimate(pr->p, (size_t)family, threads);
}

void kmb_progress_line(struct kmb_progress *pr, const char *line)
{
	const struct kmb_plan *p;
	long long fam, threads;
	char value[64] = "", el[32], left[32];
	int used = 0;
	double ns;

	if (!pr || sscanf(line, "cell %lld %lld %63s %n", &fam, &threads, value, &used) < 3)
		return;
	p = pr->p;
	ns = strtod(value, NULL);
	if (fam < 0 || (size_t)fam >= p->nfam)
		return;
	pr->done++;
	pr->next++;
	pr->est_done += cell_estimate(p, (size_t)fam, threads);
	if (isnan(ns))
		pr->failed++;
	if (pr->quiet)
		return;
	if (pr->tty) {
		draw(pr);
		return;
	}
	if (isnan(ns))
		printf("[%zu/%zu] %s threads:%lld: failed: %s\n", pr->done, p->ncells,
		       p->fam[fam].name, threads, used && line[used] ? line + used : "see results");
	else
		printf("[%zu/%zu] %s threads:%lld: %.4g ns/op  (%s elapsed, ~%s left)\n", pr->done,
		       p->ncells, p->fam[fam].name, threads, ns,
		       kmb_fmt_duration(el, sizeof(el), now_s() - pr->start),
		       kmb_fmt_duration(left, sizeof(left), left_s(pr)));
}

void kmb_progress_finish(struct kmb_progress *pr)
{
	char el[32], est[32];

	if (!pr)
		return;
	kmb_progress_clear(pr);
	printf("done: %zu of %zu cells in %s (estimated %s)", pr->done, pr->p->ncells,
	       kmb_fmt_duration(el, sizeof(el), now_s() - pr->start),
	       kmb_fmt_duration(est, sizeof(est), pr->p->total_s));
	if (pr->failed)
		printf(", %zu cell%s failed", pr->failed, pr->failed > 1 ? "s" : "");
	printf("\n");
	free(pr);
}

/* ---- the child's side ---- */

void kmb_progress_cell_done(int fd, long long family, long long threads, double ns_per_op,
			    const char *error)
{
	char line[512];
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "cell %lld %lld %.6g%s%.400s\n", family, threads,
		     ns_per_op, error && *error ? " " : "", error && *error ? error : "");
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	for (char *c = line; c < line + n - 1; c++)	/* one line, whatever the message holds */
		if (*c == '\n')
			*c = ' ';
	/*
	 * One write below PIPE_BUF is atomic.  A child outlives its parent only for the moment
	 * the kernel takes to kill it (PR_SET_PDEATHSIG, runner.c); a write in that moment
	 * raises SIGPIPE, which ends it as well.
	 */
	if (write(fd, line, (size_t)n) < 0)
		return;
}
