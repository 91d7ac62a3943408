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

/*
 * set_cpu_partial (mm/slub.c, Linux 6.2+ with CONFIG_SLUB_CPU_PARTIAL): how many objects a
 * CPU's partial list aims at, by object size, and the limit in slabs that put_cpu_partial
 * drains at (slub_set_cpu_partial: twice the objects, as if each slab were half free, in
 * slabs of this cache).  None for debug caches (kmem_cache_has_cpu_partial) and in mode none,
 * which has no CPU slots.
 */
static void set_cpu_partial(struct kmem_cache *s)
{
	unsigned int nr_objects;

	if ((s->flags & SLAB_DEBUG_FLAGS) || s->pcs.mode == KMB_PERCPU_NONE)
		nr_objects = 0;
	else if (slab_cpu_partial_objects >= 0)		/* as sysfs cpu_partial sets it */
		nr_objects = (unsigned int)slab_cpu_partial_objects;
	else if (s->size >= PAGE_SIZE)
		nr_objects = 6;
	else if (s->size >= 1024)
		nr_objects = 24;
	else if (s->size >= 256)
		nr_objects = 52;
	else
		nr_objects = 120;
	s->cpu_partial = nr_objects;
	s->cpu_partial_slabs = (nr_objects * 2 + s->objects - 1) / s->objects;
}

static inline bool kmem_cache_has_cpu_partial(const struct kmem_cache *s)
{
	return s->cpu_partial_slabs != 0;
}

/* kmalloc_size_roundup: the kmalloc size class @size falls in (8, 16, 32, 64, 96, 128, 192,
 * 256, ... powers of two). */
static size_t kmalloc_size_roundup_calc(size_t size)
{
	size_t c = 8;

	if (size > 64 && size <= 96)
		return 96;
	if (size > 128 && size <= 192)
		return 192;
	while (c < size)
		c <<= 1;
	return c;
}

/* The kernel's struct slab_sheaf header on 64-bit (mm/slub.c: a union of rcu_head, barn_list
 * and capacity, then cache, size and node): 32 bytes.  kmbench's is laid out as the rseq
 * sequences need (size, capacity: 8 bytes), but the capacity is computed on the kernel's. */
#define KERNEL_SHEAF_HEADER	32u

/*
 * calculate_sheaf_capacity (mm/slub.c, Linux 7.0, "sheaves for all"): the objects of a sheaf,
 * by object size, roughly half what the CPU partial lists held (a CPU has two sheaves), then
 * grown until the sheaf fills its kmalloc size class: 60 below 256 bytes, 28 up to 1 KiB, 12
 * up to a page, 4 from a page up.  None for debug caches.  The kernel takes the larger of this
 * and a capacity the cache asks for; kmbench takes the one asked for (kmem_cache_args), so that
 * a test or an experiment can make sheaves small.
 */
static unsigned int calculate_sheaf_capacity(const struct kmem_cache *s)
{
	unsigned int capacity;
	size_t bytes;

	if (s->size >= PAGE_SIZE)
		capacity = 4;
	else if (s->size >= 1024)
		capacity = 12;
	else if (s->size >= 256)
		capacity = 26;
	else
		capacity = 60;
	bytes = kmalloc_size_roundup_calc(KERNEL_SHEAF_HEADER + capacity * sizeof(void *));
	return (unsigned int)((bytes - KERNEL_SHEAF_HEADER) / sizeof(void *));
}

/* --- sheaves: memory and the barn --- */

/* The main sheaf of a slot before its first refill, and always in a cache without sheaves:
 * nothing to pop, no room to push, so the fast paths go to the slow ones (Linux's
 * bootstrap_sheaf). */
static struct slab_sheaf bootstrap_sheaf = { .size = 0, .capacity = 0 };

static inline bool sheaf_real(const struct slab_sheaf *sh)
{
	return sh && sh != &bootstrap_sheaf;
}

/* Sheaves are metadata, from the C library's allocator (the kernel kmallocs them), in whole
 * cache lines: two CPUs' sheaves never share one. */
static struct slab_sheaf *alloc_empty_sheaf(struct kmem_cache *s)
{
	size_t bytes = sizeof(struct slab_sheaf) + s->sheaf_capacity * sizeof(void *);
	struct slab_sheaf *sh = aligned_alloc(64, (bytes + 63) / 64 * 64);

	if (!sh)
		return NULL;
	sh->size = 0;
	sh->capacity = s->sheaf_capacity;
	return sh;
}

static void free_empty_sheaf(struct slab_sheaf *sh)
{
	if (sheaf_real(sh))
		free(sh);
}

static inline struct node_barn *get_barn(struct kmem_cache *s, int node)
{
	return &s->node[node]->barn;
}

/* The last sheaf put on one of @barn's stacks (@nr its count), or NULL. */
static struct slab_sheaf *barn_take(struct node_barn *barn, struct slab_sheaf **stack,
				    unsigned int *nr)
{
	struct slab_sheaf *sh = NULL;

	if (!kmb_data_race(__atomic_load_n(nr, __ATOMIC_RELAXED)))	/* racy peek (tsan.h) */
		return NULL;
	spin_lock(&barn->lock);
	if (*nr)
		sh = stack[--*nr];
	spin_unlock(&barn->lock);
	return sh;
}

/* An empty sheaf from the barn, or a new one; NULL when there is no memory. */
static struct slab_sheaf *barn_get_empty(struct kmem_cache *s, struct node_barn *barn)
{
	struct slab_sheaf *sh = barn_take(barn, barn->empty, &barn->nr_empty);

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
		barn->empty[barn->nr_empty++] = sh;
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
		barn->full[barn->nr_full++] = sh;
		kept = true;
	}
	spin_unlock(&barn->lock);
	return kept;
}

/* A full sheaf from the barn, or NULL. */
static struct slab_sheaf *barn_get_full(struct node_barn *barn)
{
	return barn_take(barn, barn->full, &barn->nr_full);
}

/* barn_replace_empty_sheaf (mm/slub.c, 6.18): a full sheaf for the empty @empty, in one hold
 * of the lock (the empty ones may exceed their limit: the number of sheaves does not change);
 * NULL when the barn has none. */
static struct slab_sheaf *barn_replace_empty_sheaf(struct node_barn *barn,
						   struct slab_sheaf *empty)
{
	struct slab_sheaf *full = NULL;

	kmb_assert(sheaf_real(empty) && !empty->size);
	if (!kmb_data_race(__atomic_load_n(&barn->nr_full, __ATOMIC_RELAXED)))	/* racy peek */
		return NULL;
	spin_lock(&barn->lock);
	if (barn->nr_full) {
		full = barn->full[--barn->nr_full];
		if (barn->nr_empty < BARN_EMPTY_SLOTS) {
			barn->empty[barn->nr_empty++] = empty;
			empty = NULL;
		}
	}
	spin_unlock(&barn->lock);
	if (full)
		free_empty_sheaf(empty);	/* NULL: kept */
	return full;
}

/* barn_replace_full_sheaf (mm/slub.c, 6.18): an empty sheaf for the full @full, in one hold of
 * the lock; NULL with *@err -E2BIG when the barn holds MAX_FULL_SHEAVES already, -ENOMEM when
 * it has no empty one. */
static struct slab_sheaf *barn_replace_full_sheaf(struct node_barn *barn,
						  struct slab_sheaf *full, int *err)
{
	struct slab_sheaf *empty = NULL;

	*err = 0;
	/* racy peeks, data_race() in mm/slub.c (tsan.h) */
	if (kmb_data_race(__atomic_load_n(&barn->nr_full, __ATOMIC_RELAXED)) >= MAX_FULL_SHEAVES) {
		*err = -E2BIG;		/* not checked again under the lock, as the kernel's */
		return NULL;
	}
	if (!kmb_data_race(__atomic_load_n(&barn->nr_empty, __ATOMIC_RELAXED))) {
		*err = -ENOMEM;
		return NULL;
	}
	spin_lock(&barn->lock);
	if (barn->nr_empty && barn->nr_full < MAX_FULL_SHEAVES) {
		empty = barn->empty[--barn->nr_empty];
		barn->full[barn->nr_full++] = full;
	} else if (barn->nr_empty) {
		*err = -E2BIG;		/* another CPU filled it meanwhile: no room in the array */
	} else {
		*err = -ENOMEM;
	}
	spin_unlock(&barn->lock);
	return empty;
}

/* --- the per-CPU cache's callbacks (thread mode) --- */

static struct kmem_cache *cache_of(struct kmb_pcpu_cache *pc)
{
	return (struct kmem_cache *)((char *)pc - offsetof(struct kmem_cache, pcs));
}

static inline struct kmem_cache_cpu __percpu *cpu_slots(const struct kmem_cache *s)
{
	return s->pcs.slots;
}

static void cpu_slot_flush(struct kmem_cache *s, struct kmem_cache_cpu *c, int node);

/* A thread's first use of the cache: its slot, with the bootstrap as the main sheaf. */
static void *thread_slot_new(struct kmb_pcpu_cache *pc)
{
	struct kmem_cache_cpu *c = calloc(1, sizeof(*c));

	(void)pc;
	if (c)
		c->main = &bootstrap_sheaf;
	return c;
}

/* Thread exit (and the cache's destruction): the thread's CPU slab, partial slabs and sheaves
 * back to the slabs and the barn, and the slot freed. */
static void thread_slot_exit(struct kmb_pcpu_cache *pc, void *slot)
{
	cpu_slot_flush(cache_of(pc), slot, numa_node_id());
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

/* The fast paths' dispatch: thread and cpu-rseq caches, with or without sheaves, inline;
 * cpu-lock, none and debug caches out of line. */
static unsigned int slab_fast_kind(const struct kmem_cache *s)
{
	if (s->pcs.fast == KMB_PCPU_FAST_THREAD)
		return s->sheaf_capacity ? SLAB_FAST_THREAD_SHEAF : SLAB_FAST_THREAD_CPU;
	if (s->pcs.fast == KMB_PCPU_FAST_RSEQ)
		return s->sheaf_capacity ? SLAB_FAST_RSEQ_SHEAF : SLAB_FAST_RSEQ_CPU;
	return SLAB_FAST_OTHER;
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
		kn->barn.nr_full = kn->barn.nr_empty = 0;
	}
	if (calculate_sizes(s))
		return -EINVAL;
	if (KMB_TOOLS && slab_tools_on)
		s->flags |= SLAB_TOOLS;
	s->allocflags = (s->flags & SLAB_CACHE_DMA) ? __GFP_DMA : 0;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;	/* calculate_sizes() in mm/slub.c */
	/* Debug caches check every object on the node lists: no CPU slabs, no sheaves
	 * (kmem_cache_debug() caches in Linux take alloc_single_from_partial and
	 * free_to_partial_list). */
	if (s->flags & SLAB_DEBUG_FLAGS)
		mode = KMB_PERCPU_NONE;
	s->pcs.mode = mode;
	if (s->sheaf_capacity > SHEAF_MAX_CAPACITY)
		return -EINVAL;
	if (!s->sheaves || mode == KMB_PERCPU_NONE)
		s->sheaf_capacity = 0;
	else if (!s->sheaf_capacity)
		s->sheaf_capacity = calculate_sheaf_capacity(s);
	set_cpu_partial(s);
	s->pcs.thread_new = thread_slot_new;
	s->pcs.thread_exit = thread_slot_exit;
	r = kmb_pcpu_cache_init(&s->pcs, mode, sizeof(struct kmem_cache_cpu),
				__alignof__(struct kmem_cache_cpu));
	if (r)
		return r;
	s->fast = slab_fast_kind(s);
	if (cpu_slots(s))
		for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
			per_cpu_ptr(cpu_slots(s), cpu)->main = &bootstrap_sheaf;
	return 0;
}

/* --- slabs --- */

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int node)
{
	return s->node[node];
}

/* slab_is_valid - the validator of a slab's accounting: its freelist holds exactly
 * objects - inuse objects, each the start of an object of the slab.  Only while no other
 * thread can change the slab (a new slab, one being given back, a debug cache's under the
 * node lock).  O(objects): in kmb_assert_internal and kmb_expensive_assert only. */
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

/* new_slab (allocate_slab + shuffle-free setup): frames, metadata, objects chained, ctors.
 * The slab is on no list, not frozen, every object free; only its caller knows it. */
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
	slab->counters = 0;
	slab->objects = s->objects & 0x7fff;
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
	/* kasan_poison_slab (mm/kasan/common.c): nothing of a new slab is the user's yet */
	if (s->flags & SLAB_TOOLS)
		kmb_tool_poison(slab_address(slab), PAGE_SIZE << s->order);
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

/* discard_slab: back to the page allocator.  The slab is on no list, every object free. */
static void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	struct page *page = slab_page(slab);
	struct kmem_cache_node *n = get_node(s, slab->node);

	kmb_assert(slab->inuse == 0 && !slab->frozen);
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
	/* the frames go back to the buddy allocator, which poisons them again while they are
	 * free (page_alloc.c page_tools) */
	if (s->flags & SLAB_TOOLS)
		kmb_tool_unpoison(slab_address(slab), PAGE_SIZE << s->order);
	page_clear(page, PG_slab);
	page_clear(page, PG_workingset);
	slab->slab_cache = NULL;
	slab->freelist = NULL;
	slab->counters = 0;		/* the frame's mapcount and owner word again */
	atomic_fetch_add_explicit(&slab_stat_free, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&slab_pages[!!(s->flags & SLAB_RECLAIM_ACCOUNT)],
				  1L << s->order, memory_order_relaxed);
	__free_pages(page, s->order);
}

/* add_partial, remove_partial (mm/slub.c): the node's list and PG_workingset, under its
 * list_lock. */
static inline void add_partial(struct kmem_cache_node *n, struct slab *slab)
{
	list_add_tail(&slab->slab_list, &n->partial);
	n->nr_partial++;
	page_set(slab_page(slab), PG_workingset);
}

static inline void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	list_del(&slab->slab_list);
	n->nr_partial--;
	page_clear(slab_page(slab), PG_workingset);
}

static cold noinline void slab_double_free(struct kmem_cache *s, struct slab *slab, void *obj)
{
	slab_err(s, slab, obj, "double free of object %p", obj);
}

static void discard_slabs(struct kmem_cache *s, struct list_head *discard)
{
	while (!list_empty(discard)) {
		struct slab *slab = list_first_entry(discard, struct slab, slab_list);

		list_del(&slab->slab_list);
		discard_slab(s, slab);
	}
}

/* --- the CPU slot: owning it --- */

/*
 * Own the slot of the running CPU (cpu modes; *@cpu is that CPU) or of this thread (thread
 * mode; *@cpu is -1).  The owner may migrate and still own it.  NULL in mode none, and in
 * thread mode when the thread's slot cannot be created (the caller goes to the node lists).
 */
static struct kmem_cache_cpu *slot_lock(struct kmem_cache *s, int *cpu)
{
	return kmb_pcpu_cache_lock_here(&s->pcs, cpu, false);
}

/* Give the slot back; a thread's fast paths work on its main sheaf (a cache with sheaves) or
 * its CPU slab's {freelist, slab} from now on. */
static inline void slot_unlock(struct kmem_cache *s, struct kmem_cache_cpu *c, int cpu)
{
	if (s->pcs.mode == KMB_PERCPU_THREAD)
		kmb_pcpu_thread_publish(&s->pcs, s->sheaf_capacity ? (void *)c->main :
					(void *)&c->c);
	kmb_pcpu_cache_unlock(&s->pcs, c, cpu);
}

/* --- freeing to a slab without a lock (__slab_free) --- */

static void put_cpu_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab,
			    bool drain);

/* __slab_free's @owned: the caller owns no slot (NULL), owns this slot (a slow path, or a flush
 * of it), or wants full slabs that become partial on their node's list (FREE_TO_NODE: the
 * barns' flush, which owns no slot and may run after the slots are gone). */
#define FREE_TO_NODE	((struct kmem_cache_cpu *)1)

/*
 * __slab_free (mm/slub.c, Linux 6.8+): @cnt objects of @slab, chained from @head to @tail, back
 * on the slab's freelist with one cmpxchg16b on freelist and counters, from any CPU, with no
 * lock in the common cases:
 *   - the slab is a CPU slab (frozen): nothing else to do, its owner finds them;
 *   - the slab was full: it goes to this CPU's partial list (put_cpu_partial), or, in a cache
 *     without those, to its node's partial list under the lock;
 *   - the slab became empty: under the node's lock, given back if it is on the node's partial
 *     list and the node keeps min_partial slabs already (one on a CPU's partial list stays:
 *     __put_partials decides when it leaves);
 *   - otherwise nothing: the slab is on a partial list already.
 * A free whose object is already the head of the slab's freelist, or that would make inuse
 * negative, is a double free: reported, and nothing changes.  @owned: see FREE_TO_NODE.
 */
static void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail,
			unsigned int cnt, struct kmem_cache_cpu *owned)
{
	/* A slab of another node goes to its node's list, not to this CPU's (the kernel keeps it
	 * on the CPU's, where a NUMA_NO_NODE allocation may take it): kmbench keeps a CPU's
	 * slabs, and so its sheaves, on its own node, so that memory is where a policy put it. */
	bool to_cpu = kmem_cache_has_cpu_partial(s) && owned != FREE_TO_NODE &&
		      (kmb_mm.nr_nodes == 1 || slab->node == numa_node_id());
	struct kmem_cache_node *n = NULL;
	unsigned long counters, newc;
	bool was_frozen;
	void *prior;
	struct slab new;

	do {
		if (unlikely(n)) {
			spin_unlock(&n->list_lock);
			n = NULL;
		}
		prior = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
		counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		new.counters = counters;
		if (unlikely(head == prior || new.inuse < cnt)) {
			slab_double_free(s, slab, head);
			return;
		}
		set_freepointer(s, tail, prior);
		was_frozen = new.frozen;
		new.inuse -= cnt;
		if ((!new.inuse || !prior) && !was_frozen) {
			if (!(to_cpu && !prior)) {
				n = get_node(s, slab->node);
				spin_lock(&n->list_lock);
			}
		}
		newc = new.counters;
	} while (!slab_update_freelist(slab, prior, counters, head, newc));

	if (likely(!n)) {
		if (!was_frozen && !prior)	/* was full: to this CPU's partial list */
			put_cpu_partial(s, owned, slab, true);
		return;
	}
	/* On a CPU's partial list, or on its way to one, or to being frozen: not ours to move. */
	if (prior && !slab_test_node_partial(slab)) {
		spin_unlock(&n->list_lock);
		return;
	}
	if (!new.inuse && n->nr_partial >= s->min_partial) {
		if (prior)
			remove_partial(n, slab);
		spin_unlock(&n->list_lock);
		discard_slab(s, slab);
		return;
	}
	if (!prior)			/* no CPU partial lists: a full slab to the node's */
		add_partial(n, slab);
	spin_unlock(&n->list_lock);
}

/*
 * __put_partials (mm/slub.c): a chain of CPU partial slabs to their nodes' partial lists; an
 * empty one is given back instead when its node keeps min_partial slabs already.
 */
static void __put_partials(struct kmem_cache *s, struct slab *chain)
{
	struct kmem_cache_node *locked = NULL;
	struct list_head discard;

	INIT_LIST_HEAD(&discard);
	while (chain) {
		struct slab *slab = chain;
		struct kmem_cache_node *n = get_node(s, slab->node);

		chain = slab->next;
		if (n != locked) {
			if (locked)
				spin_unlock(&locked->list_lock);
			spin_lock(&n->list_lock);
			locked = n;
		}
		if (!slab_inuse_now(slab) && n->nr_partial >= s->min_partial)
			list_add(&slab->slab_list, &discard);
		else
			add_partial(n, slab);
	}
	if (locked)
		spin_unlock(&locked->list_lock);
	discard_slabs(s, &discard);
}

/*
 * put_cpu_partial (mm/slub.c): @slab, partial now, onto the calling CPU's (or thread's)
 * partial list, or onto @owned's, a slot the caller owns.  With @drain, a list holding
 * cpu_partial_slabs already goes to the node lists first, all of it (__put_partials, with the
 * slot let go).
 */
static void put_cpu_partial(struct kmem_cache *s, struct kmem_cache_cpu *owned,
			    struct slab *slab, bool drain)
{
	struct slab *oldslab, *slab_to_put = NULL;
	struct kmem_cache_cpu *c = owned;
	int slabs = 0, cpu;

	if (!owned)
		c = slot_lock(s, &cpu);
	if (unlikely(!c)) {		/* a thread without its slot */
		slab->next = NULL;
		__put_partials(s, slab);
		return;
	}
	oldslab = c->partial;
	if (oldslab) {
		if (drain && oldslab->slabs >= (int)s->cpu_partial_slabs) {
			slab_to_put = oldslab;	/* partial list full: drain it */
			oldslab = NULL;
		} else {
			slabs = oldslab->slabs;
		}
	}
	slab->slabs = slabs + 1;
	slab->next = oldslab;
	c->partial = slab;
	if (!owned)
		slot_unlock(s, c, cpu);
	if (slab_to_put)
		__put_partials(s, slab_to_put);
}

/* --- taking objects: the node lists --- */

/*
 * Take one object of @slab, on @n's partial list, under its lock (alloc_single_from_partial):
 * other CPUs may free to it meanwhile, so the pop is a cmpxchg16b too.  A slab left with no
 * free object leaves the list (full).
 */
static void *take_one_locked(struct kmem_cache *s, struct kmem_cache_node *n,
			     struct slab *slab)
{
	unsigned long counters;
	void *obj;
	struct slab new;

	do {
		obj = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
		counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		new.counters = counters;
		new.inuse++;
	} while (!slab_update_freelist(slab, obj, counters, get_freepointer(s, obj),
				       new.counters));
	kmb_assert(new.inuse <= new.objects);
	/* Full as the cmpxchg left it: a free from now on sees it full and puts it on a list
	 * itself (waiting for this lock when it goes to the node's). */
	if (!get_freepointer(s, obj))
		remove_partial(n, slab);
	return obj;
}

/*
 * One object of node @node's slabs, without a CPU slab: mode none, and requests for a node
 * that is not the caller's (Linux would deactivate the CPU slab for them; kmbench leaves it).
 * A new slab goes on the node's partial list with one object taken.
 */
static noinline void *slab_alloc_one(struct kmem_cache *s, gfp_t gfp, int node)
{
	int nid = node == NUMA_NO_NODE ? numa_node_id() : node;
	struct kmem_cache_node *n = get_node(s, nid);
	struct slab *slab;
	void *obj = NULL;

	if (kmb_data_race(n->nr_partial)) {	/* racy peek, as the kernel's get_partial_node */
		spin_lock(&n->list_lock);
		if (!list_empty(&n->partial))
			obj = take_one_locked(s, n, list_first_entry(&n->partial, struct slab,
								     slab_list));
		spin_unlock(&n->list_lock);
		if (obj)
			return obj;
	}
	slab = new_slab(s, gfp, nid);
	if (!slab)
		return NULL;
	obj = slab->freelist;			/* nobody else knows the slab yet */
	slab->freelist = get_freepointer(s, obj);
	slab->inuse = 1;
	if (slab->freelist) {
		n = get_node(s, slab->node);	/* the page allocator may fall back */
		spin_lock(&n->list_lock);
		add_partial(n, slab);
		spin_unlock(&n->list_lock);
	}
	return obj;
}

/*
 * get_partial_node (mm/slub.c, Linux 6.8+): slabs off node @nid's partial list for this CPU:
 * the first to become its CPU slab (returned), more onto *@extra for its partial list, until
 * that would hold more than half of cpu_partial_slabs.  NULL when the list is empty.
 */
static struct slab *get_partial_node(struct kmem_cache *s, int nid, struct slab **extra)
{
	struct kmem_cache_node *n = get_node(s, nid);
	struct slab *first = NULL;
	unsigned int partial_slabs = 0;

	*extra = NULL;
	if (!kmb_data_race(n->nr_partial))	/* racy peek, as above */
		return NULL;
	spin_lock(&n->list_lock);
	while (!list_empty(&n->partial)) {
		struct slab *slab = list_first_entry(&n->partial, struct slab, slab_list);

		remove_partial(n, slab);
		if (!first) {
			first = slab;
		} else {
			slab->next = *extra;
			*extra = slab;
			partial_slabs++;
		}
		if (partial_slabs > s->cpu_partial_slabs / 2)
			break;
	}
	spin_unlock(&n->list_lock);
	return first;
}

/*
 * get_freelist (mm/slub.c): the whole freelist of @slab, taken with one cmpxchg16b that sets
 * inuse to objects and frozen to whether there was one.  For this CPU's slab, the objects other
 * CPUs freed to it since it took its freelist; when there are none the slab is unfrozen, full,
 * on no list (the next free to it puts it on a partial list).
 */
static void *get_freelist(struct slab *slab)
{
	unsigned long counters, newc;
	void *fl;

	do {
		fl = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
		counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		newc = slab_counters(counters, slab->objects, fl != NULL);
	} while (!slab_update_freelist(slab, fl, counters, NULL, newc));
	return fl;
}

/*
 * freeze_slab (mm/slub.c, Linux 6.8+): make @slab, taken off a partial list, a CPU slab: its
 * whole freelist taken, inuse = objects, frozen.  Returns the freelist (never NULL for a
 * partial slab: frees only add to it).
 */
static void *freeze_slab(struct slab *slab)
{
	kmb_assert(!((struct slab){
		.counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED) }).frozen);
	return get_freelist(slab);
}

/*
 * deactivate_slab (mm/slub.c, Linux 6.8+): a CPU slab given up, with @freelist, the objects
 * its CPU had not taken: they go back to the slab's freelist and the slab is unfrozen in one
 * cmpxchg16b; then an empty slab is given back when its node keeps min_partial slabs, one with
 * free objects goes to the node's partial list, a full one to no list.
 */
static void deactivate_slab(struct kmem_cache *s, struct slab *slab, void *freelist)
{
	struct kmem_cache_node *n = get_node(s, slab->node);
	unsigned long counters, newc;
	unsigned int cnt = 0;
	void *tail = NULL, *old, *newfl;
	struct slab new;

	for (void *p = freelist; p; p = get_freepointer(s, p)) {
		tail = p;
		cnt++;
	}
	do {
		old = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
		counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
		new.counters = counters;
		kmb_assert(new.frozen && new.inuse >= cnt);
		new.inuse -= cnt;
		new.frozen = 0;
		if (tail) {
			set_freepointer(s, tail, old);
			newfl = freelist;
		} else {
			newfl = old;
		}
		newc = new.counters;
	} while (!slab_update_freelist(slab, old, counters, newfl, newc));

	if (!new.inuse && n->nr_partial >= s->min_partial) {
		discard_slab(s, slab);
	} else if (newfl) {
		spin_lock(&n->list_lock);
		add_partial(n, slab);
		spin_unlock(&n->list_lock);
	}
}

/* --- the CPU slab's slow path (___slab_alloc), the slot owned --- */

/*
 * ___slab_alloc (mm/slub.c, Linux 6.8+): c->freelist is empty.  In order: the objects freed
 * to the CPU slab meanwhile (get_freelist); a slab of the CPU's partial list, frozen; slabs
 * from the node's partial list (get_partial_node: one frozen, more to the CPU's partial list);
 * a new slab.  Returns an object, with c->freelist holding the slab's others, or NULL when the
 * page allocator failed.  The slot is owned on entry and on return; it is let go around
 * new_slab, so *@c and *@cpu may change (another CPU's slot).
 */
static void *___slab_alloc(struct kmem_cache *s, gfp_t gfp, struct kmem_cache_cpu **cp,
			   int *cpu)
{
	struct kmem_cache_cpu *c = *cp;
	struct slab *slab, *extra;
	void *freelist;

	kmb_assert(!c->c.freelist);
	slab = c->c.slab;
	if (slab) {
		freelist = get_freelist(slab);
		if (freelist)
			goto load_freelist;
		c->c.slab = NULL;		/* full now, and unfrozen */
	}
	while (c->partial) {
		slab = c->partial;
		c->partial = slab->next;
		freelist = freeze_slab(slab);
		if (freelist)
			goto new_cpu_slab;
	}
	slab = get_partial_node(s, numa_node_id(), &extra);
	if (slab) {
		while (extra) {			/* put_cpu_partial(s, slab, 0) */
			struct slab *next = extra->next;

			extra->slabs = (c->partial ? c->partial->slabs : 0) + 1;
			extra->next = c->partial;
			c->partial = extra;
			extra = next;
		}
		freelist = freeze_slab(slab);
		goto new_cpu_slab;
	}

	slot_unlock(s, c, *cpu);
	slab = new_slab(s, gfp, NUMA_NO_NODE);
	c = *cp = slot_lock(s, cpu);	/* perhaps another CPU's now */
	if (!slab)
		return NULL;
	if (unlikely(!c)) {		/* the thread's slot went: the slab to its node */
		slab->next = NULL;
		__put_partials(s, slab);
		return NULL;
	}
	freelist = slab->freelist;	/* nobody else knows it yet: frozen without a cmpxchg */
	slab->freelist = NULL;
	slab->counters = slab_counters(slab->counters, slab->objects, true);
	if (c->c.freelist) {		/* another thread of this CPU filled the slot meanwhile */
		deactivate_slab(s, slab, freelist);
		freelist = c->c.freelist;
		c->c.freelist = get_freepointer(s, freelist);
		return freelist;
	}
	if (c->c.slab)
		deactivate_slab(s, c->c.slab, NULL);
new_cpu_slab:
	c->c.slab = slab;
load_freelist:
	c->c.freelist = get_freepointer(s, freelist);
	return freelist;
}

/*
 * Up to @want objects for @out from the CPU slab layer (refill_sheaf, __kmem_cache_alloc_bulk):
 * the slot is owned and let go here.  Fewer than @want only when the page allocator failed.
 */
static unsigned int cpu_alloc_bulk(struct kmem_cache *s, gfp_t gfp, void **out,
				   unsigned int want)
{
	struct kmem_cache_cpu *c;
	unsigned int got = 0;
	int cpu;

	c = slot_lock(s, &cpu);
	if (unlikely(!c)) {
		while (got < want && (out[got] = slab_alloc_one(s, gfp, NUMA_NO_NODE)))
			got++;
		return got;
	}
	while (got < want) {
		void *obj = c->c.freelist;

		if (obj) {
			c->c.freelist = get_freepointer(s, obj);
		} else {
			obj = ___slab_alloc(s, gfp, &c, &cpu);
			if (!obj)
				break;
		}
		out[got++] = obj;
	}
	if (c)
		slot_unlock(s, c, cpu);
	return got;
}

/*
 * put_objects - @cnt objects back to their slabs (sheaf_flush_main, __kmem_cache_free_bulk):
 * each run of objects of one slab chained and freed with one __slab_free (@owned as its).
 */
static void put_objects(struct kmem_cache *s, void **objs, unsigned int cnt,
			struct kmem_cache_cpu *owned)
{
	unsigned int i = 0;

	while (i < cnt) {
		struct slab *slab = virt_to_slab(objs[i]);
		void *head = objs[i], *tail = objs[i];
		unsigned int run = 1;

		while (i + run < cnt && run < 0xffff && virt_to_slab(objs[i + run]) == slab &&
		       objs[i + run] != tail) {
			set_freepointer(s, tail, objs[i + run]);
			tail = objs[i + run];
			run++;
		}
		__slab_free(s, slab, head, tail, run, owned);
		i += run;
	}
}

/* --- debug caches: the node lists under the lock --- */

/*
 * __slab_free of a debug cache, node lock held: @obj back on its slab's freelist; a slab that
 * was full leaves the full list for the partial one; an empty one beyond min_partial goes on
 * @discard (the caller gives it back after dropping the lock).
 */
static bool put_object_locked(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab,
			      void *obj, struct list_head *discard)
{
	bool was_full = !slab->freelist;

	if (unlikely(obj == slab->freelist || !slab->inuse))	/* the naive check */
		return false;
	set_freepointer(s, obj, slab->freelist);
	slab->freelist = obj;
	slab->inuse--;
	kmb_expensive_assert(slab_is_valid(s, slab));
	if (was_full) {
		list_del(&slab->slab_list);	/* off the full list */
		add_partial(n, slab);
	}
	if (!slab->inuse && n->nr_partial > s->min_partial) {
		remove_partial(n, slab);
		list_add(&slab->slab_list, discard);
	}
	return true;
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

/*
 * Debug caches: one object at a time from the node lists (alloc_single_from_partial,
 * alloc_single_from_new_slab): with F checked first (alloc_debug_processing; a slab that fails
 * is marked full, put on the full list, and another tried), then red-zoned and poisoned as
 * allocated, under the node lock, and its call site kept.
 */
static noinline void *slab_alloc_debug(struct kmem_cache *s, gfp_t gfp, int node,
				       const void *caller, unsigned int orig_size)
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
	/* alloc_debug_processing: set_orig_size, then init_object, which red-zones a kmalloc
	 * object past the size asked for (the kmalloc redzone, Linux 6.2) */
	slab_debug_set_orig_size(s, obj, orig_size);
	slab_debug_init_object(s, obj, SLUB_RED_ACTIVE);
	spin_unlock(&n->list_lock);
	slab_debug_set_track(s, obj, TRACK_ALLOC, caller);
	return obj;
}

/* --- sheaves: the slow paths, shared by the thread, cpu-lock and cpu-rseq modes --- */

/* Give a sheaf's objects back to the slabs (@owned as __slab_free's); it stays, empty. */
static void sheaf_flush(struct kmem_cache *s, struct slab_sheaf *sh, struct kmem_cache_cpu *owned)
{
	if (sh && sh->size) {
		put_objects(s, sh->objects, sh->size, owned);
		sh->size = 0;
	}
}

/*
 * The main sheaf is empty (alloc_from_pcs's slow side, __pcs_replace_empty_main of Linux
 * 6.18): the spare if it has objects; else the empty main exchanged for a full sheaf of the
 * barn, in one hold of its lock (barn_replace_empty_sheaf); else an empty sheaf (the spare, the
 * barn's, or a new one) refilled from the CPU slab layer with the slot let go (new slabs may
 * sleep, and reclaim may flush this very slot), and put where there is room when the slot is
 * owned again.
 */
static noinline void *sheaves_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	struct node_barn *barn = get_barn(s, numa_node_id());
	struct kmem_cache_cpu *c;
	struct slab_sheaf *sh, *empty = NULL;
	void *obj;
	int cpu;

	c = slot_lock(s, &cpu);
	if (!c)
		return slab_alloc_one(s, gfp, NUMA_NO_NODE);
	slub_stat(c->alloc_slow);
	if (c->main->size)			/* refilled meanwhile */
		goto pop;
	if (c->spare && c->spare->size) {
		sh = c->spare;
		c->spare = c->main;
		c->main = sh;
		goto pop;
	}
	sh = sheaf_real(c->main) ? barn_replace_empty_sheaf(barn, c->main) : barn_get_full(barn);
	if (sh) {
		c->main = sh;
		goto pop;
	}
	if (c->spare) {				/* empty: refill it */
		empty = c->spare;
		c->spare = NULL;
	}
	slot_unlock(s, c, cpu);

	sh = empty ? empty : barn_get_empty(s, barn);
	if (!sh)
		return slab_alloc_one(s, gfp, NUMA_NO_NODE);
	sh->size = cpu_alloc_bulk(s, gfp, sh->objects, sh->capacity);
	if (!sh->size) {
		barn_put_empty(barn, sh);
		return NULL;
	}
	obj = sh->objects[--sh->size];

	c = slot_lock(s, &cpu);		/* perhaps another CPU's now */
	if (!c) {
		sheaf_flush(s, sh, NULL);
		barn_put_empty(barn, sh);
		return obj;
	}
	if (!c->main->size) {
		barn_put_empty(barn, c->main);
		c->main = sh;
	} else if (!c->spare) {
		c->spare = sh;
	} else if (!c->spare->size) {
		barn_put_empty(barn, c->spare);
		c->spare = sh;
	} else if (!barn_put_full(barn, sh)) {
		sheaf_flush(s, sh, c);		/* every place is full: back to the slabs */
		barn_put_empty(barn, sh);
	}
	slot_unlock(s, c, cpu);
	return obj;
pop:
	obj = c->main->objects[--c->main->size];
	slot_unlock(s, c, cpu);
	return obj;
}

/*
 * The main sheaf is full (free_to_pcs's slow side, __pcs_replace_full_main of Linux 6.18): the
 * spare if it has room; else the full main exchanged for an empty sheaf of the barn in one hold
 * of its lock (barn_replace_full_sheaf); when the barn holds enough full sheaves the spare's
 * objects go back to their slabs instead, with the slot let go, and it becomes the main; when
 * the barn has no empty sheaf a new one is made.
 */
static noinline void sheaves_free_slow(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct node_barn *barn = get_barn(s, numa_node_id());
	struct kmem_cache_cpu *c;
	struct slab_sheaf *main, *empty;
	int cpu, r;

	c = slot_lock(s, &cpu);
	if (!c) {
		__slab_free(s, slab, obj, obj, 1, NULL);
		return;
	}
	slub_stat(c->free_slow);
	main = c->main;
	if (main->size < main->capacity)	/* emptied meanwhile */
		goto push;
	if (!sheaf_real(main) || !c->spare) {
		empty = barn_take(barn, barn->empty, &barn->nr_empty);
		if (empty) {
			if (sheaf_real(main))
				c->spare = main;
			c->main = empty;
			goto push;
		}
		goto alloc_empty;
	}
	if (c->spare->size < c->spare->capacity) {
		c->main = c->spare;
		c->spare = main;
		goto push;
	}
	empty = barn_replace_full_sheaf(barn, main, &r);
	if (empty) {
		c->main = empty;
		goto push;
	}
	if (r == -E2BIG) {		/* the barn has enough: the spare back to the slabs */
		empty = c->spare;
		c->spare = NULL;
		slot_unlock(s, c, cpu);
		sheaf_flush(s, empty, NULL);
		goto got_empty;
	}
alloc_empty:
	slot_unlock(s, c, cpu);
	empty = alloc_empty_sheaf(s);
	if (!empty) {
		__slab_free(s, slab, obj, obj, 1, NULL);
		return;
	}
got_empty:
	c = slot_lock(s, &cpu);		/* perhaps another CPU's now */
	if (!c) {
		free_empty_sheaf(empty);
		__slab_free(s, slab, obj, obj, 1, NULL);
		return;
	}
	main = c->main;
	if (main->size < main->capacity) {		/* room made meanwhile */
		barn_put_empty(barn, empty);
	} else if (!sheaf_real(main)) {
		c->main = empty;
	} else if (!c->spare) {
		c->spare = main;
		c->main = empty;
	} else if (c->spare->size < c->spare->capacity) {
		barn_put_empty(barn, empty);
		c->main = c->spare;
		c->spare = main;
	} else if (barn_put_full(barn, main)) {
		c->main = empty;
	} else {
		sheaf_flush(s, main, c);		/* every place is full: back to the slabs */
		barn_put_empty(barn, empty);
	}
push:
	main = c->main;
	if (unlikely(main->size && main->objects[main->size - 1] == obj)) {
		slot_unlock(s, c, cpu);
		slab_double_free(s, slab, obj);
		return;
	}
	main->objects[main->size++] = obj;
	slot_unlock(s, c, cpu);
}

/* --- the CPU slab's slow paths (caches without sheaves) --- */

/* c->freelist was empty (or the slot busy): the slot owned, ___slab_alloc. */
static noinline void *cpu_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	struct kmem_cache_cpu *c;
	void *obj;
	int cpu;

	c = slot_lock(s, &cpu);
	if (unlikely(!c))
		return slab_alloc_one(s, gfp, NUMA_NO_NODE);
	slub_stat(c->alloc_slow);
	obj = c->c.freelist;
	if (obj)			/* refilled meanwhile */
		c->c.freelist = get_freepointer(s, obj);
	else
		obj = ___slab_alloc(s, gfp, &c, &cpu);
	if (c)
		slot_unlock(s, c, cpu);
	return obj;
}

/*
 * do_slab_free's slow side: @obj is not of this CPU's slab (or the slot was busy): back to its
 * slab with __slab_free.  When it is of the CPU slab after all (a busy slot, a migration), it
 * goes on c->freelist under the slot, as the kernel's fast path would have put it.
 */
static noinline void cpu_free_slow(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct kmem_cache_cpu *c;
	int cpu;

	c = slot_lock(s, &cpu);
	if (c && c->c.slab == slab) {
		slub_stat(c->free_slow);
		if (unlikely(obj == c->c.freelist)) {
			slot_unlock(s, c, cpu);
			slab_double_free(s, slab, obj);
			return;
		}
		set_freepointer(s, obj, c->c.freelist);
		c->c.freelist = obj;
		slot_unlock(s, c, cpu);
		return;
	}
	if (c)
		slot_unlock(s, c, cpu);
	__slab_free(s, slab, obj, obj, 1, NULL);
}

/* --- the fast paths --- */

#define PCS_MAIN	((long)offsetof(struct kmem_cache_cpu, main))
_Static_assert(offsetof(struct kmem_cache_cpu, c) == sizeof(struct kmb_pcpu_guard) &&
	       offsetof(struct kmem_cache_cpu_fast, slab) == sizeof(void *),
	       "rseq.h's list sequences: the guard, then {freelist, slab}");

/*
 * Everything but a hit in the sheaves or on c->freelist: debug caches, the none mode, other
 * nodes, __GFP_ZERO, and a main sheaf or CPU freelist found empty.  Out of line, so that the
 * fast paths below need no saved registers and end in a tail call.
 */
static noinline void *slab_alloc_other(struct kmem_cache *s, gfp_t gfp, int node,
				       const void *caller)
{
	void *obj;

	if (s->pcs.mode == KMB_PERCPU_CPU_LOCK &&
	    likely(node == NUMA_NO_NODE && !(gfp & __GFP_ZERO))) {
		/* cpu-lock's fast path, here so that the others need no frame */
		struct kmem_cache_cpu *c = per_cpu_ptr(cpu_slots(s), kmb_current_cpu());

		kmb_pcpu_spin_lock(&c->guard);
		if (s->sheaf_capacity) {
			struct slab_sheaf *main = c->main;
			unsigned int n = main->size;

			/* Only a sheaf with objects is written: an empty main may be the bootstrap
			 * sheaf, which every CPU's slot shares (a race TSan found: every CPU
			 * stored 0 into it, under its own guard). */
			obj = NULL;
			if (n) {
				obj = main->objects[--n];
				main->size = n;
			}
		} else {
			obj = c->c.freelist;
			if (obj)
				c->c.freelist = get_freepointer(s, obj);
		}
		kmb_pcpu_spin_unlock(&c->guard);
		if (likely(obj))
			return obj;
	}
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS))
		obj = slab_alloc_debug(s, gfp, node, caller, s->object_size);
	/* The CPU's slabs and sheaves hold the local node's objects (sheaves: any node's): a
	 * request for another node goes to its slabs. */
	else if (node != NUMA_NO_NODE && node != numa_node_id())
		obj = slab_alloc_one(s, gfp, node);
	else if (s->pcs.mode == KMB_PERCPU_NONE)
		obj = slab_alloc_one(s, gfp, NUMA_NO_NODE);
	else if (s->sheaf_capacity)
		obj = sheaves_alloc_slow(s, gfp);	/* pops the main sheaf when it has objects */
	else
		obj = cpu_alloc_slow(s, gfp);		/* pops c->freelist when it has objects */
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

/*
 * The CPU slab's fast path (a cache without sheaves): one pop from c->freelist, the kernel's
 * slab_alloc_node fast path (this_cpu_cmpxchg_double of freelist and tid), in each mode's way.
 * Out of line, so that the sheaves' fast paths below keep no saved registers.
 */
static noinline void *slab_alloc_cpu(struct kmem_cache *s, gfp_t gfp, const void *caller)
{
	void *obj;

	if (likely(s->fast == SLAB_FAST_RSEQ_CPU)) {
#if KMB_HAVE_RSEQ_ASM
		int why;

		obj = kmb_rseq_list_pop(&cpu_slots(s)->c, s->offset, &why);
		if (likely(obj))
			return obj;
#endif
	} else {
		struct kmem_cache_cpu_fast *f = kmb_pcpu_thread_enter(s->pcs.id);

		obj = f->freelist;
		if (likely(obj)) {
			f->freelist = get_freepointer(s, obj);
			kmb_pcpu_thread_leave();
			return obj;
		}
		kmb_pcpu_thread_leave();
	}
	return slab_alloc_other(s, gfp, NUMA_NO_NODE, caller);
}

/* The fast paths: one pop from the main sheaf in each mode's way; the CPU slab's above. */
static always_inline void *slab_alloc_node_raw(struct kmem_cache *s, gfp_t gfp, int node,
					       const void *caller)
{
	struct slab_sheaf *main;
	unsigned int n, fast = s->fast;
	void *obj;

	kmb_slow_fastpath();	/* nothing, unless a slowed build for the gates' test (config.h) */
	/* One compare tells the sheaves' two inline cases from the rest. */
	if (likely(node == NUMA_NO_NODE && !(gfp & __GFP_ZERO)) &&
	    likely(fast <= SLAB_FAST_RSEQ_SHEAF)) {
		if (likely(fast == SLAB_FAST_RSEQ_SHEAF)) {
#if KMB_HAVE_RSEQ_ASM
			int why;

			obj = kmb_rseq_stack_pop(cpu_slots(s), PCS_MAIN, &why);
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
	} else if (likely(node == NUMA_NO_NODE && !(gfp & __GFP_ZERO)) &&
		   fast <= SLAB_FAST_RSEQ_CPU) {
		return slab_alloc_cpu(s, gfp, caller ? caller : __builtin_return_address(0));
	}
	/* NULL: the exported function's caller, read here and not kept across the fast path */
	return slab_alloc_other(s, gfp, node, caller ? caller : __builtin_return_address(0));
}

#if KMB_TOOLS
/* __kasan_slab_alloc (mm/kasan/common.c): @size bytes of @obj are the user's, unpoisoned and a
 * memcheck block; a constructor's object keeps what its constructor wrote (defined). */
static void slab_tools_alloc(struct kmem_cache *s, void *obj, unsigned int size)
{
	kmb_tool_malloclike(obj, size);
	if (s->ctor)
		kmb_tool_defined(obj, size);
}

/*
 * A build with the tools (base/tools.h): the object becomes the user's (slab_tools_alloc)
 * before anything writes it: so __GFP_ZERO is done here, after that, and not by the paths
 * below.  Out of line: Release builds have none of it.
 */
static noinline void *slab_alloc_tools(struct kmem_cache *s, gfp_t gfp, int node,
				       const void *caller)
{
	void *obj;

	if (!(s->flags & SLAB_TOOLS))
		return slab_alloc_node_raw(s, gfp, node, caller);
	obj = slab_alloc_node_raw(s, gfp & ~__GFP_ZERO, node, caller);
	if (!obj)
		return NULL;
	slab_tools_alloc(s, obj, s->object_size);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	return obj;
}
#endif

static always_inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node,
					   const void *caller)
{
#if KMB_TOOLS
	return slab_alloc_tools(s, gfp, node, caller ? caller : __builtin_return_address(0));
#else
	return slab_alloc_node_raw(s, gfp, node, caller);
#endif
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

void *__kmem_cache_alloc_orig(struct kmem_cache *s, gfp_t flags, int node, const void *caller,
			      unsigned int orig_size)
{
	void *obj;

	if (!(s->flags & SLAB_DEBUG_FLAGS))
		return slab_alloc_node(s, flags, node, caller);
	obj = slab_alloc_debug(s, flags, node, caller, orig_size);
#if KMB_TOOLS
	/* the user's up to the size asked for: the kmalloc redzone stays poisoned */
	if (obj && (s->flags & SLAB_TOOLS))
		slab_tools_alloc(s, obj, orig_size);
#endif
	if (unlikely(flags & __GFP_ZERO) && obj)
		memset(obj, 0, orig_size);
	return obj;
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

/* Everything but a push on the main sheaf or on c->freelist: debug caches, the none mode,
 * objects of another node or slab, a full main sheaf and a double free on top (reported by the
 * slow path). */
static noinline void slab_free_other(struct kmem_cache *s, struct slab *slab, void *obj,
				     const void *caller)
{
	if (s->pcs.mode == KMB_PERCPU_CPU_LOCK) {
		/* cpu-lock's fast path, here so that the others need no frame */
		struct kmem_cache_cpu *c = per_cpu_ptr(cpu_slots(s), kmb_current_cpu());

		if (s->sheaf_capacity) {
			if (kmb_mm.nr_nodes == 1 || slab->node == numa_node_id()) {
				struct slab_sheaf *main;
				unsigned int n;

				kmb_pcpu_spin_lock(&c->guard);
				main = c->main;
				n = main->size;
				if (likely(n < main->capacity) &&
				    likely(!n || main->objects[n - 1] != obj)) {
					main->objects[n] = obj;
					main->size = n + 1;
					kmb_pcpu_spin_unlock(&c->guard);
					return;
				}
				kmb_pcpu_spin_unlock(&c->guard);
			}
		} else {
			bool mine;

			kmb_pcpu_spin_lock(&c->guard);
			mine = c->c.slab == slab;
			if (likely(mine) && likely(c->c.freelist != obj)) {
				set_freepointer(s, obj, c->c.freelist);
				c->c.freelist = obj;
				kmb_pcpu_spin_unlock(&c->guard);
				return;
			}
			kmb_pcpu_spin_unlock(&c->guard);
			if (!mine && !(s->flags & SLAB_DEBUG_FLAGS)) {
				__slab_free(s, slab, obj, obj, 1, NULL);
				return;
			}
		}
	}
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS))
		slab_free_debug(s, slab, obj, caller);
	else if (s->pcs.mode == KMB_PERCPU_NONE)
		__slab_free(s, slab, obj, obj, 1, NULL);
	else if (!s->sheaf_capacity)
		cpu_free_slow(s, slab, obj);
	else if (slab->node != numa_node_id())
		/* An object of another node goes back to its node's slabs (free_to_pcs). */
		__slab_free(s, slab, obj, obj, 1, NULL);
	else
		sheaves_free_slow(s, slab, obj);
}

/* The head frame of the slab that frame @page belongs to. */
static always_inline struct slab *frame_slab(struct page *page)
{
	return page_slab(compound_head(page));
}

/*
 * The CPU slab's fast path (a cache without sheaves): an object of this CPU's slab goes on
 * c->freelist (do_slab_free's fast path), any other back to its slab (__slab_free), in each
 * mode's way.  Out of line, as slab_alloc_cpu.
 */
static noinline void slab_free_cpu(struct kmem_cache *s, struct page *page, void *obj,
				   const void *caller)
{
	struct slab *slab = frame_slab(page);

	if (likely(s->fast == SLAB_FAST_RSEQ_CPU)) {
#if KMB_HAVE_RSEQ_ASM
		int r = kmb_rseq_list_push(&cpu_slots(s)->c, slab, obj, s->offset);

		if (likely(!r))
			return;
		if (r == KMB_RSEQ_MISS) {
			__slab_free(s, slab, obj, obj, 1, NULL);
			return;
		}
#endif
	} else {
		struct kmem_cache_cpu_fast *f = kmb_pcpu_thread_enter(s->pcs.id);

		if (likely(f->slab == slab) && likely(f->freelist != obj)) {
			set_freepointer(s, obj, f->freelist);
			f->freelist = obj;
			kmb_pcpu_thread_leave();
			return;
		}
		kmb_pcpu_thread_leave();
		/* Another slab's object (the bootstrap's slab word is no slab's): to its slab. */
		if (f != (void *)&kmb_pcpu_bootstrap && f->slab != slab) {
			__slab_free(s, slab, obj, obj, 1, NULL);
			return;
		}
	}
	slab_free_other(s, slab, obj, caller);
}

#if KMB_TOOLS
/*
 * A build with the tools: @obj goes back from its user, poisoned and a freed memcheck block
 * (__kasan_slab_free).  A free of an object ASan sees poisoned already is a double free
 * (check_slab_allocation, mm/kasan/common.c): ASan's report, which stops the process; one that
 * memcheck finds no block for is its "Invalid free()".  Either is refused, as the allocator's
 * own double-free checks refuse one, which see only some (a free onto the top of a sheaf or
 * CPU freelist).  A pointer that is no object's start is left to the free path, which reports
 * it.  False: the free must not go on.  A debug cache's object too, before slub_debug's checks
 * (the kernel's slab_free_hook runs __kasan_slab_free before free_to_partial_list's
 * free_debug_processing); a large kmalloc's pages (kfree_other).
 */
static bool tools_free(const char *who, const void *obj, size_t size)
{
	static const char fmt[] = "kmbench: %s: double free of object %p (%s)\n";

	if (kmb_tool_poisoned(obj)) {
		fprintf(stderr, fmt, who, obj, "AddressSanitizer: it is poisoned");
		kmb_tool_report_free(obj);
		return false;
	}
	if (kmb_tool_freelike(obj, size))
		return true;
	fprintf(stderr, fmt, who, obj, "memcheck: it is no live block");
	return false;
}

static noinline bool slab_free_tools(struct kmem_cache *s, struct page *page, void *obj)
{
	if (!slab_object_start(s, frame_slab(page), obj))
		return true;
	return tools_free(s->name, obj, s->object_size);
}
#endif

/*
 * The fast paths: one push on the main sheaf in each mode's way; the CPU slab's above.  @page
 * is any frame of the object's slab (every frame carries the cache and the node).
 */
static always_inline void slab_free(struct kmem_cache *s, struct page *page, void *obj,
				    const void *caller)
{
	struct slab_sheaf *main;
	unsigned int n, fast = s->fast;

#if KMB_TOOLS
	if ((s->flags & SLAB_TOOLS) && !slab_free_tools(s, page, obj))
		return;
#endif
	if (likely(fast <= SLAB_FAST_RSEQ_SHEAF)) {
		if (unlikely(!node_is_local(page->node)))
			goto other;
		if (likely(fast == SLAB_FAST_RSEQ_SHEAF)) {
#if KMB_HAVE_RSEQ_ASM
			if (likely(!kmb_rseq_stack_push(cpu_slots(s), PCS_MAIN, obj)))
				return;
#endif
		} else {
			main = kmb_pcpu_thread_enter(s->pcs.id);
			n = main->size;
			if (likely(n < main->capacity) &&
			    likely(!n || main->objects[n - 1] != obj)) {
				main->objects[n] = obj;
				main->size = n + 1;
				kmb_pcpu_thread_leave();
				return;
			}
			kmb_pcpu_thread_leave();
		}
	} else if (fast <= SLAB_FAST_RSEQ_CPU) {
		slab_free_cpu(s, page, obj, caller ? caller : __builtin_return_address(0));
		return;
	}
other:
	slab_free_other(s, frame_slab(page), obj, caller ? caller : __builtin_return_address(0));
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
#if KMB_TOOLS
	/* __kasan_kfree_large (mm/kasan/common.c): a double free is reported as a slab
	 * object's; memcheck's block goes, the page allocator poisons the pages */
	if (!tools_free("kfree", p, PAGE_SIZE << page->order))
		return;
#endif
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
		struct slab_sheaf *full[MAX_FULL_SHEAVES], *empty[BARN_EMPTY_SLOTS];
		unsigned int nr_full, nr_empty;

		spin_lock(&barn->lock);
		nr_full = barn->nr_full;
		nr_empty = barn->nr_empty;
		memcpy(full, barn->full, nr_full * sizeof(full[0]));
		memcpy(empty, barn->empty, nr_empty * sizeof(empty[0]));
		barn->nr_full = barn->nr_empty = 0;
		spin_unlock(&barn->lock);
		for (unsigned int i = 0; i < nr_full; i++) {
			sheaf_flush(s, full[i], FREE_TO_NODE);
			free_empty_sheaf(full[i]);
		}
		for (unsigned int i = 0; i < nr_empty; i++)
			free_empty_sheaf(empty[i]);
	}
}

/*
 * A slot's sheaves back to the slabs (and to @node's barn, empty), then its CPU slab
 * deactivated and its partial slabs put on their nodes' lists (flush_cpu_slab, pcs_flush_all).
 * The slot is the caller's.
 */
static void cpu_slot_flush(struct kmem_cache *s, struct kmem_cache_cpu *c, int node)
{
	struct node_barn *barn = get_barn(s, node);
	struct slab *partial;

	sheaf_flush(s, c->main, c);	/* slabs made partial join c->partial */
	sheaf_flush(s, c->spare, c);
	barn_put_empty(barn, c->main);
	barn_put_empty(barn, c->spare);
	c->main = &bootstrap_sheaf;
	c->spare = NULL;
	if (c->c.slab) {
		struct slab *slab = c->c.slab;
		void *freelist = c->c.freelist;

		c->c.slab = NULL;
		c->c.freelist = NULL;
		deactivate_slab(s, slab, freelist);
	}
	partial = c->partial;
	c->partial = NULL;
	if (partial)
		__put_partials(s, partial);
}

static int flush_visit(struct kmb_pcpu_cache *pc, void *slot, int who, void *arg)
{
	(void)arg;
	cpu_slot_flush(cache_of(pc), slot, who >= 0 ? cpu_to_node(who) : numa_node_id());
	return 0;
}

/* mm/slub.c flush_all_cpus_locked(), which has each CPU whose slot is in use run
 * flush_cpu_slab() and pcs_flush_all(): here the flusher owns each CPU's or thread's slot in
 * turn (percpu.c), and the owners go on meanwhile. */
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
			if (!slab_inuse_now(slab)) {
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
 * thread's slots are flushed (flush_all). */
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
	kmb_pcpu_cache_destroy(&s->pcs);	/* thread mode: every thread's slot flushed, freed */
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

/* --- introspection (slab.h) --- */

void kmb_slab_cache_info(const struct kmem_cache *s, struct kmb_slab_cache_info *info)
{
	*info = (struct kmb_slab_cache_info){
		.object_size = s->object_size, .slab_size = s->size, .align = s->align,
		.order = s->order, .objs_per_slab = s->objects, .min_partial = s->min_partial,
		.cpu_partial = s->cpu_partial, .cpu_partial_slabs = s->cpu_partial_slabs,
		.sheaf_capacity = s->sheaf_capacity, .percpu = s->pcs.mode,
	};
}

int kmb_slab_cpu_partial_slabs(struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c;
	int n = 0;

	if (!cpu_slots(s))
		return -1;
	c = per_cpu_ptr(cpu_slots(s), cpu);
	for (struct slab *p = __atomic_load_n(&c->partial, __ATOMIC_ACQUIRE); p; p = p->next)
		n++;
	return n;
}
