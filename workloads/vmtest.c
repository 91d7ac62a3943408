/*
 * vmtest.c - the allocation patterns of the kernel's vmalloc stress test (lib/test_vmalloc.c,
 * Uladzislau Rezki), as workloads: each of its test functions' loop bodies is one op, every
 * benchmark thread runs its own loop as the kernel's worker kthreads do, and the setup the kernel
 * does before its loop is done before the clock starts.  They run on any backend (the sizes are
 * whole pages); the point is the vmalloc backend, whose window allocator they stress.
 *
 *   vmtest-fix-size     fix_size_alloc_test: alloc @size (the kernel: nr_pages pages, default
 *                       1), write the first byte, free.
 *   vmtest-full-fit     full_fit_alloc_test: @batch pairs of one-page areas, then every second
 *                       one freed, leaving one-page holes; one op = a one-page alloc that fits a
 *                       hole exactly, a write, a free.  The kernel's @batch is
 *                       fls(num_online_cpus()) * 8192 per thread.  (@batch is capped to fit
 *                       the mapping limit: vt_areas.)
 *   vmtest-long-busy    long_busy_list_alloc_test: @batch one-page areas held (the kernel:
 *                       15000), then one op = a 100-page and a one-page alloc, a write to each,
 *                       both freed: allocation with a long list of busy areas.
 *   vmtest-random-size  random_size_alloc_test: alloc 1..100 pages (uniform), write the first
 *                       byte, free.
 *
 * The kernel allocates its pointer arrays with vmalloc; here they come from mmap, so that the
 * measured allocator holds only the measured areas.  The size of every op is recorded so the
 * frees give back what was asked (sized backends need it).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "workload.h"

#define VT_PAGE 4096UL

static int vt_fail(struct kmb_gb_state *st, const struct kmb_backend_ops *b, const char *wl,
		   size_t size, size_t live)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s alloc of %zu bytes returned NULL with %zu areas held",
		 wl, b->name, size, live);
	kmb_gb_skip_with_error(st, msg);
	return -ENOMEM;
}

/*
 * vt_areas - how many areas a thread may hold: @want (--batch), capped so that every thread's
 * areas fit the process's mapping limit.  An area of the vmalloc backend costs two VMAs (its
 * mapping and the reserved gap after it) and the kernel refuses mmap() past vm.max_map_count
 * (65530 by default); half of the limit is left to everything else.  Every backend gets the
 * same cap, so their rows compare; the number held is the row's areas_held counter.
 */
static size_t vt_areas(struct kmb_gb_state *st, size_t want, unsigned int areas_per_item)
{
	unsigned long max_map = 65530;
	size_t cap;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	if (f) {
		if (fscanf(f, "%lu", &max_map) != 1)
			max_map = 65530;
		fclose(f);
	}
	cap = max_map / 2 / 2 / areas_per_item / (size_t)kmb_gb_threads(st);
	return want < cap ? want : cap;
}

static void **vt_array(struct kmb_gb_state *st, const char *wl, size_t n)
{
	void **a = mmap(NULL, n * sizeof(void *), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED) {
		char msg[96];

		snprintf(msg, sizeof(msg), "%s: cannot map a pointer array of %zu entries", wl, n);
		kmb_gb_skip_with_error(st, msg);
		return NULL;
	}
	return a;
}

static int fix_size_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			const struct kmb_workload_params *p)
{
	const size_t size = p->size;
	int64_t items = 0;

	while (kmb_gb_keep_running_batch(st, 1)) {
		char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!obj, 0))
			return vt_fail(st, b, "vmtest-fix-size", size, 0);
		*(volatile char *)obj = 0;
		b->free(obj, size);
		items++;
	}
	kmb_gb_set_items_processed(st, items);
	return 0;
}

static void free_all(const struct kmb_backend_ops *b, void **a, size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			b->free(a[i], size);
}

static int full_fit_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			const struct kmb_workload_params *p)
{
	const size_t n = vt_areas(st, p->batch, 2);
	void **ptr = vt_array(st, "vmtest-full-fit", 2 * n), **junk = ptr ? ptr + n : NULL;
	int64_t items = 0;
	int err = 0;

	if (!ptr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ptr[i] = b->alloc(VT_PAGE, GFP_KERNEL, NUMA_NO_NODE);
		junk[i] = ptr[i] ? b->alloc(VT_PAGE, GFP_KERNEL, NUMA_NO_NODE) : NULL;
		if (!junk[i]) {
			err = vt_fail(st, b, "vmtest-full-fit", VT_PAGE, 2 * i);
			goto out;
		}
	}
	free_all(b, junk, n, VT_PAGE);
	for (size_t i = 0; i < n; i++)
		junk[i] = NULL;
	while (kmb_gb_keep_running_batch(st, 1)) {
		char *tmp = b->alloc(VT_PAGE, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!tmp, 0)) {
			err = vt_fail(st, b, "vmtest-full-fit", VT_PAGE, n);
			break;
		}
		*(volatile char *)tmp = 1;
		b->free(tmp, VT_PAGE);
		items++;
	}
out:
	free_all(b, ptr, 2 * n, VT_PAGE);
	munmap(ptr, 2 * n * sizeof(void *));
	kmb_gb_set_items_processed(st, items);
	kmb_gb_set_counter(st, "areas_held", (double)n, KMB_GB_CTR_AVG_THREADS);
	return err;
}

static int long_busy_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			 const struct kmb_workload_params *p)
{
	const size_t n = vt_areas(st, p->batch, 1), big = 100 * VT_PAGE;
	void **ptr = vt_array(st, "vmtest-long-busy", n);
	int64_t items = 0;
	int err = 0;

	if (!ptr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ptr[i] = b->alloc(VT_PAGE, GFP_KERNEL, NUMA_NO_NODE);
		if (!ptr[i]) {
			err = vt_fail(st, b, "vmtest-long-busy", VT_PAGE, i);
			goto out;
		}
	}
	while (kmb_gb_keep_running_batch(st, 1)) {
		char *p1 = b->alloc(big, GFP_KERNEL, NUMA_NO_NODE), *p2;

		if (__builtin_expect(!p1, 0)) {
			err = vt_fail(st, b, "vmtest-long-busy", big, n);
			break;
		}
		p2 = b->alloc(VT_PAGE, GFP_KERNEL, NUMA_NO_NODE);
		if (__builtin_expect(!p2, 0)) {
			b->free(p1, big);
			err = vt_fail(st, b, "vmtest-long-busy", VT_PAGE, n + 1);
			break;
		}
		*(volatile char *)p1 = 0;
		*(volatile char *)p2 = 1;
		b->free(p1, big);
		b->free(p2, VT_PAGE);
		items++;
	}
out:
	free_all(b, ptr, n, VT_PAGE);
	munmap(ptr, n * sizeof(void *));
	kmb_gb_set_items_processed(st, items);
	kmb_gb_set_counter(st, "areas_held", (double)n, KMB_GB_CTR_AVG_THREADS);
	return err;
}

static int random_size_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			   const struct kmb_workload_params *p)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(kmb_gb_thread_index(st) + 1) * 0x2545f491;
	int64_t items = 0;
	double pages = 0;

	(void)p;
	if (b->caps & KMB_CAP_SIZE_CACHES) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s: not suited to %s, which builds a cache per size: 100 "
			 "sizes of up to 400 KiB would each keep slabs of their own (kmalloc serves "
			 "them)", "vmtest-random-size", b->name);
		kmb_gb_skip_with_error(st, msg);
		return -EINVAL;
	}
	while (kmb_gb_keep_running_batch(st, 1)) {
		size_t size = (kmb_xorshift(&seed) % 100 + 1) * VT_PAGE;
		char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!obj, 0))
			return vt_fail(st, b, "vmtest-random-size", size, 0);
		*(volatile char *)obj = 1;
		b->free(obj, size);
		pages += (double)(size / VT_PAGE);
		items++;
	}
	kmb_gb_set_items_processed(st, items);
	kmb_gb_set_counter(st, "pages_per_op", items ? pages / (double)items : 0,
			   KMB_GB_CTR_AVG_THREADS);
	return 0;
}

const struct kmb_workload kmb_workload_vmtest_fix_size = {
	.name = "vmtest-fix-size",
	.description = "lib/test_vmalloc.c fix_size_alloc_test: alloc, write a byte, free",
	.params = KMB_P_SIZE,
	.run = fix_size_run,
};

const struct kmb_workload kmb_workload_vmtest_full_fit = {
	.name = "vmtest-full-fit",
	.description = "lib/test_vmalloc.c full_fit_alloc_test: one-page allocs into one-page holes "
		       "(--batch holes)",
	.params = KMB_P_BATCH,
	.run = full_fit_run,
};

const struct kmb_workload kmb_workload_vmtest_long_busy = {
	.name = "vmtest-long-busy",
	.description = "lib/test_vmalloc.c long_busy_list_alloc_test: 100+1 pages with --batch "
		       "one-page areas held",
	.params = KMB_P_BATCH,
	.run = long_busy_run,
};

const struct kmb_workload kmb_workload_vmtest_random_size = {
	.name = "vmtest-random-size",
	.description = "lib/test_vmalloc.c random_size_alloc_test: 1..100 pages, write, free",
	.params = 0,
	.run = random_size_run,
};
