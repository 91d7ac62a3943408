/*
 * test_percpu.c - per-CPU areas, this_cpu operations, percpu_counter, the rseq sequences and
 * the slot guards (kmbench/percpu.h, kmbench/rseq.h):
 *
 *   static_vars      DEFINE_PER_CPU copies: one per possible CPU, each starting as a copy of
 *                    the template, written independently (the template stays as it was),
 *                    per_cpu()/per_cpu_ptr() one addition for scalars, arrays and members;
 *                    the copies of two CPUs lie in different units, at least a cache line
 *                    apart, and an aligned variable is aligned in every copy;
 *                    kmb_percpu_unit_node() is the CPU's node (or -1) and the memory is there,
 *                    kmb_cpu_to_node() the CPU's node;
 *   this_cpu_local   get_cpu, this_cpu_ptr, this_cpu_read/write/add on a pinned thread touch
 *                    that CPU's copy and no other;
 *   alloc            __alloc_percpu: zeroed on every CPU (also after reuse), alignment 64, 128
 *                    and 4096 honoured in every copy and in the per-CPU pointer itself,
 *                    allocations never overlap (each filled with its own pattern, all
 *                    checked after), first fit reuses what was freed,
 *                    bad arguments give NULL, the units fill up and empty again,
 *                    kmb_percpu_used follows every step;
 *   this_cpu         this_cpu_inc/dec/add/sub on a static long, a dynamic int and a dynamic
 *                    long from four threads that are never pinned: the main thread moves them
 *                    between CPUs (sched_setaffinity on their thread ids) the whole time; the
 *                    copies sum to exactly what the threads did;
 *   counter          percpu_counter under the same migration, amounts of both signs, some of
 *                    batch size and more, some with a smaller batch: the sum is exact, every
 *                    copy stays below batch, read is within nr_cpu_ids * batch of the sum;
 *                    percpu_counter_set, _read_positive, _sum_positive;
 *   counter_compare  __percpu_counter_compare: near rhs it sums (read alone would answer
 *                    wrongly); far from rhs it answers from count alone, which a copy corrupted
 *                    on purpose shows; the boundary distance batch * nr_cpu_ids sums;
 *   rseq_edges       (rseq only) the sequences on a pinned thread: a LIFO stack that honours
 *                    its capacity field, MISS when full or empty, BUSY while the slot is locked
 *                    here or stopped from elsewhere (and not when another CPU's slot is);
 *                    kmb_rseq_add, _add_s32_bounded (bound, overflow, INT_MIN) and _xchg_s32
 *                    change this CPU's copy only;
 *   guard_exclusion  kmb_pcpu_lock_cpu waits while the slot is held (by a local lock, rseq or
 *                    not, and by another stopper) and gets it once it is given back;
 *   rseq_tokens      (rseq only) tokens moved between per-CPU stacks and threads' hands by rseq
 *                    pops and pushes, by local slow paths under kmb_pcpu_lock_here(, true)
 *                    and by a remote stopper under kmb_pcpu_lock_cpu(, true), all threads
 *                    moved between CPUs meanwhile: no token is ever held twice, none is lost,
 *                    and a stack does not change under its owner;
 *   lock_tokens      the same in the cpu-lock form: kmb_pcpu_lock_here(, false), plain C
 *                    pops and pushes, kmb_pcpu_lock_cpu(, false) remotely;
 *   modes            mode names round trip, unknown names are -EINVAL; kmb_rseq_status and
 *                    kmb_percpu_mode_resolve agree with what this process can do; with
 *                    GLIBC_TUNABLES=glibc.pthread.rseq=0 (test_percpu_norseq in ctest) glibc
 *                    registers no rseq area and kmb_rseq_status must say no.
 *
 * The rseq tests skip where kmb_rseq_ok is false; everything else runs in both registrations,
 * so test_percpu_norseq covers the atomic fallbacks of this_cpu_add and percpu_counter.
 * Threads never call cmocka's assertions: they record the first error, and the main thread
 * fails the test with it.  A stress test that deadlocks is ended by an alarm (STRESS_SECONDS).
 * Random choices take their seed from KMB_SEED (default fixed) and print it; whether a race is
 * hit depends on the scheduler, but what is checked does not: every check holds for any
 * interleaving, so none depends on timing.
 */
#define _GNU_SOURCE		/* gettid, sched_setaffinity, CPU_SET */
#include <errno.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kmbench/percpu.h"
#include "kmbench/rseq.h"
#include "mm_test.h"
#include "placement.h"

#define DEFAULT_SEED	0x70637075ULL
#define STRESS_SECONDS	60		/* a deadlocked stress test ends the process */
#define MAX_THREADS	8
#define MOVE_ROUNDS	600		/* affinity changes per thread in a stress test, at least */
#define MIN_OPS		20000		/* operations per worker, at least */

/* --- per-CPU variables of this file --- */

struct pcp_line {
	long a;
	char b;
};

DEFINE_PER_CPU(int, pcp_template) = 0x5eed;
DEFINE_PER_CPU(int[8], pcp_array) = { 1, 2, 3, 4, 5, 6, 7, 8 };
DEFINE_PER_CPU_ALIGNED(struct pcp_line, pcp_line) = { .a = -1, .b = 'x' };
DEFINE_PER_CPU(long, pcp_hits);		/* this_cpu */
DEFINE_PER_CPU(long, pcp_local);	/* this_cpu_local */

/* --- errors from threads --- */

static struct {
	pthread_mutex_t lock;
	unsigned long count;
	char first[256];
} terr = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void __attribute__((format(printf, 1, 2))) t_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&terr.lock);
	if (!terr.count++) {
		va_start(ap, fmt);
		vsnprintf(terr.first, sizeof(terr.first), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&terr.lock);
}

static void t_error_reset(void)
{
	pthread_mutex_lock(&terr.lock);
	terr.count = 0;
	terr.first[0] = '\0';
	pthread_mutex_unlock(&terr.lock);
}

static void assert_no_thread_errors(void)
{
	if (terr.count)
		fail_msg("%lu errors in threads; the first: %s", terr.count, terr.first);
}

/* --- the watchdog of the stress tests --- */

static void stress_watchdog(int sig)
{
	static const char msg[] = "test_percpu: stress test timed out (a guard never given back?)\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)sig;
	(void)n;
	_exit(3);
}

static void watchdog_start(void)
{
	signal(SIGALRM, stress_watchdog);
	alarm(STRESS_SECONDS);
}

/* --- pinning the main thread --- */

static cpu_set_t saved_cpus;
static bool pinned;

/* Pin the calling thread to the CPU it runs on; that CPU. */
static int pin_here(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	assert_true(cpu >= 0);
	assert_int_equal(sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus), 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	pinned = true;
	assert_int_equal(sched_getcpu(), cpu);
	return cpu;
}

static void unpin(void)
{
	if (pinned)
		sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
	pinned = false;
}

static int unpin_teardown(void **state)
{
	(void)state;
	unpin();
	alarm(0);
	return 0;
}

static int setup_areas(void **state)
{
	(void)state;
	if (setup_per_cpu_areas())
		fail_msg("setup_per_cpu_areas failed");
	return 0;
}

/* Skip a test of the rseq sequences where they cannot run. */
static void need_rseq(void)
{
	const char *why;

	if (!kmb_rseq_status(&why)) {
		print_message("[ SKIP     ] rseq sequences unavailable: %s\n", why);
		skip();
	}
}

/* --- moving threads between CPUs --- */

/*
 * The stress tests' threads are never pinned: the main thread changes their affinity (CPU a,
 * CPU b, both, each thread out of step with the next) for at least MOVE_ROUNDS rounds and
 * until every worker has done MIN_OPS operations.  sched_setaffinity() moves a thread that
 * runs on a CPU it no longer may use before it returns, so the threads do migrate, in the
 * middle of whatever they were doing.
 */
static struct {
	int cpu[2];			/* the CPUs threads move between (equal on one CPU) */
	int nr;				/* threads registered */
	pid_t tid[MAX_THREADS];
	unsigned long rounds, failed;
	pthread_barrier_t start;
} mv;

static void mover_init(int threads)
{
	cpu_set_t mine;
	int n = 0;

	assert_true(threads <= MAX_THREADS);
	memset(mv.tid, 0, sizeof(mv.tid));
	mv.nr = threads;
	mv.rounds = mv.failed = 0;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	mv.cpu[0] = mv.cpu[1] = -1;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &mine))
			mv.cpu[n++] = c;
	assert_true(n >= 1);
	if (n == 1)
		mv.cpu[1] = mv.cpu[0];
	assert_true(mv.cpu[1] < nr_cpu_ids());
	assert_int_equal(pthread_barrier_init(&mv.start, NULL, (unsigned int)threads + 1), 0);
}

/* In each moved thread, first: register, and wait until every thread has. */
static void mover_register(int i)
{
	mv.tid[i] = gettid();
	pthread_barrier_wait(&mv.start);
}

static void mover_round(void)
{
	for (int i = 0; i < mv.nr; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		switch ((mv.rounds + (unsigned long)i) % 3) {
		case 0:
			CPU_SET(mv.cpu[0], &set);
			break;
		case 1:
			CPU_SET(mv.cpu[1], &set);
			break;
		default:
			CPU_SET(mv.cpu[0], &set);
			CPU_SET(mv.cpu[1], &set);
		}
		if (sched_setaffinity(mv.tid[i], sizeof(set), &set))
			mv.failed++;
	}
	mv.rounds++;
}

/*
 * Move the registered threads until @done() says so (checked after MOVE_ROUNDS rounds);
 * @between runs after each round (the main thread's own share of the test) when not NULL.
 * The threads are still running when this returns.
 */
static void mover_run(bool (*done)(void), void (*between)(void))
{
	struct timespec pause = { 0, 100 * 1000 };

	pthread_barrier_wait(&mv.start);
	while (mv.rounds < MOVE_ROUNDS || !done()) {
		mover_round();
		if (between)
			between();
		nanosleep(&pause, NULL);
	}
}

static void mover_finish(void)
{
	pthread_barrier_destroy(&mv.start);
	assert_int_equal(mv.failed, 0);
	print_message("[ INFO     ] %lu rounds of affinity changes between CPUs %d and %d\n",
		      mv.rounds, mv.cpu[0], mv.cpu[1]);
}

/* --- static per-CPU variables --- */

static void test_static_vars(void **state)
{
	int nr = nr_cpu_ids();

	(void)state;
	assert_true(nr >= 1 && nr <= KMB_NR_CPUS);
	/* the template keeps its initial values; every copy starts as the template */
	assert_int_equal(pcp_template, 0x5eed);
	for (int cpu = 0; cpu < nr; cpu++) {
		assert_int_equal(per_cpu(pcp_template, cpu), 0x5eed);
		for (int i = 0; i < 8; i++)
			assert_int_equal(per_cpu(pcp_array, cpu)[i], i + 1);
		assert_int_equal(per_cpu(pcp_line, cpu).a, -1);
		assert_int_equal(per_cpu(pcp_line, cpu).b, 'x');
	}
	/* per_cpu_ptr is one addition, the same for every variable and every part of one */
	for (int cpu = 0; cpu < nr; cpu++) {
		long off = __per_cpu_offset[cpu];

		assert_ptr_equal(per_cpu_ptr(&pcp_template, cpu), (char *)&pcp_template + off);
		assert_ptr_equal(&per_cpu(pcp_template, cpu), per_cpu_ptr(&pcp_template, cpu));
		assert_ptr_equal(per_cpu_ptr(&pcp_array[5], cpu), &(*per_cpu_ptr(&pcp_array, cpu))[5]);
		assert_ptr_equal(per_cpu_ptr(&pcp_line.b, cpu), &per_cpu_ptr(&pcp_line, cpu)->b);
		assert_ptr_not_equal(per_cpu_ptr(&pcp_template, cpu), &pcp_template);
		/* DEFINE_PER_CPU_ALIGNED: a cache line of its own in every copy */
		assert_int_equal((uintptr_t)per_cpu_ptr(&pcp_line, cpu) % 64, 0);
	}
	/* each CPU's copy is its own: written apart, read back apart, template untouched */
	for (int cpu = 0; cpu < nr; cpu++)
		per_cpu(pcp_template, cpu) = 1000 + cpu;
	for (int cpu = 0; cpu < nr; cpu++)
		assert_int_equal(per_cpu(pcp_template, cpu), 1000 + cpu);
	assert_int_equal(pcp_template, 0x5eed);
	/* different units: copies of two CPUs never share a cache line */
	for (int a = 0; a < nr; a++)
		for (int b = a + 1; b < nr; b++) {
			uintptr_t pa = (uintptr_t)per_cpu_ptr(&pcp_template, a);
			uintptr_t pb = (uintptr_t)per_cpu_ptr(&pcp_template, b);
			uintptr_t d = pa > pb ? pa - pb : pb - pa;
			long units = __per_cpu_offset[a] - __per_cpu_offset[b];

			assert_true(d >= 64);
			assert_true(pa / 64 != pb / 64);
			assert_true(labs(units) >= (long)KMB_PCPU_UNIT_SIZE);
		}
	/* each unit on its CPU's node, unless the machine lacks it (-1) */
	for (int cpu = 0; cpu < nr; cpu++) {
		int node = kmb_percpu_unit_node(cpu);
		int where = -1;

		/* the machine's node of the CPU, recorded once (what the page layer maps from) */
		assert_int_equal(kmb_cpu_to_node(cpu), kmb_numa_node_of_cpu(cpu));
		if (node < 0) {
			assert_int_equal(node, -1);
			continue;
		}
		assert_int_equal(node, kmb_numa_node_of_cpu(cpu));
		/* the copy was touched above: ask the kernel where its page is */
		if (get_mempolicy(&where, NULL, 0, per_cpu_ptr(&pcp_template, cpu),
				  MPOL_F_NODE | MPOL_F_ADDR) == 0)
			assert_int_equal(where, node);
	}
	assert_int_equal(kmb_percpu_unit_node(-1), -1);
	assert_int_equal(kmb_percpu_unit_node(nr), -1);
	assert_int_equal(kmb_cpu_to_node(-1), -1);
	assert_int_equal(kmb_cpu_to_node(nr), -1);
	for (int cpu = 0; cpu < nr; cpu++)
		per_cpu(pcp_template, cpu) = 0x5eed;
}

static void test_this_cpu_local(void **state)
{
	int nr = nr_cpu_ids(), cpu;
	long *dyn = alloc_percpu(long);

	(void)state;
	assert_non_null(dyn);
	cpu = pin_here();
	assert_int_equal(get_cpu(), cpu);
	put_cpu();
	assert_int_equal(smp_processor_id(), cpu);
	assert_int_equal(kmb_current_cpu(), cpu);
	assert_ptr_equal(this_cpu_ptr(&pcp_local), per_cpu_ptr(&pcp_local, cpu));

	for (int c = 0; c < nr; c++)
		per_cpu(pcp_local, c) = 100 * c;
	this_cpu_write(pcp_local, 7);
	assert_int_equal(this_cpu_read(pcp_local), 7);
	this_cpu_add(pcp_local, 5);
	this_cpu_sub(pcp_local, 2);
	this_cpu_inc(pcp_local);
	this_cpu_dec(pcp_local);
	this_cpu_inc(pcp_local);
	assert_int_equal(per_cpu(pcp_local, cpu), 11);
	this_cpu_add(*dyn, -20);
	assert_int_equal(*per_cpu_ptr(dyn, cpu), -20);
	for (int c = 0; c < nr; c++)
		if (c != cpu) {
			assert_int_equal(per_cpu(pcp_local, c), 100 * c);
			assert_int_equal(*per_cpu_ptr(dyn, c), 0);
		}
	unpin();
	free_percpu(dyn);
}

/* --- __alloc_percpu --- */

/* Every CPU's copy of [p, p + size) holds @byte. */
static bool pcpu_all_bytes(void *p, size_t size, unsigned char byte)
{
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		if (!all_bytes(per_cpu_ptr((char *)p, cpu), size, byte))
			return false;
	return true;
}

/* Fill each CPU's copy with a byte of its own: @tag + cpu. */
static void pcpu_fill(void *p, size_t size, unsigned char tag)
{
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		memset(per_cpu_ptr((char *)p, cpu), (unsigned char)(tag + cpu), size);
}

static bool pcpu_filled(void *p, size_t size, unsigned char tag)
{
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		if (!all_bytes(per_cpu_ptr((char *)p, cpu), size, (unsigned char)(tag + cpu)))
			return false;
	return true;
}

static void test_alloc(void **state)
{
	static const struct { size_t size, align; } req[] = {
		{ 100, 64 }, { 200, 128 }, { 10, 4096 }, { 64, 8 }, { 1, 1 }, { 5000, 128 },
		{ 4096, 4096 }, { 24, 16 },
	};
	enum { NREQ = sizeof(req) / sizeof(req[0]) };
	void *p[NREQ], *again, *big[64];
	size_t used0 = kmb_percpu_used(), used;
	int nbig = 0;
	int *one;

	(void)state;
	assert_true(used0 >= 64);		/* the static variables of this file */
	used = used0;
	for (int i = 0; i < NREQ; i++) {
		p[i] = __alloc_percpu(req[i].size, req[i].align);
		assert_non_null(p[i]);
		assert_true(pcpu_all_bytes(p[i], req[i].size, 0));
		for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
			assert_int_equal((uintptr_t)per_cpu_ptr((char *)p[i], cpu) % req[i].align, 0);
		/* the per-CPU pointer too: members are taken of it before per_cpu_ptr() */
		assert_int_equal((uintptr_t)p[i] % req[i].align, 0);
		assert_true(kmb_percpu_used() >= used + req[i].size);
		used = kmb_percpu_used();
		pcpu_fill(p[i], req[i].size, (unsigned char)(16 * i + 1));
	}
	/* no two overlap: every pattern survived every later fill */
	for (int i = 0; i < NREQ; i++)
		assert_true(pcpu_filled(p[i], req[i].size, (unsigned char)(16 * i + 1)));
	/* nor do they overlap the static variables */
	assert_int_equal(pcp_template, 0x5eed);
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		assert_int_equal(per_cpu(pcp_array, cpu)[7], 8);

	/* freed, the same request gets the same place back (first fit), zeroed again */
	free_percpu(p[1]);
	assert_true(kmb_percpu_used() <= used - req[1].size);
	again = __alloc_percpu(req[1].size, req[1].align);
	assert_ptr_equal(again, p[1]);
	assert_true(pcpu_all_bytes(again, req[1].size, 0));
	assert_int_equal(kmb_percpu_used(), used);
	for (int i = 0; i < NREQ; i++)
		if (i != 1)
			assert_true(pcpu_filled(p[i], req[i].size, (unsigned char)(16 * i + 1)));

	/* alloc_percpu(type): the type's size and alignment, zeroed */
	one = alloc_percpu(int);
	assert_non_null(one);
	assert_true(pcpu_all_bytes(one, sizeof(int), 0));

	/* wrong arguments */
	assert_null(__alloc_percpu(0, 8));
	assert_null(__alloc_percpu(8, 3));
	assert_null(__alloc_percpu(8, 48));
	assert_null(__alloc_percpu(8, 8192));
	assert_null(__alloc_percpu(KMB_PCPU_UNIT_SIZE, 8));
	assert_null(__alloc_percpu(KMB_PCPU_UNIT_SIZE + 1, 8));
	assert_null(__alloc_percpu((size_t)-1, 8));
	free_percpu(NULL);
	assert_int_equal(kmb_percpu_used(), used + 64);

	/* the units fill up: then NULL, and everything given back empties them again */
	while (nbig < 64 && (big[nbig] = __alloc_percpu(128 << 10, 4096)))
		nbig++;
	assert_true(nbig >= 1 && nbig < 64);
	assert_true(kmb_percpu_used() >= used + (size_t)nbig * (128 << 10));
	assert_true(kmb_percpu_used() <= KMB_PCPU_UNIT_SIZE);
	assert_null(__alloc_percpu(KMB_PCPU_UNIT_SIZE / 2, 8));
	for (int i = 0; i < nbig; i++)
		free_percpu(big[i]);

	free_percpu(one);
	for (int i = 0; i < NREQ; i++)
		free_percpu(i == 1 ? again : p[i]);
	assert_int_equal(kmb_percpu_used(), used0);
}

/* --- this_cpu operations under migration --- */

#define TC_WORKERS	4

static struct {
	int *dyn_int;
	long *dyn_long;
	atomic_bool stop;
	struct tc_worker {
		pthread_t th;
		int id;
		atomic_ulong ops;
		long incs, decs, added;		/* what it did: checked against the copies */
		unsigned long moves;		/* CPU changes it saw */
	} w[TC_WORKERS];
} tc;

static void *tc_main(void *arg)
{
	struct tc_worker *w = arg;
	int last = -1;

	mover_register(w->id);
	for (unsigned long n = 0; !atomic_load_explicit(&tc.stop, memory_order_relaxed); n++) {
		long d = (long)(n % 7) - 3;
		int cpu = kmb_current_cpu();

		if (cpu < 0 || cpu >= nr_cpu_ids()) {
			t_error("kmb_current_cpu() = %d", cpu);
			break;
		}
		/* atomic: the main thread's tc_done() reads it while we run */
		__atomic_store_n(&w->moves, w->moves + (last >= 0 && cpu != last),
				 __ATOMIC_RELAXED);
		last = cpu;
		this_cpu_inc(pcp_hits);
		this_cpu_inc(*tc.dyn_int);
		w->incs++;
		if (n % 4 == 0) {
			this_cpu_dec(*tc.dyn_int);
			w->decs++;
		}
		if (n & 1) {
			this_cpu_add(*tc.dyn_long, d);
			w->added += d;
		} else {
			this_cpu_sub(*tc.dyn_long, d);
			w->added -= d;
		}
		atomic_store_explicit(&w->ops, n + 1, memory_order_relaxed);
	}
	return NULL;
}

static bool tc_done(void)
{
	unsigned long moves = 0;

	for (int i = 0; i < TC_WORKERS; i++) {
		if (atomic_load_explicit(&tc.w[i].ops, memory_order_relaxed) < MIN_OPS)
			return false;
		moves += __atomic_load_n(&tc.w[i].moves, __ATOMIC_RELAXED);
	}
	/* Under load the migrations may come late: run until one was seen (the watchdog
	 * bounds the wait). */
	return mv.cpu[0] == mv.cpu[1] || moves > 0;
}

static void test_this_cpu(void **state)
{
	long incs = 0, decs = 0, added = 0, hits = 0, ints = 0, longs = 0;
	unsigned long moves = 0;

	(void)state;
	watchdog_start();
	t_error_reset();
	memset(&tc, 0, sizeof(tc));
	tc.dyn_int = alloc_percpu(int);
	tc.dyn_long = alloc_percpu(long);
	assert_non_null(tc.dyn_int);
	assert_non_null(tc.dyn_long);
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		per_cpu(pcp_hits, cpu) = 0;
	mover_init(TC_WORKERS);
	for (int i = 0; i < TC_WORKERS; i++) {
		tc.w[i].id = i;
		assert_int_equal(pthread_create(&tc.w[i].th, NULL, tc_main, &tc.w[i]), 0);
	}
	mover_run(tc_done, NULL);
	atomic_store(&tc.stop, true);
	for (int i = 0; i < TC_WORKERS; i++) {
		pthread_join(tc.w[i].th, NULL);
		incs += tc.w[i].incs;
		decs += tc.w[i].decs;
		added += tc.w[i].added;
		moves += tc.w[i].moves;
	}
	mover_finish();
	assert_no_thread_errors();
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++) {
		hits += per_cpu(pcp_hits, cpu);
		ints += *per_cpu_ptr(tc.dyn_int, cpu);
		longs += *per_cpu_ptr(tc.dyn_long, cpu);
	}
	print_message("[ INFO     ] %ld increments, %lu CPU changes seen by the threads (rseq %s)\n",
		      incs, moves, kmb_rseq_ok ? "on" : "off");
	assert_int_equal(hits, incs);
	assert_int_equal(ints, incs - decs);
	assert_int_equal(longs, added);
	if (mv.cpu[0] != mv.cpu[1])
		assert_true(moves > 0);		/* the threads did run on both CPUs */
	free_percpu(tc.dyn_int);
	free_percpu(tc.dyn_long);
}

/* --- percpu_counter --- */

#define PC_WORKERS	4
#define PC_INIT		1000

static struct {
	struct percpu_counter c;
	int32_t batch;
	atomic_bool stop;
	unsigned long sums;			/* percpu_counter_sum calls by the main thread */
	struct pc_worker {
		pthread_t th;
		int id;
		uint64_t seed;
		atomic_ulong ops;
		int64_t total;			/* what it added */
		unsigned long big;		/* amounts of batch size or more */
	} w[PC_WORKERS];
} pc;

static void *pc_main(void *arg)
{
	struct pc_worker *w = arg;
	int32_t b = pc.batch;

	mover_register(w->id);
	for (unsigned long n = 0; !atomic_load_explicit(&pc.stop, memory_order_relaxed); n++) {
		uint64_t r = rnd(&w->seed);
		int64_t small = (int64_t)(r >> 8 & 0xffff) % (2 * b - 1) - (b - 1);
		int64_t big = b + (int64_t)(r >> 24 & 0xffff) % (3 * b);

		switch (r % 16) {
		case 10:
		case 11:
			big = r >> 40 & 1 ? big : -big;
			percpu_counter_add(&pc.c, big);
			w->total += big;
			w->big++;
			break;
		case 12:
			percpu_counter_inc(&pc.c);
			w->total++;
			break;
		case 13:
			percpu_counter_dec(&pc.c);
			w->total--;
			break;
		case 14:
			percpu_counter_sub(&pc.c, small);
			w->total -= small;
			break;
		case 15:
			/* a smaller batch: copies still stay below the default one */
			percpu_counter_add_batch(&pc.c, small % 8, 8);
			w->total += small % 8;
			break;
		default:
			percpu_counter_add(&pc.c, small);
			w->total += small;
		}
		atomic_store_explicit(&w->ops, n + 1, memory_order_relaxed);
	}
	return NULL;
}

static bool pc_done(void)
{
	for (int i = 0; i < PC_WORKERS; i++)
		if (atomic_load_explicit(&pc.w[i].ops, memory_order_relaxed) < MIN_OPS)
			return false;
	return true;
}

/* The main thread's share: sums and reads while the workers add (values not checked). */
static void pc_between(void)
{
	(void)percpu_counter_sum(&pc.c);
	(void)percpu_counter_read(&pc.c);
	pc.sums++;
}

static void test_counter(void **state)
{
	uint64_t seed = seed_from_env("test_counter", DEFAULT_SEED);
	int nr = nr_cpu_ids();
	int64_t expect = PC_INIT, sum, read;
	unsigned long big = 0;

	(void)state;
	watchdog_start();
	t_error_reset();
	memset(&pc, 0, sizeof(pc));
	pc.batch = kmb_percpu_counter_batch();
	assert_int_equal(pc.batch, nr * 2 > 32 ? nr * 2 : 32);
	assert_int_equal(percpu_counter_init(&pc.c, PC_INIT), 0);
	assert_int_equal(percpu_counter_sum(&pc.c), PC_INIT);
	assert_int_equal(percpu_counter_read(&pc.c), PC_INIT);
	mover_init(PC_WORKERS);
	for (int i = 0; i < PC_WORKERS; i++) {
		pc.w[i].id = i;
		pc.w[i].seed = seed ^ (0x9e3779b9ULL * (uint64_t)(i + 1));
		assert_int_equal(pthread_create(&pc.w[i].th, NULL, pc_main, &pc.w[i]), 0);
	}
	mover_run(pc_done, pc_between);
	atomic_store(&pc.stop, true);
	for (int i = 0; i < PC_WORKERS; i++) {
		pthread_join(pc.w[i].th, NULL);
		expect += pc.w[i].total;
		big += pc.w[i].big;
	}
	mover_finish();
	assert_no_thread_errors();
	sum = percpu_counter_sum(&pc.c);
	read = percpu_counter_read(&pc.c);
	print_message("[ INFO     ] counter %lld, read %lld, %lu amounts >= batch %d (rseq %s)\n",
		      (long long)sum, (long long)read, big, pc.batch, kmb_rseq_ok ? "on" : "off");
	assert_int_equal(sum, expect);
	assert_true(big > 0);
	for (int cpu = 0; cpu < nr; cpu++) {
		int32_t v = *per_cpu_ptr(pc.c.counters, cpu);

		if (v <= -pc.batch || v >= pc.batch)
			fail_msg("CPU %d's copy is %d, batch %d", cpu, v, pc.batch);
	}
	assert_true(llabs(read - sum) < (long long)nr * pc.batch);
	assert_int_equal(percpu_counter_sum_positive(&pc.c), sum > 0 ? sum : 0);

	percpu_counter_set(&pc.c, 12345);
	assert_int_equal(percpu_counter_sum(&pc.c), 12345);
	assert_int_equal(percpu_counter_read(&pc.c), 12345);
	for (int cpu = 0; cpu < nr; cpu++)
		assert_int_equal(*per_cpu_ptr(pc.c.counters, cpu), 0);
	percpu_counter_add(&pc.c, 5);
	percpu_counter_add(&pc.c, -2 * (int64_t)pc.batch);
	assert_int_equal(percpu_counter_sum(&pc.c), 12350 - 2 * pc.batch);
	percpu_counter_set(&pc.c, -5);
	assert_int_equal(percpu_counter_read_positive(&pc.c), 0);
	assert_int_equal(percpu_counter_sum_positive(&pc.c), 0);
	percpu_counter_destroy(&pc.c);
	assert_null(pc.c.counters);
}

static void test_counter_compare(void **state)
{
	struct percpu_counter c;
	int32_t batch = kmb_percpu_counter_batch();
	int64_t far = (int64_t)batch * nr_cpu_ids();
	int32_t *cpu0;

	(void)state;
	assert_int_equal(percpu_counter_init(&c, 0), 0);
	cpu0 = per_cpu_ptr(c.counters, 0);
	/* below batch, an add stays in a copy: read says 0, the sum says 5 */
	percpu_counter_add(&c, 5);
	assert_int_equal(percpu_counter_read(&c), 0);
	assert_int_equal(percpu_counter_sum(&c), 5);
	/* near rhs the answer is the sum's */
	assert_int_equal(percpu_counter_compare(&c, 3), 1);
	assert_int_equal(percpu_counter_compare(&c, 5), 0);
	assert_int_equal(percpu_counter_compare(&c, 6), -1);
	assert_int_equal(percpu_counter_compare(&c, -far - 1), 1);

	/*
	 * Far from rhs the answer is count's alone.  To see that, break the invariant the fast
	 * path relies on (a copy below batch): count 1000000, CPU 0's copy -1000000, sum 0.
	 */
	percpu_counter_set(&c, 1000000);
	*cpu0 = -1000000;
	assert_int_equal(percpu_counter_sum(&c), 0);
	assert_int_equal(__percpu_counter_compare(&c, 0, batch), 1);	/* exact: 0 */
	/* at exactly batch * nr_cpu_ids from count it sums: 0 < rhs */
	assert_int_equal(__percpu_counter_compare(&c, 1000000 - far, batch), -1);
	assert_int_equal(__percpu_counter_compare(&c, 1000000 - far - 1, batch), 1);
	/* and on the other side: count 1000000, sum 4000000, rhs 2000000 */
	*cpu0 = 3000000;
	assert_int_equal(__percpu_counter_compare(&c, 2000000, batch), -1);	/* exact: 1 */
	assert_int_equal(__percpu_counter_compare(&c, 1000000 + far, batch), 1);
	/* a smaller batch narrows the band the fast path answers outside of */
	assert_int_equal(__percpu_counter_compare(&c, 1000000 + nr_cpu_ids() + 1, 1), -1);
	percpu_counter_set(&c, 0);
	assert_int_equal(*cpu0, 0);
	assert_int_equal(percpu_counter_compare(&c, 0), 0);
	percpu_counter_destroy(&c);
}

/* --- the rseq stack and its guards --- */

#define STK_CAP		32

struct tstack {
	uint32_t count;
	uint32_t capacity;
	void *objs[STK_CAP];
};
_Static_assert(offsetof(struct tstack, objs) == 8, "the sequences find objs at +8");

/* The per-CPU slot: the guard first, as the sequences require. */
struct tslot {
	struct kmb_pcpu_guard guard;
	struct tstack *stack;
	atomic_long owner;		/* the thread that holds the guard, as the test sees it */
};
#define SLOT_OFF	((long)offsetof(struct tslot, stack))

static struct tslot *slots_new(uint32_t capacity)
{
	struct tslot *slots = alloc_percpu(struct tslot);

	assert_non_null(slots);
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++) {
		struct tstack *st = calloc(1, sizeof(*st));

		assert_non_null(st);
		st->capacity = capacity;
		per_cpu_ptr(slots, cpu)->stack = st;
	}
	return slots;
}

static void slots_free(struct tslot *slots)
{
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++)
		free(per_cpu_ptr(slots, cpu)->stack);
	free_percpu(slots);
}

static struct tstack *stack_of(struct tslot *slots, int cpu)
{
	return per_cpu_ptr(slots, cpu)->stack;
}

/* The guard of @cpu's slot, as two words. */
#define GUARD(slots, cpu)	(per_cpu_ptr((slots), (cpu))->guard)

static void test_rseq_edges(void **state)
{
	static char obj[STK_CAP + 1];
	struct tslot *slots;
	struct tstack *st;
	int nr = nr_cpu_ids(), cpu, other, why;
	int32_t *s32;
	long *l64;

	(void)state;
	need_rseq();
	slots = slots_new(5);		/* the capacity field, not the array, bounds the stack */
	cpu = pin_here();
	other = cpu == 0 ? 1 : 0;
	st = stack_of(slots, cpu);

	/* empty: MISS; then five pushes, the sixth MISS, LIFO pops, MISS again */
	why = 0;
	assert_null(kmb_rseq_stack_pop(slots, SLOT_OFF, &why));
	assert_int_equal(why, KMB_RSEQ_MISS);
	for (int i = 0; i < 5; i++)
		assert_int_equal(kmb_rseq_stack_push(slots, SLOT_OFF, &obj[i]), 0);
	assert_int_equal(st->count, 5);
	assert_int_equal(kmb_rseq_stack_push(slots, SLOT_OFF, &obj[5]), KMB_RSEQ_MISS);
	assert_int_equal(st->count, 5);
	for (int i = 0; i < 5; i++)
		assert_ptr_equal(st->objs[i], &obj[i]);
	assert_null(st->objs[5]);
	for (int c = 0; c < nr; c++)
		if (c != cpu)
			assert_int_equal(stack_of(slots, c)->count, 0);
	for (int i = 4; i >= 2; i--)
		assert_ptr_equal(kmb_rseq_stack_pop(slots, SLOT_OFF, &why), &obj[i]);
	assert_int_equal(st->count, 2);

	/* locked here: every sequence on this CPU's slot is BUSY, nothing changes */
	assert_int_equal(kmb_pcpu_lock_here(slots, true), cpu);
	assert_int_equal(GUARD(slots, cpu).lock, 1);
	assert_int_equal(GUARD(slots, cpu).stop, 0);
	why = 0;
	assert_null(kmb_rseq_stack_pop(slots, SLOT_OFF, &why));
	assert_int_equal(why, KMB_RSEQ_BUSY);
	assert_int_equal(kmb_rseq_stack_push(slots, SLOT_OFF, &obj[9]), KMB_RSEQ_BUSY);
	assert_int_equal(kmb_rseq_lock(slots), KMB_RSEQ_BUSY);
	assert_int_equal(st->count, 2);
	kmb_pcpu_unlock(slots, cpu);
	assert_int_equal(GUARD(slots, cpu).lock, 0);

	/* stopped (from this thread, as a remote CPU would): BUSY as well */
	kmb_pcpu_lock_cpu(slots, cpu, true);
	assert_int_equal(GUARD(slots, cpu).stop, 1);
	assert_int_equal(GUARD(slots, cpu).lock, 0);
	why = 0;
	assert_null(kmb_rseq_stack_pop(slots, SLOT_OFF, &why));
	assert_int_equal(why, KMB_RSEQ_BUSY);
	assert_int_equal(kmb_rseq_stack_push(slots, SLOT_OFF, &obj[9]), KMB_RSEQ_BUSY);
	assert_int_equal(kmb_rseq_lock(slots), KMB_RSEQ_BUSY);
	assert_int_equal(st->count, 2);
	kmb_pcpu_unlock_cpu(slots, cpu, true);
	assert_int_equal(GUARD(slots, cpu).stop, 0);

	/* kmb_rseq_lock itself: this CPU, the lock word only */
	assert_int_equal(kmb_rseq_lock(slots), cpu);
	assert_int_equal(GUARD(slots, cpu).lock, 1);
	assert_int_equal(kmb_rseq_stack_push(slots, SLOT_OFF, &obj[9]), KMB_RSEQ_BUSY);
	kmb_pcpu_unlock(slots, cpu);

	/* another CPU's guard does not concern this one */
	if (other < nr) {
		kmb_pcpu_lock_cpu(slots, other, true);
		assert_int_equal(kmb_rseq_stack_push(slots, SLOT_OFF, &obj[2]), 0);
		assert_ptr_equal(kmb_rseq_stack_pop(slots, SLOT_OFF, &why), &obj[2]);
		kmb_pcpu_unlock_cpu(slots, other, true);
		assert_int_equal(stack_of(slots, other)->count, 0);
	}
	assert_ptr_equal(kmb_rseq_stack_pop(slots, SLOT_OFF, &why), &obj[1]);
	assert_ptr_equal(kmb_rseq_stack_pop(slots, SLOT_OFF, &why), &obj[0]);
	why = 0;
	assert_null(kmb_rseq_stack_pop(slots, SLOT_OFF, &why));
	assert_int_equal(why, KMB_RSEQ_MISS);
	slots_free(slots);

	/* the counter sequences: this CPU's copy, and only it */
	s32 = alloc_percpu(int32_t);
	l64 = alloc_percpu(long);
	assert_non_null(s32);
	assert_non_null(l64);
	kmb_rseq_add(l64, 5);
	kmb_rseq_add(l64, -7);
	assert_int_equal(*per_cpu_ptr(l64, cpu), -2);
	kmb_rseq_add(l64, 1L << 40);
	assert_int_equal(*per_cpu_ptr(l64, cpu), (1L << 40) - 2);
	assert_int_equal(kmb_rseq_xchg_s32(s32, 30), 0);
	assert_int_equal(*per_cpu_ptr(s32, cpu), 30);
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, 1, 32), 0);		/* 31 */
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, 1, 32), KMB_RSEQ_MISS);	/* 32 */
	assert_int_equal(*per_cpu_ptr(s32, cpu), 31);
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, -62, 32), 0);		/* -31 */
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, -1, 32), KMB_RSEQ_MISS);	/* -32 */
	assert_int_equal(*per_cpu_ptr(s32, cpu), -31);
	assert_int_equal(kmb_rseq_xchg_s32(s32, INT32_MAX), -31);
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, 1, INT32_MAX), KMB_RSEQ_MISS);
	assert_int_equal(kmb_rseq_xchg_s32(s32, INT32_MIN + 1), INT32_MAX);
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, -1, INT32_MAX), KMB_RSEQ_MISS);
	assert_int_equal(*per_cpu_ptr(s32, cpu), INT32_MIN + 1);
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, INT32_MAX, 2), 0);	/* 0 */
	assert_int_equal(kmb_rseq_add_s32_bounded(s32, 0, 1), 0);
	assert_int_equal(kmb_rseq_xchg_s32(s32, 0), 0);
	for (int c = 0; c < nr; c++)
		if (c != cpu) {
			assert_int_equal(*per_cpu_ptr(l64, c), 0);
			assert_int_equal(*per_cpu_ptr(s32, c), 0);
		}
	free_percpu(s32);
	free_percpu(l64);
	unpin();
}

/* --- mutual exclusion of the guards --- */

static struct {
	struct tslot *slots;
	int cpu;
	bool rseq;
	atomic_bool got;
} gx;

static void *gx_stopper(void *arg)
{
	(void)arg;
	kmb_pcpu_lock_cpu(gx.slots, gx.cpu, gx.rseq);
	atomic_store(&gx.got, true);
	kmb_pcpu_unlock_cpu(gx.slots, gx.cpu, gx.rseq);
	return NULL;
}

/*
 * While this thread holds @cpu's slot (@how: 0 locked here, 1 stopped), a second thread's
 * kmb_pcpu_lock_cpu(@cpu) must not return; once given back it must.
 */
static void gx_check(struct tslot *slots, int cpu, bool rseq, int how)
{
	pthread_t th;

	gx.slots = slots;
	gx.cpu = cpu;
	gx.rseq = rseq;
	atomic_store(&gx.got, false);
	if (how == 0)
		assert_int_equal(kmb_pcpu_lock_here(slots, rseq), cpu);
	else
		kmb_pcpu_lock_cpu(slots, cpu, rseq);
	assert_int_equal(pthread_create(&th, NULL, gx_stopper, NULL), 0);
	/* give it every chance to get in wrongly (the answer does not depend on how many) */
	for (int i = 0; i < 200 && !atomic_load(&gx.got); i++)
		sched_yield();
	assert_false(atomic_load(&gx.got));
	if (how == 0)
		kmb_pcpu_unlock(slots, cpu);
	else
		kmb_pcpu_unlock_cpu(slots, cpu, rseq);
	pthread_join(th, NULL);
	assert_true(atomic_load(&gx.got));
	assert_int_equal(GUARD(slots, cpu).lock, 0);
	assert_int_equal(GUARD(slots, cpu).stop, 0);
}

static void test_guard_exclusion(void **state)
{
	struct tslot *slots = slots_new(STK_CAP);
	int cpu;

	(void)state;
	watchdog_start();
	cpu = pin_here();
	gx_check(slots, cpu, false, 0);
	gx_check(slots, cpu, false, 1);
	if (kmb_rseq_ok) {
		gx_check(slots, cpu, true, 0);
		gx_check(slots, cpu, true, 1);
	}
	unpin();
	slots_free(slots);
}

/* --- tokens: nothing lost, nothing duplicated --- */

#define TK_WORKERS	4
#define HAND_CAP	32
#define MIN_STOPS	2000		/* remote stops, at least */

struct token {
	atomic_int holder;		/* 0: in a stack; else the holding thread's number + 1 */
};

struct hand {
	int who;			/* thread number + 1 */
	int n;
	struct token *tok[HAND_CAP];
};

static struct {
	bool rseq;
	struct tslot *slots;
	struct token *tokens;
	size_t ntok;
	atomic_bool stop;
	struct tk_thread {
		pthread_t th;
		int id;
		uint64_t seed;
		struct hand hand;
		atomic_ulong ops;
		unsigned long pops, pushes, busy, miss, locked, moved, moves;
	} t[TK_WORKERS + 1];		/* the last one is the remote stopper */
} tk;

/* @obj came out of a stack: it must be a token that nobody holds; now @h does. */
static bool tk_take(struct hand *h, void *obj)
{
	struct token *tok = obj;
	int was;

	if (tok < tk.tokens || tok >= tk.tokens + tk.ntok) {
		t_error("thread %d got %p, not a token", h->who - 1, obj);
		return false;
	}
	was = atomic_exchange(&tok->holder, h->who);
	if (was)
		t_error("token %zu taken by thread %d, but thread %d holds it",
			(size_t)(tok - tk.tokens), h->who - 1, was - 1);
	if (h->n >= HAND_CAP) {
		t_error("thread %d: hand overflows", h->who - 1);
		return false;
	}
	h->tok[h->n++] = tok;
	return true;
}

/* The top token of @h, about to go into a stack: no longer held. */
static struct token *tk_give(struct hand *h)
{
	struct token *tok = h->tok[h->n - 1];
	int was = atomic_exchange(&tok->holder, 0);

	if (was != h->who)
		t_error("thread %d gives token %zu, held by %d", h->who - 1,
			(size_t)(tok - tk.tokens), was - 1);
	return tok;
}

/* The push of @tok did not happen: @h holds it again (nobody can have taken it meanwhile). */
static void tk_keep(struct hand *h, struct token *tok)
{
	int was = atomic_exchange(&tok->holder, h->who);

	if (was)
		t_error("token %zu, never pushed, taken by %d", (size_t)(tok - tk.tokens), was - 1);
}

static void tk_owner_enter(struct tslot *s, struct hand *h, int cpu)
{
	long was = atomic_exchange(&s->owner, h->who);

	if (was)
		t_error("CPU %d's slot: thread %d got the guard while thread %ld holds it",
			cpu, h->who - 1, was - 1);
}

static void tk_owner_leave(struct tslot *s, struct hand *h, int cpu)
{
	long was = atomic_exchange(&s->owner, 0);

	if (was != h->who)
		t_error("CPU %d's slot: thread %d leaves it, owner was %ld", cpu, h->who - 1,
			was - 1);
}

/*
 * With @cpu's slot owned: move up to @n tokens between @h and the stack with plain C, then
 * check that nothing else changed the stack while the guard was held (a sequence that
 * committed, or another owner), yielding once in a while to leave time for that.
 */
static void tk_locked_move(struct tk_thread *t, int cpu, unsigned int n)
{
	struct tslot *s = per_cpu_ptr(tk.slots, cpu);
	struct tstack *st = s->stack, seen;
	struct hand *h = &t->hand;

	tk_owner_enter(s, h, cpu);
	for (unsigned int i = 0; i < n; i++) {
		if (rnd(&t->seed) & 1) {
			if (st->count && h->n < HAND_CAP) {
				tk_take(h, st->objs[--st->count]);
				t->moved++;
			}
		} else if (h->n && st->count < st->capacity) {
			st->objs[st->count++] = tk_give(h);
			h->n--;
			t->moved++;
		}
	}
	if (st->count > st->capacity)
		t_error("CPU %d's stack: %u tokens, capacity %u", cpu, st->count, st->capacity);
	memcpy(&seen, st, sizeof(seen));
	if (rnd(&t->seed) % 8 == 0)
		sched_yield();
	if (memcmp(&seen, st, sizeof(seen)))
		t_error("CPU %d's stack changed under its guard (%u tokens, then %u)", cpu,
			seen.count, st->count);
	tk_owner_leave(s, h, cpu);
}

/* A worker of the rseq form: sequences, and on BUSY or now and then the local slow path. */
static void tk_rseq_op(struct tk_thread *t)
{
	struct hand *h = &t->hand;
	uint64_t r = rnd(&t->seed) % 100;
	int cpu, why = 0;

	if (r < 45 && h->n < HAND_CAP) {
		void *obj = kmb_rseq_stack_pop(tk.slots, SLOT_OFF, &why);

		if (obj) {
			tk_take(h, obj);
			t->pops++;
			return;
		}
		if (why != KMB_RSEQ_BUSY && why != KMB_RSEQ_MISS)
			t_error("pop: NULL with why %d", why);
		if (why == KMB_RSEQ_MISS) {
			t->miss++;
			return;
		}
		t->busy++;
	} else if (r < 90 && h->n) {
		struct token *tok = tk_give(h);
		int ret = kmb_rseq_stack_push(tk.slots, SLOT_OFF, tok);

		if (!ret) {
			h->n--;
			t->pushes++;
			return;
		}
		tk_keep(h, tok);
		if (ret != KMB_RSEQ_BUSY && ret != KMB_RSEQ_MISS)
			t_error("push: %d", ret);
		if (ret == KMB_RSEQ_MISS) {
			t->miss++;
			return;
		}
		t->busy++;
	}
	/* the slow path: own this CPU's slot, wherever the thread goes meanwhile */
	cpu = kmb_pcpu_lock_here(tk.slots, true);
	if (cpu < 0 || cpu >= nr_cpu_ids()) {
		t_error("kmb_pcpu_lock_here: %d", cpu);
		return;
	}
	if (GUARD(tk.slots, cpu).lock != 1)
		t_error("CPU %d's slot locked, lock word %u", cpu, GUARD(tk.slots, cpu).lock);
	tk_locked_move(t, cpu, 1 + (unsigned int)(rnd(&t->seed) % 4));
	kmb_pcpu_unlock(tk.slots, cpu);
	t->locked++;
}

/* A worker of the cpu-lock form: every operation under the slot's spinlock. */
static void tk_lock_op(struct tk_thread *t)
{
	int cpu = kmb_pcpu_lock_here(tk.slots, false);

	if (cpu < 0 || cpu >= nr_cpu_ids()) {
		t_error("kmb_pcpu_lock_here: %d", cpu);
		return;
	}
	tk_locked_move(t, cpu, 1 + (unsigned int)(rnd(&t->seed) % 2));
	kmb_pcpu_unlock(tk.slots, cpu);
	t->locked++;
}

static void *tk_worker(void *arg)
{
	struct tk_thread *t = arg;
	int last = -1;

	mover_register(t->id);
	for (unsigned long n = 0; !atomic_load_explicit(&tk.stop, memory_order_relaxed); n++) {
		int cpu = kmb_current_cpu();

		/* atomic: the main thread's tk_done() reads it while we run */
		__atomic_store_n(&t->moves, t->moves + (last >= 0 && cpu != last),
				 __ATOMIC_RELAXED);
		last = cpu;
		if (tk.rseq)
			tk_rseq_op(t);
		else
			tk_lock_op(t);
		atomic_store_explicit(&t->ops, n + 1, memory_order_relaxed);
	}
	return NULL;
}

/* The remote stopper: takes each CPU's slot in turn from wherever it runs. */
static void *tk_stopper(void *arg)
{
	struct tk_thread *t = arg;
	int nr = nr_cpu_ids();

	mover_register(t->id);
	for (unsigned long n = 0; !atomic_load_explicit(&tk.stop, memory_order_relaxed); n++) {
		int cpu = (int)(n % (unsigned long)nr);
		struct kmb_pcpu_guard *g = &GUARD(tk.slots, cpu);

		uint32_t lock, stop;

		kmb_pcpu_lock_cpu(tk.slots, cpu, tk.rseq);
		/* atomic loads: the workers' exchanges (cpu-lock) write the lock word meanwhile */
		lock = __atomic_load_n(&g->lock, __ATOMIC_RELAXED);
		stop = __atomic_load_n(&g->stop, __ATOMIC_RELAXED);
		if (tk.rseq ? stop != 1 || lock : lock != 1)
			t_error("CPU %d's slot stopped, guard %u/%u", cpu, lock, stop);
		tk_locked_move(t, cpu, 1 + (unsigned int)(rnd(&t->seed) % 8));
		kmb_pcpu_unlock_cpu(tk.slots, cpu, tk.rseq);
		t->locked++;
		atomic_store_explicit(&t->ops, n + 1, memory_order_relaxed);
	}
	return NULL;
}

static bool tk_done(void)
{
	unsigned long moves = 0;

	for (int i = 0; i < TK_WORKERS; i++) {
		if (atomic_load_explicit(&tk.t[i].ops, memory_order_relaxed) < MIN_OPS)
			return false;
		moves += __atomic_load_n(&tk.t[i].moves, __ATOMIC_RELAXED);
	}
	/* Under load the migrations may come late: run until one was seen (the watchdog
	 * bounds the wait). */
	if (mv.cpu[0] != mv.cpu[1] && !moves)
		return false;
	return atomic_load_explicit(&tk.t[TK_WORKERS].ops, memory_order_relaxed) >= MIN_STOPS;
}

/* Every token is in exactly one stack or one hand, and its holder says so. */
static void tk_account(void)
{
	unsigned char *seen = calloc(tk.ntok, 1);
	size_t found = 0;

	assert_non_null(seen);
	for (int cpu = 0; cpu < nr_cpu_ids(); cpu++) {
		struct tstack *st = stack_of(tk.slots, cpu);

		assert_int_equal(GUARD(tk.slots, cpu).lock, 0);
		assert_int_equal(GUARD(tk.slots, cpu).stop, 0);
		assert_true(st->count <= st->capacity);
		for (uint32_t i = 0; i < st->count; i++) {
			struct token *tok = st->objs[i];
			size_t k = (size_t)(tok - tk.tokens);

			assert_true(tok >= tk.tokens && k < tk.ntok);
			if (seen[k]++)
				fail_msg("token %zu twice (again in CPU %d's stack)", k, cpu);
			assert_int_equal(atomic_load(&tok->holder), 0);
			found++;
		}
	}
	for (int i = 0; i <= TK_WORKERS; i++) {
		struct hand *h = &tk.t[i].hand;

		for (int j = 0; j < h->n; j++) {
			size_t k = (size_t)(h->tok[j] - tk.tokens);

			assert_true(k < tk.ntok);
			if (seen[k]++)
				fail_msg("token %zu twice (again in thread %d's hand)", k, i);
			assert_int_equal(atomic_load(&h->tok[j]->holder), h->who);
			found++;
		}
	}
	free(seen);
	assert_int_equal(found, tk.ntok);
}

static void tk_run(bool rseq)
{
	uint64_t seed = seed_from_env(rseq ? "test_rseq_tokens" : "test_lock_tokens",
				      DEFAULT_SEED);
	int nr = nr_cpu_ids();
	size_t k = 0;
	unsigned long pops = 0, pushes = 0, busy = 0, miss = 0, locked = 0, moved = 0, moves = 0;

	watchdog_start();
	t_error_reset();
	memset(&tk, 0, sizeof(tk));
	tk.rseq = rseq;
	tk.slots = slots_new(STK_CAP);
	tk.ntok = (size_t)nr * STK_CAP / 2 + TK_WORKERS * HAND_CAP / 2;
	tk.tokens = calloc(tk.ntok, sizeof(*tk.tokens));
	assert_non_null(tk.tokens);
	/* half of every stack, half of every worker's hand; the stopper starts empty */
	for (int cpu = 0; cpu < nr; cpu++) {
		struct tstack *st = stack_of(tk.slots, cpu);

		while (st->count < STK_CAP / 2)
			st->objs[st->count++] = &tk.tokens[k++];
	}
	for (int i = 0; i <= TK_WORKERS; i++) {
		tk.t[i].id = i;
		tk.t[i].seed = seed ^ (0x100000001b3ULL * (uint64_t)(i + 1));
		tk.t[i].hand.who = i + 1;
		while (i < TK_WORKERS && tk.t[i].hand.n < HAND_CAP / 2) {
			atomic_store(&tk.tokens[k].holder, i + 1);
			tk.t[i].hand.tok[tk.t[i].hand.n++] = &tk.tokens[k++];
		}
	}
	assert_int_equal(k, tk.ntok);

	mover_init(TK_WORKERS + 1);
	for (int i = 0; i < TK_WORKERS; i++)
		assert_int_equal(pthread_create(&tk.t[i].th, NULL, tk_worker, &tk.t[i]), 0);
	assert_int_equal(pthread_create(&tk.t[TK_WORKERS].th, NULL, tk_stopper,
					&tk.t[TK_WORKERS]), 0);
	mover_run(tk_done, NULL);
	atomic_store(&tk.stop, true);
	for (int i = 0; i <= TK_WORKERS; i++)
		pthread_join(tk.t[i].th, NULL);
	mover_finish();
	for (int i = 0; i < TK_WORKERS; i++) {
		pops += tk.t[i].pops;
		pushes += tk.t[i].pushes;
		busy += tk.t[i].busy;
		miss += tk.t[i].miss;
		locked += tk.t[i].locked;
		moved += tk.t[i].moved;
		moves += tk.t[i].moves;
	}
	print_message("[ INFO     ] %zu tokens: %lu rseq pops, %lu rseq pushes (%lu busy, %lu miss); "
		      "%lu local locks moved %lu; %lu remote stops moved %lu; %lu CPU changes "
		      "seen\n", tk.ntok, pops, pushes, busy, miss, locked, moved,
		      tk.t[TK_WORKERS].locked, tk.t[TK_WORKERS].moved, moves);
	assert_no_thread_errors();
	tk_account();
	if (rseq)
		assert_true(pops > 0 && pushes > 0);
	assert_true(moved > 0 && tk.t[TK_WORKERS].moved > 0);
	assert_true(tk.t[TK_WORKERS].locked >= MIN_STOPS);
	if (mv.cpu[0] != mv.cpu[1])
		assert_true(moves > 0);
	free(tk.tokens);
	slots_free(tk.slots);
}

static void test_rseq_tokens(void **state)
{
	(void)state;
	need_rseq();
	tk_run(true);
}

static void test_lock_tokens(void **state)
{
	(void)state;
	tk_run(false);
}

/* --- modes and rseq status --- */

static bool env_says_no_rseq(void)
{
	const char *t = getenv("GLIBC_TUNABLES");

	return t && strstr(t, "glibc.pthread.rseq=0");
}

static void test_modes(void **state)
{
	enum kmb_percpu_mode m;
	char why[256];
	const char *reason = "unset";
	bool ok, expect;
	int cmds;

	(void)state;
	for (int i = KMB_PERCPU_NONE; i <= KMB_PERCPU_CPU_RSEQ; i++) {
		const char *name = kmb_percpu_mode_name((enum kmb_percpu_mode)i);

		m = KMB_PERCPU_DEFAULT;
		assert_int_equal(kmb_percpu_mode_parse(name, &m), 0);
		assert_int_equal(m, i);
		assert_non_null(strstr(KMB_PERCPU_MODES, name));
	}
	assert_string_equal(kmb_percpu_mode_name(KMB_PERCPU_NONE), "none");
	assert_string_equal(kmb_percpu_mode_name(KMB_PERCPU_THREAD), "thread");
	assert_string_equal(kmb_percpu_mode_name(KMB_PERCPU_CPU_LOCK), "cpu-lock");
	assert_string_equal(kmb_percpu_mode_name(KMB_PERCPU_CPU_RSEQ), "cpu-rseq");
	assert_string_equal(kmb_percpu_mode_name(KMB_PERCPU_DEFAULT), "default");
	assert_string_equal(kmb_percpu_mode_name((enum kmb_percpu_mode)99), "?");
	m = KMB_PERCPU_THREAD;
	assert_int_equal(kmb_percpu_mode_parse("rseq", &m), -EINVAL);
	assert_int_equal(kmb_percpu_mode_parse("", &m), -EINVAL);
	assert_int_equal(kmb_percpu_mode_parse("CPU-RSEQ", &m), -EINVAL);
	assert_int_equal(kmb_percpu_mode_parse("cpu-rseq ", &m), -EINVAL);
	assert_int_equal(kmb_percpu_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(m, KMB_PERCPU_THREAD);

	/* modes without rseq resolve to themselves, with nothing to say (thread: where membarrier
	 * can be registered, Linux 4.14) */
	for (int i = KMB_PERCPU_NONE; i <= KMB_PERCPU_CPU_LOCK; i++) {
		strcpy(why, "stale");
		assert_int_equal(kmb_percpu_mode_resolve((enum kmb_percpu_mode)i, why,
							 sizeof(why)), i);
		assert_string_equal(why, "");
	}

	/* what this process can do, worked out apart from percpu.c */
	cmds = (int)syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	expect = KMB_HAVE_RSEQ_ASM && __rseq_size > 0 && cmds > 0 &&
		 (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ);
	ok = kmb_rseq_status(&reason);
	print_message("[ INFO     ] rseq %s%s (__rseq_size %u, GLIBC_TUNABLES %s)\n",
		      ok ? "usable" : "unavailable: ", ok ? "" : reason, __rseq_size,
		      getenv("GLIBC_TUNABLES") ? getenv("GLIBC_TUNABLES") : "unset");
	assert_int_equal(ok, kmb_rseq_ok);
	assert_int_equal(ok, expect);
	if (env_says_no_rseq()) {
		assert_int_equal(__rseq_size, 0);	/* glibc honoured the tunable */
		assert_false(ok);
		assert_non_null(strstr(reason, "not registered"));
	}
	for (int want = KMB_PERCPU_DEFAULT; want <= KMB_PERCPU_CPU_RSEQ;
	     want += KMB_PERCPU_CPU_RSEQ) {
		strcpy(why, "stale");
		m = kmb_percpu_mode_resolve((enum kmb_percpu_mode)want, why, sizeof(why));
		if (ok) {
			assert_null(reason);
			assert_int_equal(m, KMB_PERCPU_CPU_RSEQ);
			assert_string_equal(why, "");
		} else {
			assert_non_null(reason);
			assert_true(reason[0] != '\0');
			/* the default falls back to thread (no atomics, as this_cpu ops), an
			 * explicit cpu-rseq to cpu-lock (per-CPU caches still) */
			if (want == KMB_PERCPU_DEFAULT) {
				assert_int_equal(m, KMB_PERCPU_THREAD);
				assert_non_null(strstr(why, "cpu-rseq unavailable, thread used: "));
			} else {
				assert_int_equal(m, KMB_PERCPU_CPU_LOCK);
				assert_non_null(strstr(why, "cpu-rseq unavailable, cpu-lock used: "));
			}
			assert_non_null(strstr(why, reason));
		}
		assert_int_equal(kmb_percpu_mode_resolve((enum kmb_percpu_mode)want, NULL, 0), m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_vars),
		cmocka_unit_test_teardown(test_this_cpu_local, unpin_teardown),
		cmocka_unit_test(test_alloc),
		cmocka_unit_test_teardown(test_this_cpu, unpin_teardown),
		cmocka_unit_test_teardown(test_counter, unpin_teardown),
		cmocka_unit_test(test_counter_compare),
		cmocka_unit_test_teardown(test_rseq_edges, unpin_teardown),
		cmocka_unit_test_teardown(test_guard_exclusion, unpin_teardown),
		cmocka_unit_test_teardown(test_rseq_tokens, unpin_teardown),
		cmocka_unit_test_teardown(test_lock_tokens, unpin_teardown),
		cmocka_unit_test(test_modes),
	};

	return cmocka_run_group_tests(tests, setup_areas, drop_kept_text);
}
