/*
 * fuzz_slab.c - op sequences on slab caches (kmem_cache_create/alloc/free/shrink/destroy, the
 * bulk calls), with and without sheaves, constructors, SLAB_HWCACHE_ALIGN and the debug flags,
 * checked against the live set.
 *
 * Ops (one byte, then its operands):
 *   0 create   size, align, flags, constructor, sheaves (on with a capacity, or off); at most
 *              MAX_CACHES at a time
 *   1 alloc    from cache (byte % caches), gfp (GFP_KERNEL|__GFP_NORETRY or GFP_ATOMIC, with
 *              __GFP_NOWARN, and __GFP_ZERO where there is no constructor)
 *   2 free     the live object at index
 *   3 bulk     kmem_cache_alloc_bulk of 1..16, all or nothing
 *   4 bulkfree the last 1..16 objects of one cache with kmem_cache_free_bulk
 *   5 shrink   kmem_cache_shrink, then kmem_cache_validate finds nothing
 *   6 destroy  free the cache's objects, then kmem_cache_destroy returns 0
 * Checked: an object is aligned as mm/slab_common.c calculate_alignment() says (the align
 * asked, the cache line halved while the object fits in half with SLAB_HWCACHE_ALIGN, 8 bytes
 * at least), disjoint from every live object, constructed (a constructor cache's object holds
 * the constructor's bytes: a caller frees it constructed, as the kernel requires), zeroed with
 * __GFP_ZERO, and keeps what was written until it is freed; no slab error reported; every
 * cache validates; at the end every cache of the input is destroyed, which kmem_cache_destroy
 * refuses while an object of it is allocated (the leak check).
 */
#include "fuzz.h"
#include "kmbench/slab.h"

#define MAX_CACHES 4
#define MAX_LIVE 512
#define CTOR_BYTES 16

struct cache {
	struct kmem_cache *s;
	unsigned size, align;
	bool ctor;
};

struct obj {
	uint8_t *p;
	unsigned cache, tag;
};

static struct cache caches[MAX_CACHES];
static unsigned ncaches;
static struct obj live[MAX_LIVE];
static unsigned nlive;

static uint8_t ctor_byte(size_t i)
{
	return (uint8_t)(0xc0 + i);
}

static void ctor(void *p)
{
	for (size_t i = 0; i < CTOR_BYTES; i++)
		((uint8_t *)p)[i] = ctor_byte(i);
}

/* What mm/slab_common.c calculate_alignment() gives an object of @size. */
static unsigned alignment(unsigned size, unsigned align, bool hwcache)
{
	unsigned a = align;

	if (hwcache) {
		unsigned ralign = 64;

		while (size <= ralign / 2)
			ralign /= 2;
		a = a > ralign ? a : ralign;
	}
	return a > 8 ? a : 8;
}

static void took(uint8_t *p, unsigned ci, gfp_t gfp)
{
	const struct cache *c = &caches[ci];
	unsigned tag = (unsigned)(uintptr_t)p ^ ci;

	FZ_CHECK(p, "NULL from cache %u with memory to spare", ci);
	FZ_CHECK(!((uintptr_t)p % c->align), "object %p of a %u-byte cache not aligned to %u",
		 (void *)p, c->size, c->align);
	for (unsigned i = 0; i < nlive; i++) {
		const struct obj *o = &live[i];

		FZ_CHECK(p + c->size <= o->p || o->p + caches[o->cache].size <= p,
			 "object %p (%u bytes) overlaps live %p (%u bytes)", (void *)p, c->size,
			 (void *)o->p, caches[o->cache].size);
	}
	if (c->ctor)
		for (size_t i = 0; i < CTOR_BYTES; i++)
			FZ_CHECK(p[i] == ctor_byte(i), "object %p not constructed: byte %zu is %#x",
				 (void *)p, i, p[i]);
	else if (gfp & __GFP_ZERO)
		for (size_t i = 0; i < c->size; i = fz_next(i, c->size))
			FZ_CHECK(!p[i], "__GFP_ZERO object %p: byte %zu is %#x", (void *)p, i, p[i]);
	if (!c->ctor)
		fz_fill(p, c->size, tag);
	FZ_CHECK(nlive < MAX_LIVE, "live set full");
	live[nlive++] = (struct obj){ p, ci, tag };
}

/* Check the object at @i and take it out of the live set; the caller frees it. */
static uint8_t *drop(unsigned i)
{
	struct obj o = live[i];
	size_t at;

	if (!caches[o.cache].ctor)
		FZ_CHECK(fz_intact(o.p, caches[o.cache].size, o.tag, &at),
			 "object %p: byte %zu changed while it was live", (void *)o.p, at);
	live[i] = live[--nlive];
	return o.p;
}

static void destroy(unsigned ci)
{
	for (unsigned i = nlive; i--;)
		if (live[i].cache == ci)
			kmem_cache_free(caches[ci].s, drop(i));
	FZ_CHECK(!kmem_cache_validate(caches[ci].s), "kmem_cache_validate found problems");
	FZ_CHECK(!kmem_cache_destroy(caches[ci].s), "kmem_cache_destroy refused an empty cache");
	caches[ci] = caches[--ncaches];
	for (unsigned i = 0; i < nlive; i++)	/* the last cache moved to ci */
		if (live[i].cache == ncaches)
			live[i].cache = ci;
}

static const slab_flags_t debug_flags[] = {
	0, SLAB_RED_ZONE, SLAB_POISON, SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	fz_boot();
	while (f.n) {
		unsigned op = fz_u8(&f) % 7;

		if (op == 0 && ncaches < MAX_CACHES) {
			unsigned sz = 1 + fz_u16(&f) % 8192, a = fz_u8(&f), fl = fz_u8(&f);
			struct kmem_cache_args args = { 0 };
			struct cache *c = &caches[ncaches];
			slab_flags_t flags = debug_flags[fl & 3] | (fl & 4 ? SLAB_HWCACHE_ALIGN : 0);

			args.align = a & 8 ? 1u << (a % 8) : 0;	/* 0, or 1 .. 128 */
			/* The constructor writes CTOR_BYTES: only objects that large have one. */
			args.ctor = fl & 8 && sz >= CTOR_BYTES ? ctor : NULL;
			args.sheaves = fl & 16 ? KMEM_SHEAVES_OFF : KMEM_SHEAVES_ON;
			args.sheaf_capacity = fl & 32 ? 1 + fz_u8(&f) % KMEM_CACHE_MAX_SHEAF : 0;
			c->s = __kmem_cache_create_args("fuzz", sz, &args, flags);
			FZ_CHECK(c->s, "kmem_cache_create of %u bytes, align %u, flags %#x failed", sz,
				 args.align, flags);
			c->size = sz;
			c->align = alignment(sz, args.align, flags & SLAB_HWCACHE_ALIGN);
			c->ctor = args.ctor;
			ncaches++;
		} else if ((op == 1 || op == 3) && ncaches) {
			unsigned ci = fz_u8(&f) % ncaches, g = fz_u8(&f);
			gfp_t gfp = (g & 1 ? GFP_ATOMIC : GFP_KERNEL | __GFP_NORETRY) | __GFP_NOWARN |
				    (g & 2 && !caches[ci].ctor ? __GFP_ZERO : 0);

			if (op == 1 && nlive < MAX_LIVE) {
				took(kmem_cache_alloc(caches[ci].s, gfp), ci, gfp);
			} else if (op == 3) {
				void *p[16];
				unsigned k = 1 + g / 4 % 16;

				if (nlive + k > MAX_LIVE)
					continue;
				FZ_CHECK(kmem_cache_alloc_bulk(caches[ci].s, gfp, k, p) == (int)k,
					 "kmem_cache_alloc_bulk of %u failed with memory to spare", k);
				for (unsigned i = 0; i < k; i++)
					took(p[i], ci, gfp);
			}
		} else if (op == 2 && nlive) {
			unsigned i = fz_u8(&f) % nlive, ci = live[i].cache;

			kmem_cache_free(caches[ci].s, drop(i));
		} else if (op == 4 && ncaches) {
			unsigned ci = fz_u8(&f) % ncaches, k = 1 + fz_u8(&f) % 16, m = 0;
			void *p[16];

			for (unsigned i = nlive; i-- && m < k;)
				if (live[i].cache == ci)
					p[m++] = drop(i);
			kmem_cache_free_bulk(caches[ci].s, m, p);
		} else if (op == 5 && ncaches) {
			unsigned ci = fz_u8(&f) % ncaches;

			kmem_cache_shrink(caches[ci].s);
			FZ_CHECK(!kmem_cache_validate(caches[ci].s), "kmem_cache_validate found "
				 "problems after kmem_cache_shrink");
		} else if (op == 6 && ncaches) {
			destroy(fz_u8(&f) % ncaches);
		}
	}
	while (ncaches)
		destroy(ncaches - 1);
	fz_check_reports();
	FZ_CHECK(!kmem_cache_validate(NULL), "kmem_cache_validate found problems");
	fz_check_mm();
	return 0;
}
