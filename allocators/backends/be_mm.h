/*
 * be_mm.h - what the kernel-style backends (buddy, slab*, kmalloc) share: bringing up the
 * model of physical memory from the run's configuration, reporting its state, and applying the
 * run's node policy (struct kmb_backend_config.mpol) as the kernel's callers would: through
 * the node argument of alloc_pages_node(), kmem_cache_alloc_node() and kmalloc_node().
 *
 * Node policies, for an allocation that names no node (NUMA_NO_NODE; an explicit node wins):
 *   local          NUMA_NO_NODE: numa_node_id(), the thread's node, with fallback
 *   node:N         N with __GFP_THISNODE
 *   remote         the node farthest from the thread's, with __GFP_THISNODE
 *   preferred:N    N, with fallback along N's zonelist
 *   bind:LIST      LIST's nodes nearest first, each with __GFP_THISNODE: first without direct
 *                  reclaim on any of them, then with the caller's flags (MPOL_BIND's nodemask
 *                  walk in __alloc_pages, mm/page_alloc.c)
 *   interleave     the next node of the set for each allocation, with fallback
 *                  (interleave_nodes() in mm/mempolicy.c, the task's il_prev)
 * The thread's node, its farthest node and its bind order are computed by thread_init
 * (kmb_mm_backend_thread_init), or on the thread's first allocation under a policy.
 */
#ifndef KMB_BE_MM_H
#define KMB_BE_MM_H

#include <stdbool.h>

#include "kmbench/backend.h"
#include "kmbench/percpu.h"

/* Is a node policy in force (init got one other than KMB_MPOL_DEFAULT)?  Read first on every
 * allocation path, so a run without a policy pays one predictable branch. */
extern bool kmb_mm_backend_mpol_on;

/* The adapter's allocation with an explicit node, which the policy calls; @ctx is the
 * adapter's (the cache of an object cache), passed through. */
typedef void *(*kmb_alloc_node_fn)(void *ctx, size_t size, gfp_t gfp, int node);

/*
 * kmb_mm_backend_alloc_policy - one allocation of @size with @gfp under the run's policy (the
 * table above), through @alloc_node(@ctx, ...).  NULL when every node the policy allows
 * failed.  Called by the adapters when kmb_mm_backend_mpol_on and the request names no node;
 * any thread.
 */
void *kmb_mm_backend_alloc_policy(kmb_alloc_node_fn alloc_node, void *ctx, size_t size,
				  gfp_t gfp);
/* thread_init of the kernel-style backends: the calling thread's node and what the policy
 * derives from it.  Always 0. */
int kmb_mm_backend_thread_init(void);

/* The options these backends take (KEY=VALUE; `kmbench list` shows them): mm-nodes, node-mem,
 * lowmem, dma-zone, pcp, slab-percpu, slub-debug. */
extern const struct kmb_backend_optset kmb_mm_backend_opts;

/* kmb_mm_backend_init - kmb_mm_init() with the run's options (cfg->opts); it brings up the slab
 * layer too.  @slab: the run measures the slab layer, so its slub_debug and sheaves mode are set
 * first and its statistics reported.  @pcp_mode and @slab_mode, where not KMB_PERCPU_DEFAULT,
 * are a variant's own modes of the page lists and the sheaves, whatever the run's options say.
 * A node policy naming a node the model lacks (mm-nodes) fails with -ENODEV.  0, or -errno
 * with one line in why. */
int kmb_mm_backend_init(const struct kmb_backend_config *cfg, bool slab,
			enum kmb_percpu_mode pcp_mode, enum kmb_percpu_mode slab_mode, char *why,
			size_t whylen);
/* kmb_mm_backend_fini - tear down what init brought up. */
void kmb_mm_backend_fini(void);
/* The page allocator's state (nodes, buddyinfo, zoneinfo, fragmentation, counters) and, when
 * the slab layer is up, slabinfo and its counters. */
int kmb_mm_backend_stats(const struct kmb_stats_sink *sink);
/*
 * kmb_mm_backend_usage - held: the pages off the buddy free lists ((managed - free) pages: on
 * the per-CPU lists, in slabs, handed out); live: the pages handed out (those, less the per-CPU
 * lists' and the slabs') plus, with the slab layer, the slabs' objects in use
 * (kmb_slab_usage).  A snapshot, from any thread.
 */
int kmb_mm_backend_usage(struct kmb_backend_usage *u);
/*
 * kmb_mm_backend_state - the first KMB_STATE_ZONES populated zones' free pages and indices at
 * KMB_STATE_ORDER (kmb_zone_frag_info), the indices over every zone together, and, when the run measures the slab layer, slabinfo's
 * active_objs and num_objs over every cache (kmb_slab_objects; -1 otherwise).  A snapshot,
 * from any thread.  Always 0.
 */
int kmb_mm_backend_state(struct kmb_backend_state *s);
/* kmb_mm_check() and, with the slab layer, kmem_cache_validate(). */
int kmb_mm_backend_check(char *why, size_t whylen);
/* The generation of the current init, bumped by every init: a cache remembered from an earlier
 * one is gone.  A variable, so the adapters' fast paths read it without a call. */
extern unsigned long kmb_mm_backend_gen;
static inline unsigned long kmb_mm_backend_generation(void)
{
	return kmb_mm_backend_gen;
}

#endif
