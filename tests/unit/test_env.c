/*
 * test_env.c - the environment checks (harness/env.c) against fake /sys and /proc trees.
 *
 * Each test writes the few files a rule reads under a fresh temporary directory, the root the
 * checks read instead of "/" (struct kmb_env_input.root, as KMB_SYSFS_ROOT gives it to a run),
 * and checks the status, value and message the rule makes of them: the governor per CPU the
 * run may use, turbo through intel_pstate and through cpufreq boost, the load against the
 * online CPUs, THP's bracketed choices, SMT, ASLR, NUMA balancing against the node count,
 * isolated CPUs, swap, the NMI watchdog, and what comes from the process (rseq, the counter
 * probe).  A missing file makes its check "unavailable" with the reason, and an empty tree
 * makes no warning.  The checks against the machine's own files are in tests/cli/env.sh,
 * which compares them with what cat(1) shows.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "perf.h"

static char root[PATH_MAX];

/* The file @path under the root, holding @fmt, its directories made as needed. */
static void put(const char *path, const char *fmt, ...)
{
	char full[PATH_MAX];
	va_list ap;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (char *p = full + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static int rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/kmb-env-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rm_tree(root);
}

/* An input over the fake root: CPUs 0..@ncpus-1, rseq usable, all counters, paranoid 1. */
static struct kmb_counter_probe all_counters[KMB_CTR_COUNT];

static struct kmb_env_input input(int ncpus)
{
	struct kmb_env_input in = {
		.root = root, .probe = all_counters, .paranoid = 1, .rseq_usable = true,
	};

	for (int i = 0; i < KMB_CTR_COUNT; i++)
		all_counters[i].available = true;
	CPU_ZERO(&in.cpus);
	for (int i = 0; i < ncpus; i++)
		CPU_SET(i, &in.cpus);
	return in;
}

static struct kmb_env_check checks[KMB_ENV_NR];

static const struct kmb_env_check *collect(const struct kmb_env_input *in, enum kmb_env_id id)
{
	kmb_env_collect(in, checks);
	return &checks[id];
}

#define assert_check(c, st, val)						\
	do {									\
		print_message("%s: %s '%s': %s\n", (c)->name,			\
			      kmb_env_status_name((c)->status), (c)->value,	\
			      (c)->message);					\
		assert_string_equal(kmb_env_status_name((c)->status),		\
				    kmb_env_status_name(st));			\
		assert_string_equal((c)->value, (val));				\
	} while (0)

static void governor(int cpu, const char *gov)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu);
	put(path, "%s\n", gov);
}

static void test_governor(void **state)
{
	struct kmb_env_input in = input(4);
	const struct kmb_env_check *c;

	(void)state;
	c = collect(&in, KMB_ENV_GOVERNOR);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_string_equal(c->message, "no cpufreq in sysfs (a VM?)");

	for (int cpu = 0; cpu < 4; cpu++)
		governor(cpu, "powersave");
	c = collect(&in, KMB_ENV_GOVERNOR);
	assert_check(c, KMB_ENV_WARNING, "powersave");
	assert_string_equal(c->message, "powersave on 4 of 4 CPUs; benchmarks want performance "
			    "(cpupower frequency-set -g performance)");

	governor(0, "performance");
	governor(1, "performance");
	governor(3, "schedutil");
	c = collect(&in, KMB_ENV_GOVERNOR);
	assert_check(c, KMB_ENV_WARNING, "performance x2, powersave x1, schedutil x1");
	assert_non_null(strstr(c->message, "powersave on 1 of 4 CPUs, schedutil on 1; "));

	/* Only the CPUs the run may use count: 2 and 3 are outside it. */
	in = input(2);
	c = collect(&in, KMB_ENV_GOVERNOR);
	assert_check(c, KMB_ENV_OK, "performance");
	assert_string_equal(c->message, "performance on all 2 CPUs this run may use");

	/* A CPU without cpufreq among CPUs with it: said, and not a warning by itself. */
	in = input(5);
	governor(2, "performance");
	governor(3, "performance");
	c = collect(&in, KMB_ENV_GOVERNOR);
	assert_check(c, KMB_ENV_OK, "performance x4, no cpufreq x1");

	CPU_ZERO(&in.cpus);
	c = collect(&in, KMB_ENV_GOVERNOR);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
}

static void test_turbo(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	c = collect(&in, KMB_ENV_TURBO);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_non_null(strstr(c->message, "no intel_pstate/no_turbo or cpufreq/boost"));

	put("/sys/devices/system/cpu/cpufreq/boost", "1\n");
	c = collect(&in, KMB_ENV_TURBO);
	assert_check(c, KMB_ENV_INFO, "on");
	assert_non_null(strstr(c->message, "echo 0 > /sys/devices/system/cpu/cpufreq/boost"));
	put("/sys/devices/system/cpu/cpufreq/boost", "0\n");
	assert_check(collect(&in, KMB_ENV_TURBO), KMB_ENV_OK, "off");

	/* intel_pstate's switch wins over the cpufreq core's, and reads the other way round. */
	put("/sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
	c = collect(&in, KMB_ENV_TURBO);
	assert_check(c, KMB_ENV_INFO, "on");
	assert_non_null(strstr(c->message, "echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo"));
	put("/sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
	assert_check(collect(&in, KMB_ENV_TURBO), KMB_ENV_OK, "off");
	put("/sys/devices/system/cpu/intel_pstate/no_turbo", "yes\n");
	c = collect(&in, KMB_ENV_TURBO);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_non_null(strstr(c->message, "unexpected content"));
}

static void test_load(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	c = collect(&in, KMB_ENV_LOAD);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_non_null(strstr(c->message, "/proc/loadavg"));

	/* 4 online CPUs: a warning above 0.5 + 0.4. */
	put("/sys/devices/system/cpu/online", "0-3\n");
	put("/proc/loadavg", "0.90 0.50 0.20 1/300 4242\n");
	c = collect(&in, KMB_ENV_LOAD);
	assert_check(c, KMB_ENV_OK, "0.90");
	assert_non_null(strstr(c->message, "on 4 online CPUs"));
	put("/proc/loadavg", "0.91 0.50 0.20 3/300 4242\n");
	c = collect(&in, KMB_ENV_LOAD);
	assert_check(c, KMB_ENV_WARNING, "0.91");
	assert_non_null(strstr(c->message, "2 other tasks runnable now"));
	assert_non_null(strstr(c->message, "timings will be noisy"));

	/* 64 CPUs allow 6.9. */
	put("/sys/devices/system/cpu/online", "0-31,32-63\n");
	put("/proc/loadavg", "6.80 6.00 6.00 1/300 4242\n");
	assert_check(collect(&in, KMB_ENV_LOAD), KMB_ENV_OK, "6.80");
	put("/proc/loadavg", "not a load\n");
	assert_check(collect(&in, KMB_ENV_LOAD), KMB_ENV_UNAVAILABLE, "");
}

static void test_thp(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	c = collect(&in, KMB_ENV_THP);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_non_null(strstr(c->message, "without transparent huge pages"));

	put("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	assert_check(collect(&in, KMB_ENV_THP), KMB_ENV_INFO, "enabled=madvise");
	put("/sys/kernel/mm/transparent_hugepage/defrag",
	    "[always] defer defer+madvise madvise never\n");
	put("/sys/kernel/mm/transparent_hugepage/shmem_enabled",
	    "always within_size advise [never] deny force\n");
	assert_check(collect(&in, KMB_ENV_THP), KMB_ENV_INFO,
		     "enabled=madvise defrag=always shmem_enabled=never");
}

static void test_smt(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	c = collect(&in, KMB_ENV_SMT);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_non_null(strstr(c->message, "no /sys/devices/system/cpu/smt"));

	put("/sys/devices/system/cpu/smt/control", "on\n");
	put("/sys/devices/system/cpu/smt/active", "1\n");
	c = collect(&in, KMB_ENV_SMT);
	assert_check(c, KMB_ENV_INFO, "on, active");
	assert_non_null(strstr(c->message, "--pin compact"));
	put("/sys/devices/system/cpu/smt/control", "off\n");
	put("/sys/devices/system/cpu/smt/active", "0\n");
	assert_check(collect(&in, KMB_ENV_SMT), KMB_ENV_OK, "off, inactive");
	put("/sys/devices/system/cpu/smt/control", "notsupported\n");
	assert_check(collect(&in, KMB_ENV_SMT), KMB_ENV_OK, "notsupported, inactive");
}

static void test_aslr(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	assert_check(collect(&in, KMB_ENV_ASLR), KMB_ENV_UNAVAILABLE, "");
	put("/proc/sys/kernel/randomize_va_space", "2\n");
	c = collect(&in, KMB_ENV_ASLR);
	assert_check(c, KMB_ENV_INFO, "2 (full)");
	assert_non_null(strstr(c->message, "setarch -R"));
	in.no_aslr = true;
	assert_check(collect(&in, KMB_ENV_ASLR), KMB_ENV_OK, "2 (full), off for kmbench");
	put("/proc/sys/kernel/randomize_va_space", "0\n");
	assert_check(collect(&in, KMB_ENV_ASLR), KMB_ENV_OK, "0 (off)");
}

static void test_numa_balancing(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	c = collect(&in, KMB_ENV_NUMA_BALANCING);
	assert_check(c, KMB_ENV_UNAVAILABLE, "");
	assert_non_null(strstr(c->message, "without NUMA balancing"));
	put("/proc/sys/kernel/numa_balancing", "1\n");
	assert_check(collect(&in, KMB_ENV_NUMA_BALANCING), KMB_ENV_INFO, "1");	/* one node */
	put("/sys/devices/system/node/online", "0-1\n");
	c = collect(&in, KMB_ENV_NUMA_BALANCING);
	assert_check(c, KMB_ENV_WARNING, "1");
	assert_non_null(strstr(c->message, "with 2 nodes"));
	assert_non_null(strstr(c->message, "sysctl -w kernel.numa_balancing=0"));
	put("/proc/sys/kernel/numa_balancing", "0\n");
	assert_check(collect(&in, KMB_ENV_NUMA_BALANCING), KMB_ENV_OK, "0");
}

static void test_isolation(void **state)
{
	struct kmb_env_input in = input(4);
	const struct kmb_env_check *c;

	(void)state;
	assert_check(collect(&in, KMB_ENV_ISOLATION), KMB_ENV_UNAVAILABLE, "");
	put("/sys/devices/system/cpu/isolated", "\n");
	assert_check(collect(&in, KMB_ENV_ISOLATION), KMB_ENV_INFO, "isolated=none");
	put("/sys/devices/system/cpu/nohz_full", "(null)\n");
	assert_check(collect(&in, KMB_ENV_ISOLATION), KMB_ENV_INFO,
		     "isolated=none nohz_full=none");
	put("/sys/devices/system/cpu/isolated", "2-3\n");
	put("/sys/devices/system/cpu/nohz_full", "2,3\n");
	c = collect(&in, KMB_ENV_ISOLATION);
	assert_check(c, KMB_ENV_INFO, "isolated=2-3 nohz_full=2-3");
	assert_non_null(strstr(c->message, "taskset -c 2-3"));
	CPU_CLR(0, &in.cpus);
	CPU_CLR(1, &in.cpus);
	assert_check(collect(&in, KMB_ENV_ISOLATION), KMB_ENV_OK, "isolated=2-3 nohz_full=2-3");
}

static void test_swap_watchdog(void **state)
{
	struct kmb_env_input in = input(1);
	static const char header[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

	(void)state;
	assert_check(collect(&in, KMB_ENV_SWAP), KMB_ENV_UNAVAILABLE, "");
	put("/proc/swaps", "%s", header);
	assert_check(collect(&in, KMB_ENV_SWAP), KMB_ENV_OK, "off");
	put("/proc/swaps", "%s/dev/vda2 partition\t1048576\t0\t-2\n/swapfile file\t524288\t0\t-3\n",
	    header);
	put("/proc/sys/vm/swappiness", "60\n");
	assert_check(collect(&in, KMB_ENV_SWAP), KMB_ENV_INFO,
		     "1.5 GiB on 2 devices, swappiness 60");

	assert_check(collect(&in, KMB_ENV_NMI_WATCHDOG), KMB_ENV_UNAVAILABLE, "");
	put("/proc/sys/kernel/nmi_watchdog", "1\n");
	assert_check(collect(&in, KMB_ENV_NMI_WATCHDOG), KMB_ENV_INFO, "1");
	put("/proc/sys/kernel/nmi_watchdog", "0\n");
	assert_check(collect(&in, KMB_ENV_NMI_WATCHDOG), KMB_ENV_OK, "0");
}

/* What comes from the process, not from files: rseq, perf_event_paranoid, the probe. */
static void test_process(void **state)
{
	struct kmb_env_input in = input(1);
	const struct kmb_env_check *c;

	(void)state;
	kmb_env_collect(&in, checks);
	assert_check(&checks[KMB_ENV_RSEQ], KMB_ENV_OK, "usable");
	assert_check(&checks[KMB_ENV_PERF_PARANOID], KMB_ENV_OK, "1");
	assert_check(&checks[KMB_ENV_COUNTERS], KMB_ENV_OK, "10 of 10");

	in.rseq_usable = false;
	in.rseq_why = "rseq not registered (GLIBC_TUNABLES)";
	in.paranoid = 2;
	in.exclude_kernel = true;
	all_counters[KMB_CTR_CYCLES].available = false;
	all_counters[KMB_CTR_DTLB_MISSES].available = false;
	kmb_env_collect(&in, checks);
	assert_check(&checks[KMB_ENV_RSEQ], KMB_ENV_INFO, "unusable");
	assert_non_null(strstr(checks[KMB_ENV_RSEQ].message, "rseq not registered (GLIBC_TUNABLES)"));
	assert_check(&checks[KMB_ENV_PERF_PARANOID], KMB_ENV_INFO, "2");
	assert_non_null(strstr(checks[KMB_ENV_PERF_PARANOID].message,
			       "sysctl -w kernel.perf_event_paranoid=1"));
	c = &checks[KMB_ENV_COUNTERS];
	assert_check(c, KMB_ENV_INFO, "8 of 10");
	assert_non_null(strstr(c->message, "cycles, dtlb_misses"));

	in.probe = NULL;
	in.paranoid = -100;
	kmb_env_collect(&in, checks);
	assert_check(&checks[KMB_ENV_COUNTERS], KMB_ENV_UNAVAILABLE, "");
	assert_check(&checks[KMB_ENV_PERF_PARANOID], KMB_ENV_UNAVAILABLE, "");
}

/* Lines kmb_env_warn writes for @c. */
static int warn_lines(const struct kmb_env_check *c, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	int n, lines = 0;

	assert_non_null(f);
	n = kmb_env_warn(f, c);
	fclose(f);
	for (const char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(n, lines);
	return n;
}

/*
 * The order and names are fixed; an empty tree (a busybox guest without /sys) makes every
 * file-based check unavailable with a reason and no warning; each warning is one line.
 */
static void test_order_and_warnings(void **state)
{
	static const char *const names[] = {
		"governor", "turbo", "load", "thp", "smt", "rseq", "perf_event_paranoid",
		"counters", "aslr", "numa_balancing", "isolation", "swap", "nmi_watchdog",
	};
	struct kmb_env_input in = input(2);
	char buf[4096];

	(void)state;
	_Static_assert(sizeof(names) / sizeof(names[0]) == KMB_ENV_NR, "a check without a name");
	kmb_env_collect(&in, checks);
	for (int i = 0; i < KMB_ENV_NR; i++) {
		assert_string_equal(checks[i].name, names[i]);
		assert_true(checks[i].message[0] != '\0');
		assert_null(strchr(checks[i].message, '\n'));
		assert_true(checks[i].status != KMB_ENV_WARNING);
		if (i != KMB_ENV_RSEQ && i != KMB_ENV_PERF_PARANOID && i != KMB_ENV_COUNTERS)
			assert_int_equal(checks[i].status, KMB_ENV_UNAVAILABLE);
	}
	assert_int_equal(warn_lines(checks, buf, sizeof(buf)), 0);

	governor(0, "powersave");
	governor(1, "powersave");
	put("/sys/devices/system/cpu/online", "0-1\n");
	put("/proc/loadavg", "5.00 5.00 5.00 4/300 4242\n");
	kmb_env_collect(&in, checks);
	assert_int_equal(warn_lines(checks, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "kmbench: warning: governor: powersave on 2 of 2 CPUs; "
			    "benchmarks want performance (cpupower frequency-set -g performance)\n"
			    "kmbench: warning: load: 1-minute load 5.00 on 2 online CPUs (above "
			    "0.70), 3 other tasks runnable now: other work is running, timings will "
			    "be noisy (wait for it to end, or stop it)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_governor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turbo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aslr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numa_balancing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_warnings, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
