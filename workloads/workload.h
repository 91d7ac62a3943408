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
	/* percent of the underlying allocations made to fail (--mempool-fail): a family per rate
	 * on the backends that can inject failures (kmb_reserve_ops.set_fail); on the others the workload runs
	 * once, without the parameter, and fail is 0 */
	KMB_P_FAIL = 1u << 2,
	KMB_P_MATRIX = 1u << 3,	/* a NUMA matrix cell: policy, mem_node, cpu_node, buffer */
};

struct kmb_workload_params {
	size_t size;
	size_t batch;
	unsigned int fail;	/* percent, 0..100 */
	/* KMB_P_MATRIX: memory placed under @policy (bind, preferred, local, remote, interleave)
	 * on @mem_node (-1 for interleave, over @mem_nodes), used from CPUs of @cpu_node, @buffer
	 * bytes per thread. */
	enum kmb_mpol_mode policy;
	int mem_node;
	int cpu_node;
	size_t buffer;
	uint64_t mem_nodes;
	/*
	 * Out, one slot per benchmark thread (by thread index): where the memory the thread
	 * used lies.  The harness fills it after the run by allocating a sample itself, unless
	 * the workload is KMB_WL_OWN_PLACEMENT and checks its own memory; NULL for workloads
	 * that do not allocate.
	 */
	struct kmb_placement *placement;
};

/* How the runner places a workload in the matrix. */
enum kmb_workload_flags {
	/*
	 * The workload does not allocate (the per-CPU counters): it runs once per thread count,
	 * in the process of the "no-allocator" pseudo-backend (harness/matrix.c), not once per
	 * backend; its runs carry that backend name.
	 */
	KMB_WL_NO_ALLOCATOR = 1u << 0,
	/*
	 * The workload is a NUMA matrix (numa-matrix): it runs on the backends that take a node
	 * (KMB_CAP_NODE) only, once per cell (policy, memory node, CPU node) the run resolves
	 * (options.h), with its threads on the CPUs of the cell's CPU node (pin plan node:N)
	 * whatever --pin says.  Its runs carry KMB_P_MATRIX.
	 */
	KMB_WL_NODE_MATRIX = 1u << 1,
	/* The workload checks where its own memory lies and fills params.placement itself. */
	KMB_WL_OWN_PLACEMENT = 1u << 2,
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
