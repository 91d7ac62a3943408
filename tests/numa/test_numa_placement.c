/*
 * test_numa_placement.c - the placement check reports the right fractions on real nodes.
 *
 * A buffer whose first half is bound (mbind) to node a and second half to node b must tally
 * exactly half on each: fraction 0.5 for {a}, 0.5 for {b}, 1 for {a, b}, 0 for any other
 * node; every page agrees with get_mempolicy.  Then the harness's probe (harness/probe.c), as
 * a run uses it: glibc and mmap under the thread policy node:b, buddy and libnuma with node:b
 * as their node selection, each reporting 1.0 for {b} and 0 for {a}.  Exit 77 with fewer
 * than two nodes with memory.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>

#include "numa_test.h"
#include "kmbench/backend.h"
#include "placement.h"
#include "policy.h"
#include "run.h"

#define PAGES	64

static void test_halves(int a, int b, uint64_t mem)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *buf = mmap(NULL, PAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	void *pages[PAGES];
	struct kmb_placement pl;
	uint64_t others = ~(1ULL << a | 1ULL << b);

	CHECK(buf != MAP_FAILED, "mmap");
	if (buf == MAP_FAILED)
		return;
	CHECK(kmb_numa_bind(buf, PAGES / 2 * psz, a) == 0, "mbind to %d", a);
	CHECK(kmb_numa_bind(buf + PAGES / 2 * psz, PAGES / 2 * psz, b) == 0, "mbind to %d", b);
	for (int i = 0; i < PAGES; i++) {
		buf[i * psz] = 1;
		pages[i] = buf + i * psz;
		CHECK(page_node(pages[i]) == (i < PAGES / 2 ? a : b), "page %d on node %d", i,
		      page_node(pages[i]));
	}
	pl = (struct kmb_placement){ .intended = 1ULL << a };
	CHECK(kmb_placement_check(&pl, pages, PAGES) == 0, "check: %s", pl.why);
	CHECK(pl.pages == PAGES && pl.known == PAGES, "%u pages, %u known", pl.pages, pl.known);
	CHECK(pl.per_node[a] == PAGES / 2 && pl.per_node[b] == PAGES / 2, "per node %u %u",
	      pl.per_node[a], pl.per_node[b]);
	CHECK(kmb_placement_fraction(&pl) == 0.5, "{%d}: %.3f", a, kmb_placement_fraction(&pl));
	pl = (struct kmb_placement){ .intended = 1ULL << b };
	kmb_placement_check(&pl, pages, PAGES);
	CHECK(kmb_placement_fraction(&pl) == 0.5, "{%d}: %.3f", b, kmb_placement_fraction(&pl));
	pl = (struct kmb_placement){ .intended = 1ULL << a | 1ULL << b };
	kmb_placement_check(&pl, pages, PAGES);
	CHECK(kmb_placement_fraction(&pl) == 1.0, "{%d,%d}: %.3f", a, b,
	      kmb_placement_fraction(&pl));
	pl = (struct kmb_placement){ .intended = others & mem };
	kmb_placement_check(&pl, pages, PAGES);
	CHECK(kmb_placement_fraction(&pl) == 0.0, "other nodes: %.3f", kmb_placement_fraction(&pl));
	munmap(buf, PAGES * psz);
}

struct probe_job {
	const struct kmb_backend_ops *be;
	struct kmb_mempolicy node_b;
	int a;
	bool apply;		/* the harness's way: the thread's policy */
	struct kmb_placement pl, wrong;
	char why[256];
	int r;
};

/*
 * On a fresh thread, as a benchmark thread: its policy first, then the probe.  Fresh, so that
 * glibc gives it an arena of its own, whose pages are all faulted under the policy (the main
 * arena holds pages faulted earlier, wherever they were: the truth of malloc, but not this
 * test's question), and the policy before anything that could malloc, as the harness does.
 */
static void *probe_thread(void *arg)
{
	struct probe_job *j = arg;
	int home = kmb_numa_node_self();	/* allocates nothing (placement.h) */

	if (j->apply && (j->r = kmb_mpol_apply_self(&j->node_b, home, j->why, sizeof(j->why))))
		return NULL;
	if (j->be->thread_init)
		j->be->thread_init();
	kmb_probe_placement(j->be, 4096, kmb_mpol_intended(&j->node_b, home), &j->pl);
	kmb_probe_placement(j->be, 4096, 1ULL << j->a, &j->wrong);
	kmb_mpol_reset_self();
	return NULL;
}

/* The probe of a run, for @backend under node:@b. */
static void test_probe(const char *backend, int a, int b)
{
	struct probe_job j = { .be = kmb_backend_find(backend), .node_b = { KMB_MPOL_NODE, 1ULL << b },
			       .a = a };
	static const char *const opts[] = { "node-mem=32M", "dma-zone=none", NULL };
	struct kmb_backend_config cfg = { .nthreads = 1, .max_size = 1 << 20, .opts = opts };
	char why[256];
	pthread_t tid;

	j.apply = !(j.be->caps & KMB_CAP_NODE);
	if (!j.apply)
		cfg.mpol = j.node_b;	/* the backend selects the node */
	CHECK(j.be->init(&cfg, why, sizeof(why)) == 0, "%s init: %s", backend, why);
	CHECK(pthread_create(&tid, NULL, probe_thread, &j) == 0, "pthread_create");
	pthread_join(tid, NULL);
	CHECK(j.r == 0, "%s: %s", backend, j.why);
	CHECK(j.pl.err == 0 && j.pl.known > 0, "%s probe: %s", backend, j.pl.why);
	CHECK(kmb_placement_fraction(&j.pl) == 1.0, "%s probe under node:%d: %u of %u on it",
	      backend, b, j.pl.on_target, j.pl.known);
	CHECK(kmb_placement_fraction(&j.wrong) == 0.0, "%s probe against node %d: %.3f", backend,
	      a, kmb_placement_fraction(&j.wrong));
	j.be->fini();
}

int main(void)
{
	uint64_t mem = sys_nodes("has_memory");
	int a, b;

	need_nodes(mem, 2, "with memory");
	a = __builtin_ctzll(mem);
	b = 63 - __builtin_clzll(mem);
	test_halves(a, b, mem);
	test_halves(b, a, mem);
	test_probe("mmap", a, b);
	test_probe("glibc", a, b);
	test_probe("buddy", a, b);
	test_probe("libnuma", a, b);
	return numa_test_done("test_numa_placement");
}
