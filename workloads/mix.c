/*
 * mix.c - memory efficiency under a kernel-like size mix.
 *
 * Each thread builds a live set of @batch objects whose sizes are drawn from the fixed
 * distribution below, writing every byte of each (memset), then replaces random objects: one
 * iteration frees one live object and allocates one of a new random size in its place (also
 * written whole).  The sizes come from a per-thread xorshift generator seeded by the thread
 * index, so a run is reproducible for a given thread count.  --sizes does not apply (the
 * distribution is fixed; names carry only the batch).
 *
 * Memory efficiency: around building the live sets (untimed, before the first iteration), thread
 * 0 reads the process's resident memory (/proc/self/statm: resident pages x page size), with
 * every thread's setup done before the first reading and every live set built before the
 * second.  Counters, set by thread 0 only, so with Google Benchmark's default flag (a sum over
 * threads, where the other threads add nothing) they are the process's figures; the averaging
 * flag would divide them by the thread count:
 *   requested_bytes           bytes the live sets asked for, all threads together;
 *   rss_delta_bytes           growth of the resident memory while they were built;
 *   bytes_per_requested_byte  rss_delta_bytes / requested_bytes: 1 is perfect, above 1 is the
 *                             allocator's rounding, headers, partly used slabs or pages, and
 *                             metadata (Bonwick reports 11-14% fragmentation for the slab
 *                             allocator under a real kernel's load: 1.11-1.14).
 *
 * Reading the figures honestly:
 *   - Resident memory counts every page the process touched, whoever touched it.  The
 *     kernel-style backends' memory is a memfd (shmem) mapped into the process: its pages
 *     count as resident once touched, exactly like malloc's heap, and so do their struct page
 *     array and cache descriptors when first written; glibc's and jemalloc's metadata counts
 *     the same way.
 *   - Only pages touched for the first time make it grow.  Memory a backend kept from earlier
 *     work in the same process (a previous family, an earlier workload: each backend's child
 *     runs the workloads in the order given) is reused without growth, so the figure is only
 *     clean for the first mix family of a process: run mix alone, first, with one thread count
 *     for the cleanest reading.  Within a family, the measurement is taken once, on its first
 *     run (Google Benchmark's first calibration run), and later runs (more calibration, the
 *     repetitions) report that figure: they would rebuild into the memory the first one freed.
 *   - Page granularity: @batch should make the live set many pages (the default mix averages
 *     about 240 bytes an object; --batch=1000 is about 60 pages a thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wl_sync.h"
#include "workload.h"

#define STEPS_PER_BATCH	256	/* replacements per keep-running call */

/*
 * The size mix, by object count (weights per thousand).  Hand-picked to resemble the object
 * counts of /proc/slabinfo on a busy Linux server: many small kmalloc objects, dentries and
 * buffer heads, fewer large ones.  It is not measured from one machine; the sizes are the
 * x86-64 object sizes of the caches named.
 */
static const struct {
	unsigned short size, weight;
} mix_table[] = {
	{ 24, 40 },	/* short strings, tiny structs (served by kmalloc-32) */
	{ 32, 100 },	/* kmalloc-32 */
	{ 40, 40 },	/* ext4_extent_status */
	{ 64, 160 },	/* kmalloc-64, anon_vma_chain */
	{ 72, 40 },	/* Acpi-Operand */
	{ 96, 60 },	/* kmalloc-96 */
	{ 104, 100 },	/* buffer_head */
	{ 128, 60 },	/* kmalloc-128, kernfs_node_cache */
	{ 192, 130 },	/* dentry, kmalloc-192 */
	{ 200, 40 },	/* vm_area_struct */
	{ 256, 80 },	/* filp, skbuff_head_cache (a 232-byte sk_buff), kmalloc-256 */
	{ 512, 40 },	/* kmalloc-512 */
	{ 576, 40 },	/* radix_tree_node */
	{ 1024, 40 },	/* kmalloc-1k: inode-sized objects */
	{ 2048, 30 },	/* kmalloc-2k: network buffers */
};
#define MIX_TOTAL 1000	/* the sum of the weights */

static unsigned short size_of_draw[MIX_TOTAL];	/* draw (0..MIX_TOTAL-1) -> size */
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
	size_t k = 0;

	for (size_t i = 0; i < sizeof(mix_table) / sizeof(mix_table[0]); i++)
		for (unsigned int w = 0; w < mix_table[i].weight && k < MIX_TOTAL; w++)
			size_of_draw[k++] = mix_table[i].size;
	while (k < MIX_TOTAL)	/* weights summing short of MIX_TOTAL: the largest size */
		size_of_draw[k++] = mix_table[sizeof(mix_table) / sizeof(mix_table[0]) - 1].size;
}

struct live {
	void *p;
	size_t size;
};

static inline size_t draw_size(uint64_t *rng)
{
	return size_of_draw[(kmb_xorshift(rng) >> 11) % MIX_TOTAL];
}

/* Resident bytes of the process (/proc/self/statm), without allocating; 0 when unreadable. */
static size_t rss_bytes(void)
{
	char buf[128];
	unsigned long size, resident;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
		return 0;
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

static struct wl_barrier barrier = WL_BARRIER_INIT;
static atomic_size_t requested_total;	/* bytes the live sets asked for */
static atomic_bool build_failed;

/* Thread 0's measurement, kept for the family's later runs (see the comment at the top). */
static struct {
	const struct kmb_backend_ops *b;
	const struct kmb_workload_params *p;
	int nthreads;
	double requested, delta;
} measured;

static void free_all(const struct kmb_backend_ops *b, struct live *objs, size_t n)
{
	while (n--)
		b->free(objs[n].p, objs[n].size);
}

static int mix_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		   const struct kmb_workload_params *prm)
{
	const size_t n = prm->batch;
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	size_t bytes = n * sizeof(struct live), built = 0, requested = 0, rss0 = 0;
	struct live *objs = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(tid + 1);
	bool measure = false;
	int64_t steps = 0;
	int err = 0;
	char msg[128];

	pthread_once(&table_once, build_table);
	if (objs != MAP_FAILED)
		memset(objs, 0, bytes);		/* resident before the first reading */
	if (tid == 0) {
		measure = !(measured.b == b && measured.p == prm && measured.nthreads == nthreads);
		atomic_store(&requested_total, 0);
		atomic_store(&build_failed, false);
	}
	wl_barrier_wait(&barrier, nthreads);	/* every thread's setup done */
	if (measure)
		rss0 = rss_bytes();
	wl_barrier_wait(&barrier, nthreads);
	if (objs == MAP_FAILED) {
		snprintf(msg, sizeof(msg), "mix: cannot map the object array");
		objs = NULL;
		err = -ENOMEM;
	}
	for (; !err && built < n; built++) {
		size_t sz = draw_size(&rng);
		void *p = b->alloc(sz, GFP_KERNEL, NUMA_NO_NODE);

		if (__builtin_expect(!p, 0)) {
			snprintf(msg, sizeof(msg), "mix: %s alloc of %zu bytes returned NULL while "
				 "building the live set (%zu objects)", b->name, sz, built);
			err = -ENOMEM;
			break;
		}
		memset(p, (int)(built & 0xff), sz);
		objs[built] = (struct live){ p, sz };
		requested += sz;
	}
	atomic_fetch_add(&requested_total, requested);
	if (err)
		atomic_store(&build_failed, true);
	wl_barrier_wait(&barrier, nthreads);	/* every live set built */
	if (measure && !atomic_load(&build_failed)) {
		size_t rss1 = rss_bytes();

		measured.b = b;
		measured.p = prm;
		measured.nthreads = nthreads;
		measured.requested = (double)atomic_load(&requested_total);
		measured.delta = rss1 > rss0 ? (double)(rss1 - rss0) : 0;
	}
	if (err)
		kmb_gb_skip_with_error(st, msg);

	while (!err && kmb_gb_keep_running_batch(st, STEPS_PER_BATCH)) {
		for (int i = 0; i < STEPS_PER_BATCH; i++) {
			size_t j = (size_t)(kmb_xorshift(&rng) >> 11) % n, sz = draw_size(&rng);
			void *p;

			b->free(objs[j].p, objs[j].size);
			p = b->alloc(sz, GFP_KERNEL, NUMA_NO_NODE);
			if (__builtin_expect(!p, 0)) {
				snprintf(msg, sizeof(msg), "mix: %s alloc of %zu bytes returned "
					 "NULL with %zu objects live", b->name, sz, n - 1);
				objs[j] = objs[--built];
				kmb_gb_skip_with_error(st, msg);
				err = -ENOMEM;
				break;
			}
			memset(p, (int)(j & 0xff), sz);
			objs[j] = (struct live){ p, sz };
		}
		if (!err)
			steps += STEPS_PER_BATCH;
	}
	kmb_gb_set_items_processed(st, steps);
	if (tid == 0 && measured.b == b && measured.p == prm && measured.nthreads == nthreads) {
		kmb_gb_set_counter(st, "requested_bytes", measured.requested, KMB_GB_CTR_DEFAULT);
		kmb_gb_set_counter(st, "rss_delta_bytes", measured.delta, KMB_GB_CTR_DEFAULT);
		kmb_gb_set_counter(st, "bytes_per_requested_byte", measured.requested ?
				   measured.delta / measured.requested : 0, KMB_GB_CTR_DEFAULT);
	}
	if (objs) {
		free_all(b, objs, built);
		munmap(objs, bytes);
	}
	return err;
}

const struct kmb_workload kmb_workload_mix = {
	.name = "mix",
	.description = "memory efficiency: a live set of kernel-like sizes, random replacements; "
		       "RSS growth per requested byte",
	.params = KMB_P_BATCH,
	.run = mix_run,
};
