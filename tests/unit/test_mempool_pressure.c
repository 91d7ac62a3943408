/*
 * test_mempool_pressure.c - the mempool-pressure workload (workloads/mempool_pressure.c) on the
 * mempool backend, run through Google Benchmark as `kmbench run` runs it, at 1 and 2 threads.
 *
 * Every run ends without an error (the workload fails a run whose elements are not all freed,
 * whose reserve is not back at min_nr, or whose counters disagree); what the failure rate fixes
 * holds exactly: at 0% no allocation comes from the reserve and no thread hands its live set to
 * the rescuer, at 100% every allocation comes from the reserve and the threads do hand theirs
 * over (the live set of 100 is above the reserve of 64), at 50% about half come from it.  After
 * the runs, seen from outside the workload: the reserve is full, the fault injection is off
 * again, and the allocator's invariants hold.  No assertion depends on timing (whether a thread
 * slept is the scheduler's business; the counters' consistency is checked either way).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench.h"
#include "kmbench/backend.h"
#include "workload.h"

#define SIZE	256
#define LIVE	100

static const struct kmb_backend_ops *b;
static const struct kmb_workload *w;

struct family {
	struct kmb_workload_params p;
	void *opts;		/* the workload's option state: mempool-fail, one rate */
};

/* What Google Benchmark reported for the runs of one family. */
struct seen {
	int runs, errors;
	char error[256];
	double min_reserve, max_reserve, punts_min, punts_max, atomic_nulls;
	double kernel_waits, wait_ns, wait_max_ns, samples_min;
};

static void bench(struct kmb_gb_state *st, void *arg)
{
	struct family *f = arg;

	w->run(st, b, &f->p);
}

static double counter(const struct kmb_gb_run *r, const char *name)
{
	for (size_t i = 0; i < r->ncounters; i++)
		if (!strcmp(r->counters[i].name, name))
			return r->counters[i].value;
	fail_msg("%s: no counter %s", r->name, name);
	return NAN;
}

static void on_run(const struct kmb_gb_run *r, void *ctx)
{
	struct seen *s = ctx;
	double reserve, punts;

	s->runs++;
	if (r->error) {
		s->errors++;
		snprintf(s->error, sizeof(s->error), "%s", r->error_message);
		return;
	}
	reserve = counter(r, "reserve_frac");
	punts = counter(r, "punts");
	print_message("[ INFO     ] %s: reserve %.4f, punts %.0f, waits %.0f (mean %.0f ns), "
		      "ATOMIC NULL %.0f, p99 %.0f ns\n", r->name, reserve, punts,
		      counter(r, "kernel_waits"), counter(r, "kernel_wait_mean_ns"),
		      counter(r, "atomic_nulls"), counter(r, "lat_p99_ns"));
	if (s->runs == 1 || reserve < s->min_reserve)
		s->min_reserve = reserve;
	if (s->runs == 1 || reserve > s->max_reserve)
		s->max_reserve = reserve;
	if (s->runs == 1 || punts < s->punts_min)
		s->punts_min = punts;
	if (punts > s->punts_max)
		s->punts_max = punts;
	s->atomic_nulls += counter(r, "atomic_nulls");
	s->kernel_waits += counter(r, "kernel_waits");
	s->wait_ns += counter(r, "kernel_wait_ns");
	if (counter(r, "kernel_wait_max_ns") > s->wait_max_ns)
		s->wait_max_ns = counter(r, "kernel_wait_max_ns");
	if (s->runs == 1 || counter(r, "lat_samples") < s->samples_min)
		s->samples_min = counter(r, "lat_samples");
	/* The percentiles in order, up to the maximum. */
	assert_true(counter(r, "lat_p50_ns") <= counter(r, "lat_p90_ns"));
	assert_true(counter(r, "lat_p90_ns") <= counter(r, "lat_p99_ns"));
	assert_true(counter(r, "lat_p99_ns") <= counter(r, "lat_p999_ns"));
	assert_true(counter(r, "lat_p999_ns") <= counter(r, "lat_max_ns"));
}

/* Run the workload at @fail percent, 1 and 2 threads, into @s. */
static void run_at(unsigned int fail, struct seen *s)
{
	static struct family fams[4];
	static int nfam;
	struct kmb_gb_global_opts go = { 0.02, 1, false, NULL };
	struct kmb_gb_bench_opts bo = { (int[]){ 1, 2 }, 2, true };
	struct family *f = &fams[nfam++];
	char name[96], filter[100];

	char kv[32], err[256];

	/* The rate as the workload's own option (mempool-fail), parsed by its own parser. */
	snprintf(kv, sizeof(kv), "mempool-fail=%u", fail);
	f->opts = calloc(1, w->opts->size);
	assert_non_null(f->opts);
	assert_int_equal(kmb_backend_opts_parse(w->opts, (const char *[]){ kv, NULL }, f->opts,
						err, sizeof(err)), 0);
	assert_int_equal(w->cells(f->opts, b, &(const char *){ NULL }), 1);
	f->p = (struct kmb_workload_params){ .size = SIZE, .batch = LIVE, .opts = f->opts };
	snprintf(name, sizeof(name), "mempool-pressure/mempool/fail:%u", fail);
	snprintf(filter, sizeof(filter), "^%s/", name);
	go.filter = filter;		/* the registry keeps the earlier families */
	assert_int_equal(kmb_gb_init(&go), 0);
	assert_int_equal(kmb_gb_register(name, bench, f, &bo), 0);
	memset(s, 0, sizeof(*s));
	assert_int_equal(kmb_gb_run_all(on_run, s), 2);	/* one per thread count */
	assert_int_equal(s->errors, 0);
	assert_int_equal(s->runs, 2);
	assert_true(s->samples_min > 0);
}

/* The state the runs must leave behind, seen through the backend. */
static void check_after(void)
{
	struct kmb_reserve_stats rs;
	char why[256] = "";
	void *p[128];

	assert_int_equal(b->reserve->stats(SIZE, &rs), 0);
	assert_int_equal(rs.min_nr, 64);
	assert_int_equal(rs.curr_nr, rs.min_nr);
	/* Fault injection is off: 128 allocations at once, none from the reserve. */
	b->reserve->reset(SIZE);
	for (int i = 0; i < 128; i++) {
		p[i] = b->alloc(SIZE, GFP_ATOMIC, NUMA_NO_NODE);
		assert_non_null(p[i]);
	}
	assert_int_equal(b->reserve->stats(SIZE, &rs), 0);
	assert_int_equal(rs.from_reserve, 0);
	assert_int_equal(rs.injected, 0);
	for (int i = 0; i < 128; i++)
		b->free(p[i], SIZE);
	assert_int_equal(b->check(why, sizeof(why)), 0);
}

static void test_no_failures(void **state)
{
	struct seen s;

	(void)state;
	run_at(0, &s);
	assert_true(s.max_reserve == 0);
	assert_true(s.punts_max == 0);
	assert_true(s.atomic_nulls == 0);
	assert_true(s.kernel_waits == 0 && s.wait_ns == 0);
	check_after();
}

static void test_half_failing(void **state)
{
	struct seen s;

	(void)state;
	run_at(50, &s);
	/* The injected share, give or take: a first try fails half the time, and a failed one
	 * takes from the reserve, which the frees keep full. */
	assert_true(s.min_reserve > 0.4 && s.max_reserve < 0.6);
	check_after();
}

static void test_always_failing(void **state)
{
	struct seen s;

	(void)state;
	run_at(100, &s);
	assert_true(s.min_reserve == 1 && s.max_reserve == 1);
	assert_true(s.punts_min > 0);
	/* Whether anybody slept is the scheduler's business; if somebody did, the longest sleep
	 * is within the total. */
	assert_true(s.wait_max_ns <= s.wait_ns);
	assert_true((s.kernel_waits == 0) == (s.wait_ns == 0));
	check_after();
}

static int setup(void **state)
{
	struct kmb_backend_config cfg = { .nthreads = 2, .max_size = SIZE };
	char why[256] = "";

	(void)state;
	b = kmb_backend_find("mempool");
	for (size_t i = 0; i < kmb_nr_workloads; i++)
		if (!strcmp(kmb_workloads[i]->name, "mempool-pressure"))
			w = kmb_workloads[i];
	if (!b || !w || !b->reserve || !b->reserve->set_fail || !b->reserve->stats ||
	    !b->reserve->reset)
		return -1;
	if (b->init(&cfg, why, sizeof(why))) {
		print_error("mempool init: %s\n", why);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	b->fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_failures),
		cmocka_unit_test(test_half_failing),
		cmocka_unit_test(test_always_failing),
	};

	return cmocka_run_group_tests_name("mempool-pressure", tests, setup, teardown);
}
