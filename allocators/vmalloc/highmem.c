/*
 * highmem.c - addresses for HIGHMEM frames (mm/highmem.c): the persistent kmap pool, the
 * page_address() hash of kmapped frames, and the per-thread kmap_local slot stacks.
 *
 * Persistent kmaps (kmap/kunmap).  LAST_PKMAP slots at PKMAP_BASE, each with a count, as the
 * kernel's pkmap_count[]: 0 free and unmapped; 1 mapped but unused (its mapping lingers until
 * a flush); n > 1, n - 1 users.  kmap of a frame that already has a slot takes another
 * reference on it; otherwise map_new_virtual() walks the slots round-robin from the last one
 * taken, and each time the walk wraps to slot 0 it runs flush_all_zero_pkmaps(), which unmaps
 * every slot at 1 (runs of neighbours with one call: the kernel's one TLB flush).  A walk that
 * finds nothing sleeps until a kunmap() brings some slot down to 1, then starts over (or finds
 * that someone else has mapped its frame meanwhile).  The frame of each mapped slot is in a
 * hash table, which page_address() reads (the kernel's page_address_htable, used where struct
 * page has no virtual field).
 *
 * kmap_local (kmap_local_page, kmap_atomic).  Each thread that maps a HIGHMEM frame this way
 * takes one of KMB_KMAP_MAX_THREADS stacks of KM_MAX_IDX slots at FIXADDR_START, for as long
 * as it lives (a pthread key's destructor gives it back).  A mapping pushes a slot, an unmap
 * must pop the top one.  Nothing is shared, so nothing waits or locks.  The kernel keeps this
 * state per task too (task_struct.kmap_ctrl) but its slots per CPU, restoring a task's
 * mappings when it is scheduled in; user space cannot pin a thread to its CPU while it holds a
 * mapping (migrate_disable), so the slots belong to the thread.
 *
 * mapcount: a frame counts each kmap() user and each kmap_local mapping of it.
 *
 * Locks: kmap_lock (a mutex: kmap sleeps on pkmap_map_wait under it) covers the slot counts and
 * the walk; the hash lock, a spinlock inside it, covers the hash, so page_address() takes only
 * that.  kmap_threads_lock covers the ownership of the kmap_local stacks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmalloc.h"

/* The persistent pool (kmap_lock unless said). */
static struct {
	pthread_mutex_t lock;		/* kmap_lock */
	pthread_cond_t wait;		/* pkmap_map_wait */
	unsigned int nr;		/* LAST_PKMAP; 0 when not set up */
	unsigned int last_nr;		/* last_pkmap_nr: where the walk goes on */
	int *count;			/* pkmap_count[] */
	unsigned int nr_waiting;	/* sleepers on wait */
	unsigned long waits, flushes;
	/* page_address(): the frame of each mapped slot, hashed by frame */
	spinlock_t hash_lock;
	struct page **page;		/* per slot, NULL when unmapped */
	int *hash_next;			/* per slot: the next slot in its bucket, -1 */
	int *hash_head;			/* per bucket: its first slot, -1 */
	unsigned int hash_shift;	/* 64 - log2(buckets) */
} pk = { .lock = PTHREAD_MUTEX_INITIALIZER, .wait = PTHREAD_COND_INITIALIZER };

/* The kmap_local stacks. */
static pthread_mutex_t kmap_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static bool kmap_thread_taken[KMB_KMAP_MAX_THREADS];
static unsigned long kmap_gen;		/* bumped by every setup and teardown */
static atomic_ulong kmap_local_maps;
static pthread_once_t kmap_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t kmap_key;

/* A thread's stack (task_struct.kmap_ctrl); stale when its gen is not kmap_gen. */
struct kmap_ctrl {
	unsigned long gen;
	int stack;			/* which of the KMB_KMAP_MAX_THREADS stacks */
	int idx;			/* slots in use */
	struct page *pages[KM_MAX_IDX];
};
static _Thread_local struct kmap_ctrl kmap_ctrl;

/* --- page_address() for HIGHMEM frames --- */

static inline unsigned int pa_bucket(const struct page *page)
{
	return (unsigned int)((page_to_pfn(page) * 0x9e3779b97f4a7c15ULL) >> pk.hash_shift);
}

static int pa_lookup_locked(const struct page *page)
{
	for (int s = pk.hash_head[pa_bucket(page)]; s >= 0; s = pk.hash_next[s])
		if (pk.page[s] == page)
			return s;
	return -1;
}

/* page_address() of a HIGHMEM frame: the page layer's kmb_highmem_page_address() calls this
 * through page_address_hook while the slots exist. */
static void *kmap_page_address(const struct page *page)
{
	int s;

	if (!pk.nr)
		return NULL;
	spin_lock(&pk.hash_lock);
	s = pa_lookup_locked(page);
	spin_unlock(&pk.hash_lock);
	return s < 0 ? NULL : (void *)PKMAP_ADDR(s);
}

/* set_page_address(page, PKMAP_ADDR(s)) */
static void pa_set(struct page *page, int s)
{
	unsigned int b = pa_bucket(page);

	spin_lock(&pk.hash_lock);
	pk.page[s] = page;
	pk.hash_next[s] = pk.hash_head[b];
	pk.hash_head[b] = s;
	spin_unlock(&pk.hash_lock);
}

/* set_page_address(page, NULL) for the frame of slot @s */
static void pa_clear(int s)
{
	int *link;

	spin_lock(&pk.hash_lock);
	for (link = &pk.hash_head[pa_bucket(pk.page[s])]; *link != s; link = &pk.hash_next[*link])
		;
	*link = pk.hash_next[s];
	pk.page[s] = NULL;
	spin_unlock(&pk.hash_lock);
}

/* --- persistent kmaps --- */

static void flush_all_zero_pkmaps(void)
{
	unsigned int run = 0;
	bool flushed = false;

	for (unsigned int i = 0; i <= pk.nr; i++) {
		if (i < pk.nr && pk.count[i] == 1) {
			pk.count[i] = 0;
			pa_clear((int)i);
			run++;
			continue;
		}
		if (run) {
			vmap_unmap_range(PKMAP_ADDR(i - run), (size_t)run << PAGE_SHIFT);
			flushed = true;
			run = 0;
		}
	}
	pk.flushes += flushed;
}

static cold noinline void map_failed(const char *what, int err, const void *caller)
{
	vmap_misuse_begin("%s: cannot map a slot: %s (vm.max_map_count reached?)", what,
			  strerror(-err));
	vmap_misuse_fatal(caller);
}

static unsigned long map_new_virtual(struct page *page, const void *caller)
{
	unsigned int count;
	int s, r;

start:
	count = pk.nr;
	for (;;) {
		pk.last_nr = (pk.last_nr + 1) % pk.nr;
		if (pk.last_nr == 0) {
			flush_all_zero_pkmaps();
			count = pk.nr;
		}
		if (!pk.count[pk.last_nr])
			break;		/* a usable slot */
		if (--count)
			continue;
		/* Every slot is in use: sleep until a kunmap() frees one. */
		pk.nr_waiting++;
		pk.waits++;
		pthread_cond_wait(&pk.wait, &pk.lock);
		pk.nr_waiting--;
		/* Somebody else might have mapped it while we slept. */
		spin_lock(&pk.hash_lock);
		s = pa_lookup_locked(page);
		spin_unlock(&pk.hash_lock);
		if (s >= 0)
			return PKMAP_ADDR(s);
		goto start;
	}
	s = (int)pk.last_nr;
	r = vmap_map_frames(PKMAP_ADDR(s), &page, 1, PROT_READ | PROT_WRITE);
	if (unlikely(r))
		map_failed("kmap", r, caller);
	pk.count[s] = 1;
	pa_set(page, s);
	return PKMAP_ADDR(s);
}

/* kmap_high(): a slot for a HIGHMEM frame, one more user on it. */
static void *kmap_high(struct page *page, const void *caller)
{
	unsigned long vaddr;
	int s;

	pthread_mutex_lock(&pk.lock);
	spin_lock(&pk.hash_lock);
	s = pa_lookup_locked(page);
	spin_unlock(&pk.hash_lock);
	vaddr = s >= 0 ? PKMAP_ADDR(s) : map_new_virtual(page, caller);
	pk.count[PKMAP_NR(vaddr)]++;
	page_mapcount_add(page, 1);
	pthread_mutex_unlock(&pk.lock);
	return (void *)vaddr;
}

void *kmap(struct page *page)
{
	if (!PageHighMem(page))
		return page_address(page);
	return kmap_high(page, __builtin_return_address(0));
}

void kunmap(struct page *page)
{
	bool wake = false, bad = true;
	int s;

	if (!PageHighMem(page))
		return;
	pthread_mutex_lock(&pk.lock);
	spin_lock(&pk.hash_lock);
	s = pk.nr ? pa_lookup_locked(page) : -1;
	spin_unlock(&pk.hash_lock);
	/* A count must never go down to 0 without a flush: 1 means no user is left. */
	if (s >= 0 && pk.count[s] > 1) {
		bad = false;
		wake = --pk.count[s] == 1 && pk.nr_waiting;
		page_mapcount_add(page, -1);
	}
	pthread_mutex_unlock(&pk.lock);
	if (wake)
		pthread_cond_broadcast(&pk.wait);
	if (unlikely(bad)) {
		vmap_misuse_begin("kunmap() of a HIGHMEM page that has no kmap (pfn:%05lx)",
				  page_to_pfn(page));
		kmb_report("%s", s >= 0 ? "its slot has no users left: kunmap called once too often"
			   : "no persistent slot maps it");
		vmap_misuse_end(__builtin_return_address(0));
	}
}

void kmap_flush_unused(void)
{
	pthread_mutex_lock(&pk.lock);
	if (pk.nr)
		flush_all_zero_pkmaps();
	pthread_mutex_unlock(&pk.lock);
}

/* --- kmap_local --- */

static inline unsigned long fix_to_virt(int stack, int idx)
{
	return kmb_vm_layout.fixaddr_start +
	       ((unsigned long)stack * KM_MAX_IDX + (unsigned long)idx) * PAGE_SIZE;
}

static void kmap_ctrl_release(struct kmap_ctrl *kc)
{
	pthread_mutex_lock(&kmap_threads_lock);
	if (kc->gen == kmap_gen)
		kmap_thread_taken[kc->stack] = false;
	pthread_mutex_unlock(&kmap_threads_lock);
	kc->gen = 0;
}

/* A thread that exits with mappings left: reported, then unmapped and its stack given back. */
static void kmap_thread_exit(void *arg)
{
	struct kmap_ctrl *kc = arg;

	if (kc->gen != kmap_gen)
		return;
	if (kc->idx) {
		vmap_misuse_begin("thread exits holding %d kmap_local mapping%s", kc->idx,
				  kc->idx > 1 ? "s" : "");
		kmb_report("the last maps pfn:%05lx at %#lx", page_to_pfn(kc->pages[kc->idx - 1]),
			   fix_to_virt(kc->stack, kc->idx - 1));
		vmap_misuse_end(NULL);
		while (kc->idx) {
			kc->idx--;
			vmap_unmap_range(fix_to_virt(kc->stack, kc->idx), PAGE_SIZE);
			page_mapcount_add(kc->pages[kc->idx], -1);
		}
	}
	kmap_ctrl_release(kc);
}

static void kmap_key_init(void)
{
	if (pthread_key_create(&kmap_key, kmap_thread_exit))
		kmap_key = (pthread_key_t)-1;
}

/* The calling thread's first kmap_local since setup: take a stack. */
static cold noinline struct kmap_ctrl *kmap_ctrl_attach(const void *caller)
{
	struct kmap_ctrl *kc = &kmap_ctrl;
	int stack = -1;

	pthread_once(&kmap_key_once, kmap_key_init);
	pthread_mutex_lock(&kmap_threads_lock);
	for (int i = 0; i < KMB_KMAP_MAX_THREADS && stack < 0; i++)
		if (!kmap_thread_taken[i])
			stack = i;
	if (stack >= 0)
		kmap_thread_taken[stack] = true;
	pthread_mutex_unlock(&kmap_threads_lock);
	if (stack < 0) {
		vmap_misuse_begin("kmap_local: more than %d threads hold kmap_local slots",
				  KMB_KMAP_MAX_THREADS);
		vmap_misuse_fatal(caller);
	}
	kc->stack = stack;
	kc->idx = 0;
	kc->gen = kmap_gen;
	if (kmap_key != (pthread_key_t)-1)
		pthread_setspecific(kmap_key, kc);
	return kc;
}

static always_inline void *kmap_local_common(struct page *page, const void *caller)
{
	struct kmap_ctrl *kc = &kmap_ctrl;
	unsigned long addr;
	int r;

	if (!PageHighMem(page))
		return page_address(page);
	if (unlikely(kc->gen != kmap_gen))
		kc = kmap_ctrl_attach(caller);
	if (unlikely(kc->idx >= KM_MAX_IDX)) {	/* kmap_local_idx_push(): BUG_ON */
		vmap_misuse_begin("kmap_local: more than KM_MAX_IDX (%d) nested mappings",
				  KM_MAX_IDX);
		vmap_misuse_fatal(caller);
	}
	addr = fix_to_virt(kc->stack, kc->idx);
	r = vmap_map_frames(addr, &page, 1, PROT_READ | PROT_WRITE);
	if (unlikely(r))
		map_failed("kmap_local", r, caller);
	kc->pages[kc->idx++] = page;
	page_mapcount_add(page, 1);
	atomic_fetch_add_explicit(&kmap_local_maps, 1, memory_order_relaxed);
	return (void *)addr;
}

static cold noinline void bad_kunmap_local(const void *vaddr, const struct kmap_ctrl *kc,
					   bool own, const void *caller)
{
	unsigned long addr = (unsigned long)vaddr & PAGE_MASK;

	vmap_misuse_begin("kunmap_local(%p): not the last kmap_local mapping of this thread",
			  vaddr);
	if (addr < kmb_vm_layout.fixaddr_start || addr >= kmb_vm_layout.fixaddr_end)
		kmb_report("the address is not a kmap_local slot (nor a low-memory page)");
	else if (!own)
		kmb_report("the address is a kmap_local slot of another thread");
	else if (!kc->idx)
		kmb_report("this thread has no kmap_local mapping");
	else
		kmb_report("out of order: the last mapping (%d of %d) is at %#lx; unmap in the "
			   "reverse order of mapping", kc->idx, kc->idx, fix_to_virt(kc->stack,
			   kc->idx - 1));
	vmap_misuse_end(caller);
}

static always_inline void kunmap_local_common(const void *vaddr, const void *caller)
{
	unsigned long addr = (unsigned long)vaddr & PAGE_MASK;
	struct kmap_ctrl *kc = &kmap_ctrl;
	bool own = kc->gen == kmap_gen && kc->gen;

	/* kunmap_local_indexed(): a low-memory page had no slot. */
	if (virt_addr_valid(vaddr))
		return;
	if (unlikely(!own || !kc->idx || addr != fix_to_virt(kc->stack, kc->idx - 1))) {
		bad_kunmap_local(vaddr, kc, own && addr - fix_to_virt(kc->stack, 0) <
					    KM_MAX_IDX * PAGE_SIZE, caller);
		return;
	}
	kc->idx--;
	vmap_unmap_range(addr, PAGE_SIZE);
	page_mapcount_add(kc->pages[kc->idx], -1);
	kc->pages[kc->idx] = NULL;
}

void *kmap_local_page(struct page *page)
{
	return kmap_local_common(page, __builtin_return_address(0));
}

void kunmap_local(const void *addr)
{
	kunmap_local_common(addr, __builtin_return_address(0));
}

void *kmap_atomic(struct page *page)
{
	return kmap_local_common(page, __builtin_return_address(0));
}

void kunmap_atomic(const void *addr)
{
	kunmap_local_common(addr, __builtin_return_address(0));
}

/* --- the rest --- */

struct page *kmap_to_page(void *vaddr)
{
	unsigned long addr = (unsigned long)vaddr;
	struct kmap_ctrl *kc = &kmap_ctrl;
	struct page *page = NULL;

	if (pk.nr && addr >= PKMAP_ADDR(0) && addr < PKMAP_ADDR(pk.nr)) {
		spin_lock(&pk.hash_lock);
		page = pk.page[PKMAP_NR(addr)];
		spin_unlock(&pk.hash_lock);
		return page;
	}
	if (kc->gen == kmap_gen && kc->gen && addr >= fix_to_virt(kc->stack, 0) &&
	    addr < fix_to_virt(kc->stack, kc->idx))
		return kc->pages[(addr - fix_to_virt(kc->stack, 0)) >> PAGE_SHIFT];
	return virt_addr_valid(vaddr) ? virt_to_page(vaddr) : NULL;
}

unsigned long nr_free_highpages(void)
{
	unsigned long pages = 0;
	struct zone *zone;

	if (!kmb_mm.booted)
		return 0;
	for_each_populated_zone(zone)
		if (zone->idx == ZONE_HIGHMEM)
			pages += zone_page_state(zone);
	return pages;
}

void kmap_get_stats(struct kmb_vmalloc_stats *st)
{
	pthread_mutex_lock(&pk.lock);
	st->last_pkmap = pk.nr;
	for (unsigned int i = 0; i < pk.nr; i++) {
		st->pkmap_mapped += pk.count[i] > 0;
		st->pkmap_in_use += pk.count[i] > 1;
	}
	st->kmap_waiting = pk.nr_waiting;
	st->kmap_waits = pk.waits;
	st->pkmap_flushes = pk.flushes;
	pthread_mutex_unlock(&pk.lock);
	st->kmap_local_maps = atomic_load_explicit(&kmap_local_maps, memory_order_relaxed);
}

int kmap_setup(unsigned long pkmap_base, unsigned int last_pkmap, unsigned long fixaddr_start,
	       char *why, size_t whylen)
{
	unsigned int bits = 1;

	(void)pkmap_base, (void)fixaddr_start;	/* in kmb_vm_layout already */
	while ((1U << bits) < 2 * last_pkmap)
		bits++;
	pk.count = calloc(last_pkmap, sizeof(*pk.count));
	pk.page = calloc(last_pkmap, sizeof(*pk.page));
	pk.hash_next = calloc(last_pkmap, sizeof(*pk.hash_next));
	pk.hash_head = malloc(sizeof(*pk.hash_head) << bits);
	if (!pk.count || !pk.page || !pk.hash_next || !pk.hash_head) {
		snprintf(why, whylen, "mm: no memory for %u kmap slots", last_pkmap);
		kmap_teardown();
		return -ENOMEM;
	}
	memset(pk.hash_head, 0xff, sizeof(*pk.hash_head) << bits);	/* -1: empty */
	pk.hash_shift = 64 - bits;
	spin_lock_init(&pk.hash_lock);
	pk.last_nr = 0;
	pk.nr_waiting = 0;
	pk.waits = pk.flushes = 0;
	pk.nr = last_pkmap;
	atomic_store(&kmap_local_maps, 0);
	pthread_mutex_lock(&kmap_threads_lock);
	memset(kmap_thread_taken, 0, sizeof(kmap_thread_taken));
	kmap_gen++;
	pthread_mutex_unlock(&kmap_threads_lock);
	page_address_hook = kmap_page_address;
	return 0;
}

void kmap_teardown(void)
{
	page_address_hook = NULL;
	pk.nr = 0;
	free(pk.count);
	free(pk.page);
	free(pk.hash_next);
	free(pk.hash_head);
	pk.count = NULL;
	pk.page = NULL;
	pk.hash_next = pk.hash_head = NULL;
	pthread_mutex_lock(&kmap_threads_lock);
	kmap_gen++;		/* every thread's stack is stale now */
	pthread_mutex_unlock(&kmap_threads_lock);
}
