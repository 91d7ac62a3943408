/*
 * latency.h - sampled latency of single operations, for workloads (latency.c).
 *
 * Timing every operation would cost more than many operations take (a clock read is 20-40 ns on
 * the machines this runs on), so a workload times a sample: about one operation in @period, at
 * pseudo-random intervals (uniform in 1 .. 2 x period - 1), so that the sample does not beat
 * with a period of the workload's own (every 8th operation of some kind, say).  An unsampled
 * operation pays one decrement and one predicted branch; a sampled one pays two clock reads
 * (CLOCK_MONOTONIC through the vDSO) and a histogram update, out of line.  The sampled time
 * includes about one clock read (kmb_latency_clock_ns() measures it, for the reader).
 *
 * The histogram is log-linear, HdrHistogram's layout: values below 64 ns exactly, above that
 * KMB_LAT_SUB buckets per power of two, so a bucket spans at most 1/32 of its values (3.1%).
 * It takes 15 KiB whatever the number of samples, and two histograms merge by adding.  A
 * percentile is the nearest-rank sample, reported as the highest value its bucket holds (at most
 * 3.1% above the sample) and never above the maximum, which is kept exactly.
 *
 * Use, on each benchmark thread, with a sampler of its own:
 *
 *	kmb_latency_init(l, 64, seed);
 *	while (kmb_gb_keep_running_batch(st, n))
 *		for (i = 0; i < n; i++) {
 *			if (kmb_latency_due(l)) {
 *				uint64_t t = kmb_latency_now();
 *
 *				op();
 *				kmb_latency_record(l, kmb_latency_now() - t);
 *			} else {
 *				op();
 *			}
 *		}
 *
 * then, once every thread has stopped recording, add the threads' samplers into one
 * (kmb_latency_add) and read it (kmb_latency_percentile, or kmb_latency_counters for the usual
 * result counters).  A sampler is written by one thread at a time.
 */
#ifndef KMB_HARNESS_LATENCY_H
#define KMB_HARNESS_LATENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gbench.h"

#define KMB_LAT_SUB_BITS	5
#define KMB_LAT_SUB		(1u << KMB_LAT_SUB_BITS)	/* buckets per power of two */
/* Values below 2 x KMB_LAT_SUB have a bucket each; each power of two above has KMB_LAT_SUB. */
#define KMB_LAT_BUCKETS		((65 - KMB_LAT_SUB_BITS) * KMB_LAT_SUB)

struct kmb_latency {
	uint32_t countdown;		/* operations until the next sample */
	uint32_t period;		/* mean operations between samples */
	uint64_t rng;			/* xorshift64 state of the intervals */
	uint64_t count;			/* samples recorded */
	uint64_t max_ns;		/* the largest sample, exactly */
	uint64_t bucket[KMB_LAT_BUCKETS];	/* samples per bucket (kmb_latency_bucket) */
};

/* kmb_latency_init - an empty sampler taking about one operation in @period (>= 1; 1: every
 * operation), its intervals drawn from @seed. */
void kmb_latency_init(struct kmb_latency *l, uint32_t period, uint64_t seed);

/* kmb_latency_due - count one operation; true when it is to be timed. */
static inline bool kmb_latency_due(struct kmb_latency *l)
{
	return __builtin_expect(--l->countdown == 0, 0);
}

/* kmb_latency_now - the clock the samples are taken with, in ns. */
static inline uint64_t kmb_latency_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* kmb_latency_record - one sample of @ns; draws the interval to the next. */
void kmb_latency_record(struct kmb_latency *l, uint64_t ns);

/* kmb_latency_add - add @from's samples to @into (the same histogram layout: any two). */
void kmb_latency_add(struct kmb_latency *into, const struct kmb_latency *from);

/* kmb_latency_percentile - the nearest-rank @q-quantile (0 < q <= 1) of the samples, as the
 * highest value of its bucket, at most the maximum; 0 without samples. */
uint64_t kmb_latency_percentile(const struct kmb_latency *l, double q);

/* kmb_latency_bucket - the bucket of @ns; kmb_latency_bucket_high - the highest value of
 * bucket @i. */
unsigned int kmb_latency_bucket(uint64_t ns);
uint64_t kmb_latency_bucket_high(unsigned int i);

/*
 * kmb_latency_cdf - the distribution of @l's samples, compactly: at most KMB_LAT_CDF_MAX points
 * (@le[i], @count[i]), @count[i] samples at or below @le[i] ns, both increasing, the last
 * @count the sample count and its @le the maximum.  The buckets are the histogram's merged to
 * KMB_LAT_CDF_SUB per power of two (each @le is its bucket's top, at most 1/KMB_LAT_CDF_SUB
 * above a sample it counts), empty ones left out.  Returns the number of points; 0 without
 * samples.
 */
#define KMB_LAT_CDF_SUB_BITS	3
#define KMB_LAT_CDF_SUB		(1u << KMB_LAT_CDF_SUB_BITS)
#define KMB_LAT_CDF_MAX		((65 - KMB_LAT_CDF_SUB_BITS) * KMB_LAT_CDF_SUB)
unsigned int kmb_latency_cdf(const struct kmb_latency *l, uint64_t *le, uint64_t *count);

/* kmb_latency_clock_ns - what timing an empty operation reads: the median of back-to-back
 * kmb_latency_now() pairs (a few hundred; a few microseconds in all). */
uint64_t kmb_latency_clock_ns(void);

/*
 * kmb_latency_counters - the usual result counters of @l on @st: lat_p50_ns, lat_p90_ns,
 * lat_p99_ns, lat_p999_ns, lat_max_ns and lat_samples.  Set by one thread of the run (they are
 * the run's, not a thread's: Google Benchmark sums a counter over the threads that set it).
 */
static inline void kmb_latency_counters(struct kmb_gb_state *st, const struct kmb_latency *l)
{
	static const struct {
		const char *name;
		double q;
	} pct[] = {
		{ "lat_p50_ns", 0.50 }, { "lat_p90_ns", 0.90 }, { "lat_p99_ns", 0.99 },
		{ "lat_p999_ns", 0.999 },
	};

	for (unsigned int i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		kmb_gb_set_counter(st, pct[i].name, (double)kmb_latency_percentile(l, pct[i].q),
				   KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "lat_max_ns", (double)l->max_ns, KMB_GB_CTR_DEFAULT);
	kmb_gb_set_counter(st, "lat_samples", (double)l->count, KMB_GB_CTR_DEFAULT);
}

#endif
