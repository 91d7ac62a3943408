/*
 * be_slab.c - backends: slab caches (include/kmbench/slab.h), one cache per object size, in three
 * layouts so that alignment is one flag of a run:
 *   slab           SLAB_HWCACHE_ALIGN: every object starts on an L1 line, none shares one;
 *   slab-packed    natural alignment only (8 bytes below 16, 16 from 16 up): small objects
 *                  share lines, as a cache created without flags does;
 *   slab-colored   SLAB_HWCACHE_ALIGN plus slab colouring: successive slabs start their first
 *                  object a line further on (Bonwick);
 *   slab-nosheaves SLAB_HWCACHE_ALIGN, caches created without sheaves whatever --sheaves says
 *                  (kmem_cache_args.sheaves): SLUB's CPU slabs and partial lists alone, as
 *                  Linux 6.8 to 6.17, beside `slab` in the same run;
 *   slab-bigsheaves SLAB_HWCACHE_ALIGN, caches whose sheaves hold KMEM_CACHE_MAX_SHEAF (256)
 *                  objects whatever their size, as a creator may ask (kmem_cache_args.
 *                  sheaf_capacity): how much of `slab`'s cost at scale is the barn's traffic.
 * and in the four per-CPU modes of the sheaves, whatever the run asks for (slab-none,
 * slab-thread, slab-cpu-lock, slab-cpu-rseq; HWCACHE_ALIGN layout).
 * A cache is created the first time a size is asked for ("slab-<size>"); each thread remembers
 * the caches of the last sizes it used (64 slots by size), so the measured path is
 * kmem_cache_alloc/kmem_cache_free.
 *
 * The object-cache operations (cache_create/alloc/free/destroy of backend.h) are the slab API
 * itself: kmem_cache_create with the variant's flags and the caller's constructor, then
 * kmem_cache_alloc/free/destroy.  The cache is named "<name>-<n>", the caller's name (cut to
 * 40 bytes, blanks as '_') and a counter: names need not be unique in the kernel, but
 * slabinfo reads better when they are.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kmbench/backend.h"
#include "kmbench/slab.h"
#include "be_mm.h"

struct size_cache {
	size_t size;
	slab_flags_t flags;
	struct kmem_cache *cache;
	struct size_cache *next;
};

/* Variants' own flags, above the slab API's: caches created without sheaves, or with the
 * largest sheaves a creator may ask for (kmem_cache_args.sheaf_capacity). */
#define BE_NO_SHEAVES	(1u << 29)
#define BE_BIG_SHEAVES	(1u << 28)
#define BE_FLAGS	(BE_NO_SHEAVES | BE_BIG_SHEAVES)

/* __kmem_cache_create_args with the variant's sheaves. */
static struct kmem_cache *create_cache(const char *name, unsigned int size, slab_flags_t flags,
				       void (*ctor)(void *))
{
	struct kmem_cache_args args = {
		.ctor = ctor,
		.sheaves = (flags & BE_NO_SHEAVES) ? KMEM_SHEAVES_OFF :
			   (flags & BE_BIG_SHEAVES) ? KMEM_SHEAVES_ON : KMEM_SHEAVES_DEFAULT,
		.sheaf_capacity = (flags & BE_BIG_SHEAVES) ? KMEM_CACHE_MAX_SHEAF : 0,
	};

	return __kmem_cache_create_args(name, size, &args, flags & ~BE_FLAGS);
}

static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct size_cache *caches;

/* Each thread remembers the caches of the sizes it used last, direct-mapped by size, so that a
 * workload that mixes sizes also measures kmem_cache_alloc/free and not the lookup. */
#define LAST_SLOTS_SHIFT 6
static _Thread_local struct {
	unsigned long gen;
	size_t size;
	slab_flags_t flags;
	struct kmem_cache *cache;
} last[1u << LAST_SLOTS_SHIFT];

static inline unsigned int last_slot(size_t size)
{
	return (unsigned int)(((uint64_t)size * 0x9e3779b97f4a7c15ULL) >> (64 - LAST_SLOTS_SHIFT));
}

static __attribute__((noinline)) struct kmem_cache *cache_lookup(size_t size, slab_flags_t flags)
{
	struct kmem_cache *s = NULL;
	struct size_cache *c;
	unsigned int i = last_slot(size);

	pthread_mutex_lock(&caches_lock);
	for (c = caches; c; c = c->next)
		if (c->size == size && c->flags == flags)
			break;
	if (!c && size <= KMALLOC_MAX_SIZE && (c = calloc(1, sizeof(*c)))) {
		char name[KMEM_CACHE_NAME_MAX];

		snprintf(name, sizeof(name), "%s-%zu", flags & SLAB_COLOUR ? "slab-colored" :
			 flags & BE_NO_SHEAVES ? "slab-nosheaves" :
			 flags & BE_BIG_SHEAVES ? "slab-bigsheaves" :
			 flags & SLAB_HWCACHE_ALIGN ? "slab" : "slab-packed", size);
		c->size = size;
		c->flags = flags;
		c->cache = create_cache(name, (unsigned int)size, flags, NULL);
		if (c->cache) {
			c->next = caches;
			caches = c;
		} else {
			free(c);
			c = NULL;
		}
	}
	if (c)
		s = c->cache;
	pthread_mutex_unlock(&caches_lock);
	last[i].gen = kmb_mm_backend_generation();
	last[i].size = size;
	last[i].flags = flags;
	last[i].cache = s;
	return s;
}

/* Each variant's last size per thread, tried first: a workload of one size costs two compares
 * and a tail call to the slab API.  @alloc_size is @size, or 0 under a node policy, so that
 * the allocation's fast path, which serves requests without a node, sends them all to the
 * slow path, where the policy picks the node (be_mm.h), at no cost to a run without one. */
struct last_one {
	size_t size;
	size_t alloc_size;
	unsigned long gen;
	struct kmem_cache *cache;
};

static inline struct kmem_cache *cache_for(size_t size, slab_flags_t flags)
{
	unsigned int i = last_slot(size);

	if (__builtin_expect(last[i].size == size && last[i].flags == flags && last[i].cache &&
			     last[i].gen == kmb_mm_backend_generation(), 1))
		return last[i].cache;
	return cache_lookup(size, flags);
}

/* Init with the run's per-CPU mode of the sheaves, or with @mode when the variant fixes one. */
static int slab_init_mode(const struct kmb_backend_config *cfg, enum kmb_percpu_mode mode,
			  char *why, size_t whylen)
{
	return kmb_mm_backend_init(cfg, true, KMB_PERCPU_DEFAULT, mode, why, whylen);
}

static void slab_fini(void)
{
	pthread_mutex_lock(&caches_lock);
	while (caches) {
		struct size_cache *c = caches;

		caches = c->next;
		free(c);	/* the caches themselves go with kmem_cache_exit() */
	}
	pthread_mutex_unlock(&caches_lock);
	kmb_mm_backend_fini();
}

/* --- object caches with constructors (backend.h cache_*) --- */

static atomic_ulong cache_seq;

static void *obj_cache_create(const char *name, size_t size, void (*ctor)(void *),
			      slab_flags_t flags)
{
	char full[KMEM_CACHE_NAME_MAX];

	if (!size || size > KMALLOC_MAX_SIZE)
		return NULL;
	/* Room for the counter: the name is cut to leave "-<n>" inside the limit. */
	snprintf(full, sizeof(full), "%.40s-%lu", name && *name ? name : "cache",
		 atomic_fetch_add_explicit(&cache_seq, 1, memory_order_relaxed));
	for (char *c = full; *c; c++)	/* kmem_cache_create takes printable names only */
		if (!isgraph((unsigned char)*c))
			*c = '_';
	return create_cache(full, (unsigned int)size, flags, ctor);
}

static void *obj_cache_alloc_node(void *cache, size_t size, gfp_t gfp, int node)
{
	(void)size;
	return kmem_cache_alloc_node(cache, gfp, node);
}

/* Under a node policy, the node it picks (be_mm.h), as for alloc. */
static void *obj_cache_alloc(void *cache, gfp_t gfp)
{
	if (__builtin_expect(kmb_mm_backend_mpol_on, 0))
		return kmb_mm_backend_alloc_policy(obj_cache_alloc_node, cache, 0, gfp);
	return kmem_cache_alloc(cache, gfp);
}

static void obj_cache_free(void *cache, void *obj)
{
	if (obj)
		kmem_cache_free(cache, obj);
}

static void obj_cache_destroy(void *cache)
{
	kmem_cache_destroy(cache);	/* objects still allocated: reported, cache kept */
}

#define SLAB_VARIANT(ident, bname, flags_, mode_, desc)				\
	static int ident##_init(const struct kmb_backend_config *cfg, char *why,	\
				size_t whylen)						\
	{										\
		return slab_init_mode(cfg, (mode_), why, whylen);			\
	}										\
	static _Thread_local struct last_one ident##_last;				\
	static __attribute__((noinline)) struct kmem_cache *ident##_cache(size_t size)	\
	{										\
		struct last_one *l = &ident##_last;					\
											\
		l->cache = cache_for(size, (flags_));					\
		l->size = l->cache ? size : 0;						\
		l->alloc_size = kmb_mm_backend_mpol_on ? 0 : l->size;			\
		l->gen = kmb_mm_backend_generation();					\
		return l->cache;							\
	}										\
	static void *ident##_alloc_node(void *ctx, size_t size, gfp_t gfp, int node)	\
	{										\
		struct kmem_cache *s = ident##_cache(size);				\
											\
		(void)ctx;								\
		return s ? kmem_cache_alloc_node(s, gfp, node) : NULL;			\
	}										\
	static __attribute__((noinline)) void *ident##_alloc_slow(size_t size,		\
								   gfp_t gfp, int node)	\
	{										\
		if (kmb_mm_backend_mpol_on && node == NUMA_NO_NODE)			\
			return kmb_mm_backend_alloc_policy(ident##_alloc_node, NULL, size, \
							   gfp);				\
		return ident##_alloc_node(NULL, size, gfp, node);			\
	}										\
	static void *ident##_alloc(size_t size, gfp_t gfp, int node)			\
	{										\
		struct last_one *l = &ident##_last;					\
											\
		if (__builtin_expect(l->alloc_size == size && node == NUMA_NO_NODE &&	\
				     l->gen == kmb_mm_backend_generation(), 1))		\
			return kmem_cache_alloc(l->cache, gfp);				\
		return ident##_alloc_slow(size, gfp, node);				\
	}										\
	static __attribute__((noinline)) void ident##_free_slow(void *p, size_t size)	\
	{										\
		kmem_cache_free(ident##_cache(size), p);				\
	}										\
	static void ident##_free(void *p, size_t size)					\
	{										\
		struct last_one *l = &ident##_last;					\
											\
		if (__builtin_expect(l->size == size &&					\
				     l->gen == kmb_mm_backend_generation(), 1)) {	\
			kmem_cache_free(l->cache, p);	/* NULL is ignored */		\
			return;								\
		}									\
		if (p)									\
			ident##_free_slow(p, size);					\
	}										\
	static void *ident##_cache_create(const char *name, size_t size,		\
					  void (*ctor)(void *))				\
	{										\
		return obj_cache_create(name, size, ctor, (flags_));			\
	}										\
	static const struct kmb_cache_ops ident##_cache_ops = {				\
		.create = ident##_cache_create,						\
		.alloc = obj_cache_alloc,						\
		.free = obj_cache_free,							\
		.destroy = obj_cache_destroy,						\
	};										\
	const struct kmb_backend_ops kmb_backend_##ident = {				\
		.name = bname,								\
		.description = desc,							\
		.caps = KMB_CAP_SIZED_FREE | KMB_CAP_NODE | KMB_CAP_GFP | KMB_CAP_SIZE_CACHES | \
			KMB_CAP_STATS | KMB_CAP_CHECK,					\
		.init = ident##_init,							\
		.fini = slab_fini,							\
		.thread_init = kmb_mm_backend_thread_init,				\
		.alloc = ident##_alloc,							\
		.free = ident##_free,							\
		.stats = kmb_mm_backend_stats,						\
		.usage = kmb_mm_backend_usage,						\
		.state = kmb_mm_backend_state,						\
		.check = kmb_mm_backend_check,						\
		.free_name = slab_free_name,						\
		.cache = &ident##_cache_ops,						\
		.opts = &kmb_mm_backend_opts,						\
	}

static const char *slab_free_name(void)
{
	return "kmem_cache_free";
}

SLAB_VARIANT(slab, "slab", SLAB_HWCACHE_ALIGN, KMB_PERCPU_DEFAULT,
	     "slab caches (kmem_cache_alloc/free), one per size, SLAB_HWCACHE_ALIGN");
SLAB_VARIANT(slab_packed, "slab-packed", 0, KMB_PERCPU_DEFAULT,
	     "slab caches, natural alignment only: small objects share cache lines");
SLAB_VARIANT(slab_colored, "slab-colored", SLAB_HWCACHE_ALIGN | SLAB_COLOUR, KMB_PERCPU_DEFAULT,
	     "slab caches, SLAB_HWCACHE_ALIGN with Bonwick's slab colouring");
SLAB_VARIANT(slab_nosheaves, "slab-nosheaves", SLAB_HWCACHE_ALIGN | BE_NO_SHEAVES,
	     KMB_PERCPU_DEFAULT, "slab caches without sheaves whatever --sheaves says: SLUB's CPU "
	     "slabs and partial lists alone (Linux 6.8-6.17)");
SLAB_VARIANT(slab_bigsheaves, "slab-bigsheaves", SLAB_HWCACHE_ALIGN | BE_BIG_SHEAVES,
	     KMB_PERCPU_DEFAULT, "slab caches whose sheaves hold 256 objects whatever the size "
	     "(kmem_cache_args.sheaf_capacity, the most a cache may ask), with sheaves whatever "
	     "--sheaves says: a batch stays on its CPU instead of passing through the node's barn");
/* The sheaves' per-CPU modes, whatever the run's --slab-percpu says (kmbench/percpu.h). */
SLAB_VARIANT(slab_none, "slab-none", SLAB_HWCACHE_ALIGN, KMB_PERCPU_NONE,
	     "slab caches without per-CPU slots (no CPU slab, no sheaves): objects taken "
	     "from the node lists under their lock, freed with __slab_free");
SLAB_VARIANT(slab_thread, "slab-thread", SLAB_HWCACHE_ALIGN, KMB_PERCPU_THREAD,
	     "slab caches, per-thread sheaves (no lock, like glibc's tcache)");
SLAB_VARIANT(slab_cpu_lock, "slab-cpu-lock", SLAB_HWCACHE_ALIGN, KMB_PERCPU_CPU_LOCK,
	     "slab caches, per-CPU sheaves behind a spinlock");
SLAB_VARIANT(slab_cpu_rseq, "slab-cpu-rseq", SLAB_HWCACHE_ALIGN, KMB_PERCPU_CPU_RSEQ,
	     "slab caches, per-CPU sheaves with rseq fast paths (no lock, no atomic)");
