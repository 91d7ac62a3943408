/*
 * test_numa_pin.c - the topology and the pinning plans node:N and spread on real nodes.
 *
 * hwloc's view (numa/topology.c) must match /sys/devices/system/node: the nodes, each node's
 * CPUs (none for a memory-only node), each CPU's node, the farthest node of each.  Then threads
 * pinned by node:N run on CPUs of node N, and threads pinned by spread on the nodes with CPUs in
 * turn (thread i on the (i mod nodes)-th, as long as every node has room), each on its own CPU
 * as the plan names it.  Exit 77 with fewer than two nodes with CPUs.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "numa_test.h"
#include "placement.h"
#include "topology.h"

#define MAX_THREADS 64

struct job {
	const struct kmb_topo *t;
	int cpu;		/* the plan's CPU */
	int ran_on, ret;
};

static void *pinned(void *arg)
{
	struct job *j = arg;

	j->ret = kmb_topo_pin_self(j->t, j->cpu);
	for (int k = 0; k < 3 && sched_getcpu() != j->cpu; k++)
		sched_yield();
	j->ran_on = sched_getcpu();
	return NULL;
}

/* Run @n threads pinned by @plan; where each ran into ran_on[]. */
static void run_plan(const struct kmb_topo *t, const int *plan, int n, int *ran_on)
{
	struct job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];

	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .t = t, .cpu = plan[i], .ran_on = -1 };
		CHECK(pthread_create(&tid[i], NULL, pinned, &jobs[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < n; i++) {
		pthread_join(tid[i], NULL);
		CHECK(jobs[i].ret == 0, "pin to CPU %d: %d", plan[i], jobs[i].ret);
		ran_on[i] = jobs[i].ran_on;
	}
}

static void test_topology(const struct kmb_topo *t, uint64_t mem)
{
	uint64_t online = sys_nodes("online"), seen = 0;	/* by hwloc */
	char buf[1024];

	for (int i = 0; i < kmb_topo_num_nodes(t); i++) {
		int os = kmb_topo_node_os_index(t, i);

		CHECK(os >= 0 && os < 64 && (online >> os & 1), "topology node %d not online", os);
		if (os < 0 || os >= 64)
			continue;
		seen |= 1ULL << os;
		CHECK(kmb_topo_node_cpulist(t, i, buf, sizeof(buf)) == 0, "cpulist of %d", os);
		CHECK(parse_list(buf) == sys_node_cpus(os), "node %d CPUs: hwloc '%s', sysfs %#llx",
		      os, buf, (unsigned long long)sys_node_cpus(os));
		CHECK(kmb_topo_node_num_cpus(t, i) == popcount64(sys_node_cpus(os)),
		      "node %d: %d CPUs", os, kmb_topo_node_num_cpus(t, i));
		if (mem >> os & 1)
			CHECK(kmb_topo_farthest_node(t, os) == sys_farthest(os, mem),
			      "farthest from %d: hwloc %d, sysfs %d", os,
			      kmb_topo_farthest_node(t, os), sys_farthest(os, mem));
	}
	/* hwloc may leave out a node without memory; every node with memory it must have. */
	CHECK(!(mem & ~seen), "hwloc nodes %#llx, nodes with memory %#llx",
	      (unsigned long long)seen, (unsigned long long)mem);
	for (int cpu = 0; cpu < 64; cpu++)
		if (sys_node_of_cpu(cpu) >= 0 && (mem >> sys_node_of_cpu(cpu) & 1))
			CHECK(kmb_topo_cpu_to_node(t, cpu) == sys_node_of_cpu(cpu),
			      "CPU %d: hwloc node %d, sysfs %d", cpu, kmb_topo_cpu_to_node(t, cpu),
			      sys_node_of_cpu(cpu));
}

static void test_node_plans(const struct kmb_topo *t, uint64_t cpus)
{
	int plan[MAX_THREADS], ran[MAX_THREADS];
	char err[256];

	for (int n = 0; n < 64; n++) {
		int k = popcount64(sys_node_cpus(n));
		struct kmb_pin pin = { KMB_PIN_NODE, n };

		if (!(cpus >> n & 1))
			continue;
		k = k < 4 ? k : 4;
		CHECK(kmb_topo_pin_plan(t, &pin, k, plan, err, sizeof(err)) == 0, "%s", err);
		run_plan(t, plan, k, ran);
		for (int i = 0; i < k; i++) {
			CHECK(ran[i] == plan[i], "node:%d thread %d ran on CPU %d, plan %d", n, i,
			      ran[i], plan[i]);
			CHECK(sys_node_of_cpu(ran[i]) == n, "node:%d thread %d on node %d", n, i,
			      sys_node_of_cpu(ran[i]));
		}
		CHECK(kmb_topo_pin_plan(t, &pin, popcount64(sys_node_cpus(n)) + 1, plan, err,
					sizeof(err)) == -E2BIG, "node:%d with one thread too many", n);
	}
}

static void test_spread(const struct kmb_topo *t, uint64_t cpus)
{
	int order[64], nn = 0, room = 64, plan[MAX_THREADS], ran[MAX_THREADS], n;
	struct kmb_pin pin = { KMB_PIN_SPREAD, -1 };
	char err[256];

	for (int i = 0; i < 64; i++) {
		if (!(cpus >> i & 1))
			continue;
		order[nn++] = i;
		if (popcount64(sys_node_cpus(i)) < room)
			room = popcount64(sys_node_cpus(i));
	}
	n = nn * room < MAX_THREADS ? nn * room : MAX_THREADS;
	n = n < kmb_topo_num_pus(t) ? n : kmb_topo_num_pus(t);
	CHECK(kmb_topo_pin_plan(t, &pin, n, plan, err, sizeof(err)) == 0, "%s", err);
	run_plan(t, plan, n, ran);
	for (int i = 0; i < n; i++) {
		CHECK(ran[i] == plan[i], "spread thread %d ran on CPU %d, plan %d", i, ran[i],
		      plan[i]);
		CHECK(sys_node_of_cpu(ran[i]) == order[i % nn], "spread thread %d on node %d, want "
		      "%d", i, sys_node_of_cpu(ran[i]), order[i % nn]);
		for (int j = 0; j < i; j++)
			CHECK(plan[j] != plan[i], "spread threads %d and %d share CPU %d", j, i,
			      plan[i]);
	}
}

int main(void)
{
	uint64_t cpus = sys_nodes("has_cpu"), mem = sys_nodes("has_memory");
	char err[256];
	struct kmb_topo *t;

	need_nodes(cpus, 2, "with CPUs");
	t = kmb_topo_load(NULL, NULL, err, sizeof(err));
	CHECK(t != NULL, "kmb_topo_load: %s", err);
	if (!t)
		return numa_test_done("test_numa_pin");
	test_topology(t, mem);
	test_node_plans(t, cpus);
	test_spread(t, cpus);
	kmb_topo_free(t);
	return numa_test_done("test_numa_pin");
}
