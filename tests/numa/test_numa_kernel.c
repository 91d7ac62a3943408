/*
 * test_numa_kernel.c - the kernel-style allocators on real nodes: the model's node n is a memfd
 * bound to the machine's node n, so a frame that says page_to_nid() == n must be on node n
 * for the kernel too.  On a machine with several nodes:
 *
 *   - alloc_pages_node(n) frames, kmem_cache_alloc_node(n) and kmalloc_node(n) objects live on
 *     node n (move_pages, get_mempolicy);
 *   - when node a is exhausted, __GFP_THISNODE fails, and an allocation without it falls back
 *     to the node nearest to a by /sys distances (the zonelist's order);
 *   - each CPU's per-CPU unit (alloc_percpu) lies on that CPU's node;
 *   - the buddy, slab and kmalloc backends under each node policy (their node selection,
 *     allocators/backends/be_mm.h) put their memory where the policy says, from a thread
 *     on each node with CPUs.
 *
 * Exit 77 with fewer than two nodes with memory.
 */
#define _GNU_SOURCE
#include "numa_test.h"
#include "kmbench/backend.h"
#include "kmbench/mm.h"
#include "kmbench/percpu.h"
#include "kmbench/slab.h"
#include "placement.h"
#include "policy.h"

#define NODE_MEM	(32UL << 20)
/* The backends' options (be_mm.c) for the same model: NODE_MEM per node, no DMA zone. */
static const char *const backend_opts[] = { "node-mem=32M", "dma-zone=none", NULL };
#define NOWAIT		(GFP_NOWAIT | __GFP_NOWARN)

static uint64_t mem, cpus;

/* Where the kernel says @p is, checked against page_to_nid() of its frame. */
static void on_node(void *p, int want, const char *what)
{
	struct kmb_placement pl = { .intended = 1ULL << want };
	int model = page_to_nid(virt_to_page(p));

	CHECK(model == want, "%s: model node %d, want %d", what, model, want);
	CHECK(kmb_placement_check(&pl, &p, 1) == 0 && pl.per_node[want] == 1,
	      "%s: move_pages does not put it on node %d (%s)", what, want, pl.why);
	CHECK(page_node(p) == want, "%s: get_mempolicy says node %d, want %d", what,
	      page_node(p), want);
}

static int boot(void)
{
	struct kmb_mm_config c = { .node_mem = NODE_MEM, .dma_size = SIZE_MAX };
	char why[256];
	int r = kmb_mm_init(&c, why, sizeof(why));

	CHECK(r == 0, "kmb_mm_init: %s", why);
	return r;
}

static void test_node_allocs(void)
{
	struct kmem_cache *s;
	char what[64];

	if (boot())
		return;
	CHECK(kmb_mm_nr_nodes() >= 64 - __builtin_clzll(mem), "model nodes %d, memory nodes %#llx",
	      kmb_mm_nr_nodes(), (unsigned long long)mem);
	CHECK(kmem_cache_init() == 0, "kmem_cache_init");
	s = kmem_cache_create("numa-test", 256, 0, 0, NULL);
	CHECK(s != NULL, "kmem_cache_create");
	for (int n = 0; n < 64; n++) {
		struct page *page;
		void *obj;

		if (!(mem >> n & 1))
			continue;
		for (unsigned int order = 0; order <= 3; order += 3) {
			page = alloc_pages_node(n, GFP_KERNEL, order);
			snprintf(what, sizeof(what), "alloc_pages_node(%d, order %u)", n, order);
			CHECK(page != NULL, "%s: NULL", what);
			if (!page)
				continue;
			memset(page_address(page), 1, PAGE_SIZE << order);
			on_node(page_address(page), n, what);
			on_node((char *)page_address(page) + (PAGE_SIZE << order) - 1, n, what);
			__free_pages(page, order);
		}
		if (s) {
			obj = kmem_cache_alloc_node(s, GFP_KERNEL | __GFP_THISNODE, n);
			snprintf(what, sizeof(what), "kmem_cache_alloc_node(%d)", n);
			CHECK(obj != NULL, "%s: NULL", what);
			if (obj) {
				memset(obj, 2, 256);
				on_node(obj, n, what);
				kmem_cache_free(s, obj);
			}
		}
		obj = kmalloc_node(100, GFP_KERNEL, n);
		snprintf(what, sizeof(what), "kmalloc_node(100, %d)", n);
		CHECK(obj != NULL, "%s: NULL", what);
		if (obj) {
			memset(obj, 3, 100);
			on_node(obj, n, what);
			kfree(obj);
		}
	}
	if (s)
		kmem_cache_destroy(s);
	kmem_cache_exit();
	kmb_mm_teardown();
}

/* Exhaust node @a with __GFP_THISNODE; then one more page must come from the nearest node. */
static void test_fallback(void)
{
	size_t max = NODE_MEM / PAGE_SIZE + 1, n = 0;
	struct page **pages = calloc(max, sizeof(*pages));
	int a = 63 - __builtin_clzll(mem), near = sys_nearest(a, mem);
	struct page *extra;
	char what[96];

	CHECK(pages != NULL, "calloc");
	if (!pages || boot()) {
		free(pages);
		return;
	}
	while (n < max && (pages[n] = alloc_pages_node(a, NOWAIT | __GFP_THISNODE, 0)))
		n++;
	CHECK(n > 0 && n < max, "node %d gave %zu pages with __GFP_THISNODE", a, n);
	for (size_t i = 0; i < n; i += 97)
		CHECK(page_to_nid(pages[i]) == a, "THISNODE page %zu on model node %d", i,
		      page_to_nid(pages[i]));
	CHECK(alloc_pages_node(a, NOWAIT | __GFP_THISNODE, 0) == NULL,
	      "node %d exhausted, yet __GFP_THISNODE succeeded", a);
	extra = alloc_pages_node(a, NOWAIT, 0);
	snprintf(what, sizeof(what), "fallback from exhausted node %d (nearest: %d)", a, near);
	CHECK(extra != NULL, "%s: NULL", what);
	if (extra) {
		memset(page_address(extra), 4, PAGE_SIZE);
		on_node(page_address(extra), near, what);
		__free_page(extra);
	}
	while (n--)
		__free_page(pages[n]);
	free(pages);
	kmb_mm_teardown();
}

/* Each CPU's copy of a per-CPU variable lies on the CPU's node (units bound by mbind). */
static void test_percpu(void)
{
	long __percpu *v = alloc_percpu(long);
	char what[64];

	CHECK(v != NULL, "alloc_percpu");
	if (!v)
		return;
	for (int cpu = 0; cpu < 64 && cpu < nr_cpu_ids(); cpu++) {
		int node = sys_node_of_cpu(cpu);
		long *copy = per_cpu_ptr(v, cpu);
		struct kmb_placement pl = { .intended = 1ULL << (node < 0 ? 0 : node) };
		void *p = copy;

		if (node < 0 || !(mem >> node & 1))
			continue;	/* offline, or a CPU of a node without memory */
		*copy = cpu;
		snprintf(what, sizeof(what), "per-CPU copy of CPU %d", cpu);
		CHECK(kmb_placement_check(&pl, &p, 1) == 0 && pl.per_node[node] == 1,
		      "%s: not on node %d", what, node);
		CHECK(page_node(copy) == node, "%s: get_mempolicy node %d, want %d", what,
		      page_node(copy), node);
	}
	free_percpu(v);
}

/* @backend under @text, from a thread on node @home: 32 objects of @size; their nodes. */
static void backend_policy(const char *backend, const char *text, int home, size_t size)
{
	const struct kmb_backend_ops *b = kmb_backend_find(backend);
	struct kmb_backend_config cfg = {
		.nthreads = 1, .max_size = size, .opts = backend_opts,
	};
	struct kmb_placement pl;
	void *objs[32];
	char why[256], what[128];
	uint64_t intended;
	int r, got = 0;

	snprintf(what, sizeof(what), "%s under %s from node %d", backend, text, home);
	CHECK(kmb_mpol_parse(text, &cfg.mpol, why, sizeof(why)) == 0, "%s: %s", what, why);
	r = b->init(&cfg, why, sizeof(why));
	CHECK(r == 0, "%s: init: %s", what, why);
	if (r)
		return;
	CHECK(run_on_node(home) == 0, "%s: cannot run there", what);
	b->thread_init();
	intended = kmb_mpol_intended(&cfg.mpol, home);
	pl = (struct kmb_placement){ .intended = intended };
	for (; got < 32; got++) {
		objs[got] = b->alloc(size, GFP_KERNEL, NUMA_NO_NODE);
		if (!objs[got])
			break;
		memset(objs[got], 5, size);
	}
	CHECK(got == 32, "%s: %d of 32 allocations", what, got);
	CHECK(kmb_placement_check(&pl, objs, (size_t)got) == 0, "%s: %s", what, pl.why);
	CHECK(kmb_placement_fraction(&pl) == 1.0, "%s: %u of %u on the intended nodes", what,
	      pl.on_target, pl.known);
	for (int i = 0; i < got && strcmp(backend, "libnuma"); i++) {	/* the model's frames */
		int model = page_to_nid(virt_to_page(objs[i]));

		CHECK(model < 64 && (intended >> model & 1), "%s: object %d on model node %d",
		      what, i, model);
	}
	if (cfg.mpol.mode == KMB_MPOL_INTERLEAVE)	/* one node per allocation, in turn */
		for (int n = 0; n < 64; n++)
			CHECK(!(intended >> n & 1) || pl.per_node[n] > 0, "%s: node %d got none",
			      what, n);
	while (got--)
		b->free(objs[got], size);
	b->fini();
}

static void test_backends(void)
{
	static const char *const backends[] = { "buddy", "slab", "kmalloc", "libnuma" };
	static const size_t sizes[] = { 4096, 4096, 256, 4096 };
	char text[64];
	int lo = __builtin_ctzll(mem), hi = 63 - __builtin_clzll(mem);

	for (int h = 0; h < 64; h++) {
		if (!(cpus >> h & 1))
			continue;
		for (size_t k = 0; k < 4; k++) {
			backend_policy(backends[k], "remote", h, sizes[k]);
			backend_policy(backends[k], "interleave", h, sizes[k]);
			snprintf(text, sizeof(text), "bind:%d,%d", lo, hi);
			backend_policy(backends[k], text, h, sizes[k]);
			if (mem >> h & 1)
				backend_policy(backends[k], "local", h, sizes[k]);
			for (int n = 0; n < 64; n++) {
				if (!(mem >> n & 1))
					continue;
				snprintf(text, sizeof(text), "node:%d", n);
				backend_policy(backends[k], text, h, sizes[k]);
				snprintf(text, sizeof(text), "preferred:%d", n);
				backend_policy(backends[k], text, h, sizes[k]);
			}
		}
	}
}

int main(void)
{
	mem = sys_nodes("has_memory");
	cpus = sys_nodes("has_cpu");
	need_nodes(mem, 2, "with memory");
	test_node_allocs();
	test_fallback();
	test_percpu();
	test_backends();
	return numa_test_done("test_numa_kernel");
}
