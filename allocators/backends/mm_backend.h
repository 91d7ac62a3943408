/*
 * mm_backend.h - what the kernel-style backends (buddy, slab*, kmalloc) share: bringing up the
 * model of physical memory from the run's configuration, and reporting its state.
 */
#ifndef KMB_MM_BACKEND_H
#define KMB_MM_BACKEND_H

#include <stdbool.h>

#include "kmbench/backend.h"

/* kmb_mm_backend_init - kmb_mm_init() with the run's memory options; @slab also brings up the
 * slab layer (kmem_cache_init).  0, or -errno with one line in why. */
int kmb_mm_backend_init(const struct kmb_backend_config *cfg, bool slab, char *why,
			size_t whylen);
/* kmb_mm_backend_fini - tear down what init brought up. */
void kmb_mm_backend_fini(void);
/* The page allocator's state (nodes, buddyinfo, zoneinfo, fragmentation, counters) and, when
 * the slab layer is up, slabinfo and its counters. */
int kmb_mm_backend_stats(const struct kmb_stats_sink *sink);
/* kmb_mm_check() and, with the slab layer, kmem_cache_validate(). */
int kmb_mm_backend_check(char *why, size_t whylen);
/* The generation of the current init, bumped by every init: a cache remembered from an earlier
 * one is gone.  A variable, so the adapters' fast paths read it without a call. */
extern unsigned long kmb_mm_backend_gen;
static inline unsigned long kmb_mm_backend_generation(void)
{
	return kmb_mm_backend_gen;
}

#endif
