/*
 * be_libnuma.c - reference backend: libnuma's own allocation.  Every allocation is its own
 * anonymous mmap bound to its node with mbind(2) before it is touched: numa_alloc_onnode() for
 * a node (MPOL_PREFERRED, libnuma's default; MPOL_BIND with __GFP_THISNODE), numa_alloc_local()
 * without one, numa_free() to free.  It is the yardstick of the numa-matrix workload for the
 * node-aware kernel-style backends, as mmap is the page allocator's: what a program gets that
 * asks libnuma directly for memory on a node.
 *
 * Through numa/placement.h, so a node that does not exist (or has no memory) gives NULL rather
 * than libnuma's memory bound nowhere.  Fresh mappings are zeroed, so __GFP_ZERO costs
 * nothing; every other GFP flag but __GFP_THISNODE is ignored.
 *
 * A request without a node follows the run's node policy: local and default as
 * numa_alloc_local(), node:N and remote as MPOL_BIND on that node (remote: the farthest from
 * the calling thread's node, found by thread_init or on the thread's first such request),
 * preferred:N as numa_alloc_onnode(), bind and interleave as mbind over the set (interleave
 * page by page, as numa_alloc_interleaved_subset()).
 */
#include <stdbool.h>

#include "kmbench/backend.h"
#include "placement.h"
#include "policy.h"

static struct kmb_mempolicy mpol;	/* the run's, set by init */

static _Thread_local struct {
	bool set;			/* remote computed for this thread */
	int remote;			/* the farthest node from the thread's, -1 when none */
} pt;

static int libnuma_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	mpol = cfg->mpol;
	return kmb_mpol_check(&mpol, why, whylen);
}

static void libnuma_fini(void)
{
	mpol.mode = KMB_MPOL_DEFAULT;
}

static int libnuma_thread_init(void)
{
	pt.remote = kmb_numa_farthest(kmb_numa_node_self(), kmb_numa_memory_nodes());
	pt.set = true;
	return 0;
}

static __attribute__((noinline)) void *libnuma_alloc_policy(size_t size)
{
	switch (mpol.mode) {
	case KMB_MPOL_NODE:
		return kmb_numa_alloc_policy(size, KMB_MPOL_BIND, mpol.nodes);
	case KMB_MPOL_REMOTE:
		if (!pt.set)
			libnuma_thread_init();
		return pt.remote < 0 ? NULL : kmb_numa_alloc_onnode(size, pt.remote, true);
	case KMB_MPOL_INTERLEAVE:
		return kmb_numa_alloc_policy(size, mpol.mode, kmb_mpol_intended(&mpol, 0));
	default:
		return kmb_numa_alloc_policy(size, mpol.mode, mpol.nodes);
	}
}

static void *libnuma_alloc(size_t size, gfp_t gfp, int node)
{
	if (node != NUMA_NO_NODE)
		return kmb_numa_alloc_onnode(size, node, gfp & __GFP_THISNODE);
	if (__builtin_expect(mpol.mode != KMB_MPOL_DEFAULT, 0))
		return libnuma_alloc_policy(size);
	return kmb_numa_alloc_local(size);
}

static void libnuma_free(void *p, size_t size)
{
	kmb_numa_free(p, size);
}

static const char *libnuma_free_name(void)
{
	return "numa_free";
}

const struct kmb_backend_ops kmb_backend_libnuma = {
	.name = "libnuma",
	.description = "reference: numa_alloc_onnode/numa_alloc_local per allocation, numa_free "
		       "(an mmap bound to its node)",
	.caps = KMB_CAP_SIZED_FREE | KMB_CAP_NODE,
	.init = libnuma_init,
	.fini = libnuma_fini,
	.thread_init = libnuma_thread_init,
	.alloc = libnuma_alloc,
	.free = libnuma_free,
	.free_name = libnuma_free_name,
};
