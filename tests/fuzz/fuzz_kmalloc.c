/*
 * fuzz_kmalloc.c - op sequences on kmalloc (kmalloc, kzalloc, kmalloc_array, kcalloc,
 * krealloc, ksize, kfree), checked against the live set.
 *
 * Ops (one byte, then its operands):
 *   0 alloc    size: 0 .. 8 KiB, or up to KMALLOC_MAX_SIZE (pages) one time in eight; gfp
 *              (GFP_KERNEL|__GFP_NORETRY or GFP_ATOMIC, with __GFP_NOWARN), kmalloc or kzalloc
 *   1 free     the live object at index
 *   2 realloc  krealloc of a live object to a new size: its first min(old, new) bytes kept
 *   3 array    kmalloc_array / kcalloc of n x size, which must be NULL where the product
 *              overflows
 *   4 null     kfree(NULL) and kfree(ZERO_SIZE_PTR) do nothing
 * Checked: kmalloc(0) is ZERO_SIZE_PTR; an object is at least 8-byte aligned
 * (ARCH_KMALLOC_MINALIGN) and naturally aligned when its size is a power of two (the
 * guarantee of include/linux/slab.h since Linux 5.4), ksize() >= its size, disjoint from every
 * live object over its ksize() bytes, zeroed by kzalloc and kcalloc, and keeps what was
 * written until it is freed or reallocated; failure only above 8 KiB (the page allocator may
 * be exhausted); no slab error; at the end every cache validates.
 */
#include "fuzz.h"
#include "kmbench/slab.h"

#define MAX_LIVE 512

struct obj {
	uint8_t *p;
	size_t size, ksize;
	unsigned tag;
};

static struct obj live[MAX_LIVE];
static unsigned nlive, tags;

static size_t read_size(struct fz *f)
{
	unsigned a = fz_u8(f), b = fz_u16(f);

	if ((a & 7) == 7)				/* 1 in 8: up to 4 MiB */
		return (size_t)b * 64 % (KMALLOC_MAX_SIZE + 1);
	return b % 8193;
}

/* A new object @p of @size from kmalloc (@zero: kzalloc, kcalloc): check it, fill it, keep it. */
static void took(uint8_t *p, size_t size, bool zero)
{
	size_t ks;

	if (!size) {
		FZ_CHECK(p == ZERO_SIZE_PTR, "kmalloc(0) gave %p, not ZERO_SIZE_PTR", (void *)p);
		return;
	}
	if (!p) {
		FZ_CHECK(size > 8192, "kmalloc(%zu) failed", size);
		return;
	}
	ks = ksize(p);
	FZ_CHECK(ks >= size, "ksize %zu of a %zu-byte object", ks, size);
	FZ_CHECK(!((uintptr_t)p % ARCH_KMALLOC_MINALIGN), "object %p not 8-byte aligned", (void *)p);
	if (!(size & (size - 1)))
		FZ_CHECK(!((uintptr_t)p % (size < PAGE_SIZE ? size : PAGE_SIZE)),
			 "object %p of %zu bytes (a power of two) not naturally aligned", (void *)p,
			 size);
	for (unsigned i = 0; i < nlive; i++)
		FZ_CHECK(p + ks <= live[i].p || live[i].p + live[i].ksize <= p,
			 "object %p (%zu bytes) overlaps live %p (%zu bytes)", (void *)p, ks,
			 (void *)live[i].p, live[i].ksize);
	if (zero)
		for (size_t i = 0; i < size; i = fz_next(i, size))
			FZ_CHECK(!p[i], "zeroed object %p: byte %zu is %#x", (void *)p, i, p[i]);
	fz_fill(p, size, ++tags);
	live[nlive++] = (struct obj){ p, size, ks, tags };
}

/* The object's pattern intact in its first @limit bytes. */
static void check_intact(const struct obj *o, size_t limit)
{
	size_t at;

	FZ_CHECK(fz_intact_upto(o->p, o->size, limit, o->tag, &at),
		 "object %p (%zu bytes): byte %zu changed", (void *)o->p, o->size, at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	fz_boot();
	while (f.n) {
		unsigned op = fz_u8(&f) % 5, g;

		if (op == 0 && nlive < MAX_LIVE) {
			size_t sz = read_size(&f);
			gfp_t gfp;

			g = fz_u8(&f);
			gfp = (g & 1 ? GFP_ATOMIC : GFP_KERNEL | __GFP_NORETRY) | __GFP_NOWARN;
			took(g & 2 ? kzalloc(sz, gfp) : kmalloc(sz, gfp), sz, g & 2);
		} else if (op == 1 && nlive) {
			unsigned i = fz_u8(&f) % nlive;

			check_intact(&live[i], live[i].size);
			kfree(live[i].p);
			live[i] = live[--nlive];
		} else if (op == 2 && nlive) {
			unsigned i = fz_u8(&f) % nlive;
			size_t sz = read_size(&f), keep = sz < live[i].size ? sz : live[i].size;
			struct obj o = live[i];
			uint8_t *p;

			check_intact(&o, o.size);
			p = krealloc(o.p, sz, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
			if (!sz) {	/* krealloc to 0 frees, and returns ZERO_SIZE_PTR */
				FZ_CHECK(p == ZERO_SIZE_PTR, "krealloc(p, 0) gave %p", (void *)p);
				live[i] = live[--nlive];
				continue;
			}
			if (!p) {	/* failed: the old object is untouched and still ours */
				FZ_CHECK(sz > 8192, "krealloc to %zu failed", sz);
				continue;
			}
			live[i] = live[--nlive];
			o.p = p;
			check_intact(&o, keep);	/* the bytes kept moved with it */
			took(p, sz, false);
		} else if (op == 3 && nlive < MAX_LIVE) {
			size_t n = fz_u16(&f), each = fz_u16(&f);
			bool over;

			g = fz_u8(&f);
			if (g & 4)		/* a product that overflows */
				n = SIZE_MAX / (each ? each : 1) + 1 + n;
			over = each && n > SIZE_MAX / each;
			if (over) {
				void *p = g & 2 ? kcalloc(n, each, GFP_KERNEL) :
						  kmalloc_array(n, each, GFP_KERNEL);

				FZ_CHECK(!p, "%zu x %zu overflows, yet the allocation gave %p", n,
					 each, p);
				continue;
			}
			if (n * each > 8192)
				n = each ? 8192 / each : n;
			took(g & 2 ? kcalloc(n, each, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN) :
				     kmalloc_array(n, each, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN),
			     n * each, g & 2);
		} else if (op == 4) {
			kfree(NULL);
			kfree(ZERO_SIZE_PTR);
		}
	}
	while (nlive) {
		check_intact(&live[nlive - 1], live[nlive - 1].size);
		kfree(live[--nlive].p);
	}
	fz_check_reports();
	FZ_CHECK(!kmem_cache_validate(NULL), "kmem_cache_validate found problems");
	fz_check_mm();
	return 0;
}
