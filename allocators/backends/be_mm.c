/*
 * be_mm.c - the shared part of the kernel-style backends (be_mm.h).
 *
 * The node policy is set by init, from the main thread while no benchmark thread runs, and
 * only read afterwards.  Each thread keeps what the policy derives from its node (the farthest
 * node, the bind order, its interleave position) in thread-local storage, tagged with the
 * init's generation so that a thread left from an earlier backend recomputes it.
 *
 * The options of these backends (kmb_mm_backend_opts: memory, per-CPU modes, slub_debug) are
 * declared and parsed here, and recorded in the results from here: the harness knows none of
 * them.  Parsing is pure (the state is the caller's); init parses the run's into its own.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "be_mm.h"
#include "placement.h"
#include "policy.h"

static bool slab_up;			/* the run measures the slab layer */
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

/* --- the options (backend.h kmb_backend_optset): physical memory, per-CPU modes, slub_debug --- */

/* The option state; all zero is every option at its default, the library's. */
struct mm_opts {
	int mm_nodes;			/* model NUMA nodes; 0: the machine's */
	size_t node_mem;		/* bytes per model node; 0: KMB_MM_DEFAULT_NODE_MEM */
	size_t lowmem;			/* where HIGHMEM starts; 0: none (all memory low) */
	size_t dma_zone;		/* ZONE_DMA bytes; 0: KMB_MM_DEFAULT_DMA; SIZE_MAX: none */
	int pcp;			/* per-CPU page lists: 1 on, -1 off (mode none); 0: on */
	enum kmb_percpu_mode pcp_mode;	/* their mode; KMB_PERCPU_DEFAULT: the library's */
	enum kmb_percpu_mode slab_mode;	/* the slab sheaves' mode */
	unsigned int slub_debug;	/* SLAB_* debug flags of every cache (kmb_slab_parse_debug) */
	int sheaves;			/* per-CPU sheaves: 1 on, -1 off; 0: on */
	int cpu_partial;		/* cpu_partial objects + 1; 0: the kernel's by size */
	unsigned int sheaf_capacity;	/* objects per sheaf; 0: the kernel's by size */
};

#define OPT_ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* @v in the largest binary unit that divides it: "256M", "4G", "12K", "100". */
static const char *size_str(char *buf, size_t len, size_t v)
{
	static const char unit[] = "GMK";

	for (int i = 0; i < 3; i++) {
		int shift = 30 - 10 * i;

		if (v && !(v & ((1ul << shift) - 1))) {
			snprintf(buf, len, "%zu%c", v >> shift, unit[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%zu", v);
	return buf;
}

static int parse_mm_nodes(void *st, const char *arg, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end || errno)
		return OPT_ERR("'%s' is not a node count; give 1..%d", arg, KMB_MAX_NUMNODES);
	if (v < 1 || v > KMB_MAX_NUMNODES)
		return OPT_ERR("%s is out of range 1..%d", arg, KMB_MAX_NUMNODES);
	((struct mm_opts *)st)->mm_nodes = (int)v;
	return 0;
}

/* A physical-memory size: a multiple of 4M (KMB_MM_GRAIN), at most @max; @none_ok accepts
 * "none", stored as @none. */
static int parse_mm_size(const char *arg, size_t max, bool none_ok, size_t none, size_t *out,
			 char *err, size_t errlen)
{
	const char *or_none = none_ok ? ", or 'none'" : "";
	char maxs[32];
	size_t v;

	if (none_ok && strcmp(arg, "none") == 0) {
		*out = none;
		return 0;
	}
	size_str(maxs, sizeof(maxs), max);
	if (kmb_parse_bytes(arg, ULLONG_MAX, &v))
		return OPT_ERR("'%s' is not a size; give a multiple of 4M up to %s, e.g. 64M%s", arg,
			       maxs, or_none);
	if (v % KMB_MM_GRAIN)
		return OPT_ERR("%s is not a multiple of 4M; give a multiple of 4M up to %s%s", arg,
			       maxs, or_none);
	if (v > max)
		return OPT_ERR("%s is above %s; give a multiple of 4M up to %s%s", arg, maxs, maxs,
			       or_none);
	*out = v;
	return 0;
}

static int parse_node_mem(void *st, const char *arg, char *err, size_t errlen)
{
	return parse_mm_size(arg, KMB_MM_MAX_NODE_MEM, false, 0, &((struct mm_opts *)st)->node_mem,
			     err, errlen);
}

static int parse_lowmem(void *st, const char *arg, char *err, size_t errlen)
{
	return parse_mm_size(arg, KMB_MAX_NUMNODES * KMB_MM_MAX_NODE_MEM, true, 0,
			     &((struct mm_opts *)st)->lowmem, err, errlen);
}

static int parse_dma_zone(void *st, const char *arg, char *err, size_t errlen)
{
	return parse_mm_size(arg, KMB_MM_MAX_NODE_MEM, true, SIZE_MAX,
			     &((struct mm_opts *)st)->dma_zone, err, errlen);
}

/* pcp: on (the library's default mode), off (= none), or a mode; none is also pcp -1. */
static int parse_pcp(void *st, const char *arg, char *err, size_t errlen)
{
	struct mm_opts *mo = st;
	enum kmb_percpu_mode mode = KMB_PERCPU_DEFAULT;

	if (strcmp(arg, "off") == 0)
		mode = KMB_PERCPU_NONE;
	else if (strcmp(arg, "on") && kmb_percpu_mode_parse(arg, &mode))
		return OPT_ERR("'%s' is not valid; valid: on, off, " KMB_PERCPU_MODES, arg);
	mo->pcp_mode = mode;
	mo->pcp = mode == KMB_PERCPU_NONE ? -1 : 1;
	return 0;
}

/* Saved as the mode, or "on": "off" is "none". */
static const char *show_pcp(const void *st, char *buf, size_t len)
{
	const struct mm_opts *mo = st;

	snprintf(buf, len, "%s", mo->pcp_mode != KMB_PERCPU_DEFAULT ?
		 kmb_percpu_mode_name(mo->pcp_mode) : "on");
	return buf;
}

static int parse_slab_percpu(void *st, const char *arg, char *err, size_t errlen)
{
	if (kmb_percpu_mode_parse(arg, &((struct mm_opts *)st)->slab_mode))
		return OPT_ERR("'%s' is not a per-CPU mode; valid: " KMB_PERCPU_MODES, arg);
	return 0;
}

/* Sheaves in front of the CPU slabs (Linux 6.18+, every cache in 7.0), or the CPU slabs alone
 * (Linux 6.8 to 6.17): kmb_slab_set_sheaves. */
static int parse_sheaves(void *st, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "on") && strcmp(arg, "off"))
		return OPT_ERR("'%s' is not a sheaves setting; valid: on, off", arg);
	((struct mm_opts *)st)->sheaves = strcmp(arg, "on") ? -1 : 1;
	return 0;
}

static const char *show_sheaves(const void *st, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ((const struct mm_opts *)st)->sheaves < 0 ? "off" : "on";
}

/* "default" (*@v = -1), or a count from @lo to @hi; else the one-line error naming @what. */
static int parse_count(const char *arg, long lo, long hi, const char *what, long *v, char *err,
		       size_t errlen)
{
	char *end;

	if (!strcmp(arg, "default")) {
		*v = -1;
		return 0;
	}
	*v = strtol(arg, &end, 10);
	if (!*arg || *end || *v < lo || *v > hi)
		return OPT_ERR("'%s' is not %s; valid: %ld to %ld, or default", arg, what, lo, hi);
	return 0;
}

/* A count parse_count read, or "default" for -1. */
static const char *show_count(long v, char *buf, size_t len)
{
	if (v < 0)
		return "default";
	snprintf(buf, len, "%ld", v);
	return buf;
}

/* A CPU partial list's objects (/sys/kernel/slab/<cache>/cpu_partial), or the default. */
static int parse_cpu_partial(void *st, const char *arg, char *err, size_t errlen)
{
	long v;
	int r = parse_count(arg, 0, 65535, "a count of objects", &v, err, errlen);

	if (!r)
		((struct mm_opts *)st)->cpu_partial = (int)v + 1;
	return r;
}

static const char *show_cpu_partial(const void *st, char *buf, size_t len)
{
	return show_count(((const struct mm_opts *)st)->cpu_partial - 1, buf, len);
}

/* Every cache's sheaf_capacity, as a cache's creator asks for one (kmem_cache_args). */
static int parse_sheaf_capacity(void *st, const char *arg, char *err, size_t errlen)
{
	long v;
	int r = parse_count(arg, 1, KMEM_CACHE_MAX_SHEAF, "a sheaf capacity", &v, err, errlen);

	if (!r)
		((struct mm_opts *)st)->sheaf_capacity = v < 0 ? 0 : (unsigned int)v;
	return r;
}

static const char *show_sheaf_capacity(const void *st, char *buf, size_t len)
{
	unsigned int v = ((const struct mm_opts *)st)->sheaf_capacity;

	return show_count(v ? (long)v : -1, buf, len);
}

#define SLUB_DEBUG_VALID "valid: F, Z, P, U, or - for none"

/* The kernel's slub_debug= letters (kmb_slab_parse_debug): F, Z, P, U in any order, or "-". */
static int parse_slub_debug(void *st, const char *arg, char *err, size_t errlen)
{
	slab_flags_t flags;

	if (!*arg)
		return OPT_ERR("empty value; " SLUB_DEBUG_VALID);
	if (kmb_slab_parse_debug(arg, &flags)) {
		const char *c = arg;

		while (*c && strchr("FZPUfzpu", *c))
			c++;
		return OPT_ERR("'%c' is not a slub_debug letter; " SLUB_DEBUG_VALID, *c ? *c : '?');
	}
	((struct mm_opts *)st)->slub_debug = flags;
	return 0;
}

/* The debug flags as the kernel's slub_debug letters, in the order F, Z, P, U; "-": none. */
static const char *show_slub_debug(const void *st, char *buf, size_t len)
{
	static const struct {
		unsigned int flag;
		char letter;
	} letters[] = {
		{ SLAB_CONSISTENCY_CHECKS, 'F' }, { SLAB_RED_ZONE, 'Z' }, { SLAB_POISON, 'P' },
		{ SLAB_STORE_USER, 'U' },
	};
	unsigned int flags = ((const struct mm_opts *)st)->slub_debug;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < len; i++)
		if (flags & letters[i].flag)
			buf[n++] = letters[i].letter;
	if (!n && len > 1)
		buf[n++] = '-';
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return buf;
}

/*
 * What physmem.c would otherwise fail init with, across the options once all are parsed:
 * ZONE_DMA smaller than node 0, HIGHMEM above ZONE_DMA.  The messages name the --KEY form.
 */
static int check_mm(const void *st, char *err, size_t errlen)
{
	const struct mm_opts *o = st;
	size_t mem = o->node_mem ? o->node_mem : KMB_MM_DEFAULT_NODE_MEM;
	size_t dma = o->dma_zone == SIZE_MAX ? 0 : o->dma_zone ? o->dma_zone : KMB_MM_DEFAULT_DMA;
	char a[32], b[32], c[32];

	if (dma >= mem)
		return OPT_ERR("--dma-zone: %s%s is not smaller than the node memory (--node-mem "
			       "%s%s); give a smaller --dma-zone or 'none', or a larger --node-mem",
			       size_str(a, sizeof(a), dma), o->dma_zone ? "" : " (the default)",
			       size_str(b, sizeof(b), mem), o->node_mem ? "" : ", the default");
	if (o->lowmem && o->lowmem < dma + KMB_MM_GRAIN)
		return OPT_ERR("--lowmem: %s is not above the DMA zone (--dma-zone %s%s); give at "
			       "least %s, or 'none'", size_str(a, sizeof(a), o->lowmem),
			       o->dma_zone == SIZE_MAX ? "none" : size_str(b, sizeof(b), dma),
			       o->dma_zone ? "" : ", the default",
			       size_str(c, sizeof(c), dma + KMB_MM_GRAIN));
	return 0;
}

/* One layer's mode: as asked ("default": not given), as this machine runs it, and why not. */
static void context_mode(const struct kmb_context_sink *out, const char *key,
			 enum kmb_percpu_mode want)
{
	char why[256];
	enum kmb_percpu_mode eff = kmb_percpu_mode_resolve(want, why, sizeof(why));

	out->begin(out->ctx, key);
	out->text(out->ctx, "requested", kmb_percpu_mode_name(want));
	out->text(out->ctx, "effective", kmb_percpu_mode_name(eff));
	if (eff != want && want != KMB_PERCPU_DEFAULT)
		out->text(out->ctx, "reason", why);
	out->end(out->ctx);
}

/*
 * The results' record (results/README.md): options.slub_debug, options.mm (the memory options
 * as given, not the library's effective values: 0, "none" or "default" where one was left at
 * its default) and options.percpu.pcp and .slab.
 */
static void context_mm(const void *st, const char *section, const struct kmb_context_sink *out)
{
	const struct mm_opts *o = st;
	char letters[8];

	if (section && strcmp(section, "percpu") == 0) {
		context_mode(out, "pcp", o->pcp_mode);
		context_mode(out, "slab", o->slab_mode);
		return;
	}
	if (section)
		return;
	out->text(out->ctx, "slub_debug", show_slub_debug(st, letters, sizeof(letters)));
	out->text(out->ctx, "sheaves", show_sheaves(st, NULL, 0));
	{
		char cp[16];

		out->text(out->ctx, "cpu_partial", show_cpu_partial(st, cp, sizeof(cp)));
		out->text(out->ctx, "sheaf_capacity", show_sheaf_capacity(st, cp, sizeof(cp)));
	}
	out->begin(out->ctx, "mm");
	out->num(out->ctx, "nodes", o->mm_nodes);
	out->num(out->ctx, "node_mem", (long long)o->node_mem);
	if (o->lowmem)
		out->num(out->ctx, "lowmem", (long long)o->lowmem);
	else
		out->text(out->ctx, "lowmem", "none");
	if (o->dma_zone && o->dma_zone != SIZE_MAX)
		out->num(out->ctx, "dma_zone", (long long)o->dma_zone);
	else
		out->text(out->ctx, "dma_zone", o->dma_zone ? "none" : "default");
	out->text(out->ctx, "pcp", o->pcp > 0 ? "on" : o->pcp < 0 ? "off" : "default");
	out->end(out->ctx);
}

static const struct kmb_backend_opt mm_opt[] = {
	{ "mm-nodes", "N", "model NUMA nodes of the page allocator, 1..64 (default: the "
	  "machine's)", parse_mm_nodes, NULL },
	{ "node-mem", "SIZE", "memory per model node, a multiple of 4M (default 256M)",
	  parse_node_mem, NULL },
	{ "lowmem", "SIZE|none", "physical address where HIGHMEM starts, a multiple of 4M "
	  "(default none: all memory low)", parse_lowmem, NULL },
	{ "dma-zone", "SIZE|none", "ZONE_DMA at the start of node 0, a multiple of 4M (default "
	  "16M)", parse_dma_zone, NULL },
	{ "pcp", "on|off|MODE", "per-CPU page lists in front of the buddy allocator: on (default: "
	  "cpu-rseq where rseq works, else thread), off (= none), or a mode: " KMB_PERCPU_MODES,
	  parse_pcp, show_pcp },
	{ "slab-percpu", "MODE", "per-CPU object caches of the slab caches: " KMB_PERCPU_MODES
	  " (default: cpu-rseq where rseq works, else thread)", parse_slab_percpu, NULL },
	{ "sheaves", "on|off", "per-CPU sheaves in front of every slab cache's CPU slabs, as "
	  "Linux 7.0 (on, default), or the CPU slabs and their partial lists alone, as SLUB up to "
	  "6.17 (off)", parse_sheaves, show_sheaves },
	{ "cpu-partial", "N|default", "objects a CPU's partial list of each slab cache aims at, "
	  "as /sys/kernel/slab/*/cpu_partial: 0 none, default by object size (120, 52, 24, 6)",
	  parse_cpu_partial, show_cpu_partial },
	{ "sheaf-capacity", "N|default", "objects per sheaf of every slab cache, 1..256, as a "
	  "cache's creator asks with kmem_cache_args.sheaf_capacity (default: by object size as "
	  "Linux 7.0's calculate_sheaf_capacity: 60, 28, 12, 4)", parse_sheaf_capacity,
	  show_sheaf_capacity },
	{ "slub-debug", "LETTERS", "slub_debug of every slab cache (slab*, kmalloc, mempool): F "
	  "checks, Z red zones, P poison, U store user; - none (default)", parse_slub_debug,
	  show_slub_debug },
};

const struct kmb_backend_optset kmb_mm_backend_opts = {
	.name = "mm",
	.size = sizeof(struct mm_opts),
	.opt = mm_opt,
	.nopt = sizeof(mm_opt) / sizeof(mm_opt[0]),
	.check = check_mm,
	.context = context_mm,
};

int kmb_mm_backend_init(const struct kmb_backend_config *cfg, bool slab,
			enum kmb_percpu_mode pcp_mode, enum kmb_percpu_mode slab_mode, char *why,
			size_t whylen)
{
	struct mm_opts o;
	struct kmb_mm_config mc;
	int r = kmb_backend_opts_parse(&kmb_mm_backend_opts, cfg->opts, &o, why, whylen);

	if (r)
		return r;
	if (pcp_mode != KMB_PERCPU_DEFAULT) {	/* a variant's own mode */
		o.pcp = pcp_mode == KMB_PERCPU_NONE ? -1 : 1;
		o.pcp_mode = pcp_mode;
	}
	if (slab_mode != KMB_PERCPU_DEFAULT)
		o.slab_mode = slab_mode;
	mc = (struct kmb_mm_config){
		.nr_nodes = o.mm_nodes,
		.node_mem = o.node_mem,
		.lowmem_limit = o.lowmem,
		.dma_size = o.dma_zone,
		.pcp = o.pcp,
		.pcp_mode = o.pcp_mode,
	};
	if (slab) {	/* before kmb_mm_init(), which creates the kmalloc caches */
		kmb_slab_set_debug(o.slub_debug);
		kmb_slab_set_sheaves(o.sheaves >= 0);
		kmb_slab_set_cpu_partial(o.cpu_partial - 1);
		kmb_slab_set_sheaf_capacity(o.sheaf_capacity);
		kmb_slab_set_percpu(o.slab_mode);
	}
	r = kmb_mm_init(&mc, why, whylen);
	if (r)
		return r;
	kmb_mm_backend_gen++;
	r = mpol_setup(&cfg->mpol, why, whylen);
	if (r) {
		kmb_mm_teardown();
		return r;
	}
	slab_up = slab;
	return 0;
}

void kmb_mm_backend_fini(void)
{
	kmb_mm_backend_mpol_on = false;
	slab_up = false;
	kmb_mm_teardown();		/* kmem_cache_exit() first */
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
	sink->num(sink->ctx, "debug_level", kmb_debug_level());
	sink->num(sink->ctx, "stat_level", kmb_stat_level());
	if (kmb_stat_level() >= 1) {	/* the vm events; compiled out of the library below 1 */
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			snprintf(key, sizeof(key), "pgalloc_order%d", o);
			sink->num(sink->ctx, key, (double)st.pgalloc[o]);
		}
		sink->num(sink->ctx, "pgfree", (double)st.pgfree);
		sink->num(sink->ctx, "alloc_fail", (double)st.alloc_fail);
		sink->num(sink->ctx, "alloc_reserve", (double)st.alloc_reserve);
		sink->num(sink->ctx, "kswapd_wake", (double)st.kswapd_wake);
		sink->num(sink->ctx, "allocstall", (double)st.allocstall);
	}
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
		if (kmb_stat_level() >= 1)
			sink->num(sink->ctx, "slab_ctor_calls", (double)ss.ctor_calls);
		sink->num(sink->ctx, "slabs_alloc", (double)ss.slabs_alloc);
		sink->num(sink->ctx, "slabs_free", (double)ss.slabs_free);
		sink->num(sink->ctx, "slab_reclaimable_pages", (double)ss.reclaimable_pages);
		sink->num(sink->ctx, "slab_unreclaimable_pages", (double)ss.unreclaimable_pages);
	}
	return 0;
}

int kmb_mm_backend_usage(struct kmb_backend_usage *u)
{
	struct kmb_mm_stats st;
	unsigned long slab = 0, out, handed;
	unsigned long long objects = 0;

	if (slab_up)
		kmb_slab_usage(&slab, &objects);
	kmb_mm_get_stats(&st);
	out = st.managed_pages > st.free_pages ? st.managed_pages - st.free_pages : 0;
	handed = out > st.pcp_pages + slab ? out - st.pcp_pages - slab : 0;
	u->held = (long long)(out * PAGE_SIZE);
	u->live = (long long)(handed * PAGE_SIZE + objects);
	return 0;
}

int kmb_mm_backend_state(struct kmb_backend_state *s)
{
	struct kmb_zone_frag z[KMB_STATE_ZONES];
	unsigned long long active, total;

	s->zones_total = kmb_zone_frag_info(z, KMB_STATE_ZONES, KMB_STATE_ORDER);
	s->nzones = s->zones_total < KMB_STATE_ZONES ? s->zones_total : KMB_STATE_ZONES;
	for (int i = 0; i < s->nzones; i++) {
		s->zone[i] = (struct kmb_backend_zone_state){
			.node = z[i].node,
			.free_pages = (long long)z[i].free_pages,
			.unusable = z[i].unusable,
			.extfrag = z[i].extfrag,
		};
		snprintf(s->zone[i].zone, sizeof(s->zone[i].zone), "%s", z[i].name);
	}
	s->unusable = kmb_unusable_index(-1, ZONE_NORMAL, KMB_STATE_ORDER);
	s->extfrag = kmb_fragmentation_index(-1, ZONE_NORMAL, KMB_STATE_ORDER);
	s->active_objs = s->num_objs = -1;
	if (slab_up) {
		kmb_slab_objects(&active, &total);
		s->active_objs = (long long)active;
		s->num_objs = (long long)total;
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
