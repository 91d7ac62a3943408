/*
 * test_numa_matrix.c - the numa-matrix workload end to end on several nodes, as a smoke test:
 * `kmbench run` over libnuma, buddy, slab and kmalloc with every matrix policy, a small buffer
 * and one repetition.  Its numbers mean nothing in an emulated guest; its placement does:
 * every cell must run, and every cell's pages must be where the cell asked (placement_ok 1).
 *
 * The cells expected are worked out from /sys/devices/system/node as the run resolves them
 * (harness/options.c): bind and preferred, every (memory node, CPU node) pair; local, every
 * CPU node with memory; remote and interleave, every CPU node.
 *
 * kmbench is $KMB_KMBENCH, else the build's (KMB_KMBENCH_PATH), else "kmbench" beside this
 * program, else the guest's /kmb/bin/kmbench; exit 77 when none exists, or with fewer than two
 * nodes with memory.
 *
 * Under QEMU's TCG, the first and the last software perf event of each kind flip a static key
 * in the kernel, and patching its jump labels waits for an IPI on every vCPU: seconds each,
 * minutes over a run, long enough for RCU stall reports.  kmbench opens and closes its
 * software counters for every benchmark thread, so this test holds one event of each kind
 * open for the whole run, which keeps the keys set.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "numa_test.h"

#ifndef KMB_KMBENCH_PATH
#define KMB_KMBENCH_PATH ""
#endif
#define BACKENDS "libnuma,buddy,slab,kmalloc"
#define NBACKENDS 4

static const char *find_kmbench(char *buf, size_t len)
{
	const char *env = getenv("KMB_KMBENCH");
	ssize_t n;

	if (env && *env && !access(env, X_OK))
		return env;
	if (*KMB_KMBENCH_PATH && !access(KMB_KMBENCH_PATH, X_OK))
		return KMB_KMBENCH_PATH;
	n = readlink("/proc/self/exe", buf, len - 16);
	if (n > 0) {
		buf[n] = '\0';
		strcpy(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, "kmbench");
		if (!access(buf, X_OK))
			return buf;
	}
	/* On PATH: where scripts/numa-guest --bin puts it in the guest. */
	if (!access("/kmb/bin/kmbench", X_OK))
		return "/kmb/bin/kmbench";
	return NULL;
}

/* One software event of each kind kmbench counts, on this process, while the run lasts. */
static void hold_sw_events(int *fds)
{
	static const uint64_t kinds[] = { PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_PAGE_FAULTS,
					  PERF_COUNT_SW_CONTEXT_SWITCHES,
					  PERF_COUNT_SW_CPU_MIGRATIONS };

	for (int i = 0; i < 4; i++) {
		struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
					     .config = kinds[i], .disabled = 1,
					     .exclude_kernel = 1, .exclude_hv = 1 };

		fds[i] = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);	/* -1: fine */
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (text = calloc(1, (size_t)size + 1)) && fread(text, 1, (size_t)size, f) != (size_t)size) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/*
 * Occurrences of "@key": in @text (the runs are compact JSON, the context pretty: a blank may
 * follow the colon) whose value starts with @value (NULL: any); for each, the number it starts
 * with into vals[] (up to @max).
 */
static int count_key(const char *text, const char *key, const char *value, double *vals,
		     int max)
{
	char pat[64];
	int n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat)) {
		const char *v = p + strlen(pat);

		while (*v == ' ')
			v++;
		if (value && strncmp(v, value, strlen(value)))
			continue;
		if (vals && n < max)
			vals[n] = strtod(v, NULL);
		n++;
	}
	return n;
}

int main(void)
{
	uint64_t mem = sys_nodes("has_memory"), cpus = sys_nodes("has_cpu");
	char exe[PATH_MAX], dir[] = "/tmp/kmb-numa-matrix-XXXXXX", out[PATH_MAX], path[PATH_MAX + 16];
	const char *kmbench;
	int ny = popcount64(cpus), nm = popcount64(mem), want, rows, status, perf_fds[4];
	double ok[4096];
	char *text;
	pid_t pid;

	need_nodes(mem, 2, "with memory");
	kmbench = find_kmbench(exe, sizeof(exe));
	if (!kmbench) {
		printf("skipped: the kmbench executable was not found (set KMB_KMBENCH)\n");
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(out, sizeof(out), "%s/run", dir);
	hold_sw_events(perf_fds);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++)
			if (perf_fds[i] >= 0)
				close(perf_fds[i]);
		execl(kmbench, "kmbench", "run", "--backends=" BACKENDS, "--workloads=numa-matrix",
		      "--threads=1", "--matrix-policies=bind,preferred,local,remote,interleave",
		      "--matrix-buffer=512K", "--node-mem=32M", "--dma-zone=none", "--min-time=0.001",
		      "--repetitions=1", "--quiet", "--out", out, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "%s run failed (status %#x)", kmbench, status);
	for (int i = 0; i < 4; i++)
		if (perf_fds[i] >= 0)
			close(perf_fds[i]);
	snprintf(path, sizeof(path), "%s/results.json", out);
	text = slurp(path);
	CHECK(text != NULL, "cannot read %s", path);
	if (text) {
		want = NBACKENDS * (2 * ny * nm + popcount64(cpus & mem) + 2 * ny);
		rows = count_key(text, "run_type", "\"iteration\"", NULL, 0);
		CHECK(rows == want, "%d runs, want %d (%d CPU nodes, %d memory nodes)", rows, want,
		      ny, nm);
		CHECK(!count_key(text, "error_occurred", NULL, NULL, 0), "a cell failed: see %s",
		      path);
		CHECK(count_key(text, "placement_ok", NULL, ok, 4096) == rows,
		      "placement_ok on %d of %d runs",
		      count_key(text, "placement_ok", NULL, NULL, 0), rows);
		for (int i = 0; i < rows && i < 4096; i++)
			CHECK(ok[i] == 1.0, "run %d: placement_ok %g", i, ok[i]);
		CHECK(!count_key(text, "skipped", NULL, NULL, 0) &&
		      !count_key(text, "status", "\"skipped\"", NULL, 0),
		      "a matrix policy got no cell, or a backend was skipped");
		free(text);
	}
	if (!failures) {	/* keep the run for a look when something failed */
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return numa_test_done("test_numa_matrix");
}
