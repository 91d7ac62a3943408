/*
 * test_kmalloc.c - kmalloc's semantics (allocators/slab/slab_common.c), against the kernel's
 * (include/linux/slab.h, mm/slab_common.c, Documentation/core-api/memory-allocation.rst):
 *
 *  - size classes: ksize(kmalloc(n)) for every n in 1 .. KMALLOC_MAX_CACHE_SIZE is the class
 *    the kernel picks, derived here from its size_index table (sizes up to 192, with the odd
 *    classes 96 and 192) and the next power of two above; every byte of it is usable;
 *  - alignment: at least ARCH_KMALLOC_MINALIGN (8), and the largest power of two that divides
 *    the size (so 16 from 16 bytes, and power-of-two sizes naturally aligned), up to a page;
 *    every object of every class aligned to its class's largest power-of-two divisor under
 *    every slub_debug letter set;
 *  - slub_debug's object layout: slabinfo's objsize of kmalloc caches under F, Z, P, U and
 *    their mixes is mm/slub.c calculate_sizes()'s, worked out by hand;
 *  - above KMALLOC_MAX_CACHE_SIZE up to KMALLOC_MAX_SIZE: whole pages from the page allocator,
 *    page-aligned, ksize PAGE_SIZE << get_order(n), given back by kfree; above that, NULL, with
 *    one warning line unless __GFP_NOWARN;
 *  - kmalloc(0) is ZERO_SIZE_PTR, which kfree and ksize accept; kmalloc_array and kcalloc
 *    return NULL, silently, when n * size overflows; kzalloc and kcalloc zero memory that was
 *    dirty when freed;
 *  - krealloc: growing keeps the bytes, shrinking keeps the pointer, krealloc(NULL, n) is
 *    kmalloc(n), krealloc(p, 0) frees p and returns ZERO_SIZE_PTR;
 *  - GFP_DMA: objects of every size lie in ZONE_DMA, plain ones do not; kmalloc_node() on the
 *    node asked for;
 *  - kfree finds the cache by itself: 100000 objects of mixed sizes (small, large, DMA)
 *    allocated and freed at random; afterwards kmem_cache_validate(NULL) finds nothing, no
 *    kmalloc cache has an object in use, every page the page allocator lost is a slab page,
 *    and each cache keeps a bounded number of empty slabs.
 *
 * Every test boots a machine (one node of 64 MiB, two for kmalloc_node; page misuse reported,
 * never stopped) and kmem_cache_init(), and tears both down.  The process runs on one CPU
 * (main() pins it), so that a freed object is the next one its cache hands out: the zeroing
 * tests rely on getting dirty memory back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "slab_test.h"

/* kmalloc_node's machine: two nodes, watched as slab_watched_setup's one. */
static int setup_two_nodes(void **state)
{
	(void)state;
	slab_boot_watched(2);
	return 0;
}

/* --- helpers --- */

/* Pages free in the page allocator: its buddy lists and its per-CPU lists. */
static unsigned long free_pages_now(void)
{
	struct kmb_mm_stats st = stats();

	return st.free_pages + st.pcp_pages;
}

/* The lowest set bit of @n: the largest power of two dividing it. */
static size_t low_bit(size_t n)
{
	return n & -n;
}

/*
 * The kernel's kmalloc size class of @n (1 .. KMALLOC_MAX_CACHE_SIZE): mm/slab_common.c's
 * size_index, (bytes - 1) / 8 -> kmalloc index, for sizes up to 192 (index 1 is kmalloc-96,
 * 2 is kmalloc-192, k >= 3 is kmalloc-(1 << k)); above 192, fls(n - 1).
 */
static const unsigned char kernel_size_index[24] = {
	3,	/* 8 */
	4,	/* 16 */
	5,	/* 24 */
	5,	/* 32 */
	6,	/* 40 */
	6,	/* 48 */
	6,	/* 56 */
	6,	/* 64 */
	1,	/* 72 */
	1,	/* 80 */
	1,	/* 88 */
	1,	/* 96 */
	7,	/* 104 */
	7,	/* 112 */
	7,	/* 120 */
	7,	/* 128 */
	2,	/* 136 */
	2,	/* 144 */
	2,	/* 152 */
	2,	/* 160 */
	2,	/* 168 */
	2,	/* 176 */
	2,	/* 184 */
	2,	/* 192 */
};

static size_t kernel_kmalloc_size(size_t n)
{
	unsigned int index = 0;

	if (n <= 192)
		index = kernel_size_index[(n - 1) / 8];
	else
		while (((size_t)1 << index) < n)
			index++;
	return index == 1 ? 96 : index == 2 ? 192 : (size_t)1 << index;
}

/* The block kmalloc_large() takes for @n: the smallest 2^k pages that hold it. */
static size_t large_size(size_t n)
{
	size_t bytes = PAGE_SIZE;

	while (bytes < n)
		bytes <<= 1;
	return bytes;
}

struct slabinfo_line {
	char name[64];
	unsigned long active_objs, num_objs, num_slabs;
	unsigned int objsize, objperslab, pagesperslab;
};

/* Calls @fn for every cache line of kmb_show_slabinfo(). */
static void for_each_slabinfo(void (*fn)(const struct slabinfo_line *l, void *arg), void *arg)
{
	char *text = show(kmb_show_slabinfo), *save = NULL;
	int lines = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct slabinfo_line l;
		unsigned long active_slabs, sharedavail;
		unsigned int limit, batch, shared;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lu %lu %u %u %u : tunables %u %u %u : slabdata %lu %lu %lu",
			   l.name, &l.active_objs, &l.num_objs, &l.objsize, &l.objperslab,
			   &l.pagesperslab, &limit, &batch, &shared, &active_slabs, &l.num_slabs,
			   &sharedavail) != 12)
			fail_msg("slabinfo line not understood: %s", line);
		fn(&l, arg);
		lines++;
	}
	free(text);
	assert_true(lines > 0);
}

static bool is_kmalloc_cache(const char *name)
{
	return !strncmp(name, "kmalloc-", 8) || !strncmp(name, "dma-kmalloc-", 12);
}

static void add_slab_pages(const struct slabinfo_line *l, void *arg)
{
	*(unsigned long *)arg += l->num_slabs * l->pagesperslab;
}

/* Pages that slabs hold, every cache. */
static unsigned long slab_pages(void)
{
	unsigned long pages = 0;

	for_each_slabinfo(add_slab_pages, &pages);
	return pages;
}

/* Pages out of the page allocator that no slab holds: kmalloc's large allocations, here. */
static unsigned long large_pages(void)
{
	return stats().managed_pages - free_pages_now() - slab_pages();
}

struct kmalloc_census {
	int caches;
	unsigned long active;		/* objects in use, every kmalloc cache */
	unsigned long most_slabs;	/* the most slabs one kmalloc cache holds */
	char busiest[64];
};

static void count_kmalloc(const struct slabinfo_line *l, void *arg)
{
	struct kmalloc_census *c = arg;

	if (!is_kmalloc_cache(l->name))
		return;
	c->caches++;
	c->active += l->active_objs;
	if (l->num_slabs > c->most_slabs) {
		c->most_slabs = l->num_slabs;
		snprintf(c->busiest, sizeof(c->busiest), "%s", l->name);
	}
}

/* The kmalloc caches' counts, after kmem_cache_validate(NULL) has flushed the CPU slots (a
 * frozen slab counts as wholly in use in slabinfo, as in the kernel). */
static struct kmalloc_census kmalloc_census(void)
{
	struct kmalloc_census c = { 0 };

	assert_valid(NULL);
	for_each_slabinfo(count_kmalloc, &c);
	return c;
}

/* --- size classes and alignment --- */

static void test_size_classes(void **state)
{
	static const size_t classes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
					  4096, 8192 };

	(void)state;
	/* The table says what the kernel says. */
	for (size_t n = 1; n <= KMALLOC_MAX_CACHE_SIZE; n++) {
		size_t want = kernel_kmalloc_size(n);
		bool known = false;

		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			known |= want == classes[i];
		assert_true(known);
		assert_true(want >= n);
		if (n > 64 && n <= 96)
			assert_int_equal(want, 96);
		if (n > 128 && n <= 192)
			assert_int_equal(want, 192);
	}
	for (size_t n = 1; n <= KMALLOC_MAX_CACHE_SIZE; n++) {
		unsigned char *p = kmalloc(n, GFP_KERNEL), *q = kmalloc(n, GFP_KERNEL);
		size_t want = kernel_kmalloc_size(n), align = low_bit(n);

		if (!p || !q)
			fail_msg("kmalloc(%zu) returned NULL", n);
		if (ksize(p) != want || ksize(q) != want)
			fail_msg("ksize(kmalloc(%zu)) is %zu and %zu, not %zu", n, ksize(p),
				 ksize(q), want);
		align = align < ARCH_KMALLOC_MINALIGN ? ARCH_KMALLOC_MINALIGN :
			align > PAGE_SIZE ? PAGE_SIZE : align;
		if ((uintptr_t)p % align || (uintptr_t)q % align)
			fail_msg("kmalloc(%zu) gave %p and %p: not %zu-aligned", n, (void *)p,
				 (void *)q, align);
		if (n >= 16 && ((uintptr_t)p % 16 || (uintptr_t)q % 16))
			fail_msg("kmalloc(%zu) gave %p and %p: not 16-aligned", n, (void *)p,
				 (void *)q);
		/* The two do not overlap, and all of ksize is the caller's. */
		if ((uintptr_t)p < (uintptr_t)q + want && (uintptr_t)q < (uintptr_t)p + want)
			fail_msg("kmalloc(%zu) gave overlapping %p and %p", n, (void *)p,
				 (void *)q);
		memset(p, 0x5c, want);
		memset(q, 0xc5, want);
		if (!all_bytes(p, want, 0x5c))
			fail_msg("kmalloc(%zu) at %p: a byte changed under it", n, (void *)p);
		kfree(q);
		kfree(p);
	}
	assert_int_equal(kmalloc_census().active, 0);
	assert_int_equal(slab_errors(), 0);
}

/*
 * Under slub_debug a kmalloc cache's object size (slabinfo's objsize) is mm/slub.c
 * calculate_sizes()'s (Linux 6.x, CONFIG_SLUB_DEBUG, x86-64 with a Debian kernel's config: its
 * struct track is 32 bytes, with the stack depot handle), worked out by hand from its rules:
 * the object rounded to a word; a word of right red zone when Z leaves none; the free pointer
 * after it with P, or with Z when the object is under a word or keeps orig_size; with U two
 * tracks, and the requested size (4 bytes) in a kmalloc cache; with Z a word of padding and a
 * left red zone of a word rounded up to the alignment; all aligned to the cache's alignment,
 * which for a kmalloc cache is the largest power of two dividing its size (create_boot_cache).
 *   kmalloc-64 FZPU: 64 + 8 (right red zone) + 8 (free pointer) + 2 * 32 + 4 + 8 (padding)
 *                    + 64 (left red zone) = 220 -> 256
 *   kmalloc-8 FZPU:  8 + 8 + 8 + 64 + 4 + 8 + 8 = 108 -> 112
 *   kmalloc-1k FZPU: 1024 + 8 + 8 + 64 + 4 + 8 + 1024 = 2140 -> 3072
 * (kmbench gave 136, 80 and 1096 before: 24-byte tracks, no orig_size, no padding word, and
 * 8-byte alignment, which left kmalloc-64's objects at 8 mod 64 under Z.)
 */
static const struct {
	const char *letters, *cache;
	unsigned int objsize;
} debug_layout[] = {
	{ "FZPU", "kmalloc-8", 112 },	/* above */
	{ "FZPU", "kmalloc-64", 256 },
	{ "FZPU", "kmalloc-1k", 3072 },
	{ "FZPU", "kmalloc-96", 224 },	/* 96 + 8 + 8 + 64 + 4 + 8 + 32 = 220 -> 224 (align 32) */
	{ "FZPU", "kmalloc-192", 384 },	/* 192 + 8 + 8 + 64 + 4 + 8 + 64 = 348 -> 384 */
	{ "FZPU", "kmalloc-8k", 24576 },	/* 8192 + 8 + 8 + 64 + 4 + 8 + 8192 = 16476 */
	{ "Z", "kmalloc-8", 32 },	/* 8 + 8 (right) + 8 (padding) + 8 (left); the free
					 * pointer in the object (offset 0), as nothing moves it */
	{ "Z", "kmalloc-64", 192 },	/* 64 + 8 + 8 + 64 = 144 -> 192 */
	{ "Z", "kmalloc-1k", 3072 },	/* 1024 + 8 + 8 + 1024 = 2064 -> 3072 */
	{ "P", "kmalloc-64", 128 },	/* 64 + 8 (free pointer) = 72 -> 128 */
	{ "U", "kmalloc-8", 80 },	/* 8 + 64 + 4 = 76 -> 80 */
	{ "U", "kmalloc-64", 192 },	/* 64 + 64 + 4 = 132 -> 192 */
	{ "U", "kmalloc-1k", 2048 },	/* 1024 + 64 + 4 = 1092 -> 2048 */
	{ "PU", "kmalloc-8", 88 },	/* 8 + 8 + 64 + 4 = 84 -> 88 */
	{ "ZP", "kmalloc-8", 40 },	/* 8 + 8 + 8 + 8 + 8 */
	{ "F", "kmalloc-64", 64 },	/* consistency checks add nothing */
	{ "-", "kmalloc-64", 64 },
};

/* Boot again with slub_debug=@letters, so that the kmalloc caches get them. */
static void reboot_with_debug(const char *letters)
{
	slab_flags_t flags;

	assert_int_equal(kmb_slab_parse_debug(letters, &flags), 0);
	slab_shutdown();
	kmb_slab_set_debug(flags);
	slab_boot_nodes(1, -1);
}

static void test_debug_layout(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(debug_layout) / sizeof(debug_layout[0]); k++) {
		struct slabinfo_row r;

		reboot_with_debug(debug_layout[k].letters);
		r = slabinfo_row(debug_layout[k].cache);
		if (r.objsize != debug_layout[k].objsize)
			fail_msg("slub_debug=%s: %s objsize %u, the kernel's is %u",
				 debug_layout[k].letters, debug_layout[k].cache, r.objsize,
				 debug_layout[k].objsize);
		assert_int_equal(r.objperslab, (PAGE_SIZE * r.pagesperslab) / r.objsize);
	}
}

/*
 * The kmalloc redzone (mm/slub.c, Linux 6.2: init_object, check_object, set_orig_size; 6.14
 * __do_krealloc): under slub_debug=FZU a kmalloc cache keeps the size each object was asked
 * for, red-zones the bytes from there to the object's end, and F's check at free reports a write
 * there as "kmalloc Redzone overwritten".  Writes within the size asked for are fine; krealloc
 * within the object moves the size asked for and the redzone.
 */
static void test_kmalloc_redzone(void **state)
{
	struct capture cap;
	unsigned char *p;
	char *text;

	(void)state;
	reboot_with_debug("FZU");
	/* within the request: silent */
	p = kmalloc(10, GFP_KERNEL);
	assert_non_null(p);
	memset(p, 0x11, 10);
	capture_begin(&cap);
	kfree(p);
	assert_silent(capture_end(&cap));
	/* past it, inside kmalloc-16's object: reported, with the kernel's words */
	p = kmalloc(10, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(ksize(p), 16);
	assert_int_equal(p[10], SLUB_RED_ACTIVE);	/* ksize made all 16 the caller's */
	assert_int_equal(p[15], SLUB_RED_ACTIVE);
	p[12] = 0;
	capture_begin(&cap);
	kfree(p);
	text = capture_end(&cap);
	assert_contains(text, "kmalloc Redzone overwritten");
	assert_contains(text, "kmalloc-16");
	/* krealloc within the object: the new size is asked for, the redzone follows it */
	p = kmalloc(10, GFP_KERNEL);
	assert_non_null(p);
	assert_ptr_equal(krealloc(p, 14, GFP_KERNEL), p);
	p[13] = 0x22;				/* now within the request */
	assert_int_equal(slab_peek(p + 14), SLUB_RED_ACTIVE);	/* slab_test.h: the tools' */
	capture_begin(&cap);
	kfree(p);
	assert_silent(capture_end(&cap));
	p = kmalloc(16, GFP_KERNEL);
	assert_non_null(p);
	assert_ptr_equal(krealloc(p, 6, GFP_KERNEL), p);
	assert_int_equal(slab_peek(p + 6), SLUB_RED_ACTIVE);
	slab_poke(p + 7, 0);			/* past the new request */
	capture_begin(&cap);
	kfree(p);
	assert_contains(capture_end(&cap), "kmalloc Redzone overwritten");
	/* without U nothing keeps the size asked for: no kmalloc redzone */
	reboot_with_debug("FZ");
	p = kmalloc(10, GFP_KERNEL);
	assert_non_null(p);
	slab_poke(p + 12, 0);
	capture_begin(&cap);
	kfree(p);
	assert_silent(capture_end(&cap));
}

/*
 * A kmalloc cache's objects are aligned to the largest power of two dividing its size (its
 * size, for powers of two) under every slub_debug letter set: a slab's worth plus one of each
 * class, every object checked.
 */
static void test_debug_alignment(void **state)
{
	static const char *const letters[] = { "-", "F", "Z", "P", "U", "FZ", "ZP", "ZU", "PU",
					       "FZPU" };
	static const size_t classes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
					  8192 };

	(void)state;
	for (size_t l = 0; l < sizeof(letters) / sizeof(letters[0]); l++) {
		reboot_with_debug(letters[l]);
		for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
			size_t n = classes[c], align = low_bit(n);
			char name[32];
			unsigned int count;
			void **p;

			snprintf(name, sizeof(name), "kmalloc-%zu%s", n >= 1024 ? n / 1024 : n,
				 n >= 1024 ? "k" : "");
			count = slabinfo_row(name).objperslab + 1;
			p = calloc(count, sizeof(*p));
			assert_non_null(p);
			for (unsigned int i = 0; i < count; i++) {
				p[i] = kmalloc(n, GFP_KERNEL);
				if (!p[i] || (uintptr_t)p[i] % align)
					fail_msg("slub_debug=%s: kmalloc(%zu) object %u at %p: not "
						 "%zu-aligned", letters[l], n, i, p[i], align);
				memset(p[i], 0x5c, n);
			}
			for (unsigned int i = 0; i < count; i++)
				kfree(p[i]);
			free(p);
		}
		assert_valid(NULL);
		assert_int_equal(slab_errors(), 0);
	}
}

/* Above the largest cache: whole pages from the page allocator, given back by kfree. */
static void test_large_sizes(void **state)
{
	static const size_t sizes[] = {
		KMALLOC_MAX_CACHE_SIZE + 1, 3 * PAGE_SIZE - 1, 3 * PAGE_SIZE, 16384, 16385,
		20000, 32768, 32769, 65536, 65537, 100000, 131072, (1UL << 20) - 1, 1UL << 20,
		(1UL << 20) + 1, (2UL << 20) + 1, KMALLOC_MAX_SIZE - 1, KMALLOC_MAX_SIZE,
	};
	unsigned long before = free_pages_now(), slabs = slab_pages();

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], want = large_size(n);
		unsigned char *p = kmalloc(n, GFP_KERNEL);

		if (!p)
			fail_msg("kmalloc(%zu) returned NULL", n);
		assert_int_equal(want, PAGE_SIZE << get_order(n));
		if (ksize(p) != want)
			fail_msg("ksize(kmalloc(%zu)) is %zu, not %zu", n, ksize(p), want);
		if ((uintptr_t)p % PAGE_SIZE)
			fail_msg("kmalloc(%zu) gave %p: not page-aligned", n, (void *)p);
		if (free_pages_now() != before - want / PAGE_SIZE)
			fail_msg("kmalloc(%zu) took %lu pages, not %zu", n,
				 before - free_pages_now(), want / PAGE_SIZE);
		p[0] = 1;
		p[want - 1] = 2;
		kfree(p);
		assert_int_equal(free_pages_now(), before);
	}
	/* Every order, on both sides of its boundary. */
	for (unsigned int order = 1; order <= MAX_PAGE_ORDER; order++) {
		size_t edge = PAGE_SIZE << order;

		for (size_t n = edge - 1; n <= edge + 1; n++) {
			void *p;

			if (n <= KMALLOC_MAX_CACHE_SIZE || n > KMALLOC_MAX_SIZE)
				continue;
			p = kmalloc(n, GFP_KERNEL);
			assert_non_null(p);
			assert_int_equal(ksize(p), large_size(n));
			kfree(p);
		}
	}
	assert_int_equal(free_pages_now(), before);
	assert_int_equal(slab_pages(), slabs);	/* none of them went through a cache */
	check_mm();
}

static void test_above_max_size(void **state)
{
	unsigned long before = free_pages_now();
	struct capture cap;
	char want[120], *text;
	void *p, *got[3];

	(void)state;
	capture_begin(&cap);
	p = kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN);
	text = capture_end(&cap);
	assert_null(p);
	assert_silent(text);

	capture_begin(&cap);
	p = kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL);
	text = capture_end(&cap);
	assert_null(p);
	assert_prefixed(text);
	assert_int_equal(count_substr(text, "\n"), 1);
	snprintf(want, sizeof(want), "%lu", KMALLOC_MAX_SIZE + 1);
	if (!strstr(text, want))
		fail_msg("the warning does not name the size %s: %s", want, text);

	capture_begin(&cap);
	got[0] = kmalloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN);
	got[1] = kzalloc(KMALLOC_MAX_SIZE * 2, GFP_KERNEL | __GFP_NOWARN);
	got[2] = kmalloc_node(KMALLOC_MAX_SIZE + PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN, 0);
	text = capture_end(&cap);
	assert_silent(text);
	for (int i = 0; i < 3; i++)
		assert_null(got[i]);

	/* KMALLOC_MAX_SIZE itself is fine. */
	p = kmalloc(KMALLOC_MAX_SIZE, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(ksize(p), KMALLOC_MAX_SIZE);
	kfree(p);
	assert_int_equal(free_pages_now(), before);
	assert_int_equal(slab_errors(), 0);
}

static void test_zero_size(void **state)
{
	struct capture cap;
	char *text;

	(void)state;
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_ptr_equal(kzalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_ptr_equal(kmalloc_node(0, GFP_KERNEL, 0), ZERO_SIZE_PTR);
	assert_ptr_equal(kmalloc_array(0, 8, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_ptr_equal(kcalloc(8, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_ptr_equal(kmalloc(0, GFP_DMA), ZERO_SIZE_PTR);
	assert_true(ZERO_OR_NULL_PTR(ZERO_SIZE_PTR));
	assert_true(ZERO_OR_NULL_PTR(NULL));
	assert_int_equal(ksize(ZERO_SIZE_PTR), 0);
	assert_int_equal(ksize(NULL), 0);
	capture_begin(&cap);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	text = capture_end(&cap);
	assert_silent(text);
	assert_int_equal(slab_errors(), 0);
	assert_int_equal(kmalloc_census().active, 0);
}

/* n * size overflowing size_t: NULL, without a word (the kernel's check_mul_overflow). */
static void test_array_overflow(void **state)
{
	struct capture cap;
	void *p, *got[5];
	char *text;

	(void)state;
	capture_begin(&cap);
	got[0] = kcalloc(SIZE_MAX / 2 + 1, 2, GFP_KERNEL);
	got[1] = kcalloc(2, SIZE_MAX / 2 + 1, GFP_KERNEL);
	got[2] = kcalloc((size_t)1 << 33, (size_t)1 << 31, GFP_KERNEL);
	got[3] = kmalloc_array(SIZE_MAX, 2, GFP_KERNEL);
	got[4] = kmalloc_array((SIZE_MAX >> 3) + 1, 8, GFP_KERNEL);
	text = capture_end(&cap);
	assert_silent(text);
	for (int i = 0; i < 5; i++)
		if (got[i])
			fail_msg("overflowing call %d returned %p, not NULL", i, got[i]);

	/* Right below the overflow the product is simply too large. */
	assert_null(kmalloc_array(SIZE_MAX >> 3, 8, GFP_KERNEL | __GFP_NOWARN));
	/* What does not overflow is a plain kmalloc of n * size. */
	p = kmalloc_array(12, 8, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(ksize(p), 96);
	kfree(p);
	p = kmalloc_array(3, 4096, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(ksize(p), 4 * PAGE_SIZE);
	kfree(p);
	assert_int_equal(kmalloc_census().active, 0);
}

/* kzalloc and kcalloc: zeroed memory, though the memory they reuse was dirty. */
static void test_zeroing(void **state)
{
	static const size_t sizes[] = { 1, 8, 24, 100, 1000, 4096, 8000, 8192, 12000, 65536 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *dirty = kmalloc(n, GFP_KERNEL), *p;

		assert_non_null(dirty);
		memset(dirty, 0xff, ksize(dirty));
		kfree(dirty);
		p = kzalloc(n, GFP_KERNEL);
		assert_non_null(p);
		/* The object just freed heads its CPU slot's freelist: kzalloc gets it. */
		if (n <= KMALLOC_MAX_CACHE_SIZE)
			assert_ptr_equal(p, dirty);
		if (!all_bytes(p, n, 0))
			fail_msg("kzalloc(%zu) at %p is not zeroed", n, (void *)p);
		memset(p, 0xee, ksize(p));
		kfree(p);

		p = kcalloc(n, 1, GFP_KERNEL);
		assert_non_null(p);
		if (n <= KMALLOC_MAX_CACHE_SIZE)
			assert_ptr_equal(p, dirty);
		if (!all_bytes(p, n, 0))
			fail_msg("kcalloc(%zu, 1) at %p is not zeroed", n, (void *)p);
		kfree(p);

		dirty = kmalloc(n, GFP_KERNEL | __GFP_ZERO);
		assert_non_null(dirty);
		assert_true(all_bytes(dirty, n, 0));
		kfree(dirty);
	}
	/* kcalloc of many elements. */
	for (int round = 0; round < 2; round++) {
		unsigned int *v = kmalloc_array(1000, sizeof(*v), GFP_KERNEL);

		assert_non_null(v);
		memset(v, 0xab, 1000 * sizeof(*v));
		kfree(v);
		v = kcalloc(1000, sizeof(*v), GFP_KERNEL);
		assert_non_null(v);
		assert_true(all_bytes(v, 1000 * sizeof(*v), 0));
		kfree(v);
	}
	assert_int_equal(kmalloc_census().active, 0);
	assert_int_equal(slab_errors(), 0);
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static bool filled(const unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return false;
	return true;
}

static void test_krealloc(void **state)
{
	static const size_t steps[] = { 24, 200, 1000, 5000, 8192, 20000, 300000 };
	unsigned long before = large_pages();
	struct capture cap;
	unsigned char *p, *q;
	void *got[3];
	size_t n;
	char *text;

	(void)state;
	/* Growing keeps the bytes, through the caches and into whole pages. */
	p = kmalloc(steps[0], GFP_KERNEL);
	assert_non_null(p);
	fill(p, steps[0], 3);
	for (size_t i = 1; i < sizeof(steps) / sizeof(steps[0]); i++) {
		q = krealloc(p, steps[i], GFP_KERNEL);
		if (!q)
			fail_msg("krealloc(%zu -> %zu) returned NULL", steps[i - 1], steps[i]);
		assert_true(ksize(q) >= steps[i]);
		if (!filled(q, steps[0], 3))
			fail_msg("krealloc(%zu -> %zu) lost the first bytes", steps[i - 1],
				 steps[i]);
		memset(q + steps[0], 0x11, steps[i] - steps[0]);
		p = q;
	}
	/* Shrinking (or staying within ksize) keeps the pointer and the bytes. */
	n = ksize(p);
	for (size_t size = n; size >= 1; size /= 3) {
		q = krealloc(p, size, GFP_KERNEL);
		assert_ptr_equal(q, p);
		assert_true(filled(q, steps[0] < size ? steps[0] : size, 3));
	}
	assert_int_equal(ksize(p), n);
	/* krealloc(p, 0) frees p. */
	assert_int_equal(large_pages(), before + n / PAGE_SIZE);
	assert_ptr_equal(krealloc(p, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_int_equal(large_pages(), before);

	/* krealloc(NULL, n) and krealloc(ZERO_SIZE_PTR, n) are kmalloc(n). */
	p = krealloc(NULL, 40, GFP_KERNEL);
	assert_non_null(p);
	assert_false(ZERO_OR_NULL_PTR(p));
	assert_int_equal(ksize(p), 64);
	q = krealloc(ZERO_SIZE_PTR, 130, GFP_KERNEL);
	assert_non_null(q);
	assert_false(ZERO_OR_NULL_PTR(q));
	assert_int_equal(ksize(q), 192);
	assert_int_equal(kmalloc_census().active, 2);
	capture_begin(&cap);
	got[0] = krealloc(p, 0, GFP_KERNEL);
	got[1] = krealloc(q, 0, GFP_KERNEL);
	got[2] = krealloc(NULL, 0, GFP_KERNEL);
	text = capture_end(&cap);
	assert_silent(text);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(got[i], ZERO_SIZE_PTR);
	assert_int_equal(kmalloc_census().active, 0);

	/* __GFP_ZERO on a grow: the new tail is zero, the old bytes kept. */
	p = kmalloc(100, GFP_KERNEL);
	assert_non_null(p);
	fill(p, 100, 9);
	q = krealloc(p, 3000, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(q);
	assert_true(filled(q, 100, 9));
	/* Bytes 100 .. 127 were kmalloc-128's slack, copied as they were (the kernel asks for
	 * __GFP_ZERO from the first allocation on); from 128 on the memory is new. */
	assert_true(all_bytes(q + 128, 3000 - 128, 0));
	kfree(q);
	assert_int_equal(kmalloc_census().active, 0);
	assert_int_equal(slab_errors(), 0);
	check_mm();
}

/* GFP_DMA: from ZONE_DMA, small and large; plain kmalloc stays out of it. */
static void test_dma(void **state)
{
	static const size_t sizes[] = { 1, 8, 16, 32, 64, 72, 96, 128, 150, 192, 256, 512, 1024,
					2048, 4096, 8192, 8193, 20000, 65536, 1UL << 20 };
	void *dma[sizeof(sizes) / sizeof(sizes[0])], *plain[sizeof(sizes) / sizeof(sizes[0])];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *p = kmalloc(n, GFP_KERNEL | GFP_DMA);

		if (!p)
			fail_msg("kmalloc(%zu, GFP_DMA) returned NULL", n);
		if (page_zonenum(virt_to_page(p)) != ZONE_DMA)
			fail_msg("kmalloc(%zu, GFP_DMA) = %p lies in zone %d, not ZONE_DMA", n,
				 (void *)p, page_zonenum(virt_to_page(p)));
		assert_int_equal(ksize(p), n <= KMALLOC_MAX_CACHE_SIZE ? kernel_kmalloc_size(n) :
				 large_size(n));
		memset(p, 0xd0, n);
		dma[i] = p;
		plain[i] = kmalloc(n, GFP_KERNEL);
		assert_non_null(plain[i]);
		if (page_zonenum(virt_to_page(plain[i])) == ZONE_DMA)
			fail_msg("kmalloc(%zu, GFP_KERNEL) = %p lies in ZONE_DMA", n, plain[i]);
	}
	/* kzalloc and plain GFP_DMA (without GFP_KERNEL's reclaim bits) too. */
	{
		unsigned char *z = kzalloc(300, GFP_DMA), *a = kmalloc(40, GFP_ATOMIC | GFP_DMA);

		assert_non_null(z);
		assert_non_null(a);
		assert_int_equal(page_zonenum(virt_to_page(z)), ZONE_DMA);
		assert_int_equal(page_zonenum(virt_to_page(a)), ZONE_DMA);
		assert_true(all_bytes(z, 300, 0));
		kfree(z);
		kfree(a);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_true(all_bytes(dma[i], sizes[i], 0xd0));
		kfree(dma[i]);
		kfree(plain[i]);
	}
	assert_int_equal(kmalloc_census().active, 0);
	assert_int_equal(slab_errors(), 0);
	check_mm();
}

/* kmalloc_node on two nodes, alternating, small and large. */
static void test_kmalloc_node(void **state)
{
	enum { N = 400 };
	static void *p[N];
	static const size_t sizes[] = { 8, 64, 192, 700, 4096, 8192, 9000, 70000 };

	(void)state;
	assert_int_equal(kmb_mm_nr_nodes(), 2);
	for (int i = 0; i < N; i++) {
		int node = i % 2;
		size_t n = sizes[(i / 2) % (sizeof(sizes) / sizeof(sizes[0]))];

		p[i] = kmalloc_node(n, GFP_KERNEL, node);
		if (!p[i])
			fail_msg("kmalloc_node(%zu, GFP_KERNEL, %d) returned NULL", n, node);
		if (page_to_nid(virt_to_page(p[i])) != node)
			fail_msg("kmalloc_node(%zu, GFP_KERNEL, %d) = %p lies on node %d", n, node,
				 p[i], page_to_nid(virt_to_page(p[i])));
		assert_true(ksize(p[i]) >= n);
		memset(p[i], i & 0xff, n);
	}
	for (int i = 0; i < N; i++) {
		size_t n = sizes[(i / 2) % (sizeof(sizes) / sizeof(sizes[0]))];

		assert_true(all_bytes(p[i], n, (unsigned char)(i & 0xff)));
		kfree(p[i]);
	}
	/* NUMA_NO_NODE: anywhere. */
	p[0] = kmalloc_node(100, GFP_KERNEL, NUMA_NO_NODE);
	assert_non_null(p[0]);
	kfree(p[0]);
	assert_int_equal(kmalloc_census().active, 0);
	assert_int_equal(slab_errors(), 0);
	check_mm();
}

/* --- kfree finds the cache --- */

#define CHURN_OPS	100000
#define CHURN_LIVE	2048
/* Empty slabs a cache may keep: min_partial (at most 10, mm/slub.c set_min_partial) per node,
 * the CPU slots' slabs having been flushed by kmem_cache_validate(). */
#define MAX_EMPTY_SLABS	10

struct churn_obj {
	unsigned char *p;
	size_t n;
	unsigned char tag;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void churn_free(struct churn_obj *o)
{
	if (!o->p)
		return;
	/* Nobody else was handed any of these bytes meanwhile. */
	if (!all_bytes(o->p, o->n, o->tag))
		fail_msg("object %p of %zu bytes changed while allocated", (void *)o->p, o->n);
	kfree(o->p);
	o->p = NULL;
}

/* Allocates and frees CHURN_OPS objects of mixed sizes and kinds; frees with kfree only. */
static void churn(struct churn_obj *live)
{
	for (unsigned long i = 0; i < CHURN_OPS; i++) {
		struct churn_obj *o = &live[rng() % CHURN_LIVE];
		unsigned int kind = (unsigned int)(rng() % 100);
		gfp_t gfp = GFP_KERNEL;

		churn_free(o);
		if (kind < 60) {
			o->n = 1 + rng() % 256;
		} else if (kind < 90) {
			o->n = 257 + rng() % (KMALLOC_MAX_CACHE_SIZE - 256);
		} else if (kind < 95) {
			o->n = KMALLOC_MAX_CACHE_SIZE + 1 + rng() % (64 * 1024);
		} else {
			o->n = 1 + rng() % 2048;
			gfp |= GFP_DMA;
		}
		o->p = kmalloc(o->n, gfp);
		if (!o->p)
			fail_msg("kmalloc(%zu, %#x) returned NULL after %lu allocations", o->n, gfp,
				 i);
		if ((gfp & GFP_DMA) && page_zonenum(virt_to_page(o->p)) != ZONE_DMA)
			fail_msg("kmalloc(%zu, GFP_DMA) = %p is not in ZONE_DMA", o->n,
				 (void *)o->p);
		o->tag = (unsigned char)(i | 1);
		memset(o->p, o->tag, o->n);
	}
	for (unsigned int i = 0; i < CHURN_LIVE; i++)
		churn_free(&live[i]);
}

static void test_kfree_finds_the_cache(void **state)
{
	struct churn_obj *live = calloc(CHURN_LIVE, sizeof(*live));
	struct kmb_mm_stats st = stats();
	unsigned long used0, held0;

	(void)state;
	assert_non_null(live);
	assert_int_equal(kmalloc_census().active, 0);
	used0 = st.managed_pages - free_pages_now();
	held0 = slab_pages();
	for (int round = 1; round <= 2; round++) {
		struct kmalloc_census c;
		unsigned long used, held;

		churn(live);
		c = kmalloc_census();		/* kmem_cache_validate(NULL) == 0 first */
		assert_int_equal(c.caches, 2 * 13);
		if (c.active)
			fail_msg("round %d: %lu kmalloc objects still in use after every kfree",
				 round, c.active);
		if (c.most_slabs > MAX_EMPTY_SLABS)
			fail_msg("round %d: %s keeps %lu slabs with no object in use", round,
				 c.busiest, c.most_slabs);
		/* Every page the page allocator lost since the start is held by a slab. */
		used = st.managed_pages - free_pages_now();
		held = slab_pages();
		if (used - used0 != held - held0)
			fail_msg("round %d: %lu more pages in use, but slabs hold %ld more", round,
				 used - used0, (long)(held - held0));
	}
	free(live);
	assert_int_equal(slab_errors(), 0);
	check_mm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SLAB_TEST(test_size_classes),
		SLAB_TEST(test_debug_layout),
		SLAB_TEST(test_debug_alignment),
		SLAB_TEST(test_large_sizes),
		SLAB_TEST(test_above_max_size),
		SLAB_TEST(test_zero_size),
		SLAB_TEST(test_array_overflow),
		SLAB_TEST(test_zeroing),
		SLAB_TEST(test_krealloc),
		SLAB_TEST(test_dma),
		cmocka_unit_test_setup_teardown(test_kmalloc_node, setup_two_nodes,
						slab_watched_teardown),
		SLAB_TEST(test_kfree_finds_the_cache),
		SLAB_TEST(test_kmalloc_redzone),	/* last: its reports stay in slab_errors() */
	};

	/* One CPU for the whole run: see the header. */
	if (pin_to_one_cpu(NULL))
		perror("sched_setaffinity");
	return cmocka_run_group_tests_name("kmalloc", tests, NULL, drop_kept_text);
}
