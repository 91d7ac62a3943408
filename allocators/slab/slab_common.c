/*
 * slab_common.c - what every cache shares (mm/slab_common.c): creation and destruction, the
 * kmalloc size classes, /proc/slabinfo, slub_debug, and the shrinker that lets GFP_KERNEL
 * pressure reclaim empty slabs.
 *
 * kmalloc: caches kmalloc-8 .. kmalloc-8k with the odd classes 96 and 192 (kmalloc_info), and a
 * dma-kmalloc- set for GFP_DMA, created by kmem_cache_init().  Sizes up to 192 map through the
 * kernel's size_index table; larger ones to the next power of two.  Above KMALLOC_MAX_CACHE_SIZE
 * a request goes straight to the page allocator (kmalloc_large), up to KMALLOC_MAX_SIZE.
 *
 * Cache descriptors come from the kmem_cache cache and each node's struct kmem_cache_node from
 * the kmem_cache_node cache, as in SLUB (mm/slub.c kmem_cache_init); the two boot caches are
 * made on first need (kmem_cache_boot) with static descriptors and node structures, which stay
 * static: the kernel's bootstrap() moves them into slab objects, so its kmem_cache and
 * kmem_cache_node rows count 2 and 2 x nodes objects more than this model's.
 *
 * slab_caches is newest first (list_add in create_cache, mm/slab_common.c), and /proc/slabinfo
 * shows it in that order (slab_start/slab_next walk it from the head): the kmalloc caches near
 * the end, kmem_cache_node and kmem_cache last.  slab_mutex orders creation, destruction and the
 * list.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab.h"

#define KMALLOC_MIN_SHIFT	3
enum kmalloc_cache_type { KMALLOC_NORMAL, KMALLOC_DMA, NR_KMALLOC_TYPES };

static struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];

/* size_index (mm/slab_common.c): sizes 8..192 in steps of 8 -> kmalloc index; 1 is kmalloc-96
 * and 2 is kmalloc-192, index k >= 3 is kmalloc-(1 << k). */
static const uint8_t size_index[24] = {
	3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2,
};

static const struct {
	const char *name;
	unsigned int size;
} kmalloc_info[KMALLOC_SHIFT_HIGH + 1] = {
	{ NULL, 0 }, { "kmalloc-96", 96 }, { "kmalloc-192", 192 }, { "kmalloc-8", 8 },
	{ "kmalloc-16", 16 }, { "kmalloc-32", 32 }, { "kmalloc-64", 64 }, { "kmalloc-128", 128 },
	{ "kmalloc-256", 256 }, { "kmalloc-512", 512 }, { "kmalloc-1k", 1024 },
	{ "kmalloc-2k", 2048 }, { "kmalloc-4k", 4096 }, { "kmalloc-8k", 8192 },
};

static always_inline unsigned int kmalloc_index(size_t size)
{
	if (size <= 192)
		return size_index[(size - 1) / 8];
	return 64 - (unsigned int)__builtin_clzl(size - 1);
}

static struct shrinker slab_shrinker;
static bool slab_up;
static bool slab_sheaves_on = true;	/* kmb_slab_set_sheaves */
int slab_cpu_partial_objects = -1;	/* kmb_slab_set_cpu_partial */
static unsigned int slab_sheaf_capacity;	/* kmb_slab_set_sheaf_capacity; 0: by size */

/* --- creation and destruction --- */

static struct kmem_cache boot_kmem_cache, boot_kmem_cache_node;
static struct kmem_cache_node boot_nodes[2][KMB_MAX_NUMNODES];
struct kmem_cache *kmem_cache, *kmem_cache_node;

/* create_boot_cache (mm/slab_common.c): a cache whose descriptor and node structures are given
 * (static), SLAB_HWCACHE_ALIGN, without sheaves (the descriptors are not what kmbench times). */
static int create_boot_cache(struct kmem_cache *s, struct kmem_cache_node *nodes,
			     const char *name, unsigned int size)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->flags = SLAB_HWCACHE_ALIGN | slub_debug;
	s->align = (unsigned int)cache_line_size();
	s->pcs.mode = KMB_PERCPU_NONE;
	for (int n = 0; n < kmb_mm.nr_nodes; n++) {
		memset(&nodes[n], 0, sizeof(nodes[n]));
		s->node[n] = &nodes[n];
	}
	return kmem_cache_open(s);
}

/*
 * kmem_cache_init's first half (mm/slub.c): kmem_cache_node, then kmem_cache, whose objects
 * are descriptors of kmb_mm.nr_nodes node pointers (offsetof(struct kmem_cache, node) plus
 * nr_node_ids pointers in the kernel).  bootstrap() lists kmem_cache before kmem_cache_node.
 * slab_mutex held.
 */
static int kmem_cache_boot(void)
{
	int r;

	if (kmem_cache)
		return 0;
	kmem_cache_node = &boot_kmem_cache_node;
	kmem_cache = &boot_kmem_cache;
	r = create_boot_cache(kmem_cache_node, boot_nodes[0], "kmem_cache_node",
			      sizeof(struct kmem_cache_node));
	if (!r) {
		r = create_boot_cache(kmem_cache, boot_nodes[1], "kmem_cache",
				      (unsigned int)(offsetof(struct kmem_cache, node) +
						     (size_t)kmb_mm.nr_nodes *
						     sizeof(struct kmem_cache_node *)));
		if (r)
			kmem_cache_close(kmem_cache);
	}
	if (r) {
		kmem_cache_close(kmem_cache_node);
		kmem_cache = kmem_cache_node = NULL;
		return r;
	}
	list_add(&kmem_cache->list, &slab_caches);
	list_add(&kmem_cache_node->list, &slab_caches);
	return 0;
}

/* A descriptor back: its slabs and sheaves, its node structures, itself. */
static void cache_release(struct kmem_cache *s)
{
	kmem_cache_close(s);
	kmem_cache_free_nodes(s);
	kmem_cache_free(kmem_cache, s);
}

static const char *name_problem(const char *name)
{
	size_t n;

	if (!name || !*name)
		return "empty";
	n = strnlen(name, KMEM_CACHE_NAME_MAX);
	if (n == KMEM_CACHE_NAME_MAX)
		return "too long";
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)name[i]) || name[i] == ' ')
			return "not printable without spaces";
	return NULL;
}

static struct kmem_cache *create_fail(const char *name, slab_flags_t flags, const char *why)
{
	char shown[4 * KMEM_CACHE_NAME_MAX + 1];
	size_t pos = 0;

	/* The name as C would escape it, cut short: the report stays one printable line. */
	for (size_t i = 0; name && name[i] && i < KMEM_CACHE_NAME_MAX; i++) {
		unsigned char c = (unsigned char)name[i];

		pos += (size_t)snprintf(shown + pos, sizeof(shown) - pos,
					isprint(c) ? "%c" : "\\x%02x", c);
	}
	shown[pos] = 0;
	fprintf(stderr, "kmbench: kmem_cache_create(%s): %s\n", name ? shown : "(null)", why);
	if (flags & SLAB_PANIC)
		abort();
	return NULL;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache_args args = { .align = align, .ctor = ctor };

	return __kmem_cache_create_args(name, size, &args, flags);
}

struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int size,
					    const struct kmem_cache_args *args,
					    slab_flags_t flags)
{
	static const struct kmem_cache_args none;
	const char *bad = name_problem(name);
	struct kmem_cache *s;
	unsigned int line = (unsigned int)cache_line_size();
	unsigned int align;
	void (*ctor)(void *);
	int r;

	if (!args)
		args = &none;
	align = args->align;
	ctor = args->ctor;

	if (bad)
		return create_fail(name, flags, bad[0] == 'e' ? "the name is empty" :
				   bad[0] == 't' ? "the name is too long (63 bytes at most)" :
				   "the name has a character that is not printable, or a space");
	if (!kmb_mm.booted)
		return create_fail(name, flags, "the page allocator is not up (kmb_mm_init)");
	if (!size || size > KMALLOC_MAX_SIZE)
		return create_fail(name, flags, "object size out of range");
	if (align & (align - 1))
		return create_fail(name, flags, "alignment is not a power of two");
	if (args->sheaf_capacity > KMEM_CACHE_MAX_SHEAF)
		return create_fail(name, flags, "sheaf_capacity above KMEM_CACHE_MAX_SHEAF (256)");
	if ((unsigned int)args->percpu > KMB_PERCPU_CPU_RSEQ)
		return create_fail(name, flags, "unknown per-CPU mode");
	if ((unsigned int)args->sheaves > KMEM_SHEAVES_OFF)
		return create_fail(name, flags, "unknown sheaves setting (default, on, off)");
	pthread_mutex_lock(&slab_mutex);
	r = kmem_cache_boot();
	pthread_mutex_unlock(&slab_mutex);
	if (r)
		return create_fail(name, flags, "cannot create the boot caches kmem_cache and "
				   "kmem_cache_node");
	s = kmem_cache_zalloc(kmem_cache, GFP_KERNEL);
	if (!s)
		return create_fail(name, flags, "no memory for the cache descriptor");
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->flags = flags | slub_debug;
	s->ctor = ctor;
	/*
	 * calculate_alignment (mm/slab_common.c), except that SLAB_HWCACHE_ALIGN aligns to the
	 * whole line: the kernel halves it for objects of half a line or less, which lets two
	 * small objects share a line; kmbench's aligned caches never share one, so the
	 * aligned-against-packed comparison measures what it says.
	 */
	if (!align)
		align = size < 16 ? 8 : 16;
	if ((flags & SLAB_HWCACHE_ALIGN) && align < line)
		align = line;
	s->align = align < sizeof(void *) ? sizeof(void *) : align;
	s->sheaf_capacity = args->sheaf_capacity ? args->sheaf_capacity : slab_sheaf_capacity;
	s->sheaves = args->sheaves == KMEM_SHEAVES_DEFAULT ? slab_sheaves_on :
		     args->sheaves == KMEM_SHEAVES_ON;
	s->pcs.mode = args->percpu == KMB_PERCPU_DEFAULT ? slab_percpu_mode :
		  kmb_percpu_mode_resolve(args->percpu, NULL, 0);
	r = kmem_cache_open(s);
	if (r) {
		if (s->node[0])		/* the node structures came: open got further */
			kmem_cache_close(s);
		kmem_cache_free_nodes(s);
		kmem_cache_free(kmem_cache, s);
		return create_fail(name, flags, r == -EINVAL ? "cannot lay out the object in a slab" :
				   r == -ENOSPC ? "no per-CPU cache id left for thread mode (1024 in all)" :
				   "no memory for the per-CPU sheaves or the node structures");
	}
	pthread_mutex_lock(&slab_mutex);
	list_add(&s->list, &slab_caches);	/* create_cache: newest first */
	pthread_mutex_unlock(&slab_mutex);
	return s;
}

int kmem_cache_destroy(struct kmem_cache *s)
{
	unsigned long left;

	if (!s)
		return 0;
	pthread_mutex_lock(&slab_mutex);
	left = kmem_cache_objects_in_use(s);
	if (left) {
		pthread_mutex_unlock(&slab_mutex);
		/* kmem_cache_destroy -> shutdown_cache: the kernel keeps the cache and warns */
		slab_err(s, NULL, NULL, "kmem_cache_destroy %s: Slab cache still has objects "
			 "(%lu objects remaining)", s->name, left);
		return -EBUSY;
	}
	list_del(&s->list);
	pthread_mutex_unlock(&slab_mutex);
	cache_release(s);
	return 0;
}

/* --- slub_debug --- */

void kmb_slab_set_debug(slab_flags_t flags)
{
	slub_debug = flags & SLAB_DEBUG_FLAGS;
}

static enum kmb_percpu_mode slab_percpu_want;
enum kmb_percpu_mode slab_percpu_mode;	/* resolved: DEFAULT only until the first resolve */
static char slab_percpu_why[160];

void kmb_slab_set_sheaves(bool on)
{
	slab_sheaves_on = on;
}

void kmb_slab_set_cpu_partial(int objects)
{
	slab_cpu_partial_objects = objects < 0 ? -1 : objects;
}

void kmb_slab_set_sheaf_capacity(unsigned int objects)
{
	slab_sheaf_capacity = objects > KMEM_CACHE_MAX_SHEAF ? KMEM_CACHE_MAX_SHEAF : objects;
}

bool slab_tools_on = true;

void kmb_slab_set_tools(bool on)
{
	slab_tools_on = on;
}

bool kmb_slab_sheaves(void)
{
	return slab_sheaves_on;
}

void kmb_slab_set_percpu(enum kmb_percpu_mode mode)
{
	slab_percpu_want = mode;
	slab_percpu_mode = kmb_percpu_mode_resolve(mode, slab_percpu_why,
						   sizeof(slab_percpu_why));
}

enum kmb_percpu_mode kmb_slab_percpu_mode(const char **why)
{
	if (why)
		*why = slab_percpu_why;
	return slab_percpu_mode;
}

int kmb_slab_parse_debug(const char *letters, slab_flags_t *flags)
{
	*flags = 0;
	if (!letters || !strcmp(letters, "-"))
		return 0;
	for (const char *p = letters; *p; p++)
		switch (toupper((unsigned char)*p)) {
		case 'F': *flags |= SLAB_CONSISTENCY_CHECKS; break;
		case 'Z': *flags |= SLAB_RED_ZONE; break;
		case 'P': *flags |= SLAB_POISON; break;
		case 'U': *flags |= SLAB_STORE_USER; break;
		default: return -EINVAL;
		}
	return 0;
}

/* --- the shrinker: empty slabs back under memory pressure --- */

static unsigned long slab_count(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long n = 0;
	struct list_head *pos;

	(void)sh;
	(void)sc;
	pthread_mutex_lock(&slab_mutex);
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);

		for (int node = 0; node < kmb_mm.nr_nodes; node++)
			n += s->node[node]->nr_partial;
	}
	pthread_mutex_unlock(&slab_mutex);
	return n ? n : SHRINK_EMPTY;
}

static unsigned long slab_scan(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long before = atomic_load(&slab_stat_free);
	struct list_head *pos;

	(void)sh;
	sc->nr_scanned = sc->nr_to_scan;
	if (pthread_mutex_trylock(&slab_mutex))
		return SHRINK_STOP;	/* a cache is being created or destroyed: not now */
	list_for_each(pos, &slab_caches)
		kmem_cache_shrink(list_entry(pos, struct kmem_cache, list));
	pthread_mutex_unlock(&slab_mutex);
	return atomic_load(&slab_stat_free) - before;
}

/* --- kmalloc --- */

int kmem_cache_init(void)
{
	int r;

	if (slab_up)
		return 0;
	if (slab_percpu_mode == KMB_PERCPU_DEFAULT)	/* kmb_slab_set_percpu not called */
		kmb_slab_set_percpu(KMB_PERCPU_DEFAULT);
	pthread_mutex_lock(&slab_mutex);
	r = kmem_cache_boot();
	pthread_mutex_unlock(&slab_mutex);
	if (r)
		return r;
	for (int type = 0; type < NR_KMALLOC_TYPES; type++)
		for (unsigned int i = 1; i <= KMALLOC_SHIFT_HIGH; i++) {
			unsigned int size = kmalloc_info[i].size, align = size & -size;
			char name[32];

			if (!kmalloc_info[i].name)
				continue;
			snprintf(name, sizeof(name), "%s%s", type == KMALLOC_DMA ? "dma-" : "",
				 kmalloc_info[i].name);
			/* create_boot_cache (mm/slab_common.c): a kmalloc cache is aligned to the
			 * largest power of two dividing its size (kmalloc-64 to 64, kmalloc-96 to
			 * 32), under any debugging: its red zones do not move its objects. */
			if (align < ARCH_KMALLOC_MINALIGN)
				align = ARCH_KMALLOC_MINALIGN;
			kmalloc_caches[type][i] = kmem_cache_create(name, size, align,
				SLAB_KMALLOC | (type == KMALLOC_DMA ? SLAB_CACHE_DMA : 0), NULL);
			if (!kmalloc_caches[type][i])
				return -ENOMEM;
		}
	slab_shrinker = (struct shrinker){ .count_objects = slab_count,
					   .scan_objects = slab_scan, .seeks = DEFAULT_SEEKS };
	register_shrinker(&slab_shrinker, "slab");
	slab_up = true;
	return 0;
}

void kmem_cache_exit(void)
{
	if (slab_up)
		unregister_shrinker(&slab_shrinker);
	pthread_mutex_lock(&slab_mutex);
	while (!list_empty(&slab_caches)) {
		struct kmem_cache *s = list_first_entry(&slab_caches, struct kmem_cache, list);

		list_del(&s->list);
		if (s != kmem_cache && s != kmem_cache_node)
			cache_release(s);
	}
	if (kmem_cache) {	/* every descriptor is back: the boot caches last */
		kmem_cache_close(kmem_cache);
		kmem_cache_close(kmem_cache_node);
		kmem_cache = kmem_cache_node = NULL;
	}
	pthread_mutex_unlock(&slab_mutex);
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
	slab_up = false;
	slub_debug = 0;
}

#if KMB_TOOLS
/*
 * __kasan_kmalloc_large / poison_kmalloc_large_redzone (mm/kasan/common.c): a large kmalloc is
 * the user's up to the size asked for, and the rest of its last page is poisoned (the page
 * allocator handed all of it out unpoisoned); a memcheck block of @size bytes, defined when
 * zeroed, as a vmalloc area's.  kfree frees the block (slub.c kfree_other); ksize makes all
 * the pages the caller's, and krealloc in place resizes it, as a slab object's.
 */
static noinline void kmalloc_large_tools(void *p, size_t size, gfp_t flags)
{
	kmb_tool_poison((char *)p + size, (PAGE_SIZE << get_order(size)) - size);
	kmb_tool_malloclike(p, size);
	if (flags & __GFP_ZERO)
		kmb_tool_defined(p, size);
}
#endif

/* kmalloc_large: whole pages; __GFP_COMP in the kernel, a plain block here. */
static noinline void *kmalloc_large(size_t size, gfp_t flags, int node)
{
	struct page *page;

	if (unlikely(size > KMALLOC_MAX_SIZE)) {
		if (!(flags & __GFP_NOWARN))
			fprintf(stderr, "kmbench: kmalloc: %zu bytes is above KMALLOC_MAX_SIZE "
				"(%lu)\n", size, KMALLOC_MAX_SIZE);
		return NULL;
	}
	page = alloc_pages_node(node, flags & ~__GFP_HIGHMEM, get_order(size));
#if KMB_TOOLS
	if (page)
		kmalloc_large_tools(page_address(page), size, flags);
#endif
	return page ? page_address(page) : NULL;
}

static always_inline struct kmem_cache *kmalloc_slab(size_t size, gfp_t flags)
{
	return kmalloc_caches[(flags & __GFP_DMA) ? KMALLOC_DMA : KMALLOC_NORMAL]
			     [kmalloc_index(size)];
}

/*
 * A kmalloc cache with SLAB_STORE_USER keeps the size it was asked for (mm/slub.c
 * set_orig_size, from __do_kmalloc_node's orig_size): out of line, so that other kmalloc calls
 * pay one flag test.  @caller is kmalloc's caller, for the alloc track.
 */
static noinline void *kmalloc_store_user(struct kmem_cache *s, size_t size, gfp_t flags,
					 int node, const void *caller)
{
	return __kmem_cache_alloc_orig(s, flags, node, caller, (unsigned int)size);
}

#if KMB_TOOLS
/*
 * __kasan_kmalloc / poison_kmalloc_redzone (mm/kasan/common.c): in a build with the tools
 * (base/tools.h) a kmalloc object is the user's up to the size asked for, and the rest of its
 * size class is poisoned: a memcheck block of @size bytes.  Out of line, as slab_alloc_tools.
 */
static noinline void *kmalloc_tools(struct kmem_cache *s, void *obj, size_t size)
{
	if (obj && (s->flags & SLAB_TOOLS) && size < s->object_size)
		kmb_tool_resize(obj, s->object_size, size);
	return obj;
}
#endif

static always_inline void *kmalloc_common(size_t size, gfp_t flags, int node)
{
	struct kmem_cache *s;

	if (unlikely(size > KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_large(size, flags, node);
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	s = kmalloc_slab(size, flags);
	if (unlikely(s->flags & SLAB_STORE_USER))
		return kmalloc_store_user(s, size, flags, node, __builtin_return_address(0));
#if KMB_TOOLS
	return kmalloc_tools(s, kmem_cache_alloc_node(s, flags, node), size);
#else
	return kmem_cache_alloc_node(s, flags, node);
#endif
}

void *kmalloc(size_t size, gfp_t flags)
{
	return kmalloc_common(size, flags, NUMA_NO_NODE);
}

void *kmalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_common(size, flags, node);
}

void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc_common(size, flags | __GFP_ZERO, NUMA_NO_NODE);
}

void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc_common(bytes, flags, NUMA_NO_NODE);
}

void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

size_t ksize(const void *p)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(p) || !virt_addr_valid(p))
		return 0;
	page = compound_head(virt_to_page(p));
	if (page_test(page, PG_slab)) {
		const struct kmem_cache *s = page_slab(page)->slab_cache;

		/* the whole class is the caller's now (base/tools.h) */
		if (KMB_TOOLS && (s->flags & SLAB_TOOLS))
			kmb_tool_grow(p, s->object_size);
		return s->object_size;
	}
#if KMB_TOOLS
	/* a large kmalloc: all its pages are the caller's now, as a slab object's class */
	if (page_test(page, PG_head))
		kmb_tool_grow(p, PAGE_SIZE << page->order);
#endif
	return page_test(page, PG_head) ? PAGE_SIZE << page->order : 0;
}

void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	size_t old = ksize(p);
	void *n;

	if (unlikely(!new_size)) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (!ZERO_OR_NULL_PTR(p) && new_size <= old) {
		struct slab *slab = virt_to_slab(p);

		if ((flags & __GFP_ZERO) && new_size < old)
			memset((char *)p + new_size, 0, old - new_size);
		/* __do_krealloc (Linux 6.14): the new size is the object's orig_size, and the
		 * kmalloc redzone moves to it */
		if (slab && slub_debug_orig_size(slab->slab_cache)) {
			slab_debug_set_orig_size(slab->slab_cache, (void *)p, (unsigned int)new_size);
			if ((slab->slab_cache->flags & SLAB_RED_ZONE) && new_size < old)
				memset((char *)p + new_size, SLUB_RED_ACTIVE, old - new_size);
		}
#if KMB_TOOLS
		/* kasan_krealloc: ksize above made all of it the user's; now @new_size of it (a
		 * large kmalloc's pages too) */
		if (!slab || (slab->slab_cache->flags & SLAB_TOOLS))
			kmb_tool_resize(p, old, new_size);
#endif
		return (void *)p;
	}
	n = kmalloc(new_size, flags);
	if (n && !ZERO_OR_NULL_PTR(p)) {
		memcpy(n, p, old);
		kfree(p);
	}
	return n;
}

/* --- statistics --- */

/* slabinfo_show (mm/slab_common.c): version 2.1; SLUB reports no tunables and no shared
 * array, so those columns are 0.  Newest cache first, the boot caches last (slab_caches). */
size_t kmb_show_slabinfo(char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };
	struct list_head *it;

	sb_printf(&sb, "slabinfo - version: 2.1\n");
	sb_printf(&sb, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		  "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
		  "<active_slabs> <num_slabs> <sharedavail>\n");
	pthread_mutex_lock(&slab_mutex);
	list_for_each(it, &slab_caches) {
		struct kmem_cache *s = list_entry(it, struct kmem_cache, list);
		unsigned long slabs, objects, nfree;

		kmem_cache_counts(s, &slabs, &objects, &nfree);
		sb_printf(&sb, "%-17s %6lu %6lu %6u %4u %4d", s->name, objects - nfree, objects,
			  s->size, s->objects, 1 << s->order);
		sb_printf(&sb, " : tunables %4u %4u %4u", 0u, 0u, 0u);
		sb_printf(&sb, " : slabdata %6lu %6lu %6lu\n", slabs, slabs, 0UL);
	}
	pthread_mutex_unlock(&slab_mutex);
	return sb_end(&sb);
}

void kmb_slab_get_stats(struct kmb_slab_stats *st)
{
	struct list_head *it;

	memset(st, 0, sizeof(*st));
	st->slabs_alloc = atomic_load(&slab_stat_alloc);
	st->slabs_free = atomic_load(&slab_stat_free);
	st->errors = kmb_misuse_count(KMB_LAYER_SLAB);
	st->reclaimable_pages = (unsigned long)atomic_load(&slab_pages[1]);
	st->unreclaimable_pages = (unsigned long)atomic_load(&slab_pages[0]);
	pthread_mutex_lock(&slab_mutex);
	list_for_each(it, &slab_caches) {
		struct kmem_cache *s = list_entry(it, struct kmem_cache, list);

		st->ctor_calls += atomic_load(&s->ctor_calls);
	}
	pthread_mutex_unlock(&slab_mutex);
}

/* Every cache's objects in use, objects in slabs, and bytes in use (in use times object_size),
 * summed: the totals of slabinfo's columns. */
static void slab_totals(unsigned long long *active, unsigned long long *total,
			unsigned long long *live_bytes)
{
	struct list_head *it;

	*active = *total = *live_bytes = 0;
	pthread_mutex_lock(&slab_mutex);
	list_for_each(it, &slab_caches) {
		struct kmem_cache *s = list_entry(it, struct kmem_cache, list);
		unsigned long slabs, objects, nfree;

		kmem_cache_counts(s, &slabs, &objects, &nfree);
		*active += objects - nfree;
		*total += objects;
		*live_bytes += (unsigned long long)(objects - nfree) * s->object_size;
	}
	pthread_mutex_unlock(&slab_mutex);
}

void kmb_slab_usage(unsigned long *pages, unsigned long long *live_bytes)
{
	unsigned long long active, total;

	slab_totals(&active, &total, live_bytes);
	/* Read after the counts: a slab allocated meanwhile adds pages, never objects alone. */
	*pages = (unsigned long)(atomic_load(&slab_pages[0]) + atomic_load(&slab_pages[1]));
}

void kmb_slab_objects(unsigned long long *active, unsigned long long *total)
{
	unsigned long long live_bytes;

	slab_totals(active, total, &live_bytes);
}

static unsigned long validate_cache(struct kmem_cache *s)
{
	unsigned long problems = 0;

	flush_all(s);
	for (int node = 0; node < kmb_mm.nr_nodes; node++) {
		struct kmem_cache_node *n = s->node[node];
		struct list_head *pos;

		spin_lock(&n->list_lock);
		list_for_each(pos, &n->partial)
			problems += slab_debug_validate_slab(s, list_entry(pos, struct slab,
									     slab_list));
		list_for_each(pos, &n->full)
			problems += slab_debug_validate_slab(s, list_entry(pos, struct slab,
									     slab_list));
		spin_unlock(&n->list_lock);
	}
	return problems;
}

unsigned long kmem_cache_validate(struct kmem_cache *s)
{
	unsigned long problems = 0;
	struct list_head *it;

	if (s)
		return validate_cache(s);
	pthread_mutex_lock(&slab_mutex);
	list_for_each(it, &slab_caches)
		problems += validate_cache(list_entry(it, struct kmem_cache, list));
	pthread_mutex_unlock(&slab_mutex);
	return problems;
}
