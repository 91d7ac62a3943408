/*
 * debug.c - the end of every report of the allocator layers: failed assertions (config.h)
 * and misuse, under one policy for every layer.
 *
 * Misuse is a caller's error that a layer detects and survives: a bad or double free of
 * pages, a bad vfree or kunmap, a slab object's red zone or poison overwritten, a double
 * kfree, a free_percpu of no per-CPU allocation.  The layer writes its report (kmb_report
 * lines, in the kernel's shape: bad_page(), slab_err(), "Trying to vfree() nonexistent vm
 * area"), then calls kmb_misuse_end(), which counts it for the layer and applies the policy of
 * kmb_mm_config.debug: stop the process (abort, the kernel's BUG) or report what was done
 * instead and go on.  The default (debug 0) is the same for every layer: stop in builds with
 * KMB_DEBUG, where a misuse is a bug of the program under test, and go on in Release, as the
 * kernel goes on after bad_page(), slab_err() ("FIX ...") and vfree's WARN (mm/page_alloc.c,
 * mm/slub.c, mm/vmalloc.c), so that a benchmark run is not lost to one report.
 *
 * A failed assertion is not misuse: an invariant of the allocator's own state broke, and
 * nothing after it can be trusted.  It is reported and always stops (mimalloc's
 * _mi_assert_fail).
 *
 * The counts are atomics; the policy is written by the page layer's setup, before any other
 * thread uses the library, and read without a lock.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "lib.h"

static int misuse_policy;
static atomic_ulong misuse_count[KMB_NR_LAYERS];

int kmb_debug_level(void)
{
	return KMB_DEBUG;
}

int kmb_stat_level(void)
{
	return KMB_STAT;
}

void kmb_assert_fail(const char *expr, const char *file, int line, const char *func)
{
	kmb_report("BUG: assertion failed: %s", expr);
	kmb_report("at %s:%d in %s() (KMB_DEBUG %d)", file, line, func, KMB_DEBUG);
	fflush(stderr);
	abort();
}

void kmb_misuse_set_policy(int debug)
{
	misuse_policy = debug;
}

bool kmb_misuse_stops(enum kmb_layer layer)
{
	if (misuse_policy)
		return misuse_policy > 0;
	(void)layer;	/* one policy: the same answer for every layer */
	return KMB_DEBUG;
}

void kmb_misuse_end(enum kmb_layer layer, const char *outcome)
{
	atomic_fetch_add_explicit(&misuse_count[layer], 1, memory_order_relaxed);
	if (kmb_misuse_stops(layer)) {
		kmb_report("stopping on misuse (debug policy; kmb_mm_config.debug = -1 reports and "
			   "goes on)");
		fflush(stderr);
		abort();
	}
	if (outcome)
		kmb_report("%s", outcome);
}

void kmb_misuse_fatal(enum kmb_layer layer, const char *why)
{
	atomic_fetch_add_explicit(&misuse_count[layer], 1, memory_order_relaxed);
	kmb_report("stopping: %s", why);
	fflush(stderr);
	abort();
}

void kmb_misuse_reset(enum kmb_layer layer)
{
	atomic_store_explicit(&misuse_count[layer], 0, memory_order_relaxed);
}

unsigned long kmb_misuse_count(enum kmb_layer layer)
{
	return (unsigned)layer < KMB_NR_LAYERS ?
	       atomic_load_explicit(&misuse_count[layer], memory_order_relaxed) : 0;
}
