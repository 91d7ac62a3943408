/*
 * slab_test.h - what the slab layer's unit tests (test_slab.c, test_slab_debug.c,
 * test_kmalloc.c) share, on top of mm_test.h:
 *
 *   slab_boot_nodes(n, debug)  a machine of @n nodes of SLAB_NODE_MEM (kmb_mm_config.debug
 *                              @debug) and kmem_cache_init(), or fail the test;
 *                              The caches' per-CPU mode is KMB_TEST_SLAB_PERCPU's (none,
 *                              thread, cpu-lock, cpu-rseq), else the default;
 *   slab_layer_only()          caches created from now on have no sheaves (mode none): for
 *                              tests of the slab layer's layout, where a refill of a sheaf
 *                              would spread one batch over several slabs;
 *   slab_shutdown()            kmem_cache_exit() and kmb_mm_teardown();
 *   slab_boot_watched(n)       slab_boot_nodes(n, -1) (page misuse reported, never stopped),
 *                              with SLAB_TEST_SECONDS for the test, its teardown included: a
 *                              corrupt freelist (a cycle left by a double free that got
 *                              through, walked by the next flush) can make the allocator loop,
 *                              and the watchdog ends the process instead;
 *   slab_watched_setup/        cmocka setup and teardown for one watched node; the teardown
 *   slab_watched_teardown      also turns slub_debug off (kmb_slab_set_debug(0));
 *   SLAB_TEST(fn)              a test with them;
 *   slab_stats(), slab_errors()   kmb_slab_get_stats() as a value, and its error count;
 *   validate_captured(s, n)    kmem_cache_validate(@s) with stderr captured: it must find @n
 *                              problems; the reports (kept text);
 *   assert_valid(s)            kmem_cache_validate(@s) (NULL: every cache) finds nothing and
 *                              says nothing;
 *   slabinfo_row(name)         cache @name's row of /proc/slabinfo (kmb_show_slabinfo),
 *                              which must be in the kernel's format, or fail the test;
 *   slabinfo_find(name, r)     the same, false when there is no such row;
 *   pin_to_one_cpu(saved)      the calling thread onto the CPU it runs on, so that one CPU slot
 *                              serves every allocation;
 *   find_test_cpus(), pin(i)   test_cpu[0..1], the first two CPUs this process may run on when
 *                              main() starts (one, twice, on a one-CPU machine; not CPUs 0 and
 *                              1, which a cpuset may not allow), and the calling thread onto
 *                              test_cpu[i], where it runs when pin returns;
 *   slab_meta_copy(d, s, n),   bytes of what a cache keeps poisoned for AddressSanitizer and
 *   slab_peek(p), slab_poke    memcheck (a red zone, a kmalloc redzone, the tracks: allocators/
 *                              base/tools.h) copied, read or written where neither tool looks,
 *                              as the kernel's lib/slub_kunit.c brackets its planted writes
 *                              with kasan_disable_current(): slub_debug is the one to find
 *                              them.
 *
 * Static inline, as in mm_test.h.  Include after _GNU_SOURCE (CPU affinity).
 */
#ifndef KMB_TESTS_UNIT_SLAB_TEST_H
#define KMB_TESTS_UNIT_SLAB_TEST_H

#ifndef _GNU_SOURCE
#error "slab_test.h needs _GNU_SOURCE (sched_getcpu, sched_setaffinity)"
#endif

#include <sched.h>
#include <signal.h>

#include "kmbench/slab.h"
#include "mm_test.h"
#include "tools.h"		/* allocators/base/ */

#define SLAB_NODE_MEM		(64UL << 20)
#define SLAB_TEST_SECONDS	30

/*
 * The sheaves' mode the caches get is the one asked for (KMB_TEST_SLAB_PERCPU's, or the
 * default: cpu-rseq, or thread where rseq cannot run), an explicit cpu-rseq becoming cpu-lock
 * where rseq cannot run; said on stdout,
 * so a log shows which mode a variant ran, and a mode that is not applied fails the test.
 */
static inline void check_slab_mode(enum kmb_percpu_mode asked, const char *env)
{
	/* without rseq the default runs thread, an explicit cpu-rseq cpu-lock */
	enum kmb_percpu_mode want = asked != KMB_PERCPU_DEFAULT ? asked :
				    kmb_rseq_status(NULL) ? KMB_PERCPU_CPU_RSEQ : KMB_PERCPU_THREAD;
	const char *why = NULL;
	enum kmb_percpu_mode got = kmb_slab_percpu_mode(&why);

	if (want == KMB_PERCPU_CPU_RSEQ && !kmb_rseq_status(NULL))
		want = KMB_PERCPU_CPU_LOCK;
	printf("[ INFO     ] sheaves: %s (KMB_TEST_SLAB_PERCPU=%s)\n", kmb_percpu_mode_name(got),
	       env && *env ? env : "unset");
	if (got != want)
		fail_msg("the sheaves run %s, not %s (KMB_TEST_SLAB_PERCPU=%s)%s%s",
			 kmb_percpu_mode_name(got), kmb_percpu_mode_name(want),
			 env && *env ? env : "unset", why && *why ? ": " : "", why ? why : "");
}

static inline kmb_tool_nocheck void slab_meta_copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	kmb_tool_quiet_begin();
	while (n--)
		*d++ = *s++;
	kmb_tool_quiet_end();
}

static inline unsigned char slab_peek(const void *p)
{
	unsigned char v;

	slab_meta_copy(&v, p, 1);
	return v;
}

static inline void slab_poke(void *p, unsigned char v)
{
	slab_meta_copy(p, &v, 1);
}

static inline void slab_boot_nodes(int nodes, int debug)
{
	struct kmb_mm_config cfg = { .nr_nodes = nodes, .node_mem = SLAB_NODE_MEM,
				     .debug = debug };
	enum kmb_percpu_mode mode = KMB_PERCPU_DEFAULT;
	const char *env = getenv("KMB_TEST_SLAB_PERCPU");
	int r;

	if (env && *env && kmb_percpu_mode_parse(env, &mode))
		fail_msg("KMB_TEST_SLAB_PERCPU=%s: valid: " KMB_PERCPU_MODES, env);
	kmb_slab_set_percpu(mode);
	boot(&cfg);
	r = kmem_cache_init();
	if (r)
		fail_msg("kmem_cache_init: %d", r);
	check_slab_mode(mode, env);
}

static inline void slab_layer_only(void)
{
	kmb_slab_set_percpu(KMB_PERCPU_NONE);
}

static inline void slab_shutdown(void)
{
	kmem_cache_exit();
	kmb_mm_teardown();
}

static inline void slab_watchdog(int sig)
{
	static const char msg[] = "test timed out: the allocator loops (a corrupt freelist?)\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)sig;
	(void)n;
	_exit(3);
}

static inline void slab_boot_watched(int nodes)
{
	signal(SIGALRM, slab_watchdog);
	alarm(SLAB_TEST_SECONDS);
	slab_boot_nodes(nodes, -1);
}

static inline int slab_watched_setup(void **state)
{
	(void)state;
	slab_boot_watched(1);
	return 0;
}

static inline int slab_watched_teardown(void **state)
{
	(void)state;
	kmb_slab_set_debug(0);
	slab_shutdown();
	alarm(0);
	return 0;
}

#define SLAB_TEST(fn)	cmocka_unit_test_setup_teardown(fn, slab_watched_setup, \
							slab_watched_teardown)

static inline struct kmb_slab_stats slab_stats(void)
{
	struct kmb_slab_stats st;

	kmb_slab_get_stats(&st);
	return st;
}

static inline unsigned long slab_errors(void)
{
	return slab_stats().errors;
}

/* kmem_cache_validate(@s), stderr captured; it must find @problems.  The text it wrote (kept:
 * valid until the next keep_text()). */
static inline char *validate_captured(struct kmem_cache *s, unsigned long problems)
{
	struct capture cap;
	unsigned long found;
	char *text;

	capture_begin(&cap);
	found = kmem_cache_validate(s);
	text = capture_end(&cap);
	if (found != problems)
		fail_msg("kmem_cache_validate(%s): %lu problems, expected %lu:\n%s",
			 s ? kmem_cache_name(s) : "NULL", found, problems, text);
	return text;
}

static inline void assert_valid(struct kmem_cache *s)
{
	assert_silent(validate_captured(s, 0));
}

/* /proc/slabinfo 2.1 rows (kmb_show_slabinfo), checked against the kernel's format. */
struct slabinfo_row {
	unsigned long active_objs, num_objs;
	unsigned int objsize, objperslab, pagesperslab;
	unsigned int limit, batchcount, sharedfactor;
	unsigned long active_slabs, num_slabs, sharedavail;
};

/* Parse a row; it must be exactly what the kernel's slabinfo_show() format prints. */
static inline void parse_row(const char *line, struct slabinfo_row *r)
{
	char name[KMEM_CACHE_NAME_MAX + 1], want[512];
	int end = -1;

	if (sscanf(line, "%64s %lu %lu %u %u %u : tunables %u %u %u : slabdata %lu %lu %lu%n",
		   name, &r->active_objs, &r->num_objs, &r->objsize, &r->objperslab,
		   &r->pagesperslab, &r->limit, &r->batchcount, &r->sharedfactor,
		   &r->active_slabs, &r->num_slabs, &r->sharedavail, &end) != 12 ||
	    line[end])
		fail_msg("slabinfo row does not parse: \"%s\"", line);
	snprintf(want, sizeof(want), "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : "
		 "slabdata %6lu %6lu %6lu", name, r->active_objs, r->num_objs, r->objsize,
		 r->objperslab, (int)r->pagesperslab, r->limit, r->batchcount, r->sharedfactor,
		 r->active_slabs, r->num_slabs, r->sharedavail);
	if (strcmp(line, want))
		fail_msg("slabinfo row not in the kernel's format:\n  got  \"%s\"\n  want \"%s\"",
			 line, want);
}

/* The row of cache @name, if slabinfo has one. */
static inline bool slabinfo_find(const char *name, struct slabinfo_row *r)
{
	char *text = show(kmb_show_slabinfo), *line, *nl;
	bool found = false;

	for (line = text; *line && !found; line = nl + 1) {
		char nm[KMEM_CACHE_NAME_MAX + 1];

		nl = strchr(line, '\n');
		if (!nl)
			fail_msg("slabinfo does not end with a newline: \"%s\"", line);
		*nl = 0;
		if (line == text || line[0] == '#')
			continue;
		if (sscanf(line, "%64s", nm) == 1 && !strcmp(nm, name)) {
			parse_row(line, r);
			found = true;
		}
	}
	free(text);
	return found;
}

static inline struct slabinfo_row slabinfo_row(const char *name)
{
	struct slabinfo_row r;

	if (!slabinfo_find(name, &r))
		fail_msg("slabinfo has no row for %s", name);
	return r;
}

/* Pin the calling thread to the CPU it runs on (CPU 0 when sched_getcpu() cannot tell);
 * @saved, unless NULL, receives the affinity it had.  0, or -1 with errno set. */
static inline int pin_to_one_cpu(cpu_set_t *saved)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (saved && sched_getaffinity(0, sizeof(*saved), saved))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu >= 0 ? cpu : 0, &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

/* See the list above: the CPUs the tests pin threads to and move them between. */
static int test_cpu[2] __attribute__((unused)), nr_test_cpus __attribute__((unused));

static inline void find_test_cpus(void)
{
	cpu_set_t mine;

	if (sched_getaffinity(0, sizeof(mine), &mine)) {
		perror("sched_getaffinity");
		exit(1);
	}
	for (int c = 0; c < CPU_SETSIZE && nr_test_cpus < 2; c++)
		if (CPU_ISSET(c, &mine))
			test_cpu[nr_test_cpus++] = c;
	if (nr_test_cpus == 1)
		test_cpu[1] = test_cpu[0];
}

static inline void pin(int i)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(test_cpu[i], &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(sched_getcpu(), test_cpu[i]);
}

#endif /* KMB_TESTS_UNIT_SLAB_TEST_H */
