/*
 * reps.c - the order of a backend's repetitions, and a cell's aggregates (reps.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part.h"
#include "reps.h"

/* ---- order ---- */

/* SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA
 * 2014; the constants of Vigna's splitmix64.c): any seed, a 64-bit state, and output good
 * enough for a shuffle. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0, without the bias of a modulo (Lemire, "Fast Random Integer
 * Generation in an Interval", ACM TOMACS 2019). */
static uint64_t below(uint64_t *s, uint64_t n)
{
	uint64_t floor = -n % n;

	for (;;) {
		unsigned __int128 m = (unsigned __int128)splitmix64(s) * n;

		if ((uint64_t)m >= floor)
			return (uint64_t)(m >> 64);
	}
}

long kmb_reps_order(size_t ncells, int reps, const bool *has_pass, const bool *kept,
		    bool interleave, uint32_t seed, const char *backend, struct kmb_step **steps)
{
	size_t r = reps > 1 ? (size_t)reps : 1, ntimed = ncells * r, n = 0, total = ntimed;
	size_t *timed = malloc((ntimed ? ntimed : 1) * sizeof(*timed));
	int *ran = calloc(ncells ? ncells : 1, sizeof(*ran));
	uint64_t state = kmb_part_fnv1a64(backend, strlen(backend)) ^ seed;
	long long seq = 0;

	for (size_t i = 0; i < ncells; i++)
		total += has_pass[i];
	*steps = malloc((total ? total : 1) * sizeof(**steps));
	if (!timed || !ran || !*steps) {
		free(timed);
		free(ran);
		free(*steps);
		*steps = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < ntimed; i++)
		timed[i] = i / r;
	if (interleave)		/* Fisher-Yates (Knuth, TAOCP vol. 2, 3.4.2, Algorithm P) */
		for (size_t i = ntimed; i > 1; i--) {
			size_t j = (size_t)below(&state, i), t = timed[i - 1];

			timed[i - 1] = timed[j];
			timed[j] = t;
		}
	for (size_t i = 0; i < ntimed; i++) {
		size_t c = timed[i];
		bool last = (size_t)++ran[c] == r;

		if (!kept || !kept[c])
			(*steps)[n++] = (struct kmb_step){ c, false, seq };
		seq++;
		if (last && has_pass[c]) {
			if (!kept || !kept[c])
				(*steps)[n++] = (struct kmb_step){ c, true, seq };
			seq++;
		}
	}
	free(timed);
	free(ran);
	return (long)n;
}

/* ---- aggregates: statistics.cc of Google Benchmark 1.7.1, operation for operation ---- */

typedef double (*stat_fn)(const double *v, size_t n);

static double stat_mean(const double *v, size_t n)
{
	double sum = 0.0;

	if (!n)
		return 0.0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return sum * (1.0 / (double)n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double stat_median(const double *v, size_t n)
{
	double *copy, m;

	if (n < 3)
		return stat_mean(v, n);
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return NAN;
	memcpy(copy, v, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), cmp_double);
	m = n % 2 ? copy[n / 2] : (copy[n / 2] + copy[n / 2 - 1]) / 2.0;
	free(copy);
	return m;
}

static double stat_stddev(const double *v, size_t n)
{
	double mean = stat_mean(v, n), squares = 0.0, var;

	if (!n)
		return mean;
	if (n == 1)
		return 0.0;
	for (size_t i = 0; i < n; i++)
		squares += v[i] * v[i];
	var = (double)n / ((double)n - 1.0) * (squares * (1.0 / (double)n) - mean * mean);
	return var < 0.0 ? 0.0 : sqrt(var);	/* rounding can take it below 0 */
}

static double stat_cv(const double *v, size_t n)
{
	if (n < 2)
		return 0.0;
	return stat_stddev(v, n) / stat_mean(v, n);
}

static const struct {
	const char *name;
	stat_fn fn;
	bool percentage;	/* StatisticUnit kPercentage: not rescaled by iterations */
} stats[KMB_REPS_NAGG] = {
	{ "mean", stat_mean, false },
	{ "median", stat_median, false },
	{ "stddev", stat_stddev, false },
	{ "cv", stat_cv, true },
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The counter names of @runs, each once, sorted as Google Benchmark's std::map keeps them;
 * into *names (malloc'd).  How many, or -ENOMEM. */
static long counter_names(const struct kmb_gb_run *runs, size_t n, const char ***names)
{
	size_t cap = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		cap += runs[i].ncounters;
	*names = malloc((cap ? cap : 1) * sizeof(**names));
	if (!*names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < runs[i].ncounters; c++) {
			size_t j = 0;

			while (j < k && strcmp((*names)[j], runs[i].counters[c].name))
				j++;
			if (j == k)
				(*names)[k++] = runs[i].counters[c].name;
		}
	if (k > 1)
		qsort(*names, k, sizeof(**names), cmp_name);
	return (long)k;
}

/* The value of counter @name in @r; false when it has none. */
static bool counter_of(const struct kmb_gb_run *r, const char *name, double *v)
{
	for (size_t c = 0; c < r->ncounters; c++)
		if (!strcmp(r->counters[c].name, name)) {
			*v = r->counters[c].value;
			return true;
		}
	return false;
}

void kmb_reps_agg_free(struct kmb_reps_agg *agg, int n)
{
	for (int i = 0; i < n; i++) {
		free(agg[i].counters);
		agg[i].counters = NULL;
	}
}

int kmb_reps_aggregates(const struct kmb_gb_run *runs, size_t n,
			struct kmb_reps_agg agg[KMB_REPS_NAGG])
{
	size_t room = (n ? n : 1) * sizeof(double);
	double *real = malloc(room), *cpu = malloc(room), *vals = malloc(room);
	const char **names = NULL;
	size_t ok = 0, first = 0;
	long nnames = 0;
	int r = -ENOMEM;

	for (size_t i = 0; i < n; i++)
		ok += !runs[i].error;
	if (ok < 2) {	/* "We don't report aggregated data if there was a single run." */
		r = 0;
		goto out;
	}
	if (!real || !cpu || !vals || (nnames = counter_names(runs, n, &names)) < 0)
		goto out;
	/*
	 * Google Benchmark accumulates each repetition's total time in seconds and reports it
	 * divided by the iterations; the rows carry what it reported, so its totals are
	 * recovered from them.  Every repetition ran the first one's iterations (kmb_gb_run_one);
	 * a first one that failed has none, so the first that did not stands in for it.
	 */
	while (runs[first].error && runs[first].iterations <= 0)
		first++;
	ok = 0;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].error)
			continue;
		real[ok] = runs[i].real_time_ns * (double)runs[i].iterations / 1e9;
		cpu[ok++] = runs[i].cpu_time_ns * (double)runs[i].iterations / 1e9;
	}
	for (int s = 0; s < KMB_REPS_NAGG; s++) {
		struct kmb_reps_agg *a = &agg[s];
		double rt = stats[s].fn(real, ok), ct = stats[s].fn(cpu, ok);

		if (!stats[s].percentage) {	/* ComputeStats' iteration_rescale_factor */
			rt *= (double)n / (double)runs[first].iterations;
			ct *= (double)n / (double)runs[first].iterations;
		}
		a->counters = calloc(nnames ? (size_t)nnames : 1, sizeof(*a->counters));
		if (!a->counters) {
			kmb_reps_agg_free(agg, s);
			goto out;
		}
		for (long c = 0; c < nnames; c++) {
			size_t k = 0;

			for (size_t i = 0; i < n; i++)	/* counters are not rescaled */
				if (!runs[i].error && counter_of(&runs[i], names[c], &vals[k]))
					k++;
			a->counters[c] = (struct kmb_gb_counter){ names[c], stats[s].fn(vals, k) };
		}
		snprintf(a->name, sizeof(a->name), "%s_%s", runs[0].run_name, stats[s].name);
		a->r = (struct kmb_gb_run){
			.name = a->name, .run_name = runs[0].run_name,
			.function_name = runs[0].function_name, .arg = runs[0].arg,
			.family_index = runs[0].family_index,
			.per_family_instance_index = runs[0].per_family_instance_index,
			.aggregate = true, .aggregate_name = stats[s].name,
			.aggregate_is_percentage = stats[s].percentage, .error_message = "",
			/* "it is best to simply use the count of separate reports" */
			.iterations = (int64_t)n, .threads = runs[0].threads,
			.repetitions = runs[0].repetitions, .repetition_index = -1,
			/* as the wrapper reports every run: GetAdjustedRealTime() (gbench.cc) */
			.real_time_ns = rt * 1e9 / (double)n, .cpu_time_ns = ct * 1e9 / (double)n,
			.ncounters = (size_t)nnames, .counters = a->counters,
		};
	}
	r = KMB_REPS_NAGG;
out:
	free(real);
	free(cpu);
	free(vals);
	free(names);
	return r;
}
