/*
 * percpu.c - per-CPU areas, per-CPU allocation, slot guards and percpu_counter
 * (kmbench/percpu.h, kmbench/rseq.h).
 *
 * The areas (mm/percpu.c's first chunk, without later chunks): one reservation of
 * nr_cpu_ids units of KMB_PCPU_UNIT_SIZE bytes, each bound to its CPU's node before it is
 * touched.  A unit starts with the static variables (the "kmb_percpu" section, copied in at its
 * offset in its page); the rest is handed out by __alloc_percpu() in 64-byte granules (first fit
 * over a bitmap, under a mutex: allocation is rare, access is what is fast).  A per-CPU pointer
 * is its offset in the unit plus the address of the template's page, so that per_cpu_ptr() is
 * one addition for static and dynamic variables alike, as in the kernel, and a dynamic pointer
 * is as aligned as its allocation.
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

enum kmb_percpu_mode kmb_percpu_mode_resolve(enum kmb_percpu_mode want, char *why,
					     size_t whylen)
{
	const char *reason;

	if (why && whylen)
		*why = '\0';
	if (want != KMB_PERCPU_DEFAULT && want != KMB_PERCPU_CPU_RSEQ)
		return want;
	if (kmb_rseq_status(&reason))
		return KMB_PERCPU_CPU_RSEQ;
	if (why && whylen)
		snprintf(why, whylen, "cpu-rseq unavailable, cpu-lock used: %s", reason);
	return KMB_PERCPU_CPU_LOCK;
}

/* --- slot guards --- */

void kmb_pcpu_spin_lock_slow(struct kmb_pcpu_guard *g)
{
	for (unsigned int spins = 0;; spins++) {
		if (!__atomic_load_n(&g->lock, __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&g->lock, 1, __ATOMIC_ACQUIRE))
			return;
		if (spins >= 64)
			sched_yield();		/* the holder may be preempted */
		else
			cpu_relax();
	}
}

int kmb_pcpu_lock_here(void __percpu *slot, bool rseq)
{
	int cpu;

#if KMB_HAVE_RSEQ_ASM
	if (rseq) {
		for (unsigned int spins = 0; (cpu = kmb_rseq_lock(slot)) < 0; spins++) {
			if (spins >= 64)
				sched_yield();
			else
				cpu_relax();
		}
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
}

void kmb_pcpu_unlock(void __percpu *slot, int cpu)
{
	__atomic_store_n(&per_cpu_ptr((struct kmb_pcpu_guard *)slot, cpu)->lock, 0,
			 __ATOMIC_RELEASE);
}

void kmb_pcpu_unlock_cpu(void __percpu *slot, int cpu, bool rseq)
{
	struct kmb_pcpu_guard *g = per_cpu_ptr((struct kmb_pcpu_guard *)slot, cpu);

	__atomic_store_n(rseq ? &g->stop : &g->lock, 0, __ATOMIC_RELEASE);
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
