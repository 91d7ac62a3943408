/*
 * perf.h - per-thread hardware and software counters over perf_event_open(2).
 *
 * The only file that talks to perf_event_open is harness/perf.c.  A benchmark thread opens one
 * kmb_perf set before its timed region, enables it when timing starts, disables it when timing
 * stops, and reads scaled totals.  A set holds up to two groups: a software group (leader
 * task-clock) and a hardware group (leader cycles), so that a PMU that cannot schedule the
 * hardware group still leaves the software counts intact.
 *
 * Availability is detected at run time: a counter the kernel refuses (ENOENT/EOPNOTSUPP on a
 * machine without a PMU, EACCES under perf_event_paranoid) is marked unavailable with its reason
 * and never reported as zero.  When counting the kernel is not permitted, the set retries with
 * exclude_kernel (and exclude_hv) and says so.
 *
 * Multiplexing: values are scaled by time_enabled / time_running of their group; a group that never
 * ran (time_running == 0) makes its counters unavailable for that read, with a reason.
 *
 * Threading: a kmb_perf is owned by the thread that opened it (counters count that thread only).
 */
#ifndef KMB_HARNESS_PERF_H
#define KMB_HARNESS_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The counters kmbench knows, in report order.  Names are the JSON keys of results/README.md. */
enum kmb_counter {
	KMB_CTR_TASK_CLOCK,	/* software: task-clock, nanoseconds */
	KMB_CTR_PAGE_FAULTS,	/* software */
	KMB_CTR_CONTEXT_SWITCHES,	/* software */
	KMB_CTR_CPU_MIGRATIONS,	/* software */
	KMB_CTR_CYCLES,		/* hardware, group leader */
	KMB_CTR_INSTRUCTIONS,	/* hardware */
	KMB_CTR_CACHE_MISSES,	/* hardware: PERF_COUNT_HW_CACHE_MISSES */
	KMB_CTR_L1D_MISSES,	/* hw cache: L1D read miss */
	KMB_CTR_LLC_MISSES,	/* hw cache: LL read miss */
	KMB_CTR_DTLB_MISSES,	/* hw cache: DTLB read miss */
	KMB_CTR_COUNT
};

/* JSON key of a counter: "task_clock_ns", "page_faults", ..., "dtlb_misses"; NULL if out of range. */
const char *kmb_counter_name(enum kmb_counter c);
/* true for the software counters (task-clock .. cpu-migrations). */
bool kmb_counter_is_software(enum kmb_counter c);

/* One probe result per counter: can this process count it, and if not, why. */
struct kmb_counter_probe {
	bool available;
	char reason[96];	/* when !available: e.g. "ENOENT: not supported on this machine (no hardware PMU?)" */
};

/*
 * kmb_perf_probe - find out which counters this process can open, on the calling thread.
 * Fills probe[KMB_CTR_COUNT].  Sets *exclude_kernel to whether counting needs exclude_kernel.
 * Returns 0, or -errno when perf_event_open is absent altogether (then every probe says why).
 * Never fails a run: callers record the reasons.
 *
 * Call it once per process before opening sets: it decides afresh whether the kernel may be
 * counted and runs the hardware group for a few milliseconds to learn how many events the PMU
 * schedules together (the NMI watchdog may hold a counter); kmb_perf_open() then follows both
 * answers, so a counter the probe calls unavailable is never opened.  Under exclude_kernel,
 * context_switches and cpu_migrations are unavailable: the kernel counts them only in kernel
 * mode, so they would always read 0.
 */
int kmb_perf_probe(struct kmb_counter_probe probe[KMB_CTR_COUNT], bool *exclude_kernel);

/* /proc/sys/kernel/perf_event_paranoid, or -100 if it cannot be read. */
int kmb_perf_paranoid(void);

struct kmb_perf;	/* opaque: one thread's counter set */

/*
 * kmb_perf_open - open the counters in @mask (bit i = enum kmb_counter i) for the calling
 * thread, disabled.  Counters that cannot be opened are left out and reported unavailable by
 * kmb_perf_read.  Returns NULL only on memory exhaustion.
 */
struct kmb_perf *kmb_perf_open(uint32_t mask);
void kmb_perf_enable(struct kmb_perf *p);	/* reset and start all groups (ioctl on leaders) */
void kmb_perf_disable(struct kmb_perf *p);	/* stop all groups */

/* Scaled totals since the last enable. */
struct kmb_perf_values {
	bool valid[KMB_CTR_COUNT];	/* false: not opened, or its group never ran */
	double value[KMB_CTR_COUNT];	/* scaled count (task-clock in ns) */
	double hw_running_fraction;	/* time_running / time_enabled of the hardware group, 0 if none */
};
int kmb_perf_read(struct kmb_perf *p, struct kmb_perf_values *out);	/* 0 or -errno */
/*
 * kmb_perf_reason - why counter @c is invalid in @p: set by kmb_perf_open() for a counter it
 * left out, by each kmb_perf_read() for one whose group never ran ("not scheduled: ...").
 * "" while valid.  The string belongs to @p.
 */
const char *kmb_perf_reason(const struct kmb_perf *p, enum kmb_counter c);
void kmb_perf_close(struct kmb_perf *p);	/* NULL is a no-op */

#endif
