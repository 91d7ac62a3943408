/*
 * run.h - running the matrix.
 *
 * The parent (runner.c) plans the matrix, starts one child process per backend (re-executing
 * itself, with LD_PRELOAD for the malloc baselines, as mimalloc-bench does), waits for each,
 * and merges the children's part files into results.json.  A child (child.c) runs every cell
 * of its backend through Google Benchmark and appends each to its part as it finishes.
 *
 * Lifetime.  The parent holds an flock(2) on <dir>/lock for as long as it runs, and its child
 * shares it, so that no second run or --resume writes into a directory in use; the kernel
 * drops it when the last of them is gone, however they end.  A child is killed when the parent
 * dies (PR_SET_PDEATHSIG), so nothing of a run outlives it, even a kill -9.
 *
 * A family is one (backend, workload, parameters) combination; its instances are the thread
 * counts.  Families are numbered in one global order (backend, workload, size, failure rate),
 * so a family's index is the same in every process: it is the result's family_index.
 *
 * Workloads that do not allocate run once, in the process of the pseudo-backend
 * "no-allocator" (matrix.c), after the run's backends.
 *
 * Run directory:
 *   cmdline                  the effective options, one per line (options.h)
 *   lock                     the running kmbench's pid and start time; locked while it runs
 *   parts/<backend>.status.json   the backend's status object, one line
 *   parts/<backend>.partial.jsonl its finished cells while its child runs (part.h)
 *   parts/<backend>.jsonl    the same once every cell is in it: the backend is finished
 *   results.json             the merged file (results/README.md)
 *   profiles/<cell>.*        --profile's folded stacks and top functions (callgraph.h)
 */
#ifndef KMB_HARNESS_RUN_H
#define KMB_HARNESS_RUN_H

#include "options.h"

/* kmb_run_parent - run (or, with o->resume, complete) the matrix.  Exit status for main. */
int kmb_run_parent(struct kmb_options *o);
/* kmb_default_run_id - o->run_id: <UTC time>-<host>-<pid>.  kmb_mkdir_p - @path and its
 * parents (mkdir -p); 0 or -errno. */
void kmb_default_run_id(struct kmb_options *o);
int kmb_mkdir_p(const char *path);

/* The list of experiments, one name a line, in the directory of a run of several (OUT/NAME
 * each): what `kmbench run --resume OUT` completes. */
#define KMB_EXP_LIST "experiments"

/* kmb_run_merge - `kmbench merge RUN... --out DIR` (merge.c): runs of one matrix, its shards,
 * joined into one results.json.  Exit status for main: 0; 1 refused or failed; 2 bad usage. */
int kmb_run_merge(int argc, char **argv);

/* kmb_run_slurm - `kmbench slurm --shards N ...` (slurm.c): the matrix submitted to Slurm as a
 * job array of its shards and a dependent merge.  Exit status for main: 0 submitted; 1 sbatch
 * failed; 2 bad input, nothing submitted. */
int kmb_run_slurm(int argc, char **argv);

/* kmb_run_report - `kmbench report RESULTS... [options]` (report.c): becomes the source tree's
 * report/kmbench_report.py on /usr/bin/python3 (one results file: its report; several: the
 * compare mode).  Returns only when it cannot: exit status 1.
 * kmb_report_script - the path of report/@name into @buf: $KMB_REPORT_DIR/@name, else
 * report/@name up from the executable, else in the source tree it was built from; 0, or
 * -ENOENT with where it looked in @where.
 * kmb_exec_report - become `KMB_PYTHON report/@name argv...`; returns @status only when that
 * fails, after one line on stderr naming @cmd and the cause. */
#define KMB_PYTHON "/usr/bin/python3"	/* Debian's, with matplotlib, numpy and scipy */
int kmb_run_report(int argc, char **argv);
int kmb_report_script(char *buf, size_t len, const char *name, char *where, size_t wlen);
int kmb_exec_report(const char *cmd, const char *name, int argc, char **argv, int status);

/* kmb_run_child - the child for @backend in run directory @dir.  Exit status for main. */
int kmb_run_child(const char *dir, const char *backend);

/* The environment variable naming the child's descriptor of the run's lock (runner.c). */
#define KMB_LOCK_ENV "KMB_LOCK_FD"

/*
 * The matrix (matrix.c).  kmb_no_allocator is the pseudo-backend whose process runs the
 * workloads that do not allocate (KMB_WL_NO_ALLOCATOR), once per thread count.
 *
 * kmb_matrix_backends - the backends whose processes a run starts, in family order: the run's
 * backends, then kmb_no_allocator when a selected workload needs it; into @out (room for
 * KMB_MAX_LIST + 1).  Returns how many.
 * kmb_matrix_find - a backend of the matrix by name (registered, or "no-allocator"); NULL if
 * there is none.
 * kmb_family_count - families @w contributes to backend @b under @o (0: @w does not run there).
 * kmb_family_cells - the workload's own cells on @b (one family each, for every size and
 * batch: kmb_workload.cells), 1 for a workload without; 0 with the reason in *why (@why may be
 * NULL) when it does not run on @b.
 * kmb_family_batches - the --batch values @w runs at (one family each, for every size): the
 * --batch list where @w has KMB_P_BATCH, else 1 (the first value).
 * kmb_matrix_families - families of @b under @o, all workloads together.
 */
#define KMB_NO_ALLOCATOR "no-allocator"
extern const struct kmb_backend_ops kmb_no_allocator;
size_t kmb_matrix_backends(const struct kmb_options *o, const struct kmb_backend_ops **out);
const struct kmb_backend_ops *kmb_matrix_find(const char *name);
size_t kmb_family_count(const struct kmb_options *o, const struct kmb_backend_ops *b,
			const struct kmb_workload *w);
size_t kmb_family_cells(const struct kmb_options *o, const struct kmb_backend_ops *b,
			const struct kmb_workload *w, const char **why);
size_t kmb_family_batches(const struct kmb_options *o, const struct kmb_workload *w);
size_t kmb_matrix_families(const struct kmb_options *o, const struct kmb_backend_ops *b);
/*
 * kmb_family_decode - the parameters of @w's family number @ci (< kmb_family_count) on @b:
 * size, batch, the workload's option state and its cell; the rest of @p is left as it is.
 * The child registers its families, and the parent plans and names them, through this one
 * decoding.
 * kmb_family_name - a family's registered name, "<workload>/<backend>[/<params>]", e.g.
 * "churn/slab/size:64/batch:1".
 */
void kmb_family_decode(const struct kmb_options *o, const struct kmb_backend_ops *b,
		       const struct kmb_workload *w, size_t ci, struct kmb_workload_params *p);
void kmb_family_name(char *buf, size_t len, const struct kmb_backend_ops *b,
		     const struct kmb_workload *w, const struct kmb_workload_params *p);
/* kmb_family_node - the node whose CPUs run the family of @p (kmb_workload.cell_node: pin
 * node:N whatever --pin says); -1: the run's --pin. */
int kmb_family_node(const struct kmb_workload *w, const struct kmb_workload_params *p);
/*
 * kmb_family_cpus - the CPUs of the family of @p's threads when its cell names them
 * (kmb_workload.cell_cpus: the family runs at that one thread count, thread t on cpus[t],
 * whatever --threads and --pin say), into @cpus (room for KMB_MAX_CELL_CPUS), with its pin
 * name, "cpus:0,3", into @name; how many, or 0: the run's thread counts and pinning.
 */
#define KMB_MAX_CELL_CPUS 64
int kmb_family_cpus(const struct kmb_workload *w, const struct kmb_workload_params *p, int *cpus,
		    char *name, size_t len);
/* kmb_matrix_max_threads - the most threads one run of @b's families has: the largest
 * --threads count, or a cell's own (kmb_family_cpus) where that is more. */
int kmb_matrix_max_threads(const struct kmb_options *o, const struct kmb_backend_ops *b);
/* kmb_matrix_why_none - why @b has no family under @o (the runner's skip reason). */
const char *kmb_matrix_why_none(const struct kmb_options *o, const struct kmb_backend_ops *b);

/*
 * kmb_probe_placement - after a benchmark thread's run (probe.c): allocate a sample of
 * objects of @size through @b as the workloads do (GFP_KERNEL, no node), write a byte on
 * every page they cover (up to 8 a object), ask the kernel where those pages are
 * (kmb_placement_check()), and free the sample.  @pl is set from scratch, with @intended.
 * On the benchmark thread, after its timed loop.
 */
void kmb_probe_placement(const struct kmb_backend_ops *b, size_t size, uint64_t intended,
			 struct kmb_placement *pl);

/* kmb_backend_cannot_run - why @b cannot run in this build on this machine (its preload
 * library is missing, or this is an AddressSanitizer build), or NULL when it can. */
const char *kmb_backend_cannot_run(const struct kmb_backend_ops *b);

/* kmb_backend_exec - replace this process with this kmbench executable, run with @argv, in
 * @b's own environment: LD_PRELOAD set to the library of a KMB_CAP_PRELOAD backend, and unset
 * otherwise (how the runner starts each backend's child, and how `kmbench pairs` starts itself
 * again).  Returns only on failure, with -errno. */
int kmb_backend_exec(const struct kmb_backend_ops *b, char *const argv[]);

/* kmb_run_pairs - `kmbench pairs`: alloc+free pairs of one backend, for instruction counts.
 * Exit status. */
int kmb_run_pairs(int argc, char **argv);

/* kmb_run_record - `kmbench record`: the kernel's kmem tracepoints, recorded with perf and
 * converted into a kmbench trace for the trace workload (record.c).  Exit status. */
int kmb_run_record(int argc, char **argv);

/* kmb_run_check - `kmbench check RUN --baseline BASE [--reference NAME]` (check.c): becomes
 * report/kmb_check.py; returns only when it cannot, with exit status 2.  kmb_run_reproduce -
 * `kmbench reproduce RUN [--out DIR]`: the run's saved options run again, then the check of
 * the new run against RUN.  Exit status: the check's (0, 1 a regression, 2 bad input). */
int kmb_run_check(int argc, char **argv);
int kmb_run_reproduce(int argc, char **argv);

/* kmb_run_overhead - `kmbench overhead`: the wrapper's loop against native C++.  Exit status. */
int kmb_run_overhead(int argc, char **argv);

/* kmb_run_list - `kmbench list`.  Exit status. */
int kmb_run_list(void);

#endif
