/*
 * vm_access.c - what an allocation costs before, at and after its first use, for comparing
 * allocators that map memory differently (issue 6: vmalloc against kmalloc against
 * __get_free_pages, 4 KiB to 4 MiB).  Three workloads, one allocation of @size bytes each:
 *
 *   untouched    one op = alloc + free, the memory never touched: the allocator's own work
 *                (for vmalloc: frames from the buddy allocator, a window range, the mmap()
 *                calls that map and unmap them).
 *   first-touch  one op = alloc + a write to every 4 KiB page + free: adds the first-touch cost,
 *                page faults included (the perf layer counts them per op: a linear-map address
 *                whose frame was touched before does not fault again; a fresh vmalloc mapping
 *                faults once per page).
 *   access       one allocation made and written before the clock starts; one op = one
 *                streaming read of all of it (8-byte loads): the cost of using memory mapped
 *                one way or the other.  bytes_per_second is the read bandwidth.
 *
 * Pointer bookkeeping is on the stack; nothing but the measured object comes from the
 * allocator under test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

#define TOUCH_STRIDE 4096

static int fail_alloc(struct kmb_gb_state *st, const struct kmb_backend_ops *b, const char *wl,
		      size_t size)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%s: %s alloc of %zu bytes returned NULL", wl, b->name, size);
	kmb_gb_skip_with_error(st, msg);
	return -ENOMEM;
}

static int untouched_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			 const struct kmb_workload_params *p)
{
	const size_t size = p->size;
	int64_t items = 0;

	while (kmb_gb_keep_running_batch(st, 1)) {
		void *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!obj, 0))
			return fail_alloc(st, b, "untouched", size);
		/* Keep the compiler from pairing the two calls away (it cannot; they are
		 * calls through pointers, but say so). */
		__asm__ volatile("" : : "r"(obj) : "memory");
		b->free(obj, size);
		items++;
	}
	kmb_gb_set_items_processed(st, items);
	return 0;
}

static int first_touch_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			   const struct kmb_workload_params *p)
{
	const size_t size = p->size;
	int64_t items = 0;

	while (kmb_gb_keep_running_batch(st, 1)) {
		char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!obj, 0))
			return fail_alloc(st, b, "first-touch", size);
		for (size_t off = 0; off < size; off += TOUCH_STRIDE)
			((volatile char *)obj)[off] = 1;
		b->free(obj, size);
		items++;
	}
	kmb_gb_set_items_processed(st, items);
	kmb_gb_set_counter(st, "pages_touched", (double)((size + TOUCH_STRIDE - 1) / TOUCH_STRIDE),
			   KMB_GB_CTR_AVG_THREADS);
	return 0;
}

/* One streaming read: sum of 8-byte words, four accumulators so loads overlap. */
static uint64_t read_pass(const uint64_t *w, size_t n)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += w[i];
		s1 += w[i + 1];
		s2 += w[i + 2];
		s3 += w[i + 3];
	}
	for (; i < n; i++)
		s0 += w[i];
	return s0 + s1 + s2 + s3;
}

static int access_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		      const struct kmb_workload_params *p)
{
	const size_t size = p->size, words = size / sizeof(uint64_t);
	uint64_t *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
	uint64_t sum = 0, expect;
	int64_t passes = 0;

	if (!obj)
		return fail_alloc(st, b, "access", size);
	if (!words) {
		b->free(obj, size);
		kmb_gb_skip_with_error(st, "access: the size must be at least 8 bytes");
		return -EINVAL;
	}
	for (size_t i = 0; i < words; i++)
		obj[i] = i;
	expect = read_pass(obj, words);
	while (kmb_gb_keep_running_batch(st, 1)) {
		sum = read_pass(obj, words);
		__asm__ volatile("" : "+r"(sum) : : "memory");
		passes++;
	}
	/* The memory must still hold what was written: a mapping that lost it is a bug, not a
	 * fast result. */
	if (passes && sum != expect) {
		b->free(obj, size);
		kmb_gb_skip_with_error(st, "access: the memory read back differs from what was "
				       "written");
		return -EIO;
	}
	b->free(obj, size);
	kmb_gb_set_items_processed(st, passes);
	kmb_gb_set_counter(st, "bytes_per_second", (double)passes * (double)(words * 8),
			   KMB_GB_CTR_RATE);
	return 0;
}

const struct kmb_workload kmb_workload_untouched = {
	.name = "untouched",
	.description = "alloc+free of one object, never touched: the allocator's own cost",
	.params = KMB_P_SIZE,
	.run = untouched_run,
};

const struct kmb_workload kmb_workload_first_touch = {
	.name = "first-touch",
	.description = "alloc, write every 4 KiB page, free: first-touch cost, faults per op",
	.params = KMB_P_SIZE,
	.run = first_touch_run,
};

const struct kmb_workload kmb_workload_access = {
	.name = "access",
	.description = "one object written before timing; one op = one streaming read of it",
	.params = KMB_P_SIZE,
	.run = access_run,
};
