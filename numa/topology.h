/*
 * topology.h - the machine's topology from hwloc, and thread pinning plans.
 *
 * The only files that include <hwloc.h> are numa/topology.c (and later numa/ files).  The rest of
 * kmbench sees plain integers: OS CPU numbers (as sched_getcpu() returns them) and OS NUMA node
 * numbers (as libnuma and mbind use them).  A node *index* i (0 <= i < kmb_topo_num_nodes())
 * counts nodes in hwloc's logical (tree) order; kmb_topo_node_os_index() turns it into the OS
 * number.  They differ on real machines, so never pass an index where a number is wanted.
 *
 * Lifetime: kmb_topo_load() once per process (not thread-safe), kmb_topo_free() at exit.  After
 * loading, every query is read-only and may be called from any thread.  kmb_topo_pin_self() binds
 * the calling thread only.
 *
 * Topology is restricted to the CPUs and nodes this process may use: hwloc 2 drops what lies
 * outside its cgroup cpuset, and kmb_topo_load() also restricts to the calling thread's CPU
 * affinity (taskset, numactl --physcpubind), dropping NUMA nodes left without CPUs.  So "more
 * threads than CPUs" means more than this process may run on, and kmb_topo_load() must be
 * called before the calling thread pins itself (in practice: from main(), first).
 *
 * A usable CPU may have no NUMA node of its own: when the cgroup's cpuset.mems leaves its node
 * out, hwloc drops the node and keeps the CPU (and a topology saved on such a host shows the
 * same).  Such a CPU is usable by every plan but node:N, kmb_topo_cpu_to_node() names the
 * nearest node for it, and it is in no node's CPU list (kmb_topo_nodeless_cpulist() lists it).
 */
#ifndef KMB_NUMA_TOPOLOGY_H
#define KMB_NUMA_TOPOLOGY_H

#include <stddef.h>

struct kmb_topo;	/* opaque */

/*
 * kmb_topo_load - discover the topology.  @synthetic, when non-NULL, is an hwloc synthetic
 * description (e.g. "pack:2 numa:2 core:4 pu:2") and @xml_path, when non-NULL, an hwloc XML
 * file; both are for tests of large machines, and such a topology cannot be bound to
 * (kmb_topo_pin_self() refuses it).  At most one of the two may be given.  With neither, the
 * topology hwloc's environment names (HWLOC_SYNTHETIC, else HWLOC_XMLFILE, as hwloc reads
 * them; not when HWLOC_FSROOT or HWLOC_CPUID_PATH is set, which hwloc takes first), else the
 * running machine.  A variable that names a file that cannot be read, or that is not an hwloc
 * XML topology, or a description hwloc cannot parse, or that is set but empty, is an error
 * naming the variable and the problem; hwloc alone would quietly show this machine instead.
 * Returns NULL and writes a one-line reason into @err (if @err is non-NULL and @errlen > 0)
 * on failure.  Not thread-safe.
 */
struct kmb_topo *kmb_topo_load(const char *synthetic, const char *xml_path, char *err, size_t errlen);
/* Release @t and everything it holds; NULL is a no-op.  No query may run concurrently. */
void kmb_topo_free(struct kmb_topo *t);

/* Counts, all >= 1.  A topology without Core or Package objects counts each PU as a core and
 * the whole machine as one package. */
int kmb_topo_num_pus(const struct kmb_topo *t);		/* usable PUs (hardware threads) */
int kmb_topo_num_cores(const struct kmb_topo *t);
int kmb_topo_num_packages(const struct kmb_topo *t);
/* NUMA nodes, >= 1; when hwloc reports none there is one node, OS number 0, holding every PU. */
int kmb_topo_num_nodes(const struct kmb_topo *t);
/* Node i's OS number, or -EINVAL for a bad i. */
int kmb_topo_node_os_index(const struct kmb_topo *t, int i);
/* Bytes of memory local to node i; 0 for a bad i. */
unsigned long long kmb_topo_node_memory(const struct kmb_topo *t, int i);
/*
 * A node's CPUs are the PUs whose local node it is (kmb_topo_cpu_to_node()), as Linux lists
 * them in /sys/devices/system/node/nodeN/cpulist: none for a memory-only node (CXL, HBM),
 * although hwloc gives such a node the cpuset of the object it is attached to.
 *
 * Writes the OS CPU list of node i as "0-3,8-11" into buf ("" for none); returns 0, -ENOSPC
 * when it does not fit (buf then holds a truncated list), or -EINVAL for a bad i or buffer.
 */
int kmb_topo_node_cpulist(const struct kmb_topo *t, int i, char *buf, size_t len);
/* The number of CPUs of node i (0 for a memory-only node or a bad i). */
int kmb_topo_node_num_cpus(const struct kmb_topo *t, int i);
/* The usable CPUs that have no node of their own here (see above): how many, and their OS
 * list like kmb_topo_node_cpulist()'s ("" for none; 0, -ENOSPC or -EINVAL). */
int kmb_topo_num_nodeless_cpus(const struct kmb_topo *t);
int kmb_topo_nodeless_cpulist(const struct kmb_topo *t, char *buf, size_t len);
/* Where the topology came from, for messages: "" for this machine, else e.g.
 * "HWLOC_XMLFILE=/path/host.xml" or "synthetic topology 'pack:2 core:4'"; lives as long as @t. */
const char *kmb_topo_source(const struct kmb_topo *t);
/* The index of the node with OS number @os_node, or -1 when there is none. */
int kmb_topo_node_index(const struct kmb_topo *t, int os_node);
/*
 * Relative distance between nodes i and j (10 = local), from hwloc's latency matrix (the ACPI
 * SLIT on Linux; hwloc reports none for a single node, nor in synthetic topologies).  0 when
 * unknown, the diagonal included, so a matrix of zeros means "no data"; the one exception is a
 * single-node machine without a matrix, whose distance (0, 0) is 10.  0 for a bad i or j.
 */
int kmb_topo_node_distance(const struct kmb_topo *t, int i, int j);
/*
 * kmb_topo_farthest_node - the OS number of the node with memory farthest from OS node @from,
 * by the distances above (kmb_farthest_node() in numa/policy.h: ties, and a matrix of
 * unknowns, go to the lowest OS number); -ENODEV when no other node has memory, -EINVAL when
 * @from is not a node here.
 */
int kmb_topo_farthest_node(const struct kmb_topo *t, int from);
/*
 * OS node of an OS CPU, -1 if the CPU is not usable here.  The node is the one nearest the CPU
 * in the tree, so a memory-only node (CXL, HBM attached higher up) is never chosen over it.
 * A usable CPU without a node of its own (above) is never -1: it counts as the node where its
 * local allocations go, the nearest one here: the lowest OS number among the nodes below its
 * closest ancestor that has any (its package's, else the machine's).  On a two-socket host
 * whose cpuset.mems holds one node that is exact; with more nodes the kernel would choose by
 * SLIT distance from the CPU's own node, which hwloc no longer shows.
 */
int kmb_topo_cpu_to_node(const struct kmb_topo *t, int os_cpu);
/* L1d line size in bytes, a power of two: hwloc's, else sysconf() (this machine only), else 64. */
int kmb_topo_cache_line_size(const struct kmb_topo *t);
/* Package 0's CPUModel string from hwloc, "" if unknown; lives as long as @t. */
const char *kmb_topo_cpu_model(const struct kmb_topo *t);

/*
 * Pinning policies.  Every binding policy but compact takes one PU on every core before any
 * SMT sibling: all of the usable cores' first PUs (in the policy's order), then their second
 * PUs, and so on; a core whose siblings are offline or outside the cpuset simply has fewer.
 * compact alone fills a core's siblings first, as Intel's KMP_AFFINITY=compact and OpenMP's
 * proc_bind(close) over OMP_PLACES=threads do; choose it for that, and scatter, spread or
 * node:N for one thread per core.
 */
enum kmb_pin_policy {
	KMB_PIN_NONE,		/* no binding; the OS places threads */
	KMB_PIN_COMPACT,	/* thread i on the i-th PU in hwloc logical order (consecutive
				 * PUs): a core's SMT siblings, then the next core, the next
				 * package.  The one policy that takes siblings before cores */
	KMB_PIN_SCATTER,	/* as far apart as possible: round robin over the packages, within
				 * each over its groups, dies and caches, then its cores, each
				 * giving its next core; a package or core with nothing left is
				 * passed over (so packages of unequal size take turns until the
				 * smaller runs out); SMT siblings only after every core */
	KMB_PIN_NODE,		/* only the CPUs of one node (struct kmb_pin.node): its cores in
				 * logical order, one PU each, then their SMT siblings */
	KMB_PIN_SPREAD,		/* round robin over the nodes that have CPUs, in OS number order,
				 * each giving its next core (logical order), then the CPUs
				 * without a node of their own; all that for every core's first
				 * PU, then again for the SMT siblings.  With equal nodes thread i
				 * is on node i % nodes; a node whose CPUs are all taken is passed
				 * over */
	KMB_NR_PIN_POLICIES
};

/* A pinning plan: the policy and, for KMB_PIN_NODE, the OS node (-1 otherwise). */
struct kmb_pin {
	enum kmb_pin_policy policy;
	int node;
};

/* The valid --pin values, for messages. */
#define KMB_PIN_SYNTAX "compact, scatter, spread, node:N, none"

/*
 * kmb_pin_parse - "none" | "compact" | "scatter" | "spread" | "node:N" (N an OS node number,
 * 0..4095) into @out; 0 or -EINVAL (*out untouched).  Syntax only: whether node N exists and
 * has CPUs is kmb_topo_pin_plan()'s to say.
 */
int kmb_pin_parse(const char *s, struct kmb_pin *out);
/* The name of a policy ("node" for KMB_PIN_NODE), "?" for a value outside the enum. */
const char *kmb_pin_policy_name(enum kmb_pin_policy p);
/* kmb_pin_format - @pin as kmb_pin_parse() reads it ("node:3", "compact"); returns @buf. */
const char *kmb_pin_format(const struct kmb_pin *pin, char *buf, size_t len);

/*
 * kmb_topo_pin_plan - the OS CPU for each of @nthreads threads under @pin, written to
 * cpus[0..nthreads).  KMB_PIN_NONE writes -1 for every thread (any @nthreads >= 1).  A binding
 * policy never gives two threads the same CPU, and the plan of n threads is the first n
 * entries of the plan of n + 1.  Always returns, in time linear in the PUs: 0, or -E2BIG when
 * @pin binds and @nthreads exceeds the usable PUs (of the node, for node:N; the message in
 * @err then names both numbers and suggests another plan), -EINVAL (@nthreads < 1, unknown
 * policy, NULL argument, node:N for a node that is not here or has no CPUs of its own: the
 * message names the nodes with CPUs); every error comes with a one-line message in @err.
 * Works on any topology, synthetic ones too.
 */
int kmb_topo_pin_plan(const struct kmb_topo *t, const struct kmb_pin *pin, int nthreads,
		      int *cpus, char *err, size_t errlen);

/*
 * Bind the calling thread to OS CPU @os_cpu (hwloc_set_cpubind, HWLOC_CPUBIND_THREAD |
 * HWLOC_CPUBIND_STRICT, retried without STRICT where the OS cannot enforce it).  Returns 0 or
 * -errno; -EINVAL for a synthetic or XML topology or a CPU that is not usable here.
 */
int kmb_topo_pin_self(const struct kmb_topo *t, int os_cpu);

/*
 * The topology as hwloc XML (hwloc_topology_export_xmlbuffer), recorded in the results'
 * context so that the report can draw the machine from the results file alone.  A malloc'd
 * NUL-terminated string to free(), or NULL where hwloc cannot export it.
 */
char *kmb_topo_export_xml(const struct kmb_topo *t);

/* The running hwloc library's release, e.g. "2.9.0" (not hwloc_get_api_version(), which is
 * the API level: 2.8.0 on hwloc 2.9.0).  Thread-safe; the string lives for the process. */
const char *kmb_topo_hwloc_version(void);

#endif
