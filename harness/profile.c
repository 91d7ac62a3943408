/*
 * profile.c - the profile pass (profile.h): the wrapped operations table, the timeline's
 * sampler thread, the peak RSS, and the pass's keys in the results.
 *
 * The wrapped table's functions find the calling thread's samplers through a thread-local
 * pointer, set only between kmb_profile_thread_begin and _end: a thread without one (the
 * timed runs never use this table; a workload's own helper thread does) calls straight
 * through.  The sampler thread is the only writer of the timeline; thread 0 reads it after
 * joining it.  Threads add their histograms into the result under @lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "profile.h"
#include "rss.h"

static const struct kmb_backend_ops *inner;
static struct kmb_backend_ops wrapped;
static struct kmb_cache_ops wrapped_cache;
static __thread struct kmb_profile_thread *self;

/* One call of @op timed into @l when it is due.  A macro: the four wrappers differ only in the
 * call. */
#define TIMED(l, calls, op)						\
	do {								\
		struct kmb_profile_thread *t_ = self;			\
		uint64_t s_;						\
									\
		if (!t_ || (t_->calls++, !kmb_latency_due(&t_->l))) {	\
			op;						\
			break;						\
		}							\
		s_ = kmb_latency_now();					\
		op;							\
		kmb_latency_record(&t_->l, kmb_latency_now() - s_);	\
	} while (0)

static void *prof_alloc(size_t size, gfp_t gfp, int node)
{
	void *p;

	TIMED(alloc, alloc_calls, p = inner->alloc(size, gfp, node));
	return p;
}

static void prof_free(void *p, size_t size)
{
	TIMED(free, free_calls, inner->free(p, size));
}

static void *prof_cache_alloc(void *cache, gfp_t gfp)
{
	void *p;

	TIMED(alloc, alloc_calls, p = inner->cache->alloc(cache, gfp));
	return p;
}

static void prof_cache_free(void *cache, void *obj)
{
	TIMED(free, free_calls, inner->cache->free(cache, obj));
}

const struct kmb_backend_ops *kmb_profile_ops(const struct kmb_backend_ops *b)
{
	inner = b;
	wrapped = *b;
	wrapped.alloc = prof_alloc;
	wrapped.free = prof_free;
	if (b->cache) {
		wrapped_cache = *b->cache;
		wrapped_cache.alloc = prof_cache_alloc;
		wrapped_cache.free = prof_cache_free;
		wrapped.cache = &wrapped_cache;
	}
	return &wrapped;
}

double kmb_profile_min_time(double min_time)
{
	double t = min_time > 0 ? min_time : 0.5;

	return t / KMB_PROFILE_SHARE;
}

void kmb_profile_init(struct kmb_profile *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->peak_rss = -1;
}

/* VmHWM of /proc/self/status in bytes, -1 when it cannot be read. */
static long long status_hwm(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static void take_point(struct kmb_profile *p)
{
	struct kmb_profile_point *pt;
	struct kmb_backend_usage u = { -1, -1 };
	int r = -ENOTSUP;

	if (p->npoints == KMB_PROFILE_POINTS) {	/* full: keep every other point */
		for (size_t i = 0; i < KMB_PROFILE_POINTS / 2; i++)
			p->pt[i] = p->pt[2 * i];
		p->npoints = KMB_PROFILE_POINTS / 2;
		p->interval_ns *= 2;
	}
	pt = &p->pt[p->npoints++];
	pt->t_ms = (double)(kmb_latency_now() - p->t0_ns) / 1e6;
	pt->rss = kmb_rss_bytes();
	if (p->b->usage && p->b->usage(&u))
		u.held = u.live = -1;
	pt->held = u.held;
	pt->live = u.live;
	if (p->b->state)
		r = p->b->state(&pt->st);
	if (r) {
		pt->st.nzones = pt->st.zones_total = 0;
		pt->st.active_objs = pt->st.num_objs = -1;
	}
}

static void *sampler(void *arg)
{
	struct kmb_profile *p = arg;

	while (!atomic_load_explicit(&p->stop, memory_order_acquire)) {
		struct timespec ts = { 0, 0 };

		take_point(p);
		ts.tv_sec = (time_t)(p->interval_ns / 1000000000u);
		ts.tv_nsec = (long)(p->interval_ns % 1000000000u);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void kmb_profile_begin(struct kmb_profile *p, const struct kmb_backend_ops *b, uint32_t period)
{
	int fd, r = 0;

	kmb_latency_init(&p->alloc, period, 1);
	kmb_latency_init(&p->free, period, 1);
	p->alloc_calls = p->free_calls = 0;
	p->period = period;
	p->b = b;
	p->npoints = 0;
	p->interval_ns = KMB_PROFILE_INTERVAL_NS;
	p->usage_why[0] = p->live_why[0] = p->peak_why[0] = p->state_why[0] = '\0';
	p->clock_ns = kmb_latency_clock_ns();
	/* The high-water mark back to the current RSS (fs/proc/task_mmu.c clear_refs_write,
	 * CLEAR_REFS_MM_HIWATER_RSS). */
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "5", 1) != 1)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r)
		snprintf(p->peak_why, sizeof(p->peak_why), "cannot reset the high-water mark "
			 "(/proc/self/clear_refs: %s)", strerror(-r));
	atomic_store(&p->stop, false);
	p->t0_ns = kmb_latency_now();
	r = pthread_create(&p->sampler, NULL, sampler, p);
	p->sampling = r == 0;
	if (r)
		take_point(p);	/* one point, at least */
}

void kmb_profile_thread_begin(struct kmb_profile *p, struct kmb_profile_thread *t, uint64_t seed)
{
	kmb_latency_init(&t->alloc, p->period, seed);
	kmb_latency_init(&t->free, p->period, seed ^ 0x5851f42d4c957f2dull);
	/* The first call of each kind is timed: a workload that allocates only in its setup
	 * (access, numa-matrix: one buffer per thread) still has a sample. */
	t->alloc.countdown = t->free.countdown = 1;
	t->alloc_calls = t->free_calls = 0;
	self = t;
}

void kmb_profile_thread_end(struct kmb_profile *p, struct kmb_profile_thread *t)
{
	self = NULL;
	pthread_mutex_lock(&p->lock);
	kmb_latency_add(&p->alloc, &t->alloc);
	kmb_latency_add(&p->free, &t->free);
	p->alloc_calls += t->alloc_calls;
	p->free_calls += t->free_calls;
	pthread_mutex_unlock(&p->lock);
}

void kmb_profile_end(struct kmb_profile *p)
{
	long long hwm;

	if (p->sampling) {
		atomic_store_explicit(&p->stop, true, memory_order_release);
		pthread_join(p->sampler, NULL);
		p->sampling = false;
	}
	take_point(p);	/* the end state */
	p->interval_ms = (double)p->interval_ns / 1e6;
	if (!p->b->usage)
		snprintf(p->usage_why, sizeof(p->usage_why), "%s cannot say (no usage operation)",
			 p->b->name);
	else if (p->pt[0].held < 0)
		snprintf(p->usage_why, sizeof(p->usage_why), "%s's usage operation failed here",
			 p->b->name);
	if (!p->usage_why[0] && p->pt[0].live < 0)
		snprintf(p->live_why, sizeof(p->live_why), "%s cannot say which bytes are live",
			 p->b->name);
	else if (p->usage_why[0])
		snprintf(p->live_why, sizeof(p->live_why), "%s", p->usage_why);
	if (!p->b->state)
		snprintf(p->state_why, sizeof(p->state_why), "%s cannot say (no state operation)",
			 p->b->name);
	else if (!p->pt[0].st.nzones && p->pt[0].st.active_objs < 0)
		snprintf(p->state_why, sizeof(p->state_why), "%s's state operation failed here",
			 p->b->name);
	p->peak_rss = -1;
	if (p->peak_why[0])
		return;
	hwm = status_hwm();
	if (hwm < 0) {
		snprintf(p->peak_why, sizeof(p->peak_why), "no VmHWM in /proc/self/status");
		return;
	}
	/* VmHWM follows the RSS counters lazily (a peak released through madvise before the
	 * counters' next sync can escape it): the timeline's highest point bounds it below. */
	p->peak_rss = hwm;
	for (size_t i = 0; i < p->npoints; i++)
		if (p->pt[i].rss > p->peak_rss)
			p->peak_rss = p->pt[i].rss;
}

static void latency_counters(struct kmb_json *j, const char *op, const struct kmb_latency *l)
{
	static const struct {
		const char *name;
		double q;
	} pct[] = {
		{ "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p999", 0.999 },
	};
	char key[48];

	if (!l->count)
		return;
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		snprintf(key, sizeof(key), "%s_lat_%s_ns", op, pct[i].name);
		kmb_json_num(j, key, (double)kmb_latency_percentile(l, pct[i].q));
	}
	snprintf(key, sizeof(key), "%s_lat_max_ns", op);
	kmb_json_num(j, key, (double)l->max_ns);
	snprintf(key, sizeof(key), "%s_lat_samples", op);
	kmb_json_num(j, key, (double)l->count);
}

/* The largest held (@live: live) bytes of the timeline; -1 when it has none. */
static long long usage_peak(const struct kmb_profile *p, bool live)
{
	long long m = -1;

	for (size_t i = 0; i < p->npoints; i++) {
		long long v = live ? p->pt[i].live : p->pt[i].held;

		m = v > m ? v : m;
	}
	return m;
}

void kmb_profile_counters(struct kmb_json *j, const struct kmb_profile *p)
{
	latency_counters(j, "alloc", &p->alloc);
	latency_counters(j, "free", &p->free);
	if (p->peak_rss >= 0)
		kmb_json_num(j, "peak_rss_bytes", (double)p->peak_rss);
	if (!p->usage_why[0])
		kmb_json_num(j, "held_peak_bytes", (double)usage_peak(p, false));
	if (!p->live_why[0])
		kmb_json_num(j, "live_peak_bytes", (double)usage_peak(p, true));
}

/* Why @op's latency is absent: no calls, or none sampled. */
static void latency_why(struct kmb_json *j, const char *op, const struct kmb_latency *l,
			uint64_t calls)
{
	char key[32], why[96];

	if (l->count)
		return;
	snprintf(key, sizeof(key), "%s_lat", op);
	if (calls)
		snprintf(why, sizeof(why), "%llu calls, none sampled (one in %u)",
			 (unsigned long long)calls, l->period);
	else
		snprintf(why, sizeof(why), "no %s call in the pass", op);
	kmb_json_str(j, key, why);
}

static void timeline_series(struct kmb_json *j, const char *key, const struct kmb_profile *p,
			    size_t field)
{
	kmb_json_arr_begin(j, key);
	for (size_t i = 0; i < p->npoints; i++) {
		const struct kmb_profile_point *pt = &p->pt[i];
		long long v = field == 0 ? pt->rss : field == 1 ? pt->held : pt->live;

		kmb_json_int(j, NULL, v);
	}
	kmb_json_arr_end(j);
}

/* One quantity of the state over the timeline: of zone @z, or of every zone together (-1). */
enum state_field { ST_UNUSABLE, ST_EXTFRAG, ST_FREE_PAGES, ST_ACTIVE_OBJS, ST_NUM_OBJS };

static void state_field_series(struct kmb_json *j, const char *key, const struct kmb_profile *p,
			       int z, enum state_field f)
{
	kmb_json_arr_begin(j, key);
	for (size_t i = 0; i < p->npoints; i++) {
		const struct kmb_backend_state *s = &p->pt[i].st;

		switch (f) {
		case ST_UNUSABLE:	/* thousandths, as fractions */
			kmb_json_num(j, NULL, (z < 0 ? s->unusable : s->zone[z].unusable) / 1000.0);
			break;
		case ST_EXTFRAG:
			kmb_json_num(j, NULL, (z < 0 ? s->extfrag : s->zone[z].extfrag) / 1000.0);
			break;
		case ST_FREE_PAGES:
			kmb_json_int(j, NULL, s->zone[z].free_pages);
			break;
		case ST_ACTIVE_OBJS:
			kmb_json_int(j, NULL, s->active_objs);
			break;
		case ST_NUM_OBJS:
			kmb_json_int(j, NULL, s->num_objs);
			break;
		}
	}
	kmb_json_arr_end(j);
}

/* The state's series (results/README.md): the indices at KMB_STATE_ORDER over every zone
 * together and per zone with its free pages (fractions, as the stats'
 * fragmentation_index_order<N>), and slabinfo's object counts.  The populated zones are fixed
 * at boot, so every point describes the same ones. */
static void state_series(struct kmb_json *j, const struct kmb_profile *p)
{
	const struct kmb_backend_state *s0 = &p->pt[0].st;

	kmb_json_int(j, "frag_order", KMB_STATE_ORDER);
	state_field_series(j, "unusable_index", p, -1, ST_UNUSABLE);
	state_field_series(j, "extfrag_index", p, -1, ST_EXTFRAG);
	kmb_json_int(j, "zones_total", s0->zones_total);
	kmb_json_arr_begin(j, "zones");
	for (int z = 0; z < s0->nzones; z++) {
		kmb_json_obj_begin(j, NULL);
		kmb_json_int(j, "node", s0->zone[z].node);
		kmb_json_str(j, "zone", s0->zone[z].zone);
		state_field_series(j, "free_pages", p, z, ST_FREE_PAGES);
		state_field_series(j, "unusable_index", p, z, ST_UNUSABLE);
		state_field_series(j, "extfrag_index", p, z, ST_EXTFRAG);
		kmb_json_obj_end(j);
	}
	kmb_json_arr_end(j);
	if (s0->active_objs < 0)
		return;
	state_field_series(j, "slab_active_objs", p, -1, ST_ACTIVE_OBJS);
	state_field_series(j, "slab_num_objs", p, -1, ST_NUM_OBJS);
}

/* @op's distribution (kmb_latency_cdf): {le_ns: [...], count: [...]}; nothing without
 * samples. */
static void latency_cdf(struct kmb_json *j, const char *op, const struct kmb_latency *l)
{
	uint64_t le[KMB_LAT_CDF_MAX], count[KMB_LAT_CDF_MAX];
	unsigned int n = kmb_latency_cdf(l, le, count);

	if (!n)
		return;
	kmb_json_obj_begin(j, op);
	kmb_json_arr_begin(j, "le_ns");
	for (unsigned int i = 0; i < n; i++)
		kmb_json_int(j, NULL, (long long)le[i]);
	kmb_json_arr_end(j);
	kmb_json_arr_begin(j, "count");
	for (unsigned int i = 0; i < n; i++)
		kmb_json_int(j, NULL, (long long)count[i]);
	kmb_json_arr_end(j);
	kmb_json_obj_end(j);
}

void kmb_profile_meta(struct kmb_json *j, const struct kmb_profile *p, long long iterations,
		      const char *why)
{
	kmb_json_obj_begin(j, "profile");
	if (!p) {
		kmb_json_str(j, "status", "unavailable");
		kmb_json_str(j, "reason", why);
		kmb_json_obj_end(j);
		return;
	}
	kmb_json_str(j, "status", "measured");
	kmb_json_int(j, "iterations", iterations);
	kmb_json_int(j, "sample_period", p->period);
	kmb_json_int(j, "clock_ns", (long long)p->clock_ns);
	kmb_json_int(j, "alloc_calls", (long long)p->alloc_calls);
	kmb_json_int(j, "free_calls", (long long)p->free_calls);
	if (!p->alloc.count || !p->free.count || p->peak_why[0] || p->usage_why[0] ||
	    p->live_why[0] || p->state_why[0]) {
		kmb_json_obj_begin(j, "unavailable");
		latency_why(j, "alloc", &p->alloc, p->alloc_calls);
		latency_why(j, "free", &p->free, p->free_calls);
		if (p->peak_why[0])
			kmb_json_str(j, "peak_rss", p->peak_why);
		if (p->usage_why[0])
			kmb_json_str(j, "held", p->usage_why);
		if (p->live_why[0])
			kmb_json_str(j, "live", p->live_why);
		if (p->state_why[0])
			kmb_json_str(j, "state", p->state_why);
		kmb_json_obj_end(j);
	}
	kmb_json_obj_begin(j, "timeline");
	kmb_json_num(j, "interval_ms", p->interval_ms);
	kmb_json_arr_begin(j, "t_ms");
	for (size_t i = 0; i < p->npoints; i++)
		kmb_json_num(j, NULL, (double)(long long)(p->pt[i].t_ms * 1000) / 1000);
	kmb_json_arr_end(j);
	timeline_series(j, "rss_bytes", p, 0);
	if (!p->usage_why[0])
		timeline_series(j, "held_bytes", p, 1);
	if (!p->live_why[0])
		timeline_series(j, "live_bytes", p, 2);
	if (!p->state_why[0])
		state_series(j, p);
	kmb_json_obj_end(j);
	if (p->alloc.count || p->free.count) {
		kmb_json_obj_begin(j, "latency");
		latency_cdf(j, "alloc", &p->alloc);
		latency_cdf(j, "free", &p->free);
		kmb_json_obj_end(j);
	}
	kmb_json_obj_end(j);
}
