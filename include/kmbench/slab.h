/*
 * slab.h - slab caches and kmalloc: the public API.
 *
 * The object-caching allocator of Bonwick's 1994 paper as Linux carries it (mm/slub.c,
 * mm/slab_common.c, include/linux/slab.h), built on the buddy allocator of kmbench/mm.h.
 * A cache hands out objects of one size carved from slabs of 2^order pages; an object comes
 * back to the cache in its constructed state, so a constructor runs when a slab is populated,
 * not on every allocation.  kmalloc is a set of caches, one per size class, with larger requests
 * going straight to the page allocator.
 *
 * Context: every function may be called from any thread once kmem_cache_init() has run (it
 * is part of kmb_mm_init()).  Allocation may sleep only as the GFP flags allow (the page allocator's rules).
 * kmem_cache_create/destroy and kmb_slab_set_debug are called while no other thread uses the
 * cache concerned (other threads may still hold sheaves of it: destroy gathers every CPU's and
 * every live thread's).  kmem_cache_shrink and the slab shrinker may run while other threads
 * allocate and free in the cache, in every per-CPU mode: they flush every CPU's and every
 * thread's sheaves meanwhile.
 */
#ifndef KMBENCH_SLAB_H
#define KMBENCH_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "kmbench/gfp.h"
#include "kmbench/mm.h"

typedef unsigned int slab_flags_t;

/* Cache flags (include/linux/slab.h names; the bit values are kmbench's). */
#define SLAB_CONSISTENCY_CHECKS	(1u << 0)	/* 'F': check every free, find double frees */
#define SLAB_RED_ZONE		(1u << 1)	/* 'Z': guard bytes around each object */
#define SLAB_POISON		(1u << 2)	/* 'P': free objects filled with POISON_FREE */
#define SLAB_STORE_USER		(1u << 3)	/* 'U': last alloc and free call site per object */
#define SLAB_HWCACHE_ALIGN	(1u << 4)	/* objects on L1 cache-line boundaries */
#define SLAB_CACHE_DMA		(1u << 5)	/* slabs from ZONE_DMA */
#define SLAB_RECLAIM_ACCOUNT	(1u << 6)	/* reclaimable: __GFP_RECLAIMABLE slabs, counted apart */
#define SLAB_PANIC		(1u << 7)	/* creation failure stops the process */
#define SLAB_COLOUR		(1u << 8)	/* kmbench: Bonwick's slab colouring (see slab.c) */
#define SLAB_DEBUG_FLAGS	(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
				 SLAB_STORE_USER)

/* Poison and red-zone bytes (include/linux/poison.h). */
#define POISON_INUSE		0x5a	/* a new object, never constructed */
#define POISON_FREE		0x6b	/* a free object */
#define POISON_END		0xa5	/* the last byte of a free object */
#define SLUB_RED_INACTIVE	0xbb	/* red zone around a free object */
#define SLUB_RED_ACTIVE		0xcc	/* red zone around an allocated object */

#define KMEM_CACHE_NAME_MAX	64	/* longest cache name accepted */

struct kmem_cache;

/*
 * kmem_cache_create - a cache of @size-byte objects aligned to @align (0: the natural minimum,
 * 8 bytes below 16, 16 from 16 up), with @flags and an optional constructor.  The name must be
 * non-empty, printable and shorter than KMEM_CACHE_NAME_MAX.  NULL on failure, with one line on
 * stderr (SLAB_PANIC: the process stops instead).
 */
KMB_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
					     unsigned int align, slab_flags_t flags,
					     void (*ctor)(void *));
/*
 * __kmem_cache_create_args - as kmem_cache_create, with the options of struct kmem_cache_args
 * (include/linux/slab.h, Linux 6.12: align, ctor, sheaf_capacity) plus kmbench's per-cache
 * per-CPU mode and sheaves switch.  @args may be NULL (all defaults).
 */
#define KMEM_CACHE_MAX_SHEAF	256	/* largest sheaf_capacity */
enum kmem_cache_sheaves {
	KMEM_SHEAVES_DEFAULT,		/* kmb_slab_set_sheaves()'s choice (on unless set) */
	KMEM_SHEAVES_ON,		/* per-CPU sheaves in front of the CPU slabs (Linux 6.18+) */
	KMEM_SHEAVES_OFF,		/* the CPU slabs alone (SLUB of Linux 6.8 to 6.17) */
};
struct kmem_cache_args {
	unsigned int align;		/* as kmem_cache_create's */
	void (*ctor)(void *);
	unsigned int sheaf_capacity;	/* objects per per-CPU sheaf (Bonwick's magazine size),
					 * 1..KMEM_CACHE_MAX_SHEAF; 0: the kernel's choice by object
					 * size (calculate_sheaf_capacity, Linux 7.0): 60, 28, 12
					 * or 4.  The kernel takes the larger of its own and this;
					 * kmbench takes this. */
	enum kmb_percpu_mode percpu;	/* KMB_PERCPU_DEFAULT: the mode of kmb_slab_set_percpu */
	enum kmem_cache_sheaves sheaves;	/* with or without sheaves */
};
KMB_API struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int size,
						    const struct kmem_cache_args *args,
						    slab_flags_t flags);

/*
 * kmem_cache_destroy - free the cache.  With objects still allocated it reports them ("objects
 * remaining") and keeps the cache, as the kernel does; returns -EBUSY then, 0 when destroyed.
 */
KMB_API int kmem_cache_destroy(struct kmem_cache *s);

KMB_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags);
KMB_API void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node);
KMB_API void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags);
KMB_API void kmem_cache_free(struct kmem_cache *s, void *obj);
/* All or nothing: returns @size with p[] filled, or 0 with nothing allocated. */
KMB_API int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p);
KMB_API void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);
/* kmem_cache_shrink - flush every CPU's and every thread's sheaves, whatever the per-CPU mode
 * and while other threads use the cache, then give every empty slab back to the page
 * allocator.  Returns 0. */
KMB_API int kmem_cache_shrink(struct kmem_cache *s);
/* The object size the cache was created with. */
KMB_API unsigned int kmem_cache_size(struct kmem_cache *s);
KMB_API const char *kmem_cache_name(const struct kmem_cache *s);

/*
 * kmb_slab_set_debug - the kernel's slub_debug=: debug @flags (SLAB_DEBUG_FLAGS) added to every
 * cache created from now on (the kmalloc caches: call it before kmb_mm_init()).
 * kmb_slab_parse_debug turns the kernel's letters (F, Z, P, U; "-"
 * for none) into flags: 0, or -EINVAL for a letter it does not know.
 */
KMB_API void kmb_slab_set_debug(slab_flags_t flags);
KMB_API int kmb_slab_parse_debug(const char *letters, slab_flags_t *flags);

/*
 * kmb_slab_set_percpu - the per-CPU object caches (sheaves) of every cache created from now
 * on (the kmalloc caches: call it before kmb_mm_init()): KMB_PERCPU_NONE (each object from the node lists under their lock), THREAD, CPU_LOCK,
 * CPU_RSEQ, or DEFAULT (cpu-rseq where rseq works, else thread).  kmb_slab_percpu_mode: the
 * mode caches get now, and when it is not the one asked for, why (one line, else "").
 */
KMB_API void kmb_slab_set_percpu(enum kmb_percpu_mode mode);
KMB_API enum kmb_percpu_mode kmb_slab_percpu_mode(const char **why);

/*
 * kmb_slab_set_sheaves - whether caches created from now on (the kmalloc caches: call it before
 * kmb_mm_init()) have per-CPU sheaves in front of their CPU slabs, as every cache has in Linux
 * 7.0, or the CPU slabs alone, as SLUB was up to 6.17 (and every cache that did not ask for
 * sheaves in 6.18).  On by default.  A cache's own kmem_cache_args.sheaves wins.  Debug caches
 * and mode none have neither.  kmb_slab_sheaves: the setting.
 */
KMB_API void kmb_slab_set_sheaves(bool on);
KMB_API bool kmb_slab_sheaves(void);

/*
 * kmb_slab_set_tools - whether caches created from now on (the kmalloc caches: call it before
 * kmb_mm_init()) tell AddressSanitizer and valgrind's memcheck about their objects: free ones
 * poisoned (memcheck: freed blocks), allocated ones unpoisoned (memcheck: blocks), so a use
 * after free, a double free, an access past an object and a leaked object are the tools'
 * reports (docs/tools.md).  On by default; nothing in a build without the tools (Release).
 * Caches with debug flags do too, beside slub_debug's checks (their red zones and metadata
 * poisoned).  A test that plants a use after free or a double free for slub_debug's own checks
 * to find turns it off, or makes its planted writes where ASan does not check, as the kernel's
 * slub_kunit turns KASAN off around them (kasan_disable_current).
 */
KMB_API void kmb_slab_set_tools(bool on);

/*
 * kmb_slab_set_cpu_partial - the objects a CPU's partial list aims at in caches created from
 * now on, as writing /sys/kernel/slab/<cache>/cpu_partial does to one cache (mm/slub.c
 * slub_set_cpu_partial: the list is drained at DIV_ROUND_UP(2 * @objects, objects per slab)
 * slabs); 0: no CPU partial lists (slabs made partial go to their node's list); -1: the
 * kernel's default by object size (set_cpu_partial: 120, 52, 24, 6).
 */
KMB_API void kmb_slab_set_cpu_partial(int objects);

/*
 * kmb_slab_set_sheaf_capacity - the sheaf_capacity of caches created from now on whose
 * kmem_cache_args ask for none, as if each creator asked for @objects (1..KMEM_CACHE_MAX_SHEAF);
 * 0: the kernel's choice by object size (calculate_sheaf_capacity).
 */
KMB_API void kmb_slab_set_sheaf_capacity(unsigned int objects);

/*
 * kmb_slab_cache_info - what /sys/kernel/slab/<cache>/ shows of a cache's shape (mm/slub.c's
 * sysfs attributes of the same names): the layout, the partial-list limits and the sheaves.
 */
struct kmb_slab_cache_info {
	unsigned int object_size, slab_size, align, order, objs_per_slab;
	unsigned long min_partial;
	unsigned int cpu_partial;	/* objects (slub_cpu_partial); 0: no CPU partial lists */
	unsigned int cpu_partial_slabs;	/* the limit put_cpu_partial drains at */
	unsigned int sheaf_capacity;	/* 0: no sheaves */
	enum kmb_percpu_mode percpu;	/* resolved */
};
KMB_API void kmb_slab_cache_info(const struct kmem_cache *s, struct kmb_slab_cache_info *info);

/* Test hook: the slabs on CPU @cpu's partial list of @s (a racy count); -1 when the cache has
 * no CPU slots (modes none and thread). */
KMB_API int kmb_slab_cpu_partial_slabs(struct kmem_cache *s, int cpu);

/*
 * kmem_cache_init - create the kmalloc caches and register the slab shrinker: kmb_mm_init()
 * calls it; a caller that brings the pages up with kmb_mm_setup() and mem_init() calls it
 * itself.  Idempotent.  0 or -errno.
 * kmem_cache_exit - destroy them and every cache still registered; kmb_mm_teardown() calls it.
 * Idempotent.
 */
KMB_API int kmem_cache_init(void);
KMB_API void kmem_cache_exit(void);

/* --- kmalloc (include/linux/slab.h, mm/slab_common.c) --- */

#define KMALLOC_SHIFT_HIGH	13				/* kmalloc-8k: largest cache */
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE	(PAGE_SIZE << MAX_PAGE_ORDER)	/* 4 MiB */
#define ARCH_KMALLOC_MINALIGN	8

/* kmalloc(0) returns ZERO_SIZE_PTR: not NULL, but faults when used; kfree accepts it. */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((uintptr_t)(x) <= (uintptr_t)ZERO_SIZE_PTR)

KMB_API void *kmalloc(size_t size, gfp_t flags);
KMB_API void *kmalloc_node(size_t size, gfp_t flags, int node);
KMB_API void *kzalloc(size_t size, gfp_t flags);
/* kmalloc_array, kcalloc: NULL when n * size overflows. */
KMB_API void *kmalloc_array(size_t n, size_t size, gfp_t flags);
KMB_API void *kcalloc(size_t n, size_t size, gfp_t flags);
KMB_API void *krealloc(const void *p, size_t new_size, gfp_t flags);
KMB_API size_t ksize(const void *p);
KMB_API void kfree(const void *p);

/* --- statistics --- */

/* /proc/slabinfo, version 2.1 (mm/slab_common.c), every cache; as snprintf. */
KMB_API size_t kmb_show_slabinfo(char *buf, size_t len);

struct kmb_slab_stats {
	unsigned long errors;		/* corruption and misuse reports */
	unsigned long ctor_calls;	/* constructor calls, all caches */
	unsigned long slabs_alloc;	/* slabs taken from the page allocator */
	unsigned long slabs_free;	/* slabs given back */
	unsigned long reclaimable_pages;	/* in slabs of SLAB_RECLAIM_ACCOUNT caches */
	unsigned long unreclaimable_pages;	/* in every other slab */
};
KMB_API void kmb_slab_get_stats(struct kmb_slab_stats *st);

/*
 * kmb_slab_usage - what the slabs hold against what their callers hold: *@pages, the
 * pages in slabs of every cache, and *@live_bytes, the objects in use times their size as
 * created (object_size: a kmalloc cache's, not the size its caller asked for).  In use as
 * /proc/slabinfo's active_objs counts them: objects of the per-CPU slabs and sheaves count as
 * in use.  Any thread, while others allocate: a snapshot, each cache's counts under its node
 * list locks.
 */
KMB_API void kmb_slab_usage(unsigned long *pages, unsigned long long *live_bytes);

/*
 * kmb_slab_objects - /proc/slabinfo's active_objs (*@active) and num_objs (*@total) summed
 * over every cache (slabinfo_show, mm/slab_common.c), counted as kmb_slab_usage counts them.
 * Any thread, while others allocate: a snapshot.
 */
KMB_API void kmb_slab_objects(unsigned long long *active, unsigned long long *total);

/*
 * kmem_cache_validate - walk every slab of @s (every cache when NULL): freelists well formed,
 * counts matching, and, for debug caches, red zones and poison intact.  Problems are reported
 * as they would be on free.  Returns the number of problems found.
 */
KMB_API unsigned long kmem_cache_validate(struct kmem_cache *s);

#endif
