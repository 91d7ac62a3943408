/*
 * mm_init.c - the boot order of the allocator layers, in one place (mm/mm_init.c).
 *
 * Each layer sets itself up and tears itself down; only this file knows the order, so no layer
 * calls the one above it.  Boot, bottom up:
 *
 *   base, percpu   nothing to call: the per-CPU areas set themselves up on first use
 *                  (setup_per_cpu_areas() under pthread_once)
 *   page           page_alloc_setup(): kmb_mm reset to the config, physical memory, the linear
 *                  map, memblock and mem_map (setup_arch(), free_area_init()), the page lists'
 *                  mode resolved
 *   vmalloc        vmalloc_setup(): the mapping window and the kmap slots (mm_core_init():
 *                  vmalloc_init()); highmem.c registers page_address_hook here
 *   slab, mempool  not booted here: the library's user calls kmem_cache_init() (kmalloc's
 *                  caches, the slab shrinker) after kmb_mm_init(), as kmbench/slab.h says, and
 *                  creates caches and pools (Linux's mm_core_init() calls kmem_cache_init())
 *
 * kmb_mm_init() then calls mem_init() (page_alloc.c): memblock's free ranges go to the buddy
 * allocator.  Teardown runs the other way, top down.  kmb_mm_setup() and kmb_mm_teardown() are
 * called from one thread while no other thread uses the library (kmbench/mm.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "page_alloc.h"
#include "vmalloc.h"

int kmb_mm_setup(const struct kmb_mm_config *cfg, char *why, size_t whylen)
{
	int r;

	if (kmb_memmap.vmemmap) {
		snprintf(why, whylen, "mm: already set up; kmb_mm_teardown() first");
		return -EBUSY;
	}
	r = page_alloc_setup(cfg, why, whylen);
	if (!r)
		r = vmalloc_setup(why, whylen);	/* mm_core_init(): vmalloc_init() */
	if (r)
		kmb_mm_teardown();
	return r;
}

int kmb_mm_init(const struct kmb_mm_config *cfg, char *why, size_t whylen)
{
	int r = kmb_mm_setup(cfg, why, whylen);

	if (!r)
		mem_init();
	return r;
}

void kmb_mm_teardown(void)
{
	vmalloc_teardown();
	page_alloc_teardown();
}
