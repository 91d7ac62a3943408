/*
 * test_gbench.c - the C wrapper over Google Benchmark: batched loops count every iteration,
 * the region hooks run once each per thread around the timed loop, skip-with-error reaches the
 * report with its message, counters are averaged over threads, names are as documented, and the
 * loop's last batch is known as such (kmb_gb_loop_ending).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "gbench.h"

static atomic_int starts, stops;

static void on_start(struct kmb_gb_state *st, void *arg)
{
	(void)st, (void)arg;
	atomic_fetch_add(&starts, 1);
}

static void on_stop(struct kmb_gb_state *st, void *arg)
{
	(void)st, (void)arg;
	atomic_fetch_add(&stops, 1);
}

static void counted(struct kmb_gb_state *st, void *arg)
{
	long long n = 0, ending_at = -1;

	(void)arg;
	kmb_gb_set_hooks(st, on_start, on_stop, NULL);
	assert_false(kmb_gb_loop_ending(st));		/* not started */
	while (kmb_gb_keep_running_batch(st, 64)) {
		if (kmb_gb_loop_ending(st)) {		/* once, and in the last batch only */
			assert_int_equal(ending_at, -1);
			ending_at = n;
		}
		n += 64;
	}
	assert_int_equal(ending_at, n - 64);
	assert_int_equal(n, kmb_gb_iterations(st));	/* a batch overshoots; iterations says so */
	kmb_gb_set_counter(st, "thread_index_plus_one", kmb_gb_thread_index(st) + 1,
			   KMB_GB_CTR_AVG_THREADS);
	kmb_gb_set_items_processed(st, n);
}

static void failing(struct kmb_gb_state *st, void *arg)
{
	(void)arg;
	kmb_gb_set_hooks(st, on_start, on_stop, NULL);
	while (kmb_gb_keep_running_batch(st, 8)) {
		kmb_gb_skip_with_error(st, "deliberate failure 42");
		break;
	}
	assert_true(kmb_gb_error_occurred(st));
}

struct seen {
	int runs, errors;
	long long iterations;
	double avg_counter, items;
	char error[128], name[160];
};

static void on_run(const struct kmb_gb_run *r, void *ctx)
{
	struct seen *s = ctx;

	s->runs++;
	snprintf(s->name, sizeof(s->name), "%s", r->name);
	if (r->error) {
		s->errors++;
		snprintf(s->error, sizeof(s->error), "%s", r->error_message);
		return;
	}
	s->iterations = r->iterations;
	for (size_t i = 0; i < r->ncounters; i++) {
		if (!strcmp(r->counters[i].name, "thread_index_plus_one"))
			s->avg_counter = r->counters[i].value;
		if (!strcmp(r->counters[i].name, "items_per_second"))
			s->items = r->counters[i].value;
	}
}

static void test_wrapper(void **state)
{
	struct kmb_gb_global_opts go = { 0.01, 1, false, NULL };
	struct kmb_gb_bench_opts two = { (int[]){ 2 }, 1, true };
	struct kmb_gb_bench_opts one = { (int[]){ 1 }, 1, true };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(kmb_gb_init(&go), 0);
	assert_int_equal(kmb_gb_register("wrap/counted", counted, NULL, &two), 0);
	assert_int_equal(kmb_gb_register("wrap/counted", counted, NULL, &two), -EINVAL);
	assert_int_equal(kmb_gb_register("wrap/bad", counted, NULL,
					 &(struct kmb_gb_bench_opts){ (int[]){ 0 }, 1, true }),
			 -EINVAL);
	assert_int_equal(kmb_gb_run_all(on_run, &s), 1);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.errors, 0);
	assert_string_equal(s.name, "wrap/counted/real_time/threads:2");
	/* Every thread passes the start hook once and the stop hook once, in every run Google
	 * Benchmark makes while it sizes the iteration count. */
	assert_true(atomic_load(&starts) >= 2);
	assert_int_equal(atomic_load(&starts), atomic_load(&stops));
	assert_true(s.iterations > 0);
	assert_true(s.items > 0);
	assert_true(s.avg_counter > 1.49 && s.avg_counter < 1.51);	/* (1 + 2) / 2 */

	memset(&s, 0, sizeof(s));
	atomic_store(&starts, 0);
	atomic_store(&stops, 0);
	go.filter = "wrap/failing";	/* the registry keeps wrap/counted: run only the new one */
	assert_int_equal(kmb_gb_init(&go), 0);
	assert_int_equal(kmb_gb_register("wrap/failing", failing, NULL, &one), 0);
	assert_int_equal(kmb_gb_run_all(on_run, &s), 1);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.errors, 1);
	assert_string_equal(s.error, "deliberate failure 42");
	assert_int_equal(atomic_load(&starts), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapper),
	};

	return cmocka_run_group_tests_name("gbench", tests, NULL, NULL);
}
