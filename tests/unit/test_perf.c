/*
 * test_perf.c - unit tests of the perf counter layer (harness/perf.c).
 *
 * The tests must pass on a machine without a hardware PMU (CI: a KVM guest where cycles and the
 * cache events fail with ENOENT) and on one with a PMU, so hardware counters are checked against
 * what the probe says rather than against a fixed expectation.  Software counters are required:
 * only when perf_event_open is missing altogether, or forbidden to this process (ENOSYS, or
 * EACCES/EPERM even with exclude_kernel), does a test skip.
 *
 * Page faults are the ground truth: touching a fresh anonymous page by writing to it costs
 * exactly one minor fault, so N touched pages must show at least N faults.  Transparent huge
 * pages are switched off on those mappings (MADV_NOHUGEPAGE), since one huge-page fault would
 * cover many pages.  Sanitizer builds add a few faults of their own (shadow memory); the upper
 * bounds leave room for that.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "perf.h"

#define NPAGES		256
#define ALL_COUNTERS	((1u << KMB_CTR_COUNT) - 1)
#define SW_COUNTERS	((1u << KMB_CTR_CYCLES) - 1)
#define BIT(c)		(1u << (c))
#define NOBODY		65534

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Maps @n fresh anonymous pages and writes to each: @n minor faults.  Returns 0 or -errno. */
static int touch_fresh_pages(size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *m;

	m = mmap(NULL, n * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	madvise((void *)m, n * (size_t)page, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < n; i++)
		m[i * (size_t)page] = 1;
	munmap((void *)m, n * (size_t)page);
	return 0;
}

/* Keeps the CPU busy without faulting or sleeping. */
static void busy_loop(void)
{
	volatile uint64_t x = 0;

	for (uint64_t i = 0; i < 20000000; i++)
		x += i;
}

/* Counts, with a fresh set of @mask, the touching of @n fresh pages.  Returns 0 or -errno. */
static int count_touch(uint32_t mask, size_t n, struct kmb_perf_values *v)
{
	struct kmb_perf *p = kmb_perf_open(mask);
	int err, rerr;

	if (!p)
		return -ENOMEM;
	kmb_perf_enable(p);
	err = touch_fresh_pages(n);
	kmb_perf_disable(p);
	rerr = kmb_perf_read(p, v);
	kmb_perf_close(p);
	return err ? err : rerr;
}

static bool denied(const char *reason)
{
	return !strncmp(reason, "EACCES", 6) || !strncmp(reason, "EPERM", 5);
}

/* Skips the test when this process may not use perf at all; else requires the software counters. */
static void require_software_counters(void)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	bool excl;
	int ret = kmb_perf_probe(probe, &excl);

	if (ret == -ENOSYS || (!probe[KMB_CTR_TASK_CLOCK].available &&
			       denied(probe[KMB_CTR_TASK_CLOCK].reason))) {
		print_message("perf unusable here: %s\n", probe[KMB_CTR_TASK_CLOCK].reason);
		skip();
	}
	assert_int_equal(ret, 0);
	assert_true(probe[KMB_CTR_TASK_CLOCK].available);
	assert_true(probe[KMB_CTR_PAGE_FAULTS].available);
}

/* 1. Software counters count something plausible. */
static void test_software_counts(void **state)
{
	struct kmb_perf_values v;
	struct kmb_perf *p;
	uint64_t t0, t1;

	(void)state;
	require_software_counters();
	p = kmb_perf_open(SW_COUNTERS);
	assert_non_null(p);

	t0 = now_ns();
	kmb_perf_enable(p);
	assert_int_equal(touch_fresh_pages(NPAGES), 0);
	kmb_perf_disable(p);
	t1 = now_ns();
	assert_int_equal(kmb_perf_read(p, &v), 0);

	print_message("page_faults %.0f for %d pages, task_clock %.0f ns, wall %llu ns\n",
		      v.value[KMB_CTR_PAGE_FAULTS], NPAGES, v.value[KMB_CTR_TASK_CLOCK],
		      (unsigned long long)(t1 - t0));
	assert_true(v.valid[KMB_CTR_PAGE_FAULTS]);
	assert_true(v.value[KMB_CTR_PAGE_FAULTS] >= NPAGES);
	assert_true(v.value[KMB_CTR_PAGE_FAULTS] < 4 * NPAGES + 64);
	assert_true(v.valid[KMB_CTR_TASK_CLOCK]);
	assert_true(v.value[KMB_CTR_TASK_CLOCK] > 0);
	/* The thread cannot run longer than the wall time around it (1 ms for clock skew). */
	assert_true(v.value[KMB_CTR_TASK_CLOCK] <= (double)(t1 - t0) + 1e6);
	assert_string_equal(kmb_perf_reason(p, KMB_CTR_PAGE_FAULTS), "");
	assert_float_equal(v.hw_running_fraction, 0.0, 0.0);	/* no hardware group asked */
	kmb_perf_close(p);
}

/* 2. A disabled set does not count; enable starts again from zero. */
static void test_disabled_does_not_count(void **state)
{
	struct kmb_perf_values v0, v1, v2;
	struct kmb_perf *p;

	(void)state;
	require_software_counters();
	p = kmb_perf_open(SW_COUNTERS);
	assert_non_null(p);

	/* Never enabled: nothing ran, so nothing is valid, and the reason says so. */
	assert_int_equal(touch_fresh_pages(NPAGES), 0);
	assert_int_equal(kmb_perf_read(p, &v0), 0);
	assert_false(v0.valid[KMB_CTR_PAGE_FAULTS]);
	assert_false(v0.valid[KMB_CTR_TASK_CLOCK]);
	assert_true(kmb_perf_reason(p, KMB_CTR_PAGE_FAULTS)[0] != '\0');

	kmb_perf_enable(p);
	kmb_perf_disable(p);
	assert_int_equal(kmb_perf_read(p, &v1), 0);
	assert_true(v1.valid[KMB_CTR_PAGE_FAULTS]);
	assert_int_equal(touch_fresh_pages(NPAGES), 0);
	assert_int_equal(kmb_perf_read(p, &v2), 0);
	assert_true(v2.valid[KMB_CTR_PAGE_FAULTS]);
	assert_float_equal(v2.value[KMB_CTR_PAGE_FAULTS], v1.value[KMB_CTR_PAGE_FAULTS], 0.0);
	assert_float_equal(v2.value[KMB_CTR_TASK_CLOCK], v1.value[KMB_CTR_TASK_CLOCK], 0.0);
	assert_true(v2.value[KMB_CTR_PAGE_FAULTS] < NPAGES / 4);

	/* The same set still counts once enabled, and the next enable resets it. */
	kmb_perf_enable(p);
	assert_int_equal(touch_fresh_pages(NPAGES), 0);
	kmb_perf_disable(p);
	assert_int_equal(kmb_perf_read(p, &v1), 0);
	assert_true(v1.value[KMB_CTR_PAGE_FAULTS] >= NPAGES);
	kmb_perf_enable(p);
	kmb_perf_disable(p);
	assert_int_equal(kmb_perf_read(p, &v2), 0);
	assert_true(v2.valid[KMB_CTR_PAGE_FAULTS]);
	assert_true(v2.value[KMB_CTR_PAGE_FAULTS] < NPAGES / 4);
	kmb_perf_close(p);
}

/* 3. The probe and the reads agree; a counter the machine lacks is invalid, never zero. */
static void test_unavailable_reported(void **state)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	struct kmb_perf_values v;
	struct kmb_perf *p;
	bool excl, any_hw = false;

	(void)state;
	require_software_counters();
	assert_int_equal(kmb_perf_probe(probe, &excl), 0);
	p = kmb_perf_open(ALL_COUNTERS);
	assert_non_null(p);
	kmb_perf_enable(p);
	busy_loop();
	kmb_perf_disable(p);
	assert_int_equal(kmb_perf_read(p, &v), 0);

	for (int c = 0; c < KMB_CTR_COUNT; c++) {
		const char *why = kmb_perf_reason(p, c);

		print_message("%-16s %s %s\n", kmb_counter_name(c),
			      probe[c].available ? "available" : "unavailable:",
			      probe[c].available ? "" : probe[c].reason);
		if (probe[c].available) {
			assert_string_equal(probe[c].reason, "");
			assert_true(v.valid[c]);
			assert_string_equal(why, "");
			if (c == KMB_CTR_CYCLES || c == KMB_CTR_INSTRUCTIONS ||
			    c == KMB_CTR_TASK_CLOCK)
				assert_true(v.value[c] > 0);
			any_hw |= !kmb_counter_is_software(c);
		} else {
			/* "ENAME: what" or "not ...: what": short, specific, never empty. */
			assert_non_null(strchr(probe[c].reason, ':'));
			assert_false(v.valid[c]);
			assert_non_null(strchr(why, ':'));
		}
	}
	if (any_hw) {
		assert_true(v.hw_running_fraction > 0.0);
		assert_true(v.hw_running_fraction <= 1.0 + 1e-9);
	} else {
		assert_float_equal(v.hw_running_fraction, 0.0, 0.0);
	}
	kmb_perf_close(p);
}

/* 4. Counter names are the JSON keys of results/README.md. */
static void test_names(void **state)
{
	static const char *const keys[KMB_CTR_COUNT] = {
		"task_clock_ns", "page_faults", "context_switches", "cpu_migrations", "cycles",
		"instructions", "cache_misses", "l1d_misses", "llc_misses", "dtlb_misses",
	};

	(void)state;
	for (int c = 0; c < KMB_CTR_COUNT; c++) {
		assert_non_null(kmb_counter_name(c));
		assert_string_equal(kmb_counter_name(c), keys[c]);
		assert_int_equal(kmb_counter_is_software(c), c <= KMB_CTR_CPU_MIGRATIONS);
	}
	assert_null(kmb_counter_name(KMB_CTR_COUNT));
	assert_false(kmb_counter_is_software(KMB_CTR_COUNT));
}

/* Failure codes of the unprivileged checks, for the parent's message. */
enum {
	NR_OK,
	NR_SETID,
	NR_OPEN_STALE,
	NR_FAULTS_STALE,
	NR_PROBE,
	NR_PROBE_SW,
	NR_EXCL,
	NR_SCHED_EXCL,
	NR_OPEN,
	NR_FAULTS,
	NR_SCHED_READ,
	NR_SKIP = 77,
};

static const char *const nr_what[] = {
	[NR_OK]		  = "ok",
	[NR_SETID]	  = "could not become nobody",
	[NR_OPEN_STALE]	  = "open/read failed before the probe (stale exclude_kernel answer)",
	[NR_FAULTS_STALE] = "page faults < N before the probe (stale exclude_kernel answer)",
	[NR_PROBE]	  = "kmb_perf_probe failed",
	[NR_PROBE_SW]	  = "probe: task-clock/page-faults unavailable",
	[NR_EXCL]	  = "probe: exclude_kernel disagrees with perf_event_paranoid",
	[NR_SCHED_EXCL]	  = "context_switches/cpu_migrations available under exclude_kernel",
	[NR_OPEN]	  = "open/read failed after the probe",
	[NR_FAULTS]	  = "page faults < N after the probe",
	[NR_SCHED_READ]	  = "a read disagrees with the probe about context_switches",
};

/*
 * What an unprivileged process must see: page faults of its own user-mode touches still count
 * (with exclude_kernel when perf_event_paranoid > 1), before and after a probe.  @dropped: the
 * caller just gave up root, so no capability can let it count the kernel.  No cmocka here: this
 * may run in a forked child.  Returns NR_*.
 */
static int unprivileged_checks(bool dropped)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	struct kmb_perf_values v;
	int paranoid = kmb_perf_paranoid();
	bool excl;

	if (count_touch(SW_COUNTERS, NPAGES, &v))
		return NR_OPEN_STALE;
	if (!v.valid[KMB_CTR_PAGE_FAULTS])
		return paranoid > 2 ? NR_SKIP : NR_OPEN_STALE;
	if (v.value[KMB_CTR_PAGE_FAULTS] < NPAGES)
		return NR_FAULTS_STALE;

	if (kmb_perf_probe(probe, &excl))
		return NR_PROBE;
	if (!probe[KMB_CTR_TASK_CLOCK].available || !probe[KMB_CTR_PAGE_FAULTS].available)
		return NR_PROBE_SW;
	if (dropped && paranoid != -100 && excl != (paranoid > 1))
		return NR_EXCL;
	if (excl && (probe[KMB_CTR_CONTEXT_SWITCHES].available ||
		     probe[KMB_CTR_CPU_MIGRATIONS].available ||
		     !probe[KMB_CTR_CONTEXT_SWITCHES].reason[0]))
		return NR_SCHED_EXCL;

	if (count_touch(SW_COUNTERS, NPAGES, &v))
		return NR_OPEN;
	if (!v.valid[KMB_CTR_PAGE_FAULTS] || v.value[KMB_CTR_PAGE_FAULTS] < NPAGES)
		return NR_FAULTS;
	if (v.valid[KMB_CTR_CONTEXT_SWITCHES] != probe[KMB_CTR_CONTEXT_SWITCHES].available)
		return NR_SCHED_READ;
	return NR_OK;
}

/* 5. Works as non-root: as nobody when run as root, else as whoever runs it. */
static void test_unprivileged(void **state)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	bool excl;
	int status, code;
	pid_t pid;

	(void)state;
	require_software_counters();
	if (geteuid() != 0) {
		code = unprivileged_checks(false);
	} else {
		/* The parent's probe leaves "count the kernel too" cached for the child to outgrow. */
		assert_int_equal(kmb_perf_probe(probe, &excl), 0);
		assert_false(excl);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
			    geteuid() != NOBODY)
				_exit(NR_SETID);
			/* _exit: no cmocka, atexit or leak check in a child that cannot ptrace. */
			_exit(unprivileged_checks(true));
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		code = WEXITSTATUS(status);
	}
	if (code == NR_SKIP) {
		print_message("perf_event_paranoid=%d forbids unprivileged perf\n",
			      kmb_perf_paranoid());
		skip();
	}
	if (code != NR_OK)
		fail_msg("unprivileged: %s (code %d)", (size_t)code < sizeof(nr_what) /
			 sizeof(nr_what[0]) && nr_what[code] ? nr_what[code] : "?", code);
}

struct toucher {
	int err;
	struct kmb_perf_values v;	/* the thread's own set, over its touches */
};

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;

	t->err = count_touch(BIT(KMB_CTR_PAGE_FAULTS), NPAGES, &t->v);
	return NULL;
}

/* 6. A set counts its own thread only. */
static void test_per_thread(void **state)
{
	struct toucher t = { 0 };
	struct kmb_perf_values v;
	struct kmb_perf *p;
	pthread_t tid;

	(void)state;
	require_software_counters();
	p = kmb_perf_open(SW_COUNTERS);
	assert_non_null(p);
	kmb_perf_enable(p);
	assert_int_equal(pthread_create(&tid, NULL, toucher_main, &t), 0);
	assert_int_equal(pthread_join(tid, NULL), 0);
	kmb_perf_disable(p);
	assert_int_equal(kmb_perf_read(p, &v), 0);
	kmb_perf_close(p);

	print_message("main thread %.0f faults, second thread %.0f faults\n",
		      v.value[KMB_CTR_PAGE_FAULTS], t.v.value[KMB_CTR_PAGE_FAULTS]);
	assert_int_equal(t.err, 0);
	assert_true(t.v.valid[KMB_CTR_PAGE_FAULTS]);
	assert_true(t.v.value[KMB_CTR_PAGE_FAULTS] >= NPAGES);
	assert_true(v.valid[KMB_CTR_PAGE_FAULTS]);
	assert_true(v.value[KMB_CTR_PAGE_FAULTS] < NPAGES / 4);
}

/* Counts this process's perf event fds; sets *@all_cloexec to whether each has FD_CLOEXEC. */
static int count_perf_fds(bool *all_cloexec)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char target[64];
	int n = 0;

	*all_cloexec = true;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t len;

		len = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:[perf_event]"))
			continue;
		n++;
		if (!(fcntl(atoi(e->d_name), F_GETFD) & FD_CLOEXEC))
			*all_cloexec = false;
	}
	closedir(d);
	return n;
}

/* 7. One fd per available counter, all close-on-exec; probe and close leave none behind. */
static void test_fds(void **state)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	struct kmb_perf *p;
	int before, available = 0;
	bool excl, cloexec;

	(void)state;
	require_software_counters();
	before = count_perf_fds(&cloexec);
	assert_true(before >= 0);
	assert_int_equal(kmb_perf_probe(probe, &excl), 0);
	assert_int_equal(count_perf_fds(&cloexec), before);
	for (int c = 0; c < KMB_CTR_COUNT; c++)
		available += probe[c].available;

	p = kmb_perf_open(ALL_COUNTERS);
	assert_non_null(p);
	assert_int_equal(count_perf_fds(&cloexec), before + available);
	assert_true(cloexec);
	kmb_perf_close(p);
	assert_int_equal(count_perf_fds(&cloexec), before);
}

/* 8. A partial mask opens only what it asks; without task-clock, page-faults leads the group. */
static void test_partial_mask(void **state)
{
	struct kmb_perf_values v;
	struct kmb_perf *p;

	(void)state;
	require_software_counters();
	assert_int_equal(count_touch(BIT(KMB_CTR_PAGE_FAULTS), NPAGES, &v), 0);
	assert_true(v.valid[KMB_CTR_PAGE_FAULTS]);
	assert_true(v.value[KMB_CTR_PAGE_FAULTS] >= NPAGES);
	for (int c = 0; c < KMB_CTR_COUNT; c++)
		if (c != KMB_CTR_PAGE_FAULTS)
			assert_false(v.valid[c]);

	p = kmb_perf_open(BIT(KMB_CTR_INSTRUCTIONS));
	assert_non_null(p);
	assert_string_equal(kmb_perf_reason(p, KMB_CTR_PAGE_FAULTS), "not requested");
	kmb_perf_close(p);
	kmb_perf_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_software_counts),
		cmocka_unit_test(test_disabled_does_not_count),
		cmocka_unit_test(test_unavailable_reported),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_per_thread),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_partial_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
