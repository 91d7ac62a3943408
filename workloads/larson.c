/*
 * larson.c - a server's allocations, the shape of Larson and Krishnan's benchmark ("Memory
 * Allocation for Long-Running Server Applications", ISMM 1998; in mimalloc-bench as larsonN,
 * `larson 5 8 1000 5000 100 4141 N`): threads replace random objects of random sizes in arrays
 * that outlive them, so objects are freed by a thread other than the one that allocated them,
 * rounds after they were allocated.
 *
 * The original: each thread owns an array of chperthread slots (5000), each holding an object
 * of a random size in [min, max) (8 to 1000 bytes).  It replaces the object of a random slot
 * num_rounds x chperthread times (100 x 5000): free it, allocate one of a new random size,
 * write its first bytes.  Then the thread exits and starts a new thread, which takes over the
 * same array and frees, one by one, the objects its predecessor allocated.  The main thread
 * allocates the first objects of every array; the figure is allocations per second.
 *
 * Kept: an array of @batch slots per thread (--batch: chperthread), a replacement of a random
 * slot's object as the unit of work, random sizes from 8 bytes to @size (--sizes: max), the
 * first two bytes of each new object written and read back, and a round of larson-rounds x
 * @batch replacements (num_rounds, default Larson's 100) after which an array changes hands.
 *
 * Changed, and why:
 *   - Google Benchmark owns the threads, so an array changes hands between running threads
 *     instead of passing to a new one: in round r thread t holds array (t + r) mod T, taking
 *     it from thread t + 1 once that thread has finished round r - 1 on it (it waits for the
 *     array's count of rounds done; the previous holder publishes it with release order).
 *     The objects still outlive their allocating thread's hold on them and are freed by
 *     another thread's cache, which is what per-thread and per-CPU caches find hard; what is
 *     not measured is a thread's exit and start (its caches given back, a new one built).  At
 *     one thread the array stays with it: every free is local.
 *   - Sizes are drawn uniformly from 8 to @size bytes as Larson's, then rounded up to the
 *     kmalloc size class (8, 16, 32, 64, 96, 128, 192, 256, then powers of two:
 *     include/linux/slab.h __kmalloc_index) and capped at @size: every backend is asked the
 *     same dozen sizes, so the slab backends, which build a cache per size asked
 *     (KMB_CAP_SIZE_CACHES), keep one cache per class as kmalloc does, not a thousand.
 *   - Each thread fills its own array before the timed loop (Larson's main thread fills them
 *     all), untimed; Google Benchmark's iteration count replaces the 5-second sleep.
 *
 * One iteration is one replacement (a free and an allocation); items count allocations, so
 * items_per_second is objects allocated (and freed) per second, all threads together.  The
 * waits for the next array are inside the timed loop, as a server's handoffs would be.
 *
 * Counters (thread 0's, the run's): remote_free_frac, the frees of the timed loops of objects
 * another thread allocated over all their frees: 0 at one thread; a new holder frees the
 * previous holders' objects as it replaces them, about @batch of them per round, so about
 * 1 / larson-rounds (0.01 at Larson's 100), and 0.46 to 0.62 at larson-rounds=1 (2 to 5
 * threads); rounds, the rounds each thread finished (each ended by a handoff).
 *
 * Checks, after every run (wl_freed.h): every object allocated was freed.  A thread whose
 * allocation fails sets the run's abort flag, which ends every wait for an array; after every
 * thread's loop each thread frees what is left in the array of its own index.
 *
 * Option (workload.h kmb_workload.opts; -W KEY=VALUE or --KEY VALUE):
 *   larson-rounds    replacements per hold of an array, in multiples of @batch (default 100)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "wl_freed.h"
#include "wl_sync.h"
#include "workload.h"

#define NAME		"larson"
#define OPS_PER_BATCH	64	/* replacements per keep-running batch */
#define MIN_SIZE	8	/* Larson's min in mimalloc-bench's larsonN */
#define MAX_THREADS	1024	/* KMB_MAX_THREADS */
#define DEFAULT_ROUNDS	100	/* mimalloc-bench's num_rounds */
#define MAX_ROUNDS	1000000
#define ROUNDS_HELP	"give a whole number 1 to 1000000, e.g. 100 (Larson's)"

/* One slot of an array: its object, the size it was asked with, the thread that asked. */
struct slot {
	void *obj;
	uint32_t size;
	uint32_t owner;
};

/* One array; rounds_done is written by its holder at a handoff and read by the next. */
struct array {
	_Alignas(64) _Atomic uint64_t rounds_done;
	struct slot *slot;
	size_t bytes;
};

/* What a thread counts; stored once, after its last free. */
struct count {
	_Alignas(64) uint64_t allocs, frees, loop_frees, remote_frees, rounds;
};

/* The option state: 0 is the default. */
struct larson_opts {
	unsigned int rounds;
};

static struct array arrays[MAX_THREADS];
static struct count counts[MAX_THREADS];
static atomic_bool abort_run;		/* a thread failed: every wait gives up */
static struct wl_barrier barrier = WL_BARRIER_INIT;

/* A number in [0, n), from one random word (Lemire's multiply-shift, no division). */
static inline uint32_t below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)(((kmb_xorshift(rng) >> 32) * n) >> 32);
}

/* The kmalloc size class of @s (include/linux/slab.h __kmalloc_index, KMALLOC_MIN_SIZE 8). */
static inline uint32_t kmalloc_class(uint32_t s)
{
	if (s <= 8)
		return 8;
	if (s <= 64)
		return s <= 16 ? 16 : s <= 32 ? 32 : 64;
	if (s <= 192)
		return s <= 96 ? 96 : s <= 128 ? 128 : 192;
	return 1u << (32 - __builtin_clz(s - 1));
}

/* A new object's size: uniform in [MIN_SIZE, max], to its class, at most max. */
static inline uint32_t draw_size(uint64_t *rng, uint32_t max)
{
	uint32_t s;

	if (max <= MIN_SIZE)
		return max;
	s = kmalloc_class(MIN_SIZE + below(rng, max - MIN_SIZE + 1));
	return s < max ? s : max;
}

/* Allocate into @s and write its first two bytes (Larson writes 'a', reads it, writes 'b');
 * false when the allocation failed (the slot is then empty). */
static inline bool fill(const struct kmb_backend_ops *b, struct slot *s, uint32_t size, int tid)
{
	volatile char *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);

	s->obj = (void *)obj;
	if (__builtin_expect(!obj, 0))
		return false;
	obj[0] = 'a';
	if (size > 1)
		obj[1] = (char)(obj[0] + 1);
	s->size = size;
	s->owner = (uint32_t)tid;
	return true;
}

/* Before the loop: thread @tid's own array, filled; false (message in @msg) on a failure. */
static bool setup(const struct kmb_backend_ops *b, size_t batch, uint32_t max, int tid,
		  uint64_t *rng, struct count *n, char *msg, size_t len)
{
	struct array *a = &arrays[tid];
	void *m;

	a->bytes = batch * sizeof(struct slot);
	m = mmap(NULL, a->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a->slot = m == MAP_FAILED ? NULL : m;		/* zeroed: every slot empty */
	atomic_store_explicit(&a->rounds_done, 0, memory_order_relaxed);
	if (!a->slot) {
		snprintf(msg, len, NAME ": cannot map the array of thread %d", tid);
		return false;
	}
	for (size_t i = 0; i < batch; i++) {
		if (!fill(b, &a->slot[i], draw_size(rng, max), tid)) {
			snprintf(msg, len, NAME ": %s alloc returned NULL filling the arrays",
				 b->name);
			return false;
		}
		n->allocs++;
	}
	return true;
}

/* The handoff: @held's round @round is done; wait for the array of the next round.  NULL when
 * the run was aborted meanwhile. */
static __attribute__((noinline)) struct array *hand_on(struct array *held, uint64_t round,
						       int tid, int nthreads)
{
	struct array *next = &arrays[(uint64_t)tid + round % (uint64_t)nthreads];

	if (next >= arrays + nthreads)
		next -= nthreads;
	atomic_store_explicit(&held->rounds_done, round, memory_order_release);
	for (unsigned int spins = 0;
	     atomic_load_explicit(&next->rounds_done, memory_order_acquire) < round; spins++) {
		if (atomic_load_explicit(&abort_run, memory_order_relaxed))
			return NULL;
		wl_spin_wait(spins);
	}
	return next;
}

/* The timed loop; -ENOMEM (message in @msg) when an allocation failed or another thread's
 * did. */
static int loop(struct kmb_gb_state *st, const struct kmb_backend_ops *b, uint32_t batch,
		uint32_t max, uint64_t per_round, uint64_t *rng, struct count *n, char *msg,
		size_t len)
{
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	struct array *a = &arrays[tid];
	uint64_t left = per_round;
	int err = 0;

	while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH)) {
		for (int i = 0; i < OPS_PER_BATCH && !err; i++) {
			struct slot *s;

			if (__builtin_expect(left == 0, 0)) {
				a = hand_on(a, ++n->rounds, tid, nthreads);
				if (!a) {
					snprintf(msg, len, NAME ": another thread's allocation "
						 "failed");
					err = -ENOMEM;
					break;
				}
				left = per_round;
			}
			left--;
			s = &a->slot[below(rng, batch)];
			n->remote_frees += s->owner != (uint32_t)tid;
			b->free(s->obj, s->size);
			n->loop_frees++;
			if (__builtin_expect(!fill(b, s, draw_size(rng, max), tid), 0)) {
				snprintf(msg, len, NAME ": %s alloc returned NULL", b->name);
				atomic_store(&abort_run, true);
				err = -ENOMEM;
				break;
			}
			n->allocs++;
		}
		if (__builtin_expect(err != 0, 0) && !kmb_gb_error_occurred(st))
			kmb_gb_skip_with_error(st, msg);
	}
	return err;
}

/* After every loop: free what is left in thread @tid's own array (one object less, planted). */
static void teardown(const struct kmb_backend_ops *b, size_t batch, int tid, struct count *n)
{
	struct array *a = &arrays[tid];
	bool leak = tid == 0 && wl_leak_planted();

	if (!a->slot)
		return;
	for (size_t i = 0; i < batch; i++) {
		struct slot *s = &a->slot[i];

		if (!s->obj)
			continue;
		if (leak) {
			leak = false;	/* the planted leak: never freed */
			continue;
		}
		b->free(s->obj, s->size);
		n->frees++;
	}
	munmap(a->slot, a->bytes);
	a->slot = NULL;
}

static unsigned int rounds_of(const struct larson_opts *o)
{
	return o->rounds ? o->rounds : DEFAULT_ROUNDS;
}

static int larson_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		      const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	const uint32_t max = p->size > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)p->size;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1);
	struct count n = { 0 };
	char msg[160] = "";
	int err = 0;

	if (nthreads > MAX_THREADS || p->batch < 1 || p->batch > UINT32_MAX) {
		kmb_gb_skip_with_error(st, NAME ": needs 1 to 1024 threads and a batch of 1 or "
				       "more slots");
		return -EINVAL;
	}
	if (tid == 0)
		atomic_store(&abort_run, false);
	wl_barrier_wait(&barrier, nthreads);		/* abort_run reset */
	if (!setup(b, p->batch, max, tid, &rng, &n, msg, sizeof(msg))) {
		atomic_store(&abort_run, true);
		err = -ENOMEM;
	}
	wl_barrier_wait(&barrier, nthreads);		/* every array filled */
	if (atomic_load(&abort_run) && !err) {
		snprintf(msg, sizeof(msg), NAME ": another thread's setup failed");
		err = -ENOMEM;
	}
	if (err) {
		kmb_gb_skip_with_error(st, msg);
		while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH))
			;
	} else {
		err = loop(st, b, (uint32_t)p->batch, max,
			   (uint64_t)rounds_of(p->opts) * p->batch, &rng, &n, msg, sizeof(msg));
	}
	kmb_gb_set_items_processed(st, (int64_t)n.loop_frees);
	wl_barrier_wait(&barrier, nthreads);		/* every loop over: arrays at rest */
	n.frees += n.loop_frees;
	teardown(b, p->batch, tid, &n);
	counts[tid] = n;
	wl_barrier_wait(&barrier, nthreads);		/* every object freed, counted */
	if (tid != 0)
		return err;
	{
		struct count all = { 0 };

		for (int t = 0; t < nthreads; t++) {
			all.allocs += counts[t].allocs;
			all.frees += counts[t].frees;
			all.loop_frees += counts[t].loop_frees;
			all.remote_frees += counts[t].remote_frees;
		}
		if (wl_check_freed(st, NAME, all.allocs, all.frees))
			return -EIO;
		if (!err) {
			kmb_gb_set_counter(st, "remote_free_frac", all.loop_frees ?
					   (double)all.remote_frees / (double)all.loop_frees : 0,
					   KMB_GB_CTR_DEFAULT);
			kmb_gb_set_counter(st, "rounds", (double)n.rounds, KMB_GB_CTR_DEFAULT);
		}
	}
	return err;
}

/* --- the option larson-rounds (-W KEY=VALUE) --- */

static int parse_rounds(void *st, const char *value, char *err, size_t errlen)
{
	struct larson_opts *o = st;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end || errno || v < 1 || v > MAX_ROUNDS) {
		snprintf(err, errlen, "'%s' is not a round count; " ROUNDS_HELP, value);
		return -EINVAL;
	}
	o->rounds = (unsigned int)v;
	return 0;
}

static const char *show_rounds(const void *st, char *buf, size_t len)
{
	snprintf(buf, len, "%u", rounds_of(st));
	return buf;
}

static const struct kmb_backend_opt larson_opt[] = {
	{ "larson-rounds", "N", "larson replacements per hold of an array, in multiples of "
	  "--batch, before it passes to the next thread (default 100, Larson's)", parse_rounds,
	  show_rounds },
};

/* context.options.larson_rounds (results/README.md). */
static void larson_context(const void *st, const char *section,
			   const struct kmb_context_sink *out)
{
	if (!section)
		out->num(out->ctx, "larson_rounds", rounds_of(st));
}

static const struct kmb_backend_optset larson_optset = {
	.name = NAME,
	.size = sizeof(struct larson_opts),
	.opt = larson_opt,
	.nopt = 1,
	.context = larson_context,
};

const struct kmb_workload kmb_workload_larson = {
	.name = NAME,
	.description = "server (Larson): threads replace random objects of 8..size bytes in "
		       "arrays handed between threads every --larson-rounds; one op = a free and "
		       "an allocation",
	.params = KMB_P_SIZE | KMB_P_BATCH,
	.run = larson_run,
	.opts = &larson_optset,
};
