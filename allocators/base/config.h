/*
 * config.h - the library's compile-time tunables in one place (STYLE.md 7): the debug level
 * and the statistics level, with their defaults and checks, and the macros that switch on
 * them; and KMB_SLOW_FASTPATH, the slowed build of the gates' test (below).  Included by
 * lib.h, so every layer sees the same values.  Set from CMake's cache options
 * KMB_DEBUG_LEVEL, KMB_STAT and KMB_SLOW_FASTPATH (allocators/CMakeLists.txt); the defaults
 * here are a Release build's.
 *
 * KMB_DEBUG, as mimalloc's MI_DEBUG (include/mimalloc/types.h):
 *   0  no assertions (Release);
 *   1  kmb_assert(): cheap checks of invariants, on slow paths only;
 *   2  + kmb_assert_internal(): validators called inside assertions on slow paths (a buddy
 *      block's frames, a slab's freelist and inuse count, a vmap_area against the trees),
 *      and the tail-frame checks of every page allocation and free (Debug, Sanitize);
 *   3  + kmb_expensive_assert(): whole-structure validators on more paths (the window's
 *      trees after every change, a slab's every object).
 * An assertion that fails is a bug in the allocator, not misuse by its caller: it is
 * reported ("BUG: assertion failed", the expression, file:line) and always stops the process,
 * as mimalloc's _mi_assert_fail() does.  Misuse by the caller goes through kmb_misuse_end()
 * (lib.h), under the run-time policy of kmb_mm_config.debug.
 *
 * KMB_STAT, as the kernel's CONFIG_VM_EVENT_COUNTERS and CONFIG_SLUB_STATS:
 *   0  no event counters at all: the fast paths count nothing (the cpu-rseq page free loses
 *      its second rseq sequence); what reads them reports them unavailable (kmb_stat_level());
 *   1  the counters the kernel always keeps: vm events (pgalloc, pgfree, allocstall, ...),
 *      the numbers of /proc/slabinfo (default);
 *   2  + CONFIG_SLUB_STATS-like detail: the sheaves' slow paths (alloc_slow, free_slow).
 * State that the allocator works from (free pages, a zone's or slab's counts, the slab
 * shrinker's tally of freed slabs, misuse counts) is not a statistic and is always kept.
 */
#ifndef KMB_ALLOC_CONFIG_H
#define KMB_ALLOC_CONFIG_H

#ifndef KMB_DEBUG
#define KMB_DEBUG	0
#endif
#ifndef KMB_STAT
#define KMB_STAT	1
#endif
_Static_assert(KMB_DEBUG >= 0 && KMB_DEBUG <= 3, "KMB_DEBUG is a level, 0 to 3");
_Static_assert(KMB_STAT >= 0 && KMB_STAT <= 2, "KMB_STAT is a level, 0 to 2");

/*
 * KMB_SLOW_FASTPATH: a deliberately slowed build, for the proof that the benchmark gates can
 * fail (tests/cli/gates.sh, README "Gates").  N > 0 puts a loop of N volatile increments into
 * the slab allocation fast path (slab_alloc_node(), so kmem_cache_alloc and kmalloc), about 5
 * instructions and a store-to-load forward each: a regression that the instruction gate and
 * the timed gate must both see.  0 (always, outside that test) compiles it to nothing.  Set
 * from CMake's cache option of the same name (allocators/CMakeLists.txt).
 */
#ifndef KMB_SLOW_FASTPATH
#define KMB_SLOW_FASTPATH	0
#endif
_Static_assert(KMB_SLOW_FASTPATH >= 0 && KMB_SLOW_FASTPATH <= 100000,
	       "KMB_SLOW_FASTPATH is a count of volatile operations, 0 to 100000");

#if KMB_SLOW_FASTPATH
static inline __attribute__((always_inline)) void kmb_slow_fastpath(void)
{
	volatile unsigned int delay = 0;

	for (unsigned int i = 0; i < KMB_SLOW_FASTPATH; i++)
		delay = delay + 1;
}
#else
#define kmb_slow_fastpath()	do { } while (0)
#endif

/*
 * Assertions.  Below their level they compile to nothing, but the expression is still
 * type-checked (inside sizeof, not evaluated), so a validator named only in assertions does
 * not rot.  Validators return true for valid (mimalloc: mi_assert_internal(mi_page_is_valid(p))).
 */
#define KMB_ASSERT_LEVEL(level, expr)						\
	((KMB_DEBUG >= (level)) ? (__builtin_expect(!!(expr), 1) ? (void)0 :	\
		kmb_assert_fail(#expr, __FILE__, __LINE__, __func__)) :		\
	 (void)sizeof(!(expr)))
#define kmb_assert(expr)		KMB_ASSERT_LEVEL(1, expr)
#define kmb_assert_internal(expr)	KMB_ASSERT_LEVEL(2, expr)
#define kmb_expensive_assert(expr)	KMB_ASSERT_LEVEL(3, expr)

/*
 * Statistics: KMB_STAT_ADD(level, counter, n) adds @n to the lvalue @counter when KMB_STAT is
 * at least @level, and compiles to nothing otherwise (the counter is still type-checked).
 * Each layer names its own on top: count_vm_events() (page), slub_stat() (slab).
 */
#define KMB_STAT_ADD(level, counter, n)					\
	do {								\
		if (KMB_STAT >= (level))				\
			(counter) += (n);				\
	} while (0)
#define KMB_STAT_ATOMIC_ADD(level, counter, n)				\
	do {								\
		if (KMB_STAT >= (level))				\
			atomic_fetch_add_explicit(&(counter), (n), memory_order_relaxed); \
	} while (0)

#endif
