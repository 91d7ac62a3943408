/*
 * percpu.c - per-CPU areas, per-CPU allocation, slot guards, percpu_counter, and the per-CPU
 * caches of the allocator layers (kmbench/percpu.h, kmbench/rseq.h).
 *
 * The areas (mm/percpu.c's first chunk, without later chunks): one reservation of
 * nr_cpu_ids units of KMB_PCPU_UNIT_SIZE bytes, each bound to its CPU's node before it is
 * touched.  A unit starts with the static variables (the "kmb_percpu" section, copied in at its
 * offset in its page); the rest is handed out by __alloc_percpu() in 64-byte granules (first fit
 * over a bitmap, under a mutex: allocation is rare, access is what is fast).  A per-CPU pointer
 * is its offset in the unit plus the address of the template's page, so that per_cpu_ptr() is
 * one addition for static and dynamic variables alike, as in the kernel, and a dynamic pointer
 * is as aligned as its allocation.
 *
 * Per-CPU caches (struct kmb_pcpu_cache): the page allocator's per-CPU lists and the slab
 * sheaves are clients of one mechanism, in whichever of the four modes each runs.  CPU slots
 * are __alloc_percpu() memory owned through their guards (kmb_pcpu_lock_here on the CPU,
 * kmb_pcpu_lock_cpu from anywhere).  Thread slots hang off the thread registry: a record per
 * thread that has one (struct pcpu_thread: the slots by client id, and a pointer to the
 * thread's kmb_pcpu_self), on one list under one lock, given back by one pthread key's
 * destructor, which hands each slot to its client's thread_exit (in passes, as giving back one
 * client's slot may make another's: sheaves flushed free pages onto the thread's page lists).
 *
 * Owning another thread's slot while it runs (the drain protocol, kmb_pcpu_cache_for_each).
 * The owner's fast path takes no lock and no atomic: it stores self.active = 1, then (with only
 * a compiler barrier between) loads its fast entry self.fast[id]; it works on what that points
 * to with plain loads and stores, and ends with a release store of active = 0.  It leaves
 * (active = 0) before it takes any slow path.  A drainer takes the slot's guard (which keeps the
 * owner's slow paths out: they own the slot through the same guard), stores
 * fast[id] = &kmb_pcpu_bootstrap, runs membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), and waits
 * until the thread's active is 0; then the slot is the drainer's until it drops the guard.  This
 * is an asymmetric Dekker (liburcu's membarrier flavour), the stop word being the fast entry
 * itself, so the fast path pays no load for it:
 *   - membarrier returns only after every CPU running one of our threads has run a full
 *     barrier (and a thread not running passed one when it was switched out, and passes one
 *     when switched in).  Take the point in the owner's program where that barrier falls.  If
 *     the owner's load of fast[id] comes after it, the load sees the bootstrap (the drainer's
 *     store came before membarrier): an empty stack with no room, so the fast path misses,
 *     leaves, and its slow path waits for the guard.  If the load comes before it, so does the
 *     store of active = 1 (program order, kept by the compiler barrier; the barrier drains the
 *     store buffer), and the drainer's load of active after membarrier sees 1, or the 0 stored
 *     when that fast path ended, whose release makes the path's writes to the slot visible.
 *     Either way no fast path runs on the slot once the wait is over.
 *   - Preemption or migration inside the fast path leaves active = 1 for as long as it lasts:
 *     the drainer waits (yielding after a while).  The owner never waits for anything between
 *     its store of 1 and its store of 0, so the wait ends.
 *   - Signal handlers must not use thread-mode fast paths (they are not async-signal-safe,
 *     like glibc's tcache): a handler's fast path would clear the active of the one it
 *     interrupted.
 * After the drain the fast entry stays the bootstrap: the owner's next fast path misses and its
 * slow path, owning the slot, publishes the entry again (kmb_pcpu_thread_publish).  The owner
 * pays two stores per operation and no load; the drainer a system call per drain of all threads.
 * Thread mode resolves to cpu-lock where membarrier cannot be registered.
 *
 * Lock order: threads_lock (recursive: a drain's function may give a thread its first slot of
 * another client, which registers the thread), then the slots' guards of one client, then what
 * the client takes under them (a zone's lock, a barn's, a node's list_lock, and the guards of
 * the clients below: a slab cache's drain frees pages onto the drainer's page lists).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmbench/percpu.h"
#include "lib.h"
#include "placement.h"

#define GRANULE		64
#define NR_GRANULES	(KMB_PCPU_UNIT_SIZE / GRANULE)
#define MAX_ALIGN	4096	/* the largest alignment __alloc_percpu() gives */

long __per_cpu_offset[KMB_NR_CPUS];
/* __per_cpu_offset[cpu] == kmb_pcpu_base + cpu * KMB_PCPU_UNIT_SIZE (rseq.h's KMB_RSEQ_SLOT) */
long kmb_pcpu_base;
bool kmb_rseq_ok;

/* The static template, from the linker; absent (0) when no variable is defined. */
extern char __start_kmb_percpu[] __attribute__((weak));
extern char __stop_kmb_percpu[] __attribute__((weak));

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int setup_err;
static char *units;			/* unit of cpu c at units + c * KMB_PCPU_UNIT_SIZE */
static uintptr_t template_base;		/* per-CPU pointer of unit offset 0 */
static int nr_cpus;
static int cpu_node[KMB_NR_CPUS];		/* the machine's node of each CPU */
static int unit_node[KMB_NR_CPUS];		/* where its unit lies, -1 unbound */
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t used_map[NR_GRANULES / 64];	/* granules in use */
static uint32_t alloc_len[NR_GRANULES];		/* granules of the allocation starting here */
static size_t first_dynamic;			/* first granule after the static variables */
static const char *rseq_why = "rseq not checked yet";

/*
 * kmb_rseq_init - decide once whether the sequences of rseq.h may run: x86-64, rseq registered
 * by glibc for this thread (not under valgrind, not with glibc.pthread.rseq=0), and membarrier's
 * RSEQ command registered (Linux 5.10), which kmb_pcpu_lock_cpu() needs.
 */
static void kmb_rseq_init(void)
{
	int cmds, r;

	kmb_rseq_ok = false;
	if (!KMB_HAVE_RSEQ_ASM) {
		rseq_why = "rseq sequences are written for x86-64 only";
		return;
	}
	r = kmb_rseq_registered();
	if (r == -ENOSYS) {
		rseq_why = "rseq not registered (glibc.pthread.rseq=0, valgrind, or a kernel "
			   "before 4.18)";
		return;
	}
	if (r) {
		rseq_why = "rseq registration failed for this thread";
		return;
	}
	cmds = kmb_membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ)) {
		rseq_why = "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) unavailable "
			   "(Linux before 5.10)";
		return;
	}
	if (kmb_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) < 0) {
		rseq_why = "membarrier RSEQ registration failed";
		return;
	}
	rseq_why = NULL;
	kmb_rseq_ok = true;
}

bool kmb_rseq_status(const char **why)
{
	setup_per_cpu_areas();
	if (why)
		*why = rseq_why;
	return kmb_rseq_ok;
}

static void do_setup(void)
{
	size_t static_size = (size_t)(__stop_kmb_percpu - __start_kmb_percpu);
	/*
	 * A per-CPU pointer is template_base + its unit offset, and code takes members of one
	 * before per_cpu_ptr() (&pcp->pgfree[order]), so it must be as aligned as its type: the
	 * base is the start of the template's page, whatever the alignment of the "kmb_percpu"
	 * section, and the static copy sits at the template's offset in that page (head).
	 */
	size_t head = (uintptr_t)__start_kmb_percpu % MAX_ALIGN;
	size_t total;

	nr_cpus = kmb_numa_possible_cpus();
	if (nr_cpus < 1)
		nr_cpus = 1;
	static_size += head;
	if (nr_cpus > KMB_NR_CPUS || static_size > KMB_PCPU_UNIT_SIZE / 2) {
		fprintf(stderr, "kmbench: per-CPU areas: %d possible CPUs (at most %d), %zu bytes "
			"of static variables (at most %lu)\n", nr_cpus, KMB_NR_CPUS, static_size,
			KMB_PCPU_UNIT_SIZE / 2);
		setup_err = -ENOMEM;
		return;
	}
	total = (size_t)nr_cpus * KMB_PCPU_UNIT_SIZE;
	units = kmb_mmap(NULL, total, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (units == MAP_FAILED) {
		units = NULL;
		setup_err = -errno;
		return;
	}
	template_base = (uintptr_t)__start_kmb_percpu - head;
	kmb_pcpu_base = (long)((uintptr_t)units - template_base);
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		char *unit = units + (size_t)cpu * KMB_PCPU_UNIT_SIZE;

		/* Each CPU's unit on its node (pcpu_alloc_first_chunk's node-local units); a node
		 * the machine lacks leaves the unit where the first touch puts it. */
		cpu_node[cpu] = unit_node[cpu] = kmb_numa_node_of_cpu(cpu);
		if (kmb_numa_bind(unit, KMB_PCPU_UNIT_SIZE, unit_node[cpu]))
			unit_node[cpu] = -1;
		if (static_size)
			memcpy(unit + head, __start_kmb_percpu, static_size - head);
		__per_cpu_offset[cpu] = (long)((uintptr_t)unit - template_base);
	}
	/* Dynamic allocations after the static part; never at offset 0, so that a per-CPU
	 * pointer is never NULL even without static variables. */
	first_dynamic = (static_size + GRANULE - 1) / GRANULE;
	if (!first_dynamic)
		first_dynamic = 1;
	for (size_t g = 0; g < first_dynamic; g++)
		used_map[g / 64] |= 1ULL << (g % 64);
	/* lib/percpu_counter.c compute_batch_value(): max(32, 2 * nr_cpus) */
	percpu_counter_batch = 2 * nr_cpus > 32 ? 2 * nr_cpus : 32;
	kmb_rseq_init();
}

int setup_per_cpu_areas(void)
{
	pthread_once(&setup_once, do_setup);
	return setup_err;
}

int nr_cpu_ids(void)
{
	setup_per_cpu_areas();
	return nr_cpus;
}

int kmb_percpu_unit_node(int cpu)
{
	setup_per_cpu_areas();
	return cpu >= 0 && cpu < nr_cpus ? unit_node[cpu] : -1;
}

int kmb_cpu_to_node(int cpu)
{
	setup_per_cpu_areas();
	return cpu >= 0 && cpu < nr_cpus ? cpu_node[cpu] : -1;
}

static bool granule_used(size_t g)
{
	return used_map[g / 64] >> (g % 64) & 1;
}

void __percpu *__alloc_percpu(size_t size, size_t align)
{
	size_t n, step, g, found = 0;

	if (setup_per_cpu_areas() || !size || size > KMB_PCPU_UNIT_SIZE / 2 ||
	    (align & (align - 1)) || align > 4096)
		return NULL;
	n = (size + GRANULE - 1) / GRANULE;
	step = align > GRANULE ? align / GRANULE : 1;
	pthread_mutex_lock(&alloc_lock);
	for (g = (first_dynamic + step - 1) / step * step; g + n <= NR_GRANULES; g += step) {
		size_t i;

		for (i = 0; i < n && !granule_used(g + i); i++)
			;
		if (i == n) {
			found = g;
			break;
		}
	}
	if (found) {
		for (size_t i = 0; i < n; i++)
			used_map[(found + i) / 64] |= 1ULL << ((found + i) % 64);
		alloc_len[found] = (uint32_t)n;
	}
	pthread_mutex_unlock(&alloc_lock);
	if (!found)
		return NULL;
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		memset(units + (size_t)cpu * KMB_PCPU_UNIT_SIZE + found * GRANULE, 0, n * GRANULE);
	return (void *)(template_base + found * GRANULE);
}

void free_percpu(void __percpu *p)
{
	size_t g;

	if (!p)
		return;
	g = ((uintptr_t)p - template_base) / GRANULE;
	pthread_mutex_lock(&alloc_lock);
	if (g < first_dynamic || g >= NR_GRANULES || !alloc_len[g]) {
		pthread_mutex_unlock(&alloc_lock);
		kmb_misuse_begin("free_percpu: %p is not a per-CPU allocation", p);
		kmb_misuse_end(KMB_LAYER_PERCPU, "the free was refused");
		return;
	}
	kmb_assert(g + alloc_len[g] <= NR_GRANULES && granule_used(g) &&
		   granule_used(g + alloc_len[g] - 1));
	for (size_t i = 0; i < alloc_len[g]; i++)
		used_map[(g + i) / 64] &= ~(1ULL << ((g + i) % 64));
	alloc_len[g] = 0;
	pthread_mutex_unlock(&alloc_lock);
}

size_t kmb_percpu_used(void)
{
	size_t n = 0;

	pthread_mutex_lock(&alloc_lock);
	for (size_t g = 0; g < NR_GRANULES; g++)
		n += granule_used(g);
	pthread_mutex_unlock(&alloc_lock);
	return n * GRANULE;
}

/* --- modes --- */

static const char *const mode_names[] = {
	[KMB_PERCPU_DEFAULT] = "default",
	[KMB_PERCPU_NONE] = "none",
	[KMB_PERCPU_THREAD] = "thread",
	[KMB_PERCPU_CPU_LOCK] = "cpu-lock",
	[KMB_PERCPU_CPU_RSEQ] = "cpu-rseq",
};

const char *kmb_percpu_mode_name(enum kmb_percpu_mode mode)
{
	return (unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]) ?
	       mode_names[mode] : "?";
}

int kmb_percpu_mode_parse(const char *s, enum kmb_percpu_mode *mode)
{
	for (unsigned int m = KMB_PERCPU_NONE; m <= KMB_PERCPU_CPU_RSEQ; m++)
		if (s && !strcmp(s, mode_names[m])) {
			*mode = (enum kmb_percpu_mode)m;
			return 0;
		}
	return -EINVAL;
}

static bool membarrier_ok;
static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;

/* Thread mode needs MEMBARRIER_CMD_PRIVATE_EXPEDITED (Linux 4.14): registered once. */
static void membarrier_register(void)
{
	membarrier_ok = !kmb_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
}

static bool thread_mode_ok(void)
{
	pthread_once(&membarrier_once, membarrier_register);
	return membarrier_ok;
}

enum kmb_percpu_mode kmb_percpu_mode_resolve(enum kmb_percpu_mode want, char *why,
					     size_t whylen)
{
	const char *reason;

	if (why && whylen)
		*why = '\0';
	if (want == KMB_PERCPU_THREAD) {
		if (thread_mode_ok())
			return want;
		if (why && whylen)
			snprintf(why, whylen, "thread unavailable, cpu-lock used: membarrier("
				 "MEMBARRIER_CMD_PRIVATE_EXPEDITED) cannot be registered (Linux "
				 "before 4.14)");
		return KMB_PERCPU_CPU_LOCK;
	}
	if (want != KMB_PERCPU_DEFAULT && want != KMB_PERCPU_CPU_RSEQ)
		return want;
	if (kmb_rseq_status(&reason))
		return KMB_PERCPU_CPU_RSEQ;
	/*
	 * Without rseq the default is thread: like the kernel's this_cpu fast paths (and unlike
	 * cpu-lock's sched_getcpu() and atomic exchange) it takes no atomic and no system call,
	 * so the instructions valgrind counts for it, where rseq never runs, are those of a
	 * per-CPU fast path.  An explicit cpu-rseq asks for per-CPU caches: cpu-lock.
	 */
	if (want == KMB_PERCPU_DEFAULT && thread_mode_ok()) {
		if (why && whylen)
			snprintf(why, whylen, "cpu-rseq unavailable, thread used: %s", reason);
		return KMB_PERCPU_THREAD;
	}
	if (why && whylen)
		snprintf(why, whylen, "cpu-rseq unavailable, cpu-lock used: %s", reason);
	return KMB_PERCPU_CPU_LOCK;
}

/* --- slot guards --- */

/* The n-th wait for something another thread holds: spin a while, then yield, for the holder
 * may have been preempted. */
static void backoff(unsigned int n)
{
	if (n >= 64)
		sched_yield();
	else
		cpu_relax();
}

void kmb_pcpu_spin_lock_slow(struct kmb_pcpu_guard *g)
{
	for (unsigned int spins = 0; !kmb_pcpu_spin_trylock(g); spins++)
		backoff(spins);
}

int kmb_pcpu_lock_here(void __percpu *slot, bool rseq)
{
	int cpu;

#if KMB_HAVE_RSEQ_ASM
	if (rseq) {
		for (unsigned int spins = 0; (cpu = kmb_rseq_lock(slot)) < 0; spins++)
			backoff(spins);
		return cpu;
	}
#endif
	(void)rseq;
	cpu = kmb_current_cpu();
	kmb_pcpu_spin_lock(per_cpu_ptr((struct kmb_pcpu_guard *)slot, cpu));
	return cpu;
}

void kmb_pcpu_lock_cpu(void __percpu *slot, int cpu, bool rseq)
{
	struct kmb_pcpu_guard *g = per_cpu_ptr((struct kmb_pcpu_guard *)slot, cpu);

	if (!rseq) {
		kmb_pcpu_spin_lock(g);
		return;
	}
	/* One stopper at a time per slot. */
	for (;;) {
		uint32_t zero = 0;

		if (__atomic_compare_exchange_n(&g->stop, &zero, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
		sched_yield();
	}
	/* Restart any sequence under way on @cpu: after this none can commit on the slot. */
	if (kmb_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, cpu) < 0)
		kmb_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0);
	/* A slow path of that CPU may own the slot: wait for it. */
	while (__atomic_load_n(&g->lock, __ATOMIC_ACQUIRE))
		sched_yield();
	/*
	 * TSan sees the system call, not the interrupt: the sequences that committed on @cpu
	 * before it (their pushes released the cache's object, rseq.h) are ordered before us by
	 * the barrier each target CPU runs in ipi_rseq() and the one membarrier() runs after it
	 * (kernel/sched/membarrier.c), and none commits after it until we clear stop.
	 */
	kmb_tsan_acquire(KMB_RSEQ_SYNC(slot));
}

void kmb_pcpu_unlock(void __percpu *slot, int cpu)
{
	kmb_tsan_release(KMB_RSEQ_SYNC(slot));	/* to the next pop of the slot (rseq.h) */
	__atomic_store_n(&per_cpu_ptr((struct kmb_pcpu_guard *)slot, cpu)->lock, 0,
			 __ATOMIC_RELEASE);
}

void kmb_pcpu_unlock_cpu(void __percpu *slot, int cpu, bool rseq)
{
	struct kmb_pcpu_guard *g = per_cpu_ptr((struct kmb_pcpu_guard *)slot, cpu);

	if (KMB_TSAN && rseq)
		kmb_tsan_release(KMB_RSEQ_SYNC(slot));	/* to the sequences let in again (rseq.h) */
	__atomic_store_n(rseq ? &g->stop : &g->lock, 0, __ATOMIC_RELEASE);
}

/* --- per-CPU caches (opening comment) --- */

const struct kmb_pcpu_bootstrap kmb_pcpu_bootstrap = {
	.self = { [0 ... KMB_PCPU_BOOTSTRAP_PTRS - 1] = &kmb_pcpu_bootstrap },
};

__thread struct kmb_pcpu_self kmb_pcpu_self = {
	.fast = { [0 ... KMB_PCPU_MAX_IDS - 1] = (void *)&kmb_pcpu_bootstrap },
};

/* A thread's record on the registry. */
struct pcpu_thread {
	struct list_head node;		/* on pcpu_threads */
	struct kmb_pcpu_self *self;	/* the thread's kmb_pcpu_self; &dead_self after fork */
	bool owned;			/* its slot is owned by the drain under way */
	void *slots[KMB_PCPU_MAX_IDS];	/* by client id; NULL: none */
};

static pthread_mutex_t threads_lock;
static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static struct list_head pcpu_threads = { &pcpu_threads, &pcpu_threads };
static pthread_key_t thread_key;
static int thread_key_err;
static __thread struct pcpu_thread *this_thread;
static struct kmb_pcpu_cache *clients[KMB_PCPU_MAX_IDS];	/* by id, under threads_lock */
static struct kmb_pcpu_self dead_self;	/* stands for the threads fork left behind */
static bool skip_wait;			/* kmb_pcpu_test_skip_wait */

static void threads_lock_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&threads_lock, &a);
	pthread_mutexattr_destroy(&a);
}

static struct kmb_pcpu_guard *slot_guard(void *slot)
{
	return slot;
}

/* The pthread key's destructor: every slot of the exiting thread to its client, in passes
 * (giving one back may make another), then the record off the registry. */
static void pcpu_thread_exit(void *arg)
{
	struct pcpu_thread *t = arg;
	bool again = true;

	pthread_mutex_lock(&threads_lock);
	while (again) {
		again = false;
		for (int id = 0; id < KMB_PCPU_MAX_IDS; id++) {
			void *slot = t->slots[id];

			if (!slot)
				continue;
			/* No drainer runs (we hold threads_lock): the guard is free. */
			kmb_pcpu_spin_lock(slot_guard(slot));
			kmb_pcpu_self.fast[id] = (void *)&kmb_pcpu_bootstrap;
			t->slots[id] = NULL;
			clients[id]->thread_exit(clients[id], slot);
			again = true;
		}
	}
	list_del(&t->node);
	if (this_thread == t)
		this_thread = NULL;
	pthread_mutex_unlock(&threads_lock);
	free(t);
}

/* After fork() only the forking thread runs: the other records stay, with their slots (a drain
 * gives their contents back), but their kmb_pcpu_self is gone with their threads. */
static void pcpu_atfork_child(void)
{
	struct list_head *pos;

	threads_lock_init();
	list_for_each(pos, &pcpu_threads) {
		struct pcpu_thread *t = list_entry(pos, struct pcpu_thread, node);

		if (t != this_thread)
			t->self = &dead_self;
		t->owned = false;
		for (int id = 0; id < KMB_PCPU_MAX_IDS; id++)
			if (t->slots[id])
				*slot_guard(t->slots[id]) = (struct kmb_pcpu_guard){ 0, 0 };
	}
}

static void threads_init(void)
{
	threads_lock_init();
	thread_key_err = pthread_key_create(&thread_key, pcpu_thread_exit);
	if (!thread_key_err)
		pthread_atfork(NULL, NULL, pcpu_atfork_child);
}

int kmb_pcpu_ids_run(int n)
{
	int base = -ENOSPC, run = 0;

	pthread_once(&threads_once, threads_init);
	pthread_mutex_lock(&threads_lock);
	for (int id = 0; id < KMB_PCPU_MAX_IDS && base < 0; id++) {
		run = clients[id] ? 0 : run + 1;
		if (run == n)
			base = id - n + 1;
	}
	pthread_mutex_unlock(&threads_lock);
	return base;
}

int kmb_pcpu_cache_init(struct kmb_pcpu_cache *pc, enum kmb_percpu_mode mode,
			size_t slot_size, size_t align)
{
	return kmb_pcpu_cache_init_id(pc, mode, slot_size, align, -1);
}

int kmb_pcpu_cache_init_id(struct kmb_pcpu_cache *pc, enum kmb_percpu_mode mode,
			   size_t slot_size, size_t align, int want)
{
	pc->mode = mode;
	pc->fast = mode == KMB_PERCPU_THREAD ? KMB_PCPU_FAST_THREAD :
		   mode == KMB_PERCPU_CPU_RSEQ ? KMB_PCPU_FAST_RSEQ : KMB_PCPU_FAST_OTHER;
	pc->id = -1;
	pc->slots = NULL;
	if (mode == KMB_PERCPU_CPU_LOCK || mode == KMB_PERCPU_CPU_RSEQ) {
		pc->slots = __alloc_percpu(slot_size, align);
		return pc->slots ? 0 : -ENOMEM;
	}
	if (mode != KMB_PERCPU_THREAD)
		return 0;
	/* The drains need membarrier (a mode from kmb_percpu_mode_resolve has it). */
	if (!thread_mode_ok())
		return -ENOSYS;
	pthread_once(&threads_once, threads_init);
	if (thread_key_err)
		return -ENOMEM;
	pthread_mutex_lock(&threads_lock);
	for (int id = want < 0 ? 0 : want; id < KMB_PCPU_MAX_IDS; id++) {
		if (!clients[id]) {
			clients[id] = pc;
			pc->id = id;
			break;
		}
		if (want >= 0)
			break;
	}
	pthread_mutex_unlock(&threads_lock);
	return pc->id >= 0 ? 0 : want >= 0 ? -EBUSY : -ENOSPC;
}

static bool threads_stop(struct kmb_pcpu_cache *pc, unsigned int flags);

void kmb_pcpu_cache_destroy(struct kmb_pcpu_cache *pc)
{
	if (pc->mode == KMB_PERCPU_THREAD && pc->id >= 0) {
		struct list_head *pos;

		pthread_mutex_lock(&threads_lock);
		threads_stop(pc, 0);
		/* Every slot to its client; the fast entries are the bootstrap since the stop, so
		 * the id is clean for the next client. */
		list_for_each(pos, &pcpu_threads) {
			struct pcpu_thread *t = list_entry(pos, struct pcpu_thread, node);
			void *slot = t->slots[pc->id];

			if (t->owned) {
				t->slots[pc->id] = NULL;
				pc->thread_exit(pc, slot);
			}
			t->owned = false;
		}
		clients[pc->id] = NULL;
		pthread_mutex_unlock(&threads_lock);
		pc->id = -1;
	}
	free_percpu(pc->slots);
	pc->slots = NULL;
}

/* The calling thread's slot of @pc, made (and the thread registered) on first use; NULL when
 * there is no memory for it. */
static void *thread_slot(struct kmb_pcpu_cache *pc)
{
	struct pcpu_thread *t = this_thread;
	void *slot;

	if (t && t->slots[pc->id])
		return t->slots[pc->id];
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->self = &kmb_pcpu_self;
		INIT_LIST_HEAD(&t->node);
		if (pthread_setspecific(thread_key, t)) {
			free(t);
			return NULL;
		}
		this_thread = t;
	}
	slot = pc->thread_new(pc);
	if (!slot)
		return NULL;
	/* Without threads_lock: only this thread puts its record on the list, and whoever links
	 * another record after it changes its next pointer from one list node to another, never
	 * to the record itself (a race on purpose: tsan.h). */
	if (kmb_data_race(list_empty(&t->node))) {
		/* The thread's first slot: it holds no guard, so it may wait for a drain. */
		pthread_mutex_lock(&threads_lock);
		t->slots[pc->id] = slot;
		list_add_tail(&t->node, &pcpu_threads);
		pthread_mutex_unlock(&threads_lock);
	} else {
		/* Without the lock: the caller may own another slot of its own, which a drainer
		 * holding the lock waits for.  A drainer sees the new slot, or not; the owner's
		 * slow path takes its guard before it uses it. */
		__atomic_store_n(&t->slots[pc->id], slot, __ATOMIC_RELEASE);
	}
	return slot;
}

void *kmb_pcpu_cache_lock_here(struct kmb_pcpu_cache *pc, int *who, bool try)
{
	const bool rseq = pc->mode == KMB_PERCPU_CPU_RSEQ;
	void *slot;
	int cpu;

	switch (pc->mode) {
	case KMB_PERCPU_THREAD:
		*who = -1;
		slot = thread_slot(pc);
		if (!slot)
			return NULL;
		if (!try)
			kmb_pcpu_spin_lock(slot_guard(slot));
		else if (!kmb_pcpu_spin_trylock(slot_guard(slot)))
			return NULL;
		return slot;
	case KMB_PERCPU_CPU_LOCK:
	case KMB_PERCPU_CPU_RSEQ:
		if (!try) {
			cpu = kmb_pcpu_lock_here(pc->slots, rseq);
		} else if (rseq) {
#if KMB_HAVE_RSEQ_ASM
			cpu = kmb_rseq_lock(pc->slots);
#else
			cpu = -1;
#endif
		} else {
			cpu = kmb_current_cpu();
			if (!kmb_pcpu_spin_trylock(per_cpu_ptr((struct kmb_pcpu_guard *)pc->slots,
								cpu)))
				cpu = -1;
		}
		*who = cpu;
		return cpu < 0 ? NULL : per_cpu_ptr((char *)pc->slots, cpu);
	default:
		*who = -1;
		return NULL;
	}
}

void kmb_pcpu_cache_unlock(struct kmb_pcpu_cache *pc, void *slot, int who)
{
	(void)who;
	if (KMB_TSAN && pc->mode == KMB_PERCPU_CPU_RSEQ)
		kmb_tsan_release(KMB_RSEQ_SYNC(pc->slots));	/* as kmb_pcpu_unlock */
	kmb_pcpu_spin_unlock(slot_guard(slot));
}

static int for_each_cpu_slot(struct kmb_pcpu_cache *pc, unsigned int flags,
			     kmb_pcpu_visit_fn fn, void *arg)
{
	const bool rseq = pc->mode == KMB_PERCPU_CPU_RSEQ;
	int r = 0;

	for (int cpu = 0; cpu < nr_cpus && !r; cpu++) {
		void *slot = per_cpu_ptr((char *)pc->slots, cpu);

		if ((flags & KMB_PCPU_NONEMPTY) && pc->empty && pc->empty(slot))
			continue;
		if (flags & KMB_PCPU_OWN)
			kmb_pcpu_lock_cpu(pc->slots, cpu, rseq);
		r = fn(pc, slot, cpu, arg);
		if (flags & KMB_PCPU_OWN)
			kmb_pcpu_unlock_cpu(pc->slots, cpu, rseq);
	}
	return r;
}

/* Thread @t's slot of client @id, or NULL (another thread may be publishing it). */
static void *slot_of(const struct pcpu_thread *t, int id)
{
	return __atomic_load_n(&t->slots[id], __ATOMIC_ACQUIRE);
}

static bool wanted(struct kmb_pcpu_cache *pc, unsigned int flags, void *slot)
{
	return slot && !((flags & KMB_PCPU_NONEMPTY) && pc->empty && pc->empty(slot));
}

/* Own the thread slots of @pc (the drain protocol, opening comment), marking their records
 * owned; false when there is none.  threads_lock held. */
static bool threads_stop(struct kmb_pcpu_cache *pc, unsigned int flags)
{
	const int id = pc->id;
	struct list_head *pos;
	bool any = false;

	list_for_each(pos, &pcpu_threads) {
		struct pcpu_thread *t = list_entry(pos, struct pcpu_thread, node);
		void *slot = slot_of(t, id);

		if (!wanted(pc, flags, slot))
			continue;
		kmb_pcpu_spin_lock(slot_guard(slot));
		__atomic_store_n(&t->self->fast[id], (void *)&kmb_pcpu_bootstrap,
				 __ATOMIC_RELAXED);
		t->owned = any = true;
	}
	if (!any)
		return false;
	/* Registered when the mode was resolved, so it cannot fail here. */
	kmb_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	if (skip_wait)
		return true;
	list_for_each(pos, &pcpu_threads) {
		struct pcpu_thread *t = list_entry(pos, struct pcpu_thread, node);

		if (!t->owned)
			continue;
		/* The owner may be preempted inside its fast path: backoff() yields. */
		for (unsigned int n = 0; __atomic_load_n(&t->self->active, __ATOMIC_ACQUIRE); n++)
			backoff(n);
	}
	return true;
}

static int for_each_thread_slot(struct kmb_pcpu_cache *pc, unsigned int flags,
				kmb_pcpu_visit_fn fn, void *arg)
{
	const int id = pc->id;
	struct list_head *pos;
	int who = -1, r = 0;

	pthread_mutex_lock(&threads_lock);
	if (flags & KMB_PCPU_OWN)
		threads_stop(pc, flags);
	/* Only the records there before @fn ran: @fn may register the caller. */
	list_for_each(pos, &pcpu_threads) {
		struct pcpu_thread *t = list_entry(pos, struct pcpu_thread, node);

		if ((flags & KMB_PCPU_OWN) ? t->owned : wanted(pc, flags, slot_of(t, id)))
			if (!r)
				r = fn(pc, slot_of(t, id), who, arg);
		who--;
	}
	if (flags & KMB_PCPU_OWN)
		list_for_each(pos, &pcpu_threads) {
			struct pcpu_thread *t = list_entry(pos, struct pcpu_thread, node);

			if (t->owned)
				kmb_pcpu_spin_unlock(slot_guard(slot_of(t, id)));
			t->owned = false;
		}
	pthread_mutex_unlock(&threads_lock);
	return r;
}

int kmb_pcpu_cache_for_each(struct kmb_pcpu_cache *pc, unsigned int flags,
			    kmb_pcpu_visit_fn fn, void *arg)
{
	switch (pc->mode) {
	case KMB_PERCPU_CPU_LOCK:
	case KMB_PERCPU_CPU_RSEQ:
		return pc->slots ? for_each_cpu_slot(pc, flags, fn, arg) : 0;
	case KMB_PERCPU_THREAD:
		return pc->id >= 0 ? for_each_thread_slot(pc, flags, fn, arg) : 0;
	default:
		return 0;
	}
}

void kmb_pcpu_test_skip_wait(bool skip)
{
	skip_wait = skip;
}

/* --- percpu_counter (lib/percpu_counter.c) --- */

int32_t percpu_counter_batch = 32;	/* compute_batch_value() at setup */

int32_t kmb_percpu_counter_batch(void)
{
	setup_per_cpu_areas();
	return percpu_counter_batch;
}

static void counter_lock(struct percpu_counter *fbc)
{
	for (unsigned int spins = 0;; spins++) {
		if (!__atomic_exchange_n(&fbc->lock, 1, __ATOMIC_ACQUIRE))
			return;
		if (spins >= 64)
			sched_yield();
	}
}

static void counter_unlock(struct percpu_counter *fbc)
{
	__atomic_store_n(&fbc->lock, 0, __ATOMIC_RELEASE);
}

int percpu_counter_init(struct percpu_counter *fbc, int64_t amount)
{
	fbc->lock = 0;
	fbc->count = amount;
	fbc->counters = alloc_percpu(int32_t);
	return fbc->counters ? 0 : -ENOMEM;
}

void percpu_counter_destroy(struct percpu_counter *fbc)
{
	free_percpu(fbc->counters);
	fbc->counters = NULL;
}

void __percpu_counter_add_batch(struct percpu_counter *fbc, int64_t amount, int32_t batch)
{
	int64_t folded;

	/* Where rseq works, the inline percpu_counter_add_batch() has tried this CPU's copy. */
	if (!kmb_rseq_ok && amount > -batch && amount < batch) {
		int32_t *c = per_cpu_ptr(fbc->counters, kmb_current_cpu());
		int32_t old = __atomic_load_n(c, __ATOMIC_RELAXED);

		while (old + amount > -batch && old + amount < batch)
			if (__atomic_compare_exchange_n(c, &old, (int32_t)(old + amount), true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				return;
	}
	/* The copy would reach the batch: fold it, with @amount, into count. */
	counter_lock(fbc);
#if KMB_HAVE_RSEQ_ASM
	if (kmb_rseq_ok)
		folded = kmb_rseq_xchg_s32(fbc->counters, 0);
	else
#endif
		folded = __atomic_exchange_n(per_cpu_ptr(fbc->counters, kmb_current_cpu()), 0,
					     __ATOMIC_RELAXED);
	__atomic_store_n(&fbc->count, fbc->count + folded + amount, __ATOMIC_RELAXED);
	counter_unlock(fbc);
}

int64_t percpu_counter_sum(struct percpu_counter *fbc)
{
	int64_t sum;

	counter_lock(fbc);
	sum = fbc->count;
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		sum += __atomic_load_n(per_cpu_ptr(fbc->counters, cpu), __ATOMIC_RELAXED);
	counter_unlock(fbc);
	return sum;
}

void percpu_counter_set(struct percpu_counter *fbc, int64_t amount)
{
	counter_lock(fbc);
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		__atomic_store_n(per_cpu_ptr(fbc->counters, cpu), 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fbc->count, amount, __ATOMIC_RELAXED);
	counter_unlock(fbc);
}

int __percpu_counter_compare(struct percpu_counter *fbc, int64_t rhs, int32_t batch)
{
	int64_t count = percpu_counter_read(fbc);

	/* Far enough from rhs that the copies cannot change the answer. */
	if (count - rhs > (int64_t)batch * nr_cpus)
		return 1;
	if (rhs - count > (int64_t)batch * nr_cpus)
		return -1;
	count = percpu_counter_sum(fbc);
	return count > rhs ? 1 : count < rhs ? -1 : 0;
}
