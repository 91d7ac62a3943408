/*
 * alone.c - the allocator library as a user takes it: a program that includes only the public
 * headers (kmbench/mm.h, kmbench/slab.h, kmbench/gfp.h) and links only kmb_mm, without the
 * harness, the workloads, the backends or Google Benchmark (tests/alone/CMakeLists.txt;
 * check.sh proves from the executable's symbols that none of them came along).
 *
 * It walks the library's layers bottom up, as a user would:
 *   boot       kmb_mm_init() of one node of 64 MiB, which boots the slab layer too: the
 *              kmalloc caches are in slabinfo before any call of kmem_cache_init(), which
 *              then returns 0 (idempotent);
 *   pages      alloc_pages() of orders 0, 1, 3 and MAX_PAGE_ORDER: each block's first frame
 *              aligned to its order, page_address() page-aligned in the linear map and
 *              virt_to_page() back, every byte writable, no two blocks overlapping, the
 *              order-3 block 8 consecutive frames at 8 consecutive linear addresses,
 *              pgalloc counted per order (0 in a library built with KMB_STAT=0:
 *              tests/levels runs this program against one); __GFP_ZERO zeroed; __free_pages() and
 *              kmb_mm_check() clean;
 *   cache      kmem_cache_create() of 100-byte objects with a constructor and
 *              SLAB_HWCACHE_ALIGN: 64 objects, each on its own cache line, constructed
 *              (the constructor ran for each, at least once), writable over
 *              kmem_cache_size(); freed in their constructed state, they come back
 *              constructed; the library's count of constructor calls is the constructor's
 *              own (0 at KMB_STAT=0); kmem_cache_destroy() 0;
 *   kmalloc    sizes from 1 to KMALLOC_MAX_SIZE, across the size classes and above
 *              KMALLOC_MAX_CACHE_SIZE: ksize() the kernel's class (or whole pages above the
 *              largest cache), aligned as kmalloc promises, every byte writable, no overlap;
 *              kmalloc(0) is ZERO_SIZE_PTR, above KMALLOC_MAX_SIZE NULL; kfree() of each;
 *   teardown   kmem_cache_exit(), kmb_mm_check(), kmb_mm_teardown(); then a second boot
 *              and teardown, which the API allows.
 *
 * On the first failed check it says which, with the values, prints "N passed, 1 failed" and
 * exits 1; otherwise it ends with "N passed, 0 failed" and exits 0.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmbench/gfp.h"
#include "kmbench/mm.h"
#include "kmbench/slab.h"

#define CHECK_PROGRAM "alone.c"
#include "check.h"

#define NODE_MEM	(64UL << 20)


/* Fill @n bytes at @p with a pattern seeded by @seed and read it back: every byte writable. */
static bool bytes_hold(void *p, size_t n, unsigned int seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 31 + seed);
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(i * 31 + seed))
			return false;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Do [a, a + an) and [b, b + bn) overlap? */
static bool overlap(const void *a, size_t an, const void *b, size_t bn)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + bn && y < x + an;
}

static void check_mm(const char *when)
{
	char why[256] = "";
	int r = kmb_mm_check(why, sizeof(why));

	CHECK(r == 0, "kmb_mm_check %s: %d: %s", when, r, why);
}

/* --- boot --- */

static void boot(void)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = NODE_MEM };
	char why[256] = "";
	const char *mode_why = NULL;
	static char slabinfo[16384];
	int r;

	r = kmb_mm_init(&cfg, why, sizeof(why));
	CHECK(r == 0, "kmb_mm_init(1 node of %lu MiB): %d: %s", NODE_MEM >> 20, r, why);
	CHECK(kmb_mm_nr_nodes() == 1, "kmb_mm_nr_nodes() is %d, not 1", kmb_mm_nr_nodes());
	kmb_show_slabinfo(slabinfo, sizeof(slabinfo));
	CHECK(strstr(slabinfo, "\nkmalloc-64 "), "no kmalloc-64 in slabinfo after kmb_mm_init(): "
	      "the boot did not bring up the slab layer");
	r = kmem_cache_init();
	CHECK(r == 0, "kmem_cache_init (again): %d", r);
	printf("booted: 1 node of %lu MiB, %lu frames; page lists %s, sheaves %s\n",
	       NODE_MEM >> 20, kmb_memmap.max_pfn,
	       kmb_percpu_mode_name(kmb_mm_pcp_mode(&mode_why)),
	       kmb_percpu_mode_name(kmb_slab_percpu_mode(NULL)));
}

/* --- pages --- */

static void pages(void)
{
	static const unsigned int orders[] = { 0, 1, 3, MAX_PAGE_ORDER };
	enum { N = sizeof(orders) / sizeof(orders[0]) };
	struct page *page[N], *zp;
	void *addr[N];
	struct kmb_mm_stats before, after;
	int j;

	kmb_mm_get_stats(&before);
	for (int i = 0; i < N; i++) {
		unsigned int order = orders[i];
		size_t bytes = PAGE_SIZE << order;
		unsigned long pfn;

		page[i] = alloc_pages(GFP_KERNEL, order);
		CHECK(page[i], "alloc_pages(GFP_KERNEL, %u) returned NULL", order);
		pfn = page_to_pfn(page[i]);
		CHECK(pfn_valid(pfn) && !(pfn & ((1UL << order) - 1)),
		      "order-%u block at pfn %lu: not a valid frame aligned to its order", order, pfn);
		addr[i] = page_address(page[i]);
		CHECK(addr[i] && virt_addr_valid(addr[i]) && virt_to_page(addr[i]) == page[i],
		      "order %u: page_address %p is not in the linear map, or virt_to_page does not "
		      "lead back to its page", order, addr[i]);
		/* A page, not the block's size: the linear map's base is only page-aligned (the
		 * kernel's PAGE_OFFSET makes the direct map naturally aligned; kmbench does not
		 * promise that, and test_kmalloc asks no more of large kmallocs). */
		CHECK(((uintptr_t)addr[i] & (PAGE_SIZE - 1)) == 0,
		      "order %u: page_address %p is not page-aligned", order, addr[i]);
		CHECK(bytes_hold(addr[i], bytes, order), "order %u: a byte of %zu at %p did not "
		      "hold what was written", order, bytes, addr[i]);
		for (j = 0; j < i; j++)
			if (overlap(addr[i], bytes, addr[j], PAGE_SIZE << orders[j]))
				break;
		CHECK(j == i, "order-%u block at %p overlaps order-%u block at %p", order,
		      addr[i], orders[j % N], addr[j % N]);
	}

	/* An order-3 block is 8 consecutive frames at 8 consecutive linear addresses. */
	for (unsigned long k = 0; k < 8; k++) {
		struct page *p = page[2] + k;

		CHECK(page_to_pfn(p) == page_to_pfn(page[2]) + k &&
		      page_address(p) == (char *)addr[2] + k * PAGE_SIZE,
		      "order-3 block: frame %lu is pfn %lu at %p, not pfn %lu at %p", k,
		      page_to_pfn(p), page_address(p), page_to_pfn(page[2]) + k,
		      (void *)((char *)addr[2] + k * PAGE_SIZE));
	}

	kmb_mm_get_stats(&after);
	for (int i = 0; i < N; i++)
		CHECK(after.pgalloc[orders[i]] - before.pgalloc[orders[i]] ==
		      (kmb_stat_level() >= 1),	/* not counted in a library built with KMB_STAT=0 */
		      "pgalloc[%u] grew by %lu, not %d (statistics level %d)", orders[i],
		      after.pgalloc[orders[i]] - before.pgalloc[orders[i]],
		      kmb_stat_level() >= 1, kmb_stat_level());

	/* __GFP_ZERO: a frame that was written, freed and taken again reads zero. */
	memset(addr[0], 0xa5, PAGE_SIZE);
	__free_pages(page[0], 0);
	zp = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	CHECK(zp && all_zero(page_address(zp), PAGE_SIZE),
	      "alloc_pages(GFP_KERNEL | __GFP_ZERO, 0): %s", zp ? "a byte is not zero" : "NULL");
	page[0] = zp;

	for (int i = 0; i < N; i++)
		__free_pages(page[i], orders[i]);
	check_mm("after the pages were freed");
	printf("pages: orders 0, 1, 3, %d allocated, written, freed\n", MAX_PAGE_ORDER);
}

/* --- a slab cache with a constructor --- */

#define OBJ_SIZE	100
#define OBJ_MAGIC	0x6b6d6231u	/* "kmb1" */
#define NR_OBJS		64

struct obj {
	unsigned int magic;	/* OBJ_MAGIC: set by the constructor, kept while free */
	unsigned char payload[OBJ_SIZE - sizeof(unsigned int)];
};
_Static_assert(sizeof(struct obj) == OBJ_SIZE, "struct obj is OBJ_SIZE bytes");

static unsigned long ctor_calls;

/* The constructed state: the magic, and a zero payload. */
static void obj_construct(struct obj *o)
{
	o->magic = OBJ_MAGIC;
	memset(o->payload, 0, sizeof(o->payload));
}

static void obj_ctor(void *p)
{
	obj_construct(p);
	__atomic_add_fetch(&ctor_calls, 1, __ATOMIC_RELAXED);
}

/* The L1 data cache line, as SLAB_HWCACHE_ALIGN takes it: sysconf, 64 when unknown. */
static size_t cache_line(void)
{
	long l = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);

	return l > 0 && !(l & (l - 1)) ? (size_t)l : 64;
}

static void cache(void)
{
	size_t line = cache_line();
	struct kmem_cache *s;
	struct obj *o[NR_OBJS];
	struct kmb_slab_stats before, after;
	int j, r;

	kmb_slab_get_stats(&before);
	s = kmem_cache_create("alone_obj", OBJ_SIZE, 0, SLAB_HWCACHE_ALIGN, obj_ctor);
	CHECK(s, "kmem_cache_create(\"alone_obj\", %d, 0, SLAB_HWCACHE_ALIGN, ctor) returned NULL",
	      OBJ_SIZE);
	CHECK(kmem_cache_size(s) == OBJ_SIZE && !strcmp(kmem_cache_name(s), "alone_obj"),
	      "the cache says it is \"%s\" of %u bytes", kmem_cache_name(s), kmem_cache_size(s));

	for (int i = 0; i < NR_OBJS; i++) {
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(o[i], "kmem_cache_alloc #%d returned NULL", i);
		CHECK(((uintptr_t)o[i] & (line - 1)) == 0,
		      "object #%d at %p is not on a %zu-byte cache line (SLAB_HWCACHE_ALIGN)", i,
		      (void *)o[i], line);
		CHECK(o[i]->magic == OBJ_MAGIC && all_zero(o[i]->payload, sizeof(o[i]->payload)),
		      "object #%d at %p was not constructed (magic %#x)", i, (void *)o[i],
		      o[i]->magic);
		/* Aligned objects never share a line: the next object starts a line further. */
		for (j = 0; j < i; j++)
			if (overlap(o[i], (OBJ_SIZE + line - 1) & ~(line - 1), o[j], OBJ_SIZE))
				break;
		CHECK(j == i, "objects #%d at %p and #%d at %p share a cache line", i,
		      (void *)o[i], j, (void *)o[j % NR_OBJS]);
	}
	CHECK(ctor_calls >= NR_OBJS, "the constructor ran %lu times for %d objects", ctor_calls,
	      NR_OBJS);
	for (int i = 0; i < NR_OBJS; i++) {
		CHECK(bytes_hold(o[i], kmem_cache_size(s), (unsigned int)i),
		      "object #%d at %p: a byte of %u did not hold what was written", i,
		      (void *)o[i], kmem_cache_size(s));
		obj_construct(o[i]);	/* back to its constructed state before it is freed */
	}
	for (int i = 0; i < NR_OBJS; i++)
		kmem_cache_free(s, o[i]);

	/* Objects come back in their constructed state, whether reused or new. */
	for (int i = 0; i < NR_OBJS; i++) {
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(o[i] && o[i]->magic == OBJ_MAGIC &&
		      all_zero(o[i]->payload, sizeof(o[i]->payload)),
		      "kmem_cache_alloc #%d after the frees: %s", i,
		      o[i] ? "not in its constructed state" : "NULL");
	}
	for (int i = 0; i < NR_OBJS; i++)
		kmem_cache_free(s, o[i]);
	/* kmalloc's caches have no constructor: every call the library counts is ours. */
	kmb_slab_get_stats(&after);
	CHECK(after.ctor_calls - before.ctor_calls == (kmb_stat_level() >= 1 ? ctor_calls : 0),
	      "kmb_slab_get_stats counts %lu constructor calls, the constructor saw %lu "
	      "(statistics level %d)", after.ctor_calls - before.ctor_calls, ctor_calls,
	      kmb_stat_level());

	r = kmem_cache_destroy(s);
	CHECK(r == 0, "kmem_cache_destroy with every object freed: %d, not 0", r);
	check_mm("after the cache was destroyed");
	printf("cache: %d objects of %d bytes on %zu-byte lines, constructor ran %lu times\n",
	       NR_OBJS, OBJ_SIZE, line, ctor_calls);
}

/* --- kmalloc --- */

/* The size class kmalloc gives @n bytes: the kernel's (8, 16, 32, 64, 96, 128, 192, then
 * powers of two up to KMALLOC_MAX_CACHE_SIZE), whole pages above it. */
static size_t kmalloc_class(size_t n)
{
	size_t c;

	if (n > KMALLOC_MAX_CACHE_SIZE)
		return PAGE_SIZE << get_order(n);
	if (n > 64 && n <= 96)
		return 96;
	if (n > 128 && n <= 192)
		return 192;
	for (c = 8; c < n; c <<= 1)
		;
	return c;
}

/* The alignment kmalloc promises @n bytes: ARCH_KMALLOC_MINALIGN, the largest power of two
 * dividing @n up to a page (so power-of-two sizes are naturally aligned), a page above the
 * largest cache. */
static size_t kmalloc_align(size_t n)
{
	size_t a = n & -n;

	if (n > KMALLOC_MAX_CACHE_SIZE)
		return PAGE_SIZE;
	if (a > PAGE_SIZE)
		a = PAGE_SIZE;
	return a < ARCH_KMALLOC_MINALIGN ? ARCH_KMALLOC_MINALIGN : a;
}

static void kmalloc_sizes(void)
{
	static const size_t sizes[] = {
		1, 8, 24, 64, 72, 96, 100, 192, 200, 1000, 4096,
		KMALLOC_MAX_CACHE_SIZE,			/* the largest cache, kmalloc-8k */
		KMALLOC_MAX_CACHE_SIZE + 1,		/* pages: 12 KiB rounds up to 16 KiB */
		100000,
		KMALLOC_MAX_SIZE,			/* 4 MiB, one order-10 block */
	};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	void *p[N], *z;
	int j;

	for (int i = 0; i < N; i++) {
		size_t n = sizes[i], want = kmalloc_class(n), align = kmalloc_align(n);

		p[i] = kmalloc(n, GFP_KERNEL);
		CHECK(p[i], "kmalloc(%zu) returned NULL", n);
		CHECK(ksize(p[i]) == want, "ksize(kmalloc(%zu)) is %zu, not %zu", n, ksize(p[i]),
		      want);
		CHECK(((uintptr_t)p[i] & (align - 1)) == 0, "kmalloc(%zu) at %p is not %zu-byte "
		      "aligned", n, p[i], align);
		CHECK(bytes_hold(p[i], ksize(p[i]), (unsigned int)i),
		      "kmalloc(%zu) at %p: a byte of its %zu did not hold what was written", n,
		      p[i], ksize(p[i]));
		for (j = 0; j < i; j++)
			if (overlap(p[i], ksize(p[i]), p[j], ksize(p[j])))
				break;
		CHECK(j == i, "kmalloc(%zu) at %p overlaps kmalloc(%zu) at %p", n, p[i],
		      sizes[j % N], p[j % N]);
	}

	z = kmalloc(0, GFP_KERNEL);
	CHECK(z == ZERO_SIZE_PTR && ksize(z) == 0, "kmalloc(0) is %p with ksize %zu, not "
	      "ZERO_SIZE_PTR with 0", z, ksize(z));
	kfree(z);
	z = kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN);
	CHECK(z == NULL, "kmalloc(KMALLOC_MAX_SIZE + 1) is %p, not NULL", z);
	kfree(NULL);

	for (int i = 0; i < N; i++)
		kfree(p[i]);
	CHECK(kmem_cache_validate(NULL) == 0, "kmem_cache_validate found problems after kfree");
	check_mm("after every kfree");
	printf("kmalloc: %d sizes from 1 to %lu bytes, %lu the largest cache\n", N,
	       KMALLOC_MAX_SIZE, KMALLOC_MAX_CACHE_SIZE);
}

/* --- teardown, and a second boot --- */

static void teardown(void)
{
	struct page *pg;

	kmem_cache_exit();
	check_mm("after kmem_cache_exit");
	kmb_mm_teardown();

	boot();
	pg = alloc_pages(GFP_KERNEL, 0);
	CHECK(pg && bytes_hold(page_address(pg), PAGE_SIZE, 7),
	      "a page after the second boot: %s", pg ? "not writable" : "NULL");
	__free_pages(pg, 0);
	kmem_cache_exit();
	check_mm("after the second boot's kmem_cache_exit");
	kmb_mm_teardown();
	printf("teardown: torn down, booted again, torn down\n");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	boot();
	pages();
	cache();
	kmalloc_sizes();
	teardown();
	printf("%u passed, 0 failed\n", passed);
	return 0;
}
