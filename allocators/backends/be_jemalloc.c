/*
 * be_jemalloc.c - baseline: jemalloc (Debian's libjemalloc2) preloaded as the process's malloc.
 * Frees through sdallocx(), jemalloc's sized free.  Statistics from mallctl("stats.*").
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "kmbench/backend.h"
#include "be_baseline.h"

#ifndef KMB_JEMALLOC_LIB
#define KMB_JEMALLOC_LIB ""
#endif

static void (*je_sdallocx)(void *p, size_t size, int flags);
static int (*je_mallctl)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

static int jemalloc_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	int err = kmb_baseline_verify("libjemalloc", why, whylen);

	(void)cfg;
	if (err)
		return err;
	je_sdallocx = (void (*)(void *, size_t, int))kmb_baseline_sym("sdallocx");
	je_mallctl = (int (*)(const char *, void *, size_t *, void *, size_t))
		kmb_baseline_sym("mallctl");
	if (!je_sdallocx || !je_mallctl) {
		snprintf(why, whylen, "libjemalloc is loaded but has no sdallocx/mallctl");
		return -ENOTSUP;
	}
	return 0;
}

static void jemalloc_fini(void)
{
}

static void jemalloc_free(void *p, size_t size)
{
	if (p)
		je_sdallocx(p, size, 0);
}

static int jemalloc_stats(const struct kmb_stats_sink *sink)
{
	static const char *const keys[] = { "stats.allocated", "stats.active", "stats.resident",
					    "stats.mapped" };
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);

	je_mallctl("epoch", &epoch, &len, &epoch, len);	/* refresh the cached statistics */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t v, vlen = sizeof(v);

		if (je_mallctl(keys[i], &v, &vlen, NULL, 0) == 0)
			sink->num(sink->ctx, keys[i] + 6, (double)v);
	}
	return 0;
}

/* held: stats.resident (physical pages of data and metadata); live: stats.allocated. */
static int jemalloc_usage(struct kmb_backend_usage *u)
{
	uint64_t epoch = 1;
	size_t len = sizeof(epoch), res, all, rlen = sizeof(res), alen = sizeof(all);

	je_mallctl("epoch", &epoch, &len, &epoch, len);	/* refresh the cached statistics */
	if (je_mallctl("stats.resident", &res, &rlen, NULL, 0) ||
	    je_mallctl("stats.allocated", &all, &alen, NULL, 0))
		return -ENOTSUP;	/* a build without --enable-stats */
	u->held = (long long)res;
	u->live = (long long)all;
	return 0;
}

static const char *jemalloc_version(void)
{
	const char *v = NULL;
	size_t len = sizeof(v);

	if (je_mallctl("version", (void *)&v, &len, NULL, 0) || !v)
		return "unknown";
	return v;
}

static const char *jemalloc_free_name(void)
{
	return "sdallocx";
}

const struct kmb_backend_ops kmb_backend_jemalloc = {
	.name = "jemalloc",
	.description = "baseline: jemalloc, preloaded; sized free via sdallocx",
	.caps = KMB_CAP_PRELOAD | KMB_CAP_SIZED_FREE | KMB_CAP_STATS,
	.preload = KMB_JEMALLOC_LIB,
	.init = jemalloc_init,
	.fini = jemalloc_fini,
	.alloc = kmb_baseline_alloc,
	.free = jemalloc_free,
	.stats = jemalloc_stats,
	.usage = jemalloc_usage,
	.free_name = jemalloc_free_name,
	.version = jemalloc_version,
};
