/*
 * gbench.h - Google Benchmark from C.
 *
 * harness/gbench.cc, the project's only C++ file, wraps Debian's libbenchmark behind this
 * header: runtime registration, batched keep-running, threads, user counters, skip-with-error,
 * context, and a reporter that hands every run to C (C writes all JSON).
 *
 * The timed loop of a benchmark written in C:
 *
 *	static void bm(struct kmb_gb_state *st, void *arg)
 *	{
 *		// untimed setup
 *		while (kmb_gb_keep_running_batch(st, 1000))
 *			for (int i = 0; i < 1000; i++)
 *				op();
 *	}
 *
 * One call crosses into C++ per batch, so the loop check costs a fraction of a nanosecond per
 * operation (measured by `kmbench overhead`).
 *
 * Region hooks: kmb_gb_set_hooks() registers a start hook, called on the benchmark thread right
 * after timing starts (after Google Benchmark's start barrier), and a stop hook, called just
 * before the call that ends the loop (before the stop barrier).  The perf counters are enabled
 * and disabled there, so they count the timed region and not the barrier waits.
 *
 * Threading: register and run from the main thread; the state functions are called by the
 * benchmark threads, each on its own state.
 */
#ifndef KMB_HARNESS_GBENCH_H
#define KMB_HARNESS_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmb_gb_state;	/* one per benchmark thread and run */

typedef void (*kmb_gb_fn)(struct kmb_gb_state *st, void *arg);
typedef void (*kmb_gb_hook)(struct kmb_gb_state *st, void *arg);

/* Options of one registered benchmark family: one instance per thread count. */
struct kmb_gb_bench_opts {
	const int *threads;	/* thread counts (each >= 1), in run order */
	size_t nthreads;
	bool real_time;		/* report wall-clock time (always, for multithreaded runs) */
};

/* Counter flags (benchmark::Counter::Flags). */
enum kmb_gb_counter_flags {
	KMB_GB_CTR_DEFAULT = 0,		/* summed over threads */
	KMB_GB_CTR_AVG_THREADS = 1,	/* mean over threads */
	KMB_GB_CTR_RATE = 2,		/* divided by the run's time */
};

/* Global options, applied by kmb_gb_init (Google Benchmark's --benchmark_* flags). */
struct kmb_gb_global_opts {
	double min_time;	/* seconds per run, 0 for the library default */
	int repetitions;	/* 0 or 1 for one */
	bool console;		/* print Google Benchmark's console table */
	const char *filter;	/* --benchmark_filter regex, or NULL */
};

/* kmb_gb_init - set the global options and initialise the library.  0, or -EINVAL. */
int kmb_gb_init(const struct kmb_gb_global_opts *o);

/* kmb_gb_add_context - a key/value pair for Google Benchmark's own context (its console header
 * and JSON reporter print it; kmbench's results.json has its own context).  0 or -ENOMEM. */
int kmb_gb_add_context(const char *key, const char *value);

/* kmb_gb_register - register the family @fn under @name (unique) with @arg; Google Benchmark
 * appends "/real_time" and "/threads:<n>" to each instance's name.  0, -EINVAL, or -ENOMEM. */
int kmb_gb_register(const char *name, kmb_gb_fn fn, void *arg, const struct kmb_gb_bench_opts *o);
/* kmb_gb_register_limited - the same, with this family's own minimum time per run (@min_time
 * seconds) and @repetitions in place of the global ones (0: the global one). */
int kmb_gb_register_limited(const char *name, kmb_gb_fn fn, void *arg,
			    const struct kmb_gb_bench_opts *o, double min_time, int repetitions);

/* kmb_gb_register_native_reference - register C++ loops that do the same work as
 * `kmbench overhead`'s C loops, for the harness-overhead comparison: "<prefix>/cxx-batch:<n>"
 * (KeepRunningBatch) and "<prefix>/cxx-range-for" (for (auto _ : state)). */
int kmb_gb_register_native_reference(const char *prefix, int64_t batch);

/* One finished run, as Google Benchmark reports it. */
struct kmb_gb_counter {
	const char *name;
	double value;
};

struct kmb_gb_run {
	const char *name;		/* full name, e.g. "churn/glibc/size:64/real_time/threads:2" */
	const char *run_name;		/* name without the aggregate suffix */
	const char *function_name;	/* the registered name */
	void *arg;			/* the registered arg; NULL for native references */
	int64_t family_index, per_family_instance_index;
	bool aggregate;			/* false: one repetition's run */
	const char *aggregate_name;	/* "mean", "median", "stddev", "cv" when aggregate */
	bool aggregate_is_percentage;	/* aggregate_unit "percentage" (cv) */
	bool error;
	const char *error_message;
	int64_t iterations, threads, repetitions, repetition_index;
	double real_time_ns, cpu_time_ns;	/* per iteration */
	size_t ncounters;
	const struct kmb_gb_counter *counters;	/* finished: rates and averages applied */
};

typedef void (*kmb_gb_report_fn)(const struct kmb_gb_run *run, void *ctx);

/* What Google Benchmark knows of the machine (its JSON context). */
struct kmb_gb_cache {
	const char *type;
	int level, num_sharing;
	long long size;
};
struct kmb_gb_sysinfo {
	const char *host_name;
	int num_cpus;
	double mhz_per_cpu;
	bool cpu_scaling_enabled;	/* true only when known to be enabled */
	size_t ncaches;
	const struct kmb_gb_cache *caches;
	size_t nload_avg;
	const double *load_avg;
	const char *library_build_type;	/* "release" or "debug" (libbenchmark's own build) */
};
/* Valid for the life of the process. */
void kmb_gb_sysinfo(struct kmb_gb_sysinfo *out);

/* kmb_gb_run_all - run every registered benchmark, handing each run to @fn.  Returns the number
 * of benchmarks that ran. */
size_t kmb_gb_run_all(kmb_gb_report_fn fn, void *ctx);

/*
 * kmb_gb_run_one - run @fn(@arg) as the one benchmark @name, once: @o->threads threads, one
 * repetition, handing its run to @report; what was registered before is dropped.  With
 * @o->iterations, that many iterations a thread (Google Benchmark's Iterations(): what it
 * gives every repetition after the first, which grew the count until a trial lasted the min
 * time); else grown so.  The run's names are those of the family run whole: no
 * "iterations:N".  Its repetitions and repetition_index are 1 and 0: the caller's to set.
 * 0, -EINVAL, -ENOMEM, or -EIO when it did not run.
 */
struct kmb_gb_one {
	int threads;
	bool real_time;
	double min_time;	/* seconds; 0: the global one */
	int64_t iterations;	/* per thread; 0: grow until min time */
};
int kmb_gb_run_one(const char *name, kmb_gb_fn fn, void *arg, const struct kmb_gb_one *o,
		   kmb_gb_report_fn report, void *ctx);

/* Inside a benchmark function. */
bool kmb_gb_keep_running_batch(struct kmb_gb_state *st, int64_t n);
/* kmb_gb_loop_ending - true in the loop's last batch: the thread's iterations are used up, so
 * the next kmb_gb_keep_running_batch() returns false (after Google Benchmark's stop barrier,
 * where the thread waits for the others).  A workload whose threads depend on each other
 * releases there what the others may need. */
bool kmb_gb_loop_ending(const struct kmb_gb_state *st);
void kmb_gb_set_hooks(struct kmb_gb_state *st, kmb_gb_hook start, kmb_gb_hook stop, void *arg);
int kmb_gb_thread_index(const struct kmb_gb_state *st);
int kmb_gb_threads(const struct kmb_gb_state *st);
int64_t kmb_gb_iterations(const struct kmb_gb_state *st);
void kmb_gb_set_counter(struct kmb_gb_state *st, const char *name, double value, unsigned flags);
void kmb_gb_set_items_processed(struct kmb_gb_state *st, int64_t items);
/* kmb_gb_skip_with_error - mark the run failed with @msg; the loop then ends at once. */
void kmb_gb_skip_with_error(struct kmb_gb_state *st, const char *msg);
bool kmb_gb_error_occurred(const struct kmb_gb_state *st);

/* libbenchmark's version as CMake found it, e.g. "1.7.1". */
const char *kmb_gb_version(void);

#ifdef __cplusplus
}
#endif

#endif
