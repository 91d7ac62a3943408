/*
 * plan.h - what a run will do, before it does it: its cells, its pinning, and an estimate of
 * its time (`kmbench plan`, `kmbench run --dry-run`), and the progress of a run against that
 * plan (the runner's live line, or one line per finished cell).
 *
 * A cell is one family (one backend, workload and parameters: run.h) at one thread count: each
 * of the run's, or the family's own when its cell names its CPUs (run.h kmb_family_cpus).
 * Cells are numbered in plan order: backends in kmb_matrix_backends() order, each backend's
 * families in global family order, each family's thread counts ascending.  A child runs its
 * backend's cells in that order with --no-interleave; by default it runs their repetitions
 * interleaved in a seeded random order (reps.h), and a cell is done when its last one is.
 *
 * The estimate models Google Benchmark's loop (benchmark_runner.cc): the first repetition
 * grows its iteration count until a trial lasts min_time (the last trial is aimed at 1.4 x
 * min_time, and the shorter trials before it add more); later repetitions reuse that count.  Add a fixed cost per cell (threads, pinning, the placement probe) and per
 * backend process (exec, the backend's init).  During a run the estimate of what is left is
 * scaled by how the finished cells compared with their estimate.
 */
#ifndef KMB_HARNESS_PLAN_H
#define KMB_HARNESS_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "options.h"

struct kmb_plan_family {
	const struct kmb_backend_ops *b;
	const struct kmb_workload *w;
	char name[256];			/* as registered: "churn/slab/size:64/batch:1" */
	char pin[32];			/* its pinning plan: the run's, a matrix cell's node:N, or
					 * a cell's own CPUs, cpus:I,J */
	int threads;			/* a cell's own thread count (cpus:...): its one cell;
					 * 0: one cell per thread count of the run */
	double est_s;			/* a cell's estimate, the threads' start left out, where
					 * the workload gives one (kmb_workload estimate); 0: the
					 * plan's model, reps_s */
};

struct kmb_plan_backend {
	const struct kmb_backend_ops *b;
	size_t first, nfam;		/* its families: fam[first .. first + nfam) */
	size_t ncells;			/* their cells (of the shard, with --shard) */
	size_t first_cell;		/* its first cell's index in the matrix (plan order) */
	size_t all_cells;		/* its cells in the matrix, every shard's */
	const char *skip;		/* why no child runs it (NULL: it runs) */
};

struct kmb_plan {
	struct kmb_plan_family *fam;	/* every family of the run, by global family index */
	size_t nfam;
	struct kmb_plan_backend be[KMB_MAX_LIST + 1];
	size_t nbe;
	int threads[KMB_MAX_LIST];	/* the thread counts, ascending (options.h) */
	size_t nthreads;
	bool interleave;		/* repetitions in a random order (reps.h): the live line
					 * cannot name the cell running */
	size_t ncells;			/* nfam x thread counts, a family with its own thread
					 * count one cell */
	double cell_s[KMB_MAX_LIST];	/* estimated seconds of one cell, per thread count */
	double reps_s;			/* of those, the repetitions' (the rest: per thread) */
	double proc_s;			/* estimated seconds to start and set up one backend */
	double total_s;			/* the whole run, the backends that are skipped left out */
	/* --shard I/N (kmb_plan_shard): the shard of each cell of the matrix, by index in plan
	 * order, 1..N; NULL without --shard, when every cell is the run's.  ncells and each
	 * backend's ncells then count this shard's cells alone. */
	int *shard_of;
	int shard_index, shard_count;
	size_t all_cells;		/* the matrix's cells, every shard's */
	double shard_s[KMB_MAX_SHARDS + 1];	/* estimated seconds of each shard's cells */
	double all_cells_s;		/* of every cell of the matrix */
	double largest_cell_s;		/* of its costliest cell */
};

/* kmb_plan_build - plan the run of @o (resolved: kmb_options_resolve()).  0 or -ENOMEM. */
int kmb_plan_build(const struct kmb_options *o, struct kmb_plan *p);
void kmb_plan_free(struct kmb_plan *p);

/*
 * kmb_plan_in_shard - whether the matrix's cell @cell (plan order: be[bi].first_cell + its
 * place among the backend's cells, cell_at order) is this run's: always without --shard.
 *
 * The split (kmb_plan_build, with --shard I/N): greedy longest-processing-time over the
 * cells' estimated cost (Graham 1969, "Bounds on multiprocessing timing anomalies": each
 * shard's cost is at most the ideal, total / N, plus the largest cell).  Cells are taken
 * costliest first, equal costs in plan order, each to the shard with the least cost so far,
 * equal costs to the lowest shard number.  It depends on the options alone (the matrix and
 * the estimate), never on which backends can run here, so every host that resolves the same
 * matrix computes the same split; a cell's identity (family_index, threads) is its place in
 * the matrix, the same in every shard.
 */
bool kmb_plan_in_shard(const struct kmb_plan *p, size_t cell);

/* kmb_plan_cell_name - "<family name>/real_time/threads:<T>", the cell @cell's id: its rows'
 * run_name, and its entry in the results' context.shard.cells (results/README.md); false past
 * the last cell. */
bool kmb_plan_cell_name(const struct kmb_plan *p, size_t cell, char *buf, size_t len);

/* kmb_plan_print - the plan as `kmbench plan` shows it: the cells by family, the pinning
 * plan of every thread count (CPU and node of each thread), and the estimated time. */
void kmb_plan_print(FILE *f, const struct kmb_options *o, const struct kmb_topo *t,
		    const struct kmb_plan *p);

/* kmb_fmt_duration - @s seconds as "42 s", "3:07" (min:s) or "1:02:03"; returns @buf. */
const char *kmb_fmt_duration(char *buf, size_t len, double s);

/*
 * Progress against a plan, on the runner's stdout.  On a terminal: one live line, rewritten
 * in place (cell i of N, backend, workload, elapsed, estimated time left); otherwise one line
 * per finished cell.  Quiet: nothing per cell.  The children report each finished cell on a
 * pipe (kmb_progress_child_fd(), kmb_progress_cell_done()).
 */
struct kmb_progress;
struct kmb_progress *kmb_progress_start(const struct kmb_plan *p, bool tty, bool quiet);
/* A backend's child is about to start (@bi: index in p->be); its child has ended, and the
 * cells it did not report count as done (it was skipped, or failed); a backend kept from an
 * earlier attempt, whose cells count as done. */
void kmb_progress_backend(struct kmb_progress *pr, size_t bi);
void kmb_progress_backend_end(struct kmb_progress *pr);
void kmb_progress_backend_kept(struct kmb_progress *pr, size_t bi);
/* A cell of the backend about to start that an earlier attempt finished (part.h): done. */
void kmb_progress_cell_kept(struct kmb_progress *pr, long long family, long long threads);
/* One line from a child's progress pipe ("cell <family> <threads> <ns/op|nan> [error]"). */
void kmb_progress_line(struct kmb_progress *pr, const char *line);
/* Redraw the live line (elapsed time moves on); nothing when not on a terminal. */
void kmb_progress_tick(struct kmb_progress *pr);
/* Before another line goes to stdout or stderr: clear the live line. */
void kmb_progress_clear(struct kmb_progress *pr);
/* The closing line: cells, wall time, against the estimate.  Frees @pr. */
void kmb_progress_finish(struct kmb_progress *pr);

/*
 * The child's side: the environment variable naming the write end of the progress pipe, and
 * the report of one finished cell (@ns_per_op: the median over repetitions of real time per
 * operation as one thread sees it; NaN when every repetition failed, with @error).
 */
#define KMB_PROGRESS_ENV "KMB_PROGRESS_FD"
void kmb_progress_cell_done(int fd, long long family, long long threads, double ns_per_op,
			    const char *error);

#endif
