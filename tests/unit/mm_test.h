/*
 * mm_test.h - helpers the page allocator's and the slab layer's unit tests (test_buddy*.c,
 * test_slab*.c, test_kmalloc.c) share:
 *
 *   boot(cfg)          kmb_mm_init() a machine, or fail the test with the reason; the
 *                      per-CPU page lists' mode is KMB_TEST_PCP_MODE's (none, thread,
 *                      cpu-lock, cpu-rseq) unless @cfg asks for a mode of its own (pcp -1,
 *                      or pcp_mode set); then check_pcp_mode();
 *   pcp_mode_from_env(cfg)  the same choice of mode, for a test that sets up by hand;
 *   check_pcp_mode(cfg)     after setup: print the mode the page lists run in, and fail the
 *                      test unless it is the one asked for (KMB_TEST_PCP_MODE's, or the
 *                      case's own), cpu-rseq becoming cpu-lock only where rseq cannot run;
 *   boot_pages(cfg)    the same with the page layer alone: no slab caches take frames;
 *   check_mm()         kmb_mm_check(), or fail the test with what it found;
 *   teardown           a cmocka teardown that calls kmb_mm_teardown();
 *   stats()            kmb_mm_get_stats() as a value;
 *   show(fn)           the whole output of one of the kmb_show_*() functions, malloc'd;
 *   all_bytes()        whether every byte of a range holds one value;
 *   seed_from_env()    a random test's seed: KMB_SEED, or the test's default; printed;
 *   rnd()              splitmix64, the generator such a seed drives;
 *   NAMED_CALLER       a function that a misuse report must name as the caller (with
 *                      keep_frame() after its call, so that the call is not a tail call);
 *   read_all(fd)       everything a descriptor gives until end of file, malloc'd, terminated;
 *   keep_text(text)    keeps @text (a malloc'd report) until the next one, and frees the one
 *                      before; drop_kept_text is a cmocka group teardown that frees the last;
 *   capture_begin/end  stderr into a temporary file, and back as kept text;
 *   count_substr()     how often a string occurs in a text, without overlap;
 *   assert_prefixed()  every line of a report starts with "kmbench: ";
 *   assert_contains/assert_lacks/assert_silent
 *                      a report has a string, has not, is empty.
 *
 * All of them are static inline, so that a test file uses what it needs without warnings about
 * the rest.  Include after _GNU_SOURCE (if the file defines it).  slab_test.h adds what only the
 * slab tests need.
 */
#ifndef KMB_TESTS_UNIT_MM_TEST_H
#define KMB_TESTS_UNIT_MM_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"

/* KMB_TEST_PCP_MODE parsed: KMB_PERCPU_DEFAULT when unset; an invalid value fails the test. */
static inline enum kmb_percpu_mode pcp_mode_env(void)
{
	const char *env = getenv("KMB_TEST_PCP_MODE");
	enum kmb_percpu_mode mode = KMB_PERCPU_DEFAULT;

	if (env && *env && kmb_percpu_mode_parse(env, &mode))
		fail_msg("KMB_TEST_PCP_MODE=%s: valid: " KMB_PERCPU_MODES, env);
	return mode;
}

/* A case that asks for no mode of its own (pcp 0 or 1, pcp_mode 0) runs KMB_TEST_PCP_MODE's. */
static inline bool pcp_mode_left_to_env(const struct kmb_mm_config *cfg)
{
	return cfg->pcp >= 0 && cfg->pcp_mode == KMB_PERCPU_DEFAULT;
}

static inline void pcp_mode_from_env(struct kmb_mm_config *c)
{
	enum kmb_percpu_mode env = pcp_mode_env();

	if (pcp_mode_left_to_env(c))
		c->pcp_mode = env;
}

/*
 * After setup from @cfg (as the case wrote it, before pcp_mode_from_env): the page lists must
 * run in KMB_TEST_PCP_MODE's mode where the case leaves the mode to it, else in the case's own
 * (pcp -1: none); the default and cpu-rseq are cpu-rseq, or cpu-lock where rseq cannot run.
 * Prints the mode, so that a log says what each case ran.
 */
static inline void check_pcp_mode(const struct kmb_mm_config *cfg)
{
	enum kmb_percpu_mode env = pcp_mode_env(), want, got;
	bool from_env = env != KMB_PERCPU_DEFAULT && pcp_mode_left_to_env(cfg);
	const char *why;
	char asked[128];

	want = from_env ? env : cfg->pcp < 0 ? KMB_PERCPU_NONE : cfg->pcp_mode;
	/* without rseq the default runs thread, an explicit cpu-rseq cpu-lock */
	if (want == KMB_PERCPU_DEFAULT)
		want = kmb_rseq_status(NULL) ? KMB_PERCPU_CPU_RSEQ : KMB_PERCPU_THREAD;
	if (want == KMB_PERCPU_CPU_RSEQ && !kmb_rseq_status(NULL))
		want = KMB_PERCPU_CPU_LOCK;
	got = kmb_mm_pcp_mode(&why);
	if (from_env)
		snprintf(asked, sizeof(asked), "KMB_TEST_PCP_MODE=%s", kmb_percpu_mode_name(env));
	else
		snprintf(asked, sizeof(asked), "the case asks for %s%s",
			 cfg->pcp < 0 ? "none, pcp -1" : cfg->pcp_mode ?
			 kmb_percpu_mode_name(cfg->pcp_mode) : "the default",
			 env ? "; KMB_TEST_PCP_MODE does not apply to it" : "");
	printf("[ INFO     ] page lists: %s (%s)%s%s\n", kmb_percpu_mode_name(got), asked,
	       why && *why ? ": " : "", why ? why : "");
	if (got != want)
		fail_msg("the page lists run %s, not %s (%s)", kmb_percpu_mode_name(got),
			 kmb_percpu_mode_name(want), asked);
}

/* kmb_mm_init, or with @pages_only kmb_mm_setup and mem_init (no kmem_cache_init). */
static inline void boot_layers(const struct kmb_mm_config *cfg, bool pages_only)
{
	struct kmb_mm_config c = *cfg;
	char why[256] = "";
	int r;

	pcp_mode_from_env(&c);
	r = pages_only ? kmb_mm_setup(&c, why, sizeof(why)) : kmb_mm_init(&c, why, sizeof(why));
	if (r)
		fail_msg("%s: %d: %s", pages_only ? "kmb_mm_setup" : "kmb_mm_init", r, why);
	if (pages_only)
		mem_init();
	check_pcp_mode(cfg);
}

static inline void boot(const struct kmb_mm_config *cfg)
{
	boot_layers(cfg, false);
}

/* boot(), the page layer alone: every frame but the reserved ones free, for tests that count
 * them (the slab layer's boot caches and kmalloc descriptors take frames, as in the kernel). */
static inline void boot_pages(const struct kmb_mm_config *cfg)
{
	boot_layers(cfg, true);
}

static inline void check_mm(void)
{
	char why[256] = "";

	if (kmb_mm_check(why, sizeof(why)))
		fail_msg("kmb_mm_check: %s", why);
}

static inline int teardown(void **state)
{
	(void)state;
	kmb_mm_teardown();
	return 0;
}

static inline struct kmb_mm_stats stats(void)
{
	struct kmb_mm_stats st;

	kmb_mm_get_stats(&st);
	return st;
}

/* The whole output of one of the kmb_show_*() functions, malloc'd. */
static inline char *show(size_t (*fn)(char *, size_t))
{
	size_t n = fn(NULL, 0);
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	assert_int_equal(fn(buf, n + 1), n);
	assert_int_equal(strlen(buf), n);
	return buf;
}

static inline bool all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return false;
	return true;
}

/* A random test's seed: $KMB_SEED when set, else @fallback; printed, so that a failure can be
 * repeated. */
static inline uint64_t seed_from_env(const char *test, uint64_t fallback)
{
	const char *s = getenv("KMB_SEED");
	uint64_t seed = s && *s ? strtoull(s, NULL, 0) : fallback;

	printf("[ INFO     ] %s: seed %#llx (KMB_SEED=%#llx repeats it)\n", test,
	       (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

/* splitmix64: a small generator whose sequence does not depend on the C library. */
static inline uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * The functions a misuse report must name as the caller (the report names the return
 * address's function): exported (the executables are linked with -rdynamic), never inlined,
 * and not ending in a tail call, which keep_frame() after the call prevents.
 */
#define keep_frame()	__asm__ volatile("" ::: "memory")
#if defined(__clang__)
#define NAMED_CALLER	__attribute__((noinline, used))
#else
#define NAMED_CALLER	__attribute__((noipa, used))
#endif

/* --- reports on stderr --- */

/* Everything @fd gives until end of file (or an error), malloc'd and NUL-terminated. */
static inline char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	return buf;
}

/* Keep @text, a malloc'd report, until the next one comes (and free the one before it). */
static inline char *keep_text(char *text)
{
	static char *kept;

	free(kept);
	return kept = text;
}

/* A cmocka group teardown: free the last kept text. */
static inline int drop_kept_text(void **state)
{
	(void)state;
	keep_text(NULL);
	return 0;
}

struct capture {
	int saved;
	FILE *file;
};

static inline void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	assert_non_null(c->file);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* Stop capturing; the text written meanwhile (kept: valid until the next keep_text()). */
static inline char *capture_end(struct capture *c)
{
	char *text;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	rewind(c->file);
	text = keep_text(read_all(fileno(c->file)));
	fclose(c->file);
	return text;
}

static inline int count_substr(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Every line of a report carries the prefix. */
static inline void assert_prefixed(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, "kmbench: ", 9))
			fail_msg("line without the \"kmbench: \" prefix: %.*s\nin:\n%s",
				 (int)(nl ? nl - line : (long)strlen(line)), line, text);
		if (!nl)
			break;
		line = nl + 1;
	}
}

static inline void assert_contains(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("report lacks \"%s\"; it reads:\n%s", what, text);
}

static inline void assert_lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("report has \"%s\", which it should not; it reads:\n%s", what, text);
}

/* Nothing was written (to the captured stderr). */
static inline void assert_silent(const char *text)
{
	if (*text)
		fail_msg("expected nothing on stderr, got:\n%s", text);
}

#endif /* KMB_TESTS_UNIT_MM_TEST_H */
