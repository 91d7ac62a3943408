/*
 * numa_test.h - what the multi-node tests share: counting checks, skipping with a reason, and
 * the machine's nodes read straight from /sys/devices/system/node, so that what the library
 * (libnuma, hwloc, move_pages) says is compared with what the kernel exports, not with itself.
 *
 * Each test is one program: exit 0 when every check passed, 77 (skipped, with the reason on
 * stdout) when the machine has too few nodes, 1 otherwise.  They run natively under ctest
 * (77 on a one-node machine) and in the multi-node guest (scripts/numa-guest).
 *
 * Node masks are uint64_t, bit n for node n (kmbench/mempolicy.h).
 */
#ifndef KMB_NUMA_TEST_H
#define KMB_NUMA_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_getcpu, CPU_SET: the tests define it first */
#endif
#include <ctype.h>
#include <errno.h>
#include <numaif.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SYS_NODE "/sys/devices/system/node"

static int failures, checks;

#define CHECK(cond, ...)							\
	do {									\
		checks++;							\
		if (!(cond)) {							\
			failures++;						\
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
		}								\
	} while (0)

/* The end of main(): the verdict as an exit status. */
static inline int numa_test_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, checks, failures);
	return failures ? 1 : 0;
}

static inline int popcount64(uint64_t m)
{
	return __builtin_popcountll(m);
}

/* A sysfs list ("0-3,8") into a mask of entries below 64 (the kernel's own format). */
static inline uint64_t parse_list(const char *s)
{
	uint64_t mask = 0;

	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long i = a; i <= b && i < 64; i++)
			if (i >= 0)
				mask |= 1ULL << i;
		s = *end == ',' ? end + 1 : end;
	}
	return mask;
}

/* The first line of @path into @buf ("" when it cannot be read). */
static inline char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

/* /sys/devices/system/node/<file> ("has_memory", "has_cpu", "online") as a mask. */
static inline uint64_t sys_nodes(const char *file)
{
	char path[128], buf[4096];

	snprintf(path, sizeof(path), SYS_NODE "/%s", file);
	return parse_list(read_line(path, buf, sizeof(buf)));
}

/* The CPUs of node @n (its cpulist), as a mask of CPUs 0..63; 0 for a node without CPUs. */
static inline uint64_t sys_node_cpus(int n)
{
	char path[128], buf[4096];

	snprintf(path, sizeof(path), SYS_NODE "/node%d/cpulist", n);
	return parse_list(read_line(path, buf, sizeof(buf)));
}

/* The node whose cpulist holds @cpu, or -1. */
static inline int sys_node_of_cpu(int cpu)
{
	uint64_t online = sys_nodes("online");

	for (int n = 0; n < 64; n++)
		if ((online >> n & 1) && cpu < 64 && (sys_node_cpus(n) >> cpu & 1))
			return n;
	return -1;
}

/*
 * The distance from node @a to node @b: /sys/devices/system/node/node<a>/distance lists one
 * number per online node, in node order.  -1 when unknown.
 */
static inline int sys_distance(int a, int b)
{
	uint64_t online = sys_nodes("online");
	char path[128], buf[4096], *s = buf;

	snprintf(path, sizeof(path), SYS_NODE "/node%d/distance", a);
	read_line(path, buf, sizeof(buf));
	for (int n = 0; n < 64; n++) {
		char *end;
		long d;

		if (!(online >> n & 1))
			continue;
		d = strtol(s, &end, 10);
		if (end == s)
			return -1;
		if (n == b)
			return (int)d;
		s = end;
	}
	return -1;
}

/* Of @candidates other than @from, the node farthest from it (ties: the lowest), or -1. */
static inline int sys_farthest(int from, uint64_t candidates)
{
	int best = -1, best_d = -1;

	for (int n = 0; n < 64; n++) {
		int d;

		if (n == from || !(candidates >> n & 1))
			continue;
		d = sys_distance(from, n);
		if (d > best_d) {
			best = n;
			best_d = d;
		}
	}
	return best;
}

/* Of @candidates other than @from, the nearest (ties: the lowest), or -1. */
static inline int sys_nearest(int from, uint64_t candidates)
{
	int best = -1, best_d = 0;

	for (int n = 0; n < 64; n++) {
		int d;

		if (n == from || !(candidates >> n & 1))
			continue;
		d = sys_distance(from, n);
		if (best < 0 || d < best_d) {
			best = n;
			best_d = d;
		}
	}
	return best;
}

/* Skip (exit 77) unless @mask has at least @want nodes. */
static inline void need_nodes(uint64_t mask, int want, const char *what)
{
	if (popcount64(mask) < want) {
		printf("skipped: needs >= %d NUMA nodes %s, this machine has %d\n", want, what,
		       popcount64(mask));
		exit(77);
	}
}

/* Run the calling thread on the first CPU of node @n; 0 or -1. */
static inline int run_on_node(int n)
{
	uint64_t cpus = sys_node_cpus(n);
	cpu_set_t set;

	if (!cpus)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(__builtin_ctzll(cpus), &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	return sched_getcpu() == __builtin_ctzll(cpus) ? 0 : -1;
}

/* The node of the page at @p as get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR) reports it: a second
 * opinion beside move_pages. */
static inline int page_node(void *p)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

#endif
