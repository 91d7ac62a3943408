/*
 * test_latency.c - the sampled latency histograms (harness/latency.h): the bucket layout (exact
 * below 64, at most 1/32 wide above, contiguous, up to 2^64 - 1), nearest-rank percentiles
 * within a bucket of the true sample and never above the maximum, merging by adding, and the
 * sampling intervals (about one operation in the period, at no fixed stride), and the compact
 * distribution (kmb_latency_cdf) counting exactly the samples at or below each edge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "latency.h"

static struct kmb_latency *new_sampler(uint32_t period, uint64_t seed)
{
	struct kmb_latency *l = malloc(sizeof(*l));

	assert_non_null(l);
	kmb_latency_init(l, period, seed);
	return l;
}

static void test_buckets(void **state)
{
	uint64_t prev_high = 0;

	(void)state;
	for (uint64_t v = 0; v < 64; v++) {		/* exact */
		assert_int_equal(kmb_latency_bucket(v), v);
		assert_int_equal(kmb_latency_bucket_high((unsigned int)v), v);
	}
	/* Every bucket starts one past the previous one's highest value, and is at most 1/32
	 * of its values wide. */
	for (unsigned int i = 1; i < KMB_LAT_BUCKETS; i++) {
		uint64_t high = kmb_latency_bucket_high(i), low = i == 1 ? 1 : prev_high + 1;

		assert_true(high >= low);
		assert_int_equal(kmb_latency_bucket(low), i);
		assert_int_equal(kmb_latency_bucket(high), i);
		assert_true((high - low) * 32 <= low);
		prev_high = high;
	}
	assert_int_equal(prev_high, UINT64_MAX);
	assert_int_equal(kmb_latency_bucket(UINT64_MAX), KMB_LAT_BUCKETS - 1);
}

/* 1000 samples 1000, 2000, ..., 1000000 ns (in a scrambled order): each percentile is the
 * nearest-rank sample or at most 1/32 above it. */
static void test_percentiles(void **state)
{
	static const struct {
		double q;
		uint64_t sample;	/* the nearest-rank sample */
	} want[] = {
		{ 0.5, 500000 }, { 0.9, 900000 }, { 0.99, 990000 }, { 0.999, 999000 },
		{ 0.001, 1000 }, { 1.0, 1000000 },
	};
	struct kmb_latency *l = new_sampler(1, 7);

	(void)state;
	assert_int_equal(kmb_latency_percentile(l, 0.5), 0);	/* no samples */
	for (uint64_t i = 0; i < 1000; i++)
		kmb_latency_record(l, ((i * 7919) % 1000 + 1) * 1000);
	assert_int_equal(l->count, 1000);
	assert_int_equal(l->max_ns, 1000000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t got = kmb_latency_percentile(l, want[i].q);

		print_message("[ INFO     ] q %.3f: %llu (sample %llu)\n", want[i].q,
			      (unsigned long long)got, (unsigned long long)want[i].sample);
		assert_true(got >= want[i].sample);
		assert_true((got - want[i].sample) * 32 <= want[i].sample);
		assert_true(got <= l->max_ns);
	}
	assert_int_equal(kmb_latency_percentile(l, 1.0), 1000000);	/* the max, exactly */
	free(l);
}

static void test_small_values_exact(void **state)
{
	struct kmb_latency *l = new_sampler(1, 1);

	(void)state;
	for (uint64_t v = 0; v < 64; v++)
		for (int k = 0; k < 10; k++)
			kmb_latency_record(l, v);
	assert_int_equal(kmb_latency_percentile(l, 0.5), 31);	/* rank 320: the 320th sample */
	assert_int_equal(kmb_latency_percentile(l, 0.9), 57);	/* rank 576 */
	assert_int_equal(kmb_latency_percentile(l, 0.999), 63);
	assert_int_equal(kmb_latency_percentile(l, 0.0), 0);	/* rank 1 */
	free(l);
}

/* Two threads' samplers add up to the sampler of all their samples. */
static void test_add(void **state)
{
	struct kmb_latency *a = new_sampler(1, 1), *b = new_sampler(1, 2), *all = new_sampler(1, 3);

	(void)state;
	for (uint64_t i = 1; i <= 3000; i++) {
		uint64_t v = i * i % 100003;

		kmb_latency_record(i % 3 ? a : b, v);
		kmb_latency_record(all, v);
	}
	kmb_latency_add(a, b);
	assert_int_equal(a->count, all->count);
	assert_int_equal(a->max_ns, all->max_ns);
	assert_memory_equal(a->bucket, all->bucket, sizeof(a->bucket));
	for (double q = 0.05; q < 1; q += 0.05)
		assert_int_equal(kmb_latency_percentile(a, q), kmb_latency_percentile(all, q));
	free(a);
	free(b);
	free(all);
}

/*
 * The distribution (kmb_latency_cdf): edges and counts rising, the last count every sample and
 * the last edge the maximum; each edge the top of an 8-per-power-of-two bucket (exact below 16),
 * at most 1/8 above every sample it counts beyond those of the edge before; and against the
 * samples themselves, count[i] is exactly the number of samples <= le[i].
 */
static void test_cdf(void **state)
{
	struct kmb_latency *l = new_sampler(1, 7);
	static uint64_t le[KMB_LAT_CDF_MAX], count[KMB_LAT_CDF_MAX], v[5000];
	unsigned int n;

	(void)state;
	assert_int_equal(kmb_latency_cdf(l, le, count), 0);	/* no samples */
	for (unsigned int i = 0; i < 5000; i++) {
		v[i] = 3 + (uint64_t)i * i % 99991 + (i % 7 ? 0 : 5000000);
		kmb_latency_record(l, v[i]);
	}
	n = kmb_latency_cdf(l, le, count);
	print_message("[ INFO     ] 5000 samples: %u points\n", n);
	assert_true(n > 16 && n <= KMB_LAT_CDF_MAX);
	assert_int_equal(count[n - 1], 5000);
	assert_int_equal(le[n - 1], l->max_ns);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t below = 0, lo = i ? le[i - 1] + 1 : 0;

		if (i)
			assert_true(le[i] > le[i - 1] && count[i] > count[i - 1]);
		for (unsigned int k = 0; k < 5000; k++) {
			below += v[k] <= le[i];
			/* a sample this edge counts first lies within 1/8 below it */
			if (v[k] >= lo && v[k] <= le[i] && le[i] >= 16)
				assert_true((le[i] - v[k]) * KMB_LAT_CDF_SUB <= v[k]);
		}
		assert_int_equal(count[i], below);
	}
	free(l);
}

/* About one operation in the period is due, at varying intervals; period 1: every one. */
static void test_sampling(void **state)
{
	struct kmb_latency *l = new_sampler(64, 12345);
	unsigned int due = 0, gaps[256] = { 0 }, since = 0, distinct = 0;

	(void)state;
	for (int i = 0; i < 64000; i++) {
		since++;
		if (kmb_latency_due(l)) {
			due++;
			assert_true(since >= 1 && since <= 127);
			gaps[since]++;
			since = 0;
			kmb_latency_record(l, 100);
		}
	}
	for (int i = 0; i < 256; i++)
		distinct += gaps[i] > 0;
	print_message("[ INFO     ] period 64: %u of 64000 due, %u distinct intervals\n", due,
		      distinct);
	assert_true(due >= 900 && due <= 1100);		/* 1000 expected */
	assert_true(distinct > 64);			/* not a fixed stride */
	assert_int_equal(l->count, due);

	kmb_latency_init(l, 1, 0);
	for (int i = 0; i < 100; i++) {
		assert_true(kmb_latency_due(l));
		kmb_latency_record(l, 5);
	}
	free(l);
}

static void test_clock(void **state)
{
	uint64_t a, b, c;

	(void)state;
	a = kmb_latency_now();
	c = kmb_latency_clock_ns();
	b = kmb_latency_now();
	assert_true(b >= a);
	assert_true(c <= b - a);	/* one pair of reads within the whole measurement */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_cdf),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests_name("latency", tests, NULL, NULL);
}
