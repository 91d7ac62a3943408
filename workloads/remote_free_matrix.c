/*
 * remote_free_matrix.c - the remote-free cost matrix: objects allocated on CPU i and freed on
 * CPU j, for every ordered pair (i, j) of a set of CPUs, one cell each; the diagonal (i, i) is
 * the local reference.  The shape of remote-free (xmalloc-test), taken apart by CPU pair, as
 * Intel MLC's latency matrix takes memory apart by node pair.
 *
 * The CPUs (rfm_resolve): the option rfm-cpus=LIST when given (in its order, at most
 * RFM_MAX_CPUS), else the run's pinning plan at its largest thread count (--pin, --threads),
 * its first RFM_PLAN_CPUS CPUs at most; under --pin none, the usable CPUs in ascending order,
 * as many.  context.options.rfm records the CPUs, their nodes and where they came from.
 *
 * A cell is one family (rfm_cells: n x n of them on every backend, allocating CPU major) run
 * at two threads whatever --threads says, thread 0 pinned on CPU i and thread 1 on CPU j
 * whatever --pin says (rfm_cpus, workload.h kmb_workload.cell_cpus): a producer-consumer pair
 * of workloads/wl_ring.h.  The producer allocates BATCH objects of @size bytes, writing the
 * first byte of each (the line is then CPU i's), and hands them through the ring; the
 * consumer takes BATCH objects and frees them.  Each times its own allocations or frees by
 * its own clock (one CLOCK_MONOTONIC pair per batch, about 0.4 ns an object), leaving out the
 * ring and every wait: alloc_ns (CPU i) + free_ns (CPU j) = object_ns is what the allocator
 * spends on one object whose life crosses from i to j, the misses on the object and on the
 * allocator's own state included.
 *
 * The diagonal runs the same code with both threads on CPU i: the same pair, the same ring,
 * the same 512 objects at most in flight, only the free is local.  The two threads take turns
 * (yielding at once, without spinning): the producer fills the ring, the consumer empties it,
 * so each object is freed on the CPU that allocated it, after at most 511 others, as a
 * per-CPU cache sees it in the off-diagonal cells.  The timed batches exclude the switches;
 * a timer tick that preempts a thread inside a batch is the one thing counted that an
 * off-diagonal cell does not pay, rarely (a batch lasts about a microsecond).  So object_ns
 * off the diagonal over object_ns on it is the remote free's price: refills of CPU i's cache
 * that the objects never come back to, flushes of CPU j's, the lines pulled from CPU i, and
 * any lock the two sides contend for.
 *
 * Google Benchmark's own time is the pair's throughput (real_time x 2 = wall ns per object,
 * waits included: on the diagonal one CPU does both sides, off it they overlap); the report
 * reads object_ns.  One iteration is one object on each side (remote-free's convention).
 *
 * Failure: a producer whose allocation fails hands over what it allocated, stops the ring
 * and fails the run; its consumer frees what is left and fails too (wl_ring.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wl_ring.h"
#include "latency.h"
#include "workload.h"

#define NAME		"remote-free-matrix"
#define BATCH		64	/* objects per keep-running batch and per timed batch */
#define RFM_MAX_CPUS	64	/* CPUs of rfm-cpus: 4096 cells a backend */
#define RFM_PLAN_CPUS	16	/* CPUs taken from the plan when rfm-cpus is not given */

/* The option state (kmb_workload.opts): all zero is rfm-cpus not given. */
struct rfm_opts {
	int16_t given[RFM_MAX_CPUS];	/* rfm-cpus, in its order */
	int ngiven;
	/* By rfm_resolve, when the run selects the workload: */
	bool resolved;
	int16_t cpu[RFM_MAX_CPUS];	/* the matrix's CPUs, its axes' order */
	int16_t node[RFM_MAX_CPUS];	/* the node of each */
	int ncpus;
	bool nodes;			/* they span several nodes: cells carry the node pair */
	int plan;			/* CPUs the plan gave (0: rfm-cpus chose) */
};

static struct wl_pairs pairs = WL_PAIRS_INIT;

/* Allocate and hand over one batch; the ns it spent allocating, or -1 when an allocation
 * failed (what it had allocated is in the ring, the ring stopped, the reason in @msg). */
static int64_t produce(struct wl_ring *r, struct wl_ring_end *e, const struct kmb_backend_ops *b,
		       size_t size, char *msg, size_t len)
{
	void *obj[BATCH];
	int64_t t0 = (int64_t)kmb_latency_now(), t1;
	int n;

	for (n = 0; n < BATCH; n++) {
		obj[n] = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
		if (__builtin_expect(!obj[n], 0))
			break;
		*(volatile char *)obj[n] = (char)n;
	}
	t1 = (int64_t)kmb_latency_now();
	for (int i = 0; i < n; i++)
		wl_ring_put(r, WL_RING_SLOTS, e, obj[i], NULL);
	if (n == BATCH)
		return t1 - t0;
	snprintf(msg, len, NAME ": %s alloc of %zu bytes returned NULL", b->name, size);
	wl_ring_stop(r);
	return -1;
}

/* Take and free one batch; the ns it spent freeing, or -1 when the producer stopped and the
 * ring ran dry (what it took is freed). */
static int64_t consume(struct wl_ring *r, struct wl_ring_end *e, const struct kmb_backend_ops *b,
		       size_t size)
{
	void *obj[BATCH];
	int64_t t0, t1;
	int n = 0;

	while (n < BATCH && (obj[n] = wl_ring_take(r, WL_RING_SLOTS, e, NULL)))
		n++;
	t0 = (int64_t)kmb_latency_now();
	for (int i = 0; i < n; i++)
		b->free(obj[i], size);
	t1 = (int64_t)kmb_latency_now();
	return n == BATCH ? t1 - t0 : -1;
}

static int rfm_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		   const struct kmb_workload_params *p)
{
	const struct rfm_opts *o = p->opts;
	const bool producer = !(kmb_gb_thread_index(st) & 1);
	const int n = o->ncpus ? o->ncpus : 1;
	const int i = (int)(p->cell / (size_t)n), j = (int)(p->cell % (size_t)n);
	struct wl_ring_end e = WL_RING_END_INIT;
	int64_t objects = 0, ns = 0, spent;
	struct wl_ring *r;
	char msg[160];
	int err = 0;

	if (!o->ncpus) {
		kmb_gb_skip_with_error(st, NAME ": no CPUs resolved");
		return -EINVAL;
	}
	if (!wl_pair_check(st, NAME))
		return -EINVAL;
	if (o->cpu[i] == o->cpu[j])
		e.same_cpu = true;	/* the other side waits on this CPU: only yielding lets it run */
	r = wl_pair_open(&pairs, st, NAME);
	if (!r)
		err = -ENOMEM;
	while (kmb_gb_keep_running_batch(st, BATCH)) {
		if (err)
			continue;	/* failed: the loop ends at Google Benchmark's next call */
		spent = producer ? produce(r, &e, b, p->size, msg, sizeof(msg))
				 : consume(r, &e, b, p->size);
		if (spent < 0) {
			if (!producer)
				snprintf(msg, sizeof(msg), NAME ": the producer on CPU %d failed",
					 o->cpu[i]);
			kmb_gb_skip_with_error(st, msg);
			err = -ENOMEM;
			continue;
		}
		ns += spent;
		objects += BATCH;
	}
	if (!err && objects) {
		double per = (double)ns / (double)objects;

		/* Summed over the two threads (each sets its own side): object_ns is both. */
		kmb_gb_set_counter(st, producer ? "alloc_ns" : "free_ns", per, KMB_GB_CTR_DEFAULT);
		kmb_gb_set_counter(st, "object_ns", per, KMB_GB_CTR_DEFAULT);
	}
	kmb_gb_set_items_processed(st, producer ? objects : 0);
	wl_pair_close(&pairs, st, r, &e, b, p->size);
	return err;
}

/* --- the option, and the cells it resolves into on this machine --- */

/* "0-3,8" into @out (in the order given, ranges ascending); how many, or -1 on bad syntax,
 * -2 on too many, -3 on a CPU given twice. */
static int parse_list(const char *s, int16_t *out, int max)
{
	int n = 0;

	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0 || a > INT16_MAX)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b > INT16_MAX)
				return -1;
		}
		for (long c = a; c <= b; c++) {
			for (int k = 0; k < n; k++)
				if (out[k] == c)
					return -3;
			if (n == max)
				return -2;
			out[n++] = (int16_t)c;
		}
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return n ? n : -1;
}

static int parse_cpus(void *st, const char *value, char *err, size_t errlen)
{
	struct rfm_opts *o = st;
	int n = parse_list(value, o->given, RFM_MAX_CPUS);

	if (n == -2)
		snprintf(err, errlen, "'%s' names more than %d CPUs (%d cells a backend); name "
			 "fewer", value, RFM_MAX_CPUS, RFM_MAX_CPUS * RFM_MAX_CPUS);
	else if (n == -3)
		snprintf(err, errlen, "'%s' names a CPU twice; name each once", value);
	else if (n < 0)
		snprintf(err, errlen, "'%s' is not a CPU list; give OS CPU numbers and ranges, "
			 "e.g. 0,2,4-7", value);
	if (n < 0) {
		o->ngiven = 0;
		return -EINVAL;
	}
	o->ngiven = n;
	return 0;
}

/* The CPUs, ","-separated in their order (the list as given, ranges written out). */
static const char *show_list(const int16_t *cpu, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = 0; k < n && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", k ? "," : "", cpu[k]);
	return buf;
}

static const char *show_cpus(const void *st, char *buf, size_t len)
{
	const struct rfm_opts *o = st;

	return o->ngiven ? show_list(o->given, o->ngiven, buf, len) : "plan";
}

static const struct kmb_backend_opt rfm_opt[] = {
	{ "rfm-cpus", "LIST", NAME " CPUs, e.g. 0,2,4-7: every ordered pair is a cell "
	  "(default: the run's pinning plan at its largest --threads, 16 CPUs at most)",
	  parse_cpus, show_cpus },
};

/* The usable CPUs as "0-3,8", for a message. */
static void usable_list(const struct kmb_wl_machine *m, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int c = 0; c < m->ncpu_ids && used < len; c++) {
		int e = c;

		if (m->cpu_node[c] < 0)
			continue;
		while (e + 1 < m->ncpu_ids && m->cpu_node[e + 1] >= 0)
			e++;
		used += (size_t)snprintf(buf + used, len - used, e > c ? "%s%d-%d" : "%s%d",
					 used ? "," : "", c, e);
		c = e;
	}
}

/*
 * The CPUs of the matrix: rfm-cpus, each checked against the machine, else the plan's first
 * RFM_PLAN_CPUS (under --pin none, the first usable CPUs).  Then each CPU's node, and whether
 * they span several.
 */
static int rfm_resolve(void *st, const struct kmb_wl_machine *m, char *err, size_t errlen)
{
	struct rfm_opts *o = st;
	char usable[256];

	o->ncpus = 0;
	o->plan = 0;
	if (o->ngiven) {
		for (int k = 0; k < o->ngiven; k++) {
			if (o->given[k] < m->ncpu_ids && m->cpu_node[o->given[k]] >= 0)
				continue;
			usable_list(m, usable, sizeof(usable));
			snprintf(err, errlen, "--rfm-cpus: CPU %d is not usable here; usable: %s",
				 o->given[k], usable);
			return -EINVAL;
		}
		memcpy(o->cpu, o->given, sizeof(o->cpu));
		o->ncpus = o->ngiven;
	} else if (m->nplan > 0 && m->plan[0] >= 0) {
		o->plan = m->nplan;
		for (int k = 0; k < m->nplan && o->ncpus < RFM_PLAN_CPUS; k++)
			o->cpu[o->ncpus++] = (int16_t)m->plan[k];
	} else {
		o->plan = m->nplan;
		for (int c = 0; c < m->ncpu_ids && o->ncpus < RFM_PLAN_CPUS &&
				o->ncpus < m->nplan; c++)
			if (m->cpu_node[c] >= 0)
				o->cpu[o->ncpus++] = (int16_t)c;
	}
	o->nodes = false;
	for (int k = 0; k < o->ncpus; k++) {
		o->node[k] = (int16_t)m->cpu_node[o->cpu[k]];
		o->nodes |= o->node[k] != o->node[0];
	}
	o->resolved = true;
	return 0;
}

/* n x n families on every backend that allocates. */
static size_t rfm_cells(const void *st, const struct kmb_backend_ops *b, const char **why)
{
	const struct rfm_opts *o = st;

	(void)b;
	if (!o->ncpus)
		*why = NAME " has no CPUs (see context.options.rfm)";
	return (size_t)o->ncpus * (size_t)o->ncpus;
}

static void rfm_params(const void *st, const struct kmb_backend_ops *b, size_t k,
		       const struct kmb_context_sink *out)
{
	const struct rfm_opts *o = st;
	size_t i = k / (size_t)o->ncpus, j = k % (size_t)o->ncpus;

	(void)b;
	out->num(out->ctx, "alloc_cpu", o->cpu[i]);
	out->num(out->ctx, "free_cpu", o->cpu[j]);
	if (o->nodes) {
		out->num(out->ctx, "alloc_node", o->node[i]);
		out->num(out->ctx, "free_node", o->node[j]);
	}
}

/* Thread 0 (the producer) on the allocating CPU, thread 1 (the consumer) on the freeing one. */
static int rfm_cpus(const void *st, size_t k, int *cpus, int max)
{
	const struct rfm_opts *o = st;

	if (!o->ncpus || max < 2)
		return 0;
	cpus[0] = o->cpu[k / (size_t)o->ncpus];
	cpus[1] = o->cpu[k % (size_t)o->ncpus];
	return 2;
}

/* context.options.rfm: the CPUs and where they came from (results/README.md). */
static void rfm_context(const void *st, const char *section, const struct kmb_context_sink *out)
{
	const struct rfm_opts *o = st;

	if (section || !o->resolved)
		return;
	out->begin(out->ctx, "rfm");
	out->text(out->ctx, "source", o->ngiven ? "rfm-cpus" : "plan");
	if (!o->ngiven)
		out->num(out->ctx, "plan_cpus", o->plan);
	out->array(out->ctx, "cpus");
	for (int k = 0; k < o->ncpus; k++)
		out->num(out->ctx, NULL, o->cpu[k]);
	out->end(out->ctx);
	out->array(out->ctx, "nodes");
	for (int k = 0; k < o->ncpus; k++)
		out->num(out->ctx, NULL, o->node[k]);
	out->end(out->ctx);
	out->num(out->ctx, "cells", (long long)o->ncpus * o->ncpus);
	out->end(out->ctx);
}

static const struct kmb_backend_optset rfm_optset = {
	.name = NAME,
	.size = sizeof(struct rfm_opts),
	.opt = rfm_opt,
	.nopt = sizeof(rfm_opt) / sizeof(rfm_opt[0]),
	.context = rfm_context,
};

const struct kmb_workload kmb_workload_remote_free_matrix = {
	.name = NAME,
	.description = "remote-free cost matrix: allocate on CPU i, free on CPU j, a cell per "
		       "ordered pair of --rfm-cpus (default: the pin plan); one op = one object",
	.params = KMB_P_SIZE,
	.run = rfm_run,
	.opts = &rfm_optset,
	.resolve = rfm_resolve,
	.cells = rfm_cells,
	.cell_params = rfm_params,
	.cell_cpus = rfm_cpus,
};
