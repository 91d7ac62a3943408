/*
 * test_numa_guest.c - node placement and node logic against the real kernel: natively (what one
 * node allows) and in scripts/numa-guest's multi-node guests, where it all runs.
 *
 * The kernel is asked where memory really is: move_pages(2) with no target nodes is a query
 * (each page's node in status[]), get_mempolicy(2) with MPOL_F_NODE | MPOL_F_ADDR the same for
 * one address; sysfs (/sys/devices/system/node) gives the machine's nodes, CPUs and distances
 * without libnuma or hwloc in between; in the guest, the spec that scripts/numa-guest made the
 * -numa options from ($KMB_GUEST_SPEC, guest_spec.h) says what the topology must be.
 *
 * Group "local": runs on any machine, one node included:
 *   bind_no_such_node   kmb_numa_bind() to a node the machine lacks is -ENODEV and leaves the
 *                       range's policy as it was (libnuma's numa_alloc_onnode() would hand back
 *                       unbound memory); every node with memory binds, and a page touched there
 *                       lands on it; a model node beyond the machine's is reported unbound, with
 *                       the reason, never silently bound;
 *   frames_on_node      alloc_pages_node(n, __GFP_THISNODE) blocks of orders 0, 3 and 9: every
 *                       page of page_address() on machine node n (the node's memfd is mbind-ed
 *                       there, allocators/page/physmem.c), and so is the frame's struct page
 *                       (mem_map is carved from the node's own memory);
 *   percpu_on_cpu_node  each CPU's copy of a static per-CPU variable and of a three-page
 *                       __alloc_percpu() area, and the page allocator's per-CPU lists (the
 *                       struct per_cpu_pages copy and the stacks' slice), on that CPU's node as
 *                       hwloc (and the spec) names it;
 *   pinning_plans       for compact and scatter and every thread count, threads pinned by the
 *                       plan run on the planned CPUs (sched_getcpu()), which lie on the node
 *                       the topology names (kmb_topo_cpu_to_node, libnuma, the spec), and a page
 *                       each first touches is on that node;
 *   topology_sysfs      hwloc's nodes, their CPUs, memory and distances are sysfs's.  A node's
 *                       CPUs are those kmb_topo_cpu_to_node() puts on it: hwloc gives a
 *                       CPU-less node the cpuset of the CPUs near it, so its
 *                       kmb_topo_node_cpulist() is not empty (it is compared only for nodes
 *                       with CPUs);
 * Group "multinode": needs two nodes or more, or the guest's spec; skipped (77) with the reason
 * elsewhere, never passed:
 *   topology_spec       hwloc and libnuma see the -numa configuration: node count, CPUs per node
 *                       (as above; a CPU-less node where the spec has one), memory per node within 70% to
 *                       100% of what qemu gave (the kernel keeps some), the distance matrix;
 *   fallback_order      with model nodes = machine nodes, the model's distances are the
 *                       machine's; for every node n, exhausting n falls back to the other nodes
 *                       in increasing distance (from sysfs, ties by number), each only once the
 *                       one before is at its low watermark, and every frame of every step is on
 *                       the machine node of its model node; with __GFP_THISNODE n is used up and
 *                       then the allocation fails, where without it the nearest node serves;
 *   plans_spread        (spec) scatter puts one thread on each node that has CPUs, compact fills
 *                       the first node before the next.
 *
 * Usage: test_numa_guest [local|multinode]; with no argument both groups run (the guest's way).
 * Exit status: 0 passed, 77 something was skipped (the reasons are printed) and nothing failed,
 * 1 something failed.  Threads never call cmocka's assertions: they record what they saw, and
 * the main thread checks it.
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

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"
#include "kmbench/percpu.h"
#include "page_alloc.h"		/* allocators/page/: kmb_mm_internal */
#include "placement.h"
#include "topology.h"
#include "guest_spec.h"

#define MiB		(1UL << 20)
#define NODE_MEM	(32 * MiB)	/* model memory per node: small, the guest has 256M+ */
#define NORETRY		(__GFP_NORETRY | __GFP_NOWARN)
#define MAX_NODES	GUEST_MAX_NODES

static struct guest_spec spec;
static bool have_spec;
static char why[256];

/* --- asking the kernel --- */

/* The node holding the page at @addr (touched before), from move_pages(2) as a query; -errno
 * (e.g. -ENOENT: not present) when it cannot say. */
static int page_node(const void *addr)
{
	void *pages[1] = { (void *)((uintptr_t)addr & PAGE_MASK) };
	int status = INT32_MIN;

	if (move_pages(0, 1, pages, NULL, &status, 0))
		return -errno;
	return status;
}

/* The same from get_mempolicy(2): MPOL_F_NODE | MPOL_F_ADDR gives the node of the page. */
static int mempolicy_node(const void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, (void *)addr, MPOL_F_NODE | MPOL_F_ADDR))
		return -errno;
	return node;
}

/* Page i of @n (addresses in @addr, touched) is on node[i]: one move_pages(2) call per 1024
 * pages; fails the test naming the first that is not, as a @what. */
static void assert_pages_on(void **addr, size_t n, const int *node, const char *what)
{
	enum { CHUNK = 1024 };
	static int status[CHUNK];

	for (size_t at = 0; at < n; at += CHUNK) {
		size_t k = n - at < CHUNK ? n - at : CHUNK;

		for (size_t i = 0; i < k; i++)
			status[i] = INT32_MIN;
		if (move_pages(0, (unsigned long)k, addr + at, NULL, status, 0))
			fail_msg("move_pages(%zu pages): %s", k, strerror(errno));
		for (size_t i = 0; i < k; i++)
			if (status[i] != node[at + i])
				fail_msg("%s %zu of %zu (%p): on node %d, should be on node %d", what,
					 at + i, n, addr[at + i], status[i], node[at + i]);
	}
}

/* Machine nodes as the model numbers them (0 .. max), from libnuma. */
static int machine_nodes(void)
{
	return kmb_numa_max_node() + 1;
}

static struct kmb_topo *topo_load(void)
{
	struct kmb_topo *t = kmb_topo_load(NULL, NULL, why, sizeof(why));

	if (!t)
		fail_msg("kmb_topo_load: %s", why);
	return t;
}

/* Boot a model with the machine's nodes (or @nr_nodes), 32 MiB each, no DMA zone. */
static void boot(int nr_nodes, enum kmb_percpu_mode pcp_mode)
{
	struct kmb_mm_config cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = nr_nodes;
	cfg.node_mem = NODE_MEM;
	cfg.dma_size = SIZE_MAX;
	cfg.pcp_mode = pcp_mode;
	r = kmb_mm_init(&cfg, why, sizeof(why));
	if (r)
		fail_msg("kmb_mm_init: %d: %s", r, why);
}

static int mm_down(void **state)
{
	(void)state;
	kmb_mm_teardown();
	return 0;
}

/*
 * The CPUs whose local node is OS node @node by the topology (kmb_topo_cpu_to_node), as a mask.
 * hwloc gives a CPU-less node the cpuset of the CPUs near it (its locality: the package or
 * machine it is attached to), so the node's cpuset alone does not say whether it has CPUs.
 */
static unsigned long long local_cpus(const struct kmb_topo *t, int node)
{
	unsigned long long mask = 0;

	for (int cpu = 0; cpu < GUEST_MAX_CPUS; cpu++)
		if (kmb_topo_cpu_to_node(t, cpu) == node)
			mask |= 1ULL << cpu;
	return mask;
}

/* --- local --- */

static void *map_pages(size_t n)
{
	void *p = mmap(NULL, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void test_bind_no_such_node(void **state)
{
	unsigned long mask[16];
	int max = kmb_numa_max_node(), mode;
	char *p = map_pages(4), *text, *at;

	(void)state;
	/* libnuma's trap, turned into an error: nothing is bound to a node that is not there */
	assert_int_equal(kmb_numa_bind(p, 4 * PAGE_SIZE, max + 1), -ENODEV);
	assert_int_equal(kmb_numa_bind(p, 4 * PAGE_SIZE, -1), -ENODEV);
	assert_int_equal(kmb_numa_bind(p, 4 * PAGE_SIZE, 5000), -ENODEV);
	mode = -1;
	assert_int_equal(get_mempolicy(&mode, NULL, 0, p, MPOL_F_ADDR), 0);
	assert_int_equal(mode, MPOL_DEFAULT);
	munmap(p, 4 * PAGE_SIZE);

	/* every node with memory (sysfs says which) binds, and a touched page lands there */
	for (int n = 0; n <= max; n++) {
		if (!sysfs_node_mem_kib(n))
			continue;
		p = map_pages(2);
		assert_int_equal(kmb_numa_bind(p, 2 * PAGE_SIZE, n), 0);
		memset(mask, 0, sizeof(mask));
		assert_int_equal(get_mempolicy(&mode, mask, sizeof(mask) * 8, p, MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_BIND);
		for (int b = 0; b < (int)(sizeof(mask) * 8); b++)
			if (!!(mask[b / 64] >> (b % 64) & 1) != (b == n))
				fail_msg("bound to node %d: node %d in the policy's mask is %d", n,
					 b, !(b == n));
		memset(p, 0x5a, 2 * PAGE_SIZE);
		assert_int_equal(page_node(p), n);
		assert_int_equal(page_node(p + PAGE_SIZE), n);
		munmap(p, 2 * PAGE_SIZE);
	}

	/* a model node beyond the machine's: unbound, and says why */
	boot(max + 2, KMB_PERCPU_DEFAULT);
	for (int n = 0; n <= max; n++)
		if (sysfs_node_mem_kib(n) && !NODE_DATA(n)->bound)
			fail_msg("model node %d not bound to the machine's node %d: %s", n, n,
				 NODE_DATA(n)->bind_note);
	assert_false(NODE_DATA(max + 1)->bound);
	snprintf(why, sizeof(why), "the machine has no node %d", max + 1);
	assert_non_null(strstr(NODE_DATA(max + 1)->bind_note, why));
	text = malloc(kmb_show_nodes(NULL, 0) + 1);
	assert_non_null(text);
	kmb_show_nodes(text, kmb_show_nodes(NULL, 0) + 1);
	at = strstr(text, why);
	if (!at)
		fail_msg("kmb_show_nodes does not say \"%s\":\n%s", why, text);
	free(text);
}

static void test_frames_on_node(void **state)
{
	static const unsigned int orders[] = { 0, 3, 9 };
	int nodes[1 << 9];
	void *addr[1 << 9];

	(void)state;
	boot(0, KMB_PERCPU_DEFAULT);
	assert_int_equal(kmb_mm_nr_nodes(), machine_nodes());
	for (int nid = 0; nid < kmb_mm_nr_nodes(); nid++) {
		if (!NODE_DATA(nid)->bound)
			fail_msg("model node %d is not bound: %s", nid, NODE_DATA(nid)->bind_note);
		for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
			unsigned int order = orders[k];
			size_t n = 1UL << order;
			struct page *page = alloc_pages_node(nid, GFP_KERNEL | __GFP_THISNODE, order);
			char *va;

			assert_non_null(page);
			assert_int_equal(page_to_nid(page), nid);
			va = page_address(page);
			memset(va, 0xa5, n * PAGE_SIZE);
			for (size_t i = 0; i < n; i++) {
				addr[i] = va + i * PAGE_SIZE;
				nodes[i] = nid;
			}
			assert_pages_on(addr, n, nodes, "page of an alloc_pages_node() block");
			assert_int_equal(mempolicy_node(va), nid);
			assert_int_equal(mempolicy_node(va + (n - 1) * PAGE_SIZE), nid);
			/* its struct page: mem_map from the node's own memory */
			assert_int_equal(page_node(page), nid);
			__free_pages(page, order);
		}
	}
}

DEFINE_PER_CPU(long, guest_static_var);

static void test_percpu_on_cpu_node(void **state)
{
	struct kmb_topo *t = topo_load();
	char *area;
	struct zone *z;
	int checked = 0;

	(void)state;
	assert_int_equal(setup_per_cpu_areas(), 0);
	area = __alloc_percpu(3 * PAGE_SIZE, PAGE_SIZE);
	assert_non_null(area);
	boot(0, KMB_PERCPU_CPU_LOCK);
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++) {
		int node = kmb_topo_cpu_to_node(t, cpu);
		long *v = per_cpu_ptr(&guest_static_var, cpu);
		char *mine = per_cpu_ptr(area, cpu);

		if (node < 0)
			continue;	/* possible but not usable here (offline, cpuset) */
		if (have_spec)
			assert_int_equal(node, guest_spec_cpu_node(&spec, cpu));
		assert_int_equal(kmb_percpu_unit_node(cpu), node);
		*v = cpu + 1;
		assert_int_equal(page_node(v), node);
		memset(mine, cpu + 1, 3 * PAGE_SIZE);
		for (int pg = 0; pg < 3; pg++)
			if (page_node(mine + pg * PAGE_SIZE) != node)
				fail_msg("CPU %d's per-CPU area, page %d: on node %d, not %d", cpu,
					 pg, page_node(mine + pg * PAGE_SIZE), node);
		/* the page allocator's lists of this CPU, in every zone */
		for_each_populated_zone(z) {
			size_t slice = z->pcp_area_size / (size_t)nr_cpu_ids();

			assert_non_null(z->pcp);
			assert_int_equal(page_node(per_cpu_ptr(z->pcp, cpu)), node);
			if (page_node((char *)z->pcp_area + (size_t)cpu * slice) != node)
				fail_msg("CPU %d's page-list stacks of node %d's %s zone: on node "
					 "%d, not %d", cpu, z->node, z->name,
					 page_node((char *)z->pcp_area + (size_t)cpu * slice), node);
		}
		checked++;
	}
	assert_true(checked >= 1);
	free_percpu(area);
	kmb_topo_free(t);
}

struct pinned {
	const struct kmb_topo *t;
	int cpu;		/* the plan's */
	int pin_ret;		/* kmb_topo_pin_self() */
	int ran_on;		/* sched_getcpu() after pinning */
	int page_node;		/* node of a page it touched first, or -errno */
};

static void *pinned_thread(void *arg)
{
	struct pinned *p = arg;
	char *page;

	p->pin_ret = kmb_topo_pin_self(p->t, p->cpu);
	p->ran_on = sched_getcpu();
	page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		p->page_node = -ENOMEM;
		return NULL;
	}
	page[0] = 1;	/* the default policy: on the node of the CPU that touches it */
	p->page_node = page_node(page);
	munmap(page, PAGE_SIZE);
	return NULL;
}

/* Run @n threads pinned by @policy; each must run on its planned CPU, on the right node. */
static void run_plan(const struct kmb_topo *t, enum kmb_pin_policy policy, int n, int *cpus)
{
	struct pinned p[GUEST_MAX_CPUS];
	pthread_t th[GUEST_MAX_CPUS];
	struct kmb_pin pin = { .policy = policy };

	if (kmb_topo_pin_plan(t, &pin, n, cpus, why, sizeof(why)))
		fail_msg("plan %s for %d threads: %s", kmb_pin_policy_name(policy), n, why);
	for (int i = 0; i < n; i++) {
		p[i] = (struct pinned){ .t = t, .cpu = cpus[i], .pin_ret = 1, .ran_on = -1 };
		assert_int_equal(pthread_create(&th[i], NULL, pinned_thread, &p[i]), 0);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < n; i++) {
		int node = kmb_topo_cpu_to_node(t, cpus[i]);

		if (p[i].pin_ret || p[i].ran_on != cpus[i])
			fail_msg("%s, %d threads: thread %d planned on CPU %d ran on CPU %d "
				 "(pin: %d)", kmb_pin_policy_name(policy), n, i, cpus[i],
				 p[i].ran_on, p[i].pin_ret);
		assert_true(node >= 0);
		assert_int_equal(numa_node_of_cpu(p[i].ran_on), node);
		if (have_spec)
			assert_int_equal(guest_spec_cpu_node(&spec, p[i].ran_on), node);
		if (p[i].page_node != node)
			fail_msg("%s, %d threads: thread %d on CPU %d (node %d) touched a page "
				 "that is on node %d", kmb_pin_policy_name(policy), n, i,
				 p[i].ran_on, node, p[i].page_node);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(cpus[i], cpus[j]);
	}
}

static void test_pinning_plans(void **state)
{
	static const enum kmb_pin_policy policies[] = { KMB_PIN_COMPACT, KMB_PIN_SCATTER };
	struct kmb_topo *t = topo_load();
	int cpus[GUEST_MAX_CPUS], npus = kmb_topo_num_pus(t);

	(void)state;
	if (have_spec)
		assert_int_equal(npus, spec.cpus);
	if (npus > GUEST_MAX_CPUS)
		npus = GUEST_MAX_CPUS;
	for (size_t k = 0; k < sizeof(policies) / sizeof(policies[0]); k++)
		for (int n = 1; n <= npus; n++)
			run_plan(t, policies[k], n, cpus);
	kmb_topo_free(t);
}

static void test_topology_sysfs(void **state)
{
	struct kmb_topo *t = topo_load();
	int nn = kmb_topo_num_nodes(t), os[MAX_NODES], row[MAX_NODES];
	char list[256];

	(void)state;
	if (!sysfs_nr_nodes())
		skip_because("no /sys/devices/system/node/online: the kernel has no NUMA");
	assert_int_equal(nn, sysfs_nr_nodes());
	assert_true(nn <= MAX_NODES);
	assert_int_equal(machine_nodes(), nn);
	for (int i = 0; i < nn; i++) {
		unsigned long long want = 0, got, kib;

		os[i] = kmb_topo_node_os_index(t, i);
		assert_int_equal(sysfs_node_cpus(os[i], &want), 0);
		got = local_cpus(t, os[i]);
		if (got != want)
			fail_msg("node %d: the CPUs whose node hwloc says it is: %#llx; sysfs's "
				 "%#llx", os[i], got, want);
		/* a CPU-less node's hwloc cpuset is its locality (the CPUs near it), not its own */
		assert_int_equal(kmb_topo_node_cpulist(t, i, list, sizeof(list)), 0);
		assert_int_equal(cpulist_parse(list, &got), 0);
		if (want && got != want)
			fail_msg("node %d: hwloc's cpuset %s, sysfs's CPUs %#llx", os[i], list,
				 want);
		kib = sysfs_node_mem_kib(os[i]);
		got = kmb_topo_node_memory(t, i);
		if (got > kib * 1024 || got < kib * 1024 / 100 * 95)
			fail_msg("node %d: hwloc says %llu bytes, sysfs MemTotal %llu kB", os[i],
				 got, kib);
	}
	for (int i = 0; i < nn; i++) {
		assert_int_equal(sysfs_node_distances(os[i], row, MAX_NODES), nn);
		for (int j = 0; j < nn; j++) {
			int d = kmb_topo_node_distance(t, i, j);

			if (d != row[os[j]])
				fail_msg("distance %d -> %d: hwloc %d, sysfs %d", os[i], os[j], d,
					 row[os[j]]);
		}
	}
	kmb_topo_free(t);
}

/* --- multinode --- */

static void need_spec(void)
{
	if (!have_spec)
		skip_because("not in scripts/numa-guest's guest: $KMB_GUEST_SPEC is unset, so "
			     "there is no -numa configuration to compare with");
}

static void need_nodes(int n)
{
	if (machine_nodes() < n)
		skip_because("this machine has %d NUMA node%s; the test needs %d (it runs in "
			     "scripts/numa-guest's guests)", machine_nodes(),
			     machine_nodes() == 1 ? "" : "s", n);
}

static void test_topology_spec(void **state)
{
	struct kmb_topo *t;
	int cpuless = 0, spec_cpuless = 0;
	char list[256];

	(void)state;
	need_spec();
	t = topo_load();
	assert_int_equal(kmb_topo_num_nodes(t), spec.nr_nodes);
	assert_int_equal(kmb_topo_num_pus(t), spec.cpus);
	assert_int_equal(numa_max_node() + 1, spec.nr_nodes);
	assert_int_equal(sysfs_nr_nodes(), spec.nr_nodes);
	for (int i = 0; i < spec.nr_nodes; i++) {
		int n = kmb_topo_node_os_index(t, i);
		unsigned long long cpus, mem = kmb_topo_node_memory(t, i);
		unsigned long long given = (unsigned long long)spec.node[n].mem_mib * MiB;

		assert_true(n >= 0 && n < spec.nr_nodes);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(kmb_topo_node_os_index(t, j), n);
		cpus = local_cpus(t, n);
		if (cpus != spec.node[n].cpu_mask)
			fail_msg("node %d: CPUs %#llx, the spec gives \"%s\"", n, cpus,
				 spec.node[n].cpus);
		cpuless += cpus == 0;
		spec_cpuless += spec.node[n].cpu_mask == 0;
		assert_int_equal(kmb_topo_node_cpulist(t, i, list, sizeof(list)), 0);
		if (mem > given || mem < given / 100 * 70)
			fail_msg("node %d: %llu MiB, qemu gave it %lu MiB", n, mem / MiB,
				 spec.node[n].mem_mib);
		printf("[ INFO     ] node %d: CPUs \"%s\" (hwloc cpuset \"%s\"), %llu of %lu MiB\n",
		       n, spec.node[n].cpus, list, mem / MiB, spec.node[n].mem_mib);
		for (int c = 0; c < spec.cpus; c++)
			if (spec.node[n].cpu_mask >> c & 1)
				assert_int_equal(numa_node_of_cpu(c), n);
	}
	assert_int_equal(cpuless, spec_cpuless);
	for (int i = 0; i < spec.nr_nodes; i++)
		for (int j = 0; j < spec.nr_nodes; j++) {
			int a = kmb_topo_node_os_index(t, i), b = kmb_topo_node_os_index(t, j);

			if (kmb_topo_node_distance(t, i, j) != spec.distance[a][b])
				fail_msg("distance %d -> %d: hwloc %d, the spec %d", a, b,
					 kmb_topo_node_distance(t, i, j), spec.distance[a][b]);
			assert_int_equal(numa_distance(a, b), spec.distance[a][b]);
			assert_int_equal(kmb_numa_distance(a, b), spec.distance[a][b]);
		}
	kmb_topo_free(t);
}

/* Is node @nid at its low watermark for GFP_KERNEL (every populated zone up to NORMAL)? */
static bool node_at_low(int nid)
{
	for (int z = 0; z <= ZONE_NORMAL; z++) {
		struct zone *zone = &NODE_DATA(nid)->node_zones[z];

		if (populated_zone(zone) && (long)zone_page_state(zone) >
		    (long)zone->_watermark[WMARK_LOW] + zone->lowmem_reserve[ZONE_NORMAL])
			return false;
	}
	return true;
}

struct pages {
	struct page **p;
	void **addr;
	int *nid;
	size_t n, cap;
};

/* Keep @p, touch its page (so the kernel places it), note its model node. */
static void pages_push(struct pages *ps, struct page *p)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 4096;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
		ps->addr = realloc(ps->addr, ps->cap * sizeof(*ps->addr));
		ps->nid = realloc(ps->nid, ps->cap * sizeof(*ps->nid));
		assert_true(ps->p && ps->addr && ps->nid);
	}
	ps->p[ps->n] = p;
	ps->addr[ps->n] = page_address(p);
	*(volatile char *)ps->addr[ps->n] = 1;
	ps->nid[ps->n] = page_to_nid(p);
	ps->n++;
}

static void pages_free(struct pages *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		__free_page(ps->p[i]);
	ps->n = 0;
}

/* Node @nid's fallback order from sysfs's row: increasing distance, the node itself first
 * among equals, then by number (page_alloc.c build_all_zonelists, mm/page_alloc.c
 * find_next_best_node). */
static void expected_order(int nid, int nn, int *order)
{
	int row[MAX_NODES];
	bool used[MAX_NODES] = { false };

	assert_int_equal(sysfs_node_distances(nid, row, MAX_NODES), nn);
	for (int k = 0; k < nn; k++) {
		int best = -1;

		for (int m = 0; m < nn; m++)
			if (!used[m] && (best < 0 || row[m] < row[best] ||
					 (row[m] == row[best] && m == nid)))
				best = m;
		used[best] = true;
		order[k] = best;
	}
}

static void test_fallback_order(void **state)
{
	struct pages ps = { 0 };
	int nn, row[MAX_NODES];

	(void)state;
	need_nodes(2);
	nn = machine_nodes();
	assert_true(nn <= MAX_NODES);
	boot(0, KMB_PERCPU_DEFAULT);
	assert_int_equal(kmb_mm_nr_nodes(), nn);
	/* the model's distances are the machine's (physmem.c fill_distances) */
	for (int a = 0; a < nn; a++) {
		assert_int_equal(sysfs_node_distances(a, row, MAX_NODES), nn);
		for (int b = 0; b < nn; b++) {
			assert_int_equal(kmb_mm_config()->distance[a][b], row[b]);
			if (have_spec)
				assert_int_equal(row[b], spec.distance[a][b]);
		}
	}
	for (int nid = 0; nid < nn; nid++) {
		int want[MAX_NODES], seen[MAX_NODES], runs = 0, last = -1;
		struct page *p;

		expected_order(nid, nn, want);
		/* Exhaust node nid: its pages, then each other node's in distance order. */
		while (runs < nn) {
			int at;

			p = alloc_pages_node(nid, GFP_KERNEL | __GFP_NOWARN, 0);
			assert_non_null(p);
			assert_true(ps.n < kmb_memmap.max_pfn);
			at = page_to_nid(p);
			if (at != last) {
				for (int r = 0; r < runs; r++)
					if (seen[r] == at)
						fail_msg("node %d's allocation %zu: back to node %d "
							 "from node %d", nid, ps.n, at, last);
				if (last >= 0 && !node_at_low(last))
					fail_msg("node %d's allocation %zu fell back from node %d "
						 "to node %d above its low watermark", nid, ps.n,
						 last, at);
				seen[runs++] = at;
				last = at;
			}
			pages_push(&ps, p);
		}
		for (int r = 0; r < nn; r++)
			if (seen[r] != want[r])
				fail_msg("node %d's fallback step %d went to node %d; by distance "
					 "it is node %d", nid, r, seen[r], want[r]);
		printf("[ INFO     ] node %d falls back to", nid);
		for (int r = 1; r < nn; r++)
			printf(" %d", seen[r]);
		printf(" (%zu pages)\n", ps.n);
		/* every frame of every step on the machine node of its model node */
		assert_pages_on(ps.addr, ps.n, ps.nid, "fallback frame");
		pages_free(&ps);

		/* __GFP_THISNODE: node nid until it is used up, then failure */
		while ((p = alloc_pages_node(nid, GFP_KERNEL | __GFP_THISNODE | NORETRY, 0))) {
			if (page_to_nid(p) != nid)
				fail_msg("__GFP_THISNODE allocation %zu of node %d from node %d",
					 ps.n, nid, page_to_nid(p));
			pages_push(&ps, p);
		}
		assert_true(ps.n > (NODE_MEM >> PAGE_SHIFT) / 2);
		assert_true(node_at_low(nid));
		assert_pages_on(ps.addr, ps.n, ps.nid, "__GFP_THISNODE frame");
		/* without it, the same request is served by the nearest other node */
		p = alloc_pages_node(nid, GFP_KERNEL | NORETRY, 0);
		assert_non_null(p);
		assert_int_equal(page_to_nid(p), want[1]);
		*(volatile char *)page_address(p) = 1;
		assert_int_equal(page_node(page_address(p)), want[1]);
		__free_page(p);
		pages_free(&ps);
		if (kmb_mm_check(why, sizeof(why)))
			fail_msg("kmb_mm_check after node %d: %s", nid, why);
	}
	free(ps.p);
	free(ps.addr);
	free(ps.nid);
}

static void test_plans_spread(void **state)
{
	struct kmb_topo *t;
	int cpus[GUEST_MAX_CPUS], with_cpus = 0, first, per_first;
	unsigned long long nodes = 0;

	(void)state;
	need_spec();
	for (int n = 0; n < spec.nr_nodes; n++)
		with_cpus += spec.node[n].cpu_mask != 0;
	if (with_cpus < 2)
		skip_because("config %s has %d node with CPUs; spreading needs 2", spec.config,
			     with_cpus);
	t = topo_load();
	/* scatter: one thread per node with CPUs */
	run_plan(t, KMB_PIN_SCATTER, with_cpus, cpus);
	for (int i = 0; i < with_cpus; i++)
		nodes |= 1ULL << guest_spec_cpu_node(&spec, cpus[i]);
	if (__builtin_popcountll(nodes) != with_cpus)
		fail_msg("scatter with %d threads used nodes %#llx: not one per node", with_cpus,
			 nodes);
	/* compact: the first node's CPUs, all of them, before any other node */
	run_plan(t, KMB_PIN_COMPACT, 1, cpus);
	first = guest_spec_cpu_node(&spec, cpus[0]);
	per_first = __builtin_popcountll(spec.node[first].cpu_mask);
	run_plan(t, KMB_PIN_COMPACT, per_first, cpus);
	for (int i = 0; i < per_first; i++)
		assert_int_equal(guest_spec_cpu_node(&spec, cpus[i]), first);
	if (per_first < spec.cpus) {
		run_plan(t, KMB_PIN_COMPACT, per_first + 1, cpus);
		assert_int_not_equal(guest_spec_cpu_node(&spec, cpus[per_first]), first);
	}
	kmb_topo_free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test_teardown(test_bind_no_such_node, mm_down),
		cmocka_unit_test_teardown(test_frames_on_node, mm_down),
		cmocka_unit_test_teardown(test_percpu_on_cpu_node, mm_down),
		cmocka_unit_test(test_pinning_plans),
		cmocka_unit_test(test_topology_sysfs),
	};
	const struct CMUnitTest multinode[] = {
		cmocka_unit_test(test_topology_spec),
		cmocka_unit_test_teardown(test_fallback_order, mm_down),
		cmocka_unit_test(test_plans_spread),
	};
	const char *group = argc > 1 ? argv[1] : "";
	int failed = 0, r;

	if (argc > 2 || (*group && strcmp(group, "local") && strcmp(group, "multinode"))) {
		fprintf(stderr, "test_numa_guest: unknown group '%s'; valid: local, multinode "
			"(none: both)\n", argv[argc - 1]);
		return 2;
	}
	r = guest_spec_load(&spec, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "test_numa_guest: the guest's spec: %s\n", why);
		return 1;
	}
	have_spec = r == 1;
	if (have_spec)
		printf("[ INFO     ] guest config %s: %d nodes, %d CPUs\n", spec.config,
		       spec.nr_nodes, spec.cpus);
	if (!*group || !strcmp(group, "local"))
		failed += cmocka_run_group_tests_name("numa local", local, NULL, NULL);
	if (!*group || !strcmp(group, "multinode"))
		failed += cmocka_run_group_tests_name("numa multinode", multinode, NULL, NULL);
	return kmb_numa_exit(failed);
}
