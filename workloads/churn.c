/*
 * churn.c - fixed-size churn: each thread allocates a batch of objects of one size, then frees
 * them in reverse order (LIFO), again and again.  One iteration is one allocation plus its free,
 * so time per iteration is the cost of a malloc+free pair with @batch objects live.
 *
 * Each object's first byte is written once, so every allocator hands out memory that is really
 * usable (a write faults in fresh pages) without turning the benchmark into a memset.
 *
 * The pointer array comes from mmap, not from the allocator under test, so the measured heap
 * holds only the measured objects.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "workload.h"

static int churn_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		     const struct kmb_workload_params *p)
{
	const size_t n = p->batch, size = p->size;
	size_t bytes = n * sizeof(void *);
	void **objs = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int64_t items = 0;
	int err = 0;

	if (objs == MAP_FAILED) {
		kmb_gb_skip_with_error(st, "churn: cannot map the pointer array");
		return -ENOMEM;
	}
	while (kmb_gb_keep_running_batch(st, (int64_t)n)) {
		size_t i;

		for (i = 0; i < n; i++) {
			char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

			if (__builtin_expect(!obj, 0))
				break;
			*(volatile char *)obj = (char)i;
			objs[i] = obj;
		}
		if (__builtin_expect(i < n, 0)) {
			char msg[96];

			snprintf(msg, sizeof(msg), "churn: %s alloc of %zu bytes returned NULL "
				 "with %zu objects live", b->name, size, i);
			while (i--)
				b->free(objs[i], size);
			kmb_gb_skip_with_error(st, msg);
			err = -ENOMEM;
			break;
		}
		while (i--)
			b->free(objs[i], size);
		items += (int64_t)n;
	}
	kmb_gb_set_items_processed(st, items);
	munmap(objs, bytes);
	return err;
}

const struct kmb_workload kmb_workload_churn = {
	.name = "churn",
	.description = "fixed-size churn: allocate a batch, free it LIFO; one op = alloc+free",
	.params = KMB_P_SIZE | KMB_P_BATCH,
	.run = churn_run,
};
