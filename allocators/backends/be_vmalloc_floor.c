/*
 * be_vmalloc_floor.c - backend: the system calls one vmalloc area makes, and nothing else: the
 * floor under vmalloc's cost that the model cannot go below, measured in the same run as the
 * vmalloc backend so that the report can split vmalloc's time into that floor and the model's
 * own work (kmbench issue 16, docs/vmalloc.md "The floor").
 *
 * What vmalloc(size) and vfree() cost in system calls (allocators/vmalloc/vmalloc.c):
 *   - at vmalloc: one mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, off)
 *     per run of physically contiguous frames, at the run's place in the window, which is a
 *     PROT_NONE reservation: the call replaces a piece of it;
 *   - at vfree: none; the range (with its guard page) waits on the purge list;
 *   - when the pages on the purge list pass lazy_max_pages(): the purge, one
 *     mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED) per
 *     run of adjacent ranges, sorted by address, which reserves them again; then their
 *     addresses are reused, lowest first.
 * This backend makes exactly those calls: the same flags, the same lengths, the same number of
 * calls per area, the same amortised purge.  How many runs an area's frames make depends on the
 * size (a 4 MiB area's 1024 frames come from the per-CPU lists in two runs, a 64 KiB area's in
 * one), so the pattern is not assumed but taken from vmalloc itself: the first allocation of
 * each page count calibrates it, outside the steady state, by making a few vmalloc areas of
 * that size in a model booted with the run's options (as the vmalloc backend boots it) and
 * reading their runs with vmalloc_to_page(); every later area of that page count is mapped in
 * the same runs of the same lengths.  `floor_shapes` in the stats lists what was calibrated.
 *
 * What it does not do, which is the model's own work: take frames from the buddy allocator,
 * search the window's free tree, keep a vm_struct and a page array, count mapcounts, publish
 * the area, and purge through tree inserts and merges.  Its own bookkeeping, per thread slot
 * under a lock that only a free from another thread contends: a bump pointer and the purged
 * holes below it, a list of freed ranges, the file offsets of each area (a table by address)
 * and the free ones.
 *
 * Where it differs from vmalloc, and why the difference does not lower the floor:
 *   - the file: one memfd, the floor's own, in which each area takes fresh pages or the pages
 *     the last freed area of its page count had (a stack per page count, as the per-CPU page
 *     lists give vmalloc the frames it freed last), with a page left between runs so that no
 *     two runs are one contiguous piece of the file; not a node's memfd at frames' pfns.
 *     mmap() reads no page of the file, so the calls cost the same; a loop of vmalloc+vfree
 *     touches the same few pages again, here as in vmalloc, so first touch faults on pages
 *     the file already holds in both.  Live areas never share a page.
 *   - addresses: each thread takes ranges from its own slot of the window: first from the
 *     holes the purges left, in address order (a hole too small is passed over), then from the
 *     slot's top; vmalloc takes the lowest free range that fits.  A slot that holds no live area
 *     and has nothing awaiting a purge starts again at its lowest address (every area of the
 *     untouched, first-touch and access workloads: then the addresses are vmalloc's); where
 *     areas are held throughout (vmtest-full-fit, -long-busy) the purged ranges around them
 *     are reused, as vmalloc reuses them, so page tables and file pages stay warm.  A slot is
 *     64 GiB; an allocation fails only when a thread's areas span all of it.
 *   - the purge: past lazy_max_pages() of every thread's freed pages together, as vmalloc,
 *     but one call per run of adjacent ranges of each slot: where vmalloc's threads interleave
 *     their areas in the window and a purge may join them into one run, the floor's slots never
 *     touch, so with several threads it may make a few more calls per purge, each purge
 *     amortised over thousands of areas.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmbench/backend.h"
#include "kmbench/vmalloc.h"
#include "be_mm.h"

#define FLOOR_PAGE		4096UL
#define FLOOR_SLOTS		16
#define FLOOR_SLOT_SIZE		(64UL << 30)	/* 64 GiB of address space per slot */
#define FLOOR_SLOT_MIN		(1UL << 30)	/* a smaller reservation, where that one fails */
#define FLOOR_CALIBRATE		4		/* vmalloc areas per calibration, the last read */
#define FLOOR_TABLE		4096		/* page counts with a slot in the tables, at least */
#define FLOOR_MAP_FLAGS		(MAP_SHARED | MAP_FIXED)
#define FLOOR_UNMAP_FLAGS	(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED)

/* The runs of one page count: nr runs of len[] frames, in order. */
struct floor_shape {
	unsigned long pages;
	struct floor_shape *next;	/* above max_pages: the list of fl.big */
	unsigned int nr;
	unsigned int len[];
};

/* A freed range awaiting the purge. */
struct floor_range {
	unsigned long start, end;
};

/* Free file offsets of one page count: a stack, so the last freed is the next used. */
struct floor_offs {
	uint32_t *v;			/* in pages from the slot's part of the memfd */
	uint32_t n, cap;
};

/* One thread slot of the window: its ranges are taken in address order. */
struct floor_slot {
	atomic_flag lock;		/* everything below but base, end and offmap's mapping */
	unsigned long base, end;	/* the slot's part of the window (and of the memfd) */
	unsigned long next;		/* the next range starts here */
	unsigned long live;		/* areas allocated and not freed */
	struct floor_range *pend;	/* freed ranges awaiting the purge */
	size_t npend, cap;
	unsigned long lazy;		/* pages of pend (guard pages included, as vmap_lazy_nr) */
	uint32_t off_next, off_end;	/* fresh file offsets, in pages */
	uint32_t *offmap;		/* the file offset of the area starting at each page */
	struct floor_offs *offs;	/* free offsets by page count, 1..max_pages */
	struct floor_range *holes;	/* purged ranges below next, in address order */
	size_t nholes, hcur;		/* holes[hcur..nholes) are still to be taken */
	pthread_mutex_t purge_mutex;	/* held over a purge's system calls */
	char pad[64];
};

static struct {
	void *window;			/* FLOOR_SLOTS slots of slot_size, PROT_NONE */
	unsigned long slot_size;
	int fd;				/* the memfd the ranges map, as large as the window */
	unsigned long lazy_max;		/* vmalloc's lazy_max_pages() */
	atomic_ulong lazy;		/* pages awaiting a purge, every slot's (vmap_lazy_nr) */
	_Atomic(struct floor_shape *) *shapes;	/* by page count, 1..max_pages; NULL: not yet */
	unsigned long max_pages;	/* the run's largest size, at least FLOOR_TABLE pages */
	struct floor_shape *big;	/* the shapes above max_pages, under calibrate_mutex */
	pthread_mutex_t calibrate_mutex;
	atomic_uint next_slot;
	atomic_ulong map_calls, unmap_calls, purges, areas, calibrations;
	struct floor_slot slot[FLOOR_SLOTS];
} fl = { .fd = -1 };

static _Thread_local struct floor_slot *my_slot;

static inline void slot_lock(struct floor_slot *s)
{
	while (atomic_flag_test_and_set_explicit(&s->lock, memory_order_acquire))
		;
}

static inline void slot_unlock(struct floor_slot *s)
{
	atomic_flag_clear_explicit(&s->lock, memory_order_release);
}

static void floor_fini(void)
{
	for (unsigned long n = 1; fl.shapes && n <= fl.max_pages; n++)
		free(atomic_load(&fl.shapes[n]));
	free(fl.shapes);
	fl.shapes = NULL;
	while (fl.big) {
		struct floor_shape *sh = fl.big;

		fl.big = sh->next;
		free(sh);
	}
	for (int i = 0; i < FLOOR_SLOTS; i++) {
		struct floor_slot *s = &fl.slot[i];

		for (unsigned long n = 1; s->offs && n <= fl.max_pages; n++)
			free(s->offs[n].v);
		free(s->offs);
		free(s->pend);
		free(s->holes);
		if (s->offmap)
			munmap(s->offmap, fl.slot_size / FLOOR_PAGE * sizeof(uint32_t));
		pthread_mutex_destroy(&s->purge_mutex);
	}
	memset(&fl.slot, 0, sizeof(fl.slot));
	if (fl.window)
		munmap(fl.window, fl.slot_size * FLOOR_SLOTS);
	if (fl.fd >= 0)
		close(fl.fd);
	fl.window = NULL;
	fl.fd = -1;
	kmb_mm_backend_fini();
}

static int floor_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	struct kmb_vmalloc_stats st;
	int r = kmb_mm_backend_init(cfg, false, KMB_PERCPU_DEFAULT, KMB_PERCPU_DEFAULT, why,
				    whylen);

	if (r)
		return r;
	kmb_vmalloc_get_stats(&st);
	memset(&fl.slot, 0, sizeof(fl.slot));
	fl.lazy_max = st.lazy_max_pages;
	/* the workloads' own sizes too: the vmtest patterns' 100 pages whatever --sizes says */
	fl.max_pages = (cfg->max_size + FLOOR_PAGE - 1) / FLOOR_PAGE;
	if (fl.max_pages < FLOOR_TABLE)
		fl.max_pages = FLOOR_TABLE;
	fl.shapes = calloc(fl.max_pages + 1, sizeof(*fl.shapes));
	for (fl.slot_size = FLOOR_SLOT_SIZE; fl.slot_size >= FLOOR_SLOT_MIN; fl.slot_size /= 2) {
		fl.window = mmap(NULL, fl.slot_size * FLOOR_SLOTS, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (fl.window != MAP_FAILED)
			break;
	}
	if (fl.window == MAP_FAILED)
		fl.window = NULL;
	fl.fd = memfd_create("kmbench-vmalloc-floor", MFD_CLOEXEC);
	if (!fl.shapes || !fl.window || fl.fd < 0 ||
	    ftruncate(fl.fd, (off_t)(fl.slot_size * FLOOR_SLOTS))) {
		snprintf(why, whylen, "vmalloc-floor: cannot set up its window and memfd: %s",
			 strerror(errno ? errno : ENOMEM));
		floor_fini();
		return -ENOMEM;
	}
	for (int i = 0; i < FLOOR_SLOTS; i++) {
		struct floor_slot *s = &fl.slot[i];
		void *m = mmap(NULL, fl.slot_size / FLOOR_PAGE * sizeof(uint32_t),
			       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		s->base = s->next = (unsigned long)fl.window + (unsigned long)i * fl.slot_size;
		s->end = s->base + fl.slot_size;
		s->off_end = (uint32_t)(fl.slot_size / FLOOR_PAGE);
		s->offmap = m == MAP_FAILED ? NULL : m;
		s->offs = calloc(fl.max_pages + 1, sizeof(*s->offs));
		pthread_mutex_init(&s->purge_mutex, NULL);
		if (!s->offmap || !s->offs) {
			snprintf(why, whylen, "vmalloc-floor: cannot set up its slots: %s",
				 strerror(ENOMEM));
			floor_fini();
			return -ENOMEM;
		}
	}
	pthread_mutex_init(&fl.calibrate_mutex, NULL);
	atomic_store(&fl.next_slot, 0);
	atomic_store(&fl.map_calls, 0);
	atomic_store(&fl.unmap_calls, 0);
	atomic_store(&fl.purges, 0);
	atomic_store(&fl.areas, 0);
	atomic_store(&fl.calibrations, 0);
	atomic_store(&fl.lazy, 0);
	return 0;
}

/* The runs of physically contiguous frames (same node, consecutive pfns) of the area at @p. */
static struct floor_shape *shape_of(const char *p, unsigned long n)
{
	struct floor_shape *sh = malloc(sizeof(*sh) + n * sizeof(sh->len[0]));
	struct page *prev = NULL;

	if (!sh)
		return NULL;
	sh->nr = 0;
	for (unsigned long i = 0; i < n; i++) {
		struct page *pg = vmalloc_to_page(p + i * FLOOR_PAGE);

		if (prev && page_to_pfn(pg) == page_to_pfn(prev) + 1 &&
		    page_to_nid(pg) == page_to_nid(prev))
			sh->len[sh->nr - 1]++;
		else
			sh->len[sh->nr++] = 1;
		prev = pg;
	}
	return sh;
}

/*
 * Calibrate @n pages: FLOOR_CALIBRATE vmalloc+vfree pairs of that size on the calling thread
 * (the per-CPU lists settle, as in a loop of them), the last one's runs kept.  Falls back to one
 * run (the fewest calls) when the model has no room.  Page counts above max_pages are kept
 * on a list, found again under the mutex.
 */
static __attribute__((noinline)) struct floor_shape *floor_shape_slow(unsigned long n)
{
	struct floor_shape *sh = NULL;
	bool table = n <= fl.max_pages;

	pthread_mutex_lock(&fl.calibrate_mutex);
	if (table)
		sh = atomic_load_explicit(&fl.shapes[n], memory_order_acquire);
	for (struct floor_shape *b = fl.big; !table && b && !sh; b = b->next)
		if (b->pages == n)
			sh = b;
	if (sh) {
		pthread_mutex_unlock(&fl.calibrate_mutex);
		return sh;
	}
	for (int k = 0; k < FLOOR_CALIBRATE; k++) {
		void *p = __vmalloc_node(n * FLOOR_PAGE, 1, GFP_KERNEL | __GFP_NOWARN, NUMA_NO_NODE,
					 __builtin_return_address(0));

		if (!p)
			break;
		if (k == FLOOR_CALIBRATE - 1)
			sh = shape_of(p, n);
		vfree(p);
	}
	vm_unmap_aliases();
	if (!sh && (sh = malloc(sizeof(*sh) + sizeof(sh->len[0])))) {
		sh->nr = 1;
		sh->len[0] = (unsigned int)n;
	}
	atomic_fetch_add_explicit(&fl.calibrations, 1, memory_order_relaxed);
	if (sh) {
		sh->pages = n;
		sh->next = NULL;
		if (table) {
			atomic_store_explicit(&fl.shapes[n], sh, memory_order_release);
		} else {
			sh->next = fl.big;
			fl.big = sh;
		}
	}
	pthread_mutex_unlock(&fl.calibrate_mutex);
	return sh;
}

static __attribute__((noinline)) struct floor_slot *floor_slot_slow(void)
{
	my_slot = &fl.slot[atomic_fetch_add(&fl.next_slot, 1) % FLOOR_SLOTS];
	return my_slot;
}

static int range_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct floor_range *)a)->start;
	unsigned long y = ((const struct floor_range *)b)->start;

	return x < y ? -1 : x > y;
}

/*
 * The ranges @v[0..@n) of @s, sorted and now unmapped, become holes for its next ranges: merged
 * in address order with the holes not yet taken, adjacent ones joined; a last hole that reaches
 * the slot's next address gives that back instead (the slot's top comes down).  The array is
 * made before the lock is taken; the holes only shrink meanwhile.  Without memory the ranges
 * are left unused.
 */
static void holes_add(struct floor_slot *s, const struct floor_range *v, size_t n)
{
	struct floor_range *h, *old;
	size_t k, a = 0, b, m = 0;

	if (!n)
		return;
	slot_lock(s);
	k = s->nholes - s->hcur;
	slot_unlock(s);
	h = malloc((k + n) * sizeof(*h));
	if (!h)
		return;
	slot_lock(s);
	old = s->holes;
	b = s->hcur;
	while (a < n || b < s->nholes) {
		struct floor_range r = b == s->nholes || (a < n && v[a].start < old[b].start) ?
				       v[a++] : old[b++];

		if (r.start == r.end)
			continue;
		if (m && h[m - 1].end == r.start)
			h[m - 1].end = r.end;
		else
			h[m++] = r;
	}
	if (m && h[m - 1].end == s->next)
		s->next = h[--m].start;
	s->holes = h;
	s->nholes = m;
	s->hcur = 0;
	slot_unlock(s);
	free(old);
}

/*
 * The purge of @s: its freed ranges sorted by address, one PROT_NONE mmap per run of adjacent
 * ones (vmalloc's purge_vmap_area_lazy); then they are holes for the next ranges, and if the
 * slot holds no live area and nothing new awaits a purge, it starts again at its lowest
 * address.  @wait: block for a purge under way.
 */
static __attribute__((noinline)) void floor_purge(struct floor_slot *s, bool wait)
{
	struct floor_range *v;
	size_t n, i, j;

	if (wait)
		pthread_mutex_lock(&s->purge_mutex);
	else if (pthread_mutex_trylock(&s->purge_mutex))
		return;
	slot_lock(s);
	v = s->pend;
	n = s->npend;
	s->pend = NULL;
	s->npend = s->cap = 0;
	atomic_fetch_sub_explicit(&fl.lazy, s->lazy, memory_order_relaxed);
	s->lazy = 0;
	slot_unlock(s);
	for (i = 1; i < n && v[i].start > v[i - 1].start; i++)	/* in the order taken: sorted */
		;
	if (i < n)
		qsort(v, n, sizeof(*v), range_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].start == v[j - 1].end; j++)
			;
		if (mmap((void *)v[i].start, v[j - 1].end - v[i].start, PROT_NONE,
			 FLOOR_UNMAP_FLAGS, -1, 0) != MAP_FAILED)
			atomic_fetch_add_explicit(&fl.unmap_calls, 1, memory_order_relaxed);
	}
	if (n)
		atomic_fetch_add_explicit(&fl.purges, 1, memory_order_relaxed);
	holes_add(s, v, n);
	slot_lock(s);
	if (!s->pend) {		/* keep the array for the next list */
		s->pend = v;
		s->cap = n;
		v = NULL;
	}
	if (!s->live && !s->npend) {
		s->next = s->base;
		s->nholes = s->hcur = 0;
	}
	slot_unlock(s);
	free(v);
	pthread_mutex_unlock(&s->purge_mutex);
}

/* Past lazy_max_pages(), every slot's freed ranges, as vmalloc purges its whole list; slots
 * another thread is purging are left to it. */
static __attribute__((noinline)) void floor_purge_all(void)
{
	for (int i = 0; i < FLOOR_SLOTS; i++) {
		struct floor_slot *s = &fl.slot[i];
		bool any;

		slot_lock(s);
		any = s->npend != 0;
		slot_unlock(s);
		if (any)
			floor_purge(s, false);
	}
}

/* Room for one more freed range; false when there is no memory (the caller purges). */
static __attribute__((noinline)) bool floor_pend_grow(struct floor_slot *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct floor_range *p = realloc(s->pend, cap * sizeof(*p));

	if (!p)
		return false;
	s->pend = p;
	s->cap = cap;
	return true;
}

/* A window range of @n + 1 pages (the guard page) from @s, and the file offset (in pages
 * from the slot's part of the memfd) of its @need pages of runs: the last one freed of this
 * page count, else fresh ones.  0 when the slot is used up. */
static unsigned long floor_take(struct floor_slot *s, unsigned long n, uint32_t need,
				uint32_t *off)
{
	const unsigned long len = (n + 1) * FLOOR_PAGE;
	struct floor_offs *o = n <= fl.max_pages ? &s->offs[n] : NULL;
	unsigned long addr = 0;

	for (int tries = 0; tries < 2 && !addr; tries++) {
		slot_lock(s);
		if ((o && o->n) || s->off_end - s->off_next >= need) {
			/* the purged holes in address order, a hole too small left behind; then
			 * the top of the slot */
			while (s->hcur < s->nholes) {
				struct floor_range *h = &s->holes[s->hcur];

				if (h->end - h->start >= len) {
					addr = h->start;
					h->start += len;
					s->hcur += h->start == h->end;
					break;
				}
				s->hcur++;
			}
			if (!addr && s->end - s->next >= len) {
				addr = s->next;
				s->next += len;
			}
		}
		if (addr) {
			s->live++;
			if (o && o->n) {
				*off = o->v[--o->n];
			} else {
				*off = s->off_next;
				s->off_next += need;
			}
			s->offmap[(addr - s->base) / FLOOR_PAGE] = *off;
		}
		slot_unlock(s);
		if (!addr && !tries)
			floor_purge(s, true);
	}
	return addr;
}

/* Room for one more free offset of @o; false when there is no memory (it is dropped). */
static __attribute__((noinline)) bool floor_offs_grow(struct floor_offs *o)
{
	uint32_t cap = o->cap ? o->cap * 2 : 64;
	uint32_t *v = realloc(o->v, cap * sizeof(*v));

	if (!v)
		return false;
	o->v = v;
	o->cap = cap;
	return true;
}

/* The area of @n pages at @start back: its file offsets to the stack of its page count, its
 * range (the guard page included) to the purge list; past lazy_max_pages(), the purge. */
static void floor_give(unsigned long start, unsigned long n)
{
	struct floor_slot *s = &fl.slot[(start - (unsigned long)fl.window) / fl.slot_size];
	const unsigned long end = start + (n + 1) * FLOOR_PAGE;
	struct floor_offs *o = n <= fl.max_pages ? &s->offs[n] : NULL;
	bool purge;

	slot_lock(s);
	s->live--;
	if (o && (o->n < o->cap || floor_offs_grow(o)))
		o->v[o->n++] = s->offmap[(start - s->base) / FLOOR_PAGE];
	if (s->npend == s->cap && !floor_pend_grow(s)) {
		slot_unlock(s);
		floor_purge(s, true);
		if (mmap((void *)start, end - start, PROT_NONE, FLOOR_UNMAP_FLAGS, -1, 0) !=
		    MAP_FAILED)
			atomic_fetch_add_explicit(&fl.unmap_calls, 1, memory_order_relaxed);
		return;
	}
	s->pend[s->npend++] = (struct floor_range){ start, end };
	s->lazy += n + 1;
	purge = atomic_fetch_add_explicit(&fl.lazy, n + 1, memory_order_relaxed) + n + 1 >
		fl.lazy_max;
	slot_unlock(s);
	if (__builtin_expect(purge, 0))
		floor_purge_all();
}

static void *floor_alloc(size_t size, gfp_t gfp, int node)
{
	unsigned long n = (size + FLOOR_PAGE - 1) / FLOOR_PAGE, addr, done = 0;
	struct floor_slot *s = my_slot;
	struct floor_shape *sh;
	uint32_t off;

	(void)node;
	if (__builtin_expect(!n, 0))
		return NULL;
	sh = n <= fl.max_pages ? atomic_load_explicit(&fl.shapes[n], memory_order_acquire) : NULL;
	if (__builtin_expect(!sh, 0) && !(sh = floor_shape_slow(n)))
		return NULL;
	if (__builtin_expect(!s, 0))
		s = floor_slot_slow();
	/* The runs' file pages with a page between runs, so that two runs are never one
	 * contiguous piece of the file, which the kernel could merge into one mapping. */
	addr = floor_take(s, n, (uint32_t)(n + sh->nr - 1), &off);
	for (unsigned int i = 0; addr && i < sh->nr; i++) {
		unsigned long len = (unsigned long)sh->len[i] * FLOOR_PAGE;
		off_t foff = (off_t)(s->base - (unsigned long)fl.window) +
			     (off_t)(off + done / FLOOR_PAGE + i) * (off_t)FLOOR_PAGE;

		if (mmap((void *)(addr + done), len, PROT_READ | PROT_WRITE, FLOOR_MAP_FLAGS,
			 fl.fd, foff) == MAP_FAILED) {
			if (done)	/* vmalloc undoes the runs it mapped with one call */
				mmap((void *)addr, done, PROT_NONE, FLOOR_UNMAP_FLAGS, -1, 0);
			floor_give(addr, n);
			addr = 0;
			break;
		}
		atomic_fetch_add_explicit(&fl.map_calls, 1, memory_order_relaxed);
		done += len;
	}
	if (!addr)
		return NULL;
	atomic_fetch_add_explicit(&fl.areas, 1, memory_order_relaxed);
	if (gfp & __GFP_ZERO)	/* vmalloc clears through the mapping too */
		memset((void *)addr, 0, n * FLOOR_PAGE);
	return (void *)addr;
}

static void floor_free(void *p, size_t size)
{
	if (p)
		floor_give((unsigned long)p, (size + FLOOR_PAGE - 1) / FLOOR_PAGE);
}

static int floor_stats(const struct kmb_stats_sink *sink)
{
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);

	if (!text)
		return -ENOMEM;
	text[0] = 0;
	for (unsigned long n = 1; n <= fl.max_pages; n++) {
		const struct floor_shape *sh = atomic_load(&fl.shapes[n]);

		if (!sh)
			continue;
		if (cap - len < 64 + 12 * (size_t)sh->nr) {
			char *t;

			cap = 2 * cap + 12 * (size_t)sh->nr;
			t = realloc(text, cap);
			if (!t) {
				free(text);
				return -ENOMEM;
			}
			text = t;
		}
		len += (size_t)snprintf(text + len, cap - len, "pages=%lu runs=%u:", n, sh->nr);
		for (unsigned int i = 0; i < sh->nr; i++)
			len += (size_t)snprintf(text + len, cap - len, " %u", sh->len[i]);
		len += (size_t)snprintf(text + len, cap - len, "\n");
	}
	sink->text(sink->ctx, "floor_shapes", text);
	free(text);
	sink->num(sink->ctx, "floor_areas", (double)atomic_load(&fl.areas));
	sink->num(sink->ctx, "floor_map_calls", (double)atomic_load(&fl.map_calls));
	sink->num(sink->ctx, "floor_unmap_calls", (double)atomic_load(&fl.unmap_calls));
	sink->num(sink->ctx, "floor_purges", (double)atomic_load(&fl.purges));
	sink->num(sink->ctx, "floor_calibrations", (double)atomic_load(&fl.calibrations));
	sink->num(sink->ctx, "floor_lazy_max_pages", (double)fl.lazy_max);
	return 0;
}

static const char *floor_free_name(void)
{
	return "vfree's system calls";
}

const struct kmb_backend_ops kmb_backend_vmalloc_floor = {
	.name = "vmalloc-floor",
	.description = "the system calls of one vmalloc area and nothing else: vmalloc's floor "
		       "(an mmap per frame run, the lazy purge's PROT_NONE mmaps)",
	.caps = KMB_CAP_SIZED_FREE | KMB_CAP_STATS,
	.init = floor_init,
	.fini = floor_fini,
	.alloc = floor_alloc,
	.free = floor_free,
	.stats = floor_stats,
	.free_name = floor_free_name,
	.opts = &kmb_mm_backend_opts,
};
