/*
 * fuzz_mempool.c - op sequences on mempools (mm/mempool.c's API over slab caches, kmalloc and
 * pages), checked against a model of the reserve: the guarantee that a pool's min_nr elements
 * are there for the callers that need them when the allocator fails.
 *
 * The underlying allocator either always works (memory to spare) or always fails (fault
 * injection at 1000 permille), so the model knows what each call must do:
 *   alloc (GFP_ATOMIC or GFP_NOWAIT): allocator working, an element from it and the reserve
 *          untouched; failing, one from the reserve while it holds any, then NULL;
 *   alloc (GFP_KERNEL), only while the allocator works: never NULL;
 *   free:  into the reserve while it holds fewer than min_nr, else back to the allocator;
 *   resize: shrinking (or the same size) gives the surplus above the new size back at once
 *          and leaves a reserve below it as it is; growing fills the reserve up to the new
 *          size from the allocator while it works, and leaves it to later frees while it
 *          fails (returning 0, as the kernel's).
 * Ops (one byte, then its operands): 0 create (kind, min_nr, size or order), 1 alloc, 2 free,
 * 3 fail on/off, 4 resize, 5 destroy.  Checked besides: elements disjoint, each keeps what was
 * written until freed; kmb_mempool_stats' curr_nr and min_nr equal the model's after every op;
 * at the end every pool destroyed and every invariant of the page allocator.
 */
#include "fuzz.h"
#include "kmbench/mempool.h"
#include "kmbench/slab.h"

#define MAX_POOLS 3
#define MAX_LIVE 256

enum kind { SLAB_POOL, KMALLOC_POOL, PAGE_POOL };

struct pool {
	mempool_t *mp;
	struct kmem_cache *cache;	/* SLAB_POOL's */
	enum kind kind;
	size_t size;			/* element bytes */
	int min_nr, curr_nr;		/* the model's reserve */
	bool failing;
};

struct elem {
	void *e;			/* what mempool_alloc returned */
	uint8_t *p;			/* its bytes */
	unsigned pool, tag;
};

static struct pool pools[MAX_POOLS];
static unsigned npools;
static struct elem live[MAX_LIVE];
static unsigned nlive, tags;

static void check_model(const struct pool *p)
{
	struct kmb_mempool_stats st;

	kmb_mempool_stats(p->mp, &st);
	FZ_CHECK(st.min_nr == p->min_nr && st.curr_nr == p->curr_nr,
		 "pool: min_nr %d curr_nr %d, the model says %d and %d", st.min_nr, st.curr_nr,
		 p->min_nr, p->curr_nr);
}

static uint8_t *bytes_of(const struct pool *p, void *e)
{
	return p->kind == PAGE_POOL ? page_address((struct page *)e) : e;
}

static void took(unsigned pi, void *e)
{
	struct pool *p = &pools[pi];
	uint8_t *b = bytes_of(p, e);

	for (unsigned i = 0; i < nlive; i++)
		FZ_CHECK(b + p->size <= live[i].p || live[i].p + pools[live[i].pool].size <= b,
			 "element %p overlaps live %p", (void *)b, (void *)live[i].p);
	fz_fill(b, p->size, ++tags);
	live[nlive++] = (struct elem){ e, b, pi, tags };
}

static void give_back(unsigned i)
{
	struct elem el = live[i];
	struct pool *p = &pools[el.pool];
	size_t at;

	FZ_CHECK(fz_intact(el.p, p->size, el.tag, &at), "element %p: byte %zu changed",
		 (void *)el.p, at);
	live[i] = live[--nlive];
	mempool_free(el.e, p->mp);
	if (p->curr_nr < p->min_nr)
		p->curr_nr++;
	check_model(p);
}

static void destroy(unsigned pi)
{
	for (unsigned i = nlive; i--;)
		if (live[i].pool == pi)
			give_back(i);
	mempool_destroy(pools[pi].mp);
	if (pools[pi].cache)
		FZ_CHECK(!kmem_cache_destroy(pools[pi].cache), "the pool's cache is not empty");
	pools[pi] = pools[--npools];
	for (unsigned i = 0; i < nlive; i++)
		if (live[i].pool == npools)
			live[i].pool = pi;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	fz_boot();
	while (f.n) {
		unsigned op = fz_u8(&f) % 6;

		if (op == 0 && npools < MAX_POOLS) {
			struct pool *p = &pools[npools];
			unsigned k = fz_u8(&f) % 3, arg = fz_u16(&f);

			*p = (struct pool){ .kind = k, .min_nr = 1 + fz_u8(&f) % 8 };
			if (k == SLAB_POOL) {
				p->size = 8 + arg % 2048;
				p->cache = kmem_cache_create("fuzz-pool", p->size, 0, 0, NULL);
				FZ_CHECK(p->cache, "kmem_cache_create failed");
				p->mp = mempool_create_slab_pool(p->min_nr, p->cache);
			} else if (k == KMALLOC_POOL) {
				p->size = 1 + arg % 8192;
				p->mp = mempool_create_kmalloc_pool(p->min_nr, p->size);
			} else {
				p->size = PAGE_SIZE << (arg % 3);
				p->mp = mempool_create_page_pool(p->min_nr, arg % 3);
			}
			FZ_CHECK(p->mp, "mempool_create of %d elements failed", p->min_nr);
			p->curr_nr = p->min_nr;
			npools++;
			check_model(p);
		} else if (op == 1 && npools && nlive < MAX_LIVE) {
			unsigned pi = fz_u8(&f) % npools, g = fz_u8(&f) % 3;
			struct pool *p = &pools[pi];
			gfp_t gfp = g == 0 ? GFP_ATOMIC : g == 1 ? GFP_NOWAIT : GFP_KERNEL;
			void *e;

			if (gfp == GFP_KERNEL && p->failing)
				continue;	/* it would wait for a free that never comes */
			e = mempool_alloc(p->mp, gfp);
			if (!p->failing) {
				FZ_CHECK(e, "mempool_alloc failed while its allocator works");
			} else if (p->curr_nr) {
				FZ_CHECK(e, "mempool_alloc failed with %d elements in the reserve",
					 p->curr_nr);
				p->curr_nr--;
			} else {
				FZ_CHECK(!e, "mempool_alloc gave an element with the allocator "
					 "failing and the reserve empty");
			}
			if (e)
				took(pi, e);
			check_model(p);
		} else if (op == 2 && nlive) {
			give_back(fz_u8(&f) % nlive);
		} else if (op == 3 && npools) {
			struct pool *p = &pools[fz_u8(&f) % npools];

			p->failing = !p->failing;
			kmb_mempool_set_fail(p->mp, p->failing ? 1000 : 0);
		} else if (op == 4 && npools) {
			struct pool *p = &pools[fz_u8(&f) % npools];
			int n = 1 + fz_u8(&f) % 12;

			FZ_CHECK(!mempool_resize(p->mp, n), "mempool_resize to %d failed", n);
			if (n <= p->min_nr)		/* shrink: the surplus given back */
				p->curr_nr = p->curr_nr < n ? p->curr_nr : n;
			else if (!p->failing)		/* grow: filled to the new size */
				p->curr_nr = n;
			p->min_nr = n;
			check_model(p);
		} else if (op == 5 && npools) {
			destroy(fz_u8(&f) % npools);
		}
	}
	while (npools)
		destroy(npools - 1);
	fz_check_mm();
	fz_check_reports();
	return 0;
}
