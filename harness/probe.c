/*
 * probe.c - the placement probe (run.h): where the memory a backend hands a benchmark thread
 * lies, checked after the thread's timed loop.
 *
 * The workloads free what they allocate, so the probe allocates a sample of its own, on the
 * same thread, through the same backend, with the same size, flags and (absent) node as the
 * workloads, and under the same memory policy: it gets what the workload's next allocations
 * would have got, often the very objects it freed last.  Up to PROBE_OBJECTS objects and
 * PROBE_BYTES bytes; up to PROBE_PAGES pages of each, spread over the object.  Each sampled
 * page gets a byte written, so that it is present (a fresh page is placed when it is first
 * touched, under the thread's policy), then move_pages(2) reports its node.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "run.h"

#define PROBE_OBJECTS	256
#define PROBE_BYTES	(8UL << 20)
#define PROBE_PAGES	8

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

void kmb_probe_placement(const struct kmb_backend_ops *b, size_t size, uint64_t intended,
			 struct kmb_placement *pl)
{
	uintptr_t psz = (uintptr_t)sysconf(_SC_PAGESIZE);
	size_t want = size ? PROBE_BYTES / size : 0, got = 0, npages = 0, uniq = 0;
	void *objs[PROBE_OBJECTS], *pages[PROBE_OBJECTS * PROBE_PAGES];

	*pl = (struct kmb_placement){ .intended = intended };
	want = want < 1 ? 1 : want > PROBE_OBJECTS ? PROBE_OBJECTS : want;
	for (; got < want; got++) {
		char *p = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
		size_t span, k;

		if (!p)
			break;
		objs[got] = p;
		span = ((uintptr_t)p + size - 1) / psz - (uintptr_t)p / psz + 1;
		k = span < PROBE_PAGES ? span : PROBE_PAGES;
		for (size_t j = 0; j < k; j++) {
			char *q = k == 1 ? p : p + (size - 1) * j / (k - 1);

			*(volatile char *)q = (char)j;
			pages[npages++] = (void *)((uintptr_t)q & ~(psz - 1));
		}
	}
	if (!got) {
		pl->err = -ENOMEM;
		snprintf(pl->why, sizeof(pl->why), "%s returned NULL for the sample of %zu bytes",
			 b->name, size);
		return;
	}
	qsort(pages, npages, sizeof(pages[0]), cmp_ptr);	/* each page once */
	for (size_t i = 0; i < npages; i++)
		if (!uniq || pages[i] != pages[uniq - 1])
			pages[uniq++] = pages[i];
	kmb_placement_check(pl, pages, uniq);
	while (got--)
		b->free(objs[got], size);
}
