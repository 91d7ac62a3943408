/*
 * prodcons.c - producers and consumers at scale, the shape of xmalloc-test (Lever and
 * Boreham, "malloc() Performance in a Multithreaded Linux Environment", USENIX 2000; in
 * mimalloc-bench as xmalloc-testN): some threads only allocate, the others only free, and any
 * consumer frees any producer's objects.  remote-free is its one-to-one case (fixed pairs).
 *
 * Roles.  A run of T threads has P producers and C = T - P consumers, from the option
 * prodcons-ratio=p:c (default 1:1): P = p*T/(p+c) rounded, at least 1 and at most T - 1.
 * Producers and consumers alternate through the thread indices as evenly as the ratio allows
 * (thread t produces when ceil((t+1)P/T) > ceil(tP/T); thread 0 always does), so compact and
 * scatter pinning both mix them over the CPUs.  One thread alone is both: it puts each object
 * in its own ring and takes it back, the local case the curve starts from.
 *
 * The channel: a single-producer/single-consumer ring (wl_ring.h, remote-free's) for every
 * producer-consumer pair, P x C of them, not one shared queue.  xmalloc-test hands batches of
 * 4096 objects through one list under a mutex; with one object per handoff a shared queue's
 * lock (or its head and tail lines) would be the thing measured at scale, and with 4096 a
 * consumer would free one producer's objects in long runs.  With a ring per pair nothing but
 * the allocator is shared between more than two threads, and every consumer frees the objects
 * of every producer, interleaved one by one.  A producer's rings hold 512 objects together
 * (RING_TOTAL / C slots each, a power of two, at least RING_MIN), as remote-free's one ring.
 *
 * One iteration: a producer allocates one object of @size bytes for each consumer, writes its
 * first bytes (xmalloc-test memsets up to 128) and puts it in that consumer's ring; a consumer
 * takes one object from each producer's ring and frees it.  Every ring thus moves one object
 * per iteration, and as Google Benchmark gives every thread the same iteration count, each
 * ring ends the timed loop empty: no thread waits for an object that never comes.  Items
 * count objects once (the producers' allocations), so items_per_second is objects allocated
 * and freed per second, all threads together; real_time per iteration is not comparable
 * between thread counts (an iteration is C objects for a producer).
 *
 * Counters (thread 0's, the run's): producers, consumers (1 and 1 for one thread, which is
 * both), and ring_slots (each ring's).
 *
 * Checks, after every run (wl_freed.h): every object allocated was freed.  Failure: a thread
 * whose allocation fails writes the reason and sets the run's abort flag; every wait for a
 * ring gives up on it, so each thread fails with that reason and leaves its loop.  After the
 * loops each producer stops its rings and each consumer frees what is left in its own.
 *
 * Option (workload.h kmb_workload.opts; -W KEY=VALUE or --KEY VALUE):
 *   prodcons-ratio   P:C, producers to consumers, whole numbers 1 to 64 (default 1:1)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wl_freed.h"
#include "wl_ring.h"
#include "workload.h"

#define NAME		"prodcons"
#define OPS_PER_BATCH	16	/* iterations per keep-running batch */
#define WRITE_BYTES	128	/* bytes of each object the producer writes, at most */
#define RING_TOTAL	512	/* slots of one producer's rings together */
#define RING_MIN	16	/* slots of one ring, at least */
#define MAX_THREADS	1024	/* KMB_MAX_THREADS */
#define MAX_RATIO	64
#define RATIO_HELP	"give P:C, producers to consumers, whole numbers 1 to 64, e.g. 1:1, 1:3, 3:1"

/* The option state: p:c, 0:0 is the default 1:1. */
struct pc_opts {
	unsigned int p, c;
};

/* What a thread counts; stored in its slot once, after its last free. */
struct pc_count {
	_Alignas(64) uint64_t allocs, frees, objects;
};

/* The run's shared state, set up by thread 0 before the first barrier. */
static struct {
	void *map;			/* the rings, then each thread's ends */
	size_t map_bytes, ring_bytes, ends_bytes;
	uint64_t cap;			/* slots per ring */
	int producers, consumers;
	atomic_bool abort;		/* a thread failed: every wait gives up */
	atomic_flag failed;		/* the first failure writes err */
	char err[160];
	bool leak;			/* wl_freed.h's planted leak */
	struct pc_count count[MAX_THREADS];
} run;
static struct wl_barrier barrier = WL_BARRIER_INIT;

static unsigned int ratio_p(const struct pc_opts *o)
{
	return o->p ? o->p : 1;
}

static unsigned int ratio_c(const struct pc_opts *o)
{
	return o->c ? o->c : 1;
}

/* Producers of a run of @t threads (2 or more) at the ratio @o. */
static int producers_of(const struct pc_opts *o, int t)
{
	unsigned int p = ratio_p(o), sum = p + ratio_c(o);
	long n = (2L * t * p + sum) / (2L * sum);	/* t*p/sum rounded half up */

	return n < 1 ? 1 : n > t - 1 ? t - 1 : (int)n;
}

/* ceil(a * b / c), for the roles. */
static long ceil_div(long a, long b, long c)
{
	return (a * b + c - 1) / c;
}

static struct wl_ring *ring(int p, int c)
{
	return (struct wl_ring *)((char *)run.map +
				  ((size_t)p * (size_t)run.consumers + (size_t)c) * run.ring_bytes);
}

/* Thread @tid's ends: one per ring it uses, on lines of its own. */
static struct wl_ring_end *ends(int tid)
{
	size_t rings = (size_t)run.producers * (size_t)run.consumers;

	return (struct wl_ring_end *)((char *)run.map + rings * run.ring_bytes +
				      (size_t)tid * run.ends_bytes);
}

/* The first failure's reason into run.err, then the abort every wait watches. */
static void fail(const char *msg)
{
	if (!atomic_flag_test_and_set(&run.failed))
		snprintf(run.err, sizeof(run.err), "%s", msg);
	atomic_store_explicit(&run.abort, true, memory_order_release);
}

/* Thread 0, before the first barrier: the roles, the rings, the ends. */
static void setup(const struct pc_opts *o, int nthreads)
{
	size_t rings, wide;
	uint64_t cap = RING_MIN;

	run.producers = nthreads == 1 ? 1 : producers_of(o, nthreads);
	run.consumers = nthreads == 1 ? 1 : nthreads - run.producers;
	while (cap < RING_TOTAL / (uint64_t)run.consumers)
		cap *= 2;
	run.cap = cap;
	run.ring_bytes = wl_ring_bytes(cap);
	rings = (size_t)run.producers * (size_t)run.consumers;
	/* A producer's C ends or a consumer's P, and one more: one thread alone is both. */
	wide = (size_t)(run.producers > run.consumers ? run.producers : run.consumers) + 1;
	run.ends_bytes = (wide * sizeof(struct wl_ring_end) + WL_RING_LINE - 1) &
			 ~(size_t)(WL_RING_LINE - 1);
	run.map_bytes = rings * run.ring_bytes + (size_t)nthreads * run.ends_bytes;
	run.map = mmap(NULL, run.map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	atomic_store(&run.abort, false);
	atomic_flag_clear(&run.failed);
	run.err[0] = '\0';
	run.leak = wl_leak_planted();
	if (run.map == MAP_FAILED) {
		run.map = NULL;
		fail(NAME ": cannot map the rings");
	}
}

/* One producer iteration: an object for each consumer; false on a failure (run.err). */
static bool produce(const struct kmb_backend_ops *b, size_t size, int p, struct wl_ring_end *e,
		    struct pc_count *n)
{
	size_t w = size < WRITE_BYTES ? size : WRITE_BYTES;

	for (int c = 0; c < run.consumers; c++) {
		void *obj = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
		char msg[160];

		if (__builtin_expect(!obj, 0)) {
			snprintf(msg, sizeof(msg), NAME ": %s alloc of %zu bytes returned NULL",
				 b->name, size);
			fail(msg);
			return false;
		}
		n->allocs++;
		memset(obj, (int)(n->allocs & 0xff), w);
		if (__builtin_expect(!wl_ring_put(ring(p, c), run.cap, &e[c], obj, &run.abort), 0)) {
			b->free(obj, size);	/* the consumer is gone */
			n->frees++;
			return false;
		}
	}
	n->objects += (uint64_t)run.consumers;
	return true;
}

/* One consumer iteration: an object from each producer, freed; false on a failure. */
static bool consume(const struct kmb_backend_ops *b, size_t size, int c, struct wl_ring_end *e,
		    struct pc_count *n)
{
	for (int p = 0; p < run.producers; p++) {
		void *obj = wl_ring_take(ring(p, c), run.cap, &e[p], &run.abort);

		if (__builtin_expect(!obj, 0))
			return false;
		b->free(obj, size);
		n->frees++;
	}
	return true;
}

static int prodcons_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	struct pc_count n = { 0 };
	bool producer, consumer, ok;
	struct wl_ring_end *e;
	int pi, ci, err = 0;

	if (nthreads > MAX_THREADS) {
		kmb_gb_skip_with_error(st, NAME ": more threads than 1024");
		return -EINVAL;
	}
	if (tid == 0)
		setup(p->opts, nthreads);
	wl_barrier_wait(&barrier, nthreads);		/* the rings are mapped */
	pi = nthreads == 1 ? 0 : (int)ceil_div(tid, run.producers, nthreads);
	producer = nthreads == 1 || ceil_div(tid + 1, run.producers, nthreads) > pi;
	consumer = nthreads == 1 || !producer;
	ci = nthreads == 1 ? 0 : tid - pi;
	ok = run.map != NULL;
	e = ok ? ends(tid) : NULL;
	/* After a failure every thread keeps calling the loop to Google Benchmark's stop
	 * barrier, doing nothing. */
	while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH)) {
		for (int i = 0; i < OPS_PER_BATCH && ok; i++) {
			if (producer)
				ok = produce(b, p->size, pi, consumer ? e + 1 : e, &n);
			if (consumer && ok)
				ok = consume(b, p->size, ci, e, &n);
		}
		if (!ok && !err) {
			kmb_gb_skip_with_error(st, run.err[0] ? run.err : NAME ": failed");
			err = -ENOMEM;
		}
	}
	kmb_gb_set_items_processed(st, (int64_t)n.objects);
	if (producer && run.map) {
		if (run.leak && tid == 0) {	/* the planted leak: allocated, never freed */
			if (b->alloc(p->size, GFP_KERNEL, NUMA_NO_NODE))
				n.allocs++;
		}
		for (int c = 0; c < run.consumers; c++)
			atomic_store_explicit(&ring(pi, c)->stop, true, memory_order_release);
	}
	wl_barrier_wait(&barrier, nthreads);		/* every ring stopped */
	if (consumer && run.map) {			/* free what a failure left */
		for (int q = 0; q < run.producers; q++) {
			void *obj;

			while ((obj = wl_ring_take(ring(q, ci), run.cap, &e[q], NULL))) {
				b->free(obj, p->size);
				n.frees++;
			}
		}
	}
	run.count[tid] = n;
	wl_barrier_wait(&barrier, nthreads);		/* every object freed, counted */
	if (tid != 0)
		return err;
	if (run.map) {
		uint64_t allocs = 0, frees = 0;

		for (int t = 0; t < nthreads; t++) {
			allocs += run.count[t].allocs;
			frees += run.count[t].frees;
		}
		if (wl_check_freed(st, NAME, allocs, frees))
			err = -EIO;
		else if (!err) {
			kmb_gb_set_counter(st, "producers", run.producers, KMB_GB_CTR_DEFAULT);
			kmb_gb_set_counter(st, "consumers", run.consumers, KMB_GB_CTR_DEFAULT);
			kmb_gb_set_counter(st, "ring_slots", (double)run.cap, KMB_GB_CTR_DEFAULT);
		}
		munmap(run.map, run.map_bytes);
		run.map = NULL;
	}
	return err;
}

/* --- the option prodcons-ratio (-W KEY=VALUE) --- */

/* One whole number 1..MAX_RATIO at *s, up to @stop (or the end); false if none. */
static bool ratio_part(const char **s, char stop, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (**s < '0' || **s > '9')
		return false;
	errno = 0;
	v = strtoul(*s, &end, 10);
	if (errno || *end != stop || v < 1 || v > MAX_RATIO)
		return false;
	*out = (unsigned int)v;
	*s = end + (stop != '\0');
	return true;
}

static int parse_ratio(void *st, const char *value, char *err, size_t errlen)
{
	struct pc_opts *o = st;
	const char *s = value;

	if (!ratio_part(&s, ':', &o->p) || !ratio_part(&s, '\0', &o->c)) {
		snprintf(err, errlen, "'%s' is not a ratio; " RATIO_HELP, value);
		return -EINVAL;
	}
	return 0;
}

static const char *show_ratio(const void *st, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", ratio_p(st), ratio_c(st));
	return buf;
}

static const struct kmb_backend_opt pc_opt[] = {
	{ "prodcons-ratio", "P:C", "prodcons producers to consumers; at T threads P = T*P/(P+C) "
	  "rounded, 1 to T-1, one thread both (default 1:1)", parse_ratio, show_ratio },
};

/* context.options.prodcons_ratio: "P:C" (results/README.md). */
static void pc_context(const void *st, const char *section, const struct kmb_context_sink *out)
{
	char buf[32];

	if (!section)
		out->text(out->ctx, "prodcons_ratio", show_ratio(st, buf, sizeof(buf)));
}

static const struct kmb_backend_optset pc_optset = {
	.name = NAME,
	.size = sizeof(struct pc_opts),
	.opt = pc_opt,
	.nopt = 1,
	.context = pc_context,
};

const struct kmb_workload kmb_workload_prodcons = {
	.name = NAME,
	.description = "producers and consumers (xmalloc-test): P threads allocate, C free any "
		       "producer's objects through a ring per pair (--prodcons-ratio); items = "
		       "objects",
	.params = KMB_P_SIZE,
	.run = prodcons_run,
	.opts = &pc_optset,
};
