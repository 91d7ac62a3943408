/*
 * mempool_pressure.c - a mempool under pressure (issue 6): threads allocate and free through a
 * backend while its underlying allocator fails a share of the time (the family's fail
 * parameter, one cell per rate of the option mempool-fail), with callers that may sleep
 * (GFP_KERNEL) and callers that may not (GFP_ATOMIC).
 *
 * Each thread keeps a live set: a FIFO of up to @batch elements of @size bytes, in flight like
 * the bios of a block device.  One iteration is one operation: free the oldest element when the
 * live set is full, then allocate one, with GFP_ATOMIC in one operation of ATOMIC_EVERY (at
 * pseudo-random places, so no other period beats with it) and GFP_KERNEL in the others, and
 * write its first byte.  A GFP_ATOMIC allocation that gets NULL leaves the operation without a
 * new element (counted: atomic_nulls).
 *
 * Forward progress.  With the underlying allocator failing every time, every element in use
 * comes from the reserve (min_nr of them: 64 for the mempool backend's small classes), and a
 * GFP_KERNEL caller that finds it empty sleeps until an element is freed.  A thread that sleeps
 * holding elements that only it will free can wait forever: alone, always; with others,
 * whenever the sleepers hold the whole reserve.  A live set below min_nr / threads would avoid
 * that, but then nobody would ever wait, and one thread never could.  The kernel meets the same
 * problem with bios allocated under submit_bio_noacct(), which a thread holds until it returns,
 * and solves it with a rescuer (block/bio.c: bio_alloc_bioset, punt_bios_to_rescuer): a thread
 * that holds elements first allocates without __GFP_DIRECT_RECLAIM; when that fails it hands
 * what it holds to the rescuer, a thread that never allocates (the kernel's submits the bios,
 * whose completion frees them; this one frees them at once), and only then allocates with the
 * flags that may sleep.  This workload does the same, with one rescuer thread per run (not
 * pinned; it sleeps until it is handed something).  So a thread only ever
 * sleeps holding nothing, and what it waits for is the frees of the rescuer and of the other
 * threads: at 100% failure with @batch above min_nr every thread waits, one thread alone too.
 * A thread whose loop is ending (kmb_gb_loop_ending) frees its live set before it waits at
 * Google Benchmark's stop barrier, so no sleeper depends on a thread that has finished.
 *
 * Below 100% a free refills the reserve before anything goes back to the allocator, so the
 * reserve stays full and nobody waits: the failures cost the pool's slow path (its lock, the
 * reserve) on their share of the operations.
 *
 * Counters, set by thread 0 for the whole run (Google Benchmark sums a counter over the threads
 * that set it, so they are the run's):
 *   lat_p50_ns, lat_p90_ns, lat_p99_ns, lat_p999_ns, lat_max_ns, lat_samples
 *                        one operation's time, about one operation in LAT_PERIOD sampled, all
 *                        threads (harness/latency.h); lat_clock_ns: what timing an empty
 *                        operation reads, included in each sample
 *   atomic_nulls, atomic_null_frac   GFP_ATOMIC allocations that got NULL, and their share
 *   punts                live sets handed to the rescuer
 * and on a backend with a reserve (the reserve part: mempool):
 *   reserve_frac         allocations served from the reserve / allocations
 *   kernel_waits, kernel_wait_frac   GFP_KERNEL allocations that slept, and their share
 *   kernel_wait_ns       the time they slept, in total
 *   kernel_wait_mean_ns, kernel_wait_max_ns   per allocation that slept: mean and longest
 * The reserve's counters are zeroed before the timed loop and read after every thread's loop
 * (their counts cover the timed operations only).
 *
 * Checks, after every run, failing it with the numbers: every element allocated was freed (by
 * the threads or the rescuer); the reserve is back at min_nr; its NULLs are exactly the
 * GFP_ATOMIC NULLs and the failed first tries that led to punts; it served no more elements
 * than were allocated; no more GFP_KERNEL allocations slept than were made.
 *
 * The slab backend, without a reserve and without fault injection, runs the same operations
 * once per thread count (no fail parameter): the reference for what the pool adds.
 *
 * Option (workload.h kmb_workload.opts; -W KEY=VALUE or --KEY VALUE):
 *   mempool-fail     percentages of the underlying allocations made to fail, one family each
 *                    (the cells) on the backends with the reserve part; default 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "latency.h"
#include "wl_sync.h"
#include "workload.h"

#define OPS_PER_BATCH	64	/* operations per keep-running batch */
#define ATOMIC_EVERY	8	/* one operation in 8, on average, allocates with GFP_ATOMIC */
_Static_assert(OPS_PER_BATCH == 64 && ATOMIC_EVERY == 8,
	       "loop(): a 64-bit mask per batch, three random words ANDed for 1/8");
#define LAT_PERIOD	64	/* one operation in 64, on average, is timed */

/* The first try of a thread that holds elements: may not sleep (block/bio.c does the same). */
#define GFP_KERNEL_FIRST	(GFP_KERNEL & ~__GFP_DIRECT_RECLAIM)

/* What a thread counts; on its stack in the loop, stored in its slot once at the end. */
struct tcount {
	uint64_t ops, allocs, frees, kernel, atomic, atomic_nulls, punts;
};

/* One per benchmark thread, in the run's shared mapping: read by thread 0 after the loop. */
struct thread_slot {
	_Alignas(64) struct kmb_latency lat;
	struct tcount c;
};

/*
 * The rescuer: elements handed over by the threads, freed by its own thread.  The threads add
 * to @queue under @lock; the rescuer swaps @queue with @spare (under the lock) and frees the
 * spare's elements without it.  A thread that finds no room waits on @room for the next swap,
 * which comes: the rescuer only frees.
 */
struct rescuer {
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	void **queue, **spare;	/* @cap slots each */
	size_t n, cap;
	bool stop;
	uint64_t frees;		/* elements it freed; read after the join */
	int init_err;		/* the backend's thread_init on its thread: it frees anyway */
	const struct kmb_backend_ops *b;
	size_t size;
	pthread_t thread;
};

/* The run's shared state, set up by thread 0 before the first barrier. */
static struct {
	struct thread_slot *slots;	/* [threads] */
	size_t slots_bytes;
	struct rescuer r;
	void *queues;			/* the rescuer's two arrays, one mapping */
	size_t queues_bytes;
	bool rescuer_started;
	uint64_t clock_ns;		/* kmb_latency_clock_ns() */
	char err[160];			/* why the setup failed; "" when it did not */
	struct kmb_reserve_stats rs;	/* after the timed loops */
	bool have_rs;
} run;
static struct wl_barrier barrier = WL_BARRIER_INIT;

/* A FIFO of in-flight elements: slot[head], slot[head + 1], ... (mod cap), count of them. */
struct live {
	void **slot;
	size_t cap, head, count;
};

static void *rescuer_fn(void *arg)
{
	struct rescuer *r = arg;
	const struct kmb_backend_ops *b = r->b;

	r->init_err = b->thread_init ? b->thread_init() : 0;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		void **batch;
		size_t n;

		while (!r->n && !r->stop)
			pthread_cond_wait(&r->work, &r->lock);
		if (!r->n)
			break;
		batch = r->queue;
		n = r->n;
		r->queue = r->spare;
		r->spare = batch;
		r->n = 0;
		pthread_cond_broadcast(&r->room);
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < n; i++)
			b->free(batch[i], r->size);
		pthread_mutex_lock(&r->lock);
		r->frees += n;
	}
	pthread_mutex_unlock(&r->lock);
	if (!r->init_err && b->thread_fini)
		b->thread_fini();
	return NULL;
}

/* Hand every element of @lv to the rescuer (punt_bios_to_rescuer); @lv is empty after. */
static __attribute__((noinline)) void punt(struct rescuer *r, struct live *lv)
{
	pthread_mutex_lock(&r->lock);
	while (r->n + lv->count > r->cap)
		pthread_cond_wait(&r->room, &r->lock);
	for (size_t i = 0, at = lv->head; i < lv->count; i++) {
		r->queue[r->n++] = lv->slot[at];
		at = at + 1 == lv->cap ? 0 : at + 1;
	}
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->lock);
	lv->head = lv->count = 0;
}

/* A GFP_KERNEL allocation: first without sleeping while holding elements; when that fails,
 * the elements to the rescuer, then the allocation that may sleep. */
static inline void *kernel_alloc(const struct kmb_backend_ops *b, size_t size, struct live *lv,
				 struct tcount *c)
{
	void *p;

	if (__builtin_expect(lv->count != 0, 1)) {
		p = b->alloc(size, GFP_KERNEL_FIRST, NUMA_NO_NODE);
		if (__builtin_expect(p != NULL, 1))
			return p;
		punt(&run.r, lv);
		c->punts++;
	}
	return b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
}

/* One operation; -ENOMEM when a GFP_KERNEL allocation returned NULL (not from a mempool). */
static inline int op(const struct kmb_backend_ops *b, size_t size, struct live *lv,
		     struct tcount *c, bool atomic)
{
	size_t tail;
	void *p;

	c->ops++;
	if (lv->count == lv->cap) {
		b->free(lv->slot[lv->head], size);
		lv->head = lv->head + 1 == lv->cap ? 0 : lv->head + 1;
		lv->count--;
		c->frees++;
	}
	if (atomic) {
		c->atomic++;
		p = b->alloc(size, GFP_ATOMIC, NUMA_NO_NODE);
		if (!p) {
			c->atomic_nulls++;
			return 0;
		}
	} else {
		c->kernel++;
		p = kernel_alloc(b, size, lv, c);
		if (__builtin_expect(!p, 0))
			return -ENOMEM;
	}
	*(volatile char *)p = (char)c->allocs;
	tail = lv->head + lv->count;
	lv->slot[tail >= lv->cap ? tail - lv->cap : tail] = p;
	lv->count++;
	c->allocs++;
	return 0;
}

static void drain(const struct kmb_backend_ops *b, size_t size, struct live *lv,
		  struct tcount *c)
{
	for (; lv->count; lv->count--) {
		b->free(lv->slot[lv->head], size);
		lv->head = lv->head + 1 == lv->cap ? 0 : lv->head + 1;
		c->frees++;
	}
	lv->head = 0;
}

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define MAX_RATES	64
#define RATES_HELP "give whole percentages 0 to 100, comma-separated, e.g. 0,10,50,100"

/* The option state (kmb_workload.opts): no rate given is the one rate 0. */
struct pressure_opts {
	unsigned int rate[MAX_RATES];	/* percent, 0..100, each once */
	size_t nrates;
};

/* The failure rate of cell @k, in percent. */
static unsigned int rate(const struct pressure_opts *o, size_t k)
{
	return o->nrates ? o->rate[k] : 0;
}

/* Thread 0, before the first barrier: the slots, the rescuer, the failure rate. */
static void setup(const struct kmb_backend_ops *b, const struct kmb_workload_params *p,
		  int nthreads)
{
	unsigned int fail = rate(p->opts, p->cell);
	struct rescuer *r = &run.r;
	int e;

	memset(&run, 0, sizeof(run));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->room, NULL);
	run.clock_ns = kmb_latency_clock_ns();
	run.slots_bytes = (size_t)nthreads * sizeof(struct thread_slot);
	run.slots = map(run.slots_bytes);
	r->cap = (size_t)nthreads * p->batch;
	run.queues_bytes = 2 * r->cap * sizeof(void *);
	run.queues = map(run.queues_bytes);
	if (!run.slots || !run.queues) {
		snprintf(run.err, sizeof(run.err), "mempool-pressure: cannot map the run's state");
		return;
	}
	r->queue = run.queues;
	r->spare = r->queue + r->cap;
	r->b = b;
	r->size = p->size;
	e = pthread_create(&r->thread, NULL, rescuer_fn, r);
	if (e) {
		snprintf(run.err, sizeof(run.err), "mempool-pressure: cannot start the rescuer: %s",
			 strerror(e));
		return;
	}
	run.rescuer_started = true;
	if (b->reserve && (e = b->reserve->set_fail(fail * 10)))
		snprintf(run.err, sizeof(run.err), "mempool-pressure: %s set_fail(%u): %s",
			 b->name, fail * 10, strerror(-e));
}

/* Thread 0, after every thread's last free: stop the rescuer, undo the setup. */
static void teardown(const struct kmb_backend_ops *b)
{
	struct rescuer *r = &run.r;

	if (b->reserve)
		b->reserve->set_fail(0);
	if (run.rescuer_started) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->work);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->room);
	pthread_mutex_destroy(&r->lock);
	if (run.queues)
		munmap(run.queues, run.queues_bytes);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* Thread 0, after teardown: the checks of the file comment, into @msg; false when one fails. */
static bool check(const struct kmb_backend_ops *b, size_t size, const struct tcount *t,
		  char *msg, size_t len)
{
	const struct kmb_reserve_stats *rs = &run.rs;
	struct kmb_reserve_stats end;

	if (run.r.init_err) {
		snprintf(msg, len, "mempool-pressure: %s thread_init on the rescuer: %s", b->name,
			 strerror(-run.r.init_err));
		return false;
	}
	if (t->allocs != t->frees + run.r.frees) {
		snprintf(msg, len, "mempool-pressure: %" PRIu64 " elements allocated, %" PRIu64
			 " freed (%" PRIu64 " by the threads, %" PRIu64 " by the rescuer)",
			 t->allocs, t->frees + run.r.frees, t->frees, run.r.frees);
		return false;
	}
	if (!run.have_rs)
		return true;
	if (b->reserve->stats(size, &end) || end.curr_nr != end.min_nr) {
		snprintf(msg, len, "mempool-pressure: the reserve holds %ld of its %ld elements "
			 "after every element was freed", end.curr_nr, end.min_nr);
		return false;
	}
	if (rs->nulls != t->atomic_nulls + t->punts || rs->from_reserve > t->allocs ||
	    rs->waited > t->kernel || rs->waited > rs->waits) {
		snprintf(msg, len, "mempool-pressure: inconsistent counters: the reserve returned "
			 "%lu NULLs (GFP_ATOMIC %" PRIu64 " + punts %" PRIu64 "), served %lu of %"
			 PRIu64 " allocations, %lu of %" PRIu64 " GFP_KERNEL slept (%lu sleeps)",
			 rs->nulls, t->atomic_nulls, t->punts, rs->from_reserve, t->allocs,
			 rs->waited, t->kernel, rs->waits);
		return false;
	}
	return true;
}

/* Thread 0: the run's counters (the file comment). */
static void report(struct kmb_gb_state *st, const struct tcount *t, int nthreads)
{
	const struct kmb_reserve_stats *rs = &run.rs;
	struct kmb_latency *all = &run.slots[0].lat;

	for (int i = 1; i < nthreads; i++)
		kmb_latency_add(all, &run.slots[i].lat);
	kmb_latency_counters(st, all);
	kmb_gb_set_counter(st, "lat_clock_ns", (double)run.clock_ns, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "atomic_nulls", (double)t->atomic_nulls, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "atomic_null_frac", ratio(t->atomic_nulls, t->atomic),
			   KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "punts", (double)t->punts, KMB_GB_CTR_DEFAULT);
	if (!run.have_rs)
		return;
	kmb_gb_set_counter(st, "reserve_frac", ratio(rs->from_reserve, t->allocs),
			   KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "kernel_waits", (double)rs->waited, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "kernel_wait_frac", ratio(rs->waited, t->kernel),
			   KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "kernel_wait_ns", (double)rs->wait_ns, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "kernel_wait_mean_ns", ratio(rs->wait_ns, rs->waited),
			   KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "kernel_wait_max_ns", (double)rs->max_wait_ns, KMB_GB_CTR_DEFAULT);
}

/* The timed loop of one thread; -ENOMEM (and the message) when an allocation failed. */
static int loop(struct kmb_gb_state *st, const struct kmb_backend_ops *b, size_t size,
		struct live *lv, struct thread_slot *slot, char *msg, size_t len)
{
	struct kmb_latency *lat = &slot->lat;
	struct tcount c = { 0 };
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(kmb_gb_thread_index(st) + 1);
	int err = 0;

	while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH)) {
		/* Each bit set with probability 1/8: which operations are GFP_ATOMIC. */
		uint64_t atomic_ops = kmb_xorshift(&rng) & kmb_xorshift(&rng) & kmb_xorshift(&rng);

		for (int i = 0; i < OPS_PER_BATCH && !err; i++) {
			bool atomic = (atomic_ops >> i) & 1;

			if (kmb_latency_due(lat)) {
				uint64_t t0 = kmb_latency_now();

				err = op(b, size, lv, &c, atomic);
				kmb_latency_record(lat, kmb_latency_now() - t0);
			} else {
				err = op(b, size, lv, &c, atomic);
			}
		}
		if (__builtin_expect(err != 0, 0)) {
			snprintf(msg, len, "mempool-pressure: %s GFP_KERNEL alloc of %zu bytes "
				 "returned NULL with %zu elements live", b->name, size, lv->count);
			kmb_gb_skip_with_error(st, msg);
		}
		/* Leaving: free what the others may be waiting for (the file comment). */
		if (err || kmb_gb_loop_ending(st))
			drain(b, size, lv, &c);
	}
	slot->c = c;
	return err;
}

static int pressure_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
			const struct kmb_workload_params *p)
{
	const int tid = kmb_gb_thread_index(st), nthreads = kmb_gb_threads(st);
	struct live lv = { .cap = p->batch };
	struct thread_slot *slot = NULL;
	struct tcount total = { 0 };
	char msg[256] = "";
	int err = 0;

	if (tid == 0)
		setup(b, p, nthreads);
	wl_barrier_wait(&barrier, nthreads);		/* the run's state is set up */
	lv.slot = map(lv.cap * sizeof(void *));
	if (run.err[0] || !lv.slot) {
		snprintf(msg, sizeof(msg), "%s", run.err[0] ? run.err :
			 "mempool-pressure: cannot map the live set");
		kmb_gb_skip_with_error(st, msg);
		err = -ENOMEM;
	} else {
		slot = &run.slots[tid];
		kmb_latency_init(&slot->lat, LAT_PERIOD, 0x2545f4914f6cdd1dull * (uint64_t)(tid + 1));
		if (tid == 0 && b->reserve)	/* the others wait at the start barrier */
			b->reserve->reset(p->size);
	}
	/* After a failure the loop ends at once; every thread still passes every barrier. */
	if (slot)
		err = loop(st, b, p->size, &lv, slot, msg, sizeof(msg));
	else
		while (kmb_gb_keep_running_batch(st, OPS_PER_BATCH))
			;
	wl_barrier_wait(&barrier, nthreads);		/* every timed loop is over */
	if (tid == 0 && !run.err[0] && b->reserve)
		run.have_rs = b->reserve->stats(p->size, &run.rs) == 0;
	if (slot) {
		drain(b, p->size, &lv, &slot->c);
		kmb_gb_set_items_processed(st, (int64_t)slot->c.ops);
	}
	if (lv.slot)
		munmap(lv.slot, lv.cap * sizeof(void *));
	wl_barrier_wait(&barrier, nthreads);		/* every element is freed or handed over */
	if (tid != 0)
		return err;

	teardown(b);
	if (!run.err[0]) {
		for (int i = 0; i < nthreads; i++) {
			const struct tcount *c = &run.slots[i].c;

			total.ops += c->ops;
			total.allocs += c->allocs;
			total.frees += c->frees;
			total.kernel += c->kernel;
			total.atomic += c->atomic;
			total.atomic_nulls += c->atomic_nulls;
			total.punts += c->punts;
		}
		if (!check(b, p->size, &total, msg, sizeof(msg))) {
			fprintf(stderr, "kmbench: %s\n", msg);
			kmb_gb_skip_with_error(st, msg);
			err = -EIO;
		} else if (!err) {
			report(st, &total, nthreads);
		}
	}
	if (run.slots)
		munmap(run.slots, run.slots_bytes);
	return err;
}

/* --- the option mempool-fail (-W KEY=VALUE): one family per rate on a reserve --- */

/* "0,10,50,100"; "10%" is read as 10. */
static int parse_rates(void *st, const char *value, char *err, size_t errlen)
{
	struct pressure_opts *o = st;

	o->nrates = 0;
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ","), len = n;
		char *end;
		unsigned long v;

		if (len > 1 && p[len - 1] == '%')
			len--;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (!len || *p < '0' || *p > '9' || end != p + len || errno) {
			snprintf(err, errlen, "'%.*s' is not a percentage; " RATES_HELP, (int)n, p);
			return -EINVAL;
		}
		if (v > 100) {
			snprintf(err, errlen, "%lu%% is out of range; " RATES_HELP, v);
			return -EINVAL;
		}
		for (size_t i = 0; i < o->nrates; i++)
			if (o->rate[i] == v) {
				snprintf(err, errlen, "%lu%% is given twice; give each rate once", v);
				return -EINVAL;
			}
		if (o->nrates == MAX_RATES) {
			snprintf(err, errlen, "more than %d rates", MAX_RATES);
			return -EINVAL;
		}
		o->rate[o->nrates++] = (unsigned int)v;
		p += n + (p[n] == ',');
	}
	if (!o->nrates) {
		snprintf(err, errlen, "empty list; " RATES_HELP);
		return -EINVAL;
	}
	return 0;
}

static const char *show_rates(const void *st, char *buf, size_t len)
{
	const struct pressure_opts *o = st;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < (o->nrates ? o->nrates : 1) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "," : "", rate(o, i));
	return buf;
}

static const struct kmb_backend_opt pressure_opt[] = {
	{ "mempool-fail", "PCT,...", "percent of the underlying allocations made to fail, one "
	  "family each: mempool-pressure on the mempool backend (default 0)", parse_rates,
	  show_rates },
};

/* context.options.mempool_fail: the rates (results/README.md). */
static void pressure_context(const void *st, const char *section,
			     const struct kmb_context_sink *out)
{
	const struct pressure_opts *o = st;

	if (section)
		return;
	out->array(out->ctx, "mempool_fail");
	for (size_t i = 0; i < (o->nrates ? o->nrates : 1); i++)
		out->num(out->ctx, NULL, rate(o, i));
	out->end(out->ctx);
}

static const struct kmb_backend_optset pressure_optset = {
	.name = "mempool-pressure",
	.size = sizeof(struct pressure_opts),
	.opt = pressure_opt,
	.nopt = 1,
	.context = pressure_context,
};

/* A family per rate on a backend that can inject failures (the reserve part); one, without
 * the parameter, on the others: their rows are not multiplied. */
static size_t pressure_cells(const void *st, const struct kmb_backend_ops *b, const char **why)
{
	const struct pressure_opts *o = st;

	(void)why;
	return b->reserve && o->nrates ? o->nrates : 1;
}

static void pressure_params(const void *st, const struct kmb_backend_ops *b, size_t k,
			    const struct kmb_context_sink *out)
{
	if (b->reserve)
		out->num(out->ctx, "fail", rate(st, k));
}

const struct kmb_workload kmb_workload_mempool_pressure = {
	.name = "mempool-pressure",
	.description = "mempool under pressure: live sets through a reserve whose allocator fails "
		       "--mempool-fail percent of the time, GFP_KERNEL and GFP_ATOMIC callers, a "
		       "rescuer; one op = a free and an allocation",
	.params = KMB_P_SIZE | KMB_P_BATCH,
	.run = pressure_run,
	.opts = &pressure_optset,
	.cells = pressure_cells,
	.cell_params = pressure_params,
};
