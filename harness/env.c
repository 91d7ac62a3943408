/*
 * env.c - the environment checked and recorded before a run (env.h).
 *
 * What performance engineers check before they trust a timing, and where this list comes from:
 *   - the CPU frequency governor: Google Benchmark warns "CPU scaling is enabled" when a CPU's
 *     scaling_governor is not "performance" (src/sysinfo.cc, docs/reducing_variance.md);
 *   - turbo, ASLR, the governor and CPU isolation: LLVM's "Benchmarking tips"
 *     (llvm/docs/Benchmarking.rst: disable frequency scaling, Turbo Boost and address space
 *     randomisation; reserve CPUs for the benchmark), and pyperf's `system show`
 *     (pyperf.readthedocs.io, "Tune the system for benchmarks": CPU frequency, Turbo Boost,
 *     ASLR, isolated CPUs, nohz_full, system load);
 *   - the load: pyperf's system load check, and the first rule of both lists (stop the other
 *     work);
 *   - SMT: LLVM's tips (take the benchmark CPUs' SMT siblings offline); here it is recorded,
 *     since --pin decides whether siblings are used (docs/numa.md);
 *   - transparent huge pages: the page faults and RSS of the mmap-backed baselines depend on
 *     them (one fault per 2 MiB instead of per 4 KiB); recorded, not judged;
 *   - NUMA balancing: the kernel migrates pages and tasks between nodes behind --numa-policy
 *     and the placement check (Documentation/admin-guide/sysctl/kernel.rst, numa_balancing);
 *   - the NMI watchdog: it holds one PMU counter, the reason perf.c shrinks the hardware group
 *     ("Some events weren't counted. Try disabling the NMI watchdog", perf stat);
 *   - swap, rseq, perf_event_paranoid and the counters: what changes what a row means.
 *
 * Rules: a check is "warning" only where the timings themselves become unreliable (a governor
 * other than performance, a busy machine, NUMA balancing on several nodes); what describes the
 * machine rather than a fault (turbo, SMT, THP, ASLR, swap, ...) is "info", with the fix in its
 * message for whoever wants steadier numbers.  A file that is missing makes its check
 * "unavailable" with the reason (a VM has no cpufreq; a busybox guest may lack /proc/sys);
 * nothing here fails a run.
 *
 * Files are read under a root (env.h: KMB_SYSFS_ROOT, for tests) so that every rule can be
 * checked against a fake tree.  The counters come from the run's own probe (runner.c), never
 * probed again.
 */
#define _GNU_SOURCE
#include "env.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "json.h"
#include "kmbench/percpu.h"

#define KMB_ENV_ROOT_VAR	"KMB_SYSFS_ROOT"
#define KMB_ENV_MAX_GOVS	8	/* distinct governors told apart; more are "other" */
#define KMB_ENV_LINE		256	/* one line of a sysfs or procfs file */

static const char *const check_names[KMB_ENV_NR] = {
#define KMB_ENV_NAME(id, name) [KMB_ENV_##id] = name,
	KMB_ENV_CHECKS(KMB_ENV_NAME)
#undef KMB_ENV_NAME
};

const char *kmb_env_status_name(enum kmb_env_status s)
{
	switch (s) {
	case KMB_ENV_OK:	  return "ok";
	case KMB_ENV_WARNING:	  return "warning";
	case KMB_ENV_INFO:	  return "info";
	case KMB_ENV_UNAVAILABLE: return "unavailable";
	}
	return "unavailable";
}

const char *kmb_env_root(void)
{
	const char *root = getenv(KMB_ENV_ROOT_VAR);

	return root ? root : "";
}

/* --- reading --- */

/*
 * The first line of @path (absolute, under @root) into @buf, without the trailing newline and
 * blanks.  0, or -errno.
 */
static int read_line(const char *root, const char *path, char *buf, size_t len)
{
	char full[PATH_MAX];
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (kmb_pathf(full, sizeof(full), "%s%s", root, path))
		return -ENAMETOOLONG;
	f = fopen(full, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n && strchr(" \t\n", buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

/* An integer file; 0, -errno, or -EINVAL when it does not hold one. */
static int read_long(const char *root, const char *path, long *out)
{
	char buf[KMB_ENV_LINE], *end;
	int r = read_line(root, path, buf, sizeof(buf));

	if (r)
		return r;
	errno = 0;
	*out = strtol(buf, &end, 10);
	return (end == buf || *end || errno) ? -EINVAL : 0;
}

/* The choice in brackets of a sysfs selector ("always [madvise] never"), copied to @out; the
 * whole text when there is no bracket. */
static void bracketed(const char *text, char *out, size_t len)
{
	const char *open = strchr(text, '['), *close = open ? strchr(open, ']') : NULL;
	size_t n = open && close ? (size_t)(close - open - 1) : strlen(text);

	if (n >= len)
		n = len - 1;		/* cut, as every value here is */
	memcpy(out, open && close ? open + 1 : text, n);
	out[n] = '\0';
}

/* A CPU or node list, "0-3,8,10-11" (cpuset(7)'s list format), into @set.  0, or -EINVAL;
 * "" and the "(null)" of an empty nohz_full are the empty set. */
static int parse_list(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	if (!strcmp(s, "(null)"))
		return 0;
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -EINVAL;
		}
		for (long i = a; i <= b && i < CPU_SETSIZE; i++)
			CPU_SET((int)i, set);
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return 0;
}

/* @set as a list, "0-3,8" ("none" when empty), into @buf; returns @buf. */
static const char *format_list(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < CPU_SETSIZE && n < len; i++) {
		int j = i;

		if (!CPU_ISSET(i, set))
			continue;
		while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, set))
			j++;
		if (j > i)
			n += (size_t)snprintf(buf + n, len - n, "%s%d-%d", n ? "," : "", i, j);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%d", n ? "," : "", i);
		i = j;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

/* --- one check --- */

static void set_check(struct kmb_env_check *c, enum kmb_env_status status, const char *value,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_check(struct kmb_env_check *c, enum kmb_env_status status, const char *value,
		      const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	snprintf(c->value, sizeof(c->value), "%s", value);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

/* @path could not be read (@err < 0): "unavailable", with @missing as the reason when it does
 * not exist and the error otherwise. */
static void unreadable(struct kmb_env_check *c, const char *path, int err, const char *missing)
{
	if (err == -ENOENT)
		set_check(c, KMB_ENV_UNAVAILABLE, "", "%s", missing);
	else if (err == -EINVAL)
		set_check(c, KMB_ENV_UNAVAILABLE, "", "%s: unexpected content", path);
	else
		set_check(c, KMB_ENV_UNAVAILABLE, "", "%s: %s", path, strerror(-err));
}

/* --- the checks --- */

/*
 * Each CPU the run may use: its scaling_governor, told apart by name.  "performance" keeps
 * the clock at its highest; any other lets it move with the load, so the first iterations run
 * slower and the clock changes between cells (Google Benchmark's "CPU scaling is enabled").
 */
static void check_governor(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	char gov[KMB_ENV_MAX_GOVS][32], line[KMB_ENV_LINE], value[KMB_ENV_VALUE_LEN];
	char slow[KMB_ENV_MESSAGE_LEN];
	int count[KMB_ENV_MAX_GOVS] = { 0 }, ngov = 0, ncpus = 0, without = 0, notperf = 0;
	int other = 0;		/* CPUs whose governor found every slot taken */
	size_t vn = 0, sn = 0;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		char path[96];
		int g;

		if (!CPU_ISSET(cpu, &in->cpus))
			continue;
		ncpus++;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
			 cpu);
		if (read_line(in->root, path, line, sizeof(line)) || !line[0]) {
			without++;
			continue;
		}
		notperf += strcmp(line, "performance") != 0;
		for (g = 0; g < ngov && strcmp(gov[g], line); g++)
			;
		if (g == ngov && ngov == KMB_ENV_MAX_GOVS) {
			other++;
			continue;
		}
		if (g == ngov)
			snprintf(gov[ngov++], sizeof(gov[0]), "%.31s", line);
		count[g]++;
	}
	if (!ncpus) {
		set_check(c, KMB_ENV_UNAVAILABLE, "", "no CPU to check (the affinity is unknown)");
		return;
	}
	if (without == ncpus) {
		set_check(c, KMB_ENV_UNAVAILABLE, "", "no cpufreq in sysfs (a VM?)");
		return;
	}
	value[0] = slow[0] = '\0';
	for (int g = 0; g < ngov; g++) {
		if (ngov == 1 && !without)
			vn += (size_t)snprintf(value, sizeof(value), "%s", gov[g]);
		else if (vn < sizeof(value))
			vn += (size_t)snprintf(value + vn, sizeof(value) - vn, "%s%s x%d",
					       vn ? ", " : "", gov[g], count[g]);
		if (strcmp(gov[g], "performance") && sn < sizeof(slow))
			sn += (size_t)snprintf(slow + sn, sizeof(slow) - sn, sn ? ", %s on %d" :
					       "%s on %d of %d CPUs", gov[g], count[g], ncpus);
	}
	if (other && vn < sizeof(value))
		vn += (size_t)snprintf(value + vn, sizeof(value) - vn, ", other x%d", other);
	if (other && sn < sizeof(slow))
		sn += (size_t)snprintf(slow + sn, sizeof(slow) - sn, ", others on %d", other);
	if (without && vn < sizeof(value))
		snprintf(value + vn, sizeof(value) - vn, ", no cpufreq x%d", without);
	if (notperf)
		set_check(c, KMB_ENV_WARNING, value, "%s; benchmarks want performance (cpupower "
			  "frequency-set -g performance)", slow);
	else if (without)
		set_check(c, KMB_ENV_OK, value, "performance on %d of %d CPUs, no cpufreq on the "
			  "others", ncpus - without, ncpus);
	else
		set_check(c, KMB_ENV_OK, value, "performance on all %d CPUs this run may use", ncpus);
}

/*
 * Turbo: intel_pstate's no_turbo, else the cpufreq core's boost (acpi-cpufreq, amd-pstate).
 * With it on, the clock rises above base while the package is cool and few cores are busy:
 * the same cell runs faster at one thread than its share at eight, and slower once warm.
 */
static void check_turbo(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char no_turbo[] = "/sys/devices/system/cpu/intel_pstate/no_turbo";
	static const char boost[] = "/sys/devices/system/cpu/cpufreq/boost";
	long v;
	int r = read_long(in->root, no_turbo, &v);

	if (r == 0) {
		if (v)
			set_check(c, KMB_ENV_OK, "off", "intel_pstate no_turbo=1: the clock stays "
				  "at or below base");
		else
			set_check(c, KMB_ENV_INFO, "on", "intel_pstate turbo on: the clock depends "
				  "on temperature and on how many cores are busy, so results vary "
				  "with both (echo 1 > %s for steadier numbers)", no_turbo);
		return;
	}
	if (r != -ENOENT) {
		unreadable(c, no_turbo, r, "");
		return;
	}
	r = read_long(in->root, boost, &v);
	if (r == 0 && v)
		set_check(c, KMB_ENV_INFO, "on", "cpufreq boost on: the clock depends on "
			  "temperature and on how many cores are busy, so results vary with both "
			  "(echo 0 > %s for steadier numbers)", boost);
	else if (r == 0)
		set_check(c, KMB_ENV_OK, "off", "cpufreq boost off: the clock stays at or below base");
	else
		unreadable(c, boost, r, "no intel_pstate/no_turbo or cpufreq/boost in sysfs (a VM, "
			   "or a frequency driver without a turbo switch)");
}

/* How many CPUs are online, from sysfs under the root; sysconf's count where that fails. */
static int online_cpus(const char *root)
{
	char line[KMB_ENV_LINE];
	cpu_set_t set;

	if (!read_line(root, "/sys/devices/system/cpu/online", line, sizeof(line)) &&
	    !parse_list(line, &set) && CPU_COUNT(&set))
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * The 1-minute load average against the online CPUs.  A run may use every CPU, so any other
 * busy task takes time from some benchmark thread; the allowance, 0.5 plus 0.1 per CPU, lets
 * pass the daemons' noise of an idle machine and the tail of the command that started the run.
 * The load is the kernel's average over the last minute, so a build that just ended still shows:
 * the message says so rather than guess.
 */
static void check_load(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	char line[KMB_ENV_LINE], value[32];
	double load1, load5, load15, limit;
	int running = 0, tasks = 0, ncpus = online_cpus(in->root);
	int r = read_line(in->root, "/proc/loadavg", line, sizeof(line));

	if (r) {
		unreadable(c, "/proc/loadavg", r, "no /proc/loadavg (procfs not mounted?)");
		return;
	}
	if (sscanf(line, "%lf %lf %lf %d/%d", &load1, &load5, &load15, &running, &tasks) < 3) {
		unreadable(c, "/proc/loadavg", -EINVAL, "");
		return;
	}
	if (ncpus < 1)
		ncpus = 1;
	limit = 0.5 + 0.1 * ncpus;
	snprintf(value, sizeof(value), "%.2f", load1);
	/*
	 * In hundredths, as the kernel prints the load: 0.90 against 0.5 + 0.1 * 4 must not
	 * depend on how 0.1 rounds.  /proc/loadavg's runnable count includes the task that
	 * reads it: this one.
	 */
	if ((long)(load1 * 100 + 0.5) > 50 + 10L * ncpus)
		set_check(c, KMB_ENV_WARNING, value, "1-minute load %.2f on %d online CPUs (above "
			  "%.2f), %d other task%s runnable now: other work is running, timings will "
			  "be noisy (wait for it to end, or stop it)", load1, ncpus, limit,
			  running > 1 ? running - 1 : 0, running == 2 ? "" : "s");
	else
		set_check(c, KMB_ENV_OK, value, "1-minute load %.2f on %d online CPUs (a warning "
			  "above %.2f)", load1, ncpus, limit);
}

/*
 * Transparent huge pages: enabled and defrag decide whether anonymous memory (the malloc
 * baselines, mmap) faults in 2 MiB at a time; shmem_enabled does the same for the memfd
 * memory of the kernel-style backends' physical memory model.  Recorded, not judged.
 */
static void check_thp(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char dir[] = "/sys/kernel/mm/transparent_hugepage";
	static const char *const keys[] = { "enabled", "defrag", "shmem_enabled" };
	char value[KMB_ENV_VALUE_LEN] = "", line[KMB_ENV_LINE], sel[64], path[96];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, keys[i]);
		r = read_line(in->root, path, line, sizeof(line));
		if (r && i == 0) {
			unreadable(c, path, r, "no /sys/kernel/mm/transparent_hugepage/enabled (a "
				   "kernel without transparent huge pages)");
			return;
		}
		if (r)
			continue;	/* defrag or shmem_enabled absent: an older kernel */
		bracketed(line, sel, sizeof(sel));
		if (n < sizeof(value))
			n += (size_t)snprintf(value + n, sizeof(value) - n, "%s%s=%s", n ? " " : "",
					      keys[i], sel);
	}
	set_check(c, KMB_ENV_INFO, value, "transparent huge pages: one fault per 2 MiB instead "
		  "of per 4 KiB changes the malloc and mmap baselines' page faults and RSS "
		  "(enabled, defrag) and the kernel-style backends' memfd memory (shmem_enabled)");
}

/*
 * SMT: two hardware threads of a core share its caches and execution units, so a thread's
 * cost depends on what its sibling runs.  --pin compact fills a core's siblings first, the
 * other policies take one CPU of every core first (docs/numa.md): recorded, for the reader.
 */
static void check_smt(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char control[] = "/sys/devices/system/cpu/smt/control";
	char ctl[KMB_ENV_LINE], value[KMB_ENV_VALUE_LEN];
	long active;
	int r = read_line(in->root, control, ctl, sizeof(ctl));

	if (r) {
		unreadable(c, control, r, "no /sys/devices/system/cpu/smt (a kernel before 4.19)");
		return;
	}
	if (read_long(in->root, "/sys/devices/system/cpu/smt/active", &active))
		active = !strcmp(ctl, "on");
	snprintf(value, sizeof(value), "%.60s, %s", ctl, active ? "active" : "inactive");
	if (active)
		set_check(c, KMB_ENV_INFO, value, "SMT active: sibling hardware threads share a "
			  "core's caches and execution units; --pin compact fills a core's siblings "
			  "first, the other policies use them last (echo off > %s runs without)",
			  control);
	else
		set_check(c, KMB_ENV_OK, value, "SMT not active: one hardware thread per core");
}

/* Restartable sequences: without them the per-CPU caches' default mode runs thread and
 * cpu-rseq runs cpu-lock (options.percpu says which ran). */
static void check_rseq(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	if (in->rseq_usable)
		set_check(c, KMB_ENV_OK, "usable", "rseq registered: the per-CPU caches can run "
			  "cpu-rseq");
	else
		set_check(c, KMB_ENV_INFO, "unusable", "%s; the per-CPU caches' default mode runs "
			  "thread, and cpu-rseq runs cpu-lock", in->rseq_why ? in->rseq_why :
			  "unknown reason");
}

/* perf_event_paranoid, and what the probe made of it: whether the kernel is counted. */
static void check_paranoid(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	char value[16];

	if (in->paranoid == -100) {
		set_check(c, KMB_ENV_UNAVAILABLE, "", "cannot read /proc/sys/kernel/perf_event_paranoid");
		return;
	}
	snprintf(value, sizeof(value), "%d", in->paranoid);
	if (in->probe && in->exclude_kernel)
		set_check(c, KMB_ENV_INFO, value, "counters count user space only (exclude_kernel): "
			  "the kernel's share of an operation is missing and context_switches and "
			  "cpu_migrations are unavailable (sysctl -w kernel.perf_event_paranoid=1, or "
			  "run as root)");
	else if (in->probe)
		set_check(c, KMB_ENV_OK, value, "counters count user space and the kernel");
	else
		set_check(c, KMB_ENV_INFO, value, "counters not probed in this process");
}

/* The run's counter probe, summed up; each reason is in context.counters.unavailable. */
static void check_counters(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	char value[32], missing[KMB_ENV_MESSAGE_LEN];
	int avail = 0;
	size_t n = 0;

	if (!in->probe) {
		set_check(c, KMB_ENV_UNAVAILABLE, "", "counters not probed in this process");
		return;
	}
	missing[0] = '\0';
	for (int i = 0; i < KMB_CTR_COUNT; i++) {
		if (in->probe[i].available)
			avail++;
		else if (n < sizeof(missing))
			n += (size_t)snprintf(missing + n, sizeof(missing) - n, "%s%s", n ? ", " : "",
					      kmb_counter_name(i));
	}
	snprintf(value, sizeof(value), "%d of %d", avail, KMB_CTR_COUNT);
	if (avail == KMB_CTR_COUNT)
		set_check(c, KMB_ENV_OK, value, "every counter available");
	else
		set_check(c, KMB_ENV_INFO, value, "unavailable, so left out of the rows: %s "
			  "(context.counters.unavailable gives each reason)", missing);
}

/*
 * Address space randomisation: where stacks, heaps and mappings land changes from run to run,
 * and with it cache-set conflicts and alignment effects (Mytkowicz et al., "Producing Wrong
 * Data Without Doing Anything Obviously Wrong!", ASPLOS 2009).  setarch -R turns it off for one
 * command, and the children inherit that personality.
 */
static void check_aslr(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char path[] = "/proc/sys/kernel/randomize_va_space";
	static const char *const level[] = { "off", "conservative", "full" };
	char value[64];
	long v;
	int r = read_long(in->root, path, &v);

	if (r) {
		unreadable(c, path, r, "no /proc/sys/kernel/randomize_va_space (procfs not mounted?)");
		return;
	}
	snprintf(value, sizeof(value), "%ld (%s)%s", v, v >= 0 && v <= 2 ? level[v] : "unknown",
		 v && in->no_aslr ? ", off for kmbench" : "");
	if (!v)
		set_check(c, KMB_ENV_OK, value, "address space randomisation off");
	else if (in->no_aslr)
		set_check(c, KMB_ENV_OK, value, "address space randomisation off for this run "
			  "(setarch -R)");
	else
		set_check(c, KMB_ENV_INFO, value, "address space randomisation on: addresses, and "
			  "with them cache-set and alignment effects, change from run to run "
			  "(`setarch -R kmbench run ...` runs without it)");
}

/*
 * Automatic NUMA balancing: on a machine of several nodes the kernel unmaps pages to sample
 * their accesses and migrates pages and tasks between nodes while the run measures, against
 * --numa-policy and the placement check.  One node has nothing to balance.
 */
static void check_numa_balancing(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char path[] = "/proc/sys/kernel/numa_balancing";
	char value[16], line[KMB_ENV_LINE];
	cpu_set_t nodes;
	int nnodes = 1;
	long v;
	int r = read_long(in->root, path, &v);

	if (r) {
		unreadable(c, path, r, "no /proc/sys/kernel/numa_balancing (a kernel without NUMA "
			   "balancing)");
		return;
	}
	if (!read_line(in->root, "/sys/devices/system/node/online", line, sizeof(line)) &&
	    !parse_list(line, &nodes) && CPU_COUNT(&nodes))
		nnodes = CPU_COUNT(&nodes);
	snprintf(value, sizeof(value), "%ld", v);
	if (!v)
		set_check(c, KMB_ENV_OK, value, "NUMA balancing off");
	else if (nnodes > 1)
		set_check(c, KMB_ENV_WARNING, value, "NUMA balancing on with %d nodes: the kernel "
			  "migrates pages and threads between nodes during the run, against "
			  "--numa-policy and the placement check (sysctl -w kernel.numa_balancing=0)",
			  nnodes);
	else
		set_check(c, KMB_ENV_INFO, value, "NUMA balancing on, but one node: nothing to "
			  "migrate");
}

/*
 * CPUs set aside from the scheduler (isolcpus=) and from the tick (nohz_full=): the only CPUs
 * no other task and few interrupts disturb.  A run is isolated when it may use those alone.
 */
static void check_isolation(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char isolated[] = "/sys/devices/system/cpu/isolated";
	char line[KMB_ENV_LINE], iso_list[96], nohz_list[96], value[KMB_ENV_VALUE_LEN];
	cpu_set_t iso, nohz, outside;
	bool has_nohz;
	int r = read_line(in->root, isolated, line, sizeof(line));

	if (r || parse_list(line, &iso)) {
		unreadable(c, isolated, r ? r : -EINVAL, "no /sys/devices/system/cpu/isolated (a "
			   "kernel before 4.1)");
		return;
	}
	/* nohz_full exists only in kernels built with NO_HZ_FULL; "(null)" when none is. */
	has_nohz = !read_line(in->root, "/sys/devices/system/cpu/nohz_full", line, sizeof(line)) &&
		   !parse_list(line, &nohz);
	format_list(&iso, iso_list, sizeof(iso_list));
	if (has_nohz)
		snprintf(value, sizeof(value), "isolated=%s nohz_full=%s", iso_list,
			 format_list(&nohz, nohz_list, sizeof(nohz_list)));
	else
		snprintf(value, sizeof(value), "isolated=%s", iso_list);
	outside = in->cpus;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &iso))
			CPU_CLR(cpu, &outside);
	if (!CPU_COUNT(&iso))
		set_check(c, KMB_ENV_INFO, value, "no CPU isolated: other tasks and interrupts "
			  "share the run's CPUs (isolcpus= and nohz_full= on the kernel command line "
			  "set some aside, then taskset -c runs kmbench there)");
	else if (!CPU_COUNT(&outside) && CPU_COUNT(&in->cpus))
		set_check(c, KMB_ENV_OK, value, "the run may use isolated CPUs only");
	else
		set_check(c, KMB_ENV_INFO, value, "CPUs %s are isolated, but this run may use "
			  "others too (taskset -c %s kmbench run ... keeps it there)", iso_list,
			  iso_list);
}

/*
 * Swap: under memory pressure pages of a live set can be swapped out and faulted back in the
 * timed loop, which the page fault counts then include.  Recorded; off is steadier.
 */
static void check_swap(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	char full[PATH_MAX], value[KMB_ENV_VALUE_LEN], *text, *save, *line;
	unsigned long long kib = 0;
	long swappiness;
	int devices = 0;
	int r = kmb_pathf(full, sizeof(full), "%s/proc/swaps", in->root);

	if (!r)
		r = kmb_read_file(full, &text, NULL);
	if (r) {
		unreadable(c, "/proc/swaps", r, "no /proc/swaps (a kernel without swap)");
		return;
	}
	/* "Filename Type Size Used Priority", then one line per device, sizes in KiB. */
	line = strtok_r(text, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long long size;

		if (sscanf(line, "%*s %*s %llu", &size) == 1) {
			kib += size;
			devices++;
		}
	}
	free(text);
	if (!devices) {
		set_check(c, KMB_ENV_OK, "off", "no swap: a live set stays in memory");
		return;
	}
	r = snprintf(value, sizeof(value), "%.1f GiB on %d device%s", (double)kib / (1 << 20),
		     devices, devices > 1 ? "s" : "");
	if (!read_long(in->root, "/proc/sys/vm/swappiness", &swappiness))
		snprintf(value + r, sizeof(value) - (size_t)r, ", swappiness %ld", swappiness);
	set_check(c, KMB_ENV_INFO, value, "swap on: under memory pressure a live set's pages can "
		  "be swapped out and faulted back in the timed loop (swapoff -a while "
		  "benchmarking)");
}

/* The NMI watchdog keeps one PMU counter for itself: perf.c's probe then shrinks the hardware
 * group until it is scheduled, and the counters it drops are unavailable. */
static void check_nmi_watchdog(const struct kmb_env_input *in, struct kmb_env_check *c)
{
	static const char path[] = "/proc/sys/kernel/nmi_watchdog";
	char value[16];
	long v;
	int r = read_long(in->root, path, &v);

	if (r) {
		unreadable(c, path, r, "no /proc/sys/kernel/nmi_watchdog (a kernel without the "
			   "hard-lockup detector)");
		return;
	}
	snprintf(value, sizeof(value), "%ld", v);
	if (v)
		set_check(c, KMB_ENV_INFO, value, "the NMI watchdog holds one PMU counter, so "
			  "fewer hardware counters fit in a group (sysctl -w kernel.nmi_watchdog=0 "
			  "frees it)");
	else
		set_check(c, KMB_ENV_OK, value, "NMI watchdog off: every PMU counter is free");
}

static void (*const check_fn[KMB_ENV_NR])(const struct kmb_env_input *, struct kmb_env_check *) = {
	[KMB_ENV_GOVERNOR]	 = check_governor,
	[KMB_ENV_TURBO]		 = check_turbo,
	[KMB_ENV_LOAD]		 = check_load,
	[KMB_ENV_THP]		 = check_thp,
	[KMB_ENV_SMT]		 = check_smt,
	[KMB_ENV_RSEQ]		 = check_rseq,
	[KMB_ENV_PERF_PARANOID]	 = check_paranoid,
	[KMB_ENV_COUNTERS]	 = check_counters,
	[KMB_ENV_ASLR]		 = check_aslr,
	[KMB_ENV_NUMA_BALANCING] = check_numa_balancing,
	[KMB_ENV_ISOLATION]	 = check_isolation,
	[KMB_ENV_SWAP]		 = check_swap,
	[KMB_ENV_NMI_WATCHDOG]	 = check_nmi_watchdog,
};

void kmb_env_collect(const struct kmb_env_input *in, struct kmb_env_check out[KMB_ENV_NR])
{
	for (int i = 0; i < KMB_ENV_NR; i++) {
		out[i].name = check_names[i];
		check_fn[i](in, &out[i]);
	}
}

void kmb_env_input_here(struct kmb_env_input *in, const struct kmb_counter_probe *probe,
			bool exclude_kernel)
{
	int pers = personality(0xffffffff);

	memset(in, 0, sizeof(*in));
	in->root = kmb_env_root();
	if (sched_getaffinity(0, sizeof(in->cpus), &in->cpus))
		CPU_ZERO(&in->cpus);	/* the governor check says it cannot tell */
	in->probe = probe;
	in->exclude_kernel = exclude_kernel;
	in->paranoid = kmb_perf_paranoid();
	in->rseq_usable = kmb_rseq_status(&in->rseq_why);
	in->no_aslr = pers != -1 && (pers & ADDR_NO_RANDOMIZE);
}

/* --- showing and recording --- */

int kmb_env_warn(FILE *f, const struct kmb_env_check c[KMB_ENV_NR])
{
	int n = 0;

	for (int i = 0; i < KMB_ENV_NR; i++) {
		if (c[i].status != KMB_ENV_WARNING)
			continue;
		fprintf(f, "kmbench: warning: %s: %s\n", c[i].name, c[i].message);
		n++;
	}
	return n;
}

void kmb_env_print(FILE *f, const struct kmb_env_check c[KMB_ENV_NR])
{
	for (int i = 0; i < KMB_ENV_NR; i++)
		fprintf(f, "  %-19s %-11s %s%s%s\n", c[i].name, kmb_env_status_name(c[i].status),
			c[i].value, c[i].value[0] ? " -- " : "", c[i].message);
}

/* The run's checks, from kmb_env_run_start, for the results writer. */
static struct kmb_env_check run_checks[KMB_ENV_NR];
static bool run_collected;

void kmb_env_run_start(const struct kmb_counter_probe *probe, bool exclude_kernel)
{
	struct kmb_env_input in;

	kmb_env_input_here(&in, probe, exclude_kernel);
	if (in.root[0])
		fprintf(stderr, "kmbench: note: %s=%s: the environment checks read that tree, not "
			"this machine's /sys and /proc\n", KMB_ENV_ROOT_VAR, in.root);
	kmb_env_collect(&in, run_checks);
	run_collected = true;
	fflush(stdout);		/* the warnings after the lines that announced the run */
	kmb_env_warn(stderr, run_checks);
}

void kmb_env_write_json(struct kmb_json *j)
{
	if (!run_collected) {
		struct kmb_env_input in;

		kmb_env_input_here(&in, NULL, false);
		kmb_env_collect(&in, run_checks);
		run_collected = true;
	}
	kmb_json_arr_begin(j, "environment");
	for (int i = 0; i < KMB_ENV_NR; i++) {
		kmb_json_obj_begin(j, NULL);
		kmb_json_str(j, "name", run_checks[i].name);
		kmb_json_str(j, "value", run_checks[i].value);
		kmb_json_str(j, "status", kmb_env_status_name(run_checks[i].status));
		kmb_json_str(j, "message", run_checks[i].message);
		kmb_json_obj_end(j);
	}
	kmb_json_arr_end(j);
	if (kmb_env_root()[0])
		kmb_json_str(j, "environment_root", kmb_env_root());
}

int kmb_env_command(void)
{
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	struct kmb_env_check c[KMB_ENV_NR];
	struct kmb_env_input in;
	bool exclude_kernel;

	kmb_perf_probe(probe, &exclude_kernel);
	kmb_env_input_here(&in, probe, exclude_kernel);
	kmb_env_collect(&in, c);
	if (in.root[0])
		printf("environment (from %s=%s):\n", KMB_ENV_ROOT_VAR, in.root);
	else
		printf("environment (what `kmbench run` records as context.environment):\n");
	kmb_env_print(stdout, c);
	return 0;
}
