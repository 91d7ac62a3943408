/*
 * rseq.h - restartable sequences: kmbench's "this CPU, without locks or atomics".
 *
 * The kernel makes a per-CPU operation safe by disabling preemption (or by using one
 * instruction, x86's this_cpu_add on %gs).  User space cannot disable preemption; the honest
 * equivalent is a restartable sequence (rseq(2), Linux 4.18; registered for every thread by
 * glibc 2.35 and later): a short instruction range, described by a struct rseq_cs, that the
 * kernel restarts at an abort handler when the thread is preempted, migrated or signalled inside
 * it.  A sequence reads the CPU number from the thread's rseq area, computes that CPU's slot,
 * and ends in one store, the commit: either the whole sequence ran on one CPU without
 * interruption, or the commit did not happen.
 *
 * The primitives below are x86-64 inline assembly (other architectures fall back: see
 * kmb_rseq_usable()).  Every per-CPU slot they work on starts with a struct kmb_pcpu_guard; a
 * sequence whose slot's guard is not zero gives up (KMB_RSEQ_BUSY) so that the caller takes the
 * slot's slow path:
 *   lock  taken by kmb_rseq_lock(), itself a sequence, so only ever by a thread running on that
 *         CPU: any sequence of that CPU already under way was preempted by it and restarts,
 *         and every later one sees the lock.  The holder may then migrate and still own the slot.
 *   stop  set by kmb_pcpu_stop() (percpu.c) from any CPU, followed by
 *         membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) on the slot's CPU, which restarts a
 *         sequence under way there: after it no sequence can commit on the slot.
 *
 * Per-CPU slots are addressed as the kernel's per-CPU pointers (percpu.h): slot of @cpu =
 * pcpu pointer + __per_cpu_offset[cpu].
 *
 * The abort handler is preceded by the signature glibc registered (RSEQ_SIG, 0x53053053 on
 * x86), encoded as the operand of a ud1 instruction so that the bytes never execute.
 * See the kernel's include/uapi/linux/rseq.h and kernel/rseq.c for the ABI.
 */
#ifndef KMBENCH_RSEQ_H
#define KMBENCH_RSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/rseq.h>

#include "kmbench/tsan.h"

/* First word of every per-CPU slot touched by rseq sequences. */
struct kmb_pcpu_guard {
	uint32_t lock;		/* a slow path of this slot's CPU owns it (kmb_rseq_lock) */
	uint32_t stop;		/* another CPU owns it (kmb_pcpu_stop) */
};

/* Per-CPU offsets (percpu.c): the slot of @cpu is (char *)ptr + __per_cpu_offset[cpu]. */
#define KMB_NR_CPUS	1024
extern __attribute__((visibility("default"))) long __per_cpu_offset[KMB_NR_CPUS];

/* Results of a sequence that did not commit. */
#define KMB_RSEQ_BUSY	(-1)	/* the slot's guard is set: take the slow path */
#define KMB_RSEQ_MISS	(-2)	/* the condition failed (stack empty or full) */
#define KMB_RSEQ_DUP	(-3)	/* push: the pointer is already on top */

/* Set once by kmb_rseq_init(): rseq registered for this process and membarrier's RSEQ command
 * registered, on x86-64.  When false the callers use their locked fallback. */
extern __attribute__((visibility("default"))) bool kmb_rseq_ok;

#if defined(__x86_64__) && defined(__GNUC__)
#define KMB_HAVE_RSEQ_ASM 1

/* The descriptor (struct rseq_cs: version, flags, start_ip, post_commit_offset, abort_ip) at
 * local label 3, and its installation in rseq->rseq_cs (offset 8 of struct rseq). */
#define KMB_RSEQ_CS(start, post, abort)						\
	".pushsection __rseq_cs, \"aw\"\n\t"					\
	".balign 32\n\t"							\
	"3:\n\t"								\
	".long 0x0, 0x0\n\t"							\
	".quad " #start "f, (" #post "f - " #start "f), " #abort "f\n\t"	\
	".popsection\n\t"							\
	"leaq 3b(%%rip), %%rax\n\t"						\
	"movq %%rax, %%fs:8(%[rs])\n\t"

/* The abort handler, out of line, after the signature. */
#define KMB_RSEQ_ABORT(abort, label)						\
	".pushsection __rseq_failure, \"ax\"\n\t"				\
	".byte 0x0f, 0xb9, 0x3d\n\t"						\
	".long 0x53053053\n\t"							\
	#abort ":\n\t"								\
	"jmp %l[" #label "]\n\t"						\
	".popsection\n\t"

/* Load the stack pointer at slot + @off: an immediate offset when it is a constant (one register
 * fewer on the fast paths), a register otherwise.  KMB_RSEQ_WITH_OFF(stmt) expands @stmt with
 * the right pair; at -O0 no argument is a constant, so only the register form is compiled. */
#define KMB_RSEQ_LOAD_IMM	"movq %c[off](%%rdx), %%rdx\n\t"
#define KMB_RSEQ_LOAD_REG	"movq (%%rdx,%[off]), %%rdx\n\t"
#ifdef __OPTIMIZE__
#define KMB_RSEQ_WITH_OFF(stmt, off)						\
	do {									\
		if (__builtin_constant_p(off))					\
			stmt(KMB_RSEQ_LOAD_IMM, "i");				\
		else								\
			stmt(KMB_RSEQ_LOAD_REG, "r");				\
	} while (0)
#else
#define KMB_RSEQ_WITH_OFF(stmt, off)	stmt(KMB_RSEQ_LOAD_REG, "r")
#endif

/*
 * rax = this CPU; rdx = @slot + __per_cpu_offset[cpu], computed as [slot] (the per-CPU pointer
 * plus kmb_pcpu_base, KMB_RSEQ_BASE) + (cpu << KMB_PCPU_UNIT_SHIFT): the units lie at that
 * stride from one base (percpu.c), so a shift replaces the load of __per_cpu_offset[cpu], one
 * dependent load fewer between the CPU number and the slot on every fast path.
 */
#define KMB_PCPU_UNIT_SHIFT	20
extern __attribute__((visibility("default"))) long kmb_pcpu_base;
#define KMB_RSEQ_BASE(ptr)	((char *)(ptr) + kmb_pcpu_base)
#define KMB_RSEQ_STR_(x)	#x
#define KMB_RSEQ_STR(x)		KMB_RSEQ_STR_(x)
#define KMB_RSEQ_SLOT								\
	"movl %%fs:4(%[rs]), %%eax\n\t"						\
	"movq %%rax, %%rdx\n\t"							\
	"shlq $" KMB_RSEQ_STR(KMB_PCPU_UNIT_SHIFT) ", %%rdx\n\t"			\
	"addq %[slot], %%rdx\n\t"

/*
 * What TSan is told (tsan.h; nothing in other builds).  It sees none of the sequences below, so
 * each states the order the CPU gives them as releases and acquires of one synchronization
 * object per per-CPU cache, KMB_RSEQ_SYNC, the same for every CPU: one byte into CPU 0's copy
 * of its slots' guard (TSan keeps such objects beside memory the program mapped, which the
 * per-CPU pointer itself is not; and no atomic works at that address, whose release store
 * would replace the object's clock instead of adding to it):
 * a push releases it before its sequence, a pop that got an object acquires it after, and so do
 * the owners of a slot: kmb_rseq_lock acquires, the unlocks of percpu.c release, and the remote
 * stopper (kmb_pcpu_lock_cpu) acquires after its membarrier and releases before it lets the
 * sequences in again.  Correct because a sequence commits only on the CPU it runs on, one at a
 * time, and a thread that reads what another's sequence wrote runs after it there (the kernel
 * orders a context switch or a migration with full barriers: the scheduler's
 * smp_mb__after_spinlock(), kernel/sched/core.c; a restarted sequence wrote nothing).  A
 * release before the commit and an acquire after the read of it are therefore ordered by the
 * CPU as TSan expects.  One object for all the CPUs of a cache is coarser than the truth: it
 * orders two CPUs' pushes and pops that nothing orders, so in cpu-rseq mode TSan misses races
 * between threads that use the same cache's fast paths; the cpu-lock and thread runs of the
 * same tests (tests/CMakeLists.txt) are where it sees those paths as they are.
 */
#define KMB_RSEQ_SYNC(slot)	((char *)(slot) + __per_cpu_offset[0] + 1)
/*
 * The sequences are the *_seq functions, and the names callers use are always-inline wrappers
 * that add the annotations (after kmb_rseq_lock_seq); in every build but the tsan one they add
 * nothing.  KMB_RSEQ_LABEL(), first at each goto label of a sequence that returns a value,
 * is an empty asm in the tsan build and nothing in the others: gcc 12 drops the copy of a
 * constant on the edge from an asm goto with outputs to a label block that does nothing else
 * (the value merged at the return is the output's register instead, so a pop that missed
 * returned a wild pointer and kmb_rseq_lock that found the slot busy returned a CPU).  Inlined
 * into callers that test the result at once, as every caller but the wrappers' annotations
 * does, the label blocks go straight to the caller's branches and no such copy is needed; the
 * wrappers' annotation calls come between, so in their build the label blocks keep the empty
 * asm, where the copy can go.
 */
#if KMB_TSAN
#define KMB_RSEQ_LABEL()	__asm__ volatile("")
#else
#define KMB_RSEQ_LABEL()	do { } while (0)
#endif

/*
 * kmb_rseq_stack_pop - pop the top pointer of the stack {u32 count; u32 capacity; void *[]}
 * that the slot of this CPU points to at byte @off (slot + @off holds the stack's address).
 * Returns the pointer, or NULL with *@why KMB_RSEQ_BUSY (guard set) or KMB_RSEQ_MISS (empty).
 */
static inline __attribute__((always_inline)) void *
kmb_rseq_stack_pop_seq(void *slot, long off, int *why)
{
	void *obj;

restart:
#define KMB_RSEQ_POP_ASM(load, offc)						\
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)					\
		     "1:\n\t"							\
		     KMB_RSEQ_SLOT						\
		     "cmpq $0, (%%rdx)\n\t"					\
		     "jnz %l[busy]\n\t"					\
		     load							\
		     "movl (%%rdx), %%ecx\n\t"					\
		     "testl %%ecx, %%ecx\n\t"					\
		     "jz %l[miss]\n\t"					\
		     "movq (%%rdx,%%rcx,8), %[obj]\n\t"	/* objs[count - 1] */	\
		     "decl %%ecx\n\t"						\
		     "movl %%ecx, (%%rdx)\n\t"		/* commit */		\
		     "2:\n\t"							\
		     KMB_RSEQ_ABORT(4, abort)					\
		     : [obj] "=&r"(obj)						\
		     : [rs] "r"(__rseq_offset),					\
		       [slot] "r"(KMB_RSEQ_BASE(slot)), [off] offc(off)		\
		     : "rax", "rcx", "rdx", "memory", "cc"			\
		     : busy, miss, abort)
	KMB_RSEQ_WITH_OFF(KMB_RSEQ_POP_ASM, off);
#undef KMB_RSEQ_POP_ASM
	return obj;
abort:
	goto restart;
busy:
	KMB_RSEQ_LABEL();
	*why = KMB_RSEQ_BUSY;
	return NULL;
miss:
	KMB_RSEQ_LABEL();
	*why = KMB_RSEQ_MISS;
	return NULL;
}

/*
 * kmb_rseq_stack_push - push @obj on the stack of this CPU's slot (as kmb_rseq_stack_pop).
 * Returns 0, KMB_RSEQ_BUSY, KMB_RSEQ_MISS when the stack is full, or KMB_RSEQ_DUP (nothing
 * pushed) when @obj is already the top: the naive double-free check of the kernel's
 * CONFIG_SLAB_FREELIST_HARDENED set_freepointer().
 */
static inline __attribute__((always_inline)) int
kmb_rseq_stack_push_seq(void *slot, long off, void *obj)
{
restart:
#define KMB_RSEQ_PUSH_ASM(load, offc)						\
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)					\
		     "1:\n\t"							\
		     KMB_RSEQ_SLOT						\
		     "cmpq $0, (%%rdx)\n\t"					\
		     "jnz %l[busy]\n\t"					\
		     load							\
		     "movl (%%rdx), %%ecx\n\t"					\
		     "cmpl 4(%%rdx), %%ecx\n\t"				\
		     "jae %l[miss]\n\t"					\
		     "testl %%ecx, %%ecx\n\t"					\
		     "jz 5f\n\t"						\
		     "cmpq %[obj], (%%rdx,%%rcx,8)\n\t"	/* objs[count - 1] */	\
		     "je %l[dup]\n\t"						\
		     "5:\n\t"							\
		     "movq %[obj], 8(%%rdx,%%rcx,8)\n\t"				\
		     "incl %%ecx\n\t"						\
		     "movl %%ecx, (%%rdx)\n\t"		/* commit */		\
		     "2:\n\t"							\
		     KMB_RSEQ_ABORT(4, abort)					\
		     :								\
		     : [rs] "r"(__rseq_offset),					\
		       [slot] "r"(KMB_RSEQ_BASE(slot)), [off] offc(off), [obj] "r"(obj) \
		     : "rax", "rcx", "rdx", "memory", "cc"			\
		     : busy, miss, dup, abort)
	KMB_RSEQ_WITH_OFF(KMB_RSEQ_PUSH_ASM, off);
#undef KMB_RSEQ_PUSH_ASM
	return 0;
abort:
	goto restart;
busy:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_BUSY;
miss:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_MISS;
dup:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_DUP;
}

/*
 * kmb_rseq_list_pop - pop the first object of the list whose head is at @fast + 0 in this CPU's
 * slot, where @fast is the per-CPU pointer of {void *head; void *owner} and the slot's guard
 * is the 8 bytes before it; an object's next pointer is at @next_off in it (SLUB's c->freelist
 * and its free pointer at s->offset).  Returns the object, or NULL with *@why KMB_RSEQ_BUSY or
 * KMB_RSEQ_MISS (empty).  The kernel's fast path reads c->freelist and tid, then
 * this_cpu_cmpxchg_double()s them; here a preemption restarts the sequence instead.
 */
static inline __attribute__((always_inline)) void *
kmb_rseq_list_pop_seq(void *fast, long next_off, int *why)
{
	void *obj;

restart:
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)
		     "1:\n\t"
		     KMB_RSEQ_SLOT
		     "cmpq $0, -8(%%rdx)\n\t"
		     "jnz %l[busy]\n\t"
		     "movq (%%rdx), %[obj]\n\t"
		     "testq %[obj], %[obj]\n\t"
		     "jz %l[miss]\n\t"
		     "movq (%[obj],%[noff]), %%rcx\n\t"
		     "movq %%rcx, (%%rdx)\n\t"		/* commit */
		     "2:\n\t"
		     KMB_RSEQ_ABORT(4, abort)
		     : [obj] "=&r"(obj)
		     : [rs] "r"(__rseq_offset),
		       [slot] "r"(KMB_RSEQ_BASE(fast)), [noff] "r"(next_off)
		     : "rax", "rcx", "rdx", "memory", "cc"
		     : busy, miss, abort);
	return obj;
abort:
	goto restart;
busy:
	KMB_RSEQ_LABEL();
	*why = KMB_RSEQ_BUSY;
	return NULL;
miss:
	KMB_RSEQ_LABEL();
	*why = KMB_RSEQ_MISS;
	return NULL;
}

/*
 * kmb_rseq_list_push - push @obj on the list of this CPU's slot (as kmb_rseq_list_pop) when
 * the slot's owner word (@fast + 8: SLUB's c->slab) is @owner: its next pointer (at @next_off)
 * set to the head, then the head set to it.  Returns 0, KMB_RSEQ_BUSY, KMB_RSEQ_MISS (another
 * owner: the object is not of this CPU's slab), or KMB_RSEQ_DUP (nothing pushed) when @obj is
 * the head already: the naive double-free check of CONFIG_SLAB_FREELIST_HARDENED.
 */
static inline __attribute__((always_inline)) int
kmb_rseq_list_push_seq(void *fast, void *owner, void *obj, long next_off)
{
restart:
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)
		     "1:\n\t"
		     KMB_RSEQ_SLOT
		     "cmpq $0, -8(%%rdx)\n\t"
		     "jnz %l[busy]\n\t"
		     "cmpq %[owner], 8(%%rdx)\n\t"
		     "jne %l[miss]\n\t"
		     "movq (%%rdx), %%rcx\n\t"
		     "cmpq %%rcx, %[obj]\n\t"
		     "je %l[dup]\n\t"
		     "movq %%rcx, (%[obj],%[noff])\n\t"
		     "movq %[obj], (%%rdx)\n\t"		/* commit */
		     "2:\n\t"
		     KMB_RSEQ_ABORT(4, abort)
		     :
		     : [rs] "r"(__rseq_offset),
		       [slot] "r"(KMB_RSEQ_BASE(fast)), [owner] "r"(owner), [obj] "r"(obj),
		       [noff] "r"(next_off)
		     : "rax", "rcx", "rdx", "memory", "cc"
		     : busy, miss, dup, abort);
	return 0;
abort:
	goto restart;
busy:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_BUSY;
miss:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_MISS;
dup:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_DUP;
}

/*
 * kmb_rseq_lock - take the lock of this CPU's slot (its guard at @slot + __per_cpu_offset[cpu])
 * while running on that CPU.  Returns the CPU, or KMB_RSEQ_BUSY when the guard is set.  The
 * caller drops it with kmb_pcpu_unlock().
 */
static inline __attribute__((always_inline)) int kmb_rseq_lock_seq(void *slot)
{
	int cpu;

restart:
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)
		     "1:\n\t"
		     KMB_RSEQ_SLOT
		     "cmpq $0, (%%rdx)\n\t"
		     "jnz %l[busy]\n\t"
		     "movl %%eax, %[cpu]\n\t"
		     "movl $1, (%%rdx)\n\t"		/* commit */
		     "2:\n\t"
		     KMB_RSEQ_ABORT(4, abort)
		     : [cpu] "=&r"(cpu)
		     : [rs] "r"(__rseq_offset), [slot] "r"(KMB_RSEQ_BASE(slot))
		     : "rax", "rdx", "memory", "cc"
		     : busy, abort);
	return cpu;
abort:
	goto restart;
busy:
	KMB_RSEQ_LABEL();
	return KMB_RSEQ_BUSY;
}

/* The wrappers: what TSan is told about each sequence (above). */
static inline __attribute__((always_inline)) void *
kmb_rseq_stack_pop(void *slot, long off, int *why)
{
	void *obj = kmb_rseq_stack_pop_seq(slot, off, why);

	if (KMB_TSAN && obj)
		kmb_tsan_acquire(KMB_RSEQ_SYNC(slot));	/* from the push that put @obj there */
	return obj;
}

static inline __attribute__((always_inline)) int
kmb_rseq_stack_push(void *slot, long off, void *obj)
{
	kmb_tsan_release(KMB_RSEQ_SYNC(slot));		/* to the pop that will take @obj */
	return kmb_rseq_stack_push_seq(slot, off, obj);
}

/* The list's slot: its guard is the 8 bytes before @fast. */
#define KMB_RSEQ_LIST_SYNC(fast)	KMB_RSEQ_SYNC((char *)(fast) - sizeof(struct kmb_pcpu_guard))

static inline __attribute__((always_inline)) void *
kmb_rseq_list_pop(void *fast, long next_off, int *why)
{
	void *obj = kmb_rseq_list_pop_seq(fast, next_off, why);

	if (KMB_TSAN && obj)
		kmb_tsan_acquire(KMB_RSEQ_LIST_SYNC(fast));
	return obj;
}

static inline __attribute__((always_inline)) int
kmb_rseq_list_push(void *fast, void *owner, void *obj, long next_off)
{
	kmb_tsan_release(KMB_RSEQ_LIST_SYNC(fast));
	return kmb_rseq_list_push_seq(fast, owner, obj, next_off);
}

static inline __attribute__((always_inline)) int kmb_rseq_lock(void *slot)
{
	int cpu = kmb_rseq_lock_seq(slot);

	/* The slot's owner before us gave it back by an atomic release of lock, which TSan saw
	 * but not our taking it here, and released the cache's object: acquire both. */
	if (KMB_TSAN && cpu >= 0) {
		kmb_tsan_acquire((char *)slot + __per_cpu_offset[cpu]);
		kmb_tsan_acquire(KMB_RSEQ_SYNC(slot));
	}
	return cpu;
}

/* kmb_rseq_add - *(this CPU's copy of @p) += @v; the add is the commit. */
static inline __attribute__((always_inline)) void kmb_rseq_add(void *p, long v)
{
restart:
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)
		     "1:\n\t"
		     KMB_RSEQ_SLOT
		     "addq %[v], (%%rdx)\n\t"		/* commit */
		     "2:\n\t"
		     KMB_RSEQ_ABORT(4, abort)
		     :
		     : [rs] "r"(__rseq_offset), [slot] "r"(KMB_RSEQ_BASE(p)), [v] "er"(v)
		     : "rax", "rdx", "memory", "cc"
		     : abort);
	return;
abort:
	goto restart;
}

/*
 * kmb_rseq_add_s32_bounded - this CPU's s32 copy of @p += @v when the result stays within
 * (-@bound, @bound); returns 0 then, KMB_RSEQ_MISS (nothing changed) otherwise.  The fast path
 * of percpu_counter_add_batch.
 */
static inline __attribute__((always_inline)) int
kmb_rseq_add_s32_bounded(void *p, int32_t v, int32_t bound)
{
restart:
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)
		     "1:\n\t"
		     KMB_RSEQ_SLOT
		     "movl (%%rdx), %%ecx\n\t"
		     "addl %[v], %%ecx\n\t"
		     "jo %l[miss]\n\t"
		     "movl %%ecx, %%eax\n\t"
		     "negl %%eax\n\t"
		     "cmovsl %%ecx, %%eax\n\t"		/* |count + v| (INT_MIN stays negative) */
		     "cmpl %[bound], %%eax\n\t"
		     "jae %l[miss]\n\t"			/* unsigned: also catches INT_MIN */
		     "movl %%ecx, (%%rdx)\n\t"		/* commit */
		     "2:\n\t"
		     KMB_RSEQ_ABORT(4, abort)
		     :
		     : [rs] "r"(__rseq_offset), [slot] "r"(KMB_RSEQ_BASE(p)), [v] "r"(v),
		       [bound] "r"(bound)
		     : "rax", "rcx", "rdx", "memory", "cc"
		     : miss, abort);
	return 0;
abort:
	goto restart;
miss:
	return KMB_RSEQ_MISS;
}

/* kmb_rseq_xchg_s32 - replace this CPU's s32 copy of @p with @v; returns the old value. */
static inline __attribute__((always_inline)) int32_t kmb_rseq_xchg_s32(void *p, int32_t v)
{
	int32_t old;

restart:
	__asm__ goto(KMB_RSEQ_CS(1, 2, 4)
		     "1:\n\t"
		     KMB_RSEQ_SLOT
		     "movl (%%rdx), %[old]\n\t"
		     "movl %[v], (%%rdx)\n\t"		/* commit */
		     "2:\n\t"
		     KMB_RSEQ_ABORT(4, abort)
		     : [old] "=&r"(old)
		     : [rs] "r"(__rseq_offset), [slot] "r"(KMB_RSEQ_BASE(p)), [v] "r"(v)
		     : "rax", "rdx", "memory", "cc"
		     : abort);
	return old;
abort:
	goto restart;
}

#else
#define KMB_HAVE_RSEQ_ASM 0
#endif

/* The calling thread's rseq area, where glibc registered one (__rseq_size > 0). */
static inline __attribute__((always_inline)) const struct rseq *kmb_rseq_area(void)
{
	return (const struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/*
 * kmb_rseq_cpu_id - the CPU the thread runs on now, from its rseq area: the one place outside
 * the sequences above that reads it.  cpu_id_start is always a valid CPU number once rseq is
 * registered; call it only where __rseq_size > 0.  The thread may migrate right after.
 */
static inline __attribute__((always_inline)) unsigned int kmb_rseq_cpu_id(void)
{
	return __atomic_load_n(&kmb_rseq_area()->cpu_id_start, __ATOMIC_RELAXED);
}

/* kmb_current_cpu - the CPU the thread runs on now (smp_processor_id()): kmb_rseq_cpu_id(), or
 * kmb_current_cpu_slow() (base/os.c: sched_getcpu()) where rseq is not registered (valgrind,
 * glibc.pthread.rseq=0).  The thread may migrate right after. */
extern __attribute__((visibility("default"))) int kmb_current_cpu_slow(void);
static inline __attribute__((always_inline)) int kmb_current_cpu(void)
{
	if (__builtin_expect(__rseq_size > 0, 1))
		return (int)kmb_rseq_cpu_id();
	return kmb_current_cpu_slow();
}

#endif
