/*
 * ctor.c - constructor caching (Bonwick, "The Slab Allocator: An Object-Caching Kernel Memory
 * Allocator", USENIX 1994): churn of objects that need an expensive constructor.
 *
 * Each thread allocates @batch objects of @size bytes, uses each, and frees them (LIFO, as
 * churn), again and again; one iteration is one allocation plus its free.  Every object must be
 * in its constructed state when the workload gets it:
 *
 *   cached       backends with object caches (backend.h cache_*, the slab backends): the
 *                objects come from one cache created with the constructor, shared by the run's
 *                threads, so the constructor runs when a slab is populated, and an object
 *                comes back in the state it was freed in (the workload frees it constructed);
 *   every-alloc  every other backend (malloc, kmalloc): the workload runs the constructor on
 *                every allocation, which is what a user of malloc or kmalloc has to do.
 *
 * The constructor is what a kernel object's constructor does: it zeroes the object, initialises
 * an empty list head, a lock word and a reference count, and fills the rest of the object with
 * a table computed from a seed (a dependent chain of multiply-xorshift steps: deterministic CPU
 * work, about 150 ns for 256 bytes on a 3 GHz core, proportional to the size).  Objects under
 * 32 bytes are zeroed and filled only.  Using an object checks that it is constructed (the list
 * head is empty; a wrong one fails the run) and takes and drops a reference.
 *
 * Counters: ctor_calls, constructor calls per operation on the thread that made them (1 in
 * every-alloc mode; objects of the slabs populated / operations in cached mode), and
 * ctor_cached, 1 in cached mode and 0 in every-alloc mode.  Bonwick measured object caching 1.3
 * to 5.1 times faster than allocate-and-construct.
 *
 * In cached mode ctor_calls is near 0 only while a batch fits in the slabs the cache keeps:
 * freeing the batch empties its slabs, and SLUB (as the kernel's) keeps at most min_partial
 * empty slabs on a node (5 to 10, by object size) and gives the rest back to the page
 * allocator, so the next batch populates, and constructs, those again.  Bonwick's allocator
 * kept empty slabs until the memory was reclaimed.  The counter shows which regime a run is in.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "wl_sync.h"
#include "workload.h"

#define TABLE_ROUNDS	2	/* multiply-xorshift steps per table word */

struct ctor_obj {
	struct ctor_obj *next, *prev;	/* list head: empty when constructed */
	uint32_t lock;			/* spinlock word: 0 unlocked */
	uint32_t refcount;		/* 0 while the object is free */
	uint64_t seed;			/* what the table was computed from */
	uint64_t table[];		/* the rest of the object */
};

/* The object size of the run; constructors have only the object (its type gives the size). */
static atomic_size_t obj_size;
/* Constructor calls made by this thread. */
static _Thread_local unsigned long ctor_calls;

static void obj_ctor(void *p)
{
	size_t size = atomic_load_explicit(&obj_size, memory_order_relaxed);
	size_t hdr = offsetof(struct ctor_obj, table), words, i;
	struct ctor_obj *o = p;
	uint64_t x = 0x2545f4914f6cdd1dULL ^ size, *table;

	ctor_calls++;
	memset(p, 0, size);
	if (size >= hdr) {
		o->next = o->prev = o;
		o->seed = x;
		table = o->table;
		words = (size - hdr) / sizeof(uint64_t);
	} else {
		table = p;
		words = size / sizeof(uint64_t);
	}
	for (i = 0; i < words; i++) {
		for (int r = 0; r < TABLE_ROUNDS; r++) {
			x = x * 0x9e3779b97f4a7c15ULL + i;
			x ^= x >> 29;
		}
		table[i] = x;
	}
}

static struct wl_barrier barrier = WL_BARRIER_INIT;
static void *shared_cache;	/* the run's cache, created by thread 0 */

/* Use a constructed object: check it, take a reference.  False when it is not constructed. */
static inline bool obj_get(void *p, size_t size)
{
	struct ctor_obj *o = p;

	if (size < offsetof(struct ctor_obj, table)) {
		(void)*(volatile char *)p;
		return true;
	}
	if (__builtin_expect(o->next != o || o->lock, 0))
		return false;
	*(volatile uint32_t *)&o->refcount = 1;
	return true;
}

/* Back to the constructed state before the free. */
static inline void obj_put(void *p, size_t size)
{
	if (size >= offsetof(struct ctor_obj, table))
		((struct ctor_obj *)p)->refcount = 0;
}

static int ctor_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		    const struct kmb_workload_params *p)
{
	const size_t n = p->batch, size = p->size;
	const struct kmb_cache_ops *co = b->cache;
	const bool cached = co != NULL;
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	size_t bytes = n * sizeof(void *);
	void **objs = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *cache = NULL;
	unsigned long calls0;
	int64_t items = 0;
	int err = 0;
	char msg[128];

	if (tid == 0) {
		atomic_store(&obj_size, size);
		shared_cache = cached ? co->create("kmbench-ctor", size, obj_ctor) : NULL;
	}
	wl_barrier_wait(&barrier, nthreads);	/* the cache is there, or is not */
	cache = shared_cache;
	if (objs == MAP_FAILED || (cached && !cache)) {
		snprintf(msg, sizeof(msg), objs == MAP_FAILED ? "ctor: cannot map the pointer array"
			 : "ctor: %s cache create of %zu bytes failed", b->name, size);
		kmb_gb_skip_with_error(st, msg);
		err = -ENOMEM;
		objs = objs == MAP_FAILED ? NULL : objs;
	}
	calls0 = ctor_calls;
	while (!err && kmb_gb_keep_running_batch(st, (int64_t)n)) {
		size_t i;
		bool bad = false;

		for (i = 0; i < n; i++) {
			void *obj;

			if (cached) {
				obj = co->alloc(cache, GFP_KERNEL);
			} else {
				obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
				if (obj)
					obj_ctor(obj);
			}
			if (__builtin_expect(!obj, 0))
				break;
			objs[i] = obj;
			if (__builtin_expect(!obj_get(obj, size), 0)) {
				bad = true;
				i++;
				break;
			}
		}
		if (__builtin_expect(i < n || bad, 0)) {
			if (bad)
				snprintf(msg, sizeof(msg), "ctor: %s returned an object of %zu bytes "
					 "that is not in its constructed state", b->name, size);
			else
				snprintf(msg, sizeof(msg), "ctor: %s alloc of %zu bytes returned NULL "
					 "with %zu objects live", b->name, size, i);
			kmb_gb_skip_with_error(st, msg);
			err = bad ? -EUCLEAN : -ENOMEM;
		}
		while (i--) {
			obj_put(objs[i], size);
			if (cached)
				co->free(cache, objs[i]);
			else
				b->free(objs[i], size);
		}
		if (!err)
			items += (int64_t)n;
	}
	kmb_gb_set_items_processed(st, items);
	kmb_gb_set_counter(st, "ctor_calls", items ? (double)(ctor_calls - calls0) / (double)items
						   : 0, KMB_GB_CTR_AVG_THREADS);
	kmb_gb_set_counter(st, "ctor_cached", cached ? 1 : 0, KMB_GB_CTR_AVG_THREADS);
	wl_barrier_wait(&barrier, nthreads);	/* every thread has freed its objects */
	if (tid == 0 && cache)
		co->destroy(cache);
	if (objs)
		munmap(objs, bytes);
	return err;
}

const struct kmb_workload kmb_workload_ctor = {
	.name = "ctor",
	.description = "constructor caching: churn with an expensive constructor, objects from a "
		       "cache (slab*) or constructed on every alloc",
	.params = KMB_P_SIZE | KMB_P_BATCH,
	.run = ctor_run,
};
