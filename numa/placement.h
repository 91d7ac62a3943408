/*
 * placement.h - the machine's NUMA nodes as libnuma sees them: which exist, their distances,
 * each CPU's node, and binding a memory range to a node.  The only header through which the
 * allocator library reaches libnuma.
 *
 * libnuma's traps are handled here, not by callers: a node that does not exist (or has no
 * memory) is reported as such, never silently accepted.
 */
#ifndef KMB_NUMA_PLACEMENT_H
#define KMB_NUMA_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

/* Highest node number with memory on this machine, 0 when NUMA is unavailable. */
int kmb_numa_max_node(void);
/* Does the machine have node @node, with memory? */
bool kmb_numa_node_has_memory(int node);
/* The machine's distance between two existing nodes (10 local), or 0 when unknown. */
int kmb_numa_distance(int a, int b);
/* The node of CPU @cpu, or 0 when unknown. */
int kmb_numa_node_of_cpu(int cpu);
/* Number of possible CPUs (the size of per-CPU arrays). */
int kmb_numa_possible_cpus(void);
/*
 * kmb_numa_bind - bind [addr, addr + len) to @node with MPOL_BIND (mbind(2)); for a shared
 * memfd mapping the policy belongs to the file range and outlives the mapping.  0, or -errno
 * (-ENODEV when the machine has no such node with memory).
 */
int kmb_numa_bind(void *addr, size_t len, int node);

#endif
