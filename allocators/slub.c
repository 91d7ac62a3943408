/*
 * slub.c - slab caches in the manner of mm/slub.c.
 *
 * Objects are carved from slabs of 2^order frames; free objects are chained through a pointer
 * stored in the object (at s->offset: its middle, or after it when poisoning or a constructor
 * needs the whole object).  Each CPU slot holds one frozen slab and a private freelist of its
 * objects: the fast paths pop and push that list under the slot's lock (kmbench's counterpart of
 * the kernel's this_cpu_cmpxchg; the per-CPU issue replaces the lock with rseq).  Everything
 * else happens under the node's list_lock: frees into a slab that is not this slot's, refills
 * from the partial list, and the return of empty slabs to the page allocator.  Caches with debug
 * flags take the locked path for every object, with the checks of slab_debug.c, as SLUB's
 * debug caches do.
 *
 * The order of a slab follows calculate_order(): the smallest order up to
 * PAGE_ALLOC_COSTLY_ORDER that holds at least 4 * (fls(nr_cpus) + 1) objects and wastes at most
 * 1/16 of the slab, relaxing first the waste and then the object count.
 *
 * Constructors run when a slab is created, on every object (setup_object()); an object
 * returns to the cache in its constructed state, so a reallocation runs no constructor.
 *
 * Invariants: see slab.h for the states and locks.  A slab's free objects are exactly those
 * on its freelist plus, while frozen, those on its slot's freelist; inuse + free = objects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab.h"

pthread_mutex_t slab_mutex = PTHREAD_MUTEX_INITIALIZER;
struct list_head slab_caches = { &slab_caches, &slab_caches };
slab_flags_t slub_debug;
atomic_ulong slab_stat_alloc, slab_stat_free, slab_stat_errors;
atomic_long slab_pages[2];

#define MAX_OBJS_PER_SLAB	32767
#define ALIGN_UP(x, a)		(((x) + (a) - 1) / (a) * (a))

static unsigned int fls_u(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* calc_slab_order (mm/slub.c): the lowest order whose leftover is at most 1/fract. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_objects,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order = get_order((unsigned long)min_objects * size);

	for (; order <= max_order; order++) {
		unsigned long slab_size = PAGE_SIZE << order;
		unsigned long rem = slab_size % size;

		if (rem <= slab_size / fract_leftover)
			break;
	}
	return order;
}

static unsigned int calculate_order(unsigned int size)
{
	unsigned int min_objects = 4 * (fls_u((unsigned int)kmb_mm.nr_cpus) + 1);
	unsigned int max_objects = order_objects(PAGE_ALLOC_COSTLY_ORDER, size), order;

	if (min_objects > max_objects)
		min_objects = max_objects;
	for (; min_objects > 1; min_objects--)
		for (unsigned int fraction = 16; fraction >= 4; fraction /= 2) {
			order = calc_slab_order(size, min_objects, PAGE_ALLOC_COSTLY_ORDER,
						fraction);
			if (order <= PAGE_ALLOC_COSTLY_ORDER)
				return order;
		}
	order = calc_slab_order(size, 1, PAGE_ALLOC_COSTLY_ORDER, 1);
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return order;
	return calc_slab_order(size, 1, MAX_PAGE_ORDER, 1);
}

/*
 * calculate_sizes (mm/slub.c): the object's layout.
 *   [left red zone][object][right red zone][free pointer][track alloc][track free][pad]
 * Parts exist only with their flags; without poisoning or a constructor the free pointer lives
 * in the middle of the object instead.
 */
static int calculate_sizes(struct kmem_cache *s)
{
	unsigned int size = ALIGN_UP(s->object_size, (unsigned int)sizeof(void *));

	if ((s->flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);		/* a right red zone of at least a word */
	s->inuse = size;
	if ((s->flags & SLAB_POISON) || s->ctor) {
		s->offset = size;
		size += sizeof(void *);
	} else {
		s->offset = s->object_size / 2 / sizeof(void *) * sizeof(void *);
	}
	if (s->flags & SLAB_STORE_USER)
		size += 2 * sizeof(struct track);
	if (s->flags & SLAB_RED_ZONE) {
		s->red_left_pad = ALIGN_UP((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	s->size = ALIGN_UP(size, s->align);
	s->order = calculate_order(s->size);
	s->objects = order_objects(s->order, s->size);
	if (!s->objects || s->objects > MAX_OBJS_PER_SLAB)
		return -EINVAL;
	/* mm/slab.c: the colour step is a cache line, or the alignment when that is larger */
	s->colour_off = (unsigned int)cache_line_size();
	if (s->colour_off < s->align)
		s->colour_off = s->align;
	s->colours = (s->flags & SLAB_COLOUR) ?
		(unsigned int)(((PAGE_SIZE << s->order) - (unsigned long)s->objects * s->size) /
			       s->colour_off) + 1 : 1;
	/* set_min_partial(): ilog2(size) / 2, clamped to 5..10 */
	s->min_partial = (fls_u(s->size) - 1) / 2;
	s->min_partial = s->min_partial < 5 ? 5 : s->min_partial > 10 ? 10 : s->min_partial;
	return 0;
}

int kmem_cache_open(struct kmem_cache *s)
{
	if (s->ctor)
		s->flags &= ~SLAB_POISON;	/* the kernel drops poisoning for ctor caches */
	if (calculate_sizes(s))
		return -EINVAL;
	s->allocflags = (s->flags & SLAB_CACHE_DMA) ? __GFP_DMA : 0;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;	/* calculate_sizes() in mm/slub.c */
	if (posix_memalign((void **)&s->cpu_slab, 64,
			   sizeof(*s->cpu_slab) * (size_t)kmb_mm.nr_cpus))
		return -ENOMEM;
	memset(s->cpu_slab, 0, sizeof(*s->cpu_slab) * (size_t)kmb_mm.nr_cpus);
	for (int cpu = 0; cpu < kmb_mm.nr_cpus; cpu++) {
		spin_lock_init(&s->cpu_slab[cpu].lock);
		s->cpu_slab[cpu].node = NUMA_NO_NODE;
	}
	for (int n = 0; n < KMB_MAX_NUMNODES; n++) {
		struct kmem_cache_node *kn = &s->node[n];

		spin_lock_init(&kn->list_lock);
		INIT_LIST_HEAD(&kn->partial);
		INIT_LIST_HEAD(&kn->full);
	}
	return 0;
}

/* --- slabs --- */

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int node)
{
	return &s->node[node];
}

/* new_slab (allocate_slab + shuffle-free setup): frames, metadata, objects chained, ctors. */
static struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int node)
{
	gfp_t flags = (gfp & ~__GFP_ZERO) | s->allocflags;
	struct page *page = alloc_pages_node(node, flags, s->order);
	struct kmem_cache_node *n;
	struct slab *slab;
	char *p, *prev = NULL;

	if (!page)
		return NULL;
	slab = page_slab(page);
	page_set(page, PG_slab);
	for (unsigned long i = 1; i < (1UL << s->order); i++)
		page[i].lru.next = (struct list_head *)((uintptr_t)page | 1);
	slab->slab_cache = s;
	slab->objects = (uint16_t)s->objects;
	slab->inuse = 0;
	slab->frozen = 0;
	slab->colour = 0;
	n = get_node(s, slab->node);
	if (s->colours > 1) {
		spin_lock(&n->list_lock);
		slab->colour = (uint16_t)((n->colour_next++ % s->colours) * s->colour_off);
		spin_unlock(&n->list_lock);
	}
	p = slab_first_object(s, slab);
	if (s->flags & SLAB_DEBUG_FLAGS)
		memset(slab_address(slab), POISON_INUSE, PAGE_SIZE << s->order);
	for (unsigned int i = 0; i < s->objects; i++, p += s->size) {
		if (s->flags & SLAB_DEBUG_FLAGS) {
			slab_debug_init_object(s, p, SLUB_RED_INACTIVE);
			slab_debug_init_tracking(s, p);
		}
		if (s->ctor)
			s->ctor(p);
		if (prev)
			set_freepointer(s, prev, p);
		else
			slab->freelist = p;
		prev = p;
	}
	set_freepointer(s, prev, NULL);
	if (s->ctor)
		atomic_fetch_add_explicit(&s->ctor_calls, s->objects, memory_order_relaxed);
	atomic_fetch_add_explicit(&slab_stat_alloc, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&slab_pages[!!(s->flags & SLAB_RECLAIM_ACCOUNT)],
				  1L << s->order, memory_order_relaxed);
	spin_lock(&n->list_lock);
	n->nr_slabs++;
	n->total_objects += s->objects;
	spin_unlock(&n->list_lock);
	return slab;
}

/* discard_slab: back to the page allocator.  No lock held. */
static void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	struct page *page = slab_page(slab);
	struct kmem_cache_node *n = get_node(s, slab->node);

	spin_lock(&n->list_lock);
	n->nr_slabs--;
	n->total_objects -= s->objects;
	spin_unlock(&n->list_lock);
	for (unsigned long i = 1; i < (1UL << s->order); i++)
		page[i].lru.next = NULL;
	page_clear(page, PG_slab);
	slab->slab_cache = NULL;
	slab->freelist = NULL;
	atomic_fetch_add_explicit(&slab_stat_free, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&slab_pages[!!(s->flags & SLAB_RECLAIM_ACCOUNT)],
				  1L << s->order, memory_order_relaxed);
	__free_pages(page, s->order);
}

static inline void add_partial(struct kmem_cache_node *n, struct slab *slab)
{
	list_add_tail(&slab->slab_list, &n->partial);
	n->nr_partial++;
}

static inline void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	list_del(&slab->slab_list);
	n->nr_partial--;
}

/*
 * deactivate_slab: a slot gives its slab back.  Its freelist joins the slab's; the slab goes to
 * the partial list, or back to the page allocator when empty and the node has enough partial
 * slabs, or on no list when full.  Called with the slot's lock held.
 */
static void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	struct kmem_cache_node *n;
	unsigned int nfree = 0;
	bool discard = false;
	void *obj, *last = NULL;

	if (!slab)
		return;
	for (obj = c->freelist; obj; obj = get_freepointer(s, obj)) {
		nfree++;
		last = obj;
	}
	n = get_node(s, slab->node);
	spin_lock(&n->list_lock);
	if (last) {
		set_freepointer(s, last, slab->freelist);
		slab->freelist = c->freelist;
	}
	slab->inuse = (uint16_t)(slab->inuse - nfree);
	slab->frozen = 0;
	if (!slab->inuse && n->nr_partial >= s->min_partial)
		discard = true;
	else if (slab->freelist)
		add_partial(n, slab);
	spin_unlock(&n->list_lock);
	c->slab = NULL;
	c->freelist = NULL;
	c->node = NUMA_NO_NODE;
	if (discard)
		discard_slab(s, slab);
}

/* get_partial_node: freeze the first partial slab of node @node for slot @c. */
static bool get_partial_node(struct kmem_cache *s, struct kmem_cache_cpu *c, int node)
{
	struct kmem_cache_node *n = get_node(s, node);
	struct slab *slab;

	if (!n->nr_partial)	/* racy peek, as the kernel's */
		return false;
	spin_lock(&n->list_lock);
	if (list_empty(&n->partial)) {
		spin_unlock(&n->list_lock);
		return false;
	}
	slab = list_first_entry(&n->partial, struct slab, slab_list);
	remove_partial(n, slab);
	c->freelist = slab->freelist;
	slab->freelist = NULL;
	slab->inuse = slab->objects;
	slab->frozen = 1;
	spin_unlock(&n->list_lock);
	c->slab = slab;
	c->node = node;
	return true;
}

static inline struct kmem_cache_cpu *this_cpu_slab(struct kmem_cache *s)
{
	int cpu = raw_smp_processor_id();

	return &s->cpu_slab[(unsigned int)cpu < (unsigned int)kmb_mm.nr_cpus ? cpu : 0];
}

/*
 * ___slab_alloc: the slot's freelist is empty (or on the wrong node).  In order: objects freed
 * into the frozen slab by other CPUs; a partial slab of the node; a new slab.  Entered and left
 * with the slot's lock held; the lock is dropped around the page allocator, and the slot
 * re-read, since the thread may have migrated.
 */
static noinline void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, int node,
				      struct kmem_cache_cpu **cp)
{
	struct kmem_cache_cpu *c = *cp;
	int want = node == NUMA_NO_NODE ? numa_node_id() : node;
	struct slab *slab;
	void *obj;

	c->alloc_slow++;
	/* A racy peek at remote frees (the list lock is taken before they are used). */
	if (c->slab && (node == NUMA_NO_NODE || c->node == node) &&
	    __atomic_load_n(&c->slab->freelist, __ATOMIC_RELAXED)) {
		struct kmem_cache_node *n = get_node(s, c->node);

		spin_lock(&n->list_lock);		/* take the remote frees */
		c->freelist = c->slab->freelist;
		c->slab->freelist = NULL;
		c->slab->inuse = c->slab->objects;	/* all free objects are the slot's now */
		spin_unlock(&n->list_lock);
		goto have;
	}
	deactivate_slab(s, c);
	if (get_partial_node(s, c, want))
		goto have;
	spin_unlock(&c->lock);
	slab = new_slab(s, gfp, want);
	c = *cp = this_cpu_slab(s);
	spin_lock(&c->lock);
	if (!slab)
		return NULL;
	if (c->freelist && (node == NUMA_NO_NODE || c->node == node)) {
		/* Another thread refilled this slot meanwhile: the new slab goes on the list. */
		struct kmem_cache_node *n = get_node(s, slab->node);

		spin_lock(&n->list_lock);
		add_partial(n, slab);
		spin_unlock(&n->list_lock);
		goto have;
	}
	deactivate_slab(s, c);
	c->freelist = slab->freelist;
	slab->freelist = NULL;
	slab->inuse = slab->objects;
	slab->frozen = 1;
	c->slab = slab;
	c->node = slab->node;
have:
	obj = c->freelist;
	c->freelist = get_freepointer(s, obj);
	return obj;
}

/* Debug caches: one object at a time from the node lists, checked (alloc_debug_processing). */
static noinline void *slab_alloc_debug(struct kmem_cache *s, gfp_t gfp, int node,
				       const void *caller)
{
	int want = node == NUMA_NO_NODE ? numa_node_id() : node;
	struct kmem_cache_node *n = get_node(s, want);
	struct slab *slab;
	void *obj;

	for (;;) {
		spin_lock(&n->list_lock);
		if (!list_empty(&n->partial))
			break;
		spin_unlock(&n->list_lock);
		slab = new_slab(s, gfp, want);
		if (!slab)
			return NULL;
		n = get_node(s, slab->node);
		spin_lock(&n->list_lock);
		add_partial(n, slab);
		spin_unlock(&n->list_lock);
	}
	slab = list_first_entry(&n->partial, struct slab, slab_list);
	obj = slab->freelist;
	slab->freelist = get_freepointer(s, obj);
	slab->inuse++;
	if (!slab->freelist) {
		remove_partial(n, slab);
		list_add(&slab->slab_list, &n->full);
	}
	spin_unlock(&n->list_lock);
	slab_debug_alloc_checks(s, slab, obj, caller);
	slab_debug_init_object(s, obj, SLUB_RED_ACTIVE);
	slab_debug_set_track(s, obj, TRACK_ALLOC, caller);
	return obj;
}

static always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node,
					   const void *caller)
{
	struct kmem_cache_cpu *c;
	void *obj;

	if (unlikely(s->flags & SLAB_DEBUG_FLAGS)) {
		obj = slab_alloc_debug(s, gfp, node, caller);
		goto out;
	}
	c = this_cpu_slab(s);
	spin_lock(&c->lock);
	obj = c->freelist;
	if (unlikely(!obj || (node != NUMA_NO_NODE && c->node != node)))
		obj = slab_alloc_slow(s, gfp, node, &c);
	else {
		c->freelist = get_freepointer(s, obj);
		c->alloc_fast++;
	}
	spin_unlock(&c->lock);
out:
	if (unlikely(gfp & __GFP_ZERO) && obj)
		memset(obj, 0, s->object_size);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc_node(s, flags, NUMA_NO_NODE, __builtin_return_address(0));
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	return slab_alloc_node(s, flags, node, __builtin_return_address(0));
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc_node(s, flags | __GFP_ZERO, NUMA_NO_NODE, __builtin_return_address(0));
}

/* --- free --- */

/*
 * __slab_free: @obj goes back to its slab under the node lock.  A frozen slab's owner picks it
 * up later; a slab that was full goes to the partial list; an empty one beyond min_partial goes
 * back to the page allocator.
 */
static noinline void slab_free_slow(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct kmem_cache_node *n = get_node(s, slab->node);
	bool was_full, discard = false;

	spin_lock(&n->list_lock);
	was_full = !slab->freelist;
	set_freepointer(s, obj, slab->freelist);
	slab->freelist = obj;
	slab->inuse--;
	if (!slab->frozen) {
		if (was_full) {
			if (s->flags & SLAB_DEBUG_FLAGS)
				list_del(&slab->slab_list);	/* off the full list */
			add_partial(n, slab);
		}
		if (!slab->inuse && n->nr_partial > s->min_partial) {
			remove_partial(n, slab);
			discard = true;
		}
	}
	spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* Misuse caught on every free: a pointer in no slab, or a slab of another cache. */
static noinline void slab_free_invalid(struct kmem_cache *s, struct slab *slab, const void *obj)
{
	if (!slab)
		slab_err(s, NULL, obj, "kmem_cache_free: pointer %p is not in a slab", obj);
	else
		slab_err(s, slab, obj, "kmem_cache_free: wrong cache: object %p belongs to %s",
			 obj, slab->slab_cache ? slab->slab_cache->name : "(none)");
}

static always_inline void slab_free(struct kmem_cache *s, struct slab *slab, void *obj,
				    const void *caller)
{
	struct kmem_cache_cpu *c;

	if (unlikely(s->flags & SLAB_DEBUG_FLAGS)) {
		if (!slab_debug_free_checks(s, slab, obj, caller))
			return;
		slab_debug_set_track(s, obj, TRACK_FREE, caller);
		slab_debug_init_object(s, obj, SLUB_RED_INACTIVE);
		slab_free_slow(s, slab, obj);
		return;
	}
	c = this_cpu_slab(s);
	spin_lock(&c->lock);
	if (likely(c->slab == slab)) {
		if (unlikely(obj == c->freelist)) {	/* freelist hardening's naive check */
			spin_unlock(&c->lock);
			slab_err(s, slab, obj, "double free of object %p", obj);
			return;
		}
		set_freepointer(s, obj, c->freelist);
		c->freelist = obj;
		c->free_fast++;
		spin_unlock(&c->lock);
		return;
	}
	c->free_slow++;
	spin_unlock(&c->lock);
	slab_free_slow(s, slab, obj);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct slab *slab;

	if (unlikely(!obj))
		return;
	slab = virt_to_slab(obj);
	if (unlikely(!slab || slab->slab_cache != s)) {
		slab_free_invalid(s, slab, obj);
		return;
	}
	slab_free(s, slab, obj, __builtin_return_address(0));
}

/* The kmalloc path: the cache comes from the slab. */
void kmb_slab_free_obj(struct slab *slab, void *obj, const void *caller)
{
	slab_free(slab->slab_cache, slab, obj, caller);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p)
{
	size_t i;

	for (i = 0; i < size; i++) {
		p[i] = slab_alloc_node(s, flags, NUMA_NO_NODE, __builtin_return_address(0));
		if (unlikely(!p[i])) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return (int)size;
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	for (size_t i = 0; i < size; i++)
		kmem_cache_free(s, p[i]);
}

/* --- shrinking, flushing, counting --- */

void flush_all(struct kmem_cache *s)
{
	for (int cpu = 0; cpu < kmb_mm.nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

		spin_lock(&c->lock);
		deactivate_slab(s, c);
		spin_unlock(&c->lock);
	}
}

/* Empty slabs off every node's partial list, then back to the page allocator. */
static unsigned long free_empty_partials(struct kmem_cache *s)
{
	unsigned long freed = 0;

	for (int node = 0; node < kmb_mm.nr_nodes; node++) {
		struct kmem_cache_node *n = get_node(s, node);
		struct list_head discard, *pos, *next;

		INIT_LIST_HEAD(&discard);
		spin_lock(&n->list_lock);
		for (pos = n->partial.next; pos != &n->partial; pos = next) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);

			next = pos->next;
			if (!slab->inuse) {
				remove_partial(n, slab);
				list_add(&slab->slab_list, &discard);
			}
		}
		spin_unlock(&n->list_lock);
		while (!list_empty(&discard)) {
			struct slab *slab = list_first_entry(&discard, struct slab, slab_list);

			list_del(&slab->slab_list);
			discard_slab(s, slab);
			freed++;
		}
	}
	return freed;
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	flush_all(s);
	free_empty_partials(s);
	return 0;
}

void kmem_cache_counts(struct kmem_cache *s, unsigned long *slabs, unsigned long *objects,
		       unsigned long *nfree)
{
	*slabs = *objects = *nfree = 0;
	for (int node = 0; node < kmb_mm.nr_nodes; node++) {
		struct kmem_cache_node *n = get_node(s, node);
		struct list_head *pos;

		spin_lock(&n->list_lock);
		*slabs += n->nr_slabs;
		*objects += n->total_objects;
		list_for_each(pos, &n->partial) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);

			*nfree += (unsigned long)(slab->objects - slab->inuse);
		}
		spin_unlock(&n->list_lock);
	}
}

unsigned long kmem_cache_objects_in_use(struct kmem_cache *s)
{
	unsigned long slabs, objects, nfree;

	flush_all(s);
	kmem_cache_counts(s, &slabs, &objects, &nfree);
	return objects - nfree;
}

void kmem_cache_close(struct kmem_cache *s)
{
	kmem_cache_shrink(s);
	free(s->cpu_slab);
	s->cpu_slab = NULL;
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->object_size;
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}
