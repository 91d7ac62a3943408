/*
 * mempolicy.h - a NUMA node policy as data: where a run asks its memory to come from.
 *
 * The kernel's memory policies (include/uapi/linux/mempolicy.h, mm/mempolicy.c) plus two that
 * kmbench names itself: "node" (exactly one node, as alloc_pages_node(nid) with __GFP_THISNODE
 * or MPOL_BIND on one node) and "remote" (exactly the node farthest from the allocating
 * thread's, by the machine's distance matrix).  How each one is applied is the caller's
 * business: the malloc baselines get it as the thread's policy (set_mempolicy(2), see
 * numa/policy.h), the kernel-style backends as the node argument of alloc_pages_node() and
 * kmem_cache_alloc_node() (allocators/backends/be_mm.h).
 *
 * Nodes are the machine's OS node numbers, as libnuma, mbind(2) and /sys/devices/system/node
 * count them, 0 to KMB_MPOL_MAX_NODES - 1, one bit each in a 64-bit mask.  Data only: no
 * function here touches the machine.
 */
#ifndef KMBENCH_MEMPOLICY_H
#define KMBENCH_MEMPOLICY_H

#include <stdint.h>

#define KMB_MPOL_MAX_NODES	64	/* nodes 0..63: the bits of a uint64_t */

enum kmb_mpol_mode {
	KMB_MPOL_DEFAULT,	/* no policy given: every allocator as it is (the kernel's default,
				 * local allocation, for the page allocators) */
	KMB_MPOL_LOCAL,		/* the allocating thread's node, others when it is full (MPOL_LOCAL) */
	KMB_MPOL_NODE,		/* exactly the one node of @nodes, never another */
	KMB_MPOL_REMOTE,	/* exactly the node farthest from the allocating thread's node */
	KMB_MPOL_PREFERRED,	/* the one node of @nodes first, others when it is full
				 * (MPOL_PREFERRED) */
	KMB_MPOL_BIND,		/* only the nodes of @nodes, the nearest first (MPOL_BIND) */
	KMB_MPOL_INTERLEAVE,	/* round robin over @nodes, one node per page or allocation
				 * (MPOL_INTERLEAVE) */
	KMB_MPOL_NR_MODES
};

/*
 * struct kmb_mempolicy - a policy and its nodes.  @nodes holds one bit for node and preferred,
 * a non-empty set for bind, and for interleave a set or 0, which means "every node with
 * memory" (resolved where the policy is applied); default, local and remote take none (0).
 */
struct kmb_mempolicy {
	enum kmb_mpol_mode mode;
	uint64_t nodes;
};

#endif
