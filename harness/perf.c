/*
 * perf.c - per-thread counter sets over perf_event_open(2).
 *
 * The only file in kmbench that calls perf_event_open.  A set (struct kmb_perf) holds at most two
 * event groups, each read with one read(2) of PERF_FORMAT_GROUP:
 *
 *   software group: task-clock (leader), page-faults, context-switches, cpu-migrations
 *   hardware group: cycles (leader), instructions, cache-misses, L1D/LL/DTLB read misses
 *
 * Every event counts the opening thread only (pid 0, cpu -1, inherit 0).  A group's first event
 * that opens becomes its leader: when cycles is refused, the next hardware event leads.  The leader
 * is opened disabled, members enabled.  A member counts only while its group is scheduled, and a
 * group is scheduled only while its leader is enabled, so enabling and disabling the leader alone
 * starts and stops the whole group at one instant.  (PERF_IOC_FLAG_GROUP on ENABLE/DISABLE
 * toggles every member one by one instead, and on Linux 6.18 a software member stays at 0 after
 * the first DISABLE|GROUP, ENABLE|GROUP cycle; RESET does take the flag.)  An event the kernel
 * refuses is left out of its group and its counter is reported invalid with a short reason that
 * names the errno; it is never read as 0.
 *
 * Invariants:
 *   - grp[g].fd[0] is the leader of group g whenever grp[g].nr > 0; fd[i] counts ctr[i], and
 *     read(2) records are matched to counters by the kernel's event id, not by position.
 *   - PERF_EVENT_IOC_RESET clears counts but not time_enabled/time_running, so enable records
 *     the group's times (read while still disabled) and read subtracts them: values and the
 *     multiplexing scale both cover the time since the last enable only.
 *   - A group with no running time since the last enable reports all its counters invalid.
 *
 * Process-wide decisions, made at run time and kept in atomics (no locks, so any thread may
 * probe or open at any time; racing threads compute the same answer and store it twice):
 *   - perf_excl: whether events need exclude_kernel/exclude_hv.  The first attempt counts the
 *     kernel too; EACCES/EPERM from any event (perf_event_paranoid >= 2 without CAP_PERFMON)
 *     reopens the whole set with exclude_kernel, and that answer is kept.  kmb_perf_probe()
 *     always decides afresh (a forked child may have dropped privileges since); kmb_perf_open()
 *     starts from the kept answer and still falls back on EACCES/EPERM, so a stale answer costs
 *     one failed attempt, never a wrong count.
 *   - perf_hw_limit: how many hardware events the group may hold.  A group is scheduled onto
 *     the PMU whole or not at all, and the kernel only checks at open time that it fits an
 *     empty PMU: with the NMI watchdog pinning one counter, a six-event group may open fine and
 *     then never run.  kmb_perf_probe() runs the group briefly and drops members from the end
 *     until it is scheduled; kmb_perf_open() then opens no more than that.
 *
 * Under exclude_kernel the kernel can never count context switches or CPU migrations: it
 * raises them from scheduler code with kernel-mode registers (perf_sw_event_sched()), which
 * perf_exclude_event() then drops, so they would read 0.  They are reported unavailable instead.
 *
 * Threading: a set belongs to the thread that opened it; enable, disable, read and close must
 * be called from that thread (read and close from another thread work but count nothing new).
 * Lock order: none (no locks).
 */
#define _GNU_SOURCE
#include "perf.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KMB_REASON_LEN		sizeof(((struct kmb_counter_probe *)0)->reason)
#define KMB_PERF_GRP_MAX	6	/* events in the larger (hardware) group */
#define KMB_PERF_ALL		((1u << KMB_CTR_COUNT) - 1)
#define KMB_PERF_PROBE_NS	2000000	/* busy time the probe gives each trial of the hw group */

#define KMB_READ_FORMAT	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | \
			 PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID)

#define KMB_HW_CACHE(cache, op, result)					\
	(PERF_COUNT_HW_CACHE_##cache |					\
	 (uint64_t)PERF_COUNT_HW_CACHE_OP_##op << 8 |			\
	 (uint64_t)PERF_COUNT_HW_CACHE_RESULT_##result << 16)

/* Reasons that are not an errno.  Each fits struct kmb_counter_probe.reason. */
static const char KMB_R_NOFIT[] = "not scheduled: too few free PMU counters for the group (NMI watchdog?)";
static const char KMB_R_BUSY[] = "not scheduled: PMU counters busy (multiplexed to zero)";
static const char KMB_R_IDLE[] = "not counted: set not enabled since it was opened";
static const char KMB_R_SCHED_EXCL[] = "exclude_kernel: counted only in kernel mode, would read 0";
static const char KMB_R_UNREQ[] = "not requested";

enum kmb_perf_grp { KMB_GRP_SW, KMB_GRP_HW, KMB_GRP_COUNT };

/* How each counter is asked of the kernel, and its JSON key. */
static const struct kmb_event_desc {
	const char *name;
	uint32_t type;
	uint64_t config;
} kmb_events[KMB_CTR_COUNT] = {
#define SW(key, cfg)	{ key, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_##cfg }
#define HW(key, cfg)	{ key, PERF_TYPE_HARDWARE, PERF_COUNT_HW_##cfg }
#define HWC(key, cache)	{ key, PERF_TYPE_HW_CACHE, KMB_HW_CACHE(cache, READ, MISS) }
	[KMB_CTR_TASK_CLOCK]		= SW("task_clock_ns", TASK_CLOCK),
	[KMB_CTR_PAGE_FAULTS]		= SW("page_faults", PAGE_FAULTS),
	[KMB_CTR_CONTEXT_SWITCHES]	= SW("context_switches", CONTEXT_SWITCHES),
	[KMB_CTR_CPU_MIGRATIONS]	= SW("cpu_migrations", CPU_MIGRATIONS),
	[KMB_CTR_CYCLES]		= HW("cycles", CPU_CYCLES),
	[KMB_CTR_INSTRUCTIONS]		= HW("instructions", INSTRUCTIONS),
	[KMB_CTR_CACHE_MISSES]		= HW("cache_misses", CACHE_MISSES),
	[KMB_CTR_L1D_MISSES]		= HWC("l1d_misses", L1D),
	[KMB_CTR_LLC_MISSES]		= HWC("llc_misses", LL),
	[KMB_CTR_DTLB_MISSES]		= HWC("dtlb_misses", DTLB),
#undef SW
#undef HW
#undef HWC
};
_Static_assert(KMB_CTR_COUNT <= 32, "a mask of enum kmb_counter must fit a uint32_t");

/* One event group: the leader and its members, in the order they were opened. */
struct kmb_perf_group {
	int nr;					/* events open; 0: the group is empty */
	int fd[KMB_PERF_GRP_MAX];		/* fd[0] is the leader */
	uint64_t id[KMB_PERF_GRP_MAX];		/* PERF_EVENT_IOC_ID of fd[i] */
	enum kmb_counter ctr[KMB_PERF_GRP_MAX];	/* what fd[i] counts */
	uint64_t base_enabled;			/* time_enabled at the last enable */
	uint64_t base_running;			/* time_running at the last enable */
};

struct kmb_perf {
	struct kmb_perf_group grp[KMB_GRP_COUNT];
	bool exclude_kernel;			/* every event of this set was opened with it */
	int open_err[KMB_CTR_COUNT];		/* errno that kept a counter out; 0 if none */
	char reason[KMB_CTR_COUNT][KMB_REASON_LEN];	/* why invalid; "" when valid */
};

/* One group's read(2) record with PERF_FORMAT_GROUP | TOTAL_TIME_* | ID. */
struct kmb_perf_record {
	uint64_t nr;
	uint64_t time_enabled;
	uint64_t time_running;
	struct {
		uint64_t value;
		uint64_t id;
	} v[KMB_PERF_GRP_MAX];
};

enum { KMB_EXCL_UNKNOWN, KMB_EXCL_NO, KMB_EXCL_YES };
static _Atomic int perf_excl = KMB_EXCL_UNKNOWN;
static _Atomic int perf_hw_limit = KMB_PERF_GRP_MAX;

const char *kmb_counter_name(enum kmb_counter c)
{
	if ((unsigned int)c >= KMB_CTR_COUNT)
		return NULL;
	return kmb_events[c].name;
}

bool kmb_counter_is_software(enum kmb_counter c)
{
	return (unsigned int)c < KMB_CTR_COUNT && kmb_events[c].type == PERF_TYPE_SOFTWARE;
}

int kmb_perf_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int level;

	if (!f)
		return -100;
	if (fscanf(f, "%d", &level) != 1)
		level = -100;
	fclose(f);
	return level;
}

static const char *perf_errno_name(int err)
{
	switch (err) {
	case EACCES:	 return "EACCES";
	case EPERM:	 return "EPERM";
	case ENOENT:	 return "ENOENT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENODEV:	 return "ENODEV";
	case ENOSYS:	 return "ENOSYS";
	case EINVAL:	 return "EINVAL";
	case EBUSY:	 return "EBUSY";
	case EMFILE:	 return "EMFILE";
	case ENFILE:	 return "ENFILE";
	case ENOMEM:	 return "ENOMEM";
	case E2BIG:	 return "E2BIG";
	case EFAULT:	 return "EFAULT";
	case ESRCH:	 return "ESRCH";
	case EIO:	 return "EIO";
	case ENOSPC:	 return "ENOSPC";
	default:	 return NULL;
	}
}

/* Writes "ENAME: @what" (or "errno N: @what") into @buf. */
static void perf_errno_reason(char *buf, size_t len, int err, const char *what)
{
	const char *name = perf_errno_name(err);

	if (name)
		snprintf(buf, len, "%s: %s", name, what);
	else
		snprintf(buf, len, "errno %d: %s", err, what);
}

/*
 * Writes why the kernel said EACCES/EPERM into @buf.  With exclude_kernel set (@excl), only
 * perf_event_paranoid > 2 (Debian's "no unprivileged perf at all") forbids counting oneself, so a
 * denial below that comes from elsewhere: a seccomp filter (containers) or a security module.
 */
static void perf_denied_reason(char *buf, size_t len, int err, bool excl)
{
	int paranoid = kmb_perf_paranoid();

	if (paranoid == -100)
		perf_errno_reason(buf, len, err, "not permitted (perf_event_paranoid unreadable)");
	else if (paranoid > 2 || !excl)
		snprintf(buf, len, "%s: perf_event_paranoid=%d forbids it", perf_errno_name(err),
			 paranoid);
	else
		snprintf(buf, len, "%s: denied although perf_event_paranoid=%d (seccomp? LSM?)",
			 perf_errno_name(err), paranoid);
}

/* Writes why opening counter @c failed with @err into @buf; @excl: the attempt had exclude_kernel. */
static void perf_open_reason(char *buf, size_t len, int err, enum kmb_counter c, bool excl)
{
	bool sw = kmb_counter_is_software(c);
	const char *what = "perf_event_open failed";

	switch (err) {
	case ENOENT:
		what = sw ? "not supported by this kernel" :
			    "not supported on this machine (no hardware PMU?)";
		break;
	case EOPNOTSUPP:
		what = "this PMU does not support the event or its filters";
		break;
	case ENODEV:
		what = "no PMU for this event on this machine";
		break;
	case ENOSYS:
		what = "perf_event_open not available";
		break;
	case EINVAL:
		what = sw ? "rejected by the kernel" : "rejected by the kernel (group too large for the PMU?)";
		break;
	case EBUSY:
		what = "PMU in exclusive use by someone else";
		break;
	case EMFILE:
	case ENFILE:
		what = "out of file descriptors";
		break;
	case EACCES:
	case EPERM:
		perf_denied_reason(buf, len, err, excl);
		return;
	}
	perf_errno_reason(buf, len, err, what);
}

/* Opens counter @c for the calling thread, into group @group_fd (-1: as a new leader). */
static int perf_event_open_fd(enum kmb_counter c, int group_fd, bool excl)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = kmb_events[c].type;
	attr.config = kmb_events[c].config;
	attr.read_format = KMB_READ_FORMAT;
	attr.disabled = group_fd < 0;	/* the leader starts the group; members follow it */
	attr.inherit = 0;
	attr.exclude_kernel = excl;
	attr.exclude_hv = excl;

	fd = syscall(SYS_perf_event_open, &attr, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return (int)fd;
}

static void perf_group_close(struct kmb_perf_group *g)
{
	/* Members first, so that closing the leader never has siblings to promote. */
	while (g->nr > 0)
		close(g->fd[--g->nr]);
}

static void perf_set_close(struct kmb_perf *p)
{
	for (int g = 0; g < KMB_GRP_COUNT; g++)
		perf_group_close(&p->grp[g]);
}

static void perf_set_reason(struct kmb_perf *p, enum kmb_counter c, const char *why)
{
	snprintf(p->reason[c], sizeof(p->reason[c]), "%s", why);
}

/*
 * Opens counter @c into group @g, as its leader when @g is empty, unless @g already holds @limit
 * events.  Returns 0, or -errno with @c's reason set.
 */
static int perf_group_add(struct kmb_perf *p, struct kmb_perf_group *g, enum kmb_counter c,
			  int limit)
{
	uint64_t id;
	int fd, err;

	fd = perf_event_open_fd(c, g->nr ? g->fd[0] : -1, p->exclude_kernel);
	if (fd < 0) {
		p->open_err[c] = -fd;
		perf_open_reason(p->reason[c], KMB_REASON_LEN, -fd, c, p->exclude_kernel);
		return fd;
	}
	if (g->nr >= limit) {
		/* It opens, but the probe found that the PMU would never run it. */
		close(fd);
		perf_set_reason(p, c, limit ? KMB_R_NOFIT : KMB_R_BUSY);
		return -EBUSY;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id) < 0) {
		err = errno;
		close(fd);
		p->open_err[c] = err;
		perf_errno_reason(p->reason[c], KMB_REASON_LEN, err, "PERF_EVENT_IOC_ID failed");
		return -err;
	}
	g->fd[g->nr] = fd;
	g->id[g->nr] = id;
	g->ctr[g->nr] = c;
	g->nr++;
	return 0;
}

/*
 * Opens the counters of @mask that belong to group @gi, at most @limit of them.  Returns how many
 * were refused with EACCES/EPERM.
 */
static int perf_group_open(struct kmb_perf *p, int gi, uint32_t mask, int limit)
{
	int denied = 0;

	for (int c = 0; c < KMB_CTR_COUNT; c++) {
		int err;

		if (!(mask & (1u << c)) || kmb_counter_is_software(c) != (gi == KMB_GRP_SW))
			continue;
		if (p->exclude_kernel && (c == KMB_CTR_CONTEXT_SWITCHES ||
					  c == KMB_CTR_CPU_MIGRATIONS)) {
			perf_set_reason(p, c, KMB_R_SCHED_EXCL);
			continue;
		}
		err = perf_group_add(p, &p->grp[gi], c, limit);
		if (err == -EACCES || err == -EPERM)
			denied++;
	}
	return denied;
}

/* Opens every counter of @mask into a set that holds none, with @p->exclude_kernel as given. */
static int perf_set_open(struct kmb_perf *p, uint32_t mask, int hw_limit)
{
	for (int c = 0; c < KMB_CTR_COUNT; c++) {
		p->open_err[c] = 0;
		perf_set_reason(p, c, (mask & (1u << c)) ? "" : KMB_R_UNREQ);
	}
	return perf_group_open(p, KMB_GRP_SW, mask, KMB_PERF_GRP_MAX) +
	       perf_group_open(p, KMB_GRP_HW, mask, hw_limit);
}

/*
 * Opens @p's counters, deciding exclude_kernel: from the kept answer, or afresh when @fresh.
 * Keeps the answer it reached whenever at least one event opened.
 */
static void perf_set_setup(struct kmb_perf *p, uint32_t mask, int hw_limit, bool fresh)
{
	int known = fresh ? KMB_EXCL_UNKNOWN : atomic_load(&perf_excl);
	bool opened = false;

	p->exclude_kernel = known == KMB_EXCL_YES;
	if (perf_set_open(p, mask, hw_limit) > 0 && !p->exclude_kernel) {
		perf_set_close(p);
		p->exclude_kernel = true;
		perf_set_open(p, mask, hw_limit);
	}
	for (int g = 0; g < KMB_GRP_COUNT; g++)
		opened |= p->grp[g].nr > 0;
	if (opened)
		atomic_store(&perf_excl, p->exclude_kernel ? KMB_EXCL_YES : KMB_EXCL_NO);
}

/**
 * kmb_perf_open - open a counter set for the calling thread
 * @mask: counters wanted, bit i = enum kmb_counter i
 *
 * Opens the wanted counters disabled, each in its group.  A counter the kernel refuses is left
 * out with its reason (see kmb_perf_reason()); the others still count.  The hardware group holds
 * no more events than kmb_perf_probe() found the PMU can schedule together.  Any thread, any
 * time; the set then belongs to the caller.  Returns NULL only when memory is exhausted.
 */
struct kmb_perf *kmb_perf_open(uint32_t mask)
{
	struct kmb_perf *p = calloc(1, sizeof(*p));

	if (p)
		perf_set_setup(p, mask & KMB_PERF_ALL, atomic_load(&perf_hw_limit), false);
	return p;
}

/**
 * kmb_perf_close - close every event of @p and free it.  @p may be NULL.
 */
void kmb_perf_close(struct kmb_perf *p)
{
	if (!p)
		return;
	perf_set_close(p);
	free(p);
}

static int perf_group_read(const struct kmb_perf_group *g, struct kmb_perf_record *r)
{
	ssize_t n = read(g->fd[0], r, sizeof(*r));

	if (n < 0)
		return -errno;
	if ((size_t)n < offsetof(struct kmb_perf_record, v) || r->nr > KMB_PERF_GRP_MAX ||
	    (size_t)n < offsetof(struct kmb_perf_record, v) + r->nr * sizeof(r->v[0]))
		return -EIO;
	return 0;
}

/**
 * kmb_perf_enable - reset and start every group of @p
 *
 * Counts and the multiplexing times then cover the time from here to the next disable or read.
 * Owner thread only.  Errors are not returned: a group that failed to start reads as invalid.
 */
void kmb_perf_enable(struct kmb_perf *p)
{
	struct kmb_perf_record r;

	if (!p)
		return;
	for (int gi = 0; gi < KMB_GRP_COUNT; gi++) {
		struct kmb_perf_group *g = &p->grp[gi];

		if (!g->nr)
			continue;
		ioctl(g->fd[0], PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
		/* Still disabled: the times stand still until the enable below. */
		if (perf_group_read(g, &r) == 0) {
			g->base_enabled = r.time_enabled;
			g->base_running = r.time_running;
		}
	}
	for (int gi = 0; gi < KMB_GRP_COUNT; gi++)
		if (p->grp[gi].nr)
			ioctl(p->grp[gi].fd[0], PERF_EVENT_IOC_ENABLE, 0);
}

/**
 * kmb_perf_disable - stop every group of @p; its counts stay readable.  Owner thread only.
 */
void kmb_perf_disable(struct kmb_perf *p)
{
	if (!p)
		return;
	for (int gi = KMB_GRP_COUNT - 1; gi >= 0; gi--)
		if (p->grp[gi].nr)
			ioctl(p->grp[gi].fd[0], PERF_EVENT_IOC_DISABLE, 0);
}

/* Fills @out from one group's record; returns the group's running/enabled fraction. */
static double perf_group_values(struct kmb_perf *p, const struct kmb_perf_group *g,
				const struct kmb_perf_record *r, struct kmb_perf_values *out)
{
	uint64_t enabled = r->time_enabled - g->base_enabled;
	uint64_t running = r->time_running - g->base_running;
	const char *why = running ? "" : enabled ? KMB_R_BUSY : KMB_R_IDLE;

	for (int i = 0; i < g->nr; i++)
		perf_set_reason(p, g->ctr[i], why);
	if (!running)
		return 0;

	for (uint64_t k = 0; k < r->nr; k++) {
		for (int i = 0; i < g->nr; i++) {
			if (g->id[i] != r->v[k].id)
				continue;
			out->value[g->ctr[i]] = (double)r->v[k].value *
						((double)enabled / (double)running);
			out->valid[g->ctr[i]] = true;
		}
	}
	/* An event the kernel left out of the record (none should be) is not counted as 0. */
	for (int i = 0; i < g->nr; i++)
		if (!out->valid[g->ctr[i]])
			perf_set_reason(p, g->ctr[i], "EIO: missing from the group's read record");
	return (double)running / (double)enabled;
}

/**
 * kmb_perf_read - scaled totals of @p since its last enable
 * @p: the set, enabled or disabled
 * @out: filled in full; a counter that is not open or whose group never ran is invalid, with
 *	its reason in kmb_perf_reason()
 *
 * Each value is scaled by time_enabled / time_running of its group.  Owner thread only.
 * Returns 0, or the first -errno a group's read(2) gave (that group's counters are invalid,
 * the others are filled).
 */
int kmb_perf_read(struct kmb_perf *p, struct kmb_perf_values *out)
{
	struct kmb_perf_record r;
	int ret = 0;

	if (!p || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (int gi = 0; gi < KMB_GRP_COUNT; gi++) {
		struct kmb_perf_group *g = &p->grp[gi];
		double fraction;
		int err;

		if (!g->nr)
			continue;
		err = perf_group_read(g, &r);
		if (err) {
			for (int i = 0; i < g->nr; i++)
				perf_errno_reason(p->reason[g->ctr[i]], KMB_REASON_LEN, -err,
						  "read failed");
			ret = ret ? ret : err;
			continue;
		}
		fraction = perf_group_values(p, g, &r, out);
		if (gi == KMB_GRP_HW)
			out->hw_running_fraction = fraction;
	}
	return ret;
}

/**
 * kmb_perf_reason - why counter @c of @p is invalid
 *
 * Set by kmb_perf_open() for a counter it did not open, and by each kmb_perf_read() for a
 * counter whose group did not run.  "" while the counter is valid.  The string belongs to @p.
 */
const char *kmb_perf_reason(const struct kmb_perf *p, enum kmb_counter c)
{
	if (!p || (unsigned int)c >= KMB_CTR_COUNT)
		return "";
	return p->reason[c];
}

static uint64_t perf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs @p (for a moment of busy work if it has hardware events) and reads it into @v. */
static void perf_trial(struct kmb_perf *p, struct kmb_perf_values *v)
{
	uint64_t start;

	kmb_perf_enable(p);
	start = perf_now_ns();
	while (p->grp[KMB_GRP_HW].nr && perf_now_ns() - start < KMB_PERF_PROBE_NS)
		;
	kmb_perf_disable(p);
	kmb_perf_read(p, v);
}

/*
 * Shrinks @p's hardware group from its end until the PMU schedules it, and returns how many
 * hardware events the group may hold: all when it has none, 0 when even the leader alone never
 * ran (then the group is closed and its counters say why).
 */
static int perf_fit_hw(struct kmb_perf *p, struct kmb_perf_values *v)
{
	struct kmb_perf_group *g = &p->grp[KMB_GRP_HW];

	for (;;) {
		perf_trial(p, v);
		if (!g->nr)
			return KMB_PERF_GRP_MAX;
		if (v->valid[g->ctr[0]])
			return g->nr;
		if (g->nr == 1)
			break;
		g->nr--;
		close(g->fd[g->nr]);
		perf_set_reason(p, g->ctr[g->nr], KMB_R_NOFIT);
	}
	perf_set_reason(p, g->ctr[0], KMB_R_BUSY);
	perf_group_close(g);
	return 0;
}

/**
 * kmb_perf_probe - which counters this process can count, decided on the calling thread
 * @probe: filled for every counter: available, or the reason it is not
 * @exclude_kernel: set to whether counting needs exclude_kernel (and exclude_hv)
 *
 * Opens every counter, deciding afresh whether the kernel may be counted, and runs the set for
 * a few milliseconds to find how many hardware events the PMU schedules together.  Both answers
 * are kept for later kmb_perf_open() calls from any thread.  Takes a few milliseconds.
 * Returns 0, or -ENOSYS when perf_event_open is missing altogether (every reason says so),
 * or -ENOMEM.
 */
int kmb_perf_probe(struct kmb_counter_probe probe[KMB_CTR_COUNT], bool *exclude_kernel)
{
	struct kmb_perf_values v;
	struct kmb_perf *p = calloc(1, sizeof(*p));
	bool nosys = true;

	if (!p) {
		for (int c = 0; c < KMB_CTR_COUNT; c++) {
			probe[c].available = false;
			snprintf(probe[c].reason, sizeof(probe[c].reason), "ENOMEM: probe failed");
		}
		*exclude_kernel = false;
		return -ENOMEM;
	}
	perf_set_setup(p, KMB_PERF_ALL, KMB_PERF_GRP_MAX, true);
	atomic_store(&perf_hw_limit, perf_fit_hw(p, &v));

	for (int c = 0; c < KMB_CTR_COUNT; c++) {
		probe[c].available = v.valid[c];
		snprintf(probe[c].reason, sizeof(probe[c].reason), "%s",
			 v.valid[c] ? "" : p->reason[c]);
		nosys &= p->open_err[c] == ENOSYS;
	}
	*exclude_kernel = p->exclude_kernel;
	kmb_perf_close(p);
	return nosys ? -ENOSYS : 0;
}
