/*
 * env.h - the machine's state as a benchmark sees it, checked and recorded before a run.
 *
 * Frequency governor, turbo, load, transparent huge pages, SMT, rseq, perf_event_paranoid and
 * the counters, ASLR, NUMA balancing, isolated CPUs, swap and the NMI watchdog: each is one
 * check with a value, a status and a one-line message that names the fix when there is one
 * (results/README.md, context.environment).  A problem is a warning, never a failure: the
 * parent prints each warning as one line on stderr when a run starts, records every check in
 * the results, and runs.  `kmbench env` and `kmbench list` show the same checks.
 *
 * The files read live under /sys and /proc.  KMB_SYSFS_ROOT, for tests only, names a directory
 * that stands in for "/": the checks read <root>/sys/... and <root>/proc/... instead, so a test
 * can give them any content (a fake tree under a temporary directory).  What env.c does not
 * read itself (perf_event_paranoid through perf.c, rseq, the affinity, the personality) comes
 * from the process as always.
 *
 * Context: the parent process, single-threaded (kmb_env_run_start keeps the run's checks in
 * static storage for the results writer).
 */
#ifndef KMB_HARNESS_ENV_H
#define KMB_HARNESS_ENV_H

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>

#include "perf.h"

/* The checks, in their fixed order (the order of context.environment): X(ID, name). */
#define KMB_ENV_CHECKS(X)						\
	X(GOVERNOR, "governor")						\
	X(TURBO, "turbo")						\
	X(LOAD, "load")							\
	X(THP, "thp")							\
	X(SMT, "smt")							\
	X(RSEQ, "rseq")							\
	X(PERF_PARANOID, "perf_event_paranoid")				\
	X(COUNTERS, "counters")						\
	X(ASLR, "aslr")							\
	X(NUMA_BALANCING, "numa_balancing")				\
	X(ISOLATION, "isolation")					\
	X(SWAP, "swap")							\
	X(NMI_WATCHDOG, "nmi_watchdog")

enum kmb_env_id {
#define KMB_ENV_ENUM(id, name) KMB_ENV_##id,
	KMB_ENV_CHECKS(KMB_ENV_ENUM)
#undef KMB_ENV_ENUM
	KMB_ENV_NR
};

/*
 * ok           as a benchmark wants it;
 * warning      likely to make the timings noisy or wrong: printed when a run starts;
 * info         recorded because it changes what the numbers mean, not wrong in itself;
 * unavailable  could not be read here: the message says why.
 */
enum kmb_env_status { KMB_ENV_OK, KMB_ENV_WARNING, KMB_ENV_INFO, KMB_ENV_UNAVAILABLE };

#define KMB_ENV_VALUE_LEN	128
#define KMB_ENV_MESSAGE_LEN	400

struct kmb_env_check {
	const char *name;			/* "governor", ...: KMB_ENV_CHECKS */
	enum kmb_env_status status;
	char value[KMB_ENV_VALUE_LEN];		/* what was read, as text; "" when unavailable */
	char message[KMB_ENV_MESSAGE_LEN];	/* one line: what it means, and the fix */
};

/* What the checks look at besides the files under @root. */
struct kmb_env_input {
	const char *root;		/* stands in for "/": "" for the machine's own files */
	cpu_set_t cpus;			/* the CPUs the run may use (the governor, isolation) */
	const struct kmb_counter_probe *probe;	/* KMB_CTR_COUNT entries; NULL: not probed */
	bool exclude_kernel;		/* the probe's answer: the kernel cannot be counted */
	int paranoid;			/* kmb_perf_paranoid(): -100 when unreadable */
	bool rseq_usable;
	const char *rseq_why;		/* why not, when !rseq_usable */
	bool no_aslr;			/* this process runs with ADDR_NO_RANDOMIZE (setarch -R) */
};

/* kmb_env_status_name - "ok", "warning", "info" or "unavailable". */
const char *kmb_env_status_name(enum kmb_env_status s);

/* kmb_env_root - $KMB_SYSFS_ROOT (tests only), or "" for the machine's /sys and /proc. */
const char *kmb_env_root(void);

/*
 * kmb_env_input_here - @in for this process: the root from kmb_env_root(), its affinity, rseq,
 * perf_event_paranoid, its personality, and the counters of @probe (which the caller probed
 * already: the checks never probe again; NULL when there is none).
 */
void kmb_env_input_here(struct kmb_env_input *in, const struct kmb_counter_probe *probe,
			bool exclude_kernel);

/* kmb_env_collect - every check, in order, into @out.  Reads files only; never fails. */
void kmb_env_collect(const struct kmb_env_input *in, struct kmb_env_check out[KMB_ENV_NR]);

/* kmb_env_warn - each warning of @c as one line, "kmbench: warning: NAME: MESSAGE", to @f.
 * Returns how many. */
int kmb_env_warn(FILE *f, const struct kmb_env_check c[KMB_ENV_NR]);

/* kmb_env_print - every check of @c, one line each: name, status, value and message. */
void kmb_env_print(FILE *f, const struct kmb_env_check c[KMB_ENV_NR]);

/*
 * kmb_env_run_start - at the start of a run, in the parent: collect the checks for this
 * process (kmb_env_input_here), keep them for kmb_env_write_json, and print the warnings on
 * stderr (whatever --quiet says: they are about the numbers, not the progress).  With
 * KMB_SYSFS_ROOT set, says so in one note line first.
 */
void kmb_env_run_start(const struct kmb_counter_probe *probe, bool exclude_kernel);

/*
 * kmb_env_write_json - the context's "environment" array: the checks of kmb_env_run_start
 * (collected now, without counters, in a process that did not call it), then
 * "environment_root" when they read KMB_SYSFS_ROOT's tree.
 */
struct kmb_json;
void kmb_env_write_json(struct kmb_json *j);

/* kmb_env_command - `kmbench env`: probe the counters, print every check.  Exit status 0:
 * a warning is not a failure. */
int kmb_env_command(void);

#endif
