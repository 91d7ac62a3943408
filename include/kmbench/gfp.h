/*
 * gfp.h - Get Free Pages flags: who may sleep, who may dip into reserves, who must not fail.
 *
 * Names, meanings and the composite flags follow the Linux kernel's include/linux/gfp_types.h.
 * The bit values are kmbench's own (the kernel renumbers them between releases; nothing depends
 * on the numbers).  The kernel spells the modifiers with two leading underscores; we keep those
 * spellings so a kernel developer reads them without a glossary, and define no other reserved
 * identifiers.
 *
 * Today the baselines ignore every flag but __GFP_ZERO; the buddy allocator (issue 3) gives them
 * their full meaning.
 */
#ifndef KMBENCH_GFP_H
#define KMBENCH_GFP_H

typedef unsigned int gfp_t;

/* Zone modifiers (gfp_types.h "Physical address zone modifiers"). */
#define __GFP_DMA		(1u << 0)	/* allocate from ZONE_DMA */
#define __GFP_HIGHMEM		(1u << 1)	/* ZONE_HIGHMEM allowed: no linear address */
#define __GFP_DMA32		(1u << 2)
#define __GFP_MOVABLE		(1u << 3)

/* Page mobility and placement hints. */
#define __GFP_RECLAIMABLE	(1u << 4)
#define __GFP_WRITE		(1u << 5)
#define __GFP_HARDWALL		(1u << 6)	/* enforce the cpuset memory policy */
#define __GFP_THISNODE		(1u << 7)	/* the requested node only: no fallback */
#define __GFP_ACCOUNT		(1u << 8)

/* Watermark modifiers: access to emergency reserves. */
#define __GFP_HIGH		(1u << 9)	/* high priority: may go below the min watermark */
#define __GFP_MEMALLOC		(1u << 10)	/* all reserves; for freeing memory only */
#define __GFP_NOMEMALLOC	(1u << 11)	/* never use reserves */

/* Reclaim modifiers. */
#define __GFP_IO		(1u << 12)	/* may start physical I/O */
#define __GFP_FS		(1u << 13)	/* may call into the filesystem */
#define __GFP_DIRECT_RECLAIM	(1u << 14)	/* caller may sleep and reclaim itself */
#define __GFP_KSWAPD_RECLAIM	(1u << 15)	/* wake the background reclaimer */
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_RETRY_MAYFAIL	(1u << 16)	/* try hard, but may fail */
#define __GFP_NOFAIL		(1u << 17)	/* retry forever: never returns NULL */
#define __GFP_NORETRY		(1u << 18)	/* one light attempt, then fail */

/* Action modifiers. */
#define __GFP_NOWARN		(1u << 19)	/* no failure report */
#define __GFP_COMP		(1u << 20)	/* compound page metadata */
#define __GFP_ZERO		(1u << 21)	/* return zeroed memory */

/* Useful combinations (gfp_types.h "Useful GFP flag combinations"). */
#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)	/* never sleeps, may use reserves */
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)	/* may sleep */
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM)			/* never sleeps, no reserves */
#define GFP_NOIO	(__GFP_RECLAIM)				/* may sleep, no I/O */
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)		/* may sleep, no filesystem */
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA		__GFP_DMA
#define GFP_DMA32	__GFP_DMA32
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)

/* gfpflags_allow_blocking() (include/linux/gfp.h): may this allocation sleep? */
static inline int gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/* NUMA_NO_NODE (include/linux/numa.h): no node preference. */
#define NUMA_NO_NODE	(-1)

#endif
