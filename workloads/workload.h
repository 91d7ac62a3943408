/*
 * workload.h - what a workload is: the timed loop of one benchmark thread.
 *
 * A workload reaches allocators only through include/kmbench/backend.h, and the clock only
 * through harness/gbench.h's keep-running loop: one iteration is one operation of the workload
 * (for churn: one allocation and its free), so Google Benchmark's time per iteration is the cost
 * of one operation.  Setup before the first kmb_gb_keep_running_batch() call is not timed.
 *
 * Workloads are listed in workloads/workloads.def: adding one is one new file plus one line.
 */
#ifndef KMB_WORKLOAD_H
#define KMB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "kmbench/backend.h"
#include "gbench.h"
#include "placement.h"

/* Parameters a workload may use; the bits in kmb_workload.params say which appear in names. */
enum kmb_param {
	KMB_P_SIZE = 1u << 0,	/* object size in bytes */
	KMB_P_BATCH = 1u << 1,	/* objects allocated before they are freed */
};

struct kmb_workload_params {
	size_t size;
	size_t batch;
	/* The workload's own options (kmb_workload.opts: its option state, parsed and resolved)
	 * and which of its cells this family is (kmb_workload.cells); NULL and 0 when it has
	 * none. */
	const void *opts;
	size_t cell;
	/*
	 * Out, one slot per benchmark thread (by thread index): where the memory the thread
	 * used lies.  The harness fills it after the run by allocating a sample itself, unless
	 * the workload is KMB_WL_OWN_PLACEMENT and checks its own memory; NULL for workloads
	 * that do not allocate.
	 */
	struct kmb_placement *placement;
};

/*
 * The machine as a workload's resolve hook sees it, in plain integers (OS numbers, as
 * sched_getcpu() and libnuma give them): harness/options.c fills it from the topology and the
 * run's --pin and --threads.
 */
struct kmb_wl_machine {
	const int *cpu_nodes;	/* the nodes with CPUs, ascending */
	int ncpu_nodes;
	const int *cpu_node;	/* cpu_node[c]: the node of CPU c, -1 where c is not usable here */
	int ncpu_ids;		/* cpu_node's length: every usable CPU is below it */
	const int *plan;	/* the run's pinning plan at its largest thread count: the CPU of
				 * each thread, -1 each under --pin none */
	int nplan;
};

/* How the runner places a workload in the matrix. */
enum kmb_workload_flags {
	/*
	 * The workload does not allocate (the per-CPU counters): it runs once per thread count,
	 * in the process of the "no-allocator" pseudo-backend (harness/matrix.c), not once per
	 * backend; its runs carry that backend name.
	 */
	KMB_WL_NO_ALLOCATOR = 1u << 0,
	/* The workload checks where its own memory lies and fills params.placement itself. */
	KMB_WL_OWN_PLACEMENT = 1u << 2,
	/* The workload's allocations are another process's (the program workload's program):
	 * the profile pass, which wraps this process's backend, would see none of them. */
	KMB_WL_NO_PROFILE = 1u << 3,
};

struct kmb_workload {
	const char *name;		/* registry name: [a-z0-9-]+ */
	const char *description;	/* one line for `kmbench list` */
	unsigned int params;		/* enum kmb_param bits this workload uses */
	unsigned int flags;		/* enum kmb_workload_flags */
	/*
	 * run - one thread's loop.  Called on a pinned benchmark thread after the backend's
	 * thread_init.  On an allocation failure it calls kmb_gb_skip_with_error() with the
	 * reason, frees what it holds and returns -ENOMEM; otherwise 0.
	 */
	int (*run)(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		   const struct kmb_workload_params *p);

	/*
	 * The workload's own options, KEY=VALUE (`kmbench run -W KEY=VALUE`, --workload-opt
	 * KEY=VALUE, or --KEY VALUE), declared with the backends' option types (backend.h
	 * kmb_backend_optset) in the workload's file: the harness and the CLI know no workload's
	 * knob.  The harness parses them into the set's state (all zero: every option at its
	 * default), for every workload of the registry, and hands the state to the hooks below
	 * and to run (params.opts).  NULL: none, and the hooks are NULL too.
	 */
	const struct kmb_backend_optset *opts;
	/*
	 * Optional: the option state @st against the machine @m, once per process, when the run
	 * selects the workload.  0, or -errno with one line in err naming the option.
	 */
	int (*resolve)(void *st, const struct kmb_wl_machine *m, char *err, size_t errlen);
	/*
	 * Optional: the families @st expands into on @b for each size and batch (cells, the
	 * innermost dimension of the family order: harness/matrix.c); 0: none on @b, with the
	 * reason in *why.  NULL: one.
	 */
	size_t (*cells)(const void *st, const struct kmb_backend_ops *b, const char **why);
	/*
	 * Optional: the parameters of cell @k on @b, through @out's num and text: each is a
	 * KEY:VALUE of the family's name and a key of its results' params, after size and batch.
	 */
	void (*cell_params)(const void *st, const struct kmb_backend_ops *b, size_t k,
			    const struct kmb_context_sink *out);
	/*
	 * Optional: the node whose CPUs run cell @k's threads (pin plan node:N), whatever --pin
	 * says; -1, or NULL: the run's --pin.
	 */
	int (*cell_node)(const void *st, size_t k);
	/*
	 * Optional: the CPUs of cell @k's threads, whatever --pin says: thread t runs on OS CPU
	 * cpus[t] (a CPU may appear twice: two threads then share it).  Writes at most @max and
	 * returns how many, n >= 1: the cell runs at n threads alone, not at the run's thread
	 * counts, and its rows' kmbench.pin is "cpus:<the list>".  0, or NULL: the run's thread
	 * counts, on cell_node's node or by --pin.
	 */
	int (*cell_cpus)(const void *st, size_t k, int *cpus, int max);
	/*
	 * Optional: `kmbench plan`'s estimate of cell @k on @b (harness/plan.c), for a workload
	 * whose operation takes seconds where the plan's model is a loop of short operations that
	 * the min time bounds: the seconds of one operation of one thread (*op_s), of the
	 * untimed work of each repetition (*rep_s) and of the cell's once (*cell_s).  NULL, or
	 * *op_s 0: the plan's model.
	 */
	void (*estimate)(const void *st, const struct kmb_backend_ops *b, size_t k, double *op_s,
			 double *rep_s, double *cell_s);
};

/* xorshift64 (Marsaglia): the workloads' seeded, per-thread random numbers. */
static inline uint64_t kmb_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

extern const struct kmb_workload *const kmb_workloads[];
extern const size_t kmb_nr_workloads;

#endif
