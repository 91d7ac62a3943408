/*
 * percpu.h - per-CPU variables and counters: the kernel's per-CPU API in user space
 * (include/linux/percpu-defs.h, include/linux/percpu.h, include/linux/percpu_counter.h,
 * mm/percpu.c, lib/percpu_counter.c), and the per-CPU modes of the allocator layers.
 *
 * Each possible CPU has a unit: a page-aligned area of its own, bound (mbind) to that CPU's NUMA
 * node, so no two CPUs' copies ever share a cache line.  A unit begins with a copy of the static
 * per-CPU variables (DEFINE_PER_CPU, gathered by the linker in section "kmb_percpu"); the rest
 * serves __alloc_percpu().  As in the kernel, a per-CPU pointer is not dereferenced directly: the
 * copy of CPU @cpu is at pointer + __per_cpu_offset[cpu] (per_cpu_ptr).
 *
 * Where user space differs: a thread cannot disable preemption, so "this CPU" can change between
 * any two instructions.  Here:
 *   - get_cpu() returns the CPU the thread runs on now and pins nothing; put_cpu() does
 *     nothing.  this_cpu_ptr() is per_cpu_ptr(p, get_cpu()): a valid copy, perhaps no longer
 *     this CPU's.  Code that reads and writes a copy through it must be correct when another
 *     thread uses the same copy at once (a lock in the copy, or atomics).
 *   - this_cpu_add/sub/inc/dec are safe on any copy: a restartable sequence (rseq.h) where rseq
 *     is registered, an atomic add otherwise.  They are the kernel's this_cpu ops, not the
 *     __this_cpu ones, which assume preemption is off.
 *   - percpu_counter sums exactly once its writers stop: every update lands in exactly one
 *     copy or in the shared count.
 *
 * Context: setup_per_cpu_areas() runs once, before the first per-CPU access (__alloc_percpu,
 * nr_cpu_ids, kmb_percpu_unit_node and kmb_rseq_status call it; code whose only per-CPU data
 * are static variables calls it itself: before it, per_cpu_ptr() of a static variable is the
 * template and kmb_rseq_ok is false); the areas then live until the process exits.
 */
#ifndef KMBENCH_PERCPU_H
#define KMBENCH_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmbench/rseq.h"

#define KMB_PERCPU_API __attribute__((visibility("default")))

/* --- per-CPU modes of the allocator layers --- */

/*
 * How a layer's per-CPU caches (slab sheaves, page lists) are kept and protected:
 *   none      no per-CPU cache: every operation takes the shared (node or zone) lock;
 *   thread    per-thread caches, no lock (glibc's tcache): flushed when the thread exits;
 *   cpu-lock  per-CPU caches, each behind a spinlock (an atomic exchange per operation);
 *   cpu-rseq  per-CPU caches, fast paths as rseq sequences: no lock, no atomic.
 * KMB_PERCPU_DEFAULT asks for the layer's default: cpu-rseq where it works, else thread.
 */
enum kmb_percpu_mode {
	KMB_PERCPU_DEFAULT = 0,
	KMB_PERCPU_NONE,
	KMB_PERCPU_THREAD,
	KMB_PERCPU_CPU_LOCK,
	KMB_PERCPU_CPU_RSEQ,
};
#define KMB_PERCPU_MODES	"none, thread, cpu-lock, cpu-rseq"

KMB_PERCPU_API const char *kmb_percpu_mode_name(enum kmb_percpu_mode mode);
/* "none", "thread", "cpu-lock", "cpu-rseq": 0, or -EINVAL. */
KMB_PERCPU_API int kmb_percpu_mode_parse(const char *s, enum kmb_percpu_mode *mode);
/*
 * kmb_percpu_mode_resolve - the mode a layer runs in when @want is asked for: the same, except
 * that cpu-rseq (and the default) become cpu-lock where rseq cannot be used, and thread becomes
 * cpu-lock where membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which its drains need, cannot be
 * registered (Linux before 4.14); then, when @why is not NULL, one line on why.
 */
KMB_PERCPU_API enum kmb_percpu_mode kmb_percpu_mode_resolve(enum kmb_percpu_mode want,
							    char *why, size_t whylen);
/* Can rseq sequences be used here?  When not, the reason ("rseq not registered: ..."). */
KMB_PERCPU_API bool kmb_rseq_status(const char **why);

/* --- per-CPU areas (mm/percpu.c) --- */

#define __percpu
#define KMB_PCPU_UNIT_SIZE	(1UL << KMB_PCPU_UNIT_SHIFT)	/* bytes of each CPU's unit */

/* Static per-CPU variables: DEFINE_PER_CPU(int, hits); in another file DECLARE_PER_CPU. */
#define DECLARE_PER_CPU(type, name)	extern __typeof__(type) name
#define DEFINE_PER_CPU(type, name)	\
	__attribute__((section("kmb_percpu"), used)) __typeof__(type) name
#define DEFINE_PER_CPU_ALIGNED(type, name)	\
	__attribute__((section("kmb_percpu"), used, aligned(64))) __typeof__(type) name

/* setup_per_cpu_areas - map the units and copy the static variables in; idempotent.
 * 0, or -errno. */
KMB_PERCPU_API int setup_per_cpu_areas(void);
/* Number of possible CPUs: per-CPU copies exist for 0 .. nr_cpu_ids() - 1. */
KMB_PERCPU_API int nr_cpu_ids(void);
/* The NUMA node (of the machine) whose memory holds CPU @cpu's unit. */
KMB_PERCPU_API int kmb_percpu_unit_node(int cpu);
/* kmb_cpu_to_node - the machine's NUMA node of CPU @cpu (cpu_to_node()), as libnuma gives it
 * at setup: 0 where the machine does not tell, -1 outside 0 .. nr_cpu_ids() - 1.  With
 * nr_cpu_ids() the one record of the machine's CPUs; the page layer's model maps from it. */
KMB_PERCPU_API int kmb_cpu_to_node(int cpu);

#define per_cpu_ptr(ptr, cpu)	\
	((__typeof__(ptr))((uintptr_t)(ptr) + (uintptr_t)__per_cpu_offset[(cpu)]))
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), (cpu)))
#define raw_cpu_ptr(ptr)	per_cpu_ptr(ptr, kmb_current_cpu())
#define this_cpu_ptr(ptr)	raw_cpu_ptr(ptr)

static inline int get_cpu(void)
{
	return kmb_current_cpu();
}

static inline void put_cpu(void)
{
}

#define smp_processor_id()	kmb_current_cpu()

/*
 * __alloc_percpu - @size bytes for every possible CPU, aligned to @align (a power of two, at
 * most a page), zeroed; each CPU's copy in its own unit.  NULL when the units are full or
 * the arguments are wrong.  free_percpu(NULL) does nothing.
 */
KMB_PERCPU_API void __percpu *__alloc_percpu(size_t size, size_t align);
KMB_PERCPU_API void free_percpu(void __percpu *p);
#define alloc_percpu(type)	((type __percpu *)__alloc_percpu(sizeof(type), __alignof__(type)))
/* Bytes of each unit in use (static variables and allocations), for statistics. */
KMB_PERCPU_API size_t kmb_percpu_used(void);

/* --- this_cpu operations on 4- and 8-byte integers --- */

static inline __attribute__((always_inline)) void kmb_this_cpu_add8(void *p, long v)
{
#if KMB_HAVE_RSEQ_ASM
	if (__builtin_expect(kmb_rseq_ok, 1)) {
		kmb_rseq_add(p, v);
		return;
	}
#endif
	__atomic_fetch_add(per_cpu_ptr((long *)p, kmb_current_cpu()), v, __ATOMIC_RELAXED);
}

static inline __attribute__((always_inline)) void kmb_this_cpu_add4(void *p, int v)
{
	/* No 4-byte rseq add: one atomic add on the current copy is as safe. */
	__atomic_fetch_add(per_cpu_ptr((int *)p, kmb_current_cpu()), v, __ATOMIC_RELAXED);
}

#define this_cpu_add(pcp, val)							\
	do {									\
		_Static_assert(sizeof(pcp) == 4 || sizeof(pcp) == 8,		\
			       "this_cpu ops take 4- or 8-byte integers");	\
		if (sizeof(pcp) == 8)						\
			kmb_this_cpu_add8((void *)&(pcp), (long)(val));		\
		else								\
			kmb_this_cpu_add4((void *)&(pcp), (int)(val));		\
	} while (0)
#define this_cpu_sub(pcp, val)	this_cpu_add(pcp, -(val))
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	this_cpu_add(pcp, -1)
/* A load and a store on the copy this_cpu_ptr() picks, not sequences: a write can be undone by
 * an rseq this_cpu_add running on the CPU whose copy it hit (that add is atomic only against
 * its own CPU), so do not write a variable that other threads add to. */
#define this_cpu_read(pcp)	__atomic_load_n(this_cpu_ptr(&(pcp)), __ATOMIC_RELAXED)
#define this_cpu_write(pcp, v)	__atomic_store_n(this_cpu_ptr(&(pcp)), (v), __ATOMIC_RELAXED)

/* cpu_relax (arch/x86/include/asm/vdso/processor.h): the spin-wait hint, PAUSE on x86. */
static inline __attribute__((always_inline)) void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* --- per-CPU slot guards (rseq.h): the slow paths of the cpu-lock and cpu-rseq modes --- */

/*
 * kmb_pcpu_lock_here - own the slot of the CPU the thread runs on (its guard at @slot, a
 * per-CPU pointer); returns that CPU.  With @rseq the lock is taken by a sequence (no atomic),
 * otherwise by an atomic exchange; either way the owner may migrate and still own the slot.
 * kmb_pcpu_lock_cpu - own CPU @cpu's slot from anywhere: with @rseq it sets the slot's stop
 * word and restarts any sequence under way on @cpu (membarrier), then waits for the lock.
 * kmb_pcpu_unlock - give back the slot of @cpu taken by kmb_pcpu_lock_here;
 * kmb_pcpu_unlock_cpu - give back one taken by kmb_pcpu_lock_cpu.
 */
KMB_PERCPU_API int kmb_pcpu_lock_here(void __percpu *slot, bool rseq);
KMB_PERCPU_API void kmb_pcpu_lock_cpu(void __percpu *slot, int cpu, bool rseq);
KMB_PERCPU_API void kmb_pcpu_unlock(void __percpu *slot, int cpu);
KMB_PERCPU_API void kmb_pcpu_unlock_cpu(void __percpu *slot, int cpu, bool rseq);
/* Take and drop a guard with an atomic exchange (the cpu-lock fast paths); the slow part of
 * taking it waits, yielding to a holder that may have been preempted. */
KMB_PERCPU_API void kmb_pcpu_spin_lock_slow(struct kmb_pcpu_guard *g);
static inline __attribute__((always_inline)) void kmb_pcpu_spin_lock(struct kmb_pcpu_guard *g)
{
	if (__builtin_expect(!__atomic_exchange_n(&g->lock, 1, __ATOMIC_ACQUIRE), 1))
		return;
	kmb_pcpu_spin_lock_slow(g);
}

/* kmb_pcpu_spin_trylock - take @g if it is free, without waiting (the kernel's
 * pcp_spin_trylock(): a thread that migrated, or that races a drain, gives way).  The relaxed
 * load first keeps a busy guard's line shared. */
static inline __attribute__((always_inline)) bool kmb_pcpu_spin_trylock(struct kmb_pcpu_guard *g)
{
	return !__atomic_load_n(&g->lock, __ATOMIC_RELAXED) &&
	       !__atomic_exchange_n(&g->lock, 1, __ATOMIC_ACQUIRE);
}

static inline __attribute__((always_inline)) void kmb_pcpu_spin_unlock(struct kmb_pcpu_guard *g)
{
	__atomic_store_n(&g->lock, 0, __ATOMIC_RELEASE);
}

/*
 * --- per-CPU caches: the one mechanism under the page lists and the slab sheaves ---
 *
 * A per-CPU cache (struct kmb_pcpu_cache) is a layer's set of slots, one per CPU or one per
 * thread, each beginning with a struct kmb_pcpu_guard: the page allocator's per_cpu_pages of a
 * zone, a slab cache's sheaves.  Its mode is one of the four above; percpu.c keeps what every
 * client shares:
 *   cpu-lock, cpu-rseq  the slots come from __alloc_percpu(); the fast paths are the client's
 *                       (rseq.h's stack sequences, or the guard taken with an atomic);
 *   thread              a thread registry: one record per thread that has a slot (one pthread
 *                       key, one list, one lock, fork handled), holding the thread's slot of
 *                       each client by the client's id; ids are handed out by
 *                       kmb_pcpu_cache_init() and given back by kmb_pcpu_cache_destroy();
 *   none                no slots.
 * kmb_pcpu_cache_for_each() owns every slot of a cache, whatever its mode and whoever runs, and
 * calls a function on each: CPU slots through their guards (kmb_pcpu_lock_cpu), thread slots
 * through the drain protocol of percpu.c's opening comment (the slot's guard, the thread's fast
 * entry swapped for kmb_pcpu_bootstrap, membarrier, a wait for the thread to leave its fast
 * path).
 *
 * A thread's fast paths (thread mode) read the slot they work on from the thread's own table,
 * kmb_pcpu_self.fast[id] (a TLS variable: no registry, no lock, no atomic), between
 * kmb_pcpu_thread_enter() and kmb_pcpu_thread_leave().  What the entry points to is the client's
 * choice (the per_cpu_pages, or the main sheaf itself); it is &kmb_pcpu_bootstrap while the
 * thread has no slot yet and while a drainer owns it, and the owner's slow path (which owns the
 * slot through its guard) sets it again with kmb_pcpu_thread_publish().
 */
#define KMB_PCPU_MAX_IDS	1024	/* thread-mode clients at once: zones and slab caches */

/*
 * What a thread's fast entry holds when it has no slot, or a drainer owns it: a stack that is
 * empty and has no room, whichever way a client reads it.  Its first two 32-bit words (a
 * stack's count and capacity, or a slot's guard) are 0, and each pointer after them points back
 * at it, so that a slot whose stacks hang off pointers (per_cpu_pages) also finds them empty and
 * full.  Both fast paths miss on it and go to the slow path.  Never written.  Aligned to a
 * cache line, as the most aligned slot type (struct per_cpu_pages) is.
 */
#define KMB_PCPU_BOOTSTRAP_PTRS	8
struct kmb_pcpu_bootstrap {
	uint32_t zero[2];
	const struct kmb_pcpu_bootstrap *self[KMB_PCPU_BOOTSTRAP_PTRS];
} __attribute__((aligned(64)));
extern KMB_PERCPU_API const struct kmb_pcpu_bootstrap kmb_pcpu_bootstrap;

/* Each thread's fast table: @active is 1 while the thread is inside a thread-mode fast path. */
struct kmb_pcpu_self {
	uint32_t active;
	uint32_t _pad;
	void *fast[KMB_PCPU_MAX_IDS];	/* by client id; &kmb_pcpu_bootstrap: no slot, or stopped */
};
/* Not exported (the layers use it, a user has no need to): hidden, so that the linker makes its
 * TLS offset a constant rather than a load from the GOT. */
extern __thread struct kmb_pcpu_self kmb_pcpu_self;

/*
 * kmb_pcpu_thread_enter - start a thread-mode fast path on client @id: raise active, then read
 * the fast entry (only the compiler must keep that order: the drainer's membarrier() orders
 * them on the CPU).  kmb_pcpu_thread_leave - end it, after every access to the slot (a release
 * store: the drainer that sees active 0 sees them).  A fast path that misses leaves before it
 * calls its slow path, which may wait for a drainer.
 */
static inline __attribute__((always_inline)) void *kmb_pcpu_thread_enter(int id)
{
	__atomic_store_n(&kmb_pcpu_self.active, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#if KMB_TSAN
	/* The drainer's store is atomic (percpu.c, threads_stop), and so is this load for TSan;
	 * the instruction is the same. */
	return __atomic_load_n(&kmb_pcpu_self.fast[id], __ATOMIC_RELAXED);
#else
	/* volatile, not an atomic load: the same load, but addressed %fs-relative */
	return *(void *volatile *)&kmb_pcpu_self.fast[id];
#endif
}

static inline __attribute__((always_inline)) void kmb_pcpu_thread_leave(void)
{
	__atomic_store_n(&kmb_pcpu_self.active, 0, __ATOMIC_RELEASE);
}

/* The fast paths' dispatch (struct kmb_pcpu_cache.fast): thread and cpu-rseq are the two values
 * below 2, so that one compare tells the three cases apart. */
enum kmb_pcpu_fast {
	KMB_PCPU_FAST_THREAD = 0,
	KMB_PCPU_FAST_RSEQ = 1,
	KMB_PCPU_FAST_OTHER = 2,	/* cpu-lock and none: their paths are out of line */
};

struct kmb_pcpu_cache;
/* Called on a slot the caller owns; @who is the CPU, or -1, -2, ... for threads. */
typedef int (*kmb_pcpu_visit_fn)(struct kmb_pcpu_cache *pc, void *slot, int who, void *arg);

struct kmb_pcpu_cache {
	unsigned int fast;		/* enum kmb_pcpu_fast, from mode */
	enum kmb_percpu_mode mode;	/* resolved: never DEFAULT */
	int id;				/* thread mode: index of kmb_pcpu_self.fast; else -1 */
	void __percpu *slots;		/* cpu-lock, cpu-rseq: each CPU's slot */
	/* Thread mode, set by the client before kmb_pcpu_cache_init: */
	void *(*thread_new)(struct kmb_pcpu_cache *pc);	/* a new slot, guard zeroed; NULL */
	void (*thread_exit)(struct kmb_pcpu_cache *pc, void *slot);	/* give back and free */
	/* Any mode, optional: is the slot empty (KMB_PCPU_NONEMPTY skips it)?  A racy look. */
	bool (*empty)(const void *slot);
};

/*
 * kmb_pcpu_cache_init - set up @pc in @mode (resolved, see kmb_percpu_mode_resolve): cpu modes
 * get zeroed slots of @slot_size bytes aligned to @align, thread mode an id.  0, -ENOMEM,
 * -ENOSPC when every id is taken, or -ENOSYS for thread mode without membarrier.  kmb_pcpu_cache_destroy - own every slot once more; thread
 * slots go to thread_exit and the id is free again; the CPU slots are freed (after the client
 * has emptied them).
 */
KMB_PERCPU_API int kmb_pcpu_cache_init(struct kmb_pcpu_cache *pc, enum kmb_percpu_mode mode,
				       size_t slot_size, size_t align);
/*
 * For a client whose fast path finds its id by arithmetic (the page lists: a base plus the
 * zone's index, from the freed page's own fields, one dependent load less than reading an id):
 * kmb_pcpu_ids_run - the first of @n consecutive free ids, or -ENOSPC;
 * kmb_pcpu_cache_init_id - kmb_pcpu_cache_init taking id @id in thread mode (-EBUSY when it is
 * taken: call both while no other thread makes thread-mode clients).
 */
KMB_PERCPU_API int kmb_pcpu_ids_run(int n);
KMB_PERCPU_API int kmb_pcpu_cache_init_id(struct kmb_pcpu_cache *pc, enum kmb_percpu_mode mode,
					  size_t slot_size, size_t align, int id);
KMB_PERCPU_API void kmb_pcpu_cache_destroy(struct kmb_pcpu_cache *pc);

/*
 * kmb_pcpu_cache_lock_here - own the calling CPU's slot (cpu modes; *@who the CPU) or the
 * calling thread's (thread mode; *@who -1, the slot made on first use); the owner may migrate
 * and still own it.  With @try, NULL when it is busy (a drain, or another thread's slow path)
 * instead of waiting; NULL also in mode none, and when a thread's slot cannot be made.
 * kmb_pcpu_cache_unlock - give it back.
 */
KMB_PERCPU_API void *kmb_pcpu_cache_lock_here(struct kmb_pcpu_cache *pc, int *who, bool try);
KMB_PERCPU_API void kmb_pcpu_cache_unlock(struct kmb_pcpu_cache *pc, void *slot, int who);

/* kmb_pcpu_thread_publish - the owner of its thread slot (kmb_pcpu_cache_lock_here) sets what
 * its fast paths will read. */
static inline void kmb_pcpu_thread_publish(const struct kmb_pcpu_cache *pc, void *fast)
{
	__atomic_store_n(&kmb_pcpu_self.fast[pc->id], fast, __ATOMIC_RELAXED);
}

/*
 * kmb_pcpu_cache_for_each - call @fn on every slot of @pc (every CPU's, or every registered
 * thread's); stops at the first nonzero return and returns it.  With KMB_PCPU_OWN each slot is
 * owned for the call, while its CPU's or thread's fast paths go on elsewhere; without, @fn sees
 * a snapshot.  KMB_PCPU_NONEMPTY skips the slots pc->empty finds empty before owning them.
 * Call with no slot of @pc owned.
 */
#define KMB_PCPU_OWN		0x1
#define KMB_PCPU_NONEMPTY	0x2
KMB_PERCPU_API int kmb_pcpu_cache_for_each(struct kmb_pcpu_cache *pc, unsigned int flags,
					   kmb_pcpu_visit_fn fn, void *arg);
/* Test hook: skip the drain protocol's wait for threads inside a fast path (a planted fault
 * that the concurrency test must catch); false by default. */
KMB_PERCPU_API void kmb_pcpu_test_skip_wait(bool skip);

/* --- percpu_counter (include/linux/percpu_counter.h) --- */

struct percpu_counter {
	int lock;				/* taken to fold a copy into count */
	int64_t count;				/* the shared part */
	int32_t __percpu *counters;		/* each CPU's part, below batch in size */
};
/* percpu_counter_batch: max(32, 2 * nr_cpu_ids), as lib/percpu_counter.c computes it. */
KMB_PERCPU_API int32_t kmb_percpu_counter_batch(void);

/* percpu_counter_init - 0, or -ENOMEM. */
KMB_PERCPU_API int percpu_counter_init(struct percpu_counter *fbc, int64_t amount);
KMB_PERCPU_API void percpu_counter_destroy(struct percpu_counter *fbc);
/* percpu_counter_add_batch - add @amount; a copy reaching @batch in size is folded into count.
 * Inline where rseq works: one sequence on this CPU's copy; everything else out of line. */
KMB_PERCPU_API void __percpu_counter_add_batch(struct percpu_counter *fbc, int64_t amount,
					       int32_t batch);
/* percpu_counter_batch once the areas are set up (percpu_counter_init sets them up). */
extern KMB_PERCPU_API int32_t percpu_counter_batch;

static inline __attribute__((always_inline)) void
percpu_counter_add_batch(struct percpu_counter *fbc, int64_t amount, int32_t batch)
{
#if KMB_HAVE_RSEQ_ASM
	if (__builtin_expect(kmb_rseq_ok, 1) && amount > -batch && amount < batch &&
	    !kmb_rseq_add_s32_bounded(fbc->counters, (int32_t)amount, batch))
		return;
#endif
	__percpu_counter_add_batch(fbc, amount, batch);
}
/* The exact value: count plus every copy (exact once no writer runs). */
KMB_PERCPU_API int64_t percpu_counter_sum(struct percpu_counter *fbc);
KMB_PERCPU_API void percpu_counter_set(struct percpu_counter *fbc, int64_t amount);
/* -1, 0, 1 as the counter is below, at or above @rhs; exact sum only when needed. */
KMB_PERCPU_API int __percpu_counter_compare(struct percpu_counter *fbc, int64_t rhs,
					    int32_t batch);

static inline void percpu_counter_add(struct percpu_counter *fbc, int64_t amount)
{
	percpu_counter_add_batch(fbc, amount, percpu_counter_batch);
}
static inline void percpu_counter_sub(struct percpu_counter *fbc, int64_t amount)
{
	percpu_counter_add(fbc, -amount);
}
static inline void percpu_counter_inc(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, 1);
}
static inline void percpu_counter_dec(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, -1);
}
/* The approximate value: off by less than batch per CPU. */
static inline int64_t percpu_counter_read(struct percpu_counter *fbc)
{
	return __atomic_load_n(&fbc->count, __ATOMIC_RELAXED);
}
static inline int64_t percpu_counter_read_positive(struct percpu_counter *fbc)
{
	int64_t v = percpu_counter_read(fbc);

	return v > 0 ? v : 0;
}
static inline int64_t percpu_counter_sum_positive(struct percpu_counter *fbc)
{
	int64_t v = percpu_counter_sum(fbc);

	return v > 0 ? v : 0;
}
static inline int percpu_counter_compare(struct percpu_counter *fbc, int64_t rhs)
{
	return __percpu_counter_compare(fbc, rhs, kmb_percpu_counter_batch());
}

#endif
