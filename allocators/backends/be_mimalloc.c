/*
 * be_mimalloc.c - baseline: mimalloc (Debian's libmimalloc2.0) preloaded as the process's malloc.
 * Frees through mi_free_size().  Statistics from mi_process_info().
 */
#include <errno.h>
#include <stdio.h>

#include "kmbench/backend.h"
#include "be_baseline.h"

#ifndef KMB_MIMALLOC_LIB
#define KMB_MIMALLOC_LIB ""
#endif

static void (*mi_sized)(void *p, size_t size);
static void (*mi_info)(size_t *elapsed_ms, size_t *user_ms, size_t *sys_ms, size_t *rss,
		       size_t *peak_rss, size_t *commit, size_t *peak_commit, size_t *faults);

static int mimalloc_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	int err = kmb_baseline_verify("libmimalloc", why, whylen);

	(void)cfg;
	if (err)
		return err;
	mi_sized = (void (*)(void *, size_t))kmb_baseline_sym("mi_free_size");
	mi_info = (void (*)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
			    size_t *))kmb_baseline_sym("mi_process_info");
	if (!mi_sized) {
		snprintf(why, whylen, "libmimalloc is loaded but has no mi_free_size");
		return -ENOTSUP;
	}
	return 0;
}

static void mimalloc_fini(void)
{
}

static void mimalloc_free(void *p, size_t size)
{
	if (p)
		mi_sized(p, size);
}

static int mimalloc_stats(const struct kmb_stats_sink *sink)
{
	size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;

	if (!mi_info)
		return -ENOTSUP;
	mi_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
	sink->num(sink->ctx, "committed_bytes", (double)commit);
	sink->num(sink->ctx, "peak_committed_bytes", (double)peak_commit);
	return 0;
}

/* held: the committed bytes (mi_process_info); live: unknown, mimalloc counts allocated bytes
 * only in a build with statistics (MI_STAT), which Debian's is not. */
static int mimalloc_usage(struct kmb_backend_usage *u)
{
	size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;

	if (!mi_info)
		return -ENOTSUP;
	mi_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
	u->held = (long long)commit;
	u->live = -1;
	return 0;
}

static const char *mimalloc_version(void)
{
	static char buf[32];
	int (*mi_version)(void) = (int (*)(void))kmb_baseline_sym("mi_version");
	int v = mi_version ? mi_version() : 0;

	snprintf(buf, sizeof(buf), "%d.%d.%d", v / 100, v / 10 % 10, v % 10);	/* 209 = 2.0.9 */
	return buf;
}

static const char *mimalloc_free_name(void)
{
	return "mi_free_size";
}

const struct kmb_backend_ops kmb_backend_mimalloc = {
	.name = "mimalloc",
	.description = "baseline: mimalloc, preloaded; sized free via mi_free_size",
	.caps = KMB_CAP_PRELOAD | KMB_CAP_SIZED_FREE | KMB_CAP_STATS,
	.preload = KMB_MIMALLOC_LIB,
	.init = mimalloc_init,
	.fini = mimalloc_fini,
	.alloc = kmb_baseline_alloc,
	.free = mimalloc_free,
	.stats = mimalloc_stats,
	.usage = mimalloc_usage,
	.free_name = mimalloc_free_name,
	.version = mimalloc_version,
};
