/*
 * test_vmalloc.c - vmalloc, vfree, vmap and the window's address allocator
 * (allocators/vmalloc/vmalloc.c, allocators/vmalloc/vmap_area.c, include/kmbench/vmalloc.h).
 *
 *   contents      bytes written through a vmalloc address are the bytes of its frames, seen
 *                 through their linear addresses (low memory) or kmap addresses (HIGHMEM,
 *                 with a low-memory limit), both ways; vmalloc_to_page/pfn round-trip;
 *                 vzalloc zeroes dirty frames; vmalloc_node takes the node's frames;
 *   frames back   vfree returns every frame (free pages per zone before and after, per-CPU
 *                 lists drained); a vmalloc larger than free memory fails and leaves the free
 *                 counts and the window as they were (the next vmalloc gets the address it
 *                 would have had); one larger than all memory fails at once;
 *   window model  thousands of random get_vm_area/vmalloc/ioremap/free steps against a page
 *                 bitmap of the window that predicts every address (lowest fit, alignment,
 *                 guard pages) and every failure, the trees checked as they go;
 *   guard page    touching the page after an area faults at that address, in a child; so does
 *                 an area's first page after vfree and the purge (before it, the stale
 *                 mapping stays and the area is in no tree);
 *   lazy purge    freed ranges gather, mapped and not reused, until they pass
 *                 lazy_max_pages(); the vfree that passes it unmaps all with one call; the
 *                 window model purges when the window is full, as alloc_vmap_area does;
 *   vmap          the caller's frames mapped in order, contents shared both ways, mapcount per
 *                 mapping, vunmap leaves the frames to the caller, read-only mappings;
 *   vmallocinfo   the kernel's line format, caller names, address order; the ranges freed and
 *                 not yet purged as "unpurged vm_area" lines (show_purge_info);
 *   mappings      one mmap per physically contiguous run, or per frame with KMB_VMAP_NO_MERGE;
 *                 KMB_VMAP_POPULATE leaves no fault for the first touch;
 *   misuse        vfree/vunmap of bad addresses reported and refused, or fatal in a child;
 *   threads       concurrent vmalloc/vfree with contents checked;
 *   config        bad window shapes refused with a reason; setup runs again after teardown.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "vmap_test.h"

#define NODE_MEM	(64 * MiB)
#define LOWMEM		(32 * MiB)
#define PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)

static struct kmb_mm_config cfg_of(unsigned long lowmem, unsigned int vmap_flags)
{
	struct kmb_mm_config c;

	memset(&c, 0, sizeof(c));
	c.nr_nodes = 1;
	c.node_mem = NODE_MEM;
	c.lowmem_limit = lowmem;
	c.vmap_flags = vmap_flags;
	return c;
}

/* Every page of the area at @p: the frame mapped there holds the area's bytes (@tag's
 * pattern), seen through its linear or kmap address, and a write through that address is
 * seen in the area. */
static void check_frames(unsigned char *p, size_t size, unsigned long tag, bool highmem)
{
	for (size_t off = 0; off < size; off += PAGE_SIZE) {
		struct page *page = vmalloc_to_page(p + off);
		size_t n = size - off < PAGE_SIZE ? size - off : PAGE_SIZE;
		unsigned char *via;
		long bad;

		assert_non_null(page);
		assert_int_equal(PageHighMem(page), highmem);
		assert_int_equal(vmalloc_to_pfn(p + off + n - 1), page_to_pfn(page));
		assert_int_equal(page->mapcount, 1);
		via = highmem ? kmap(page) : page_address(page);
		assert_non_null(via);
		assert_true(highmem ? !virt_addr_valid(via) : virt_addr_valid(via));
		bad = bytes_differ(via, n, tag, off);
		if (bad >= 0)
			fail_msg("area %p byte %zu: 0x%02x through the frame's %s address, wrote "
				 "0x%02x", (void *)p, off + (size_t)bad, via[bad],
				 highmem ? "kmap" : "linear", pattern(tag, off + (size_t)bad));
		via[n - 1] ^= 0xff;
		assert_int_equal(p[off + n - 1], pattern(tag, off + n - 1) ^ 0xff);
		via[n - 1] ^= 0xff;
		if (highmem)
			kunmap(page);
	}
}

static void contents(bool highmem)
{
	static const size_t sizes[] = { 1, 4096, 4097, 10000, 65536, 1 << 20 };
	struct kmb_mm_config c = cfg_of(highmem ? LOWMEM : 0, 0);

	vm_boot(&c);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = vmalloc(sizes[i]);
		struct vm_struct *vm;

		assert_non_null(p);
		assert_true(is_vmalloc_addr(p));
		assert_true(is_vmalloc_addr(p + sizes[i] - 1));
		assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
		fill_bytes(p, sizes[i], i);
		check_frames(p, sizes[i], i, highmem);
		vm = find_vm_area(p + sizes[i] - 1);
		assert_non_null(vm);
		assert_ptr_equal(vm->addr, p);
		assert_int_equal(vm->size, PAGE_ALIGN(sizes[i]) + PAGE_SIZE);
		assert_int_equal(get_vm_area_size(vm), PAGE_ALIGN(sizes[i]));
		assert_int_equal(vm->nr_pages, PAGE_ALIGN(sizes[i]) / PAGE_SIZE);
		assert_true(vm->flags & VM_ALLOC);
		/* the guard page maps nothing; it belongs to the area */
		assert_null(vmalloc_to_page(p + PAGE_ALIGN(sizes[i])));
		assert_ptr_equal(find_vm_area(p + PAGE_ALIGN(sizes[i])), vm);
		assert_int_equal(vmalloc_to_pfn(p + PAGE_ALIGN(sizes[i])), -1UL);
		check_vm();
		vfree(p);
	}
	/* __vmalloc_node: aligned areas (after a one-page area, so the lowest fit is not). */
	for (unsigned long align = 2 * PAGE_SIZE; align <= 1 << 20; align *= 2) {
		void *one = vmalloc(PAGE_SIZE), *p = __vmalloc_node(5000, align, GFP_KERNEL,
								     NUMA_NO_NODE, NULL);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % align, 0);
		assert_null(find_vm_area(p)->caller);
		vfree(p);
		vfree(one);
	}
	assert_null(__vmalloc_node(5000, 3 * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN, NUMA_NO_NODE,
				   NULL));
	assert_false(is_vmalloc_addr(&c));
	assert_null(vmalloc_to_page(&c));
	assert_null(vmalloc(0));
	assert_int_equal(vm_stats().nr_areas, 0);
	check_vm();
}

static void test_contents_lowmem(void **state)
{
	(void)state;
	contents(false);
}

static void test_contents_highmem(void **state)
{
	(void)state;
	contents(true);
}

/* vzalloc, __vmalloc(__GFP_ZERO) and vcalloc clear frames that earlier areas dirtied. */
static void test_zeroed(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	unsigned long dirty[16];
	const size_t size = sizeof(dirty) / sizeof(dirty[0]) * PAGE_SIZE;

	(void)state;
	vm_boot(&c);
	for (int kind = 0; kind < 3; kind++) {
		unsigned char *p = vmalloc(size), *z;
		bool reused = false;

		assert_non_null(p);
		memset(p, 0xa5, size);
		for (size_t i = 0; i < size / PAGE_SIZE; i++)
			dirty[i] = vmalloc_to_pfn(p + i * PAGE_SIZE);
		vfree(p);
		z = kind == 0 ? vzalloc(size) : kind == 1 ? __vmalloc(size, GFP_KERNEL | __GFP_ZERO) :
		    vcalloc(size / 64, 64);
		assert_non_null(z);
		for (size_t i = 0; i < size / PAGE_SIZE; i++)
			for (size_t j = 0; j < size / PAGE_SIZE; j++)
				reused |= vmalloc_to_pfn(z + i * PAGE_SIZE) == dirty[j];
		assert_true(reused);	/* else the test proves nothing */
		assert_true(all_bytes(z, size, 0));
		vfree(z);
	}
	assert_null(vcalloc(SIZE_MAX / 2, 4));		/* the multiplication overflows */
	assert_null(vmalloc_array(SIZE_MAX / 8 + 1, 8));
	check_vm();
}

/* vmalloc_node takes its frames from the node; vmallocinfo counts them per node. */
static void test_node(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	char want[64], *info;

	(void)state;
	c.nr_nodes = 2;
	c.node_mem = 32 * MiB;
	vm_boot(&c);
	for (int nid = 0; nid < 2; nid++) {
		unsigned char *p = vmalloc_node(32 * PAGE_SIZE, nid);

		assert_non_null(p);
		for (int i = 0; i < 32; i++)
			assert_int_equal(page_to_nid(vmalloc_to_page(p + i * PAGE_SIZE)), nid);
		info = show(kmb_show_vmallocinfo);
		snprintf(want, sizeof(want), " pages=32 vmalloc N%d=32\n", nid);
		assert_contains(info, want);
		free(info);
		vfree(p);
	}
	check_vm();
}

/* vfree gives every frame back: each zone's free pages as before. */
static void frames_back(unsigned long lowmem)
{
	struct kmb_mm_config c = cfg_of(lowmem, 0);
	static const size_t sizes[] = { 4096, 12345, 65536, 300000, 1 << 20, 5 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	struct page *frames[600];
	unsigned long total = 0, nf = 0;
	struct zone_free before, during, after;
	int z = lowmem ? ZONE_HIGHMEM : ZONE_NORMAL;

	vm_boot(&c);
	before = zone_free();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = vmalloc(sizes[i]);
		assert_non_null(p[i]);
		total += PAGE_ALIGN(sizes[i]) / PAGE_SIZE;
		for (size_t off = 0; off < sizes[i]; off += PAGE_SIZE)
			frames[nf++] = vmalloc_to_page((char *)p[i] + off);
	}
	during = zone_free();
	assert_int_equal(before.pages[0][z] - during.pages[0][z], total);
	assert_int_equal(vmalloc_nr_pages(), total);
	assert_int_equal(vm_stats().vmalloc_used, total * PAGE_SIZE);
	check_vm();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		vfree(p[i]);
	after = zone_free();
	assert_zone_free_equal(&before, &after);
	for (unsigned long i = 0; i < nf; i++) {
		assert_int_equal(frames[i]->mapcount, 0);
		assert_int_equal(page_count(frames[i]), 0);
	}
	assert_int_equal(vmalloc_nr_pages(), 0);
	assert_int_equal(vm_stats().vmalloc_pages_peak, total);
	check_vm();
}

static void test_frames_back_lowmem(void **state)
{
	(void)state;
	frames_back(0);
}

static void test_frames_back_highmem(void **state)
{
	(void)state;
	frames_back(LOWMEM);
}

/* A vmalloc that runs out of frames half way leaves nothing behind. */
static void test_larger_than_free(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	struct kmb_vmalloc_stats s0, s1;
	struct zone_free before, after;
	struct page *held[64];
	unsigned long free_pages = 0, probe_addr;
	struct capture cap;
	void *probe, *big;
	char *text;

	(void)state;
	vm_boot(&c);
	/* More than all memory: refused before any frame is taken. */
	capture_begin(&cap);
	assert_null(vmalloc(NODE_MEM + PAGE_SIZE));
	text = capture_end(&cap);
	assert_contains(text, "vmalloc error: size 67112960, exceeds total pages");
	/* Hold some frames, so that free memory is less than all memory. */
	for (int i = 0; i < 64; i++) {
		held[i] = alloc_pages(GFP_KERNEL, 4);
		assert_non_null(held[i]);
	}
	probe = vmalloc(PAGE_SIZE);
	probe_addr = (unsigned long)probe;
	vfree(probe);
	vm_unmap_aliases();		/* the probe's range free again, not awaiting the purge */
	before = zone_free();
	s0 = vm_stats();
	for (int z = 0; z < MAX_NR_ZONES; z++)
		free_pages += before.pages[0][z];
	capture_begin(&cap);
	big = vmalloc((free_pages + 64) * PAGE_SIZE);
	text = capture_end(&cap);
	assert_null(big);
	assert_contains(text, "vmalloc error: size");
	assert_contains(text, "failed to allocate pages");
	after = zone_free();
	assert_zone_free_equal(&before, &after);
	s1 = vm_stats();
	assert_int_equal(s1.free_bytes, s0.free_bytes);
	assert_int_equal(s1.nr_free_ranges, s0.nr_free_ranges);
	assert_int_equal(s1.vmalloc_chunk, s0.vmalloc_chunk);
	assert_int_equal(s1.nr_areas, 0);
	assert_int_equal(s1.alloc_fail, s0.alloc_fail + 1);
	check_vm();
	/* Quietly with __GFP_NOWARN. */
	capture_begin(&cap);
	assert_null(__vmalloc((free_pages + 64) * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN));
	assert_silent(capture_end(&cap));
	after = zone_free();
	assert_zone_free_equal(&before, &after);
	/* The window is as it was: the next area starts where the probe did. */
	probe = vmalloc(PAGE_SIZE);
	assert_int_equal((unsigned long)probe, probe_addr);
	vfree(probe);
	for (int i = 0; i < 64; i++)
		__free_pages(held[i], 4);
	check_vm();
}

/* --- the window against a reference model --- */

#define WPAGES		256			/* a 1 MiB window */
#define MODEL_STEPS	6000
#define MAX_LIVE	128

enum { K_AREA, K_NOGUARD, K_VMALLOC, K_IOREMAP, NR_KINDS };

struct live {
	unsigned long addr;		/* the area's start (ioremap: the mapping's start) */
	void *handle;			/* what the free takes */
	unsigned int pages;		/* window pages, the guard included */
	int kind;
	size_t bytes;
};

static struct {
	bool used[WPAGES];		/* busy, or freed and awaiting the purge */
	struct live live[MAX_LIVE];
	int nr;
	struct live lazy[WPAGES];	/* freed, awaiting the purge (every one holds a page) */
	int nr_lazy;
	unsigned long lazy_pages;
} model;

/* The lazy purge (mm/vmalloc.c __purge_vmap_area_lazy): every freed range becomes free. */
static void model_purge(void)
{
	for (int i = 0; i < model.nr_lazy; i++) {
		unsigned long first = (model.lazy[i].addr - VMALLOC_START) / PAGE_SIZE;

		for (unsigned long p = first; p < first + model.lazy[i].pages; p++) {
			assert_true(model.used[p]);
			model.used[p] = false;
		}
	}
	model.nr_lazy = 0;
	model.lazy_pages = 0;
}

/* What the allocator must do: the lowest free range of at least @pages (plus what alignment
 * may cost), at its first @align-aligned address; 0 when none. */
static unsigned long model_predict(unsigned int pages, unsigned long align)
{
	unsigned long need = pages + (align > PAGE_SIZE ? align / PAGE_SIZE - 1 : 0);

	for (unsigned long s = 0; s < WPAGES;) {
		unsigned long e = s;

		if (model.used[s]) {
			s++;
			continue;
		}
		while (e < WPAGES && !model.used[e])
			e++;
		if (e - s >= need) {
			unsigned long a = VMALLOC_START + s * PAGE_SIZE;

			return (a + align - 1) & ~(align - 1);
		}
		s = e;
	}
	return 0;
}

static void model_mark(unsigned long addr, unsigned int pages, bool used)
{
	unsigned long first = (addr - VMALLOC_START) / PAGE_SIZE;

	for (unsigned long i = first; i < first + pages; i++) {
		assert_true(i < WPAGES);
		assert_int_equal(model.used[i], !used);
		model.used[i] = used;
	}
}

/* Free ranges of the model: their bytes, their number and the largest, against the stats. */
static void model_compare_stats(void)
{
	unsigned long bytes = 0, nr = 0, largest = 0;
	struct kmb_vmalloc_stats st = vm_stats();

	for (unsigned long s = 0; s < WPAGES;) {
		unsigned long e = s;

		if (model.used[s]) {
			s++;
			continue;
		}
		while (e < WPAGES && !model.used[e])
			e++;
		bytes += (e - s) * PAGE_SIZE;
		nr++;
		largest = (e - s) * PAGE_SIZE > largest ? (e - s) * PAGE_SIZE : largest;
		s = e;
	}
	assert_int_equal(st.free_bytes, bytes);
	assert_int_equal(st.nr_free_ranges, nr);
	assert_int_equal(st.vmalloc_chunk, largest);
	assert_int_equal(st.nr_areas, (unsigned long)model.nr);
	assert_int_equal(st.lazy_pages, model.lazy_pages);
}

static void model_alloc(uint64_t *seed)
{
	int kind = (int)(rnd(seed) % NR_KINDS);
	unsigned long want, align = PAGE_SIZE, addr = 0;
	unsigned int span = 1 + (unsigned int)(rnd(seed) % 12), pages = span + 1;
	struct live *l = &model.live[model.nr];
	size_t bytes = span * PAGE_SIZE - rnd(seed) % PAGE_SIZE;
	void *h = NULL;

	if (kind == K_NOGUARD)
		pages = span;
	if (kind == K_IOREMAP) {
		phys_addr_t off = rnd(seed) % (kmb_iomem_size() - bytes);
		unsigned long first = off & PAGE_MASK, last = (off + bytes - 1) & PAGE_MASK;

		span = (unsigned int)((last - first) / PAGE_SIZE + 1);
		pages = span + 1;
		while (align < span * PAGE_SIZE && align < (1UL << IOREMAP_MAX_ORDER))
			align *= 2;
		want = model_predict(pages, align);
		if (!want && model.nr_lazy) {	/* no room: purge, try once more */
			model_purge();
			want = model_predict(pages, align);
		}
		h = ioremap(kmb_iomem_start() + off, bytes);
		addr = (unsigned long)h & PAGE_MASK;
		if (h)
			assert_int_equal((unsigned long)h & ~PAGE_MASK, off & ~PAGE_MASK);
	} else {
		want = model_predict(pages, PAGE_SIZE);
		if (!want && model.nr_lazy) {
			model_purge();
			want = model_predict(pages, PAGE_SIZE);
		}
		if (kind == K_VMALLOC) {
			h = __vmalloc(bytes, GFP_KERNEL | __GFP_NOWARN);
			addr = (unsigned long)h;
		} else {
			struct vm_struct *vm = get_vm_area(bytes, kind == K_NOGUARD ? VM_NO_GUARD : 0);

			h = vm;
			addr = vm ? (unsigned long)vm->addr : 0;
			if (vm)
				assert_int_equal(vm->size, (unsigned long)pages * PAGE_SIZE);
		}
	}
	if (addr != want)
		fail_msg("%s of %u window pages (align %#lx): at %#lx, the model says %#lx",
			 kind == K_IOREMAP ? "ioremap" : kind == K_VMALLOC ? "vmalloc" :
			 "get_vm_area", pages, align, addr, want);
	if (!h)
		return;
	model_mark(addr, pages, true);
	*l = (struct live){ .addr = addr, .handle = h, .pages = pages, .kind = kind,
			    .bytes = bytes };
	if (kind == K_VMALLOC)
		fill_bytes(h, bytes, addr);
	model.nr++;
}

static void model_free(int i)
{
	struct live *l = &model.live[i];
	long bad;

	switch (l->kind) {
	case K_VMALLOC:
		bad = bytes_differ(l->handle, l->bytes, l->addr, 0);
		if (bad >= 0)
			fail_msg("vmalloc area %#lx byte %ld changed: overlap", l->addr, bad);
		vfree(l->handle);
		break;
	case K_IOREMAP:
		iounmap(l->handle);
		break;
	default:
		free_vm_area(l->handle);
	}
	/* the range stays taken until the purge: past lazy_max_pages(), or when full */
	model.lazy[model.nr_lazy++] = *l;
	model.lazy_pages += l->pages;
	if (model.lazy_pages > vm_stats().lazy_max_pages)
		model_purge();
	*l = model.live[--model.nr];
}

/* Every line of the captured stderr is an expected failure report. */
static void assert_only_window_full(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, "kmbench: vmap allocation for size ", 34))
			fail_msg("unexpected report: %.*s", (int)(nl ? nl - line : 80), line);
		if (!nl)
			break;
		line = nl + 1;
	}
}

static void test_window_model(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	uint64_t seed = seed_from_env("window model", 0x5eedf00d);
	unsigned long fails = 0;
	struct capture cap;

	(void)state;
	c.vmalloc_size = WPAGES * PAGE_SIZE;
	c.iomem_size = 1 * MiB;
	vm_boot(&c);
	memset(&model, 0, sizeof(model));
	assert_int_equal(VMALLOC_END - VMALLOC_START, WPAGES * PAGE_SIZE);
	capture_begin(&cap);
	for (int step = 0; step < MODEL_STEPS; step++) {
		/* Mostly allocate while there is room, so the window fills, then drains. */
		bool alloc = model.nr == 0 || (model.nr < MAX_LIVE && rnd(&seed) % 100 <
					       (unsigned int)((step / 1000) % 2 ? 35 : 65));

		if (alloc) {
			unsigned long before = vm_stats().alloc_fail;

			model_alloc(&seed);
			fails += vm_stats().alloc_fail - before;
		} else {
			model_free((int)(rnd(&seed) % (unsigned long)model.nr));
		}
		if (step % 97 == 0) {
			model_compare_stats();
			check_vm();
		}
	}
	assert_only_window_full(capture_end(&cap));
	assert_true(fails > 0);		/* the window did fill */
	while (model.nr)
		model_free(model.nr - 1);
	model_compare_stats();
	check_vm();
	vm_unmap_aliases();
	model_purge();
	model_compare_stats();
	assert_int_equal(vm_stats().nr_free_ranges, 1);
	check_vm();
}

/* --- guard pages --- */

/*
 * A read of a vfree'd area, which stays mapped until the purge: the point of the test, and a
 * use after vfree to ASan, which the sanitize build's vmalloc poisons it for (base/tools.h).  So
 * ASan does not check this one read, as the kernel's KASAN tests read freed memory between
 * kasan_disable_current() and kasan_enable_current().
 */
static __attribute__((__noinline__, no_sanitize_address)) char read_stale(const volatile char *p)
{
	return *p;
}

static void test_guard_page(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	struct vm_struct *vm;
	char *p, *q;

	(void)state;
	vm_boot(&c);
	p = vmalloc(3 * PAGE_SIZE);
	assert_non_null(p);
	p[0] = 1;
	p[3 * PAGE_SIZE - 1] = 2;		/* the last byte of the area is fine */
	assert_faults(p + 3 * PAGE_SIZE, true);
	assert_faults(p + 3 * PAGE_SIZE, false);
	assert_faults(p + 4 * PAGE_SIZE - 1, false);
	q = vmalloc(PAGE_SIZE);			/* lowest fit: right after p's guard page */
	assert_ptr_equal(q, p + 4 * PAGE_SIZE);
	q[0] = 3;
	assert_faults(q - 1, true);		/* p's guard page, just before q */
	vfree(p);
	/* Purged lazily (mm/vmalloc.c): the range stays mapped, stale, out of every tree ... */
	(void)read_stale(p);
	assert_null(find_vm_area(p));
	assert_null(vmalloc_to_page(p));
	assert_int_equal(vm_stats().lazy_pages, 4);
	assert_int_equal(vm_stats().purges, 0);
	check_vm();
	/* ... until the purge, which unmaps it and frees it for reuse */
	vm_unmap_aliases();
	assert_faults(p, false);
	assert_int_equal(vm_stats().lazy_pages, 0);
	assert_int_equal(vm_stats().purges, 1);
	assert_int_equal(q[0], 3);
	vm = get_vm_area(2 * PAGE_SIZE, 0);	/* reserved, nothing mapped */
	assert_non_null(vm);
	assert_faults(vm->addr, false);
	free_vm_area(vm);
	vfree(q);
	check_vm();
}

/* --- vmap --- */

static void test_vmap(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	struct page *pages[8], *rev[8];
	unsigned char *v, *v2, *ro;
	struct vm_struct *vm;
	char *info;

	(void)state;
	vm_boot(&c);
	for (int i = 0; i < 8; i++) {	/* HIGHMEM and low frames, interleaved */
		pages[i] = alloc_pages(i % 2 ? GFP_HIGHUSER : GFP_KERNEL, 0);
		assert_non_null(pages[i]);
		assert_int_equal(PageHighMem(pages[i]), i % 2);
		{
			unsigned char *k = kmap(pages[i]);

			fill_bytes(k, PAGE_SIZE, 100 + (unsigned long)i);
			kunmap(pages[i]);
		}
		rev[7 - i] = pages[i];
	}
	v = vmap(pages, 8, VM_MAP, PAGE_KERNEL);
	assert_non_null(v);
	assert_true(is_vmalloc_addr(v));
	for (int i = 0; i < 8; i++) {
		assert_int_equal(bytes_differ(v + i * PAGE_SIZE, PAGE_SIZE, 100 + (unsigned long)i,
					      0), -1);
		assert_ptr_equal(vmalloc_to_page(v + i * PAGE_SIZE + 5), pages[i]);
		assert_int_equal(pages[i]->mapcount, 1);
	}
	vm = find_vm_area(v);
	assert_non_null(vm);
	assert_true(vm->flags & VM_MAP);
	assert_int_equal(vm->size, 9 * PAGE_SIZE);
	/* A second mapping, in reverse order: the same bytes, two mappings per frame. */
	v2 = vmap(rev, 8, VM_MAP | VM_NO_GUARD, PAGE_KERNEL);
	assert_non_null(v2);
	assert_int_equal(find_vm_area(v2)->size, 8 * PAGE_SIZE);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pages[i]->mapcount, 2);
	v[5] = 0x5a;				/* page 0 through v; page 7 of v2 */
	assert_int_equal(v2[7 * PAGE_SIZE + 5], 0x5a);
	v2[3] = 0x3c;				/* page 7 through v2 */
	assert_int_equal(v[7 * PAGE_SIZE + 3], 0x3c);
	info = show(kmb_show_vmallocinfo);
	assert_int_equal(count_substr(info, " vmap\n"), 2);
	assert_lacks(info, "pages=");		/* as the kernel: pages= is vmalloc's */
	free(info);
	vunmap(v);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pages[i]->mapcount, 1);
	vm_unmap_aliases();			/* vunmap purges lazily too */
	assert_faults((char *)v, false);
	vunmap(v2);
	/* The frames are still the caller's, with what was written. */
	for (int i = 0; i < 8; i++) {
		unsigned char *k;

		assert_int_equal(pages[i]->mapcount, 0);
		assert_int_equal(page_count(pages[i]), 1);
		k = kmap(pages[i]);
		assert_int_equal(k[i == 0 ? 5 : i == 7 ? 3 : 0], i == 0 ? 0x5a : i == 7 ? 0x3c :
				 pattern(100 + (unsigned long)i, 0));
		kunmap(pages[i]);
	}
	/* Read-only: reads work, a write faults.  vfree of a vmap area unmaps only. */
	ro = vmap(pages, 2, VM_MAP, PAGE_KERNEL_RO);
	assert_non_null(ro);
	assert_int_equal(ro[5], 0x5a);
	assert_faults((char *)ro, true);
	vfree(ro);
	assert_int_equal(page_count(pages[0]), 1);
	assert_int_equal(pages[0]->mapcount, 0);
	assert_null(vmap(pages, 0, VM_MAP, PAGE_KERNEL));
	check_vm();
	for (int i = 0; i < 8; i++)
		__free_page(pages[i]);
	check_vm();
}

/* --- /proc/vmallocinfo --- */

NAMED_CALLER void *vmallocinfo_caller(void)
{
	void *p = vmalloc(10000);

	keep_frame();
	return p;
}

/* @text has a line that starts with @start and ends with @end. */
static void assert_line(const char *text, const char *start, const char *end)
{
	const char *line = strstr(text, start), *nl;

	if (!line || (line != text && line[-1] != '\n'))
		fail_msg("no line starts with \"%s\" in:\n%s", start, text);
	nl = strchr(line, '\n');
	assert_non_null(nl);
	if ((size_t)(nl - line) < strlen(end) || strncmp(nl - strlen(end), end, strlen(end)))
		fail_msg("the line \"%.*s\" does not end with \"%s\"", (int)(nl - line), line, end);
}

static void test_vmallocinfo(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	struct page *pages[2];
	void *a, *b, *m;
	void __iomem *io;
	char want[160], end[80], *info, *line;
	unsigned long prev_end = 0;
	int lines = 0;

	(void)state;
	vm_boot(&c);
	a = vmallocinfo_caller();
	b = vzalloc(16 * PAGE_SIZE);
	pages[0] = alloc_page(GFP_KERNEL);
	pages[1] = alloc_page(GFP_KERNEL);
	m = vmap(pages, 2, VM_MAP, PAGE_KERNEL);
	io = ioremap(kmb_iomem_start() + 0x2010, 0x100);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(m);
	assert_non_null(io);
	info = show(kmb_show_vmallocinfo);
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx   16384 vmallocinfo_caller+0x",
		 (unsigned long)a, (unsigned long)a + 16384);
	assert_line(info, want, " pages=3 vmalloc N0=3");
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx   69632 ", (unsigned long)b,
		 (unsigned long)b + 69632);
	assert_line(info, want, " pages=16 vmalloc N0=16");
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx   12288 ", (unsigned long)m,
		 (unsigned long)m + 12288);
	assert_line(info, want, " vmap");
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx    8192 ",
		 (unsigned long)io & PAGE_MASK, ((unsigned long)io & PAGE_MASK) + 8192);
	snprintf(end, sizeof(end), " phys=0x%016llx ioremap",
		 (unsigned long long)(kmb_iomem_start() + 0x2000));
	assert_line(info, want, end);
	/* One line per area, in address order; each caller is "symbol+0xoff/0xsize". */
	for (line = info; *line; line = strchr(line, '\n') + 1) {
		unsigned long start, end, size;
		char caller[128];

		assert_int_equal(sscanf(line, "0x%lx-0x%lx %lu %127s", &start, &end, &size,
					caller), 4);
		assert_int_equal(end - start, size);
		assert_true(start >= prev_end);
		assert_true(strncmp(caller, "0x", 2) == 0 ||
			    (strstr(caller, "+0x") && strstr(caller, "/0x")));
		prev_end = end;
		lines++;
	}
	assert_int_equal(lines, 4);
	free(info);
	vfree(a);
	vfree(b);
	vunmap(m);
	iounmap(io);
	__free_page(pages[0]);
	__free_page(pages[1]);
	/*
	 * Freed, not yet purged: the kernel's show_purge_info() (mm/vmalloc.c, v6.9, called at
	 * the end of vmalloc_info_show()) prints each range of its lazy list, which it keeps in
	 * address order, as "0x%pK-0x%pK %7ld unpurged vm_area".  The four ranges, nothing else,
	 * sizes with their guard pages; after the purge, nothing at all.
	 */
	info = show(kmb_show_vmallocinfo);
	{
		const unsigned long start[4] = { (unsigned long)a, (unsigned long)b,
						 (unsigned long)m, (unsigned long)io & PAGE_MASK };
		const unsigned long size[4] = { 16384, 69632, 12288, 8192 };

		for (int i = 0; i < 4; i++) {
			snprintf(want, sizeof(want), "0x%016lx-0x%016lx %7lu unpurged vm_area\n",
				 start[i], start[i] + size[i], size[i]);
			if (!strstr(info, want))
				fail_msg("no line \"%s\" in:\n%s", want, info);
		}
		prev_end = 0;
		lines = 0;
		for (line = info; *line; line = strchr(line, '\n') + 1) {
			unsigned long s0, e0, sz;

			assert_int_equal(sscanf(line, "0x%lx-0x%lx %lu", &s0, &e0, &sz), 3);
			assert_int_equal(e0 - s0, sz);
			assert_true(s0 >= prev_end);
			assert_line(line, "0x", " unpurged vm_area");
			prev_end = e0;
			lines++;
		}
		assert_int_equal(lines, 4);
	}
	free(info);
	vm_unmap_aliases();
	info = show(kmb_show_vmallocinfo);
	assert_string_equal(info, "");
	free(info);
}

/* --- how frames are mapped --- */

static unsigned long contiguous_runs(const char *p, unsigned int nr)
{
	unsigned long runs = 1;

	for (unsigned int i = 1; i < nr; i++)
		runs += vmalloc_to_pfn(p + i * PAGE_SIZE) != vmalloc_to_pfn(p + (i - 1) * PAGE_SIZE) + 1;
	return runs;
}

static void map_calls(unsigned int flags)
{
	struct kmb_mm_config c = cfg_of(0, flags);
	struct kmb_vmalloc_stats s0, s1, s2;
	unsigned long runs;
	char *p;

	vm_boot(&c);
	s0 = vm_stats();
	p = vmalloc(64 * PAGE_SIZE);
	assert_non_null(p);
	s1 = vm_stats();
	runs = contiguous_runs(p, 64);
	assert_true(runs < 64);		/* a fresh machine hands out runs: else nothing is shown */
	assert_int_equal(s1.map_calls - s0.map_calls, flags & KMB_VMAP_NO_MERGE ? 64 : runs);
	vfree(p);
	s2 = vm_stats();
	assert_int_equal(s2.unmap_calls - s1.unmap_calls, 0);	/* lazily: on the purge list */
	assert_int_equal(s2.lazy_pages, 65);
	vm_unmap_aliases();
	s2 = vm_stats();
	assert_int_equal(s2.unmap_calls - s1.unmap_calls, 1);
	assert_int_equal(s2.purges - s1.purges, 1);
	check_vm();
}

/*
 * The lazy purge's rule (mm/vmalloc.c free_vmap_area_noflush, __purge_vmap_area_lazy): freed
 * ranges gather, mapped and not reused, until they pass lazy_max_pages() (32 MiB of pages
 * times fls(CPUs)); the vfree that passes it unmaps them all, adjacent as they are, with one
 * call, and the next vmalloc gets the lowest address again.
 */
static void test_lazy_purge(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	struct kmb_vmalloc_stats s0, s;
	const unsigned long area = 16 + 1;	/* 64 KiB and its guard page, in pages */
	unsigned long first = 0, n, expect;
	char *p;

	(void)state;
	vm_boot(&c);
	s0 = vm_stats();
	expect = (unsigned long)(32 - __builtin_clz((unsigned int)nr_cpu_ids())) *
		 (32 * MiB / PAGE_SIZE);
	assert_int_equal(s0.lazy_max_pages, expect);
	n = s0.lazy_max_pages / area + 1;	/* the n-th free passes the limit */
	for (unsigned long i = 0; i < n; i++) {
		p = vmalloc(16 * PAGE_SIZE);
		assert_non_null(p);
		if (!i)
			first = (unsigned long)p;
		/* no freed range is reused before the purge: each area lies after the last */
		assert_int_equal((unsigned long)p, first + i * area * PAGE_SIZE);
		p[0] = 1;
		vfree(p);
		s = vm_stats();
		if (i + 1 < n) {
			assert_int_equal(s.lazy_pages, (i + 1) * area);
			assert_int_equal(s.unmap_calls, s0.unmap_calls);
			assert_int_equal(s.purges, 0);
		}
	}
	assert_int_equal(s.lazy_pages, 0);
	assert_int_equal(s.purges, 1);
	assert_int_equal(s.unmap_calls - s0.unmap_calls, 1);	/* one run, one call */
	assert_faults((char *)first, false);
	p = vmalloc(16 * PAGE_SIZE);
	assert_int_equal((unsigned long)p, first);
	vfree(p);
	check_vm();
}

static void test_map_merged(void **state)
{
	(void)state;
	map_calls(0);
}

static void test_map_per_frame(void **state)
{
	(void)state;
	map_calls(KMB_VMAP_NO_MERGE);
}

/* Minor faults while every page of a fresh area is written. */
static long touch_faults(unsigned int flags)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, flags);
	struct rusage r0, r1;
	char *p;

	vm_boot(&c);
	p = vmalloc(256 * PAGE_SIZE);
	assert_non_null(p);
	getrusage(RUSAGE_SELF, &r0);
	for (int i = 0; i < 256; i++)
		p[i * PAGE_SIZE] = 1;
	getrusage(RUSAGE_SELF, &r1);
	vfree(p);
	kmb_mm_teardown();
	return r1.ru_minflt - r0.ru_minflt;
}

static void test_populate(void **state)
{
	long lazy = touch_faults(0), populated = touch_faults(KMB_VMAP_POPULATE);

	(void)state;
	printf("[ INFO     ] faults writing 256 fresh pages: %ld mapped on demand, %ld populated\n",
	       lazy, populated);
	assert_true(lazy >= 256);
	assert_true(populated < 16);
}

/* --- running out of mappings (vm.max_map_count) --- */

#define CHILD_CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "child: " __VA_ARGS__);			\
			fputc('\n', stderr);					\
			_exit(1);						\
		}								\
	} while (0)

/*
 * In a child: vmap one frame over and over until the kernel refuses another mapping (each
 * area is a mapping of its own, and the guard pages between them split the reservation, so
 * about vm.max_map_count / 2 areas fit).  The refused vmap and a vmalloc that fails to map
 * leave the frames, the mapcounts and the window as they were; everything comes back.
 */
static void exhaust_mappings(void *arg)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	struct kmb_vmalloc_stats s0, s1;
	struct zone_free before, after;
	unsigned long n = 0, max = *(unsigned long *)arg;
	struct page *page;
	void **v;
	char why[256];

	vm_boot(&c);
	page = alloc_page(GFP_KERNEL);
	v = calloc(max, sizeof(*v));
	CHILD_CHECK(page && v, "no memory");
	while (n < max && (v[n] = vmap(&page, 1, VM_MAP, PAGE_KERNEL)))
		n++;
	s0 = vm_stats();
	CHILD_CHECK(n < max && s0.free_bytes > (1UL << 20), "the window filled (%lu areas) before "
		    "the mappings ran out", n);
	CHILD_CHECK(page->mapcount == (int)n, "mapcount %d after %lu vmaps", page->mapcount, n);
	CHILD_CHECK(s0.nr_vmap == n && s0.alloc_fail == 1, "%lu vmap areas, %lu failures",
		    s0.nr_vmap, s0.alloc_fail);
	before = zone_free();
	CHILD_CHECK(!vmalloc(8 * PAGE_SIZE), "a vmalloc mapped with no mappings left");
	after = zone_free();
	s1 = vm_stats();
	for (int z = 0; z < MAX_NR_ZONES; z++)
		CHILD_CHECK(before.pages[0][z] == after.pages[0][z], "zone %d: %lu free pages "
			    "before the failed vmalloc, %lu after", z, before.pages[0][z],
			    after.pages[0][z]);
	CHILD_CHECK(s1.free_bytes == s0.free_bytes && s1.nr_free_ranges == s0.nr_free_ranges &&
		    s1.nr_areas == s0.nr_areas && s1.alloc_fail == 2,
		    "the failed vmalloc changed the window");
	fprintf(stderr, "child: %lu vmap areas before mmap() refused\n", n);
	while (n)
		vunmap(v[--n]);
	CHILD_CHECK(page->mapcount == 0, "mapcount %d after every vunmap", page->mapcount);
	CHILD_CHECK(!kmb_vmalloc_check(why, sizeof(why)), "%s", why);
	CHILD_CHECK(vmalloc(8 * PAGE_SIZE), "no vmalloc after the mappings came back");
	free(v);
}

static void test_mapping_limit(void **state)
{
	unsigned long limit = 0, max;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	char *text;
	int status;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();		/* AddressSanitizer needs mappings of its own: it dies at the limit */
#endif
	if (!f || fscanf(f, "%lu", &limit) != 1 || limit > 200000) {
		if (f)
			fclose(f);
		printf("[ INFO     ] vm.max_map_count %lu: the window fills first; skipped\n",
		       limit);
		skip();
	}
	fclose(f);
	max = limit;
	status = run_in_child(exhaust_mappings, &max, &text);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child: %s %d:\n%s", WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), text);
	assert_contains(text, "vmap areas before mmap() refused");
	assert_lacks(text, "cannot take the mappings off");
	printf("[ INFO     ] vm.max_map_count %lu: %s", limit, strstr(text, "child: ") + 7);
}

/* --- misuse --- */

NAMED_CALLER void bad_vfree_inside(void *p)
{
	vfree((char *)p + PAGE_SIZE);
	keep_frame();
}

NAMED_CALLER void bad_vunmap_vmalloc(void *p)
{
	vunmap(p);
	keep_frame();
}

static void test_misuse_goes_on(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	unsigned long misuse;
	struct capture cap;
	char *p, *text, local;

	(void)state;
	vm_boot(&c);
	p = vmalloc(4 * PAGE_SIZE);
	assert_non_null(p);
	fill_bytes(p, 4 * PAGE_SIZE, 7);
	misuse = vm_stats().misuse;

	capture_begin(&cap);
	bad_vfree_inside(p);
	text = capture_end(&cap);
	assert_prefixed(text);
	assert_contains(text, "BUG: Trying to vfree() nonexistent vm area");
	assert_contains(text, "is inside (not at the start of) the vmalloc area");
	assert_contains(text, "caller: bad_vfree_inside+0x");
	assert_contains(text, "refused");
	assert_int_equal(vm_stats().misuse, misuse + 1);

	capture_begin(&cap);
	bad_vunmap_vmalloc(p);
	text = capture_end(&cap);
	assert_contains(text, "BUG: vunmap() of a vmalloc area");
	assert_contains(text, "caller: bad_vunmap_vmalloc+0x");
	assert_int_equal(vm_stats().misuse, misuse + 2);

	capture_begin(&cap);
	vfree(&local);
	iounmap(p);
	text = capture_end(&cap);
	assert_contains(text, "outside the vmalloc window");
	assert_contains(text, "BUG: iounmap: bad address");
	assert_int_equal(vm_stats().misuse, misuse + 4);

	/* All refused: the area is whole and still frees. */
	assert_int_equal(bytes_differ(p, 4 * PAGE_SIZE, 7, 0), -1);
	check_vm();
	vfree(p);
	capture_begin(&cap);
	vfree(p);
	text = capture_end(&cap);
	assert_contains(text, "never allocated, or already freed");
	assert_int_equal(vm_stats().misuse, misuse + 5);
	check_vm();
}

NAMED_CALLER void double_vfree(void *arg)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	void *p;

	(void)arg;
	c.debug = 1;
	boot(&c);
	p = vmalloc(PAGE_SIZE);
	vfree(p);
	vfree(p);
	keep_frame();
}

static void test_misuse_stops(void **state)
{
	char *text;
	int status = run_in_child(double_vfree, NULL, &text);

	(void)state;
	assert_child_aborts(status, text, "BUG: Trying to vfree() nonexistent vm area");
	assert_contains(text, "stopping on misuse");
	assert_contains(text, "caller: double_vfree+0x");
}

/* --- threads --- */

#define NR_THREADS	4
#define THREAD_OPS	1500

struct worker {
	pthread_t t;
	uint64_t seed;
	unsigned long errors;
};

static void *vm_worker(void *arg)
{
	struct worker *w = arg;
	struct { char *p; size_t n; unsigned long tag; } held[16] = { { 0 } };

	for (int op = 0; op < THREAD_OPS; op++) {
		unsigned int i = (unsigned int)(rnd(&w->seed) % 16);

		if (held[i].p) {
			w->errors += bytes_differ(held[i].p, held[i].n, held[i].tag, 0) >= 0;
			vfree(held[i].p);
			held[i].p = NULL;
			continue;
		}
		held[i].n = 1 + rnd(&w->seed) % (6 * PAGE_SIZE);
		held[i].tag = rnd(&w->seed);
		held[i].p = vmalloc(held[i].n);
		if (!held[i].p) {
			w->errors++;
			continue;
		}
		fill_bytes(held[i].p, held[i].n, held[i].tag);
	}
	for (int i = 0; i < 16; i++)
		if (held[i].p) {
			w->errors += bytes_differ(held[i].p, held[i].n, held[i].tag, 0) >= 0;
			vfree(held[i].p);
		}
	return NULL;
}

static void test_threads(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	uint64_t seed = seed_from_env("threads", 0x7472656164);
	struct worker w[NR_THREADS];
	struct zone_free before, after;

	(void)state;
	vm_boot(&c);
	before = zone_free();
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .seed = rnd(&seed) };
		assert_int_equal(pthread_create(&w[i].t, NULL, vm_worker, &w[i]), 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		assert_int_equal(pthread_join(w[i].t, NULL), 0);
		assert_int_equal(w[i].errors, 0);
	}
	after = zone_free();
	assert_zone_free_equal(&before, &after);
	assert_int_equal(vm_stats().nr_areas, 0);
	assert_int_equal(vm_stats().nr_free_ranges, 1);
	check_vm();
}

/* --- configuration --- */

static void expect_einval(struct kmb_mm_config c, const char *reason)
{
	char why[256] = "";

	assert_int_equal(kmb_mm_init(&c, why, sizeof(why)), -EINVAL);
	assert_contains(why, reason);
	assert_int_equal(VMALLOC_START, 0);	/* nothing left behind */
}

static void test_config(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0), bad;
	const struct kmb_mm_config *eff;
	char *p;

	(void)state;
	bad = c;
	bad.vmalloc_size = 12345;
	expect_einval(bad, "vmalloc window of 12345 bytes");
	bad.vmalloc_size = 1 * MiB - PAGE_SIZE;
	expect_einval(bad, "vmalloc window");
	bad = c;
	bad.iomem_size = PAGE_SIZE + 1;
	expect_einval(bad, "device memory of 4097 bytes");
	bad = c;
	bad.last_pkmap = KMB_LAST_PKMAP_MAX + 1;
	expect_einval(bad, "persistent kmap slots");
	bad = c;
	bad.vmap_flags = 0x10;
	expect_einval(bad, "vmap_flags 0x10");
	for (int round = 0; round < 3; round++) {	/* setup runs again after teardown */
		vm_boot(&c);
		eff = kmb_mm_config();
		assert_int_equal(eff->vmalloc_size, 1UL << 30);	/* 2 x 64 MiB, at least 1 GiB */
		assert_int_equal(eff->iomem_size, 16 * MiB);
		assert_int_equal(eff->last_pkmap, KMB_LAST_PKMAP_DEFAULT);
		assert_int_equal(VMALLOC_END - VMALLOC_START, 1UL << 30);
		assert_int_equal(vm_stats().vmalloc_total, 1UL << 30);
		p = vmalloc(PAGE_SIZE);
		assert_non_null(p);
		p[0] = 1;
		vfree(p);
		check_vm();
		kmb_mm_teardown();
	}
	c.node_mem = 1024 * MiB;
	vm_boot(&c);
	assert_int_equal(kmb_mm_config()->vmalloc_size, 2048 * MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_contents_lowmem, teardown),
		cmocka_unit_test_teardown(test_contents_highmem, teardown),
		cmocka_unit_test_teardown(test_zeroed, teardown),
		cmocka_unit_test_teardown(test_node, teardown),
		cmocka_unit_test_teardown(test_frames_back_lowmem, teardown),
		cmocka_unit_test_teardown(test_frames_back_highmem, teardown),
		cmocka_unit_test_teardown(test_larger_than_free, teardown),
		cmocka_unit_test_teardown(test_window_model, teardown),
		cmocka_unit_test_teardown(test_guard_page, teardown),
		cmocka_unit_test_teardown(test_vmap, teardown),
		cmocka_unit_test_teardown(test_vmallocinfo, teardown),
		cmocka_unit_test_teardown(test_map_merged, teardown),
		cmocka_unit_test_teardown(test_map_per_frame, teardown),
		cmocka_unit_test_teardown(test_lazy_purge, teardown),
		cmocka_unit_test_teardown(test_populate, teardown),
		cmocka_unit_test(test_mapping_limit),
		cmocka_unit_test_teardown(test_misuse_goes_on, teardown),
		cmocka_unit_test(test_misuse_stops),
		cmocka_unit_test_teardown(test_threads, teardown),
		cmocka_unit_test_teardown(test_config, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
