/*
 * lib.c - the out-of-line parts of lib.h: the spinlock's contended path, the rate limiter,
 * the text buffer and the reports.  The operating system's calls are in os.c.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

/* Spin on a plain load (no cache-line ping-pong), yield after a while: a pinned holder may
 * have been preempted, and user space cannot forbid that as spin_lock() does in the kernel. */
void spin_lock_slow(spinlock_t *l)
{
	for (unsigned int spins = 0;; spins++) {
		if (!atomic_load_explicit(&l->locked, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire))
			return;
		if (spins < 1000)
			cpu_relax();
		else
			sched_yield();
	}
}

uint64_t kmb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool kmb_ratelimit(struct ratelimit_state *rs)
{
	uint64_t now = kmb_now_ms();
	bool ok;

	while (atomic_flag_test_and_set_explicit(&rs->busy, memory_order_acquire))
		sched_yield();
	if (!rs->begin_ms || now - rs->begin_ms >= rs->interval_ms) {
		rs->begin_ms = now;
		rs->printed = 0;
	}
	ok = rs->printed < rs->burst;
	if (ok)
		rs->printed++;
	else
		rs->missed++;
	atomic_flag_clear_explicit(&rs->busy, memory_order_release);
	return ok;
}

void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf ? sb->buf + (sb->pos < sb->len ? sb->pos : sb->len) : NULL,
		      sb->pos < sb->len ? sb->len - sb->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->pos += (size_t)n;
}

size_t sb_end(struct sbuf *sb)
{
	if (sb->len && sb->pos >= sb->len)
		sb->buf[sb->len - 1] = 0;
	else if (sb->len && !sb->pos)
		sb->buf[0] = 0;
	return sb->pos;
}

void kmb_report(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "kmbench: %s\n", line);
}

/* lib.h: kmb_describe_caller. */
void kmb_describe_caller(char *buf, size_t len, const void *addr)
{
	Dl_info di;

	if (addr && dladdr(addr, &di) && di.dli_sname)
		snprintf(buf, len, "%s+%#lx (%s) [%p]", di.dli_sname,
			 (unsigned long)((const char *)addr - (const char *)di.dli_saddr),
			 di.dli_fname ? di.dli_fname : "?", addr);
	else if (addr && dladdr(addr, &di) && di.dli_fname)
		snprintf(buf, len, "%s+%#lx [%p]", di.dli_fname,
			 (unsigned long)((const char *)addr - (const char *)di.dli_fbase), addr);
	else
		snprintf(buf, len, "[%p]", addr);
}
