/*
 * plant.c - misuse of the allocators' memory for AddressSanitizer and valgrind's memcheck to find
 * (tools.sh; the annotations are allocators/base/tools.h, docs/tools.md).  Public API only.
 *
 * Usage: kmb_tools_plant MODE, where MODE is one of
 *   clean    objects of a cache "plant" (20 bytes: 12 bytes of padding after each, in a stride
 *            of 32), of a cache with a constructor and of kmalloc, allocated, written, read
 *            and freed, zeroed ones read, one reallocated, one written to its ksize and
 *            reallocated in place down and up; the same of a large kmalloc (20000 bytes:
 *            pages); objects of a slub_debug cache (F, Z, P, U) used and the cache
 *            validated; pages and vmalloc areas written and read, zeroed ones read: no tool
 *            may report anything, nor slub_debug;
 *   dbgclean the same with slub_debug=FZPU for every cache, kmalloc's included;
 *   uaf      an object freed, then byte 8 of it read;
 *   double   an object freed twice;
 *   redzone  byte 20 of a live object read: the padding past its 20 bytes;
 *   leak     an object allocated and its only pointer dropped, the caches left as they are at
 *            exit (memcheck's --leak-check must see a lost block of 20 bytes);
 *   kmalloc  byte 20 of kmalloc(20) read: past the size asked for, inside its class of 32;
 *   krealloc byte 20 of kmalloc(30) reallocated to 20 bytes (in place, the same class) read;
 *   vfree    byte 8 of a vfree'd vmalloc area (3 pages and 100 bytes) read;
 *   vtail    byte 12388 of a live vmalloc area of 12388 bytes read: its last page's rest;
 *   page     byte 8 of the second page of a freed order-1 block of the page allocator read;
 *   pool     an element of a kmalloc mempool of one element (kmalloc-32) taken from the
 *            reserve (every underlying allocation fails: kmb_mempool_set_fail), given back to
 *            the reserve, then byte 8 of it read;
 *   pooltail the same element taken from the reserve, and byte 20 of it read: past the
 *            pool's size;
 *   dbguaf   byte 8 of a freed object of a slub_debug cache "plant-dbg" (F, Z, P, U; 20
 *            bytes) written, then the cache validated: slub_debug's report of the poison
 *            overwritten, where the tool has not stopped the process;
 *   dbgredzone  byte 20 of a live object of plant-dbg written (its right red zone), then the
 *            object freed: slub_debug's report at the free (which refuses it);
 *   dbgquiet both of these, the writes made by a function AddressSanitizer does not check
 *            (as the kernel's slub_kunit turns KASAN off around its planted writes): no ASan
 *            report, and slub_debug reports both, at the validation and at the free;
 *   largetail  byte 12388 of a live large kmalloc of 12388 bytes (pages) read: its last
 *            page's rest.
 * Before the planted access it prints "object 0x..." (the object's address) and "address
 * 0x..." (the byte it touches), for tools.sh to find in the tool's report.  Misuse is
 * reported and refused by the allocator too (kmb_mm_config.debug -1), so the process goes on
 * to the end where the tool does not stop it.  The leak mode runs without per-CPU caches
 * (KMB_PERCPU_NONE): a sheaf keeps the addresses of the objects it handed out in its array, so
 * memcheck would find the lost object still reachable through it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmbench/gfp.h"
#include "kmbench/mempool.h"
#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "kmbench/vmalloc.h"

#define OBJ	20
#define VSIZE	(3 * 4096 + 100)	/* vmalloc: above kmalloc's 8K, not whole pages */
#define LARGE	20000			/* a large kmalloc: 5 pages of 8 */
#define DBG	(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)

/* kmb_tool_nocheck's attribute (allocators/base/tools.h), for dbgquiet's planted writes */
#if defined(__SANITIZE_ADDRESS__)
#define NOCHECK	__attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOCHECK	__attribute__((no_sanitize_address))
#endif
#endif
#ifndef NOCHECK
#define NOCHECK
#endif

static void *volatile keep;	/* a pointer the compiler cannot keep in a register */

static void ctor(void *p)
{
	memset(p, 0x5c, OBJ);
}

static struct kmem_cache *plant_cache_flags(const char *name, slab_flags_t flags,
					    void (*c)(void *))
{
	struct kmem_cache *s = kmem_cache_create(name, OBJ, 0, flags, c);

	if (!s) {
		fprintf(stderr, "plant: kmem_cache_create(%s) failed\n", name);
		exit(1);
	}
	return s;
}

static struct kmem_cache *plant_cache(const char *name, void (*c)(void *))
{
	return plant_cache_flags(name, 0, c);
}

/* ksize: all of kmalloc(@size) is the caller's; krealloc in place down to @down and up to @up,
 * the bytes gained written. */
static unsigned int resize_in_place(size_t size, size_t down, size_t up)
{
	unsigned char *k = kmalloc(size, GFP_KERNEL);
	unsigned int sum;

	memset(k, 2, ksize(k));
	sum = k[ksize(k) - 1];
	k = krealloc(k, down, GFP_KERNEL);
	sum += k[down - 1];
	k = krealloc(k, up, GFP_KERNEL);
	memset(k + down, 3, up - down);
	sum += k[up - 1];
	kfree(k);
	return sum;
}

/* A large kmalloc (pages): to its size, resized in place, and a zeroed one. */
static unsigned int clean_large(void)
{
	unsigned char *k = kmalloc(LARGE, GFP_KERNEL);
	unsigned int sum;

	memset(k, 6, LARGE);
	sum = k[LARGE - 1];
	kfree(k);
	sum += resize_in_place(LARGE, 9000, 12000);
	k = kzalloc(LARGE, GFP_KERNEL);
	sum += k[LARGE - 1];
	kfree(k);
	return sum;
}

/* 100 objects of @s allocated, written, read and freed; a zeroed one read. */
static unsigned int use_cache(struct kmem_cache *s)
{
	unsigned char *p[100], *z;
	unsigned int sum = 0;

	for (int i = 0; i < 100; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		memset(p[i], i, OBJ);
	}
	for (int i = 0; i < 100; i++) {
		sum += p[i][OBJ - 1];
		kmem_cache_free(s, p[i]);
	}
	z = kmem_cache_zalloc(s, GFP_KERNEL);
	for (int i = 0; i < OBJ; i++)
		sum += z[i];
	kmem_cache_free(s, z);
	return sum;
}

/* A slub_debug cache used, then validated. */
static unsigned int clean_debug(void)
{
	struct kmem_cache *ds = plant_cache_flags("plant-fzpu", DBG, NULL);
	unsigned int sum = use_cache(ds);

	if (kmem_cache_validate(ds))
		printf("clean: slub_debug found a problem\n");
	kmem_cache_destroy(ds);
	return sum;
}

static int clean(struct kmem_cache *s)
{
	struct kmem_cache *cs = plant_cache("plant-ctor", ctor);
	unsigned char *p[100], *k;
	unsigned int sum = use_cache(s);

	for (int i = 0; i < 100; i++) {
		p[i] = kmem_cache_alloc(cs, GFP_KERNEL);
		sum += p[i][OBJ - 1];		/* the constructor's byte: defined */
	}
	for (int i = 0; i < 100; i++)
		kmem_cache_free(cs, p[i]);
	k = kmalloc(100, GFP_KERNEL);
	memset(k, 1, 100);
	k = krealloc(k, 1000, GFP_KERNEL);
	sum += k[99];
	kfree(k);
	k = kzalloc(300, GFP_KERNEL);
	sum += k[299];
	kfree(k);
	sum += resize_in_place(OBJ, 10, 30);	/* within kmalloc-32 */
	sum += clean_large();
	sum += clean_debug();
	if (kmem_cache_validate(NULL))
		printf("clean: slub_debug found a problem\n");
	/* pages, written, a zeroed one read */
	k = (unsigned char *)__get_free_pages(GFP_KERNEL, 2);
	memset(k, 5, 4 * 4096);
	free_pages((unsigned long)k, 2);
	k = (unsigned char *)get_zeroed_page(GFP_KERNEL);
	sum += k[4095];
	free_pages((unsigned long)k, 0);
	/* a vmalloc area, written to the byte asked for; a zeroed one read */
	k = vmalloc(VSIZE);
	memset(k, 4, VSIZE);
	sum += k[VSIZE - 1];
	vfree(k);
	k = vzalloc(VSIZE);
	sum += k[VSIZE - 1];
	vfree(k);
	printf("clean: sum %u\n", sum);
	kmem_cache_destroy(cs);
	return 0;
}

static void pool(bool tail)
{
	mempool_t *pool = mempool_create_kmalloc_pool(1, OBJ);
	volatile unsigned char *p;

	kmb_mempool_set_fail(pool, 1000);
	p = mempool_alloc(pool, GFP_KERNEL);
	memset((void *)p, 7, OBJ);
	if (!tail)
		mempool_free((void *)p, pool);
	printf("object %p\naddress %p\n", (void *)p, (void *)(p + (tail ? OBJ : 8)));
	fflush(stdout);
	keep = (void *)(uintptr_t)p[tail ? OBJ : 8];
	if (tail)
		mempool_free((void *)p, pool);
	mempool_destroy(pool);
}

/*
 * kmalloc: byte 20 of kmalloc(20) read, in its class of 32; krealloc: the same of kmalloc(30)
 * made 20 bytes by krealloc (in place); vfree: byte 8 of a vfree'd
 * vmalloc area read (it stays mapped until the lazy purge); vtail: byte VSIZE of a live
 * vmalloc area read, in its last page; page: byte 8 of the second page of a freed order-1
 * block read.
 */
static void other(const char *mode)
{
	volatile unsigned char *p, *at;

	if (!strcmp(mode, "kmalloc")) {
		p = kmalloc(OBJ, GFP_KERNEL);
		memset((void *)p, 7, OBJ);
		at = p + OBJ;
	} else if (!strcmp(mode, "krealloc")) {
		p = kmalloc(30, GFP_KERNEL);
		memset((void *)p, 7, 30);
		p = krealloc((void *)p, OBJ, GFP_KERNEL);	/* in place: the same class */
		at = p + OBJ;
	} else if (!strcmp(mode, "page")) {
		p = (unsigned char *)__get_free_pages(GFP_KERNEL, 1);
		memset((void *)p, 7, 2 * 4096);
		free_pages((unsigned long)p, 1);
		at = p + 4096 + 8;
	} else {
		p = vmalloc(VSIZE);
		memset((void *)p, 7, VSIZE);
		at = !strcmp(mode, "vfree") ? p + 8 : p + VSIZE;
		if (at == p + 8)
			vfree((void *)p);
	}
	printf("object %p\naddress %p\n", (void *)p, (void *)at);
	fflush(stdout);
	keep = (void *)(uintptr_t)*at;
	if (!strcmp(mode, "kmalloc") || !strcmp(mode, "krealloc"))
		kfree((void *)p);
	else if (!strcmp(mode, "page"))
		return;
	else if (at != p + 8)
		vfree((void *)p);
}

/* dbgquiet's writes: ASan checks none of them, as KASAN checks none between
 * kasan_disable_current() and kasan_enable_current() (lib/slub_kunit.c) */
static NOCHECK void poke(volatile unsigned char *p, unsigned char v)
{
	*p = v;
}

/*
 * dbguaf, dbgredzone, dbgquiet: a use after free and a write into a red zone in a slub_debug
 * cache (F, Z, P, U), found by the tool at the write and by slub_debug at its next check.
 */
static void debug_cache(const char *mode)
{
	struct kmem_cache *ds = plant_cache_flags("plant-dbg", DBG, NULL);
	bool quiet = !strcmp(mode, "dbgquiet");
	volatile unsigned char *p;

	if (quiet || !strcmp(mode, "dbguaf")) {
		p = kmem_cache_alloc(ds, GFP_KERNEL);
		memset((void *)p, 7, OBJ);
		kmem_cache_free(ds, (void *)p);
		printf("object %p\naddress %p\n", (void *)p, (void *)(p + 8));
		fflush(stdout);
		if (quiet)
			poke(p + 8, 0x12);
		else
			p[8] = 0x12;
		printf("slub_debug: %lu problems\n", kmem_cache_validate(ds));
	}
	if (quiet || !strcmp(mode, "dbgredzone")) {
		p = kmem_cache_alloc(ds, GFP_KERNEL);
		memset((void *)p, 7, OBJ);
		printf("object %p\naddress %p\n", (void *)p, (void *)(p + OBJ));
		fflush(stdout);
		if (quiet)
			poke(p + OBJ, 0x12);
		else
			p[OBJ] = 0x12;
		kmem_cache_free(ds, (void *)p);	/* refused: the cache keeps it until exit */
		return;
	}
	kmem_cache_destroy(ds);
}

/* largetail: byte VSIZE of a large kmalloc of VSIZE bytes (pages) read, in its last page. */
static void large_tail(void)
{
	volatile unsigned char *p = kmalloc(VSIZE, GFP_KERNEL);

	memset((void *)p, 7, VSIZE);
	printf("object %p\naddress %p\n", (void *)p, (void *)(p + VSIZE));
	fflush(stdout);
	keep = (void *)(uintptr_t)p[VSIZE];
	kfree((void *)p);
}

static __attribute__((noinline)) void leak(struct kmem_cache *s)
{
	keep = kmem_cache_alloc(s, GFP_KERNEL);
	memset(keep, 1, OBJ);
	printf("object %p\n", keep);
	keep = NULL;
}

int main(int argc, char **argv)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = 64UL << 20, .debug = -1 };
	const char *mode = argc == 2 ? argv[1] : "";
	struct kmem_cache *s;
	volatile unsigned char *p;
	char why[200];

	if (strcmp(mode, "clean") && strcmp(mode, "uaf") && strcmp(mode, "double") &&
	    strcmp(mode, "redzone") && strcmp(mode, "leak") && strcmp(mode, "pool") &&
	    strcmp(mode, "kmalloc") && strcmp(mode, "vfree") && strcmp(mode, "vtail") &&
	    strcmp(mode, "page") && strcmp(mode, "krealloc") && strcmp(mode, "pooltail") &&
	    strcmp(mode, "dbgclean") && strcmp(mode, "dbguaf") && strcmp(mode, "dbgredzone") &&
	    strcmp(mode, "dbgquiet") && strcmp(mode, "largetail")) {
		fprintf(stderr, "plant: mode '%s': clean, dbgclean, uaf, double, redzone, leak, "
			"pool, pooltail, kmalloc, krealloc, vfree, vtail, page, dbguaf, dbgredzone, "
			"dbgquiet or largetail\n", mode);
		return 2;
	}
	if (!strcmp(mode, "leak"))
		kmb_slab_set_percpu(KMB_PERCPU_NONE);
	if (!strcmp(mode, "dbgclean"))
		kmb_slab_set_debug(DBG);	/* the kmalloc caches' too */
	if (kmb_mm_init(&cfg, why, sizeof(why))) {
		fprintf(stderr, "plant: kmb_mm_init: %s\n", why);
		return 1;
	}
	s = plant_cache("plant", NULL);
	if (!strcmp(mode, "clean") || !strcmp(mode, "dbgclean")) {
		clean(s);
	} else if (!strncmp(mode, "dbg", 3)) {
		debug_cache(mode);
	} else if (!strcmp(mode, "largetail")) {
		large_tail();
	} else if (!strcmp(mode, "pool") || !strcmp(mode, "pooltail")) {
		pool(!strcmp(mode, "pooltail"));
	} else if (!strcmp(mode, "kmalloc") || !strcmp(mode, "vfree") || !strcmp(mode, "vtail") ||
		   !strcmp(mode, "page") || !strcmp(mode, "krealloc")) {
		other(mode);
	} else if (!strcmp(mode, "leak")) {
		leak(s);
		fflush(stdout);
		return 0;	/* the caches as they are: memcheck's leak check at exit */
	} else {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		memset((void *)p, 7, OBJ);
		printf("object %p\n", (void *)p);
		if (!strcmp(mode, "uaf")) {
			kmem_cache_free(s, (void *)p);
			printf("address %p\n", (void *)(p + 8));
			fflush(stdout);
			keep = (void *)(uintptr_t)p[8];
		} else if (!strcmp(mode, "double")) {
			kmem_cache_free(s, (void *)p);
			printf("address %p\n", (void *)p);
			fflush(stdout);
			kmem_cache_free(s, (void *)p);
		} else {
			printf("address %p\n", (void *)(p + OBJ));
			fflush(stdout);
			keep = (void *)(uintptr_t)p[OBJ];
			kmem_cache_free(s, (void *)p);
		}
	}
	kmem_cache_destroy(s);
	kmem_cache_exit();
	kmb_mm_teardown();
	printf("%s: done\n", mode);
	return 0;
}
