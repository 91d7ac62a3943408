/*
 * test_slab_percpu.c - the sheaves of the slab caches in each per-CPU mode (none, thread,
 * cpu-lock, cpu-rseq; kmem_cache_args.percpu), through the public API:
 *
 *   args        __kmem_cache_create_args refuses a sheaf capacity above KMEM_CACHE_MAX_SHEAF
 *               and an unknown mode; the capacity is what a refill takes (slabinfo counts the
 *               objects in sheaves as active: one allocation shows a sheaf's worth);
 *   migration   threads that are not pinned, moved between two CPUs by a migrator in a loop
 *               (every affinity change must succeed, and the threads must be seen to change
 *               CPU where there are two), allocate and free; every object carries an owner
 *               word set with an atomic exchange, so an object handed to two threads at once
 *               is caught; afterwards nothing is lost (destroy finds no object remaining) and
 *               every page is back;
 *   remote      objects allocated on CPU 0 and freed on CPU 1 are reusable: allocating as
 *               many again takes no more slab memory than a few sheaves' worth; draining
 *               returns every object and every page;
 *   thread exit in thread mode a thread's sheaves go back when it exits: destroy then
 *               finds no object remaining.
 *
 * Every test boots its own machine (slab_test.h).  cpu-rseq runs as cpu-lock where rseq is not
 * registered (kmb_percpu_mode_resolve), which the args test checks through slabinfo.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "slab_test.h"

static const enum kmb_percpu_mode modes[] = {
	KMB_PERCPU_NONE, KMB_PERCPU_THREAD, KMB_PERCPU_CPU_LOCK, KMB_PERCPU_CPU_RSEQ,
};

static struct kmem_cache *create_mode(const char *name, unsigned int size,
				      enum kmb_percpu_mode mode, unsigned int capacity)
{
	struct kmem_cache_args args = { .percpu = mode, .sheaf_capacity = capacity };
	struct kmem_cache *s = __kmem_cache_create_args(name, size, &args, SLAB_HWCACHE_ALIGN);

	if (!s)
		fail_msg("__kmem_cache_create_args(%s, mode %s, capacity %u) failed", name,
			 kmb_percpu_mode_name(mode), capacity);
	return s;
}

/* slabinfo's active_objs and num_objs of cache @name. */
static void slabinfo_counts(const char *name, unsigned long *active, unsigned long *total)
{
	struct slabinfo_row r = slabinfo_row(name);

	*active = r.active_objs;
	*total = r.num_objs;
}


/* --- args --- */

static void test_args(void **state)
{
	struct kmem_cache_args bad_cap = { .sheaf_capacity = KMEM_CACHE_MAX_SHEAF + 1 };
	struct kmem_cache_args bad_mode = { .percpu = (enum kmb_percpu_mode)99 };
	const char *why;
	struct capture cap;
	char *text;

	(void)state;
	capture_begin(&cap);
	assert_null(__kmem_cache_create_args("cap-too-big", 64, &bad_cap, 0));
	assert_null(__kmem_cache_create_args("bad-mode", 64, &bad_mode, 0));
	text = capture_end(&cap);
	assert_contains(text, "sheaf_capacity");
	assert_contains(text, "per-CPU mode");

	/* One allocation freezes a slab as this CPU's slab (a sheaf's worth of it goes to the
	 * sheaf): all its objects count as active, as in /proc/slabinfo (mm/slub.c counts the
	 * free objects of node partial slabs only).  Mode none takes one object. */
	pin(0);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		for (unsigned int cap_ = 4; cap_ <= 16; cap_ *= 4) {
			char name[48];
			struct kmem_cache *s;
			unsigned long active, total;
			void *obj;

			snprintf(name, sizeof(name), "args-%s-%u", kmb_percpu_mode_name(modes[m]),
				 cap_);
			s = create_mode(name, 64, modes[m], cap_);
			obj = kmem_cache_alloc(s, GFP_KERNEL);
			assert_non_null(obj);
			struct slabinfo_row r = slabinfo_row(name);

			active = r.active_objs;
			total = r.num_objs;
			if (active != (modes[m] == KMB_PERCPU_NONE ? 1 : r.objperslab) ||
			    total != r.objperslab)
				fail_msg("%s: %lu objects active of %lu after one allocation, "
					 "expected %u of %u", name, active, total,
					 modes[m] == KMB_PERCPU_NONE ? 1 : r.objperslab,
					 r.objperslab);
			kmem_cache_free(s, obj);
			assert_int_equal(kmem_cache_destroy(s), 0);
		}
	/* cpu-rseq is what the default resolves to here, or cpu-lock with a reason. */
	if (!kmb_rseq_status(&why))
		assert_true(why && *why);
	assert_int_equal(kmb_percpu_mode_resolve(KMB_PERCPU_CPU_RSEQ, NULL, 0),
			 kmb_rseq_status(NULL) ? KMB_PERCPU_CPU_RSEQ : KMB_PERCPU_CPU_LOCK);
}

/* --- migration --- */

#define MIG_THREADS	4
#define MIG_LIVE	64
#define MIG_ROUNDS	300	/* the migrator's rounds, 1 ms apart, at least */
#define MIG_MAX_ROUNDS	5000	/* and at most, waiting for a CPU change to be seen */

struct owned {
	atomic_long owner;	/* 0 free; else the holding thread's tag */
	char pad[56];
};

static struct {
	struct kmem_cache *cache;
	atomic_int stop;
	atomic_ulong errors, ops;
	atomic_ulong moves;		/* CPU changes the workers saw (sched_getcpu) */
	pid_t tids[MIG_THREADS];
	atomic_int ready;
} mig;

static void *mig_worker(void *arg)
{
	long tag = (long)(intptr_t)arg + 1;
	struct owned *live[MIG_LIVE] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)tag;
	int cpu = sched_getcpu();

	mig.tids[tag - 1] = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&mig.ready, 1);
	while (!atomic_load(&mig.stop)) {
		unsigned int i = (unsigned int)(rnd(&seed) % MIG_LIVE);
		int now = sched_getcpu();

		if (now != cpu)
			atomic_fetch_add_explicit(&mig.moves, 1, memory_order_relaxed);
		cpu = now;

		if (live[i]) {
			long was = atomic_exchange(&live[i]->owner, 0);

			if (was != tag)
				atomic_fetch_add(&mig.errors, 1);
			kmem_cache_free(mig.cache, live[i]);
			live[i] = NULL;
		} else {
			struct owned *o = kmem_cache_alloc(mig.cache, GFP_KERNEL);

			if (!o) {
				atomic_fetch_add(&mig.errors, 1);
				continue;
			}
			/* An object some other thread still holds shows its tag here. */
			if (atomic_exchange(&o->owner, tag) != 0)
				atomic_fetch_add(&mig.errors, 1);
			live[i] = o;
		}
		atomic_fetch_add_explicit(&mig.ops, 1, memory_order_relaxed);
	}
	for (unsigned int i = 0; i < MIG_LIVE; i++)
		if (live[i]) {
			atomic_store(&live[i]->owner, 0);
			kmem_cache_free(mig.cache, live[i]);
		}
	return NULL;
}

/*
 * Moves each worker onto test CPU 0, test CPU 1 or both, in turn, every millisecond: at least
 * MIG_ROUNDS rounds, and where there are two CPUs until a worker was seen on another CPU (at
 * most MIG_MAX_ROUNDS).  Returns the rounds; @failed counts the affinity changes refused, and
 * @err holds the last errno of one.
 */
static int migrate(unsigned long *failed, int *err)
{
	int round;

	for (round = 0; round < MIG_MAX_ROUNDS; round++) {
		if (round >= MIG_ROUNDS && (nr_test_cpus < 2 || atomic_load(&mig.moves)))
			break;
		for (int i = 0; i < MIG_THREADS; i++) {
			cpu_set_t set;

			CPU_ZERO(&set);
			if ((round + i) % 3 == 2) {
				CPU_SET(test_cpu[0], &set);
				CPU_SET(test_cpu[1], &set);
			} else {
				CPU_SET(test_cpu[(round + i) % 3], &set);
			}
			if (sched_setaffinity(mig.tids[i], sizeof(set), &set)) {
				*err = errno;
				(*failed)++;
			}
		}
		usleep(1000);
	}
	return round;
}

static void test_migration(void **state)
{
	struct kmb_mm_stats before = stats();

	(void)state;
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		pthread_t t[MIG_THREADS];
		unsigned long failed = 0;
		int rounds, err = 0;
		char name[48];

		snprintf(name, sizeof(name), "migrate-%s", kmb_percpu_mode_name(modes[m]));
		memset(&mig, 0, sizeof(mig));
		mig.cache = create_mode(name, sizeof(struct owned), modes[m], 8);
		for (long i = 0; i < MIG_THREADS; i++)
			assert_int_equal(pthread_create(&t[i], NULL, mig_worker,
							(void *)(intptr_t)i), 0);
		while (atomic_load(&mig.ready) < MIG_THREADS)
			sched_yield();
		rounds = migrate(&failed, &err);
		atomic_store(&mig.stop, 1);
		for (int i = 0; i < MIG_THREADS; i++)
			pthread_join(t[i], NULL);
		printf("[ INFO     ] %s: %d rounds over CPUs %d and %d, %lu CPU changes seen, "
		       "%lu operations\n", name, rounds, test_cpu[0], test_cpu[1],
		       atomic_load(&mig.moves), atomic_load(&mig.ops));
		if (failed)
			fail_msg("%s: %lu affinity changes refused: %s", name, failed, strerror(err));
		if (nr_test_cpus >= 2 && !atomic_load(&mig.moves))
			fail_msg("%s: no thread was seen on another CPU in %d rounds", name, rounds);
		if (atomic_load(&mig.errors))
			fail_msg("%s: %lu objects held twice or lost", name,
				 atomic_load(&mig.errors));
		assert_true(atomic_load(&mig.ops) > 1000);
		assert_valid(mig.cache);
		/* Nothing lost: no object remains allocated once every sheaf is drained. */
		assert_int_equal(kmem_cache_destroy(mig.cache), 0);
	}
	check_mm();
	assert_int_equal(stats().free_pages + stats().pcp_pages,
			 before.free_pages + before.pcp_pages);
}

/* --- remote free --- */

#define REMOTE_N	2000
#define REMOTE_CAP	16	/* sheaf capacity of the remote test's caches */


static struct {
	struct kmem_cache *cache;
	void *objs[REMOTE_N];
	pthread_barrier_t step;
} rem;

static void *remote_freer(void *arg)
{
	(void)arg;
	pin(1);
	pthread_barrier_wait(&rem.step);	/* objects allocated on CPU 0 */
	for (int i = 0; i < REMOTE_N; i++)
		kmem_cache_free(rem.cache, rem.objs[i]);
	pthread_barrier_wait(&rem.step);
	return NULL;
}

static void test_remote_free(void **state)
{
	struct kmb_mm_stats before = stats();

	(void)state;
	pin(0);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		unsigned long active, total1, total2, per_slab;
		pthread_t t;
		int kept;
		char name[48];

		snprintf(name, sizeof(name), "remote-%s", kmb_percpu_mode_name(modes[m]));
		rem.cache = create_mode(name, 64, modes[m], REMOTE_CAP);
		pthread_barrier_init(&rem.step, NULL, 2);
		assert_int_equal(pthread_create(&t, NULL, remote_freer, NULL), 0);
		for (int i = 0; i < REMOTE_N; i++)
			assert_non_null(rem.objs[i] = kmem_cache_alloc(rem.cache, GFP_KERNEL));
		slabinfo_counts(name, &active, &total1);
		pthread_barrier_wait(&rem.step);	/* the other CPU frees them */
		pthread_barrier_wait(&rem.step);
		pthread_join(t, NULL);
		/* Reusable: allocating as many again fits in about the slabs already made: all
		 * but what the sheaves of this CPU held or keep (main and spare) and what a sheaf
		 * refill rounds up, 3 x REMOTE_CAP, and the slabs the other CPU keeps: those its
		 * frees made partial, on its partial list (at most cpu_partial_slabs), and a CPU
		 * slab of this one's.  (The same addresses need not come back: empty slabs beyond
		 * min_partial return to the page allocator.)  Thread mode: the freer's slot came
		 * back when it exited. */
		kept = kmb_slab_cpu_partial_slabs(rem.cache, test_cpu[1]);
		kept = kept < 0 ? 0 : kept;
		for (int i = 0; i < REMOTE_N; i++)
			assert_non_null(rem.objs[i] = kmem_cache_alloc(rem.cache, GFP_KERNEL));
		slabinfo_counts(name, &active, &total2);
		per_slab = slabinfo_row(name).objperslab;
		if (total2 > total1 + 3 * REMOTE_CAP + ((unsigned long)kept + 1) * per_slab)
			fail_msg("%s: %lu objects in slabs after reuse, %lu before (the other CPU "
				 "keeps %d partial slabs of %lu objects)", name, total2, total1,
				 kept, per_slab);
		for (int i = 0; i < REMOTE_N; i++)
			kmem_cache_free(rem.cache, rem.objs[i]);
		/* Draining returns every object and every slab. */
		kmem_cache_shrink(rem.cache);
		slabinfo_counts(name, &active, &total2);
		assert_int_equal(active, 0);
		assert_int_equal(total2, 0);
		assert_valid(rem.cache);
		assert_int_equal(kmem_cache_destroy(rem.cache), 0);
		pthread_barrier_destroy(&rem.step);
	}
	check_mm();
	assert_int_equal(stats().free_pages + stats().pcp_pages,
			 before.free_pages + before.pcp_pages);
}

/* --- thread exit --- */

static void *short_lived(void *arg)
{
	struct kmem_cache *s = arg;
	void *objs[100];

	for (int i = 0; i < 100; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, objs[i]);
	return NULL;	/* its sheaves hold objects until it exits */
}

static void test_thread_exit(void **state)
{
	struct kmem_cache *s;
	unsigned long active, total;
	pthread_t t;

	(void)state;
	s = create_mode("exit-thread", 64, KMB_PERCPU_THREAD, 16);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(pthread_create(&t, NULL, short_lived, s), 0);
		pthread_join(t, NULL);
		/* The thread's sheaves went to the barn: shrinking empties the cache. */
		kmem_cache_shrink(s);
		slabinfo_counts("exit-thread", &active, &total);
		assert_int_equal(active, 0);
	}
	assert_int_equal(kmem_cache_destroy(s), 0);
	check_mm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SLAB_TEST(test_args),
		SLAB_TEST(test_migration),
		SLAB_TEST(test_remote_free),
		SLAB_TEST(test_thread_exit),
	};

	find_test_cpus();
	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
