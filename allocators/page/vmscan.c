/*
 * vmscan.c - reclaim for the page allocator's slow path (mm/vmscan.c, mm/shrinker.c): the
 * registered shrinkers, and waiting for frees.
 *
 * Shrinkers run in registration order under shrinker_lock; a shrinker that allocates memory
 * itself does not recurse into reclaim (the kernel's PF_MEMALLOC, here a thread-local flag).
 * kmbench scans every freeable object of each permitted shrinker in one pass (the kernel's
 * priority 0, its most urgent), in chunks of the shrinker's batch.
 *
 * Waiting: a sleeping allocation that still finds nothing sleeps on wait_cond until a free
 * bumps free_seq, or until its bounded wait ends.  Frees look at nr_waiters inside their zone
 * or per-CPU lock and wake only when someone waits, so a free with no waiter pays one load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "page_alloc.h"

#define SHRINK_BATCH 128

static _Thread_local bool in_reclaim;	/* PF_MEMALLOC */

int register_shrinker(struct shrinker *s, const char *name)
{
	if (!s || !s->count_objects || !s->scan_objects || !name || !*name)
		return -EINVAL;
	if (!kmb_mm.shrinkers.next)
		return -ENODEV;		/* kmb_mm_setup() has not run */
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->nr_runs = s->nr_freed = 0;
	pthread_mutex_lock(&kmb_mm.shrinker_lock);
	list_add_tail(&s->list, &kmb_mm.shrinkers);
	pthread_mutex_unlock(&kmb_mm.shrinker_lock);
	return 0;
}

void unregister_shrinker(struct shrinker *s)
{
	if (!s || !s->list.next)
		return;
	pthread_mutex_lock(&kmb_mm.shrinker_lock);
	list_del(&s->list);
	pthread_mutex_unlock(&kmb_mm.shrinker_lock);
}

static unsigned long do_shrink_slab(struct shrinker *s, gfp_t gfp, int nid)
{
	struct shrink_control sc = { .gfp_mask = gfp, .nid = nid };
	unsigned long freeable = s->count_objects(s, &sc), freed = 0;
	unsigned long batch = s->batch > 0 ? (unsigned long)s->batch : SHRINK_BATCH;

	if (!freeable || freeable == SHRINK_EMPTY)
		return 0;
	s->nr_runs++;
	while (freeable) {
		unsigned long ret;

		sc.nr_to_scan = freeable < batch ? freeable : batch;
		sc.nr_scanned = sc.nr_to_scan;
		ret = s->scan_objects(s, &sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		freeable -= sc.nr_scanned < freeable ? sc.nr_scanned : freeable;
		if (!sc.nr_scanned)
			break;
	}
	s->nr_freed += freed;
	return freed;
}

unsigned long shrink_slab(gfp_t gfp, int nid)
{
	const gfp_t may = gfp & (__GFP_IO | __GFP_FS);
	unsigned long freed = 0;
	struct list_head *pos;

	if (in_reclaim)
		return 0;
	in_reclaim = true;
	pthread_mutex_lock(&kmb_mm.shrinker_lock);
	list_for_each(pos, &kmb_mm.shrinkers) {
		struct shrinker *s = list_entry(pos, struct shrinker, list);

		/* GFP_NOIO and GFP_NOFS: a shrinker that needs I/O or the filesystem is skipped */
		if ((s->flags & (__GFP_IO | __GFP_FS)) & ~may)
			continue;
		freed += do_shrink_slab(s, gfp, nid);
	}
	pthread_mutex_unlock(&kmb_mm.shrinker_lock);
	in_reclaim = false;
	KMB_STAT_ATOMIC_ADD(1, kmb_mm.shrinker_freed, freed);	/* count_vm_events(SLABS_SCANNED) */
	return freed;
}

void wait_for_free(unsigned long seq, unsigned int ms)
{
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&kmb_mm.wait_lock);
	while (atomic_load(&kmb_mm.free_seq) == seq)
		if (pthread_cond_timedwait(&kmb_mm.wait_cond, &kmb_mm.wait_lock, &dl) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&kmb_mm.wait_lock);
}

void wake_free_waiters(void)
{
	pthread_mutex_lock(&kmb_mm.wait_lock);
	atomic_fetch_add(&kmb_mm.free_seq, 1);
	pthread_cond_broadcast(&kmb_mm.wait_cond);
	pthread_mutex_unlock(&kmb_mm.wait_lock);
}
