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
 *   vmalloc        vmalloc_setup(): the mapping window and the kmap slots; highmem.c registers
 *                  page_address_hook here.  Linux's mm_core_init() calls vmalloc_init() after
 *                  kmem_cache_init() because its vmap_area nodes come from a slab cache; here
 *                  the window is a reservation and its nodes come from malloc, so it comes up
 *                  with the page layer in kmb_mm_setup(), before memblock hands over
 *   (page)         mem_init() (page_alloc.c): memblock's free ranges go to the buddy allocator
 *   slab           kmem_cache_init(): the kmalloc caches and the slab shrinker, once the buddy
 *                  allocator can give them pages (mm_core_init(): mem_init(), then
 *                  kmem_cache_init()); with the per-CPU mode and slub_debug set before by
 *                  kmb_slab_set_percpu() and kmb_slab_set_debug()
 *   mempool        nothing to call: pools are created over the layers above
 *
 * kmb_mm_setup() runs the first two (a caller that calls mem_init() itself then calls
 * kmem_cache_init() too), kmb_mm_init() all of them.  Teardown runs the other way, top down:
 * kmem_cache_exit() (idempotent: nothing when slab is not up), vmalloc, page.  kmb_mm_setup(),
 * kmb_mm_init() and kmb_mm_teardown() are called from one thread while no other thread uses
 * the library (kmbench/mm.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "kmbench/slab.h"
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

	if (r)
		return r;
	mem_init();
	r = kmem_cache_init();			/* mm_core_init(): kmem_cache_init() */
	if (r) {
		snprintf(why, whylen, "slab: cannot create the kmalloc caches: %d", r);
		kmb_mm_teardown();
	}
	return r;
}

void kmb_mm_teardown(void)
{
	kmem_cache_exit();
	vmalloc_teardown();
	page_alloc_teardown();
}
