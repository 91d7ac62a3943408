/*
 * placement.c - libnuma and the memory-policy system calls behind numa/placement.h.
 *
 * libnuma's functions are undefined when numa_available() fails (a kernel without NUMA
 * support); every wrapper checks it first and then behaves as a one-node machine would: node 0
 * exists, every CPU is on it, a policy is accepted only for node 0 and changes nothing.
 *
 * What libnuma says of the machine is read once per process (pthread_once) into struct
 * machine: the nodes with memory, their distances, each possible CPU's node.  Not for speed:
 * libnuma allocates (numa_node_of_cpu() a CPU mask per call, numa_node_size64() a stdio
 * buffer), and a benchmark thread must be able to set its memory policy before its first
 * malloc, so that glibc's arena for the thread is faulted in under that policy too.  After the
 * first call nothing here allocates but kmb_numa_alloc_*().  Nodes hot-added later are not
 * seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "placement.h"
#include "policy.h"

/* move_pages(2) takes at most this many pages per call here (the kernel batches internally). */
#define QUERY_BATCH	1024

static struct machine {
	pthread_once_t once;
	bool ok;		/* numa_available() */
	int max_node;		/* numa_max_node(), 0 without NUMA */
	uint64_t mem;		/* nodes 0..63 with memory */
	int dist[KMB_MPOL_MAX_NODES][KMB_MPOL_MAX_NODES];	/* between nodes with memory */
	int ncpus;		/* possible CPUs, the entries of cpu_node */
	int *cpu_node;		/* each CPU's node; NULL if it could not be allocated */
} m = { .once = PTHREAD_ONCE_INIT };

static bool libnuma_has_memory(int node)
{
	if (node > numa_max_node() || !numa_bitmask_isbitset(numa_nodes_ptr, (unsigned int)node))
		return false;
	return numa_node_size64(node, NULL) > 0;
}

static void machine_init(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	m.ok = numa_available() >= 0;
	m.max_node = m.ok ? numa_max_node() : 0;
	m.mem = m.ok ? 0 : 1;
	for (int a = 0; m.ok && a <= m.max_node && a < KMB_MPOL_MAX_NODES; a++)
		if (libnuma_has_memory(a))
			m.mem |= 1ULL << a;
	for (int a = 0; a < KMB_MPOL_MAX_NODES; a++)
		for (int b = 0; b < KMB_MPOL_MAX_NODES; b++)
			if ((m.mem >> a & 1) && (m.mem >> b & 1))
				m.dist[a][b] = m.ok ? numa_distance(a, b) : 10;
	m.ncpus = n > 0 ? (int)n : 1;
	m.cpu_node = calloc((size_t)m.ncpus, sizeof(*m.cpu_node));
	for (int cpu = 0; m.cpu_node && m.ok && cpu < m.ncpus; cpu++) {
		int node = numa_node_of_cpu(cpu);

		m.cpu_node[cpu] = node < 0 ? 0 : node;
	}
}

static const struct machine *machine(void)
{
	pthread_once(&m.once, machine_init);
	return &m;
}

static bool numa_ok(void)
{
	return machine()->ok;
}

int kmb_numa_max_node(void)
{
	return machine()->max_node;
}

bool kmb_numa_node_has_memory(int node)
{
	const struct machine *mc = machine();

	if (node < 0)
		return false;
	if (node < KMB_MPOL_MAX_NODES)
		return mc->mem >> node & 1;
	return mc->ok && libnuma_has_memory(node);
}

uint64_t kmb_numa_memory_nodes(void)
{
	return machine()->mem;
}

int kmb_numa_distance(int a, int b)
{
	const struct machine *mc = machine();

	if (a >= 0 && b >= 0 && a < KMB_MPOL_MAX_NODES && b < KMB_MPOL_MAX_NODES)
		return mc->dist[a][b];
	if (!mc->ok || !kmb_numa_node_has_memory(a) || !kmb_numa_node_has_memory(b))
		return 0;
	return numa_distance(a, b);
}

int kmb_numa_node_of_cpu(int cpu)
{
	const struct machine *mc = machine();
	int n;

	if (!mc->ok || cpu < 0)
		return 0;
	if (mc->cpu_node && cpu < mc->ncpus)
		return mc->cpu_node[cpu];
	n = numa_node_of_cpu(cpu);
	return n < 0 ? 0 : n;
}

int kmb_numa_node_self(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : kmb_numa_node_of_cpu(cpu);
}

int kmb_numa_possible_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : 1;
}

static int numa_distance_cb(void *ctx, int a, int b)
{
	(void)ctx;
	return kmb_numa_distance(a, b);
}

int kmb_numa_farthest(int from, uint64_t candidates)
{
	return kmb_farthest_node(from, candidates, numa_distance_cb, NULL);
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

/* Every node of @nodes has memory here, and there is one. */
static bool nodes_ok(uint64_t nodes)
{
	if (!nodes)
		return false;
	for (int n = 0; n < KMB_MPOL_MAX_NODES; n++)
		if ((nodes >> n & 1) && !kmb_numa_node_has_memory(n))
			return false;
	return true;
}

/*
 * The kernel reads maxnode - 1 bits of the mask (get_nodes() in mm/mempolicy.c), so one word
 * of 64 nodes goes with maxnode 65, as libnuma passes its masks.
 */
int kmb_numa_set_policy_self(enum kmb_mpol_mode mode, uint64_t nodes)
{
	unsigned long mask = (unsigned long)nodes;
	int mpol;

	switch (mode) {
	case KMB_MPOL_DEFAULT:
		mpol = MPOL_DEFAULT;
		break;
	case KMB_MPOL_LOCAL:
		mpol = MPOL_LOCAL;
		break;
	case KMB_MPOL_PREFERRED:
		if (!nodes || (nodes & (nodes - 1)))
			return -EINVAL;
		mpol = MPOL_PREFERRED;
		break;
	case KMB_MPOL_BIND:
		mpol = MPOL_BIND;
		break;
	case KMB_MPOL_INTERLEAVE:
		mpol = MPOL_INTERLEAVE;
		break;
	default:
		return -EINVAL;
	}
	if (mpol != MPOL_DEFAULT && mpol != MPOL_LOCAL && !nodes_ok(nodes))
		return -ENODEV;
	if (!numa_ok())	/* one node, node 0: every policy places there anyway */
		return 0;
	if (mpol == MPOL_DEFAULT || mpol == MPOL_LOCAL)
		return set_mempolicy(mpol, NULL, 0) ? -errno : 0;
	return set_mempolicy(mpol, &mask, KMB_MPOL_MAX_NODES + 1) ? -errno : 0;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * numa_alloc_onnode() mbinds with libnuma's process-wide bind policy (MPOL_PREFERRED unless
 * numa_set_bind_policy(1)); the strict form binds here instead, leaving that setting alone.
 */
void *kmb_numa_alloc_onnode(size_t size, int node, bool strict)
{
	void *p;

	if (!size || !kmb_numa_node_has_memory(node))
		return NULL;
	if (!numa_ok())
		return map_anon(size);
	if (!strict)
		return numa_alloc_onnode(size, node);
	p = map_anon(size);
	if (p && kmb_numa_bind(p, size, node)) {
		munmap(p, size);
		p = NULL;
	}
	return p;
}

void *kmb_numa_alloc_policy(size_t size, enum kmb_mpol_mode mode, uint64_t nodes)
{
	unsigned long mask = (unsigned long)nodes;
	int mpol;
	void *p;

	switch (mode) {
	case KMB_MPOL_DEFAULT:
	case KMB_MPOL_LOCAL:
		return kmb_numa_alloc_local(size);
	case KMB_MPOL_PREFERRED:
		if (nodes & (nodes - 1))
			return NULL;
		mpol = MPOL_PREFERRED;
		break;
	case KMB_MPOL_BIND:
		mpol = MPOL_BIND;
		break;
	case KMB_MPOL_INTERLEAVE:
		mpol = MPOL_INTERLEAVE;
		break;
	default:
		return NULL;
	}
	if (!size || !nodes_ok(nodes))
		return NULL;
	p = map_anon(size);
	if (p && numa_ok() && mbind(p, size, mpol, &mask, KMB_MPOL_MAX_NODES + 1, 0)) {
		munmap(p, size);
		p = NULL;
	}
	return p;
}

void *kmb_numa_alloc_local(size_t size)
{
	if (!size)
		return NULL;
	return numa_ok() ? numa_alloc_local(size) : map_anon(size);
}

void kmb_numa_free(void *p, size_t size)
{
	if (!p)
		return;
	if (numa_ok())
		numa_free(p, size);
	else
		munmap(p, size);
}

/* --- the placement check --- */

void kmb_placement_tally(struct kmb_placement *pl, const int *status, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int node = status[i];

		pl->pages++;
		if (node < 0)
			continue;	/* -ENOENT (not present), -EFAULT, ...: unknown */
		pl->known++;
		if (node < KMB_MPOL_MAX_NODES) {
			pl->per_node[node]++;
			if (pl->intended >> node & 1)
				pl->on_target++;
		}
	}
}

static void placement_fail(struct kmb_placement *pl, int err)
{
	pl->err = err;
	if (err == -ENOSYS)
		snprintf(pl->why, sizeof(pl->why), "move_pages: not supported (a kernel without "
			 "CONFIG_NUMA?)");
	else if (err == -EPERM)
		snprintf(pl->why, sizeof(pl->why), "move_pages: not permitted here (a seccomp "
			 "filter or a container's policy?)");
	else
		snprintf(pl->why, sizeof(pl->why), "move_pages: %s", strerror(-err));
}

int kmb_placement_check(struct kmb_placement *pl, void *const *pages, size_t n)
{
	long psz = sysconf(_SC_PAGESIZE);
	void *batch[QUERY_BATCH];
	int status[QUERY_BATCH];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < QUERY_BATCH ? n - done : QUERY_BATCH;

		for (size_t i = 0; i < k; i++) {
			batch[i] = (void *)((uintptr_t)pages[done + i] & ~(uintptr_t)(psz - 1));
			status[i] = -ENOENT;
		}
		if (move_pages(0, k, batch, NULL, status, 0)) {
			placement_fail(pl, -errno);
			return pl->err;
		}
		kmb_placement_tally(pl, status, k);
		done += k;
	}
	return 0;
}

void kmb_placement_merge(struct kmb_placement *into, const struct kmb_placement *from)
{
	into->intended |= from->intended;
	into->pages += from->pages;
	into->known += from->known;
	into->on_target += from->on_target;
	for (int n = 0; n < KMB_MPOL_MAX_NODES; n++)
		into->per_node[n] += from->per_node[n];
	if (from->err && !into->err) {
		into->err = from->err;
		memcpy(into->why, from->why, sizeof(into->why));
	}
}

double kmb_placement_fraction(const struct kmb_placement *pl)
{
	if (pl->err || !pl->known)
		return -1;
	return (double)pl->on_target / pl->known;
}
