/*
 * wl_freed.h - every object allocated is freed: the check that larson and prodcons run after
 * every run, on counts of their own (each allocation that returned an object, each free),
 * and the test hook that plants a leak so the tests can show that the check fails.
 *
 * Invariant checked: after a run's teardown, allocations == frees, all threads together.  A
 * run where they differ fails (Google Benchmark's error_message, and a line on stderr) with
 * both numbers.
 */
#ifndef KMB_WL_FREED_H
#define KMB_WL_FREED_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gbench.h"

/* The test hook (tests/cli/server.sh): with KMB_TEST_LEAK=1 in its environment, a workload
 * that checks its frees leaves one object unfreed in every run, so the check must fail. */
#define WL_LEAK_ENV "KMB_TEST_LEAK"

static inline bool wl_leak_planted(void)
{
	const char *e = getenv(WL_LEAK_ENV);

	return e && e[0] == '1' && !e[1];
}

/*
 * wl_check_freed - on one thread, after every thread's last free: 0 when @allocs == @frees;
 * else -EIO, the run failed with a message naming workload @name and both counts.
 */
static inline int wl_check_freed(struct kmb_gb_state *st, const char *name, uint64_t allocs,
				 uint64_t frees)
{
	char msg[160];

	if (allocs == frees)
		return 0;
	snprintf(msg, sizeof(msg), "%s: %" PRIu64 " objects allocated, %" PRIu64 " freed", name,
		 allocs, frees);
	fprintf(stderr, "kmbench: %s\n", msg);
	kmb_gb_skip_with_error(st, msg);
	return -EIO;
}

#endif
