/*
 * mm_backend.c - the shared part of the kernel-style backends (mm_backend.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "mm_backend.h"

static bool slab_up;
unsigned long kmb_mm_backend_gen;

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
