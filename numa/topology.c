/*
 * topology.c - the machine's topology from hwloc, and thread pinning plans.
 *
 * This is one of the few files that include <hwloc.h>; the rest of kmbench sees the plain
 * integers of topology.h.  Three numberings meet here and must not be mixed up:
 *
 *   - hwloc logical indexes: the order of objects in the hwloc tree (PU L#0, L#1, ...).  SMT
 *     siblings of one core are adjacent, cores of one package are adjacent.  Used internally
 *     for COMPACT plans, and as the "i" of the kmb_topo_node_*() queries (node i is NUMANODE
 *     logical index i).
 *   - OS CPU numbers: what sched_getcpu() returns and hwloc cpusets hold (PU os_index).  On
 *     Intel machines the SMT sibling of CPU c is often c + ncores, so logical != OS.
 *   - OS NUMA node numbers: what libnuma and mbind() take (NUMANODE os_index).
 * Every CPU or node number that leaves this file is an OS number.
 *
 * Invariants, established by kmb_topo_load() and never changed afterwards:
 *   - t->topo is loaded and refreshed (hwloc_topology_refresh()), so concurrent read-only use
 *     from many threads is safe; nothing in struct kmb_topo is written after load, and there
 *     are no lazily filled caches.
 *   - t->nnodes >= 1.  When hwloc reports no NUMANODE objects, t->numa_objs is false and
 *     there is one pseudo node, OS number 0, covering every PU and all of the machine's memory.
 *   - t->dist holds nnodes * nnodes entries, row-major by node index; 0 means "unknown".
 *   - t->pus[p] describes PU logical index p: its OS number, its own node, the node
 *     kmb_topo_cpu_to_node() names for it, and its SMT rank.  Its own node (.node) is the
 *     node of its nearest ancestor with memory attached, and t->node_ncpus[i] counts the PUs
 *     whose own node is i: a node's CPUs in the Linux sense.  A memory-only node (CXL, HBM
 *     attached beside the DRAM node) has none, although hwloc gives it the cpuset of the
 *     object it hangs from.
 *   - A PU may have no node of its own (.node == -1): when a cgroup's cpuset.mems leaves its
 *     node out, hwloc 2 removes the node and keeps the CPUs (a saved topology of such a host
 *     is the same).  Such a PU stays usable.  kmb_topo_cpu_to_node() names its nearest node
 *     (.near): the lowest OS number among the nodes below its closest ancestor that has any.
 *     That is where its local allocations go when that ancestor is its package, and an
 *     approximation otherwise: the kernel would take the node nearest by SLIT distance to the
 *     CPU's own node, which hwloc no longer shows.
 *   - .rank is the PU's place among its core's PUs that are here, in logical order: 0 for
 *     every core's first PU, 1 for the first SMT sibling, and so on.  A core whose other
 *     threads are offline or outside our cpuset has only rank 0.  Every plan but COMPACT
 *     takes all PUs of rank r before any of rank r + 1: one PU on every core before any SMT
 *     sibling.
 *   - t->scatter and t->spread hold every usable PU's OS number exactly once, in the order
 *     those plans give threads out (a plan of n threads is their first n), so a plan is a
 *     copy, cannot loop and never repeats a CPU; kmb_topo_load() checks the permutation.
 *   - On this system, the topology holds only the PUs this process may run on: hwloc 2 drops
 *     the CPUs outside our cgroup cpuset, and we restrict further to the CPU affinity of the
 *     thread that loads (taskset, numactl --physcpubind), removing NUMA nodes left without
 *     CPUs.  The loading thread's affinity, not the union over the process's threads that
 *     HWLOC_CPUBIND_PROCESS gives: a helper thread started earlier (a sanitizer's, a
 *     library's) keeps the wider mask and would undo the restriction.
 *
 * No locks: load/free are single-threaded by contract, everything else only reads.
 */
#include "topology.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KMB_DEFAULT_CACHE_LINE	64
#define KMB_LOCAL_DISTANCE	10	/* ACPI SLIT value for "same node" */

/* One usable PU (hardware thread), by logical index. */
struct pu {
	int os;			/* OS CPU number */
	int node;		/* index of its own node, -1 when it has none here */
	int near;		/* index of the node kmb_topo_cpu_to_node() names: .node, else the nearest */
	int rank;		/* its place among its core's PUs here: 0 first, 1 first SMT sibling */
};

struct kmb_topo {
	hwloc_topology_t topo;	/* loaded, refreshed, read-only after kmb_topo_load() */
	bool thissystem;	/* topology describes the running machine: binding allowed */
	bool numa_objs;		/* hwloc reported NUMANODE objects (else one pseudo node 0) */
	int npus;		/* usable PUs, >= 1 */
	int ncores;		/* Core objects, or npus when hwloc reports none */
	int npackages;		/* Package objects, or 1 when hwloc reports none */
	int nnodes;		/* NUMA nodes, >= 1 */
	int *dist;		/* nnodes * nnodes relative distances, 0 = unknown */
	struct pu *pus;		/* npus, by PU logical index */
	int nranks;		/* 1 + the largest pus[].rank: SMT threads per core, at most */
	int nnodeless;		/* PUs without a node of their own (pus[].node == -1) */
	int *node_ncpus;	/* nnodes: PUs whose own node is node i (0: memory only) */
	int *scatter;		/* npus OS CPU numbers: KMB_PIN_SCATTER's order */
	int *spread;		/* npus OS CPU numbers: KMB_PIN_SPREAD's order */
	char *source;		/* where the topology came from, for messages; "" = this machine */
	int cache_line;		/* L1d line size in bytes, a power of two */
	const char *cpu_model;	/* points into topo's info strings, or to "" */
};

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* NUMANODE object for node index @i, or NULL for the pseudo node / a bad index. */
static hwloc_obj_t node_obj(const struct kmb_topo *t, int i)
{
	if (!t->numa_objs || i < 0 || i >= t->nnodes)
		return NULL;
	return hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
}

static bool node_index_ok(const struct kmb_topo *t, int i)
{
	return i >= 0 && i < t->nnodes;
}

static bool cache_line_ok(unsigned long v)
{
	return v >= 16 && v <= 1024 && !(v & (v - 1));
}

/*
 * Restrict a topology of this system to the CPUs the calling thread may run on, so that a run
 * under taskset sees only its CPUs.  Nothing happens when the binding cannot be read or
 * already covers the whole topology.  Returns 0 or -errno; after a failed restrict the
 * topology is unusable (hwloc reinitialises it) and must be destroyed.
 */
static int restrict_to_binding(hwloc_topology_t topo)
{
	hwloc_const_cpuset_t all = hwloc_topology_get_topology_cpuset(topo);
	hwloc_bitmap_t bound;
	int ret = 0;

	bound = hwloc_bitmap_alloc();
	if (!bound)
		return -ENOMEM;
	if (hwloc_get_cpubind(topo, bound, HWLOC_CPUBIND_THREAD) == 0 &&
	    hwloc_bitmap_intersects(bound, all) && !hwloc_bitmap_isincluded(all, bound)) {
		if (hwloc_topology_restrict(topo, bound, HWLOC_RESTRICT_FLAG_REMOVE_CPULESS))
			ret = errno ? -errno : -EINVAL;
	}
	hwloc_bitmap_free(bound);
	return ret;
}

/*
 * Copy hwloc's NUMA latency matrix into t->dist (already zeroed).  Prefers a matrix the OS
 * reported (ACPI SLIT on Linux), else any latency matrix (e.g. one given in XML).  With no
 * matrix and a single node the one entry is the local distance, 10.
 */
static int load_distances(struct kmb_topo *t)
{
	static const unsigned long kinds[] = {
		HWLOC_DISTANCES_KIND_FROM_OS | HWLOC_DISTANCES_KIND_MEANS_LATENCY,
		HWLOC_DISTANCES_KIND_MEANS_LATENCY,
	};
	struct hwloc_distances_s *d = NULL;
	unsigned int nr = 0;
	size_t k;
	int i, j;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && t->numa_objs; k++) {
		nr = 1;
		if (hwloc_distances_get_by_type(t->topo, HWLOC_OBJ_NUMANODE, &nr, &d,
						kinds[k], 0))
			return errno ? -errno : -EINVAL;
		if (nr)
			break;
	}
	if (!nr || !d) {
		if (t->nnodes == 1)
			t->dist[0] = KMB_LOCAL_DISTANCE;
		return 0;
	}
	for (i = 0; i < t->nnodes; i++) {
		for (j = 0; j < t->nnodes; j++) {
			hwloc_uint64_t ij, ji;

			if (hwloc_distances_obj_pair_values(d, node_obj(t, i), node_obj(t, j),
							    &ij, &ji))
				continue;	/* node not in the matrix: unknown */
			t->dist[i * t->nnodes + j] = ij > INT_MAX ? INT_MAX : (int)ij;
		}
	}
	hwloc_distances_release(t->topo, d);
	return 0;
}

static int find_cache_line(const struct kmb_topo *t)
{
	hwloc_obj_t l1 = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_L1CACHE, 0);
	long v;

	if (l1 && cache_line_ok(l1->attr->cache.linesize))
		return (int)l1->attr->cache.linesize;
	/* The host's answer says nothing about a synthetic or XML machine. */
	if (t->thissystem) {
		v = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
		if (v > 0 && cache_line_ok((unsigned long)v))
			return (int)v;
	}
	return KMB_DEFAULT_CACHE_LINE;
}

static const char *find_cpu_model(const struct kmb_topo *t)
{
	hwloc_obj_t pkg = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PACKAGE, 0);
	const char *s = NULL;

	if (pkg)
		s = hwloc_obj_get_info_by_name(pkg, "CPUModel");
	if (!s)
		s = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t->topo), "CPUModel");
	return s ? s : "";
}

/*
 * The local NUMA node of a PU is the first NUMA node attached to its nearest ancestor that
 * has memory attached.  Memory-only nodes attached higher up (CXL, a package-wide node above
 * sub-NUMA clusters) lose to the closer one; a MemCache sits between an object and its node.
 * The node's OS number, or -1.
 */
static int local_node_os(hwloc_obj_t obj)
{
	hwloc_obj_t mem;

	for (; obj; obj = obj->parent) {
		for (mem = obj->memory_first_child; mem; mem = mem->memory_first_child) {
			if (mem->type == HWLOC_OBJ_NUMANODE)
				return (int)mem->os_index;
		}
	}
	return -1;
}

/*
 * The node a PU without a node of its own counts as: the nodes below its closest ancestor
 * that has any (a package's own nodes before the whole machine's), the lowest OS number
 * among them; the lowest-numbered node here when no ancestor has one.  A node index.
 */
static int nearest_node(const struct kmb_topo *t, hwloc_obj_t pu)
{
	int best = 0;

	for (hwloc_obj_t obj = pu->parent; obj; obj = obj->parent) {
		int i;

		if (!obj->nodeset || hwloc_bitmap_iszero(obj->nodeset))
			continue;
		i = kmb_topo_node_index(t, hwloc_bitmap_first(obj->nodeset));
		if (i >= 0)
			return i;
	}
	for (int i = 1; i < t->nnodes; i++)
		if (kmb_topo_node_os_index(t, i) < kmb_topo_node_os_index(t, best))
			best = i;
	return best;
}

/*
 * t->pus, t->nranks, t->nnodeless and t->node_ncpus: each PU's OS number, own node, nearest
 * node and SMT rank (its place among the PUs of its core that are here, counted in logical
 * order: hwloc lists a core's PUs in it), and each node's count of own PUs.
 */
static int find_pus(struct kmb_topo *t)
{
	int ncores = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
	int *core_pus;

	t->pus = calloc((size_t)t->npus, sizeof(*t->pus));
	t->node_ncpus = calloc((size_t)t->nnodes, sizeof(*t->node_ncpus));
	core_pus = calloc(ncores > 0 ? (size_t)ncores : 1, sizeof(*core_pus));
	if (!t->pus || !t->node_ncpus || !core_pus) {
		free(core_pus);
		return -ENOMEM;
	}
	t->nranks = 1;
	for (int p = 0; p < t->npus; p++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU, (unsigned)p);
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t->topo, HWLOC_OBJ_CORE, pu);
		struct pu *u = &t->pus[p];

		u->os = (int)pu->os_index;
		u->node = t->numa_objs ? kmb_topo_node_index(t, local_node_os(pu)) : 0;
		u->near = u->node >= 0 ? u->node : nearest_node(t, pu);
		if (core && core->logical_index < (unsigned)ncores)
			u->rank = core_pus[core->logical_index]++;
		if (u->rank >= t->nranks)
			t->nranks = u->rank + 1;
		if (u->node >= 0)
			t->node_ncpus[u->node]++;
		else
			t->nnodeless++;
	}
	free(core_pus);
	return 0;
}

/*
 * Round robin over @k lists, the j-th taken from buf[off[j]..off[j] + len[j]) and in the
 * order @order gives them (NULL: 0..k-1): every list's first entry, then every list's
 * second, a list that has run out passed over.  Writes into @out; returns how many.
 */
static int round_robin(const int *buf, const int *off, const int *len, const int *order, int k,
		       int *out)
{
	int longest = 0, m = 0;

	for (int j = 0; j < k; j++)
		longest = len[j] > longest ? len[j] : longest;
	for (int r = 0; r < longest; r++) {
		for (int j = 0; j < k; j++) {
			int l = order ? order[j] : j;

			if (r < len[l])
				out[m++] = buf[off[l] + r];
		}
	}
	return m;
}

/*
 * The OS numbers of the PUs of SMT rank @r below @obj, in scatter order, into @out (room for
 * every PU of obj's cpuset): round robin over obj's children, each giving its own next PU in
 * its own scatter order, a child that has none left passed over.  So packages take turns,
 * within a package its groups, dies or caches, then its cores.  How many, or -ENOMEM.
 */
static int scatter_below(const struct kmb_topo *t, hwloc_obj_t obj, int r, int *out)
{
	int *buf, *off, *len, used = 0, ret = 0;
	unsigned k = obj->arity;

	if (obj->type == HWLOC_OBJ_PU) {
		if (t->pus[obj->logical_index].rank != r)
			return 0;
		out[0] = (int)obj->os_index;
		return 1;
	}
	if (k <= 1)
		return k ? scatter_below(t, obj->first_child, r, out) : 0;
	buf = malloc(sizeof(*buf) * (size_t)(hwloc_bitmap_weight(obj->cpuset) + 1));
	off = calloc(k, sizeof(*off));
	len = calloc(k, sizeof(*len));
	for (unsigned j = 0; buf && off && len && j < k && ret >= 0; j++) {
		ret = scatter_below(t, obj->children[j], r, buf + used);
		off[j] = used;
		len[j] = ret > 0 ? ret : 0;
		used += len[j];
	}
	if (!buf || !off || !len)
		ret = -ENOMEM;
	else if (ret >= 0)
		ret = round_robin(buf, off, len, NULL, (int)k, out);
	free(buf);
	free(off);
	free(len);
	return ret;
}

/* t->scatter: rank 0 of every core in scatter order, then rank 1, ... */
static int order_scatter(struct kmb_topo *t)
{
	int m = 0;

	t->scatter = calloc((size_t)t->npus, sizeof(*t->scatter));
	if (!t->scatter)
		return -ENOMEM;
	for (int r = 0; r < t->nranks; r++) {
		int ret = scatter_below(t, hwloc_get_root_obj(t->topo), r, t->scatter + m);

		if (ret < 0)
			return ret;
		m += ret;
		if (m > t->npus)
			return -EIO;
	}
	return m == t->npus ? 0 : -EIO;
}

/*
 * t->spread: for each SMT rank r in turn, round robin over the nodes with CPUs in OS number
 * order, each giving its next own PU of rank r (logical order), then the PUs of rank r
 * without a node of their own.  With equal nodes thread i is on node i % nodes.
 */
static int order_spread(struct kmb_topo *t)
{
	int *order = calloc((size_t)t->nnodes, sizeof(int)), *off = calloc((size_t)t->nnodes,
									  sizeof(int));
	int *len = calloc((size_t)t->nnodes, sizeof(int)), *buf = calloc((size_t)t->npus, sizeof(int));
	int nn = 0, m = 0, ret = 0;

	t->spread = calloc((size_t)t->npus, sizeof(*t->spread));
	if (!order || !off || !len || !buf || !t->spread) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < t->nnodes; i++) {	/* insertion sort by OS number */
		int j;

		for (j = nn++; j > 0 && kmb_topo_node_os_index(t, order[j - 1]) >
					kmb_topo_node_os_index(t, i); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (int r = 0; r < t->nranks; r++) {
		int used = 0;

		for (int i = 0; i < t->nnodes; i++) {
			off[i] = used;
			len[i] = 0;
			for (int p = 0; p < t->npus; p++)
				if (t->pus[p].node == i && t->pus[p].rank == r)
					buf[used + len[i]++] = t->pus[p].os;
			used += len[i];
		}
		m += round_robin(buf, off, len, order, nn, t->spread + m);
		for (int p = 0; p < t->npus; p++)
			if (t->pus[p].node < 0 && t->pus[p].rank == r)
				t->spread[m++] = t->pus[p].os;
	}
	ret = m == t->npus ? 0 : -EIO;
out:
	free(order);
	free(off);
	free(len);
	free(buf);
	return ret;
}

/* Does @order hold every usable PU exactly once?  Plans rely on it: no CPU twice. */
static int check_order(const struct kmb_topo *t, const int *order)
{
	hwloc_bitmap_t seen = hwloc_bitmap_alloc();
	int ret = 0;

	if (!seen)
		return -ENOMEM;
	for (int i = 0; i < t->npus && !ret; i++) {
		if (order[i] < 0 || hwloc_bitmap_isset(seen, (unsigned)order[i]) ||
		    !hwloc_get_pu_obj_by_os_index(t->topo, (unsigned)order[i]))
			ret = -EIO;
		else if (hwloc_bitmap_set(seen, (unsigned)order[i]))
			ret = -ENOMEM;
	}
	hwloc_bitmap_free(seen);
	return ret;
}

/* Fill every derived field of @t from the loaded t->topo.  Returns 0 or -errno. */
static int fill_summary(struct kmb_topo *t)
{
	int n;

	t->thissystem = hwloc_topology_is_thissystem(t->topo);
	t->npus = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);
	if (t->npus <= 0)
		return -ENODEV;
	n = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
	t->ncores = n > 0 ? n : t->npus;
	n = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PACKAGE);
	t->npackages = n > 0 ? n : 1;
	n = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
	t->numa_objs = n > 0;
	t->nnodes = n > 0 ? n : 1;
	t->dist = calloc((size_t)t->nnodes * (size_t)t->nnodes, sizeof(*t->dist));
	if (!t->dist)
		return -ENOMEM;
	t->cache_line = find_cache_line(t);
	t->cpu_model = find_cpu_model(t);
	n = load_distances(t);
	if (!n)
		n = find_pus(t);
	if (!n)
		n = order_scatter(t);
	if (!n)
		n = order_spread(t);
	if (!n)
		n = check_order(t, t->scatter);
	return n ? n : check_order(t, t->spread);
}

/* A string of the printf format, malloc()ed; NULL when out of memory. */
static char * __attribute__((format(printf, 1, 2))) dup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/*
 * Which topology kmb_topo_load(NULL, NULL) means: the one hwloc's own environment variables
 * name, as hwloc_topology_load() reads them (HWLOC_FSROOT and HWLOC_CPUID_PATH first, left
 * to hwloc; then HWLOC_SYNTHETIC, then HWLOC_XMLFILE), else this machine.  We take the last
 * two ourselves because hwloc, given a file it cannot read or a description it cannot parse,
 * silently discovers this machine instead; through hwloc_topology_set_xml() and _synthetic()
 * the failure is ours to report.  Sets *synthetic or *xml and returns the label for messages
 * ("HWLOC_XMLFILE=path"), or NULL for this machine.
 */
static const char *env_source(const char **synthetic, const char **xml)
{
	const char *v;

	if (getenv("HWLOC_FSROOT") || getenv("HWLOC_CPUID_PATH"))
		return NULL;
	if ((v = getenv("HWLOC_SYNTHETIC"))) {
		*synthetic = v;
		return "HWLOC_SYNTHETIC";
	}
	if ((v = getenv("HWLOC_XMLFILE"))) {
		*xml = v;
		return "HWLOC_XMLFILE";
	}
	return NULL;
}

/*
 * Point t->topo at @synthetic or @xml (either may be NULL: this machine); @env is the
 * variable that named them, NULL for arguments.  t->source names them in messages.  0, or -1
 * with the one-line reason in @err.
 */
static int set_source(struct kmb_topo *t, const char *synthetic, const char *xml,
		      const char *env, char *err, size_t errlen)
{
	const char *what = t->source;

	if ((synthetic && !*synthetic) || (xml && !*xml)) {
		set_err(err, errlen, "%s: empty%s", what, env ? "; unset it to see this machine" : "");
		return -1;
	}
	if (synthetic && hwloc_topology_set_synthetic(t->topo, synthetic)) {
		set_err(err, errlen, "%s: hwloc cannot parse the synthetic description: %s", what,
			strerror(errno));
		return -1;
	}
	/* hwloc reads the file here: a missing or unreadable one fails with its errno, one
	 * that is not XML (or not hwloc's) with EINVAL. */
	if (xml && hwloc_topology_set_xml(t->topo, xml)) {
		int e = errno;

		if (e == EINVAL || !e)
			set_err(err, errlen, "%s: not an hwloc XML topology (hwloc %s cannot parse it)",
				what, kmb_topo_hwloc_version());
		else
			set_err(err, errlen, "%s: cannot read the file: %s", what, strerror(e));
		return -1;
	}
	return 0;
}

/*
 * kmb_topo_load - see topology.h.  Not thread-safe; call once, before any thread pins itself
 * (on this system the result is restricted to the calling thread's current CPU affinity).
 */
struct kmb_topo *kmb_topo_load(const char *synthetic, const char *xml_path, char *err,
			       size_t errlen)
{
	const char *env = NULL;
	struct kmb_topo *t;
	int ret;

	set_err(err, errlen, "%s", "");
	if (synthetic && xml_path) {
		set_err(err, errlen, "topology: give a synthetic description or an XML file, not both");
		return NULL;
	}
	if (!synthetic && !xml_path)
		env = env_source(&synthetic, &xml_path);
	t = calloc(1, sizeof(*t));
	if (!t) {
		set_err(err, errlen, "topology: out of memory");
		return NULL;
	}
	if (env)
		t->source = dup_printf("%s=%s", env, synthetic ? synthetic : xml_path);
	else if (synthetic)
		t->source = dup_printf("synthetic topology '%s'", synthetic);
	else if (xml_path)
		t->source = dup_printf("XML topology %s", xml_path);
	else
		t->source = dup_printf("%s", "");
	if (!t->source) {
		set_err(err, errlen, "topology: out of memory");
		free(t);
		return NULL;
	}
	if (hwloc_topology_init(&t->topo)) {
		set_err(err, errlen, "hwloc: cannot initialise a topology: %s", strerror(errno));
		free(t->source);
		free(t);
		return NULL;
	}
	if (set_source(t, synthetic, xml_path, env, err, errlen))
		goto fail;
	if (hwloc_topology_load(t->topo)) {
		const char *why = strerror(errno);	/* before hwloc_version_init() runs */

		if (xml_path)
			set_err(err, errlen, "%s: not an hwloc XML topology (hwloc %s cannot load "
				"it: %s)", t->source, kmb_topo_hwloc_version(), why);
		else
			set_err(err, errlen, "%s%shwloc cannot load the topology: %s", t->source,
				*t->source ? ": " : "", why);
		goto fail;
	}
	if (hwloc_topology_is_thissystem(t->topo)) {
		ret = restrict_to_binding(t->topo);
		if (ret) {
			set_err(err, errlen,
				"hwloc: cannot restrict the topology to this process's CPUs: %s",
				strerror(-ret));
			goto fail;
		}
	}
	if (hwloc_topology_refresh(t->topo)) {
		set_err(err, errlen, "hwloc: cannot refresh the topology: %s", strerror(errno));
		goto fail;
	}
	ret = fill_summary(t);
	if (ret) {
		set_err(err, errlen, "%s%stopology: %s", t->source, *t->source ? ": " : "",
			ret == -ENODEV ? "hwloc found no usable CPUs" :
			ret == -EIO ? "a pinning order does not hold every CPU once (a bug)" :
			strerror(-ret));
		goto fail;
	}
	return t;
fail:
	kmb_topo_free(t);
	return NULL;
}

/* kmb_topo_free - release everything kmb_topo_load() allocated; NULL is a no-op. */
void kmb_topo_free(struct kmb_topo *t)
{
	if (!t)
		return;
	free(t->dist);
	free(t->pus);
	free(t->node_ncpus);
	free(t->scatter);
	free(t->spread);
	free(t->source);
	hwloc_topology_destroy(t->topo);
	free(t);
}

/*
 * The queries below only read fields fixed at load and the refreshed hwloc tree: any thread may
 * call them once kmb_topo_load() has returned.  topology.h says what each returns.
 */
int kmb_topo_num_pus(const struct kmb_topo *t)
{
	return t->npus;
}

int kmb_topo_num_cores(const struct kmb_topo *t)
{
	return t->ncores;
}

int kmb_topo_num_packages(const struct kmb_topo *t)
{
	return t->npackages;
}

int kmb_topo_num_nodes(const struct kmb_topo *t)
{
	return t->nnodes;
}

int kmb_topo_node_os_index(const struct kmb_topo *t, int i)
{
	hwloc_obj_t node;

	if (!node_index_ok(t, i))
		return -EINVAL;
	node = node_obj(t, i);
	return node ? (int)node->os_index : 0;
}

unsigned long long kmb_topo_node_memory(const struct kmb_topo *t, int i)
{
	hwloc_obj_t node;

	if (!node_index_ok(t, i))
		return 0;
	node = node_obj(t, i);
	if (node)
		return node->attr->numanode.local_memory;
	return hwloc_get_root_obj(t->topo)->total_memory;
}

/*
 * The OS numbers of the PUs whose own node is node index @node (-1: those without a node),
 * as "0-3,8-11" into @buf; 0, -ENOSPC (truncated) or -EINVAL.
 */
static int pu_list(const struct kmb_topo *t, int node, char *buf, size_t len)
{
	hwloc_bitmap_t set;
	int n;

	if (!buf || !len || len > INT_MAX)
		return -EINVAL;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -EINVAL;
	for (int p = 0; p < t->npus; p++) {
		if (t->pus[p].node == node && hwloc_bitmap_set(set, (unsigned)t->pus[p].os)) {
			hwloc_bitmap_free(set);
			return -EINVAL;
		}
	}
	n = hwloc_bitmap_iszero(set) ? (buf[0] = '\0', 0) : hwloc_bitmap_list_snprintf(buf, len, set);
	hwloc_bitmap_free(set);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : 0;
}

int kmb_topo_node_cpulist(const struct kmb_topo *t, int i, char *buf, size_t len)
{
	if (!node_index_ok(t, i))
		return -EINVAL;
	return pu_list(t, i, buf, len);
}

int kmb_topo_num_nodeless_cpus(const struct kmb_topo *t)
{
	return t->nnodeless;
}

int kmb_topo_nodeless_cpulist(const struct kmb_topo *t, char *buf, size_t len)
{
	return pu_list(t, -1, buf, len);
}

const char *kmb_topo_source(const struct kmb_topo *t)
{
	return t->source;
}

int kmb_topo_node_distance(const struct kmb_topo *t, int i, int j)
{
	if (!node_index_ok(t, i) || !node_index_ok(t, j))
		return 0;
	return t->dist[i * t->nnodes + j];
}

int kmb_topo_cpu_to_node(const struct kmb_topo *t, int os_cpu)
{
	hwloc_obj_t obj;

	if (os_cpu < 0)
		return -1;
	obj = hwloc_get_pu_obj_by_os_index(t->topo, (unsigned)os_cpu);
	if (!obj || obj->logical_index >= (unsigned)t->npus)
		return -1;
	return kmb_topo_node_os_index(t, t->pus[obj->logical_index].near);
}

int kmb_topo_node_index(const struct kmb_topo *t, int os_node)
{
	for (int i = 0; i < t->nnodes; i++)
		if (kmb_topo_node_os_index(t, i) == os_node)
			return i;
	return -1;
}

int kmb_topo_node_num_cpus(const struct kmb_topo *t, int i)
{
	return node_index_ok(t, i) ? t->node_ncpus[i] : 0;
}

static int topo_distance_cb(void *ctx, int a, int b)
{
	const struct kmb_topo *t = ctx;

	return kmb_topo_node_distance(t, kmb_topo_node_index(t, a), kmb_topo_node_index(t, b));
}

int kmb_topo_farthest_node(const struct kmb_topo *t, int from)
{
	uint64_t with_memory = 0;

	if (kmb_topo_node_index(t, from) < 0)
		return -EINVAL;
	for (int i = 0; i < t->nnodes; i++) {
		int os = kmb_topo_node_os_index(t, i);

		if (os >= 0 && os < KMB_MPOL_MAX_NODES && kmb_topo_node_memory(t, i))
			with_memory |= 1ULL << os;
	}
	return kmb_farthest_node(from, with_memory, topo_distance_cb, (void *)t);
}

int kmb_topo_cache_line_size(const struct kmb_topo *t)
{
	return t->cache_line;
}

const char *kmb_topo_cpu_model(const struct kmb_topo *t)
{
	return t->cpu_model;
}

static const char *const pin_names[KMB_NR_PIN_POLICIES] = {
	[KMB_PIN_NONE] = "none",
	[KMB_PIN_COMPACT] = "compact",
	[KMB_PIN_SCATTER] = "scatter",
	[KMB_PIN_NODE] = "node",
	[KMB_PIN_SPREAD] = "spread",
};

#define PIN_MAX_NODE	4095	/* a node number beyond this is a typo */

/* Exact, case-sensitive; "node" alone is not a plan.  *out is written only on success. */
int kmb_pin_parse(const char *s, struct kmb_pin *out)
{
	char *end;
	long v;

	if (!s || !out)
		return -EINVAL;
	if (!strncmp(s, "node:", 5)) {
		if (!isdigit((unsigned char)s[5]))
			return -EINVAL;
		errno = 0;
		v = strtol(s + 5, &end, 10);
		if (errno || *end || v > PIN_MAX_NODE)
			return -EINVAL;
		*out = (struct kmb_pin){ KMB_PIN_NODE, (int)v };
		return 0;
	}
	for (int i = 0; i < KMB_NR_PIN_POLICIES; i++) {
		if (i != KMB_PIN_NODE && !strcmp(s, pin_names[i])) {
			*out = (struct kmb_pin){ (enum kmb_pin_policy)i, -1 };
			return 0;
		}
	}
	return -EINVAL;
}

const char *kmb_pin_policy_name(enum kmb_pin_policy p)
{
	if ((unsigned)p >= KMB_NR_PIN_POLICIES)
		return "?";
	return pin_names[p];
}

const char *kmb_pin_format(const struct kmb_pin *pin, char *buf, size_t len)
{
	if (pin->policy == KMB_PIN_NODE)
		snprintf(buf, len, "node:%d", pin->node);
	else
		snprintf(buf, len, "%s", kmb_pin_policy_name(pin->policy));
	return buf;
}

/* The OS numbers of the nodes with CPUs, as "0-3,8" (for messages); "none" if there are none. */
static const char *cpu_nodes(const struct kmb_topo *t, char *buf, size_t len)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();

	snprintf(buf, len, "?");
	if (!set)
		return buf;
	for (int i = 0; i < t->nnodes; i++)
		if (t->node_ncpus[i] && hwloc_bitmap_set(set, (unsigned)kmb_topo_node_os_index(t, i)))
			break;
	if (hwloc_bitmap_iszero(set))
		snprintf(buf, len, "none");
	else
		hwloc_bitmap_list_snprintf(buf, len, set);
	hwloc_bitmap_free(set);
	return buf;
}

/*
 * node:N - the node's own PUs, one on each of its cores before any SMT sibling (every PU of
 * rank 0 in logical order, then rank 1, ...).  A CPU without a node of its own is never in
 * a node's plan, even where kmb_topo_cpu_to_node() counts it as this node: it sits in
 * another package, and node:N is how the NUMA matrix measures from node N's own CPUs.
 */
static int plan_node(const struct kmb_topo *t, int os_node, int n, int *cpus, char *err,
		     size_t errlen)
{
	int i = kmb_topo_node_index(t, os_node), k = 0;
	char nodes[256];

	if (i < 0) {
		set_err(err, errlen, "--pin node:%d: there is no NUMA node %d here; nodes with CPUs: %s",
			os_node, os_node, cpu_nodes(t, nodes, sizeof(nodes)));
		return -EINVAL;
	}
	if (!t->node_ncpus[i]) {
		set_err(err, errlen, "--pin node:%d: node %d has no CPUs (memory only); nodes with "
			"CPUs: %s", os_node, os_node, cpu_nodes(t, nodes, sizeof(nodes)));
		return -EINVAL;
	}
	if (n > t->node_ncpus[i]) {
		set_err(err, errlen, "--pin node:%d: %d threads but node %d has only %d CPU%s; use at "
			"most %d thread%s, or --pin spread or none", os_node, n, os_node,
			t->node_ncpus[i], t->node_ncpus[i] == 1 ? "" : "s", t->node_ncpus[i],
			t->node_ncpus[i] == 1 ? "" : "s");
		return -E2BIG;
	}
	for (int r = 0; r < t->nranks && k < n; r++)
		for (int p = 0; p < t->npus && k < n; p++)
			if (t->pus[p].node == i && t->pus[p].rank == r)
				cpus[k++] = t->pus[p].os;
	if (k < n) {	/* cannot happen: node_ncpus[i] counts exactly these PUs */
		set_err(err, errlen, "--pin node:%d: found %d of node %d's %d CPUs (a bug)", os_node,
			k, os_node, t->node_ncpus[i]);
		return -EIO;
	}
	return 0;
}

/*
 * kmb_topo_pin_plan - fill cpus[0..nthreads) with OS CPUs (or -1 for KMB_PIN_NONE).  Binding
 * policies never repeat a CPU: compact, scatter and spread copy the first @nthreads entries
 * of an order that holds every usable PU once (built and checked at load), node:N walks its
 * node's PUs once.  Every loop is bounded by the PU count, so no plan can hang.  Read-only on
 * @t, so any thread may plan; 0 or -errno with a message in @err.
 */
int kmb_topo_pin_plan(const struct kmb_topo *t, const struct kmb_pin *pin, int nthreads,
		      int *cpus, char *err, size_t errlen)
{
	char name[32] = "?";
	int i;

	set_err(err, errlen, "%s", "");
	if (pin)
		kmb_pin_format(pin, name, sizeof(name));
	if (!t || !cpus || !pin) {
		set_err(err, errlen, "--pin %s: no topology, plan or output array", name);
		return -EINVAL;
	}
	if (nthreads <= 0) {
		set_err(err, errlen, "--pin %s: the thread count must be at least 1, not %d",
			name, nthreads);
		return -EINVAL;
	}
	switch (pin->policy) {
	case KMB_PIN_NONE:
		for (i = 0; i < nthreads; i++)
			cpus[i] = -1;
		return 0;
	case KMB_PIN_NODE:
		return plan_node(t, pin->node, nthreads, cpus, err, errlen);
	case KMB_PIN_COMPACT:
	case KMB_PIN_SCATTER:
	case KMB_PIN_SPREAD:
		break;
	default:
		set_err(err, errlen, "--pin: unknown policy %d", (int)pin->policy);
		return -EINVAL;
	}
	if (nthreads > t->npus) {
		set_err(err, errlen,
			"--pin %s: %d threads but only %d CPU%s usable here; use at most %d thread%s, or --pin none",
			name, nthreads, t->npus, t->npus == 1 ? " is" : "s are", t->npus,
			t->npus == 1 ? "" : "s");
		return -E2BIG;
	}
	for (i = 0; i < nthreads; i++) {
		switch (pin->policy) {
		case KMB_PIN_COMPACT:	/* logical order: a core's SMT siblings, then the next */
			cpus[i] = t->pus[i].os;
			break;
		case KMB_PIN_SCATTER:
			cpus[i] = t->scatter[i];
			break;
		default:
			cpus[i] = t->spread[i];
			break;
		}
	}
	return 0;
}

/*
 * kmb_topo_pin_self - bind the calling thread, and only it, to @os_cpu.  STRICT first so the
 * kernel may not move it; where the OS cannot promise that (ENOSYS, EXDEV) a plain binding is
 * still better than none.  0 or -errno; -EINVAL unless @t describes this machine.
 */
int kmb_topo_pin_self(const struct kmb_topo *t, int os_cpu)
{
	hwloc_bitmap_t set;
	int ret, saved;

	if (!t || !t->thissystem || os_cpu < 0 ||
	    !hwloc_get_pu_obj_by_os_index(t->topo, (unsigned)os_cpu))
		return -EINVAL;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -ENOMEM;
	if (hwloc_bitmap_only(set, (unsigned)os_cpu)) {
		hwloc_bitmap_free(set);
		return -ENOMEM;
	}
	ret = hwloc_set_cpubind(t->topo, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT);
	if (ret && (errno == ENOSYS || errno == EXDEV))
		ret = hwloc_set_cpubind(t->topo, set, HWLOC_CPUBIND_THREAD);
	saved = errno;
	hwloc_bitmap_free(set);
	if (!ret)
		return 0;
	return saved ? -saved : -EINVAL;
}

static char hwloc_version_buf[32];
static pthread_once_t hwloc_version_once = PTHREAD_ONCE_INIT;

/*
 * hwloc_get_api_version() is the API level, which lags the release (hwloc 2.9.0 reports
 * 0x20800), so ask the library itself: every loaded topology carries the running library's
 * release in the root's "hwlocVersion" info.  A one-PU synthetic topology is enough.
 */
static void hwloc_version_init(void)
{
	unsigned int v = hwloc_get_api_version();
	hwloc_topology_t topo;
	const char *s = NULL;

	snprintf(hwloc_version_buf, sizeof(hwloc_version_buf), "%u.%u.%u",
		 v >> 16, (v >> 8) & 0xff, v & 0xff);
	if (hwloc_topology_init(&topo))
		return;
	if (!hwloc_topology_set_synthetic(topo, "pu:1") && !hwloc_topology_load(topo))
		s = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "hwlocVersion");
	if (s && *s)
		snprintf(hwloc_version_buf, sizeof(hwloc_version_buf), "%s", s);
	hwloc_topology_destroy(topo);
}

/* kmb_topo_export_xml - the topology as hwloc XML, malloc'd; NULL where it cannot be exported. */
char *kmb_topo_export_xml(const struct kmb_topo *t)
{
	char *buf, *copy;
	int len;

	if (hwloc_topology_export_xmlbuffer(t->topo, &buf, &len, 0))
		return NULL;
	/* hwloc's buffer must go back through hwloc_free_xmlbuffer(): hand out our own copy. */
	copy = strdup(buf);
	hwloc_free_xmlbuffer(t->topo, buf);
	return copy;
}

/* kmb_topo_hwloc_version - the running hwloc's release; thread-safe, never NULL. */
const char *kmb_topo_hwloc_version(void)
{
	pthread_once(&hwloc_version_once, hwloc_version_init);
	return hwloc_version_buf;
}
