/*
 * gfp.h - Get Free Pages flags: who may sleep, who may dip into reserves, who must not fail.
 *
 * Names, meanings, bit values and the composite flags are the Linux kernel's, as of 6.18
 * (include/linux/gfp_types.h, the ___GFP_*_BIT enumeration without the config-dependent bits:
 * 0x200 stays unused, and kmbench has no __GFP_ZEROTAGS, __GFP_SKIP_ZERO, __GFP_SKIP_KASAN,
 * __GFP_NOLOCKDEP or __GFP_NO_OBJ_EXT), so a mask reads the same here as in a kernel report or a
 * perf trace.  The kernel spells the modifiers with two leading underscores; we keep those
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
#define __GFP_DMA		0x01u	/* allocate from ZONE_DMA */
#define __GFP_HIGHMEM		0x02u	/* ZONE_HIGHMEM allowed: no linear address */
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u

/* Page mobility and placement hints. */
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_WRITE		0x1000u
#define __GFP_HARDWALL		0x100000u	/* enforce the cpuset memory policy */
#define __GFP_THISNODE		0x200000u	/* the requested node only: no fallback */
#define __GFP_ACCOUNT		0x400000u

/* Watermark modifiers: access to emergency reserves. */
#define __GFP_HIGH		0x20u		/* high priority: may go below the min watermark */
#define __GFP_MEMALLOC		0x20000u	/* all reserves; for freeing memory only */
#define __GFP_NOMEMALLOC	0x80000u	/* never use reserves */

/* Reclaim modifiers. */
#define __GFP_IO		0x40u		/* may start physical I/O */
#define __GFP_FS		0x80u		/* may call into the filesystem */
#define __GFP_DIRECT_RECLAIM	0x400u		/* caller may sleep and reclaim itself */
#define __GFP_KSWAPD_RECLAIM	0x800u		/* wake the background reclaimer */
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_RETRY_MAYFAIL	0x4000u		/* try hard, but may fail */
#define __GFP_NOFAIL		0x8000u		/* retry forever: never returns NULL */
#define __GFP_NORETRY		0x10000u	/* one light attempt, then fail */

/* Action modifiers. */
#define __GFP_NOWARN		0x2000u		/* no failure report */
#define __GFP_COMP		0x40000u	/* compound page metadata */
#define __GFP_ZERO		0x100u		/* return zeroed memory */

/* Useful combinations (gfp_types.h "Useful GFP flag combinations").  GFP_NOWAIT carries
 * __GFP_NOWARN since 6.18 (kernel commit 16f5dfbc851b): its failures are expected. */
#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)	/* never sleeps, may use reserves */
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)	/* may sleep */
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)	/* never sleeps, no reserves */
#define GFP_NOIO	(__GFP_RECLAIM)				/* may sleep, no I/O */
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)		/* may sleep, no filesystem */
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA		__GFP_DMA
#define GFP_DMA32	__GFP_DMA32
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)
#define GFP_TRANSHUGE_LIGHT ((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | \
			      __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE	(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

/*
 * KMB_GFP_NAMES(X) - every GFP name kmbench knows, X(NAME) each, in the order of the kernel's
 * name table (include/trace/events/mmflags.h, __def_gfpflag_names: the combinations with most
 * bits first, then one entry per bit in bit order).  A printer that takes each whole mask that
 * is still set, in this order, writes what the kernel writes (kmb_gfp_format, %pGg); a parser
 * reads both that and perf's show_gfp_flags() text.
 */
#define KMB_GFP_NAMES(X)						\
	X(GFP_TRANSHUGE) X(GFP_TRANSHUGE_LIGHT) X(GFP_HIGHUSER_MOVABLE)	\
	X(GFP_HIGHUSER) X(GFP_USER) X(GFP_KERNEL_ACCOUNT) X(GFP_KERNEL)	\
	X(GFP_NOFS) X(GFP_ATOMIC) X(GFP_NOIO) X(GFP_NOWAIT) X(GFP_DMA)	\
	X(GFP_DMA32) X(__GFP_RECLAIM)					\
	X(__GFP_DMA) X(__GFP_HIGHMEM) X(__GFP_DMA32) X(__GFP_MOVABLE)	\
	X(__GFP_RECLAIMABLE) X(__GFP_HIGH) X(__GFP_IO) X(__GFP_FS)	\
	X(__GFP_ZERO) X(__GFP_DIRECT_RECLAIM) X(__GFP_KSWAPD_RECLAIM)	\
	X(__GFP_WRITE) X(__GFP_NOWARN) X(__GFP_RETRY_MAYFAIL)		\
	X(__GFP_NOFAIL) X(__GFP_NORETRY) X(__GFP_MEMALLOC) X(__GFP_COMP)	\
	X(__GFP_NOMEMALLOC) X(__GFP_HARDWALL) X(__GFP_THISNODE)		\
	X(__GFP_ACCOUNT)

/* gfpflags_allow_blocking() (include/linux/gfp.h): may this allocation sleep? */
static inline int gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/* NUMA_NO_NODE (include/linux/numa.h): no node preference. */
#define NUMA_NO_NODE	(-1)

#endif
