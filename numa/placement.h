/*
 * placement.h - the machine's NUMA nodes as libnuma sees them: which exist, their distances,
 * each CPU's node, binding memory to nodes, the calling thread's memory policy, and where pages
 * really are (move_pages(2)).  The only header through which the rest of kmbench reaches
 * libnuma and the memory-policy system calls.
 *
 * libnuma's traps are handled here, not by callers: a node that does not exist (or has no
 * memory) is reported as such, never silently accepted.  numa_alloc_onnode() on such a node
 * returns memory that is bound nowhere and only prints a warning; kmb_numa_alloc_onnode()
 * returns NULL instead.
 *
 * Nodes are OS node numbers.  Node masks are uint64_t, bit n for node n (kmbench/mempolicy.h):
 * nodes above 63 are not seen by the functions that take or return a mask.
 *
 * Every function may be called from any thread; the ones named _self act on the calling
 * thread only.  What libnuma says of the machine is read once, on the first call; after it,
 * no function here allocates memory except kmb_numa_alloc_*() (so a thread may set its
 * policy before its first malloc).
 */
#ifndef KMB_NUMA_PLACEMENT_H
#define KMB_NUMA_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmbench/mempolicy.h"

/* Highest node number with memory on this machine, 0 when NUMA is unavailable. */
int kmb_numa_max_node(void);
/* Does the machine have node @node, with memory? */
bool kmb_numa_node_has_memory(int node);
/* The nodes with memory (node 0 alone when NUMA is unavailable). */
uint64_t kmb_numa_memory_nodes(void);
/* The machine's distance between two existing nodes (10 local), or 0 when unknown. */
int kmb_numa_distance(int a, int b);
/* The node of CPU @cpu, or 0 when unknown. */
int kmb_numa_node_of_cpu(int cpu);
/* The node of the CPU the calling thread runs on (0 when unknown). */
int kmb_numa_node_self(void);
/* Number of possible CPUs (the size of per-CPU arrays). */
int kmb_numa_possible_cpus(void);
/*
 * kmb_numa_farthest - of the nodes in @candidates, the one farthest from @from by the machine's
 * distances (kmb_farthest_node(), numa/policy.h: ties go to the lowest number); -ENODEV when
 * no candidate other than @from exists.
 */
int kmb_numa_farthest(int from, uint64_t candidates);

/*
 * kmb_numa_bind - bind [addr, addr + len) to @node with MPOL_BIND (mbind(2)); for a shared
 * memfd mapping the policy belongs to the file range and outlives the mapping.  0, or -errno
 * (-ENODEV when the machine has no such node with memory).
 */
int kmb_numa_bind(void *addr, size_t len, int node);

/*
 * kmb_numa_set_policy_self - set_mempolicy(2) for the calling thread: @mode one of the kernel's
 * own (KMB_MPOL_DEFAULT, _LOCAL, _PREFERRED, _BIND, _INTERLEAVE; node and remote are the
 * caller's to turn into BIND) over @nodes.  Every node must have memory.  Pages the thread
 * faults in afterwards follow it; pages already present stay where they are.  0 or -errno
 * (-ENODEV for a node without memory, -EINVAL for another mode or an empty set).
 */
int kmb_numa_set_policy_self(enum kmb_mpol_mode mode, uint64_t nodes);

/*
 * kmb_numa_alloc_onnode - libnuma's numa_alloc_onnode(): @size bytes of fresh anonymous memory
 * (zeroed, page aligned) bound to @node, MPOL_PREFERRED unless @strict (MPOL_BIND).  NULL when
 * @node has no memory here (libnuma would return unbound memory) or on failure.  Free with
 * kmb_numa_free().  kmb_numa_alloc_local() is numa_alloc_local(): the faulting thread's node.
 */
void *kmb_numa_alloc_onnode(size_t size, int node, bool strict);
void *kmb_numa_alloc_local(size_t size);
/*
 * kmb_numa_alloc_policy - @size bytes of fresh anonymous memory under @mode over @nodes, set
 * with mbind(2) before any page is touched: KMB_MPOL_PREFERRED (one node), _BIND, _INTERLEAVE
 * (numa_alloc_interleaved_subset(): page by page), or _DEFAULT and _LOCAL (numa_alloc_local()).
 * NULL when a node has no memory here, for another mode, or on failure.  Free with
 * kmb_numa_free().
 */
void *kmb_numa_alloc_policy(size_t size, enum kmb_mpol_mode mode, uint64_t nodes);
void kmb_numa_free(void *p, size_t size);

/* --- where pages are: the placement check --- */

/*
 * struct kmb_placement - the tally of one placement check: pages sampled, the nodes the kernel
 * reported for them, and how many lie on an intended node.  @err is 0 when the check ran, or
 * -errno with a one-line reason in @why when it could not (no NUMA support in the kernel,
 * move_pages refused).
 */
struct kmb_placement {
	unsigned int pages;		/* pages asked about */
	unsigned int known;		/* of them, pages whose node the kernel reported */
	unsigned int on_target;		/* of the known, pages on an intended node */
	uint64_t intended;		/* the intended nodes */
	unsigned int per_node[KMB_MPOL_MAX_NODES];	/* known pages per node */
	int err;
	char why[112];
};

/*
 * kmb_placement_tally - add move_pages(2) status words to @pl: status[i] >= 0 is page i's
 * node, a negative one (-ENOENT: not present, -EFAULT, ...) leaves the page unknown.  A page
 * on an intended node (a bit of pl->intended) counts as on target.  Pure: no system call.
 */
void kmb_placement_tally(struct kmb_placement *pl, const int *status, size_t n);
/*
 * kmb_placement_check - ask the kernel where the pages at @pages[0..n) are (move_pages(2) with
 * nodes == NULL: a query, nothing moves) and tally them into @pl, whose @intended the caller
 * set.  Each address is rounded down to its page; the pages must be mapped in this process.
 * 0, or -errno with pl->err and pl->why set.
 */
int kmb_placement_check(struct kmb_placement *pl, void *const *pages, size_t n);
/* kmb_placement_merge - add @from's counts into @into, and its intended nodes (threads of one
 * run may intend different nodes: remote); an error in either is kept. */
void kmb_placement_merge(struct kmb_placement *into, const struct kmb_placement *from);
/* kmb_placement_fraction - on_target / known, or -1 when no page is known or the check failed. */
double kmb_placement_fraction(const struct kmb_placement *pl);

#endif
