/*
 * tsan.h - ThreadSanitizer annotations: the orderings of the library that TSan cannot see.
 *
 * TSan builds happens-before from what it intercepts and instruments: pthread calls, C11 and
 * __atomic operations, and every plain load and store of compiled C.  Two mechanisms of the
 * per-CPU caches order memory outside all of that:
 *   - the rseq sequences of rseq.h are inline assembly: TSan sees neither their loads and
 *     stores nor that the CPU runs them one at a time (a sequence preempted restarts; only a
 *     thread running on the slot's CPU commits on it), so an object pushed by one thread and
 *     popped by the next on that CPU, or a slot handed from a fast path to the slow path that
 *     took its guard by a sequence, looks unordered to it;
 *   - membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) (kernel/sched/membarrier.c): the
 *     interrupt it sends restarts a sequence under way on the target CPU, so that after it no
 *     sequence commits on a stopped slot (percpu.c, kmb_pcpu_lock_cpu); TSan sees a system call.
 * At each such place kmb_tsan_release() and kmb_tsan_acquire() state the edge the hardware and
 * the kernel provide (__tsan_release and __tsan_acquire of <sanitizer/tsan_interface.h>: a
 * release and an acquire of a synchronization object at an address, as a lock's would be), with
 * a comment saying which ordering it is and why the code is correct.
 *
 *
 * The third kind is no ordering at all: a lockless peek at a counter that its writers change
 * under a lock, whose value is only a hint (checked again under the lock, or allowed to be
 * stale), as mm/slub.c reads a barn's counts and mm/page_alloc.c a zone's free areas.  The
 * kernel marks such reads data_race() (include/linux/compiler.h), which tells KCSAN the race is
 * intended; kmb_data_race(expr) is the same for TSan: the read is ignored (TSan's
 * AnnotateIgnoreReadsBegin/End, exported by its runtime).  Making the writers atomic instead
 * would add instructions to allocation paths that the instruction gate counts, for no change in
 * behaviour on any machine the code runs on (an aligned word is read whole).
 *
 * Without TSan (every build but the tsan preset's) all three expand to nothing (kmb_data_race to its
 * expression): no instruction is added to any path.  __SANITIZE_THREAD__ is gcc's
 * -fsanitize=thread; clang says it through __has_feature(thread_sanitizer).
 */
#ifndef KMBENCH_TSAN_H
#define KMBENCH_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define KMB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KMB_TSAN 1
#endif
#endif
#ifndef KMB_TSAN
#define KMB_TSAN 0
#endif

#if KMB_TSAN
#include <sanitizer/tsan_interface.h>
#define kmb_tsan_acquire(addr)	__tsan_acquire((void *)(addr))
#define kmb_tsan_release(addr)	__tsan_release((void *)(addr))
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define kmb_data_race(expr)							\
	({									\
		__typeof__(expr) kmb_dr_v_;					\
		AnnotateIgnoreReadsBegin(__FILE__, __LINE__);			\
		kmb_dr_v_ = (expr);						\
		AnnotateIgnoreReadsEnd(__FILE__, __LINE__);			\
		kmb_dr_v_;							\
	})
#else
#define kmb_tsan_acquire(addr)	((void)sizeof(addr))
#define kmb_tsan_release(addr)	((void)sizeof(addr))
#define kmb_data_race(expr)	(expr)
#endif

#endif
