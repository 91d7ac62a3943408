/*
 * guest_spec.h - the topology a test in scripts/numa-guest's guest should find, and helpers the
 * NUMA tests share.
 *
 * scripts/numa-guest describes each config once and derives both qemu's -numa options and a
 * spec file from it; in the guest, $KMB_GUEST_SPEC names that file and $KMB_GUEST the config.
 * The spec's lines (docs/numa.md):
 *
 *   config NAME
 *   cpus N                      CPUs (-smp)
 *   nodes N                     NUMA nodes, numbered 0 .. N-1
 *   node ID cpus LIST mem MIB   the node's CPUs ("0-1", "-" for none) and memory in MiB
 *   distance ID D0 D1 ...       the node's row of the distance matrix (-numa dist)
 *
 * Other lines starting with '#' are comments.  Outside the guest there is no spec:
 * guest_spec_load() returns 0 and the tests that need one skip.
 *
 * Also: sysfs_node_*() read the machine's own answer from /sys/devices/system/node, which
 * neither libnuma nor hwloc stands between; skip_because() skips a cmocka test with its reason
 * and counts it, so that main() can exit 77 (kmb_numa_exit()).
 *
 * All static inline; include after _GNU_SOURCE and cmocka.h.
 */
#ifndef KMB_TESTS_NUMA_GUEST_SPEC_H
#define KMB_TESTS_NUMA_GUEST_SPEC_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUEST_MAX_NODES	16
#define GUEST_MAX_CPUS	64

struct guest_node {
	char cpus[64];			/* the CPU list as written, "" for none */
	unsigned long long cpu_mask;	/* the same as a mask of CPUs 0..63 */
	unsigned long mem_mib;		/* memory given to the node */
};

struct guest_spec {
	char config[32];
	int cpus;			/* CPUs of the guest */
	int nr_nodes;			/* nodes 0 .. nr_nodes - 1 */
	struct guest_node node[GUEST_MAX_NODES];
	int distance[GUEST_MAX_NODES][GUEST_MAX_NODES];
};

/* "0-1,3" (or "" / "-") as a mask; -EINVAL for anything else or a CPU above 63. */
static inline int cpulist_parse(const char *s, unsigned long long *mask)
{
	*mask = 0;
	if (!strcmp(s, "-"))
		return 0;
	while (*s && *s != '\n') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				return -EINVAL;
		}
		if (a > b || b >= GUEST_MAX_CPUS)
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++)
			*mask |= 1ULL << c;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return 0;
}

/*
 * guest_spec_load - read $KMB_GUEST_SPEC into @s.  1: loaded; 0: not in a guest (the variable
 * is unset); -EINVAL or -errno with one line in @why for a file that cannot be read or parsed.
 */
static inline int guest_spec_load(struct guest_spec *s, char *why, size_t whylen)
{
	const char *path = getenv("KMB_GUEST_SPEC");
	char line[512];
	int rows = 0, nodes_seen = 0, lineno = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if (!path || !*path)
		return 0;
	f = fopen(path, "r");
	if (!f) {
		int e = errno;

		snprintf(why, whylen, "%.100s: %s", path, strerror(e));
		return -e;
	}
	while (fgets(line, sizeof(line), f)) {
		char cpus[64];
		int id, n, used;
		unsigned long mib;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "config %31s", s->config) == 1 ||
		    sscanf(line, "cpus %d", &s->cpus) == 1)
			continue;
		if (sscanf(line, "nodes %d", &s->nr_nodes) == 1) {
			if (s->nr_nodes < 1 || s->nr_nodes > GUEST_MAX_NODES)
				goto bad;
			continue;
		}
		if (sscanf(line, "node %d cpus %63s mem %lu", &id, cpus, &mib) == 3) {
			if (id < 0 || id >= s->nr_nodes ||
			    cpulist_parse(cpus, &s->node[id].cpu_mask))
				goto bad;
			snprintf(s->node[id].cpus, sizeof(s->node[id].cpus), "%s",
				 strcmp(cpus, "-") ? cpus : "");
			s->node[id].mem_mib = mib;
			nodes_seen++;
			continue;
		}
		if (sscanf(line, "distance %d%n", &id, &used) == 1) {
			char *p = line + used;

			if (id < 0 || id >= s->nr_nodes)
				goto bad;
			for (int j = 0; j < s->nr_nodes; j++) {
				if (sscanf(p, "%d%n", &s->distance[id][j], &n) != 1)
					goto bad;
				p += n;
			}
			rows++;
			continue;
		}
		goto bad;
	}
	fclose(f);
	if (!s->nr_nodes || nodes_seen != s->nr_nodes || rows != s->nr_nodes || s->cpus < 1) {
		snprintf(why, whylen, "%.100s: incomplete (%d nodes, %d node lines, %d distance rows)",
			 path, s->nr_nodes, nodes_seen, rows);
		return -EINVAL;
	}
	return 1;
bad:
	fclose(f);
	snprintf(why, whylen, "%.100s:%d: cannot parse: %.100s", path, lineno, line);
	return -EINVAL;
}

/* The spec's node of CPU @cpu, -1 when no node lists it. */
static inline int guest_spec_cpu_node(const struct guest_spec *s, int cpu)
{
	for (int n = 0; n < s->nr_nodes; n++)
		if (cpu >= 0 && cpu < GUEST_MAX_CPUS && (s->node[n].cpu_mask >> cpu & 1))
			return n;
	return -1;
}

/* --- the machine's own answer, from sysfs --- */

/* Nodes in /sys/devices/system/node/online ("0-3"): the count, 0 when it cannot be read. */
static inline int sysfs_nr_nodes(void)
{
	char buf[256] = "";
	unsigned long long mask;
	FILE *f = fopen("/sys/devices/system/node/online", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (cpulist_parse(buf, &mask))
		return 0;
	return __builtin_popcountll(mask);
}

/* Node @n's row of the distance matrix into row[0..max); the number read, or -errno. */
static inline int sysfs_node_distances(int n, int *row, int max)
{
	char path[96];
	int k = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/distance", n);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (k < max && fscanf(f, "%d", &row[k]) == 1)
		k++;
	fclose(f);
	return k;
}

/* Node @n's CPU list as a mask; 0 or -errno. */
static inline int sysfs_node_cpus(int n, unsigned long long *mask)
{
	char path[96], buf[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return cpulist_parse(buf, mask);
}

/* Node @n's MemTotal in KiB, 0 when it cannot be read. */
static inline unsigned long long sysfs_node_mem_kib(int n)
{
	char path[96], line[256];
	unsigned long long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", n);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %*d MemTotal: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* --- skipping with a reason --- */

static int kmb_numa_skipped;

/* Skip the running cmocka test: print why, count it, leave the test (cmocka's skip()). */
#define skip_because(...)						\
	do {								\
		printf("[  SKIP    ] ");					\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		kmb_numa_skipped++;					\
		skip();							\
	} while (0)

/* main()'s status from cmocka's count of failures: 1 failed, 77 something skipped, 0 passed. */
static inline int kmb_numa_exit(int failed)
{
	if (failed)
		return 1;
	return kmb_numa_skipped ? 77 : 0;
}

#endif
