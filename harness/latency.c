/*
 * latency.c - sampled latency histograms (latency.h): the out-of-line half of the sampler, the
 * bucket layout, percentiles, and the clock's own cost.
 */
#include <stdlib.h>
#include <string.h>

#include "latency.h"

_Static_assert(KMB_LAT_SUB_BITS >= 1 && KMB_LAT_SUB_BITS <= 8, "sub-bucket bits");

/* The next interval, uniform in 1 .. 2 x period - 1: mean @period, and no fixed stride. */
static uint32_t next_interval(struct kmb_latency *l)
{
	uint64_t x = l->rng;

	if (l->period <= 1)
		return 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	l->rng = x;
	return 1 + (uint32_t)(x % (2 * (uint64_t)l->period - 1));
}

void kmb_latency_init(struct kmb_latency *l, uint32_t period, uint64_t seed)
{
	memset(l, 0, sizeof(*l));
	l->period = period ? period : 1;
	l->rng = seed ? seed : 0x9e3779b97f4a7c15ull;	/* xorshift must not start at 0 */
	l->countdown = next_interval(l);
}

unsigned int kmb_latency_bucket(uint64_t ns)
{
	unsigned int shift;

	if (ns < 2 * KMB_LAT_SUB)
		return (unsigned int)ns;
	shift = (unsigned int)(63 - __builtin_clzll(ns)) - KMB_LAT_SUB_BITS;
	return shift * KMB_LAT_SUB + (unsigned int)(ns >> shift);
}

uint64_t kmb_latency_bucket_high(unsigned int i)
{
	unsigned int shift;

	if (i < 2 * KMB_LAT_SUB)
		return i;
	shift = i / KMB_LAT_SUB - 1;
	/* ((top + 1) << shift) - 1, where top = i % KMB_LAT_SUB + KMB_LAT_SUB */
	return (((uint64_t)(i % KMB_LAT_SUB + KMB_LAT_SUB + 1)) << shift) - 1;
}

void kmb_latency_record(struct kmb_latency *l, uint64_t ns)
{
	l->bucket[kmb_latency_bucket(ns)]++;
	l->count++;
	if (ns > l->max_ns)
		l->max_ns = ns;
	l->countdown = next_interval(l);
}

void kmb_latency_add(struct kmb_latency *into, const struct kmb_latency *from)
{
	for (unsigned int i = 0; i < KMB_LAT_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	if (from->max_ns > into->max_ns)
		into->max_ns = from->max_ns;
}

uint64_t kmb_latency_percentile(const struct kmb_latency *l, double q)
{
	uint64_t rank, seen = 0;

	if (!l->count)
		return 0;
	if (q > 1)
		q = 1;
	/* Nearest rank: the smallest sample with at least q x count samples at or below it. */
	rank = (uint64_t)(q * (double)l->count);
	if ((double)rank < q * (double)l->count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < KMB_LAT_BUCKETS; i++) {
		seen += l->bucket[i];
		if (seen >= rank) {
			uint64_t high = kmb_latency_bucket_high(i);

			return high < l->max_ns ? high : l->max_ns;
		}
	}
	return l->max_ns;
}

/* The top of @ns's bucket in a layout of KMB_LAT_CDF_SUB buckets per power of two: the
 * histogram's layout with fewer sub-buckets, so each of its buckets lies inside one of these. */
static uint64_t cdf_high(uint64_t ns)
{
	unsigned int shift;

	if (ns < 2 * KMB_LAT_CDF_SUB)
		return ns;
	shift = (unsigned int)(63 - __builtin_clzll(ns)) - KMB_LAT_CDF_SUB_BITS;
	return (((ns >> shift) + 1) << shift) - 1;
}

unsigned int kmb_latency_cdf(const struct kmb_latency *l, uint64_t *le, uint64_t *count)
{
	uint64_t seen = 0;
	unsigned int n = 0;

	_Static_assert(KMB_LAT_CDF_SUB_BITS <= KMB_LAT_SUB_BITS, "coarser than the histogram");
	for (unsigned int i = 0; i < KMB_LAT_BUCKETS; i++) {
		uint64_t top;

		if (!l->bucket[i])
			continue;
		seen += l->bucket[i];
		top = cdf_high(kmb_latency_bucket_high(i));
		/* The maximum is exact: the last point's top is no higher (as the percentiles). */
		top = top < l->max_ns ? top : l->max_ns;
		if (n && le[n - 1] == top) {
			count[n - 1] = seen;
			continue;
		}
		le[n] = top;
		count[n++] = seen;
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define CLOCK_PAIRS 301

uint64_t kmb_latency_clock_ns(void)
{
	uint64_t d[CLOCK_PAIRS];

	for (int i = 0; i < CLOCK_PAIRS; i++) {
		uint64_t t = kmb_latency_now();

		d[i] = kmb_latency_now() - t;
	}
	qsort(d, CLOCK_PAIRS, sizeof(d[0]), cmp_u64);
	return d[CLOCK_PAIRS / 2];
}
