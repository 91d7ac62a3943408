/*
 * slub.c - slab caches in the manner of mm/slub.c, with sheaves in front.
 *
 * Objects are carved from slabs of 2^order frames; free objects are chained through a pointer
 * stored in the object (at s->offset: its middle, or after it when poisoning or a constructor
 * needs the whole object).  The slab layer works under each node's list_lock: objects taken
 * from partial slabs (or new ones), objects put back, empty slabs given back to the page
 * allocator beyond min_partial.
 *
 * In front of it are per-CPU sheaves (Linux 6.18's sheaves and barns; Bonwick's magazines and
 * depot): arrays of free objects, a main and a spare per CPU, full and empty ones in a barn per
 * node.  Allocation pops the main sheaf, free pushes on it; only an empty or full main sheaf
 * reaches the barn or the slabs, a sheaf's worth of objects at a time.  How a CPU's sheaves are
 * protected is the mode of the cache's per-CPU cache (s->pcs: kmbench/percpu.h's mechanism,
 * the one the page lists use):
 *   cpu-rseq  the pop and the push are rseq sequences (rseq.h): no lock, no atomic.  The slow
 *             paths own the slot through its guard, taken on that CPU (kmb_pcpu_lock_here).
 *   cpu-lock  the slot's guard is taken with an atomic exchange around every pop and push.
 *   thread    the sheaves are the calling thread's (glibc's tcache): no lock and no atomic; the
 *             fast paths pop and push the main sheaf the thread's fast entry points to,
 *             between two stores of its active word (kmb_pcpu_thread_enter/leave).  The slow
 *             paths own the thread's slot through its guard and publish the main sheaf as the
 *             fast entry again.  A thread's sheaves go back when it exits (percpu.c's registry).
 *   none      no sheaves: every object comes from and goes to the slabs under the node lock.
 * Caches with debug flags use none, with the checks of slab_debug.c, as SLUB's debug caches
 * bypass its per-CPU state.  Objects of another node are freed to their node's slabs, and
 * requests for a node that is not the caller's are served from that node's slabs directly.
 *
 * The order of a slab follows calculate_order() of Linux 6.7+: from the order that holds
 * 4 * (fls(nr_cpus) + 1) objects, the first up to PAGE_ALLOC_COSTLY_ORDER that wastes at most
 * 1/16 of the slab, relaxing the waste to 1/8, 1/4 and 1/2.
 *
 * Constructors run when a slab is created, on every object (setup_object()); an object
 * returns to the cache in its constructed state, so a reallocation runs no constructor.
 *
 * Flushing (flush_all: kmem_cache_shrink, the slab shrinker, destroy, validation) owns every
 * slot of the cache in turn, whatever the mode, while other threads keep allocating and freeing
 * (kmb_pcpu_cache_for_each: a CPU's slot through its guard, a thread's through percpu.c's drain
 * protocol), and gives its objects back to the slabs; as mm/slub.c flush_all_cpus_locked() runs
 * pcs_flush_all() on every CPU whose sheaves are in use (Linux 6.18).  A fast path that runs
 * meanwhile finds the slot busy (cpu modes: the guard; thread: the bootstrap as its main sheaf)
 * and takes its slow path, which waits for the flush or goes to the slabs.
 *
 * Invariants: see slab.h for the states and locks.  A slab's free objects are exactly those on
 * its freelist; inuse + free = objects; an object in a sheaf counts as in use in its slab.
 * Asserted (base/config.h): inuse's bounds and a sheaf's size at KMB_DEBUG >= 1; the whole
 * freelist (slab_is_valid()) when a slab is made or given back at 2, and on every move of
 * objects between a slab and a sheaf at 3.
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
atomic_ulong slab_stat_alloc, slab_stat_free;
atomic_long slab_pages[2];

#define MAX_OBJS_PER_SLAB	32767
#define SHEAF_MAX_CAPACITY	KMEM_CACHE_MAX_SHEAF	/* objects a sheaf may hold */
#define MAX_FULL_SHEAVES	10	/* per barn, as mm/slub.c */
#define MAX_EMPTY_SHEAVES	10
#define ALIGN_UP(x, a)		(((x) + (a) - 1) / (a) * (a))

static unsigned int fls_u(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* calc_slab_order (mm/slub.c, Linux 6.7+): from @min_order up, the first order whose
 * leftover is at most 1/@fract of the slab; above @max_order when none is. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract)
			break;
	}
	return order;
}

/*
 * calculate_order (mm/slub.c, Linux 6.7+; slub_min_order 0, slub_max_order
 * PAGE_ALLOC_COSTLY_ORDER, no slub_min_objects): the order that holds 4 * (fls(nr_cpus) + 1)
 * objects, or as many as an order-3 slab holds, is the lowest order tried; from there the first
 * order up to 3 that wastes at most 1/16 of the slab, else 1/8, 1/4, 1/2; else the order of one
 * object.  Before 6.7 the count of objects was relaxed before the waste was, and the last try
 * was the lowest order holding one object: the two differ for objects of 10923 to 12287 bytes
 * (two to an order-3 slab, which wastes more than 1/4 of it: order 3 now, order 2 then).  -1
 * when no order up to MAX_PAGE_ORDER holds one.
 */
static int calculate_order(unsigned int size)
{
	unsigned int min_objects = 4 * (fls_u((unsigned int)nr_cpu_ids()) + 1);
	unsigned int max_objects = order_objects(PAGE_ALLOC_COSTLY_ORDER, size), min_order;

	if (max_objects < 1)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = get_order((unsigned long)min_objects * size);
	if (order_objects(min_order, size) > MAX_OBJS_PER_SLAB)
		return (int)get_order((unsigned long)size * MAX_OBJS_PER_SLAB) - 1;
	for (unsigned int fract = 16; fract > 1; fract /= 2) {
		unsigned int order = calc_slab_order(size, min_order, PAGE_ALLOC_COSTLY_ORDER,
						     fract);

		if (order <= PAGE_ALLOC_COSTLY_ORDER)
			return (int)order;
	}
	return get_order(size) <= MAX_PAGE_ORDER ? (int)get_order(size) : -1;
}

/*
 * calculate_sizes (mm/slub.c, Linux 6.x with CONFIG_SLUB_DEBUG): the object's layout, a slot of
 * s->size bytes, each part only with its flags:
 *   [left red zone][object][right red zone][free pointer][track alloc][track free]
 *   [orig_size][a word of padding][alignment]
 * The object is rounded up to a word; a red zone adds a word when that leaves no room for a
 * right red zone (inuse is where it ends).  The free pointer goes after the object when the
 * object may not be written once free (poisoning, a constructor) or when a red zone might be
 * overwritten by it (objects under a word, and kmalloc caches that keep orig_size, whose right
 * red zone starts at the requested size); else in the middle of the object.  SLAB_STORE_USER
 * adds two struct track (32 bytes each) and, for kmalloc caches, the requested size (an
 * unsigned int).  A red zone then adds a word of padding, which catches a write before the next
 * object rather than let it reach the tracks, and the left red zone: a word rounded up to the
 * alignment, so that every object stays aligned.  For kmalloc-64 under slub_debug=FZPU:
 * 64 + 8 + 8 + 2 * 32 + 4 + 8 + 64 = 220, aligned to 64: 256, as /proc/slabinfo shows.
 */
static int calculate_sizes(struct kmem_cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned int word = (unsigned int)sizeof(void *);
	unsigned int size = ALIGN_UP(s->object_size, word);
	int order;

	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += word;
	s->inuse = size;
	if ((flags & SLAB_POISON) || s->ctor ||
	    ((flags & SLAB_RED_ZONE) && (s->object_size < word || slub_debug_orig_size(s)))) {
		s->offset = size;
		size += word;
	} else {
		s->offset = s->object_size / 2 / word * word;
	}
	if (flags & SLAB_STORE_USER) {
		size += 2 * sizeof(struct track);
		if (flags & SLAB_KMALLOC)
			size += sizeof(unsigned int);
	}
	if (flags & SLAB_RED_ZONE) {
		size += word;
		s->red_left_pad = ALIGN_UP(word, s->align);
		size += s->red_left_pad;
	}
	s->size = ALIGN_UP(size, s->align);
	order = calculate_order(s->size);
	if (order < 0)
		return -EINVAL;
	s->order = (unsigned int)order;
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

/* --- sheaves: memory and the barn --- */

/* The main sheaf of a slot before its first refill: nothing to pop, no room to push, so the
 * fast paths go to the slow ones, which replace it (Linux's bootstrap_sheaf). */
static struct slab_sheaf bootstrap_sheaf = { .size = 0, .capacity = 0 };

static inline bool sheaf_real(const struct slab_sheaf *sh)
{
	return sh && sh != &bootstrap_sheaf;
}

/*
 * The default capacity: 8 KiB worth of objects, between 8 and 128 of them (128 up to 64-byte
 * objects, 32 at 256 bytes, 8 from 1 KiB).  Enough that a refill or flush (a node lock and a
 * walk of slab freelists) is spread over many fast operations, and that a thousand small
 * objects freed at once fit in the sheaves and the barn instead of going back to their slabs.
 * kmbench's choice; Linux leaves sheaves off unless a cache asks (kmem_cache_args).
 */
static unsigned int default_sheaf_capacity(unsigned int size)
{
	unsigned int cap = 8192 / size;

	return cap < 8 ? 8 : cap > 128 ? 128 : cap;
}

/* Sheaves are metadata, from the C library's allocator (the kernel kmallocs them), in whole
 * cache lines: two CPUs' sheaves never share one. */
static struct slab_sheaf *alloc_empty_sheaf(struct kmem_cache *s)
{
	size_t bytes = sizeof(struct list_head) + sizeof(struct slab_sheaf) +
		       s->sheaf_capacity * sizeof(void *);
	struct list_head *mem = aligned_alloc(64, (bytes + 63) / 64 * 64);
	struct slab_sheaf *sh;

	if (!mem)
		return NULL;
	sh = link_sheaf(mem);
	sh->size = 0;
	sh->capacity = s->sheaf_capacity;
	return sh;
}

static void free_empty_sheaf(struct slab_sheaf *sh)
{
	if (sheaf_real(sh))
		free(sheaf_link(sh));
}

static inline struct node_barn *get_barn(struct kmem_cache *s, int node)
{
	return &s->node[node]->barn;
}

/* The first sheaf of one of @barn's lists (@nr its count), or NULL. */
static struct slab_sheaf *barn_take(struct node_barn *barn, struct list_head *list,
				    unsigned int *nr)
{
	struct slab_sheaf *sh = NULL;

	if (!*nr)			/* racy peek */
		return NULL;
	spin_lock(&barn->lock);
	if (*nr) {
		struct list_head *l = list->next;

		list_del(l);
		(*nr)--;
		sh = link_sheaf(l);
	}
	spin_unlock(&barn->lock);
	return sh;
}

/* An empty sheaf from the barn, or a new one; NULL when there is no memory. */
static struct slab_sheaf *barn_get_empty(struct kmem_cache *s, struct node_barn *barn)
{
	struct slab_sheaf *sh = barn_take(barn, &barn->sheaves_empty, &barn->nr_empty);

	return sh ? sh : alloc_empty_sheaf(s);
}

/* Keep an empty sheaf in the barn, or free it when the barn has enough. */
static void barn_put_empty(struct node_barn *barn, struct slab_sheaf *sh)
{
	if (!sheaf_real(sh))
		return;
	kmb_assert(!sh->size);
	spin_lock(&barn->lock);
	if (barn->nr_empty < MAX_EMPTY_SHEAVES) {
		list_add(sheaf_link(sh), &barn->sheaves_empty);
		barn->nr_empty++;
		sh = NULL;
	}
	spin_unlock(&barn->lock);
	free_empty_sheaf(sh);
}

/* Keep a full sheaf in the barn: false when the barn has enough (the caller flushes it). */
static bool barn_put_full(struct node_barn *barn, struct slab_sheaf *sh)
{
	bool kept = false;

	kmb_assert(sheaf_real(sh) && sh->size <= sh->capacity);
	spin_lock(&barn->lock);
	if (barn->nr_full < MAX_FULL_SHEAVES) {
		list_add(sheaf_link(sh), &barn->sheaves_full);
		barn->nr_full++;
		kept = true;
	}
	spin_unlock(&barn->lock);
	return kept;
}

/* A full sheaf from the barn, or NULL. */
static struct slab_sheaf *barn_get_full(struct node_barn *barn)
{
	return barn_take(barn, &barn->sheaves_full, &barn->nr_full);
}

/* --- the per-CPU cache's callbacks (thread mode) --- */

static struct kmem_cache *cache_of(struct kmb_pcpu_cache *pc)
{
	return (struct kmem_cache *)((char *)pc - offsetof(struct kmem_cache, pcs));
}

static inline struct slub_percpu_sheaves __percpu *cpu_sheaves(const struct kmem_cache *s)
{
	return s->pcs.slots;
}

static void sheaves_flush(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int node);

/* A thread's first use of the cache: its sheaves, with the bootstrap as the main sheaf. */
static void *thread_sheaves_new(struct kmb_pcpu_cache *pc)
{
	struct slub_percpu_sheaves *pcs = calloc(1, sizeof(*pcs));

	(void)pc;
	if (pcs)
		pcs->main = &bootstrap_sheaf;
	return pcs;
}

/* Thread exit (and the cache's destruction): the thread's sheaves back to the barn (or the
 * slabs), and freed. */
static void thread_sheaves_exit(struct kmb_pcpu_cache *pc, void *slot)
{
	sheaves_flush(cache_of(pc), slot, numa_node_id());
	free(slot);
}

/* --- creation --- */

/*
 * init_kmem_cache_nodes (mm/slub.c): one struct kmem_cache_node per node, from the
 * kmem_cache_node cache on that node; a boot cache brings its own.  All or none: -ENOMEM with
 * s->node[] as it was.
 */
static int init_kmem_cache_nodes(struct kmem_cache *s)
{
	for (int n = 0; n < kmb_mm.nr_nodes; n++) {
		if (s->node[n])
			continue;
		s->node[n] = kmem_cache_alloc_node(kmem_cache_node, GFP_KERNEL | __GFP_ZERO, n);
		if (!s->node[n]) {
			kmem_cache_free_nodes(s);
			return -ENOMEM;
		}
	}
	return 0;
}

/* free_kmem_cache_nodes (mm/slub.c); the boot caches' are static and stay. */
void kmem_cache_free_nodes(struct kmem_cache *s)
{
	if (s == kmem_cache || s == kmem_cache_node)
		return;
	for (int n = 0; n < kmb_mm.nr_nodes; n++) {
		if (s->node[n])
			kmem_cache_free(kmem_cache_node, s->node[n]);
		s->node[n] = NULL;
	}
}

int kmem_cache_open(struct kmem_cache *s)
{
	enum kmb_percpu_mode mode = s->pcs.mode;
	int r;

	s->pcs.id = -1;
	r = init_kmem_cache_nodes(s);
	if (r)
		return r;
	for (int n = 0; n < kmb_mm.nr_nodes; n++) {
		struct kmem_cache_node *kn = s->node[n];

		spin_lock_init(&kn->list_lock);
		INIT_LIST_HEAD(&kn->partial);
		INIT_LIST_HEAD(&kn->full);
		spin_lock_init(&kn->barn.lock);
		INIT_LIST_HEAD(&kn->barn.sheaves_full);
		INIT_LIST_HEAD(&kn->barn.sheaves_empty);
	}
	if (calculate_sizes(s))
		return -EINVAL;
	s->allocflags = (s->flags & SLAB_CACHE_DMA) ? __GFP_DMA : 0;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;	/* calculate_sizes() in mm/slub.c */
	/* Debug caches check every object on the node lists: no sheaves (as in Linux). */
	if (s->flags & SLAB_DEBUG_FLAGS)
		mode = KMB_PERCPU_NONE;
	if (s->sheaf_capacity > SHEAF_MAX_CAPACITY)
		return -EINVAL;
	if (!s->sheaf_capacity)
		s->sheaf_capacity = default_sheaf_capacity(s->size);
	s->pcs.thread_new = thread_sheaves_new;
	s->pcs.thread_exit = thread_sheaves_exit;
	r = kmb_pcpu_cache_init(&s->pcs, mode, sizeof(struct slub_percpu_sheaves),
				__alignof__(struct slub_percpu_sheaves));
	if (r)
		return r;
	if (cpu_sheaves(s))
		for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
			per_cpu_ptr(cpu_sheaves(s), cpu)->main = &bootstrap_sheaf;
	return 0;
}

/* --- slabs --- */

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int node)
{
	return s->node[node];
}

/* slab_is_valid - the validator of a slab's accounting: its freelist holds exactly
 * objects - inuse objects, each the start of an object of the slab.  Node lock held (or the
 * slab on no list).  O(objects): in kmb_assert_internal and kmb_expensive_assert only. */
static bool slab_is_valid(const struct kmem_cache *s, struct slab *slab)
{
	unsigned int nfree = 0;

	if (slab->slab_cache != s || slab->inuse > slab->objects)
		return false;
	for (void *p = slab->freelist; p; p = get_freepointer(s, p))
		if (++nfree > (unsigned int)(slab->objects - slab->inuse) ||
		    !slab_object_start(s, slab, p))
			return false;
	return nfree == (unsigned int)(slab->objects - slab->inuse);
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
	/* Tail frames point to the head, and, like it, to the cache: kmem_cache_free checks an
	 * object's frame against its cache without finding the head first (obj_frame). */
	for (unsigned long i = 1; i < (1UL << s->order); i++) {
		page[i].lru.next = (struct list_head *)((uintptr_t)page | 1);
		page[i].mapping = (void *)s;
	}
	slab->slab_cache = s;
	slab->objects = (uint16_t)s->objects;
	slab->inuse = 0;
	slab->colour = 0;
	n = get_node(s, slab->node);
	if (s->colours > 1) {
		spin_lock(&n->list_lock);
		slab->colour = (uint16_t)((n->colour_next++ % s->colours) * s->colour_off);
		spin_unlock(&n->list_lock);
	}
	p = slab_first_object(s, slab);
	slab_debug_setup_slab(s, slab);
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
	kmb_assert_internal(slab_is_valid(s, slab));
	if (s->ctor)
		KMB_STAT_ATOMIC_ADD(1, s->ctor_calls, s->objects);
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

	kmb_assert(slab->inuse == 0);
	kmb_assert_internal(slab_is_valid(s, slab));
	if (unlikely(s->flags & SLAB_CONSISTENCY_CHECKS))
		slab_debug_free_slab(s, slab);	/* free_slab() */
	spin_lock(&n->list_lock);
	n->nr_slabs--;
	n->total_objects -= s->objects;
	spin_unlock(&n->list_lock);
	for (unsigned long i = 1; i < (1UL << s->order); i++) {
		page[i].lru.next = NULL;
		page[i].mapping = NULL;
	}
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

/* --- the slab layer: objects to and from slabs, under the node's list_lock --- */

static cold noinline void slab_double_free(struct kmem_cache *s, struct slab *slab, void *obj)
{
	slab_err(s, slab, obj, "double free of object %p", obj);
}


/* Take up to @want objects of @slab (on @n's partial list, or on none when new) into @out. */
static unsigned int take_objects(struct kmem_cache *s, struct kmem_cache_node *n,
				 struct slab *slab, void **out, unsigned int want, bool listed)
{
	unsigned int got = 0;

	while (got < want && slab->freelist) {
		void *obj = slab->freelist;

		slab->freelist = get_freepointer(s, obj);
		out[got++] = obj;
	}
	slab->inuse = (uint16_t)(slab->inuse + got);
	kmb_assert(slab->inuse <= slab->objects);
	kmb_expensive_assert(slab_is_valid(s, slab));
	if (listed && !slab->freelist)
		remove_partial(n, slab);		/* full: on no list */
	else if (!listed && slab->freelist)
		add_partial(n, slab);
	return got;
}

/*
 * get_objects - up to @want objects for @out from node @node's partial slabs, then from new
 * slabs (refill_sheaf / __kmem_cache_alloc_bulk).  Returns how many; fewer than @want only when
 * the page allocator failed, and 0 then if it failed at once.
 */
static unsigned int get_objects(struct kmem_cache *s, gfp_t gfp, int node, void **out,
				unsigned int want)
{
	int nid = node == NUMA_NO_NODE ? numa_node_id() : node;
	struct kmem_cache_node *n = get_node(s, nid);
	unsigned int got = 0;

	if (n->nr_partial) {		/* racy peek, as the kernel's get_partial_node */
		spin_lock(&n->list_lock);
		while (got < want && !list_empty(&n->partial))
			got += take_objects(s, n, list_first_entry(&n->partial, struct slab,
								   slab_list),
					    out + got, want - got, true);
		spin_unlock(&n->list_lock);
	}
	while (got < want) {
		struct slab *slab = new_slab(s, gfp, nid);

		if (!slab)
			break;
		n = get_node(s, slab->node);	/* the page allocator may fall back */
		spin_lock(&n->list_lock);
		got += take_objects(s, n, slab, out + got, want - got, false);
		spin_unlock(&n->list_lock);
	}
	return got;
}

/*
 * __slab_free with the node lock held: @obj back on its slab's freelist; a slab that was full
 * goes to the partial list; an empty one beyond min_partial goes on @discard (the caller gives
 * it back after dropping the lock).
 */
static bool put_object_locked(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
			      void *obj, struct list_head *discard)
{
	bool was_full = !slab->freelist;

	if (unlikely(obj == slab->freelist))	/* the hardened freelist's naive check */
		return false;
	kmb_assert(slab->inuse > 0);
	set_freepointer(s, obj, slab->freelist);
	slab->freelist = obj;
	slab->inuse--;
	kmb_expensive_assert(slab_is_valid(s, slab));
	if (was_full) {
		if (s->flags & SLAB_DEBUG_FLAGS)
			list_del(&slab->slab_list);	/* off the full list */
		add_partial(n, slab);
	}
	if (!slab->inuse && n->nr_partial > s->min_partial) {
		remove_partial(n, slab);
		list_add(&slab->slab_list, discard);
	}
	return true;
}

static void discard_slabs(struct kmem_cache *s, struct list_head *discard)
{
	while (!list_empty(discard)) {
		struct slab *slab = list_first_entry(discard, struct slab, slab_list);

		list_del(&slab->slab_list);
		discard_slab(s, slab);
	}
}

/* put_objects - @cnt objects back to their slabs (sheaf_flush_main / __kmem_cache_free_bulk),
 * one lock hold per run of objects of one node. */
static void put_objects(struct kmem_cache *s, void **objs, unsigned int cnt)
{
	struct kmem_cache_node *locked = NULL;
	struct list_head discard;

	INIT_LIST_HEAD(&discard);
	for (unsigned int i = 0; i < cnt; i++) {
		struct slab *slab = virt_to_slab(objs[i]);
		struct kmem_cache_node *n = get_node(s, slab->node);

		if (n != locked) {
			if (locked)
				spin_unlock(&locked->list_lock);
			spin_lock(&n->list_lock);
			locked = n;
		}
		if (!put_object_locked(s, n, slab, objs[i], &discard)) {
			spin_unlock(&n->list_lock);
			locked = NULL;
			slab_double_free(s, slab, objs[i]);
		}
	}
	if (locked)
		spin_unlock(&locked->list_lock);
	discard_slabs(s, &discard);
}

/* One object from the slab layer: the none mode, and node-specific requests. */
static noinline void *slab_alloc_one(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *obj;

	return get_objects(s, gfp, node, &obj, 1) ? obj : NULL;
}

static noinline void slab_free_one(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct kmem_cache_node *n = get_node(s, slab->node);
	struct list_head discard;
	bool ok;

	INIT_LIST_HEAD(&discard);
	spin_lock(&n->list_lock);
	ok = put_object_locked(s, n, slab, obj, &discard);
	spin_unlock(&n->list_lock);
	discard_slabs(s, &discard);
	if (!ok)
		slab_double_free(s, slab, obj);
}

/*
 * Debug caches (free_to_partial_list): under the node lock, with F the checks of
 * free_debug_processing (a failure refuses the free), then the free call site, the red zones
 * and poison of a free object, and the object back on its slab.
 */
static noinline void slab_free_debug(struct kmem_cache *s, struct slab *slab, void *obj,
				     const void *caller)
{
	struct kmem_cache_node *n = get_node(s, slab->node);
	struct list_head discard;
	bool ok = true;

	INIT_LIST_HEAD(&discard);
	spin_lock(&n->list_lock);
	if (s->flags & SLAB_CONSISTENCY_CHECKS)
		ok = slab_debug_free_checks(s, slab, obj);
	if (ok) {
		slab_debug_set_track(s, obj, TRACK_FREE, caller);
		slab_debug_init_object(s, obj, SLUB_RED_INACTIVE);
		ok = put_object_locked(s, n, slab, obj, &discard);
		if (!ok)
			slab_double_free(s, slab, obj);
	}
	spin_unlock(&n->list_lock);
	discard_slabs(s, &discard);
}

/* Give a sheaf's objects back to the slabs; it stays, empty. */
static void sheaf_flush(struct kmem_cache *s, struct slab_sheaf *sh)
{
	if (sh && sh->size) {
		put_objects(s, sh->objects, sh->size);
		sh->size = 0;
	}
}

/* A sheaves slot's objects back to the slabs and its sheaves to @node's barn (thread exit,
 * cache destruction).  The slot is the caller's. */
static void sheaves_flush(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int node)
{
	struct node_barn *barn = get_barn(s, node);

	sheaf_flush(s, pcs->main);
	sheaf_flush(s, pcs->spare);
	barn_put_empty(barn, pcs->main);
	barn_put_empty(barn, pcs->spare);
	pcs->main = &bootstrap_sheaf;
	pcs->spare = NULL;
}

/*
 * Debug caches: one object at a time from the node lists (alloc_single_from_partial,
 * alloc_single_from_new_slab): with F checked first (alloc_debug_processing; a slab that fails
 * is marked full, put on the full list, and another tried), then red-zoned and poisoned as
 * allocated, under the node lock, and its call site kept.
 */
static noinline void *slab_alloc_debug(struct kmem_cache *s, gfp_t gfp, int node,
				       const void *caller)
{
	int want = node == NUMA_NO_NODE ? numa_node_id() : node;
	struct kmem_cache_node *n = get_node(s, want);
	struct slab *slab;
	void *obj;

	for (;;) {
		spin_lock(&n->list_lock);
		while (!list_empty(&n->partial)) {
			slab = list_first_entry(&n->partial, struct slab, slab_list);
			obj = slab->freelist;
			slab->freelist = get_freepointer(s, obj);
			slab->inuse++;
			if (!(s->flags & SLAB_CONSISTENCY_CHECKS) ||
			    slab_debug_alloc_checks(s, slab, obj))
				goto found;
			remove_partial(n, slab);
			list_add(&slab->slab_list, &n->full);
		}
		spin_unlock(&n->list_lock);
		slab = new_slab(s, gfp, want);
		if (!slab)
			return NULL;
		n = get_node(s, slab->node);
		spin_lock(&n->list_lock);
		add_partial(n, slab);
		spin_unlock(&n->list_lock);
	}
found:
	if (!slab->freelist) {
		remove_partial(n, slab);
		list_add(&slab->slab_list, &n->full);
	}
	slab_debug_init_object(s, obj, SLUB_RED_ACTIVE);
	spin_unlock(&n->list_lock);
	slab_debug_set_track(s, obj, TRACK_ALLOC, caller);
	/* set_orig_size: kmem_cache_alloc's size; kmalloc's own request is not passed down (an
	 * argument on the path that the cpu-lock pop shares would cost every pair) */
	slab_debug_set_orig_size(s, obj, s->object_size);
	return obj;
}

/* --- sheaves: the slow paths, shared by the thread, cpu-lock and cpu-rseq modes --- */

/*
 * Own the sheaves of the running CPU (cpu modes; *@cpu is that CPU) or of this thread (thread
 * mode; *@cpu is -1).  The owner may migrate and still own them.  NULL in thread mode when the
 * thread's sheaves cannot be created (the caller goes to the slabs).
 */
static struct slub_percpu_sheaves *pcs_lock(struct kmem_cache *s, int *cpu)
{
	return kmb_pcpu_cache_lock_here(&s->pcs, cpu, false);
}

/* Give the slot back; a thread's fast paths work on its main sheaf from now on. */
static inline void pcs_unlock(struct kmem_cache *s, struct slub_percpu_sheaves *pcs, int cpu)
{
	if (s->pcs.mode == KMB_PERCPU_THREAD)
		kmb_pcpu_thread_publish(&s->pcs, pcs->main);
	kmb_pcpu_cache_unlock(&s->pcs, pcs, cpu);
}

/* @sh (full) becomes the main sheaf; the old main, empty, becomes the spare or goes to the
 * barn. */
static void pcs_install_main(struct slub_percpu_sheaves *pcs, struct slab_sheaf *sh,
			     struct node_barn *barn)
{
	struct slab_sheaf *old = pcs->main;

	pcs->main = sh;
	if (!pcs->spare && sheaf_real(old))
		pcs->spare = old;
	else
		barn_put_empty(barn, old);
}

/*
 * The main sheaf is empty (alloc_from_pcs's slow side, __pcs_replace_empty_main): the spare if
 * it has objects, else a full sheaf from the barn, else a sheaf refilled from the slabs with the
 * slot let go (new slabs may sleep, and reclaim may flush this very slot).
 */
static noinline void *sheaves_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	struct node_barn *barn = get_barn(s, numa_node_id());
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *sh;
	void *obj;
	int cpu;

	pcs = pcs_lock(s, &cpu);
	if (!pcs)
		return slab_alloc_one(s, gfp, NUMA_NO_NODE);
	slub_stat(pcs->alloc_slow);
	if (pcs->main->size)			/* refilled meanwhile */
		goto pop;
	if (pcs->spare && pcs->spare->size) {
		sh = pcs->spare;
		pcs->spare = pcs->main;
		pcs->main = sh;
		goto pop;
	}
	sh = barn_get_full(barn);
	if (sh) {
		pcs_install_main(pcs, sh, barn);
		goto pop;
	}
	pcs_unlock(s, pcs, cpu);

	sh = barn_get_empty(s, barn);
	if (!sh)
		return slab_alloc_one(s, gfp, NUMA_NO_NODE);
	sh->size = get_objects(s, gfp, NUMA_NO_NODE, sh->objects, sh->capacity);
	if (!sh->size) {
		barn_put_empty(barn, sh);
		return NULL;
	}
	obj = sh->objects[--sh->size];

	pcs = pcs_lock(s, &cpu);		/* perhaps another CPU's now */
	if (!pcs->main->size) {
		pcs_install_main(pcs, sh, barn);
	} else if (!pcs->spare || !pcs->spare->size) {
		struct slab_sheaf *old = pcs->spare;

		pcs->spare = sh;
		barn_put_empty(barn, old);
	} else if (!barn_put_full(barn, sh)) {
		sheaf_flush(s, sh);		/* every place is full: back to the slabs */
		barn_put_empty(barn, sh);
	}
	pcs_unlock(s, pcs, cpu);
	return obj;
pop:
	obj = pcs->main->objects[--pcs->main->size];
	pcs_unlock(s, pcs, cpu);
	return obj;
}

/*
 * The main sheaf is full (free_to_pcs's slow side, __pcs_replace_full_main): the spare if it is
 * empty; else the full main goes to the barn and an empty sheaf (the barn's or a new one)
 * takes its place; when the barn holds enough full sheaves, the main's objects go back to the
 * slabs instead.
 */
static noinline void sheaves_free_slow(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct node_barn *barn = get_barn(s, numa_node_id());
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	int cpu;

	pcs = pcs_lock(s, &cpu);
	if (!pcs) {
		slab_free_one(s, slab, obj);
		return;
	}
	slub_stat(pcs->free_slow);
	main = pcs->main;
	if (main->size < main->capacity)	/* emptied meanwhile */
		goto push;
	if (pcs->spare && !pcs->spare->size) {
		pcs->main = pcs->spare;
		pcs->spare = main;
		goto push;
	}
	if (!sheaf_real(main) || pcs->spare == NULL) {
		struct slab_sheaf *empty = barn_get_empty(s, barn);

		if (!empty) {
			pcs_unlock(s, pcs, cpu);
			slab_free_one(s, slab, obj);
			return;
		}
		if (sheaf_real(main))
			pcs->spare = main;
		pcs->main = empty;
		goto push;
	}
	if (barn_put_full(barn, main)) {
		struct slab_sheaf *empty = barn_get_empty(s, barn);

		pcs->main = empty ? empty : &bootstrap_sheaf;
		if (!empty) {
			pcs_unlock(s, pcs, cpu);
			slab_free_one(s, slab, obj);
			return;
		}
		goto push;
	}
	sheaf_flush(s, main);		/* the barn has enough: back to the slabs */
push:
	main = pcs->main;
	if (unlikely(main->size && main->objects[main->size - 1] == obj)) {
		pcs_unlock(s, pcs, cpu);
		slab_double_free(s, slab, obj);
		return;
	}
	main->objects[main->size++] = obj;
	pcs_unlock(s, pcs, cpu);
}

/* --- the fast paths --- */

#define PCS_MAIN	((long)offsetof(struct slub_percpu_sheaves, main))

/*
 * Everything but a hit in the sheaves: debug caches, the none mode, other nodes, __GFP_ZERO,
 * and a main sheaf found empty.  Out of line, so that the fast paths below need no saved
 * registers and end in a tail call.
 */
static noinline void *slab_alloc_other(struct kmem_cache *s, gfp_t gfp, int node,
				       const void *caller)
{
	void *obj;

	if (s->pcs.mode == KMB_PERCPU_CPU_LOCK) {
		if (likely(node == NUMA_NO_NODE && !(gfp & __GFP_ZERO))) {
			/* cpu-lock's fast path, here so that the others need no frame */
			struct slub_percpu_sheaves *pcs = per_cpu_ptr(cpu_sheaves(s),
								       kmb_current_cpu());
			struct slab_sheaf *main;
			unsigned int n;

			kmb_pcpu_spin_lock(&pcs->guard);
			main = pcs->main;
			n = main->size;
			obj = n ? main->objects[--n] : NULL;
			main->size = n;
			kmb_pcpu_spin_unlock(&pcs->guard);
			if (likely(obj))
				return obj;
		}
	}
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS))
		obj = slab_alloc_debug(s, gfp, node, caller);
	/* Sheaves hold objects of any node: a request for a node not local goes to its slabs. */
	else if (node != NUMA_NO_NODE && node != numa_node_id())
		obj = slab_alloc_one(s, gfp, node);
	else if (s->pcs.mode == KMB_PERCPU_NONE)
		obj = slab_alloc_one(s, gfp, NUMA_NO_NODE);
	else
		obj = sheaves_alloc_slow(s, gfp);	/* pops the main sheaf when it has objects */
	if (unlikely(gfp & __GFP_ZERO) && obj)
		memset(obj, 0, s->object_size);
	return obj;
}


/*
 * Is @node the calling CPU's node?  numa_node_id() without its sched_getcpu() fallback (a call
 * would give every fast path a stack frame): false when rseq is not registered, and the slow
 * path decides.
 */
static always_inline bool node_is_local(int node)
{
	unsigned int cpu;

	if (likely(kmb_mm.nr_nodes == 1))
		return true;
	if (!__rseq_size)
		return false;
	cpu = kmb_rseq_cpu_id();
	return cpu < KMB_NR_CPUS && kmb_mm.cpu_node[cpu] == node;
}

/* The fast paths: one pop from the main sheaf, in each mode's way. */
static always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node,
					   const void *caller)
{
	struct slab_sheaf *main;
	unsigned int n;
	void *obj;

	/* One compare of pcs.fast tells cpu-rseq (the default), thread and the others apart. */
	if (likely(node == NUMA_NO_NODE && !(gfp & __GFP_ZERO)) &&
	    likely(s->pcs.fast <= KMB_PCPU_FAST_RSEQ)) {
		if (likely(s->pcs.fast == KMB_PCPU_FAST_RSEQ)) {
#if KMB_HAVE_RSEQ_ASM
			int why;

			obj = kmb_rseq_stack_pop(cpu_sheaves(s), PCS_MAIN, &why);
			if (likely(obj))
				return obj;
#endif
		} else {
			main = kmb_pcpu_thread_enter(s->pcs.id);
			n = main->size;
			if (likely(n)) {
				main->size = --n;
				obj = main->objects[n];
				kmb_pcpu_thread_leave();
				return obj;
			}
			kmb_pcpu_thread_leave();
		}
	}
	/* NULL: the exported function's caller, read here and not kept across the fast path */
	return slab_alloc_other(s, gfp, node, caller ? caller : __builtin_return_address(0));
}

/* The caller argument NULL means the exported function's own caller (slab_alloc_node). */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc_node(s, flags, NUMA_NO_NODE, NULL);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	return slab_alloc_node(s, flags, node, NULL);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc_node(s, flags | __GFP_ZERO, NUMA_NO_NODE, NULL);
}

/* --- free --- */

/* Misuse caught on every free: a pointer in no slab, or a slab of another cache. */
static noinline void slab_free_invalid(struct kmem_cache *s, struct slab *slab, const void *obj)
{
	if (!slab)
		slab_err(s, NULL, obj, "kmem_cache_free: pointer %p is not in a slab", obj);
	else
		slab_err(s, slab, obj, "kmem_cache_free: wrong cache: object %p belongs to %s",
			 obj, slab->slab_cache ? slab->slab_cache->name : "(none)");
}

/* Everything but a push on the main sheaf: debug caches, the none mode, objects of another
 * node, a full main sheaf and a double free on its top (reported by the slow path). */
static noinline void slab_free_other(struct kmem_cache *s, struct slab *slab, void *obj,
				     const void *caller)
{
	if (s->pcs.mode == KMB_PERCPU_CPU_LOCK &&
	    (kmb_mm.nr_nodes == 1 || slab->node == numa_node_id())) {
		/* cpu-lock's fast path, here so that the others need no frame */
		struct slub_percpu_sheaves *pcs = per_cpu_ptr(cpu_sheaves(s), kmb_current_cpu());
		struct slab_sheaf *main;
		unsigned int n;

		kmb_pcpu_spin_lock(&pcs->guard);
		main = pcs->main;
		n = main->size;
		if (likely(n < main->capacity) && likely(!n || main->objects[n - 1] != obj)) {
			main->objects[n] = obj;
			main->size = n + 1;
			kmb_pcpu_spin_unlock(&pcs->guard);
			return;
		}
		kmb_pcpu_spin_unlock(&pcs->guard);
	}
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS)) {
		slab_free_debug(s, slab, obj, caller);
	} else if (s->pcs.mode == KMB_PERCPU_NONE || slab->node != numa_node_id()) {
		/* An object of another node goes back to its node's slabs (free_to_pcs). */
		slab_free_one(s, slab, obj);
	} else {
		sheaves_free_slow(s, slab, obj);
	}
}

/*
 * The fast paths: one push on the main sheaf, in each mode's way.  @page is any frame of the
 * object's slab (every frame carries the cache and the node); the slow path finds the head.
 */
static always_inline void slab_free(struct kmem_cache *s, struct page *page, void *obj,
				    const void *caller)
{
	struct slab_sheaf *main;
	unsigned int n;

	if (likely(node_is_local(page->node)) && likely(s->pcs.fast <= KMB_PCPU_FAST_RSEQ)) {
		if (likely(s->pcs.fast == KMB_PCPU_FAST_RSEQ)) {
#if KMB_HAVE_RSEQ_ASM
			if (likely(!kmb_rseq_stack_push(cpu_sheaves(s), PCS_MAIN, obj)))
				return;
#endif
		} else {
			main = kmb_pcpu_thread_enter(s->pcs.id);
			n = main->size;
			if (likely(n < main->capacity) && likely(!n || main->objects[n - 1] != obj)) {
				main->objects[n] = obj;
				main->size = n + 1;
				kmb_pcpu_thread_leave();
				return;
			}
			kmb_pcpu_thread_leave();
		}
	}
	slab_free_other(s, page_slab(compound_head(page)), obj,
			caller ? caller : __builtin_return_address(0));
}

/*
 * obj_frame - the frame of @obj when it lies in a slab of @s, else NULL: one subtraction and
 * one compare bound the linear map at both ends, and every frame of a slab names its cache.
 */
static always_inline struct page *obj_frame(const struct kmem_cache *s, const void *obj)
{
	unsigned long pfn = ((uintptr_t)obj - (uintptr_t)kmb_memmap.linear) >> PAGE_SHIFT;
	struct page *page;

	if (unlikely(pfn >= kmb_memmap.max_low_pfn))
		return NULL;
	page = &kmb_memmap.vmemmap[pfn];
	return likely(page->mapping == (const void *)s) ? page : NULL;
}

/* Not an object of @s (or NULL, which is fine): find out what it is and report it. */
static noinline void slab_free_bad(struct kmem_cache *s, void *obj)
{
	if (obj)
		slab_free_invalid(s, virt_to_slab(obj), obj);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct page *page = obj_frame(s, obj);

	if (unlikely(!page)) {
		slab_free_bad(s, obj);
		return;
	}
	slab_free(s, page, obj, NULL);
}

/* kfree's own cases: a block straight from the page allocator (free_large_kmalloc), or a
 * pointer kmalloc never returned. */
static noinline void kfree_other(const void *p)
{
	struct page *page;

	if (!virt_addr_valid(p)) {
		slab_err(NULL, NULL, p, "kfree: %p is not a kmalloc address", p);
		return;
	}
	page = compound_head(virt_to_page(p));
	if (p != page_address(page)) {
		slab_err(NULL, NULL, p, "kfree: %p is not the start of a kmalloc allocation", p);
		return;
	}
	__free_pages(page, page->order);
}

/*
 * kfree (mm/slub.c): the cache comes from the object's frame, which names it (every frame of a
 * slab does); a frame that names none is a large kmalloc or a misuse.
 */
void kfree(const void *p)
{
	unsigned long pfn = ((uintptr_t)p - (uintptr_t)kmb_memmap.linear) >> PAGE_SHIFT;
	struct page *page;
	struct kmem_cache *s;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	if (likely(pfn < kmb_memmap.max_low_pfn)) {
		page = &kmb_memmap.vmemmap[pfn];
		s = page->mapping;
		if (likely(s)) {
			slab_free(s, page, (void *)p, NULL);
			return;
		}
	}
	kfree_other(p);
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

/* Every barn's full sheaves back to the slabs; every empty sheaf freed. */
static void barns_flush(struct kmem_cache *s)
{
	for (int node = 0; node < kmb_mm.nr_nodes; node++) {
		struct node_barn *barn = get_barn(s, node);
		struct list_head full, empty;

		INIT_LIST_HEAD(&full);
		INIT_LIST_HEAD(&empty);
		spin_lock(&barn->lock);
		while (!list_empty(&barn->sheaves_full)) {
			struct list_head *l = barn->sheaves_full.next;

			list_del(l);
			list_add(l, &full);
		}
		while (!list_empty(&barn->sheaves_empty)) {
			struct list_head *l = barn->sheaves_empty.next;

			list_del(l);
			list_add(l, &empty);
		}
		barn->nr_full = barn->nr_empty = 0;
		spin_unlock(&barn->lock);
		while (!list_empty(&full)) {
			struct list_head *l = full.next;

			list_del(l);
			sheaf_flush(s, link_sheaf(l));
			free_empty_sheaf(link_sheaf(l));
		}
		while (!list_empty(&empty)) {
			struct list_head *l = empty.next;

			list_del(l);
			free_empty_sheaf(link_sheaf(l));
		}
	}
}

static int flush_visit(struct kmb_pcpu_cache *pc, void *slot, int who, void *arg)
{
	(void)arg;
	sheaves_flush(cache_of(pc), slot, who >= 0 ? cpu_to_node(who) : numa_node_id());
	return 0;
}

/* mm/slub.c flush_all_cpus_locked(), which has each CPU whose sheaves are in use run
 * pcs_flush_all(): here the flusher owns each CPU's or thread's slot in turn (percpu.c), and
 * the owners go on meanwhile. */
void flush_all(struct kmem_cache *s)
{
	kmb_pcpu_cache_for_each(&s->pcs, KMB_PCPU_OWN, flush_visit, NULL);
	barns_flush(s);
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

/* kmem_cache_shrink - may run in reclaim, beside users of the cache: every CPU's and every
 * thread's sheaves are flushed (flush_all). */
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
	flush_all(s);
	kmb_pcpu_cache_destroy(&s->pcs);	/* thread mode: every thread's sheaves freed */
	barns_flush(s);
	free_empty_partials(s);
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->object_size;
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}
