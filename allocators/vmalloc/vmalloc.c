/*
 * vmalloc.c - virtually contiguous memory from order-0 frames (mm/vmalloc.c): vmalloc and vfree,
 * vmap and vunmap, get_vm_area, vmalloc_to_page, /proc/vmallocinfo; and what the whole mapping
 * layer shares: its window, the mappings, misuse reports, setup and teardown.
 *
 * An area's life, as the kernel's __vmalloc_node_range():
 *   1. a range of the window: the area's pages plus a guard page (vmap_area.c);
 *   2. frames: order-0 allocations from the buddy allocator, HIGHMEM first, on the node asked;
 *   3. the mapping: each frame mapped at its place with mmap(MAP_SHARED | MAP_FIXED) of its
 *      node's memfd at its offset, a physically contiguous run with one call (the kernel writes
 *      page-table entries; here a system call is the page-table write);
 *   4. the area is published in the busy tree, where vfree, vmalloc_to_page and vmallocinfo
 *      find it.
 * Any failure undoes the steps before it, so a vmalloc that fails leaves the buddy allocator
 * and the window as they were.  vfree runs the steps backwards: out of the busy tree, frames
 * freed, the range put on the purge list; the purge later replaces its mapping by PROT_NONE
 * (the range is reserved again) and gives it back to the free tree.  The frames are freed last
 * first, so that the per-CPU lists, which are stacks, hand them out again in the same order and
 * a run that was contiguous stays so.
 *
 * The lazy purge (mm/vmalloc.c free_vmap_area_noflush, __purge_vmap_area_lazy, v6.x): the
 * kernel clears an area's page tables at vfree but flushes the TLB for many areas together,
 * once vmap_lazy_nr passes lazy_max_pages() (32 MiB times fls(online CPUs)), and reuses their
 * addresses only after that flush; until then a CPU may still reach the freed frames through a
 * stale TLB entry.  Here the system call that takes a mapping off is both the page-table write
 * and the flush, so it is what waits: a freed range stays mapped, stale, until the purge, which
 * unmaps every range on the list with one call per adjacent run (sorted by address) and only
 * then frees the ranges for reuse.  The vfree that passes the limit purges (the kernel hands it
 * to a worker; a vfree that finds a purge under way leaves it to that one); an allocation that
 * finds no room purges and tries once more, as alloc_vmap_area does; vm_unmap_aliases() purges
 * at once.  A stale range is in no tree: vfree, vmalloc_to_page and find_vm_area treat it as
 * freed, but a touch through it does not fault until the purge.
 *
 * mapcount: every frame mapped by a vmalloc or vmap area counts that area (struct page's
 * mapcount, atomic); kmap users count too (highmem.c).  The frames of a vmalloc area are the
 * area's; vmap's stay their caller's.
 *
 * Locks: vmw.busy_lock for the busy tree and its counters, vmw.free_lock inside vmap_area.c,
 * each area_cache's lock for its list of spare vm_areas; none is held over a system call, an
 * allocation or another.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tools.h"
#include "vmalloc.h"

struct vmap_state vmw = { .iomem_fd = -1 };
struct kmb_vm_layout kmb_vm_layout;

#define SZ_1M			(1UL << 20)
#define SZ_1G			(1UL << 30)
#define KMB_VMALLOC_MAX		(64UL << 40)	/* 64 TiB: twice x86-64's 32 TiB window */
#define KMB_IOMEM_DEFAULT	(16UL << 20)
#define KMB_IOMEM_MAX		(64UL << 30)
#define PAGE_ALIGN(x)		(((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define FIXADDR_SIZE		((unsigned long)KMB_KMAP_MAX_THREADS * KM_MAX_IDX * PAGE_SIZE)

/* --- reports --- */

static void misuse_caller(const void *caller)
{
	char who[256];

	kmb_describe_caller(who, sizeof(who), caller);
	kmb_report("caller: %s", who);
}

/* The report's end, under the policy of every layer (base/debug.c). */
void vmap_misuse_end(const void *caller)
{
	misuse_caller(caller);
	kmb_misuse_end(KMB_LAYER_VMALLOC, "the call was refused; nothing was changed");
}

void vmap_misuse_fatal(const void *caller)
{
	misuse_caller(caller);
	kmb_misuse_fatal(KMB_LAYER_VMALLOC, "the call cannot be refused");
}

/* vmalloc's failure reports (warn_alloc(gfp, NULL, "vmalloc error: ...") in the kernel). */
static struct ratelimit_state vmalloc_rs = RATELIMIT_STATE_INIT(5000, 10);

static cold noinline void vmalloc_warn(gfp_t gfp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static cold noinline void vmalloc_warn(gfp_t gfp, const char *fmt, ...)
{
	char line[256], mode[256];
	va_list ap;

	if ((gfp & __GFP_NOWARN) || !kmb_ratelimit(&vmalloc_rs))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	kmb_gfp_format(mode, sizeof(mode), gfp);
	kmb_report("%s, mode:%#x(%s)", line, gfp, mode);
}

void vmap_format_caller(char *buf, size_t len, const void *caller)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info di;

	if (caller && dladdr1(caller, &di, (void **)&sym, RTLD_DL_SYMENT) && di.dli_sname &&
	    di.dli_saddr)
		snprintf(buf, len, "%s+0x%lx/0x%lx", di.dli_sname,
			 (unsigned long)((const char *)caller - (const char *)di.dli_saddr),
			 sym ? (unsigned long)sym->st_size : 0UL);
	else
		snprintf(buf, len, "0x%lx", (unsigned long)caller);
}

/* --- mappings --- */

int vmap_map_fd(unsigned long addr, size_t size, int prot, int fd, off_t off)
{
	if (kmb_mmap((void *)addr, size, prot, vmw.map_flags, fd, off) == MAP_FAILED)
		return -errno;
	atomic_fetch_add_explicit(&vmw.map_calls, 1, memory_order_relaxed);
	return 0;
}

static int map_run(unsigned long addr, const struct page *first, unsigned int n, int prot)
{
	const pg_data_t *pgdat = NODE_DATA(first->node);
	off_t off = (off_t)(page_to_pfn(first) - pgdat->node_start_pfn) << PAGE_SHIFT;

	return vmap_map_fd(addr, (size_t)n << PAGE_SHIFT, prot, pgdat->memfd, off);
}

int vmap_map_frames(unsigned long addr, struct page **pages, unsigned int nr, int prot)
{
	const bool merge = !(vmw.flags & KMB_VMAP_NO_MERGE);
	unsigned int n;
	int r;

	for (unsigned int i = 0; i < nr; i += n) {
		unsigned long pfn = page_to_pfn(pages[i]);

		n = 1;
		while (merge && i + n < nr && page_to_pfn(pages[i + n]) == pfn + n &&
		       pages[i + n]->node == pages[i]->node)
			n++;
		r = map_run(addr + ((unsigned long)i << PAGE_SHIFT), pages[i], n, prot);
		if (unlikely(r)) {
			if (i)
				vmap_unmap_range(addr, (size_t)i << PAGE_SHIFT);
			return r;
		}
	}
	return 0;
}

static bool reserve_again(unsigned long addr, size_t size, int fixed)
{
	void *p = kmb_mmap((void *)addr, size, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | fixed, -1, 0);

	if (p != MAP_FAILED && p != (void *)addr)	/* MAP_FIXED_NOREPLACE before Linux 4.17 */
		kmb_munmap(p, size);
	return p == (void *)addr;
}

void vmap_unmap_range(unsigned long addr, size_t size)
{
	bool done = reserve_again(addr, size, MAP_FIXED);

	/*
	 * At vm.max_map_count the kernel refuses every mmap() (a split may even leave the count
	 * one above the limit), but not munmap(): take the mappings off with it, then fill the
	 * hole with the reservation again, which merges with its neighbours.  Another thread's
	 * mmap() could take the hole meanwhile; MAP_FIXED_NOREPLACE leaves that one alone.
	 */
	if (!done && errno == ENOMEM && !kmb_munmap((void *)addr, size))
		done = reserve_again(addr, size, MAP_FIXED_NOREPLACE);
	if (!done) {
		kmb_report("vmalloc: cannot take the mappings off %#lx-%#lx: %s", addr,
			   addr + size, strerror(errno));
		return;
	}
	/* the range is PROT_NONE again, the fault its detector: a vfree'd area's poison goes
	 * (kasan_release_vmalloc at the purge) before the range is handed out again */
	kmb_tool_unmapped((void *)addr, size);
	atomic_fetch_add_explicit(&vmw.unmap_calls, 1, memory_order_relaxed);
}

/* --- areas --- */

static void purge_vmap_area_lazy(bool wait);

/* totalram_pages(): the frames the buddy allocator manages. */
static inline unsigned long totalram_pages(void)
{
	return kmb_memmap.max_pfn - kmb_mm.reserved_pages;
}

static inline int area_kind(unsigned long flags)
{
	return flags & VM_ALLOC ? VMAP_KIND_VMALLOC : flags & VM_MAP ? VMAP_KIND_VMAP :
	       flags & VM_IOREMAP ? VMAP_KIND_IOREMAP : -1;
}

/* get_count_order(): the smallest order whose power of two holds @n. */
static inline unsigned int count_order(unsigned long n)
{
	return n <= 1 ? 0 : (unsigned int)(64 - __builtin_clzl(n - 1));
}

/* A vm_area with room for @nr_pages frames: from its class's cache, else from malloc. */
static struct vm_area *area_alloc(unsigned int nr_pages)
{
	unsigned int c = count_order(nr_pages);
	struct vm_area *area = NULL;

	if (c < AREA_CLASSES) {
		struct area_cache *ac = &vmw.area_cache[c];

		spin_lock(&ac->lock);
		area = ac->head;
		if (area) {
			ac->head = area->va.right ? container_of(area->va.right, struct vm_area, va)
						  : NULL;
			ac->nr--;
		}
		spin_unlock(&ac->lock);
		if (!area) {
			area = malloc(sizeof(*area) + (sizeof(struct page *) << c));
			if (area)
				area->cache_class = c;
		}
		return area;
	}
	area = malloc(sizeof(*area) + (size_t)nr_pages * sizeof(struct page *));
	if (area)
		area->cache_class = AREA_NO_CLASS;
	return area;
}

/* Back to its class's cache while that holds fewer than AREA_CACHE_MAX, else to free(). */
static void area_free(struct vm_area *area)
{
	if (area && area->cache_class < AREA_CLASSES) {
		struct area_cache *ac = &vmw.area_cache[area->cache_class];

		spin_lock(&ac->lock);
		if (ac->nr < AREA_CACHE_MAX) {
			area->va.right = ac->head ? &ac->head->va : NULL;
			ac->head = area;
			ac->nr++;
			area = NULL;
		}
		spin_unlock(&ac->lock);
	}
	free(area);
}

static void area_cache_drain(void)
{
	for (int c = 0; c < AREA_CLASSES; c++) {
		struct area_cache *ac = &vmw.area_cache[c];

		while (ac->head) {
			struct vm_area *area = ac->head;

			ac->head = area->va.right ? container_of(area->va.right, struct vm_area, va)
						  : NULL;
			free(area);
		}
		ac->nr = 0;
	}
}

struct vm_area *get_vm_area_raw(unsigned long size, unsigned long align, unsigned long flags,
				unsigned int nr_pages, const void *caller, bool quiet)
{
	unsigned long window = VMALLOC_END - VMALLOC_START, total, addr = 0;
	struct vm_area *area = NULL;

	if (!size || size > window || (align & (align - 1)))
		goto fail;
	size = PAGE_ALIGN(size);
	if (flags & VM_IOREMAP) {	/* __get_vm_area_node(): aligned to the size, clamped */
		unsigned int o = count_order(size);

		o = o < PAGE_SHIFT ? PAGE_SHIFT : o > IOREMAP_MAX_ORDER ? IOREMAP_MAX_ORDER : o;
		align = 1UL << o;
	}
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	total = size + (flags & VM_NO_GUARD ? 0 : PAGE_SIZE);
	area = area_alloc(nr_pages);
	if (area)
		addr = alloc_vmap_area(total, align);
	if (unlikely(!addr) && area) {	/* alloc_vmap_area: purge the lazy ranges, once more */
		purge_vmap_area_lazy(true);
		addr = alloc_vmap_area(total, align);
	}
	if (unlikely(!addr))
		goto fail;
	area->vm = (struct vm_struct){
		.addr = (void *)addr, .size = total, .flags = flags,
		.pages = nr_pages ? area->pages : NULL, .caller = caller,
	};
	area->va.va_start = addr;
	area->va.va_end = addr + total;
	area->va.vm = &area->vm;
	return area;
fail:
	area_free(area);
	atomic_fetch_add_explicit(&vmw.alloc_fail, 1, memory_order_relaxed);
	if (!quiet && size)
		vmalloc_warn(0, "vmap allocation for size %lu failed: use kmb_mm_config.vmalloc_size "
			     "to increase size", size);
	return NULL;
}

void vm_area_publish(struct vm_area *area)
{
	int kind = area_kind(area->vm.flags);

	spin_lock(&vmw.busy_lock);
	insert_vmap_area(&area->va);
	if (++vmw.nr_busy > vmw.nr_busy_peak)
		vmw.nr_busy_peak = vmw.nr_busy;
	if (kind >= 0)
		vmw.nr_by_kind[kind]++;
	if (kind == VMAP_KIND_VMALLOC) {
		vmw.vmalloc_pages += area->vm.nr_pages;
		if (vmw.vmalloc_pages > vmw.vmalloc_pages_peak)
			vmw.vmalloc_pages_peak = vmw.vmalloc_pages;
	}
	spin_unlock(&vmw.busy_lock);
}

/*
 * Take the area that starts at @addr out of the busy tree, if its flags include all of @need
 * and none of @forbid.  NULL with *@err -ENOENT when no area starts there, -EPERM when the
 * area's flags say no (it stays).
 */
static struct vm_area *vm_area_unlink_if(const void *addr, unsigned long need,
					 unsigned long forbid, int *err)
{
	struct vmap_area *va;
	struct vm_area *area = NULL;
	int kind;

	spin_lock(&vmw.busy_lock);
	va = unlink_vmap_area((unsigned long)addr);
	*err = va ? 0 : -ENOENT;
	if (va && ((va->vm->flags & need) != need || (va->vm->flags & forbid))) {
		insert_vmap_area(va);
		*err = -EPERM;
		va = NULL;
	}
	if (va) {
		area = container_of(va, struct vm_area, va);
		kind = area_kind(area->vm.flags);
		vmw.nr_busy--;
		if (kind >= 0)
			vmw.nr_by_kind[kind]--;
		if (kind == VMAP_KIND_VMALLOC)
			vmw.vmalloc_pages -= area->vm.nr_pages;
	}
	spin_unlock(&vmw.busy_lock);
	return area;
}

struct vm_area *vm_area_unlink(const void *addr)
{
	int err;

	return vm_area_unlink_if(addr, 0, 0, &err);
}

void vm_area_release(struct vm_area *area)
{
	free_vmap_area(area->va.va_start, area->va.va_end - area->va.va_start);
	area_free(area);
}

/* --- the lazy purge --- */

static int va_cmp(const void *a, const void *b)
{
	unsigned long x = (*(struct vmap_area *const *)a)->va_start;
	unsigned long y = (*(struct vmap_area *const *)b)->va_start;

	return x < y ? -1 : x > y;
}

/*
 * The purge list in address order.  The list is a stack, and areas freed in the order they
 * were made (a loop of vmalloc+vfree; lowest fit hands out rising addresses until the purge)
 * come off it in falling order: then a reversal does, else a sort.
 */
static void sort_by_address(struct vmap_area **v, size_t n)
{
	size_t i = 1;

	while (i < n && v[i]->va_start < v[i - 1]->va_start)
		i++;
	if (i == n) {
		for (size_t a = 0, b = n - 1; a < b; a++, b--) {
			struct vmap_area *t = v[a];

			v[a] = v[b];
			v[b] = t;
		}
		return;
	}
	for (i = 1; i < n && v[i]->va_start > v[i - 1]->va_start; i++)
		;
	if (i < n)
		qsort(v, n, sizeof(*v), va_cmp);
}

/*
 * __purge_vmap_area_lazy: take the whole purge list, unmap it with one call per run of
 * adjacent ranges, then give the ranges back to the free tree.  @wait: block for a purge under
 * way (an allocation may sleep); otherwise leave the list to it (vfree never sleeps).
 */
static void purge_vmap_area_lazy(bool wait)
{
	struct vmap_area *list, *va, **v;
	size_t n = 0, i, j;

	if (wait)
		pthread_mutex_lock(&vmw.purge_mutex);
	else if (pthread_mutex_trylock(&vmw.purge_mutex))
		return;
	spin_lock(&vmw.purge_lock);
	list = vmw.purge_list;
	vmw.purge_list = NULL;
	vmw.lazy_nr = 0;
	spin_unlock(&vmw.purge_lock);
	for (va = list; va; va = va->right)
		n++;
	v = n ? malloc(n * sizeof(*v)) : NULL;
	if (v) {
		for (i = 0, va = list; va; va = va->right)
			v[i++] = va;
		sort_by_address(v, n);
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && v[j]->va_start == v[j - 1]->va_end; j++)
				;
			vmap_unmap_range(v[i]->va_start, v[j - 1]->va_end - v[i]->va_start);
		}
		for (i = 0; i < n; i++)
			vm_area_release(container_of(v[i], struct vm_area, va));
		free(v);
	} else {
		while ((va = list)) {	/* no memory to sort: one call per range */
			list = va->right;
			vmap_unmap_range(va->va_start, va->va_end - va->va_start);
			vm_area_release(container_of(va, struct vm_area, va));
		}
	}
	if (n)
		atomic_fetch_add_explicit(&vmw.purges, 1, memory_order_relaxed);
	pthread_mutex_unlock(&vmw.purge_mutex);
}

void vm_unmap_aliases(void)
{
	if (vmw.reservation)
		purge_vmap_area_lazy(true);
}

void vmap_lazy_walk(void (*fn)(const struct vmap_area *va, void *arg), void *arg)
{
	spin_lock(&vmw.purge_lock);
	for (const struct vmap_area *va = vmw.purge_list; va; va = va->right)
		fn(va, arg);
	spin_unlock(&vmw.purge_lock);
}

/* free_vmap_area_noflush: the range joins the purge list; past lazy_max_pages(), purge. */
static void free_vmap_area_noflush(struct vm_area *area)
{
	unsigned long nr_lazy;

	spin_lock(&vmw.purge_lock);
	area->va.left = NULL;
	area->va.right = vmw.purge_list;
	vmw.purge_list = &area->va;
	vmw.lazy_nr += (area->va.va_end - area->va.va_start) >> PAGE_SHIFT;
	nr_lazy = vmw.lazy_nr;
	spin_unlock(&vmw.purge_lock);
	if (unlikely(nr_lazy > vmw.lazy_max))
		purge_vmap_area_lazy(false);
}

/* The rest of a bad vfree/vunmap/iounmap report: where the address is. */
static void describe_bad_area(const void *addr)
{
	struct vmap_area *va;
	unsigned long start = 0, end = 0, flags = 0;

	spin_lock(&vmw.busy_lock);
	va = find_vmap_area_locked((unsigned long)addr);
	if (va) {
		start = va->va_start;
		end = va->va_end;
		flags = va->vm->flags;
	}
	spin_unlock(&vmw.busy_lock);
	if (va)
		kmb_report("the address %s the %s area %#lx-%#lx", start == (unsigned long)addr ?
			   "starts" : "is inside (not at the start of)", flags & VM_ALLOC ? "vmalloc" :
			   flags & VM_MAP ? "vmap" : flags & VM_IOREMAP ? "ioremap" : "reserved",
			   start, end);
	else if (is_vmalloc_addr(addr))
		kmb_report("the address is in the vmalloc window but in no area: never allocated, "
			   "or already freed");
	else
		kmb_report("the address is outside the vmalloc window %#lx-%#lx", VMALLOC_START,
			   VMALLOC_END);
}

/* An unlinked area: drop its frames' mapcounts, give a vmalloc area's frames back to the buddy
 * allocator (last first), and put its range, still mapped, on the purge list. */
static void vm_area_free_lazy(struct vm_area *area)
{
	struct vm_struct *vm = &area->vm;

	for (unsigned int i = 0; i < vm->nr_pages; i++)
		page_mapcount_add(vm->pages[i], -1);
	if (vm->flags & VM_ALLOC)
		for (unsigned int i = vm->nr_pages; i-- > 0;)
			__free_page(vm->pages[i]);
	free_vmap_area_noflush(area);
}

/* --- vmalloc --- */

#if KMB_TOOLS
/*
 * A build with the tools (base/tools.h), as KASAN's vmalloc support (mm/vmalloc.c
 * __vmalloc_node_range: kasan_unpoison_vmalloc of the size asked for; mm/kasan/shadow.c): the
 * area is the user's, a memcheck block, up to the size asked for (@req); the rest of its last
 * page is poisoned.  The guard page is not: it is PROT_NONE, a fault that both tools report
 * (ASan's SEGV, memcheck's invalid access), and the mapping tests check that fault
 * (vmap_test.h assert_faults), which ASan's report of a poisoned byte would pre-empt.  The
 * memory is the user's before __GFP_ZERO clears it (that memset is the allocator's own, of all
 * pages), so a zeroed area is defined.
 */
static noinline void vmalloc_tools(void *addr, unsigned long req, unsigned long size, bool zero)
{
	kmb_tool_poison((char *)addr + req, size - req);
	kmb_tool_malloclike(addr, req);
	if (zero)
		kmb_tool_defined(addr, req);
}
#endif

static always_inline void *vmalloc_common(unsigned long size, unsigned long align, gfp_t gfp,
					  int node, const void *caller)
{
	const unsigned long req = size;
	struct vm_area *area;
	unsigned long nr, addr;
	unsigned int i = 0;
	gfp_t page_gfp;
	int r;

	if (unlikely(!size || (size >> PAGE_SHIFT) > totalram_pages())) {
		atomic_fetch_add_explicit(&vmw.alloc_fail, 1, memory_order_relaxed);
		if (size)
			vmalloc_warn(gfp, "vmalloc error: size %lu, exceeds total pages", size);
		return NULL;
	}
	size = PAGE_ALIGN(size);
	nr = size >> PAGE_SHIFT;
	area = get_vm_area_raw(size, align, VM_ALLOC, (unsigned int)nr, caller,
			       gfp & __GFP_NOWARN);
	if (unlikely(!area))
		return NULL;
	addr = (unsigned long)area->vm.addr;
	/* __vmalloc_area_node(): HIGHMEM unless a DMA zone is asked for; the page allocator stays
	 * quiet, vmalloc reports.  __GFP_ZERO is done through the mapping below: a HIGHMEM frame
	 * would otherwise be cleared through its memfd, one system call per frame. */
	page_gfp = (gfp | __GFP_NOWARN) & ~__GFP_ZERO;
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		page_gfp |= __GFP_HIGHMEM;
	if (node == NUMA_NO_NODE)
		node = numa_node_id();
	for (; i < nr; i++) {
		struct page *page = alloc_pages_node(node, page_gfp, 0);

		if (unlikely(!page))
			goto fail_pages;
		area->pages[i] = page;
	}
	r = vmap_map_frames(addr, area->pages, (unsigned int)nr, PROT_READ | PROT_WRITE);
	if (unlikely(r))
		goto fail_map;
	for (i = 0; i < nr; i++)
		page_mapcount_add(area->pages[i], 1);
	area->vm.nr_pages = (unsigned int)nr;
	if (gfp & __GFP_ZERO)
		memset((void *)addr, 0, size);
#if KMB_TOOLS
	vmalloc_tools((void *)addr, req, size, gfp & __GFP_ZERO);
#else
	(void)req;
#endif
	vm_area_publish(area);
	return (void *)addr;

fail_map:
	vmalloc_warn(gfp, "vmalloc error: size %lu, failed to map pages: %s", size, strerror(-r));
	goto fail;
fail_pages:
	vmalloc_warn(gfp, "vmalloc error: size %lu, failed to allocate pages (%u of %lu)", size,
		     i, nr);
fail:
	while (i-- > 0)
		__free_page(area->pages[i]);
	vm_area_release(area);
	atomic_fetch_add_explicit(&vmw.alloc_fail, 1, memory_order_relaxed);
	return NULL;
}

void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp_mask, int node,
		     const void *caller)
{
	return vmalloc_common(size, align, gfp_mask, node, caller);
}

void *__vmalloc(unsigned long size, gfp_t gfp_mask)
{
	return vmalloc_common(size, 1, gfp_mask, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vmalloc(unsigned long size)
{
	return vmalloc_common(size, 1, GFP_KERNEL, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vzalloc(unsigned long size)
{
	return vmalloc_common(size, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE,
			      __builtin_return_address(0));
}

void *vmalloc_node(unsigned long size, int node)
{
	return vmalloc_common(size, 1, GFP_KERNEL, node, __builtin_return_address(0));
}

void *vzalloc_node(unsigned long size, int node)
{
	return vmalloc_common(size, 1, GFP_KERNEL | __GFP_ZERO, node,
			      __builtin_return_address(0));
}

static cold noinline void bad_vfree(const char *fn, const void *addr, int err,
				    const void *caller)
{
	if (err == -EPERM) {
		vmap_misuse_begin("%s() of a vmalloc area (%p): its frames would leak", fn, addr);
		kmb_report("vfree() gives a vmalloc area's frames back with its mapping");
	} else {
		vmap_misuse_begin("Trying to %s() nonexistent vm area (%p)", fn, addr);
		describe_bad_area(addr);
	}
	vmap_misuse_end(caller);
}

void vfree(const void *addr)
{
	struct vm_area *area;
	int err;

	if (!addr)
		return;
	area = vm_area_unlink_if(addr, 0, 0, &err);
	if (unlikely(!area)) {
		bad_vfree("vfree", addr, err, __builtin_return_address(0));
		return;
	}
	/* kasan_poison_vmalloc (vfree -> remove_vm_area): the area stays mapped, stale, until
	 * the purge, but is no longer the user's */
	if (KMB_TOOLS && (area->vm.flags & VM_ALLOC))
		(void)kmb_tool_freelike(addr, get_vm_area_size(&area->vm));
	vm_area_free_lazy(area);
}

/* --- vmap --- */

void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot)
{
	struct vm_area *area;
	unsigned long addr;

	if (!count || count > totalram_pages())
		return NULL;
	area = get_vm_area_raw((unsigned long)count << PAGE_SHIFT, PAGE_SIZE, flags | VM_MAP,
			       count, __builtin_return_address(0), false);
	if (!area)
		return NULL;
	addr = (unsigned long)area->vm.addr;
	memcpy(area->pages, pages, count * sizeof(pages[0]));
	if (vmap_map_frames(addr, area->pages, count,
			    (int)(pgprot_val(prot) & (PROT_READ | PROT_WRITE | PROT_EXEC)))) {
		vm_area_release(area);
		atomic_fetch_add_explicit(&vmw.alloc_fail, 1, memory_order_relaxed);
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++)
		page_mapcount_add(area->pages[i], 1);
	area->vm.nr_pages = count;
	vm_area_publish(area);
	return (void *)addr;
}

void vunmap(const void *addr)
{
	struct vm_area *area;
	int err;

	if (!addr)
		return;
	area = vm_area_unlink_if(addr, 0, VM_ALLOC, &err);
	if (unlikely(!area)) {
		bad_vfree("vunmap", addr, err, __builtin_return_address(0));
		return;
	}
	vm_area_free_lazy(area);
}

/* iounmap's part here: the area must be an ioremap one (ioremap.c calls it). */
void vmap_iounmap(const void *addr, const void *caller)
{
	struct vm_area *area = vm_area_unlink_if(addr, VM_IOREMAP, 0, &(int){ 0 });

	if (unlikely(!area)) {
		vmap_misuse_begin("iounmap: bad address %p", addr);
		describe_bad_area(addr);
		vmap_misuse_end(caller);
		return;
	}
	vm_area_free_lazy(area);
}

/* --- lookups --- */

struct page *vmalloc_to_page(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct vmap_area *va;
	struct page *page = NULL;

	spin_lock(&vmw.busy_lock);
	va = find_vmap_area_locked(a);
	if (va && va->vm->pages) {
		unsigned long idx = (a - va->va_start) >> PAGE_SHIFT;

		if (idx < va->vm->nr_pages)
			page = va->vm->pages[idx];
	}
	spin_unlock(&vmw.busy_lock);
	return page;
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *page = vmalloc_to_page(addr);

	return page ? page_to_pfn(page) : -1UL;
}

struct vm_struct *find_vm_area(const void *addr)
{
	struct vmap_area *va;

	spin_lock(&vmw.busy_lock);
	va = find_vmap_area_locked((unsigned long)addr);
	spin_unlock(&vmw.busy_lock);
	return va ? va->vm : NULL;
}

struct vm_struct *get_vm_area_caller(unsigned long size, unsigned long flags,
				     const void *caller)
{
	struct vm_area *area = get_vm_area_raw(size, PAGE_SIZE, flags, 0, caller, false);

	if (!area)
		return NULL;
	vm_area_publish(area);
	return &area->vm;
}

struct vm_struct *get_vm_area(unsigned long size, unsigned long flags)
{
	return get_vm_area_caller(size, flags, __builtin_return_address(0));
}

void free_vm_area(struct vm_struct *vm)
{
	struct vm_area *area;

	if (!vm)
		return;
	area = vm_area_unlink(vm->addr);
	if (unlikely(area != container_of(vm, struct vm_area, vm))) {
		vmap_misuse_begin("free_vm_area(%p): not an area of the window", (void *)vm);
		vmap_misuse_end(__builtin_return_address(0));
		return;
	}
	vm_area_free_lazy(area);
}

unsigned long vmalloc_nr_pages(void)
{
	return __atomic_load_n(&vmw.vmalloc_pages, __ATOMIC_RELAXED);
}

/* --- /proc/vmallocinfo --- */

/* One area, copied under the busy lock; printed after it (the caller's name needs dladdr). */
struct info_entry {
	unsigned long start, size, flags;
	unsigned int nr_pages;
	phys_addr_t phys;
	const void *caller;
	size_t node_at;			/* its (node, frames) pairs in info_snap.nodes */
	unsigned int nr_nodes;
};

struct info_snap {
	struct info_entry *e;
	size_t n, cap;
	unsigned int (*nodes)[2];
	size_t nn, ncap;
	bool nomem;
};

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t cap2;
	void *q;

	if (need <= *cap)
		return true;
	cap2 = *cap ? *cap * 2 : 64;
	while (cap2 < need)
		cap2 *= 2;
	q = realloc(*p, cap2 * elem);
	if (!q)
		return false;
	*p = q;
	*cap = cap2;
	return true;
}

static int snap_area(struct vmap_area *va, void *arg)
{
	struct info_snap *s = arg;
	const struct vm_struct *vm = va->vm;
	unsigned int counts[KMB_MAX_NUMNODES] = { 0 };
	struct info_entry *e;

	if (!grow((void **)&s->e, &s->cap, s->n + 1, sizeof(*s->e)) ||
	    !grow((void **)&s->nodes, &s->ncap, s->nn + (size_t)kmb_mm.nr_nodes,
		  sizeof(*s->nodes))) {
		s->nomem = true;
		return 1;
	}
	e = &s->e[s->n++];
	*e = (struct info_entry){
		.start = va->va_start, .size = va->va_end - va->va_start, .flags = vm->flags,
		.nr_pages = vm->flags & VM_ALLOC ? vm->nr_pages : 0, .phys = vm->phys_addr,
		.caller = vm->caller, .node_at = s->nn,
	};
	/* show_numa_info(): frames per node, of vmalloc areas */
	for (unsigned int i = 0; i < e->nr_pages; i++)
		counts[page_to_nid(vm->pages[i])]++;
	for (int nid = 0; nid < kmb_mm.nr_nodes; nid++)
		if (counts[nid]) {
			s->nodes[s->nn][0] = (unsigned int)nid;
			s->nodes[s->nn][1] = counts[nid];
			s->nn++;
			e->nr_nodes++;
		}
	return 0;
}

/* The ranges on the purge list, copied under its lock (at most cap of them). */
struct lazy_snap {
	unsigned long (*r)[2];
	size_t n, cap;
};

static void lazy_count(const struct vmap_area *va, void *arg)
{
	(void)va;
	((struct lazy_snap *)arg)->cap++;
}

static void lazy_copy(const struct vmap_area *va, void *arg)
{
	struct lazy_snap *z = arg;

	if (z->n < z->cap) {
		z->r[z->n][0] = va->va_start;
		z->r[z->n][1] = va->va_end;
		z->n++;
	}
}

static int range_cmp(const void *a, const void *b)
{
	unsigned long x = (*(const unsigned long (*)[2])a)[0];
	unsigned long y = (*(const unsigned long (*)[2])b)[0];

	return x < y ? -1 : x > y;
}

/*
 * show_purge_info() (mm/vmalloc.c, v6.9): after the areas, every range freed and not yet
 * purged, "0x...-0x... <size> unpurged vm_area", in address order (the kernel keeps its lazy
 * list sorted).  The list is counted, the array allocated and the ranges copied, the lock
 * never held over the allocation; ranges that arrive in between are left out.
 */
static void show_purge_info(struct sbuf *sb)
{
	struct lazy_snap z = { 0 };

	vmap_lazy_walk(lazy_count, &z);
	if (!z.cap)
		return;
	z.r = malloc(z.cap * sizeof(*z.r));
	if (!z.r) {
		sb_printf(sb, "(out of memory: %zu unpurged vm_area lines left out)\n", z.cap);
		return;
	}
	vmap_lazy_walk(lazy_copy, &z);
	qsort(z.r, z.n, sizeof(*z.r), range_cmp);
	for (size_t i = 0; i < z.n; i++)
		sb_printf(sb, "0x%016lx-0x%016lx %7lu unpurged vm_area\n", z.r[i][0], z.r[i][1],
			  z.r[i][1] - z.r[i][0]);
	free(z.r);
}

size_t kmb_show_vmallocinfo(char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };
	struct info_snap s = { 0 };
	char who[256];

	if (!vmw.reservation)
		return sb_end(&sb);
	spin_lock(&vmw.busy_lock);
	vmap_busy_walk(snap_area, &s);
	spin_unlock(&vmw.busy_lock);
	for (size_t i = 0; i < s.n; i++) {
		const struct info_entry *e = &s.e[i];

		sb_printf(&sb, "0x%016lx-0x%016lx %7lu", e->start, e->start + e->size, e->size);
		if (e->caller) {
			vmap_format_caller(who, sizeof(who), e->caller);
			sb_printf(&sb, " %s", who);
		}
		if (e->nr_pages)
			sb_printf(&sb, " pages=%u", e->nr_pages);
		if (e->phys)
			sb_printf(&sb, " phys=0x%016llx", (unsigned long long)e->phys);
		if (e->flags & VM_IOREMAP)
			sb_printf(&sb, " ioremap");
		if (e->flags & VM_ALLOC)
			sb_printf(&sb, " vmalloc");
		if (e->flags & VM_MAP)
			sb_printf(&sb, " vmap");
		for (unsigned int k = 0; k < e->nr_nodes; k++)
			sb_printf(&sb, " N%u=%u", s.nodes[e->node_at + k][0],
				  s.nodes[e->node_at + k][1]);
		sb_printf(&sb, "\n");
	}
	if (s.nomem)
		sb_printf(&sb, "(out of memory: the list stops here)\n");
	free(s.e);
	free(s.nodes);
	show_purge_info(&sb);
	return sb_end(&sb);
}

/* --- statistics and the check --- */

void kmb_vmalloc_get_stats(struct kmb_vmalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!vmw.reservation)
		return;
	st->vmalloc_total = VMALLOC_END - VMALLOC_START;
	vmap_free_info(&st->vmalloc_chunk, &st->free_bytes, &st->nr_free_ranges);
	spin_lock(&vmw.busy_lock);
	st->nr_areas = vmw.nr_busy;
	st->nr_areas_peak = vmw.nr_busy_peak;
	st->nr_vmalloc = vmw.nr_by_kind[VMAP_KIND_VMALLOC];
	st->nr_vmap = vmw.nr_by_kind[VMAP_KIND_VMAP];
	st->nr_ioremap = vmw.nr_by_kind[VMAP_KIND_IOREMAP];
	st->vmalloc_used = vmw.vmalloc_pages << PAGE_SHIFT;
	st->vmalloc_pages_peak = vmw.vmalloc_pages_peak;
	spin_unlock(&vmw.busy_lock);
	st->map_calls = atomic_load_explicit(&vmw.map_calls, memory_order_relaxed);
	st->unmap_calls = atomic_load_explicit(&vmw.unmap_calls, memory_order_relaxed);
	st->purges = atomic_load_explicit(&vmw.purges, memory_order_relaxed);
	spin_lock(&vmw.purge_lock);
	st->lazy_pages = vmw.lazy_nr;
	spin_unlock(&vmw.purge_lock);
	st->lazy_max_pages = vmw.lazy_max;
	st->alloc_fail = atomic_load_explicit(&vmw.alloc_fail, memory_order_relaxed);
	st->misuse = kmb_misuse_count(KMB_LAYER_VMALLOC);
	kmap_get_stats(st);
}

/* Every frame of a vmalloc or vmap area counts the area in its mapcount. */
static int check_mapcounts(struct vmap_area *va, void *arg)
{
	const struct vm_struct *vm = va->vm;
	unsigned long *bad = arg;

	for (unsigned int i = 0; i < vm->nr_pages; i++)
		if (__atomic_load_n(&vm->pages[i]->mapcount, __ATOMIC_RELAXED) < 1) {
			bad[0] = va->va_start;
			bad[1] = page_to_pfn(vm->pages[i]);
			return 1;
		}
	return 0;
}

int kmb_vmalloc_check(char *why, size_t whylen)
{
	unsigned long bad[2];
	int r;

	if (!vmw.reservation) {
		snprintf(why, whylen, "vmalloc: not set up");
		return -EUCLEAN;
	}
	r = vmap_area_check(why, whylen);
	if (r)
		return r;
	spin_lock(&vmw.busy_lock);
	r = vmap_busy_walk(check_mapcounts, bad);
	spin_unlock(&vmw.busy_lock);
	if (r) {
		snprintf(why, whylen, "area at %#lx maps pfn %#lx, whose mapcount is not above 0",
			 bad[0], bad[1]);
		return -EUCLEAN;
	}
	return 0;
}

/* --- setup and teardown --- */

static int config_fill(struct kmb_mm_config *c, char *why, size_t whylen)
{
	size_t total = c->node_mem * (size_t)c->nr_nodes;

	if (!c->vmalloc_size) {
		c->vmalloc_size = 2 * total;
		c->vmalloc_size = c->vmalloc_size < SZ_1G ? SZ_1G :
				  c->vmalloc_size > KMB_VMALLOC_MAX ? KMB_VMALLOC_MAX :
				  c->vmalloc_size;
	}
	if (c->vmalloc_size % PAGE_SIZE || c->vmalloc_size < SZ_1M ||
	    c->vmalloc_size > KMB_VMALLOC_MAX) {
		snprintf(why, whylen, "mm: vmalloc window of %zu bytes: must be a multiple of 4 KiB, "
			 "1 MiB to 64 TiB", c->vmalloc_size);
		return -EINVAL;
	}
	if (!c->iomem_size)
		c->iomem_size = KMB_IOMEM_DEFAULT;
	if (c->iomem_size % PAGE_SIZE || c->iomem_size > KMB_IOMEM_MAX) {
		snprintf(why, whylen, "mm: device memory of %zu bytes: must be a multiple of 4 KiB, "
			 "at most 64 GiB", c->iomem_size);
		return -EINVAL;
	}
	if (!c->last_pkmap)
		c->last_pkmap = KMB_LAST_PKMAP_DEFAULT;
	if (c->last_pkmap > KMB_LAST_PKMAP_MAX) {
		snprintf(why, whylen, "mm: %u persistent kmap slots: valid are 1 to %d",
			 c->last_pkmap, KMB_LAST_PKMAP_MAX);
		return -EINVAL;
	}
	if (c->vmap_flags & ~(unsigned int)(KMB_VMAP_NO_MERGE | KMB_VMAP_POPULATE)) {
		snprintf(why, whylen, "mm: vmap_flags %#x: valid bits are KMB_VMAP_NO_MERGE (%#x) "
			 "and KMB_VMAP_POPULATE (%#x)", c->vmap_flags, KMB_VMAP_NO_MERGE,
			 KMB_VMAP_POPULATE);
		return -EINVAL;
	}
	return 0;
}

int vmalloc_setup(char *why, size_t whylen)
{
	struct kmb_mm_config *c = &kmb_mm.cfg;
	unsigned long base, pkmap_size;
	void *p;
	int r;

	r = config_fill(c, why, whylen);
	if (r)
		return r;
	pkmap_size = (unsigned long)c->last_pkmap << PAGE_SHIFT;
	vmw.reservation_size = c->vmalloc_size + PAGE_SIZE + pkmap_size + PAGE_SIZE + FIXADDR_SIZE;
	p = kmb_mmap(NULL, vmw.reservation_size, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(why, whylen, "mm: cannot reserve %zu bytes of address space for the "
			 "vmalloc window: %s", vmw.reservation_size, strerror(errno));
		return -ENOMEM;
	}
	vmw.reservation = p;
	base = (unsigned long)p;
	kmb_vm_layout = (struct kmb_vm_layout){
		.vmalloc_start = base,
		.vmalloc_end = base + c->vmalloc_size,
		.pkmap_base = base + c->vmalloc_size + PAGE_SIZE,
		.last_pkmap = c->last_pkmap,
		.fixaddr_start = base + c->vmalloc_size + PAGE_SIZE + pkmap_size + PAGE_SIZE,
	};
	kmb_vm_layout.fixaddr_end = kmb_vm_layout.fixaddr_start + FIXADDR_SIZE;
	vmw.flags = c->vmap_flags;
	vmw.map_flags = MAP_SHARED | MAP_FIXED |
			 (c->vmap_flags & KMB_VMAP_POPULATE ? MAP_POPULATE : 0);
	vmw.nr_busy = vmw.nr_busy_peak = vmw.vmalloc_pages = vmw.vmalloc_pages_peak = 0;
	memset(vmw.nr_by_kind, 0, sizeof(vmw.nr_by_kind));
	atomic_store(&vmw.map_calls, 0);
	atomic_store(&vmw.unmap_calls, 0);
	atomic_store(&vmw.alloc_fail, 0);
	atomic_store(&vmw.purges, 0);
	pthread_mutex_init(&vmw.purge_mutex, NULL);
	for (int k = 0; k < AREA_CLASSES; k++) {
		spin_lock_init(&vmw.area_cache[k].lock);
		vmw.area_cache[k].head = NULL;
		vmw.area_cache[k].nr = 0;
	}
	vmw.purge_list = NULL;
	vmw.lazy_nr = 0;
	/* lazy_max_pages(): 32 MiB of pages times fls(num_online_cpus()) */
	vmw.lazy_max = (unsigned long)(32 - __builtin_clz((unsigned int)nr_cpu_ids())) *
		       ((32UL << 20) >> PAGE_SHIFT);
	kmb_misuse_reset(KMB_LAYER_VMALLOC);
	vmap_area_init(VMALLOC_START, VMALLOC_END);
	r = iomem_setup(why, whylen);
	if (!r)
		r = kmap_setup(kmb_vm_layout.pkmap_base, c->last_pkmap, kmb_vm_layout.fixaddr_start,
			       why, whylen);
	return r;
}

/* The areas nobody gave back: their bookkeeping goes with the machine. */
static void busy_free(struct vmap_area *va)
{
	if (!va)
		return;
	busy_free(va->left);
	busy_free(va->right);
	kmb_tool_unmapped((void *)va->va_start, va->va_end - va->va_start);
	free(container_of(va, struct vm_area, va));
}

void vmalloc_teardown(void)
{
	kmap_teardown();
	iomem_teardown();
	busy_free(vmw.busy_root);
	while (vmw.purge_list) {	/* the reservation goes whole: no purge needed */
		struct vmap_area *va = vmw.purge_list;

		vmw.purge_list = va->right;
		kmb_tool_unmapped((void *)va->va_start, va->va_end - va->va_start);
		free(container_of(va, struct vm_area, va));
	}
	vmw.lazy_nr = 0;
	area_cache_drain();
	vmap_area_teardown();
	if (vmw.reservation)
		kmb_munmap(vmw.reservation, vmw.reservation_size);
	vmw.reservation = NULL;
	vmw.reservation_size = 0;
	memset(&kmb_vm_layout, 0, sizeof(kmb_vm_layout));
}
