/*
 * be_vmalloc.c - backend: vmalloc and vfree (include/kmbench/vmalloc.h) as an allocator.  Any size
 * works: it is rounded up to whole pages, each a frame of its own mapped into the vmalloc window,
 * with a guard page after the area, so every allocation is page-aligned and costs at least one
 * mmap() to map and one to unmap (docs/vmalloc.md).  The node and the GFP flags go to
 * __vmalloc_node() unchanged; the caller named in vmallocinfo is the workload's call site.
 *
 * Statistics: the page allocator's (be_mm.c), then the window's counters, whose peaks and
 * mmap() counts describe the runs, and /proc/vmallocinfo of the areas still there when they
 * are taken (after the runs: usually none), read after a purge (vm_unmap_aliases) so that the
 * ranges awaiting one, counted in vmalloc_lazy_pages, are not thousands of lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kmbench/backend.h"
#include "kmbench/vmalloc.h"
#include "be_mm.h"

static int vmalloc_backend_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	return kmb_mm_backend_init(cfg, false, KMB_PERCPU_DEFAULT, KMB_PERCPU_DEFAULT, why,
				   whylen);
}

static void *vmalloc_backend_alloc(size_t size, gfp_t gfp, int node)
{
	return __vmalloc_node(size, 1, gfp, node, __builtin_return_address(0));
}

static void vmalloc_backend_free(void *p, size_t size)
{
	(void)size;
	vfree(p);
}

static int vmalloc_backend_stats(const struct kmb_stats_sink *sink)
{
	struct kmb_vmalloc_stats st;
	size_t need;
	char *text;
	int r = kmb_mm_backend_stats(sink);

	if (r)
		return r;
	/* The counters first, then the purge of what awaits one, then vmallocinfo: its areas
	 * still held, without up to lazy_max_pages() of "unpurged vm_area" lines (thousands of
	 * small ones), which vmalloc_lazy_pages counts. */
	kmb_vmalloc_get_stats(&st);
	vm_unmap_aliases();
	need = kmb_show_vmallocinfo(NULL, 0) + 1;
	text = malloc(need);
	if (!text)
		return -ENOMEM;
	kmb_show_vmallocinfo(text, need);
	sink->text(sink->ctx, "vmallocinfo", text);
	free(text);
	sink->num(sink->ctx, "vmalloc_total", (double)st.vmalloc_total);
	sink->num(sink->ctx, "vmalloc_used", (double)st.vmalloc_used);
	sink->num(sink->ctx, "vmalloc_chunk", (double)st.vmalloc_chunk);
	sink->num(sink->ctx, "vmalloc_free_ranges", (double)st.nr_free_ranges);
	sink->num(sink->ctx, "vmalloc_areas", (double)st.nr_areas);
	sink->num(sink->ctx, "vmalloc_areas_peak", (double)st.nr_areas_peak);
	sink->num(sink->ctx, "vmalloc_pages_peak", (double)st.vmalloc_pages_peak);
	sink->num(sink->ctx, "vmalloc_map_calls", (double)st.map_calls);
	sink->num(sink->ctx, "vmalloc_unmap_calls", (double)st.unmap_calls);
	sink->num(sink->ctx, "vmalloc_purges", (double)st.purges);
	sink->num(sink->ctx, "vmalloc_lazy_pages", (double)st.lazy_pages);
	sink->num(sink->ctx, "vmalloc_fail", (double)st.alloc_fail);
	sink->num(sink->ctx, "vmalloc_misuse", (double)st.misuse);
	return 0;
}

static int vmalloc_backend_check(char *why, size_t whylen)
{
	int r = kmb_mm_backend_check(why, whylen);

	return r ? r : kmb_vmalloc_check(why, whylen);
}

static const char *vmalloc_free_name(void)
{
	return "vfree";
}

const struct kmb_backend_ops kmb_backend_vmalloc = {
	.name = "vmalloc",
	.description = "vmalloc/vfree: order-0 frames mapped into the vmalloc window, sizes rounded "
		       "up to pages, a guard page each",
	.caps = KMB_CAP_NODE | KMB_CAP_GFP | KMB_CAP_STATS | KMB_CAP_CHECK,
	.init = vmalloc_backend_init,
	.fini = kmb_mm_backend_fini,
	.alloc = vmalloc_backend_alloc,
	.free = vmalloc_backend_free,
	.stats = vmalloc_backend_stats,
	.usage = kmb_mm_backend_usage,
	.state = kmb_mm_backend_state,
	.check = vmalloc_backend_check,
	.free_name = vmalloc_free_name,
	.opts = &kmb_mm_backend_opts,
};
