/*
 * placement.c - libnuma behind numa/placement.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <unistd.h>

#include "placement.h"

static bool numa_ok(void)
{
	static int ok = -1;

	if (ok < 0)
		ok = numa_available() >= 0;
	return ok;
}

int kmb_numa_max_node(void)
{
	return numa_ok() ? numa_max_node() : 0;
}

bool kmb_numa_node_has_memory(int node)
{
	long long size;

	if (node < 0)
		return false;
	if (!numa_ok())
		return node == 0;
	if (node > numa_max_node() || !numa_bitmask_isbitset(numa_nodes_ptr, (unsigned int)node))
		return false;
	size = numa_node_size64(node, NULL);
	return size > 0;
}

int kmb_numa_distance(int a, int b)
{
	if (!numa_ok() || !kmb_numa_node_has_memory(a) || !kmb_numa_node_has_memory(b))
		return 0;
	return numa_distance(a, b);
}

int kmb_numa_node_of_cpu(int cpu)
{
	int n;

	if (!numa_ok())
		return 0;
	n = numa_node_of_cpu(cpu);
	return n < 0 ? 0 : n;
}

int kmb_numa_possible_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : 1;
}

int kmb_numa_bind(void *addr, size_t len, int node)
{
	unsigned long mask[16] = { 0 };

	if (!kmb_numa_node_has_memory(node) || node >= (int)(sizeof(mask) * 8))
		return -ENODEV;
	mask[node / (8 * sizeof(long))] = 1UL << (node % (8 * sizeof(long)));
	if (mbind(addr, len, MPOL_BIND, mask, sizeof(mask) * 8, 0))
		return -errno;
	return 0;
}
