/*
 * wl_lines.h - what the false-sharing workloads (false_share_passive.c, false_share_active.c)
 * share: the timed loop that writes one small object and replaces it, and the count of cache
 * lines that objects of different threads share.
 *
 * One iteration is one write pass: an increment (load, add, store) of every 8-byte word of the
 * object (every byte of what is left below a word), volatile so that the compiler keeps every
 * access.  A thread writes its object WL_LINES_PASSES times, frees it and allocates another
 * of the same size (the shape of Hoard's and mimalloc-bench's cache-scratch and cache-thrash),
 * so the time per iteration is the cost of writing the object once, with the allocator's pair
 * amortised over WL_LINES_PASSES passes.  When two threads' objects share a line, every pass takes the line
 * from the other thread: the time per pass grows by a cache-to-cache transfer.
 *
 * After the timed loop each thread publishes the object it holds, and thread 0 counts the
 * lines that hold bytes of objects of two threads or more (wl_lines_shared): the allocator's
 * layout, read from the addresses, next to the time it costs.  Thread 0 alone sets the
 * counters, so Google Benchmark's sum over threads is its value.
 *
 * The state is static: Google Benchmark runs one run at a time, and every thread of a run
 * reaches every barrier, failures included.
 */
#ifndef KMB_WL_LINES_H
#define KMB_WL_LINES_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wl_sync.h"
#include "workload.h"

#define WL_LINE 64		/* the L1 line that SLAB_HWCACHE_ALIGN aligns to */
#define WL_LINES_PASSES 256	/* write passes per object, between its allocation and free */
#define WL_LINES_MAX_THREADS 1024	/* KMB_MAX_THREADS */

/* One run's objects, by thread index. */
struct wl_lines {
	struct wl_barrier barrier;
	void *obj[WL_LINES_MAX_THREADS];
};

#define WL_LINES_INIT { WL_BARRIER_INIT, { NULL } }

/*
 * One write pass over @obj's @size bytes: an increment of every word while aligned, then of
 * every byte.  A load, an add and a store each (volatile: the compiler keeps them all), as
 * cache-scratch writes a byte and reads it back: stores alone would wait in the store buffer
 * and commit in bursts whenever the line came by, hiding most of the sharing.
 */
static inline void wl_lines_write(void *obj, size_t size)
{
	size_t words = ((uintptr_t)obj & 7) ? 0 : size / 8;

	for (size_t i = 0; i < words; i++)
		((volatile uint64_t *)obj)[i] += 1;
	for (size_t i = words * 8; i < size; i++)
		((volatile unsigned char *)obj)[i] += 1;
}

/*
 * wl_lines_loop - the timed loop: write @obj WL_LINES_PASSES times, free it, allocate the next,
 * until Google Benchmark ends it.  Returns the object held at the end (NULL after a failed
 * allocation, with the run failed and *err set); *items counts the passes.
 */
static inline void *wl_lines_loop(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
				  size_t size, void *obj, const char *name, int64_t *items,
				  int *err)
{
	/* After a failure the next call ends the loop (every thread keeps calling it). */
	while (kmb_gb_keep_running_batch(st, WL_LINES_PASSES)) {
		for (int i = 0; i < WL_LINES_PASSES; i++)
			wl_lines_write(obj, size);
		b->free(obj, size);
		obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
		if (__builtin_expect(!obj, 0)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "%s: %s alloc of %zu bytes returned NULL", name,
				 b->name, size);
			kmb_gb_skip_with_error(st, msg);
			*err = -ENOMEM;
		} else {
			*items += WL_LINES_PASSES;
		}
	}
	return obj;
}

struct wl_lines_ref {
	uintptr_t line;
	int tid;
};

static inline int wl_lines_cmp(const void *a, const void *b)
{
	const struct wl_lines_ref *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/*
 * wl_lines_shared - of the WL_LINE-byte lines that @n objects of @size bytes at @obj (thread
 * i's at obj[i]; NULL: none) touch, how many hold bytes of two threads' objects or more.  Only
 * an object's first and last line can hold another object's bytes (objects do not overlap).
 * Untimed; -1 when the scratch array cannot be had.
 */
static inline int wl_lines_shared(void *const *obj, int n, size_t size)
{
	struct wl_lines_ref *r = malloc(2 * (size_t)n * sizeof(*r) + 1);
	int nr = 0, shared = 0;

	if (!r)
		return -1;
	for (int i = 0; i < n; i++) {
		uintptr_t first, last;

		if (!obj[i])
			continue;
		first = (uintptr_t)obj[i] / WL_LINE;
		last = ((uintptr_t)obj[i] + size - 1) / WL_LINE;
		r[nr++] = (struct wl_lines_ref){ first, i };
		if (last != first)
			r[nr++] = (struct wl_lines_ref){ last, i };
	}
	qsort(r, (size_t)nr, sizeof(*r), wl_lines_cmp);
	for (int i = 0; i < nr;) {
		int j = i + 1, threads = 1;

		for (; j < nr && r[j].line == r[i].line; j++)
			threads += r[j].tid != r[j - 1].tid;
		shared += threads > 1;
		i = j;
	}
	free(r);
	return shared;
}

/*
 * wl_lines_publish - after the timed loop, on every thread: publish @obj, the object it holds;
 * thread 0 then sets the counter @counter to the lines the run's objects share.  Every thread
 * returns once thread 0 has counted; the objects are still the threads' to free.
 */
static inline void wl_lines_publish(struct wl_lines *l, struct kmb_gb_state *st, size_t size,
				    void *obj, const char *counter)
{
	const int tid = kmb_gb_thread_index(st), n = kmb_gb_threads(st);

	l->obj[tid] = obj;
	wl_barrier_wait(&l->barrier, n);
	if (tid == 0)
		kmb_gb_set_counter(st, counter, wl_lines_shared(l->obj, n, size),
				   KMB_GB_CTR_DEFAULT);
	wl_barrier_wait(&l->barrier, n);
}

#endif
