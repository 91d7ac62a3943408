/*
 * wl_sync.h - a barrier for the threads of one benchmark run, for workloads whose untimed setup
 * is shared (one cache for all threads, one measurement of the whole process).
 *
 * Google Benchmark calls a workload's run function once on each thread of a run, and runs one
 * run at a time, so a barrier that resets itself when the last thread arrives serves every run
 * whatever its thread count.  Every thread of a run must reach every wait, failures included.
 * wl_wait_turn is the step of a thread's wait for another's progress (a ring slot, an object).
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

/* wl_barrier_wait - wait until @nthreads threads (the run's) have called it. */
static inline void wl_barrier_wait(struct wl_barrier *b, int nthreads)
{
	unsigned long gen;

	pthread_mutex_lock(&b->lock);
	gen = b->generation;
	if (++b->arrived >= nthreads) {
		b->arrived = 0;
		b->generation++;
		pthread_cond_broadcast(&b->cond);
	} else {
		while (gen == b->generation)
			pthread_cond_wait(&b->cond, &b->lock);
	}
	pthread_mutex_unlock(&b->lock);
}

/* wl_wait_turn - one step of waiting for another thread: spin (PAUSE) for the first
 * WL_SPINS_BEFORE_YIELD steps, then yield the CPU (both threads may share one: --pin=none). */
#define WL_SPINS_BEFORE_YIELD 1024
static inline void wl_wait_turn(unsigned int spins)
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

#endif
