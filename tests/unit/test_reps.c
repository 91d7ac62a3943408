/*
 * test_reps.c - the order of a backend's repetitions and a cell's aggregates (harness/reps.h),
 * and the one-run-at-a-time wrapper they run through (gbench.h kmb_gb_run_one):
 *   - in order: cells in plan order, each cell's repetitions together, its pass after them;
 *   - interleaved: every repetition once, each pass right after its cell's last repetition,
 *     the same order for the same seed and backend, another for another seed or backend, and
 *     near-uniform over seeds;
 *   - a --resume's order: the first attempt's, the kept cells left out, the same seq numbers;
 *   - the aggregates equal those Google Benchmark computes itself over the same repetitions
 *     (mean, median at an odd and an even count, stddev, cv; times and counters), and none
 *     when fewer than two repetitions did not fail;
 *   - kmb_gb_run_one runs only what it is given, the iterations asked for, under the name a
 *     family run whole has.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench.h"
#include "reps.h"

#define NCELLS 6

static const bool has_pass[NCELLS] = { true, false, true, true, false, true };

static long order(int reps, const bool *kept, bool interleave, uint32_t seed, const char *b,
		  struct kmb_step **steps)
{
	long n = kmb_reps_order(NCELLS, reps, has_pass, kept, interleave, seed, b, steps);

	assert_true(n >= 0);
	return n;
}

/* Every cell's @reps repetitions once, its pass right after its last, seq 0, 1, ... */
static void check_whole(const struct kmb_step *s, long n, int reps)
{
	int seen[NCELLS] = { 0 };
	long want = 0;

	for (size_t c = 0; c < NCELLS; c++)
		want += reps + has_pass[c];
	assert_int_equal(n, want);
	for (long i = 0; i < n; i++) {
		assert_int_equal(s[i].seq, i);
		assert_true(s[i].cell < NCELLS);
		if (s[i].pass) {
			assert_true(has_pass[s[i].cell]);
			assert_true(i > 0 && !s[i - 1].pass && s[i - 1].cell == s[i].cell);
			assert_int_equal(seen[s[i].cell], reps);
		} else {
			seen[s[i].cell]++;
		}
	}
	for (size_t c = 0; c < NCELLS; c++)
		assert_int_equal(seen[c], reps);
}

static bool same(const struct kmb_step *a, const struct kmb_step *b, long n)
{
	for (long i = 0; i < n; i++)
		if (a[i].cell != b[i].cell || a[i].pass != b[i].pass)
			return false;
	return true;
}

static void test_in_order(void **state)
{
	struct kmb_step *s;
	long n = order(3, NULL, false, 7, "slab", &s), i = 0;

	(void)state;
	check_whole(s, n, 3);
	for (size_t c = 0; c < NCELLS; c++) {
		for (int r = 0; r < 3; r++, i++)
			assert_true(s[i].cell == c && !s[i].pass);
		if (has_pass[c])
			assert_true(s[i].cell == c && s[i++].pass);
	}
	free(s);
	n = order(0, NULL, false, 7, "slab", &s);	/* --repetitions 0 or 1: one each */
	check_whole(s, n, 1);
	free(s);
}

static void test_interleaved(void **state)
{
	struct kmb_step *a, *b, *c, *d, *e;
	long n = order(3, NULL, true, 42, "slab", &a);

	(void)state;
	check_whole(a, n, 3);
	order(3, NULL, true, 42, "slab", &b);
	assert_true(same(a, b, n));			/* the seed gives the order */
	order(3, NULL, true, 43, "slab", &c);
	assert_false(same(a, c, n));
	order(3, NULL, true, 42, "glibc", &d);
	assert_false(same(a, d, n));			/* each backend its own */
	order(3, NULL, false, 42, "slab", &e);
	assert_false(same(a, e, n));			/* not in order */
	free(a), free(b), free(c), free(d), free(e);
}

/* Two cells of one repetition, no pass: either comes first about half of the time. */
static void test_uniform(void **state)
{
	int first0 = 0;

	(void)state;
	for (uint32_t seed = 0; seed < 2000; seed++) {
		struct kmb_step *s;
		long n = kmb_reps_order(2, 1, (bool[]){ false, false }, NULL, true, seed, "slab",
					&s);

		assert_int_equal(n, 2);
		first0 += s[0].cell == 0;
		free(s);
	}
	assert_true(first0 > 850 && first0 < 1150);
}

static void test_resume(void **state)
{
	static const bool kept[NCELLS] = { false, true, false, false, true, false };
	struct kmb_step *all, *rest;
	long n = order(3, NULL, true, 9, "slab", &all), m = order(3, kept, true, 9, "slab", &rest);
	long k = 0;

	(void)state;
	for (long i = 0; i < n; i++) {	/* the first attempt's order, kept cells left out */
		if (kept[all[i].cell])
			continue;
		assert_true(k < m);
		assert_true(rest[k].cell == all[i].cell && rest[k].pass == all[i].pass &&
			    rest[k].seq == all[i].seq);
		k++;
	}
	assert_int_equal(k, m);
	free(all);
	free(rest);
}

/* ---- aggregates against Google Benchmark's own ---- */

/* A workload whose time and counters vary between repetitions. */
static void varying(struct kmb_gb_state *st, void *arg)
{
	static int calls;
	volatile double x = 1;
	long long n = 0;
	int spin = 50 + 40 * (__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED) % 5);

	(void)arg;
	while (kmb_gb_keep_running_batch(st, 16))
		for (int i = 0; i < 16; i++, n++)
			for (int k = 0; k < spin; k++)
				x = x * 1.0000001 + 1e-9;
	kmb_gb_set_counter(st, "spin", spin, KMB_GB_CTR_AVG_THREADS);
	kmb_gb_set_counter(st, "thread", kmb_gb_thread_index(st), KMB_GB_CTR_DEFAULT);
	kmb_gb_set_items_processed(st, n);
}

/* Deep copies of the runs Google Benchmark reports (its strings live for the call only). */
struct copied {
	struct kmb_gb_run runs[16];
	int n;
};

static void copy_run(const struct kmb_gb_run *r, void *ctx)
{
	struct copied *c = ctx;
	struct kmb_gb_run *d = &c->runs[c->n++];
	struct kmb_gb_counter *ctr = calloc(r->ncounters + 1, sizeof(*ctr));

	assert_true(c->n <= 16 && ctr);
	*d = *r;
	d->name = strdup(r->name);
	d->run_name = strdup(r->run_name);
	d->function_name = strdup(r->function_name);
	d->aggregate_name = strdup(r->aggregate_name);
	d->error_message = strdup(r->error_message);
	for (size_t i = 0; i < r->ncounters; i++)
		ctr[i] = (struct kmb_gb_counter){ strdup(r->counters[i].name),
						  r->counters[i].value };
	d->counters = ctr;
}

static void free_copied(struct copied *c)
{
	for (int i = 0; i < c->n; i++) {
		struct kmb_gb_run *d = &c->runs[i];

		free((char *)d->name);
		free((char *)d->run_name);
		free((char *)d->function_name);
		free((char *)d->aggregate_name);
		free((char *)d->error_message);
		for (size_t k = 0; k < d->ncounters; k++)
			free((char *)d->counters[k].name);
		free((void *)d->counters);
	}
	c->n = 0;
}

static void near(double a, double b, const char *what)
{
	if (fabs(a - b) > 1e-9 * fmax(fabs(a), fabs(b)) + 1e-12) {
		fprintf(stderr, "%s: %.17g against Google Benchmark's %.17g\n", what, a, b);
		fail();
	}
}

/* Google Benchmark's @c->runs: @reps repetitions, then its aggregates; ours must match. */
static void against_gbench(const struct copied *c, int reps)
{
	struct kmb_reps_agg agg[KMB_REPS_NAGG];
	int na = kmb_reps_aggregates(c->runs, (size_t)reps, agg);

	assert_int_equal(c->n, reps + KMB_REPS_NAGG);
	assert_int_equal(na, KMB_REPS_NAGG);
	for (int i = 0; i < na; i++) {
		const struct kmb_gb_run *g = &c->runs[reps + i], *o = &agg[i].r;

		assert_true(g->aggregate && o->aggregate);
		assert_string_equal(o->name, g->name);
		assert_string_equal(o->run_name, g->run_name);
		assert_string_equal(o->aggregate_name, g->aggregate_name);
		assert_int_equal(o->aggregate_is_percentage, g->aggregate_is_percentage);
		assert_int_equal(o->iterations, g->iterations);
		assert_int_equal(o->threads, g->threads);
		assert_int_equal(o->repetitions, g->repetitions);
		assert_int_equal(o->per_family_instance_index, g->per_family_instance_index);
		near(o->real_time_ns, g->real_time_ns, g->name);
		near(o->cpu_time_ns, g->cpu_time_ns, g->name);
		assert_int_equal(o->ncounters, g->ncounters);
		for (size_t k = 0; k < g->ncounters; k++) {
			assert_string_equal(o->counters[k].name, g->counters[k].name);
			near(o->counters[k].value, g->counters[k].value, g->counters[k].name);
		}
	}
	kmb_reps_agg_free(agg, na);
}

static void test_aggregates(void **state)
{
	struct kmb_gb_global_opts go = { 0.002, 4, false, NULL };
	struct kmb_gb_bench_opts two = { (int[]){ 2 }, 1, true };
	struct copied even = { 0 }, odd = { 0 };
	struct kmb_reps_agg agg[KMB_REPS_NAGG];

	(void)state;
	assert_int_equal(kmb_gb_init(&go), 0);
	assert_int_equal(kmb_gb_register("reps/even", varying, NULL, &two), 0);
	assert_int_equal(kmb_gb_run_all(copy_run, &even), 1);
	against_gbench(&even, 4);		/* median: the mean of the middle two */
	go.filter = "reps/odd";
	assert_int_equal(kmb_gb_init(&go), 0);
	assert_int_equal(kmb_gb_register_limited("reps/odd", varying, NULL, &two, 0, 5), 0);
	assert_int_equal(kmb_gb_run_all(copy_run, &odd), 1);
	against_gbench(&odd, 5);

	/* Fewer than two that did not fail: none, as Google Benchmark writes none. */
	odd.runs[1].error = odd.runs[2].error = odd.runs[3].error = odd.runs[4].error = true;
	assert_int_equal(kmb_reps_aggregates(odd.runs, 5, agg), 0);
	assert_int_equal(kmb_reps_aggregates(odd.runs, 1, agg), 0);
	free_copied(&even);
	free_copied(&odd);
}

struct one_seen {
	int runs;
	long long iterations;
	char name[160];
};

static void one_run(const struct kmb_gb_run *r, void *ctx)
{
	struct one_seen *s = ctx;

	s->runs++;
	s->iterations = r->iterations;
	snprintf(s->name, sizeof(s->name), "%s", r->run_name);
}

static void test_run_one(void **state)
{
	struct kmb_gb_one o = { .threads = 2, .real_time = true, .iterations = 160 };
	struct kmb_gb_bench_opts one = { (int[]){ 1 }, 1, true };
	struct one_seen s = { 0 };

	(void)state;
	/* Registered before, and dropped: only the one given runs. */
	assert_int_equal(kmb_gb_register("reps/left-over", varying, NULL, &one), 0);
	assert_int_equal(kmb_gb_run_one("reps/one", varying, NULL, &o, one_run, &s), 0);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.iterations, 2 * 160);	/* per thread, a multiple of the batch */
	assert_string_equal(s.name, "reps/one/real_time/threads:2");	/* no iterations:160 */
	o.threads = 0;
	assert_int_equal(kmb_gb_run_one("reps/one", varying, NULL, &o, one_run, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_run_one),
	};

	return cmocka_run_group_tests_name("reps", tests, NULL, NULL);
}
