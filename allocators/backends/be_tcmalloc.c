/*
 * be_tcmalloc.c - baseline: gperftools' tcmalloc (Debian's libtcmalloc-minimal4, the build without
 * the heap profiler) preloaded as the process's malloc.  Frees through tc_free_sized().
 * Statistics from MallocExtension_GetNumericProperty.
 */
#include <errno.h>
#include <stdio.h>

#include "kmbench/backend.h"
#include "be_baseline.h"

#ifndef KMB_TCMALLOC_LIB
#define KMB_TCMALLOC_LIB ""
#endif

static void (*tc_sized)(void *p, size_t size);
static int (*tc_prop)(const char *name, size_t *value);

static int tcmalloc_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	int err = kmb_baseline_verify("libtcmalloc", why, whylen);

	(void)cfg;
	if (err)
		return err;
	tc_sized = (void (*)(void *, size_t))kmb_baseline_sym("tc_free_sized");
	tc_prop = (int (*)(const char *, size_t *))
		kmb_baseline_sym("MallocExtension_GetNumericProperty");
	if (!tc_sized) {
		snprintf(why, whylen, "libtcmalloc is loaded but has no tc_free_sized");
		return -ENOTSUP;
	}
	return 0;
}

static void tcmalloc_fini(void)
{
}

static void tcmalloc_free(void *p, size_t size)
{
	if (p)
		tc_sized(p, size);
}

static int tcmalloc_stats(const struct kmb_stats_sink *sink)
{
	static const char *const keys[] = { "generic.current_allocated_bytes",
					    "generic.heap_size",
					    "tcmalloc.pageheap_free_bytes" };
	if (!tc_prop)
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t v;

		if (tc_prop(keys[i], &v))
			sink->num(sink->ctx, keys[i], (double)v);
	}
	return 0;
}

/* held: generic.heap_size less the pages given back to the OS
 * (tcmalloc.pageheap_unmapped_bytes); live: generic.current_allocated_bytes. */
static int tcmalloc_usage(struct kmb_backend_usage *u)
{
	size_t heap, unmapped, live;

	if (!tc_prop || !tc_prop("generic.heap_size", &heap) ||
	    !tc_prop("generic.current_allocated_bytes", &live))
		return -ENOTSUP;
	if (!tc_prop("tcmalloc.pageheap_unmapped_bytes", &unmapped))
		unmapped = 0;
	u->held = (long long)(heap - unmapped);
	u->live = (long long)live;
	return 0;
}

static const char *tcmalloc_version(void)
{
	const char *(*tc_version)(int *major, int *minor, const char **patch) =
		(const char *(*)(int *, int *, const char **))kmb_baseline_sym("tc_version");

	int major, minor;
	const char *patch;

	return tc_version ? tc_version(&major, &minor, &patch) : "unknown";
}

static const char *tcmalloc_free_name(void)
{
	return "tc_free_sized";
}

const struct kmb_backend_ops kmb_backend_tcmalloc = {
	.name = "tcmalloc",
	.description = "baseline: gperftools tcmalloc (minimal), preloaded; sized free",
	.caps = KMB_CAP_PRELOAD | KMB_CAP_SIZED_FREE | KMB_CAP_STATS,
	.preload = KMB_TCMALLOC_LIB,
	.init = tcmalloc_init,
	.fini = tcmalloc_fini,
	.alloc = kmb_baseline_alloc,
	.free = tcmalloc_free,
	.stats = tcmalloc_stats,
	.usage = tcmalloc_usage,
	.free_name = tcmalloc_free_name,
	.version = tcmalloc_version,
};
