/*
 * vmap_test.h - what the mapping layer's tests (test_vmalloc.c, test_kmap.c, test_ioremap.c)
 * share, beside mm_test.h:
 *
 *   vm_boot(cfg)         boot() a machine; its misuse policy is "go on" unless @cfg says;
 *   check_vm()           kmb_mm_check() and kmb_vmalloc_check(), or fail with what they found;
 *   vm_stats()           kmb_vmalloc_get_stats() as a value;
 *   zone_free()          every zone's free pages, per-CPU lists drained first, into a snapshot;
 *   fill_page/page_ok    a byte pattern per (tag, offset), and its check;
 *   run_in_child()       a function in a fork()ed child with default signal handlers, its
 *                        stderr back as text; returns the wait status;
 *   assert_faults()      in a child, a read or write of an address must fault (SIGSEGV) at
 *                        exactly that address;
 *   assert_child_aborts() the child died of SIGABRT after a report that has a string.
 *
 * Include after _GNU_SOURCE.
 */
#ifndef KMB_TESTS_UNIT_VMAP_TEST_H
#define KMB_TESTS_UNIT_VMAP_TEST_H

#include <signal.h>
#include <sys/wait.h>

#include "kmbench/highmem.h"
#include "kmbench/io.h"
#include "kmbench/vmalloc.h"
#include "page_alloc.h"		/* allocators/page/: kmb_mm_internal */
#include "mm_test.h"

#define MiB		(1UL << 20)

static inline void vm_boot(const struct kmb_mm_config *cfg)
{
	struct kmb_mm_config c = *cfg;

	if (!c.debug)
		c.debug = -1;
	boot(&c);
}

static inline void check_vm(void)
{
	char why[256] = "";

	check_mm();
	if (kmb_vmalloc_check(why, sizeof(why)))
		fail_msg("kmb_vmalloc_check: %s", why);
}

static inline struct kmb_vmalloc_stats vm_stats(void)
{
	struct kmb_vmalloc_stats st;

	kmb_vmalloc_get_stats(&st);
	return st;
}

struct zone_free {
	unsigned long pages[KMB_MAX_NUMNODES][MAX_NR_ZONES];
};

static inline struct zone_free zone_free(void)
{
	struct zone_free zf;

	memset(&zf, 0, sizeof(zf));
	drain_all_pages(NULL);
	for (int n = 0; n < kmb_mm_nr_nodes(); n++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			zf.pages[n][z] = zone_page_state(&NODE_DATA(n)->node_zones[z]);
	return zf;
}

static inline void assert_zone_free_equal(const struct zone_free *a, const struct zone_free *b)
{
	static const char *const names[] = { "DMA", "Normal", "HighMem" };

	for (int n = 0; n < kmb_mm_nr_nodes(); n++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (a->pages[n][z] != b->pages[n][z])
				fail_msg("node %d zone %s: %lu free pages before, %lu after", n,
					 names[z], a->pages[n][z], b->pages[n][z]);
}

static inline unsigned char pattern(unsigned long tag, size_t off)
{
	return (unsigned char)(tag * 167 + off * 13 + (off >> 12) + 1);
}

static inline void fill_bytes(void *p, size_t n, unsigned long tag)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = pattern(tag, i);
}

/* The first byte of @p[0..n) that is not @tag's pattern (at @base + its offset), or -1. */
static inline long bytes_differ(const void *p, size_t n, unsigned long tag, size_t base)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != pattern(tag, base + i))
			return (long)i;
	return -1;
}

/* --- children --- */

static int child_fd = -1;

static inline void report_fault(int sig, siginfo_t *si, void *uc)
{
	void *addr = si->si_addr;

	(void)uc;
	if (write(child_fd, &addr, sizeof(addr)) != sizeof(addr))
		_exit(3);
	_exit(sig == SIGSEGV ? 42 : 43);
}

/* @addr must fault when read (@write false) or written: checked in a child, which reports the
 * faulting address through a pipe from its SIGSEGV handler. */
static inline void assert_faults(volatile char *addr, bool write)
{
	int fds[2], status;
	void *at = NULL;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = report_fault;
		sa.sa_flags = SA_SIGINFO;
		close(fds[0]);
		child_fd = fds[1];
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		if (write)
			*addr = 1;
		else
			(void)*addr;
		_exit(0);
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (read(fds[0], &at, sizeof(at)) != sizeof(at))
		at = NULL;
	close(fds[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		fail_msg("%s of %p: the child %s %d, expected a SIGSEGV", write ? "write" : "read",
			 (void *)addr, WIFSIGNALED(status) ? "died of signal" : "exited with",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	assert_ptr_equal(at, (void *)addr);
}

/* Run @fn(@arg) in a child with default signal handlers; its stderr comes back in @text
 * (kept text).  Returns the wait status; the child exits 0 when @fn returns. */
static inline int run_in_child(void (*fn)(void *), void *arg, char **text)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);	/* not cmocka's handlers */
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		fn(arg);
		fflush(stderr);
		_exit(0);
	}
	close(fds[1]);
	*text = keep_text(read_all(fds[0]));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return status;
}

/* The child of run_in_child() died of SIGABRT after a report with @what in it. */
static inline void assert_child_aborts(int status, const char *text, const char *what)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("child: %s %d, expected SIGABRT; stderr:\n%s",
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), text);
	assert_contains(text, what);
	assert_prefixed(text);
}

#endif /* KMB_TESTS_UNIT_VMAP_TEST_H */
