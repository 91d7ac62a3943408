/*
 * slab.h - internal header of the slab layer (slub.c, slab_common.c, slab_debug.c).
 *
 * A slab is a block of 2^order frames from the buddy allocator; its descriptor (struct slab)
 * overlays the head frame's struct page, as the kernel's does (mm/slab.h), so finding an
 * object's slab is virt_to_page() plus one test.  Frames after the head carry the head's address
 * with bit 0 set in lru.next (the kernel's compound_head encoding).
 *
 * Slab states (mm/slub.c, Linux 6.8 to 6.18: "delay freezing of partial slabs"):
 *   cpu slab     frozen (counters.frozen): one CPU's (or thread's) kmem_cache_cpu.slab; that
 *                CPU allocates from c->freelist, which it took whole; other CPUs free to
 *                slab->freelist with cmpxchg16b, and the owner takes those when c->freelist
 *                runs out (get_freelist).  On no list.
 *   cpu partial  on one CPU's c->partial chain (slab->next), not frozen, free objects on
 *                slab->freelist; put there by the free that made a full slab partial
 *                (put_cpu_partial), or by get_partial_node.
 *   node partial on its node's partial list (PG_workingset set: slab_test_node_partial).
 *   full         no free object, not frozen: on no list (on the node's full list for debug
 *                caches).
 * slab->freelist and slab->counters (inuse, objects, frozen) change together, with one
 * cmpxchg16b (slab_update_freelist), except in debug caches, whose slabs change only under the
 * node's list_lock (their objects never reach a CPU slab, a sheaf or a lockless free).
 * Objects in sheaves and on a CPU's c->freelist count as in use in their slab.
 *
 * Per-CPU object caches are sheaves, as Linux 6.18 has them (mm/slub.c: struct slab_sheaf,
 * slub_percpu_sheaves, node_barn; Bonwick's magazines and depot under other names), with the
 * capacity Linux 7.0 gives every cache (calculate_sheaf_capacity): each CPU (or thread, in
 * thread mode) has a main and a spare sheaf, arrays of free objects of any slab; each node has
 * a barn of full and empty sheaves.  Sheaves sit in front of the CPU slabs (a refill takes
 * objects from c->freelist and the CPU partial slabs, a flush frees them with __slab_free), and
 * a cache may have none (sheaf_capacity 0): its fast paths are then the CPU slab's.  The
 * kmem_cache_cpu and the sheaves of a CPU are one slot of the cache's per-CPU cache (struct
 * kmb_pcpu_cache, kmbench/percpu.h: the same mechanism as the page lists'), whose mode says how
 * it is protected: cpu-rseq fast paths are rseq sequences (the kernel's this_cpu_cmpxchg on
 * freelist and tid: a sequence that is preempted restarts, which is what the tid detects),
 * cpu-lock fast paths take the slot's guard, thread fast paths work on what the thread's fast
 * entry points to (its main sheaf, or its CPU slab's {freelist, slab}) while percpu.c's drain
 * protocol lets a flush own it meanwhile; none has no slot: objects come from the node
 * lists and go back with __slab_free.
 * Every CPU's and every thread's slot can be flushed while the cache is in use (flush_all).
 *
 * Lock order: the thread registry (percpu.c), then a slot (its guard), then a barn's lock or a
 * node's list_lock (never both), then the page allocator's.  No slot, barn or node lock is held
 * across an allocation from the page allocator (which may sleep, and whose reclaim may shrink
 * caches); an empty slab may be given back (which never sleeps) with any of them held.
 */
#ifndef KMB_ALLOC_SLAB_H
#define KMB_ALLOC_SLAB_H

#include <stddef.h>

#include "kmbench/slab.h"
#include "page_alloc.h"
#include "tools.h"

struct slab {
	unsigned long flags;		/* page->flags: PG_slab | PG_head, PG_workingset */
	union {				/* page->lru */
		struct list_head slab_list;	/* a node's partial or full list */
		struct {			/* a CPU's partial list (put_cpu_partial) */
			struct slab *next;
			int slabs;		/* slabs on the list from this one on */
		};
	};
	uint8_t order;			/* page->order */
	uint8_t zone;
	uint16_t node;
	atomic_int refcount;
	union {				/* page->mapcount and owner_word */
		unsigned long counters;	/* changed with freelist by one cmpxchg16b */
		struct {
			unsigned inuse:16;	/* objects not on slab->freelist */
			unsigned objects:15;	/* objects in the slab */
			unsigned frozen:1;	/* a CPU slab */
			uint16_t colour;	/* bytes before the first object (slab colouring) */
			uint16_t _pad;
		};
	};
	void *freelist;			/* page->private: first free object */
	struct kmem_cache *slab_cache;	/* page->mapping */
	uintptr_t caller;
};
_Static_assert(sizeof(struct slab) == sizeof(struct page), "struct slab overlays struct page");
_Static_assert(offsetof(struct slab, freelist) == offsetof(struct page, private), "freelist");
_Static_assert(offsetof(struct slab, slab_cache) == offsetof(struct page, mapping), "cache");
_Static_assert(offsetof(struct slab, slab_list) == offsetof(struct page, lru), "slab_list");
_Static_assert(offsetof(struct slab, counters) % 16 == 0 &&
	       offsetof(struct slab, freelist) == offsetof(struct slab, counters) + 8,
	       "counters and freelist: one aligned double word for cmpxchg16b");

/*
 * slab_update_freelist - set @slab's freelist and counters to @new_fl and @new_c if they are
 * still @old_fl and @old_c (mm/slub.c __update_freelist_fast: cmpxchg_double on freelist and
 * counters).  The slab is any CPU's: this is how frees reach a slab without a lock.
 */
static inline bool slab_update_freelist(struct slab *slab, void *old_fl, unsigned long old_c,
					void *new_fl, unsigned long new_c)
{
#if defined(__x86_64__)
	bool ok;

	typedef unsigned __int128 __attribute__((may_alias)) u128_alias;

	/* TSan sees neither this locked exchange nor its order (a full barrier on x86, as the
	 * kernel's cmpxchg_double): the release it makes, stated at the freelist's address,
	 * reaches the acquire loads of slab->freelist that every exchange starts from (tsan.h). */
	kmb_tsan_release(&slab->freelist);
	__asm__ __volatile__("lock cmpxchg16b %[mem]"
			     : [mem] "+m"(*(volatile u128_alias *)&slab->counters),
			       "+a"(old_c), "+d"(old_fl), "=@ccz"(ok)
			     : "b"(new_c), "c"(new_fl)
			     : "memory");
	/* And the acquire it makes: an exchange that succeeds read the pair as the last exchange
	 * left it, and is ordered after that one (x86 orders every locked instruction with the
	 * others), but the load that TSan saw acquire may be older.  Between it and the exchange
	 * the pair can go away and come back (ABA: an object taken, then freed again, on another
	 * CPU), and what the freeing CPU did before, its loads of this slab among them, then
	 * happens before whatever the caller does next, discard_slab's stores to the slab when the
	 * slab is now empty; TSan, without this, reported exactly that (tests/tsan/aba.c makes it
	 * happen).  The code is right as it is: a free that succeeds after an ABA links its
	 * objects before the head the slab has now and counts from the inuse it has now (the
	 * pair compared whole), and pops that could reuse a stale next pointer are serialized by
	 * the node's lock or the slab's owner, as in mm/slub.c; only TSan's order was short. */
	if (KMB_TSAN && ok)
		kmb_tsan_acquire(&slab->freelist);
	return ok;
#else
	unsigned __int128 old = ((unsigned __int128)(uintptr_t)old_fl << 64) | old_c;
	unsigned __int128 new = ((unsigned __int128)(uintptr_t)new_fl << 64) | new_c;

	return __atomic_compare_exchange_n((unsigned __int128 *)&slab->counters, &old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
#endif
}

/* The counters word with other inuse and frozen (the colour kept). */
static inline unsigned long slab_counters(unsigned long counters, unsigned int inuse,
					  bool frozen)
{
	struct slab t;

	t.counters = counters;
	t.inuse = inuse & 0xffff;
	t.frozen = frozen;
	return t.counters;
}

/* inuse as it is now, for a look without the slab's lock (racy, as the kernel's reads). */
static inline unsigned int slab_inuse_now(const struct slab *slab)
{
	struct slab t;

	t.counters = __atomic_load_n(&slab->counters, __ATOMIC_RELAXED);
	return t.inuse;
}

/* slab_test_node_partial (mm/slub.c): on its node's partial list; under the node's list_lock. */
static inline bool slab_test_node_partial(const struct slab *slab)
{
	return slab->flags & PG_mask(PG_workingset);
}

static inline struct page *slab_page(struct slab *slab)
{
	return (struct page *)slab;
}

static inline struct slab *page_slab(struct page *page)
{
	return (struct slab *)page;
}

static inline void *slab_address(struct slab *slab)
{
	return page_address(slab_page(slab));
}

/* compound_head(): the first frame of the block @page belongs to, for slab frames. */
static inline struct page *compound_head(struct page *page)
{
	/* Without a lock, as the kernel's READ_ONCE(page->compound_head): on a slab's first frame
	 * the word is slab_list.next, which a list's lock holder may change meanwhile; either value
	 * is a list pointer, bit 0 clear (tsan.h's kmb_data_race). */
	uintptr_t h = (uintptr_t)kmb_data_race(page->lru.next);

	return (h & 1) ? (struct page *)(h - 1) : page;
}

#define MAX_OBJS_BITMAP	((32767 + 7) / 8)	/* a bit per object of a slab */

/*
 * A sheaf: free objects of one cache, in the stack layout rseq.h's sequences work on.  The barn
 * holds sheaves in arrays (struct node_barn), so a sheaf needs no list link.
 */
struct slab_sheaf {
	uint32_t size;			/* objects held */
	uint32_t capacity;
	void *objects[];
};

/*
 * A CPU's (or a thread's) slot: its CPU slab (struct kmem_cache_cpu) and its sheaves
 * (struct slub_percpu_sheaves), the guard first, as rseq.h and percpu.h's slots require.
 * cpu.freelist and cpu.slab come first after the guard, as {freelist, slab}: a thread's fast
 * entry points at them (caches without sheaves), and read through kmb_pcpu_bootstrap they are
 * NULL and the bootstrap's own address, so both fast paths miss.
 */
struct kmem_cache_cpu_fast {
	void *freelist;			/* the CPU slab's objects, this CPU's to take */
	struct slab *slab;		/* the CPU slab (frozen), or NULL */
};
struct kmem_cache_cpu {
	struct kmb_pcpu_guard guard;
	struct kmem_cache_cpu_fast c;	/* c.freelist, c.slab (mm/slub.c struct kmem_cache_cpu) */
	struct slab *partial;		/* the CPU's partial slabs, chained by slab->next */
	struct slab_sheaf *main;	/* never NULL: &bootstrap_sheaf before the first refill, and
					 * always in a cache without sheaves */
	struct slab_sheaf *spare;	/* empty or full, or NULL */
	/* slub_stat (under the guard): slow paths of the sheaves and of the CPU slab */
	unsigned long alloc_slow, free_slow;
};

/*
 * A node's reserve of sheaves (struct node_barn): full and empty ones, last in first out, as the
 * kernel's lists (list_add, list_first_entry), kept in arrays here so that an exchange under
 * the lock touches the barn's own lines and not the neighbouring sheaves' links (which the
 * CPUs that own them write).  At most MAX_FULL_SHEAVES full ones; the empty ones may exceed
 * MAX_EMPTY_SHEAVES where an exchange leaves one more (barn_replace_empty_sheaf), up to
 * BARN_EMPTY_SLOTS, beyond which one is freed.
 */
#define MAX_FULL_SHEAVES	10	/* per barn, as mm/slub.c */
#define MAX_EMPTY_SHEAVES	10
#define BARN_EMPTY_SLOTS	(2 * (MAX_FULL_SHEAVES + MAX_EMPTY_SHEAVES))
struct node_barn {
	spinlock_t lock;
	unsigned int nr_full, nr_empty;
	struct slab_sheaf *full[MAX_FULL_SHEAVES];
	struct slab_sheaf *empty[BARN_EMPTY_SLOTS];
};

/* Per node (struct kmem_cache_node). */
struct kmem_cache_node {
	spinlock_t list_lock;
	unsigned long nr_partial;
	struct list_head partial;
	struct list_head full;		/* debug caches only */
	unsigned long nr_slabs;		/* under list_lock */
	unsigned long total_objects;
	unsigned int colour_next;	/* the next slab's colour (SLAB_COLOUR) */
	struct node_barn barn cacheline_aligned;
} cacheline_aligned;

/*
 * Alloc and free call sites, SLAB_STORE_USER: mm/slub.c's struct track as a Debian kernel
 * builds it (6.x: CONFIG_SLUB_DEBUG selects CONFIG_STACKDEPOT), the call site, a stack depot
 * handle, cpu, pid and when: 32 bytes on 64-bit, so that a debug cache's object size is the
 * kernel's.  kmbench keeps no stack depot: the handle stays 0.
 */
struct track {
	uintptr_t addr;
	uint32_t handle;
	int cpu;
	int pid;
	uint64_t when_ms;
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct track) == 32, "the kernel's struct track");
enum track_item { TRACK_ALLOC, TRACK_FREE };

/* A kmalloc cache (include/linux/slab.h SLAB_KMALLOC): kmem_cache_init() sets it, a bit above
 * the public flags.  Its alignment is the largest power of two dividing its size, and with
 * SLAB_STORE_USER its objects keep the size kmalloc was asked for (slub_debug_orig_size). */
#define SLAB_KMALLOC		(1u << 30)
/*
 * SLAB_TOOLS (the kernel's former SLAB_KASAN): the cache tells ASan and memcheck about its
 * objects (base/tools.h): a new slab is poisoned whole, an object is unpoisoned (a memcheck
 * block) from its allocation to its free, so a free object, on a slab's freelist, on a CPU
 * freelist or in a sheaf, the padding after each object and a slab's colour and leftover are
 * poisoned.  kmem_cache_open() sets it in a build with the tools (KMB_TOOLS), on every cache
 * while kmb_slab_set_tools() leaves it on; debug caches too, as KASAN works beside slub_debug:
 * their red zones, tracks, orig_size and padding stay poisoned all the time, and an object is
 * unpoisoned up to its object_size (a kmalloc object: the size asked for) from its allocation
 * to its free, so that a write into a red zone or a freed object's poison is ASan's report at
 * the write (memcheck's at the access), and still slub_debug's at its next check where the
 * tool goes on.  slab_debug.c's own reads and writes of that metadata are kmb_tool_nocheck
 * and quiet (mm/slub.c's metadata_access_enable(): kasan_disable_current()).
 */
#define SLAB_TOOLS		(1u << 29)
extern bool slab_tools_on;			/* kmb_slab_set_tools() */

struct kmem_cache {
	/* The sheaves: pcs.mode (resolved, never DEFAULT; debug caches use none), pcs.slots each
	 * CPU's struct kmem_cache_cpu (cpu modes), pcs.id the index of each thread's fast
	 * entry: its main sheaf, or its CPU slab's {freelist, slab} (thread mode). */
	struct kmb_pcpu_cache pcs;
	unsigned int sheaf_capacity;	/* objects per sheaf; 0: no sheaves */
	slab_flags_t flags;
	unsigned int object_size;	/* as created */
	unsigned int size;		/* stride: object and its metadata, aligned */
	unsigned int offset;		/* free pointer offset from the object */
	unsigned int inuse;		/* object plus right red zone: metadata starts here */
	unsigned int red_left_pad;	/* left red zone */
	unsigned int align;
	unsigned int order;		/* slab order */
	unsigned int objects;		/* objects per slab */
	unsigned int colour_off;	/* colour step (a cache line) */
	unsigned int colours;		/* distinct colours: leftover / colour_off + 1 */
	unsigned long min_partial;	/* empty slabs kept on a node's partial list */
	unsigned int cpu_partial;	/* objects a CPU's partial list aims at (slub_cpu_partial) */
	unsigned int cpu_partial_slabs;	/* slabs on it before put_cpu_partial drains it; 0:
					 * no CPU partial lists (debug caches, mode none) */
	unsigned int fast;		/* enum slab_fast: the fast paths' dispatch */
	bool sheaves;			/* asked for sheaves (kmem_cache_args.sheaves, or the
					 * default); sheaf_capacity says whether it has them */
	void (*ctor)(void *);
	gfp_t allocflags;		/* __GFP_DMA for SLAB_CACHE_DMA */
	atomic_ulong ctor_calls;
	atomic_ulong errors;
	struct list_head list;		/* slab_caches */
	char name[KMEM_CACHE_NAME_MAX];
	/* Last: a descriptor from the kmem_cache cache holds kmb_mm.nr_nodes entries, each from
	 * the kmem_cache_node cache (mm/slub.c's layout and sizes, kmem_cache_init). */
	struct kmem_cache_node *node[KMB_MAX_NUMNODES];
};

extern pthread_mutex_t slab_mutex;	/* slab_caches, cache creation and destruction */
/* The boot caches (mm/slab.h): every other cache's descriptor and its per-node structures come
 * from these two; their own are static (slab_common.c, kmem_cache_boot()). */
extern struct kmem_cache *kmem_cache, *kmem_cache_node;
extern struct list_head slab_caches;
extern slab_flags_t slub_debug;		/* kmb_slab_set_debug() */
extern atomic_ulong slab_stat_alloc, slab_stat_free;	/* slabs taken, given back: always
							 * kept, the shrinker counts with them */
/* stat() of mm/slub.c (CONFIG_SLUB_STATS): the detail counters, counted at KMB_STAT >= 2
 * (base/config.h) and compiled out below. */
#define slub_stat(counter)	KMB_STAT_ADD(2, counter, 1)
/* Pages in slabs: [0] unreclaimable, [1] SLAB_RECLAIM_ACCOUNT caches (meminfo's SUnreclaim and
 * SReclaimable). */
extern atomic_long slab_pages[2];

/* Which slab an object lives in; NULL when @obj is not in a slab frame. */
static inline struct slab *virt_to_slab(const void *obj)
{
	struct page *page;

	if (unlikely(!virt_addr_valid(obj)))
		return NULL;
	page = compound_head(virt_to_page(obj));
	/* PG_slab stays set while the caller holds an object of the slab; the other flags may
	 * change under the node's lock meanwhile (a race on purpose: tsan.h) */
	return kmb_data_race(page_test(page, PG_slab)) ? page_slab(page) : NULL;
}

static inline void *fixup_red_left(const struct kmem_cache *s, void *p)
{
	return (char *)p + s->red_left_pad;
}

/* First object of @slab (after its colour offset and left red zone). */
static inline char *slab_first_object(const struct kmem_cache *s, struct slab *slab)
{
	return (char *)slab_address(slab) + slab->colour + s->red_left_pad;
}

/* mm/slub.c slub_debug_orig_size: a kmalloc cache that stores the requested size. */
static inline bool slub_debug_orig_size(const struct kmem_cache *s)
{
	return (s->flags & SLAB_STORE_USER) && (s->flags & SLAB_KMALLOC);
}

/*
 * The free pointer lives in a free object, which a SLAB_TOOLS cache has poisoned: the
 * allocator's own access is not checked by ASan (kmb_tool_nocheck) nor reported by memcheck
 * (quiet, for this thread only, so that no other thread's accesses go unseen meanwhile).  In a
 * build without the tools, both are nothing.
 */
static inline kmb_tool_nocheck void *get_freepointer(const struct kmem_cache *s, const void *obj)
{
	void *fp;

	kmb_tool_quiet_begin();
	fp = *(void *const *)((const char *)obj + s->offset);
	kmb_tool_quiet_end();
	return fp;
}

static inline kmb_tool_nocheck void set_freepointer(const struct kmem_cache *s, void *obj,
						    void *fp)
{
	kmb_tool_quiet_begin();
	*(void **)((char *)obj + s->offset) = fp;
	kmb_tool_quiet_end();
}

/* --- slub.c --- */
/* struct kmem_cache.fast: which fast path a cache takes, one switch in kmem_cache_alloc/free */
enum slab_fast {
	SLAB_FAST_THREAD_SHEAF,	/* thread mode, with sheaves: the main sheaf */
	SLAB_FAST_RSEQ_SHEAF,	/* cpu-rseq, with sheaves: rseq stack sequences */
	SLAB_FAST_THREAD_CPU,	/* thread mode, no sheaves: the thread's CPU slab freelist */
	SLAB_FAST_RSEQ_CPU,	/* cpu-rseq, no sheaves: rseq list sequences on c->freelist */
	SLAB_FAST_OTHER,	/* cpu-lock, none, debug caches: out of line */
};

/* sizes, order, per-node state and sheaves; mode and sheaf_capacity set (0: the default).  The
 * per-node structures come from kmem_cache_node unless s->node[] holds them already (the boot
 * caches); on failure s->node[] is left as it was given. */
int kmem_cache_open(struct kmem_cache *s);
void kmem_cache_close(struct kmem_cache *s);	/* flush and free empty slabs and sheaves */
/* kmem_cache_alloc_node with the call site the debug tracks record (kmalloc's caller) and, in a
 * debug cache, the size kmalloc was asked for (its orig_size and kmalloc redzone). */
void *__kmem_cache_alloc_orig(struct kmem_cache *s, gfp_t flags, int node, const void *caller,
			      unsigned int orig_size);
void kmem_cache_free_nodes(struct kmem_cache *s);	/* after close: back to kmem_cache_node */
unsigned long kmem_cache_objects_in_use(struct kmem_cache *s);
/* flush_all - every CPU's or every thread's sheaves and the barns back to the slabs, while
 * other threads go on using the cache (mm/slub.c flush_all_cpus_locked). */
void flush_all(struct kmem_cache *s);
extern enum kmb_percpu_mode slab_percpu_mode;	/* kmb_slab_set_percpu, resolved */
extern int slab_cpu_partial_objects;		/* kmb_slab_set_cpu_partial; -1: by size */
/* Counts for slabinfo: slabs, objects, free objects (on partial slabs' free lists). */
void kmem_cache_counts(struct kmem_cache *s, unsigned long *slabs, unsigned long *objects,
		       unsigned long *free);

/* --- slab_debug.c (SLAB_DEBUG_FLAGS caches; reports for every cache) --- */
void slab_debug_init_object(struct kmem_cache *s, void *obj, uint8_t val);
void slab_debug_init_tracking(struct kmem_cache *s, void *obj);
void slab_debug_setup_slab(struct kmem_cache *s, struct slab *slab);
/* the F checks (node lock held): at alloc (false: the slab was marked full), at free (false:
 * the free is refused), of a slab given back */
bool slab_debug_alloc_checks(struct kmem_cache *s, struct slab *slab, void *obj);
bool slab_debug_free_checks(struct kmem_cache *s, struct slab *slab, void *obj);
void slab_debug_free_slab(struct kmem_cache *s, struct slab *slab);
void slab_debug_set_track(struct kmem_cache *s, void *obj, enum track_item t,
			  const void *caller);
/* set_orig_size, get_orig_size (mm/slub.c): the size kmalloc was asked for, kept after the
 * tracks by kmalloc caches with SLAB_STORE_USER; get gives the object size for other caches. */
void slab_debug_set_orig_size(struct kmem_cache *s, void *obj, unsigned int orig_size);
unsigned int slab_debug_get_orig_size(struct kmem_cache *s, void *obj);
bool slab_object_start(const struct kmem_cache *s, struct slab *slab, const void *obj);
unsigned long slab_debug_validate_slab(struct kmem_cache *s, struct slab *slab);
cold noinline void slab_err(struct kmem_cache *s, struct slab *slab, const void *obj,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
