/*
 * wl_sync.h - a barrier for the threads of one benchmark run, for workloads whose untimed setup
 * is shared (one cache for all threads, one measurement of the whole process); and the wait of
 * a thread for another inside the timed loop (wl_spin_wait).
 *
 * Google Benchmark calls a workload's run function once on each thread of a run, and runs one
 * run at a time, so a barrier that resets itself when the last thread arrives serves every run
 * whatever its thread count.  Every thread of a run must reach every wait, failures included.
 */
#ifndef KMB_WL_SYNC_H
#define KMB_WL_SYNC_H

#include <pthread.h>
#include <sched.h>

struct wl_barrier {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int arrived;
	unsigned long generation;
};

#define WL_BARRIER_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 }

/* wl_barrier_wait_then - wait until @nthreads threads (the run's) have called it; the last to
 * arrive calls @last(@arg) (when not NULL) before any thread goes on. */
static inline void wl_barrier_wait_then(struct wl_barrier *b, int nthreads,
					void (*last)(void *arg), void *arg)
{
	unsigned long gen;

	pthread_mutex_lock(&b->lock);
	gen = b->generation;
	if (++b->arrived >= nthreads) {
		if (last)
			last(arg);
		b->arrived = 0;
		b->generation++;
		pthread_cond_broadcast(&b->cond);
	} else {
		while (gen == b->generation)
			pthread_cond_wait(&b->cond, &b->lock);
	}
	pthread_mutex_unlock(&b->lock);
}

/* Spins of wl_spin_wait before it yields the CPU. */
#define WL_SPINS_BEFORE_YIELD 1024

/*
 * wl_spin_wait - one step of waiting for another thread of the run (a ring's other side, an
 * array handed on): @spins is the steps waited so far.  Spin a while, then yield, so that
 * threads sharing one CPU (--pin=none, more threads than CPUs) let the other one run.
 */
static inline void wl_spin_wait(unsigned int spins)
{
	if (spins < WL_SPINS_BEFORE_YIELD)
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#else
		__asm__ __volatile__("" ::: "memory");
#endif
	else
		sched_yield();
}

/* wl_barrier_wait - wait until @nthreads threads (the run's) have called it. */
static inline void wl_barrier_wait(struct wl_barrier *b, int nthreads)
{
	wl_barrier_wait_then(b, nthreads, NULL, NULL);
}

#endif
