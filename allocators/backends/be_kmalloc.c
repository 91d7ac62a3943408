/*
 * be_kmalloc.c - backend: kmalloc/kfree (include/kmbench/slab.h).  Sizes up to 8 KiB come from
 * the kmalloc-<n> caches, larger ones straight from the page allocator, up to 4 MiB.  kfree
 * finds the cache from the object's page, so the size is not needed to free.
 *
 * No object caches (.cache stays NULL): a kmalloc user has no constructor,
 * so a workload that wants constructed objects constructs each one itself, as with malloc.
 */
#include "kmbench/backend.h"
#include "kmbench/slab.h"
#include "be_mm.h"

static int kmalloc_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return kmb_mm_backend_init(cfg, true, KMB_PERCPU_DEFAULT, KMB_PERCPU_DEFAULT, why,
				   whylen);
}

static void *kmalloc_alloc_node(void *ctx, size_t size, gfp_t gfp, int node)
{
	(void)ctx;
	return kmalloc_node(size, gfp, node);
}

static __attribute__((noinline)) void *kmalloc_alloc_policy(size_t size, gfp_t gfp)
{
	return kmb_mm_backend_alloc_policy(kmalloc_alloc_node, NULL, size, gfp);
}

static void *kmalloc_alloc(size_t size, gfp_t gfp, int node)
{
	if (__builtin_expect(kmb_mm_backend_mpol_on, 0) && node == NUMA_NO_NODE)
		return kmalloc_alloc_policy(size, gfp);
	return kmalloc_node(size, gfp, node);
}

static void kmalloc_free(void *p, size_t size)
{
	(void)size;
	kfree(p);
}

static const char *kmalloc_free_name(void)
{
	return "kfree";
}

const struct kmb_backend_ops kmb_backend_kmalloc = {
	.name = "kmalloc",
	.description = "kmalloc/kfree: the kernel's size classes over slab caches, large sizes from pages",
	.caps = KMB_CAP_NODE | KMB_CAP_GFP | KMB_CAP_STATS | KMB_CAP_CHECK,
	.init = kmalloc_init,
	.fini = kmb_mm_backend_fini,
	.thread_init = kmb_mm_backend_thread_init,
	.alloc = kmalloc_alloc,
	.free = kmalloc_free,
	.stats = kmb_mm_backend_stats,
	.usage = kmb_mm_backend_usage,
	.state = kmb_mm_backend_state,
	.check = kmb_mm_backend_check,
	.opts = &kmb_mm_backend_opts,
	.free_name = kmalloc_free_name,
};
