/*
 * be_mm.c - the shared part of the kernel-style backends (be_mm.h).
 *
 * The node policy is set by init, from the main thread while no benchmark thread runs, and
 * only read afterwards.  Each thread keeps what the policy derives from its node (the farthest
 * node, the bind order, its interleave position) in thread-local storage, tagged with the
 * init's generation so that a thread left from an earlier backend recomputes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "be_mm.h"
#include "placement.h"
#include "policy.h"

static bool slab_up;
unsigned long kmb_mm_backend_gen;

bool kmb_mm_backend_mpol_on;
static struct kmb_mempolicy mpol;		/* the run's policy, while mpol_on */
static int il_nodes[KMB_MPOL_MAX_NODES];	/* the interleave set, in node order */
static int il_count;

static _Thread_local struct {
	unsigned long gen;		/* kmb_mm_backend_gen this was computed for; 0: never */
	int remote;			/* the node farthest from the thread's */
	int nbind;			/* bind: the set's nodes, nearest to the thread's first */
	int bind[KMB_MPOL_MAX_NODES];
	unsigned int il_next;		/* interleave: the next index into il_nodes */
} pt;

/* Check the run's policy against the model's nodes and remember it. */
static int mpol_setup(const struct kmb_mempolicy *p, char *why, size_t whylen)
{
	uint64_t nodes = p->mode == KMB_MPOL_INTERLEAVE ? kmb_mpol_intended(p, 0) : p->nodes;
	int nr = kmb_mm_nr_nodes();
	char text[256];

	kmb_mm_backend_mpol_on = false;
	if (p->mode == KMB_MPOL_DEFAULT)
		return 0;
	for (int n = nr; n < KMB_MPOL_MAX_NODES; n++) {
		if (nodes >> n & 1) {
			snprintf(why, whylen, "--numa-policy %s: the model has %d node%s (--mm-nodes), "
				 "no node %d", kmb_mpol_format(p, text, sizeof(text)), nr,
				 nr == 1 ? "" : "s", n);
			return -ENODEV;
		}
	}
	mpol = *p;
	il_count = 0;
	for (int n = 0; n < nr && n < KMB_MPOL_MAX_NODES; n++)
		if (nodes >> n & 1)
			il_nodes[il_count++] = n;
	kmb_mm_backend_mpol_on = true;
	return 0;
}

static int model_distance(void *ctx, int a, int b)
{
	(void)ctx;
	return kmb_mm_config()->distance[a][b];
}

/*
 * The thread's node, as numa_node_id() has it (the machine's node, modulo the model's nodes),
 * and what the policy derives from it: the farthest node by the model's distances (the
 * machine's, where the model has the machine's nodes), the bind set in distance order.
 */
int kmb_mm_backend_thread_init(void)
{
	int home = kmb_numa_node_self() % kmb_mm_nr_nodes();
	uint64_t all = kmb_mm_nr_nodes() >= KMB_MPOL_MAX_NODES ? ~0ULL :
		       (1ULL << kmb_mm_nr_nodes()) - 1;
	uint64_t left = mpol.nodes;

	pt.gen = kmb_mm_backend_gen;
	pt.remote = kmb_farthest_node(home, all, model_distance, NULL);
	if (pt.remote < 0)
		pt.remote = home;	/* one node: remote is the only one there is */
	pt.nbind = 0;
	while (mpol.mode == KMB_MPOL_BIND && left) {	/* selection sort by distance */
		int best = -1;

		for (int n = 0; n < KMB_MPOL_MAX_NODES; n++)
			if ((left >> n & 1) && (best < 0 || model_distance(NULL, home, n) <
						model_distance(NULL, home, best)))
				best = n;
		pt.bind[pt.nbind++] = best;
		left &= ~(1ULL << best);
	}
	pt.il_next = 0;
	return 0;
}

void *kmb_mm_backend_alloc_policy(kmb_alloc_node_fn alloc_node, void *ctx, size_t size,
				  gfp_t gfp)
{
	int node = NUMA_NO_NODE;
	void *p;

	if (pt.gen != kmb_mm_backend_gen)
		kmb_mm_backend_thread_init();
	switch (mpol.mode) {
	case KMB_MPOL_NODE:
		node = __builtin_ctzll(mpol.nodes);
		gfp |= __GFP_THISNODE;
		break;
	case KMB_MPOL_PREFERRED:
		node = __builtin_ctzll(mpol.nodes);
		break;
	case KMB_MPOL_REMOTE:
		node = pt.remote;
		gfp |= __GFP_THISNODE;
		break;
	case KMB_MPOL_INTERLEAVE:
		node = il_nodes[pt.il_next++ % (unsigned int)il_count];
		break;
	case KMB_MPOL_BIND:
		for (int i = 0; i < pt.nbind; i++) {
			p = alloc_node(ctx, size, (gfp & ~__GFP_DIRECT_RECLAIM) | __GFP_THISNODE |
				       __GFP_NOWARN, pt.bind[i]);
			if (p)
				return p;
		}
		for (int i = 0; i < pt.nbind && gfpflags_allow_blocking(gfp); i++) {
			p = alloc_node(ctx, size, gfp | __GFP_THISNODE, pt.bind[i]);
			if (p)
				return p;
		}
		return NULL;
	default:	/* local: the thread's node, as NUMA_NO_NODE gives it */
		break;
	}
	return alloc_node(ctx, size, gfp, node);
}

int kmb_mm_backend_init(const struct kmb_backend_config *cfg, bool slab, char *why,
			size_t whylen)
{
	struct kmb_mm_config mc = {
		.nr_nodes = cfg->mm_nodes,
		.node_mem = cfg->node_mem,
		.lowmem_limit = cfg->lowmem_limit,
		.dma_size = cfg->dma_size,
		.pcp = cfg->pcp,
		.pcp_mode = (enum kmb_percpu_mode)cfg->pcp_mode,
	};
	int r = kmb_mm_init(&mc, why, whylen);

	if (r)
		return r;
	kmb_mm_backend_gen++;
	r = mpol_setup(&cfg->mpol, why, whylen);
	if (r) {
		kmb_mm_teardown();
		return r;
	}
	if (!slab)
		return 0;
	kmb_slab_set_debug(cfg->slub_debug);
	kmb_slab_set_percpu((enum kmb_percpu_mode)cfg->slab_mode);
	r = kmem_cache_init();
	if (r) {
		snprintf(why, whylen, "slab: cannot create the kmalloc caches");
		kmb_mm_teardown();
		return r;
	}
	slab_up = true;
	return 0;
}

void kmb_mm_backend_fini(void)
{
	kmb_mm_backend_mpol_on = false;
	if (slab_up)
		kmem_cache_exit();
	slab_up = false;
	kmb_mm_teardown();
}

static int put_text(const struct kmb_stats_sink *sink, const char *key,
		    size_t (*show)(char *, size_t))
{
	size_t need = show(NULL, 0) + 1;
	char *buf = malloc(need);

	if (!buf)
		return -ENOMEM;
	show(buf, need);
	sink->text(sink->ctx, key, buf);
	free(buf);
	return 0;
}

/* A layer's per-CPU mode this process ran (a variant forces one) as @key, and as @key_why
 * why it is not the one asked, when it is not. */
static void put_mode(const struct kmb_stats_sink *sink, const char *key,
		     enum kmb_percpu_mode mode, const char *why)
{
	char key_why[32];

	sink->text(sink->ctx, key, kmb_percpu_mode_name(mode));
	if (*why) {
		snprintf(key_why, sizeof(key_why), "%s_why", key);
		sink->text(sink->ctx, key_why, why);
	}
}

int kmb_mm_backend_stats(const struct kmb_stats_sink *sink)
{
	static const struct {
		const char *key;
		size_t (*show)(char *, size_t);
	} tables[] = {
		{ "nodes", kmb_show_nodes },
		{ "buddyinfo", kmb_show_buddyinfo },
		{ "zoneinfo", kmb_show_zoneinfo },
		{ "extfrag_index", kmb_show_extfrag_index },
		{ "unusable_index", kmb_show_unusable_index },
	};
	struct kmb_mm_stats st;
	enum kmb_percpu_mode pcp_mode;
	const char *pcp_why;
	char key[48];

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (put_text(sink, tables[i].key, tables[i].show))
			return -ENOMEM;
	kmb_mm_get_stats(&st);
	pcp_mode = kmb_mm_pcp_mode(&pcp_why);
	put_mode(sink, "pcp_mode", pcp_mode, pcp_why);
	sink->num(sink->ctx, "nr_nodes", kmb_mm_nr_nodes());
	sink->num(sink->ctx, "managed_pages", (double)st.managed_pages);
	sink->num(sink->ctx, "reserved_pages", (double)st.reserved_pages);
	sink->num(sink->ctx, "free_pages", (double)st.free_pages);
	sink->num(sink->ctx, "pcp_pages", (double)st.pcp_pages);
	for (int o = 0; o < NR_PAGE_ORDERS; o++) {
		snprintf(key, sizeof(key), "pgalloc_order%d", o);
		sink->num(sink->ctx, key, (double)st.pgalloc[o]);
	}
	sink->num(sink->ctx, "pgfree", (double)st.pgfree);
	sink->num(sink->ctx, "alloc_fail", (double)st.alloc_fail);
	sink->num(sink->ctx, "alloc_reserve", (double)st.alloc_reserve);
	sink->num(sink->ctx, "kswapd_wake", (double)st.kswapd_wake);
	sink->num(sink->ctx, "allocstall", (double)st.allocstall);
	sink->num(sink->ctx, "bad_page", (double)st.bad_page);
	for (int o = 0; o < NR_PAGE_ORDERS; o++) {
		snprintf(key, sizeof(key), "fragmentation_index_order%d", o);
		sink->num(sink->ctx, key,
			  kmb_fragmentation_index(-1, ZONE_NORMAL, (unsigned int)o) / 1000.0);
	}
	if (slab_up) {
		struct kmb_slab_stats ss;
		const char *slab_why;

		enum kmb_percpu_mode slab_mode = kmb_slab_percpu_mode(&slab_why);

		put_mode(sink, "slab_mode", slab_mode, slab_why);

		if (put_text(sink, "slabinfo", kmb_show_slabinfo))
			return -ENOMEM;
		kmb_slab_get_stats(&ss);
		sink->num(sink->ctx, "slab_errors", (double)ss.errors);
		sink->num(sink->ctx, "slab_ctor_calls", (double)ss.ctor_calls);
		sink->num(sink->ctx, "slabs_alloc", (double)ss.slabs_alloc);
		sink->num(sink->ctx, "slabs_free", (double)ss.slabs_free);
		sink->num(sink->ctx, "slab_reclaimable_pages", (double)ss.reclaimable_pages);
		sink->num(sink->ctx, "slab_unreclaimable_pages", (double)ss.unreclaimable_pages);
	}
	return 0;
}

int kmb_mm_backend_check(char *why, size_t whylen)
{
	unsigned long problems;
	int r = kmb_mm_check(why, whylen);

	if (r || !slab_up)
		return r;
	problems = kmem_cache_validate(NULL);
	if (problems) {
		snprintf(why, whylen, "slab: kmem_cache_validate found %lu problems (reports on "
			 "stderr)", problems);
		return -EUCLEAN;
	}
	return 0;
}
