/*
 * be_glibc.c - baseline: the C library's own malloc (ptmalloc2 with tcache), as every program
 * that preloads nothing gets it.  Statistics from mallinfo2(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kmbench/backend.h"
#include "be_baseline.h"

static bool sanitizer_malloc;	/* malloc is a sanitizer runtime's: mallinfo2 says nothing */

static int glibc_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	const char *who = kmb_baseline_malloc_provider();

	(void)cfg;
	/* A sanitizer runtime interposes malloc in sanitizer builds; that build measures nothing,
	 * it checks correctness, so it is accepted there. */
	sanitizer_malloc = strstr(who, "libasan") != NULL;
	if (sanitizer_malloc)
		return 0;
	return kmb_baseline_verify("libc.so", why, whylen);
}

static void glibc_fini(void)
{
}

static int glibc_stats(const struct kmb_stats_sink *sink)
{
	struct mallinfo2 mi = mallinfo2();

	sink->num(sink->ctx, "heap_bytes", (double)(mi.arena + mi.hblkhd));
	sink->num(sink->ctx, "in_use_bytes", (double)(mi.uordblks + mi.hblkhd));
	sink->num(sink->ctx, "free_bytes", (double)mi.fordblks);
	return 0;
}

/* held: the arenas' heaps and the chunks mmapped alone; live: their chunks in use.  A chunk in
 * a thread's tcache counts as in use (tcache chunks keep their in-use bit), as mallinfo2 says.
 * -ENOTSUP under a sanitizer's malloc, whose mallinfo2 is all zeros. */
static int glibc_usage(struct kmb_backend_usage *u)
{
	struct mallinfo2 mi;

	if (sanitizer_malloc)
		return -ENOTSUP;
	mi = mallinfo2();
	u->held = (long long)(mi.arena + mi.hblkhd);
	u->live = (long long)(mi.uordblks + mi.hblkhd);
	return 0;
}

const struct kmb_backend_ops kmb_backend_glibc = {
	.version = gnu_get_libc_version,
	.name = "glibc",
	.description = "baseline: glibc malloc (ptmalloc2 + tcache), the process's own",
	.caps = KMB_CAP_STATS,
	.init = glibc_init,
	.fini = glibc_fini,
	.alloc = kmb_baseline_alloc,
	.free = kmb_baseline_free,
	.stats = glibc_stats,
	.usage = glibc_usage,
};
