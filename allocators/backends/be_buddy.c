/*
 * be_buddy.c - backend: the buddy page allocator (include/kmbench/mm.h) as a sized allocator.
 * A request of @size bytes takes the smallest order that holds it (get_order), so every
 * allocation is at least a page and page aligned; free uses the same order.  The node and GFP
 * flags go to alloc_pages_node() unchanged, except __GFP_HIGHMEM: a workload needs an address,
 * and a HIGHMEM frame has none.  A request without a node under a node policy takes the node
 * the policy picks (be_mm.h).
 *
 * buddy follows the run's per-CPU page list options (--pcp); its variants buddy-none,
 * buddy-thread, buddy-cpu-lock and buddy-cpu-rseq force one mode of the lists each, whatever
 * the run asked, so that one run measures what each contributes.  buddy-cpu-rseq runs cpu-lock
 * where rseq cannot be used; its statistics (pcp_mode, pcp_mode_why) say so.
 */
#include <errno.h>
#include <stdio.h>

#include "kmbench/backend.h"
#include "kmbench/mm.h"
#include "be_mm.h"

/* Init with the run's per-CPU mode of the page lists, or with @mode when the variant fixes one. */
static int buddy_init_mode(const struct kmb_backend_config *cfg, enum kmb_percpu_mode mode,
			   char *why, size_t whylen)
{
	if (cfg->max_size > (PAGE_SIZE << MAX_PAGE_ORDER)) {
		snprintf(why, whylen, "buddy: sizes above %lu bytes (order %d) cannot be allocated",
			 PAGE_SIZE << MAX_PAGE_ORDER, MAX_PAGE_ORDER);
		return -EINVAL;
	}
	return kmb_mm_backend_init(cfg, false, mode, KMB_PERCPU_DEFAULT, why, whylen);
}

static int buddy_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return buddy_init_mode(cfg, KMB_PERCPU_DEFAULT, why, whylen);
}

static int buddy_none_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return buddy_init_mode(cfg, KMB_PERCPU_NONE, why, whylen);
}

static int buddy_thread_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return buddy_init_mode(cfg, KMB_PERCPU_THREAD, why, whylen);
}

static int buddy_cpu_lock_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return buddy_init_mode(cfg, KMB_PERCPU_CPU_LOCK, why, whylen);
}

static int buddy_cpu_rseq_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return buddy_init_mode(cfg, KMB_PERCPU_CPU_RSEQ, why, whylen);
}

static inline void *buddy_alloc_node(void *ctx, size_t size, gfp_t gfp, int node)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (__builtin_expect(order > MAX_PAGE_ORDER, 0))
		return NULL;
	(void)ctx;
	page = alloc_pages_node(node, gfp & ~__GFP_HIGHMEM, order);
	return page ? page_address(page) : NULL;
}

static __attribute__((noinline)) void *buddy_alloc_policy(size_t size, gfp_t gfp)
{
	return kmb_mm_backend_alloc_policy(buddy_alloc_node, NULL, size, gfp);
}

static void *buddy_alloc(size_t size, gfp_t gfp, int node)
{
	if (__builtin_expect(kmb_mm_backend_mpol_on, 0) && node == NUMA_NO_NODE)
		return buddy_alloc_policy(size, gfp);
	return buddy_alloc_node(NULL, size, gfp, node);
}

static void buddy_free(void *p, size_t size)
{
	free_pages((unsigned long)p, get_order(size));
}

static int buddy_frag_index(size_t size)
{
	return kmb_fragmentation_index(-1, ZONE_NORMAL, get_order(size));
}

static const char *buddy_free_name(void)
{
	return "free_pages";
}

#define BUDDY_OPS(ident, bname, desc, init_fn)						\
	const struct kmb_backend_ops kmb_backend_##ident = {				\
		.name = bname,								\
		.description = desc,							\
		.caps = KMB_CAP_SIZED_FREE | KMB_CAP_NODE | KMB_CAP_GFP | KMB_CAP_STATS |	\
			KMB_CAP_CHECK,							\
		.init = init_fn,							\
		.fini = kmb_mm_backend_fini,						\
		.thread_init = kmb_mm_backend_thread_init,				\
		.alloc = buddy_alloc,							\
		.free = buddy_free,							\
		.stats = kmb_mm_backend_stats,						\
		.usage = kmb_mm_backend_usage,						\
		.state = kmb_mm_backend_state,						\
		.check = kmb_mm_backend_check,						\
		.opts = &kmb_mm_backend_opts,						\
		.free_name = buddy_free_name,						\
		.frag_index = buddy_frag_index,						\
	}

BUDDY_OPS(buddy, "buddy",
	  "buddy page allocator: alloc_pages_node/free_pages, sizes rounded up to an order",
	  buddy_init);
BUDDY_OPS(buddy_none, "buddy-none",
	  "buddy page allocator without per-CPU page lists: the zone lock every time",
	  buddy_none_init);
BUDDY_OPS(buddy_thread, "buddy-thread",
	  "buddy page allocator, per-thread page lists (like glibc's tcache), no lock",
	  buddy_thread_init);
BUDDY_OPS(buddy_cpu_lock, "buddy-cpu-lock",
	  "buddy page allocator, per-CPU page lists behind a per-CPU lock (an atomic)",
	  buddy_cpu_lock_init);
BUDDY_OPS(buddy_cpu_rseq, "buddy-cpu-rseq",
	  "buddy page allocator, per-CPU page lists through rseq: no lock, no atomic",
	  buddy_cpu_rseq_init);
