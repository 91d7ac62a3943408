/*
 * levels.c - the library's compile-time levels (allocators/base/config.h) and its one misuse
 * policy, seen through the public API only, in whatever build of the library it is linked
 * against (tests/levels/CMakeLists.txt links it against the default library and against the
 * extremes, KMB_DEBUG 3 with KMB_STAT 2 and KMB_DEBUG 0 with KMB_STAT 0).
 *
 * Usage: levels DEBUG STAT, the levels the build asked for.  Checks:
 *   levels   kmb_debug_level() and kmb_stat_level() are DEBUG and STAT;
 *   policy   in a fork()ed child booted with kmb_mm_config.debug = 1, a slab misuse (kfree of
 *            a stack address) is reported and stops the process: the policy is every layer's,
 *            not only the page allocator's;
 *   assert   at DEBUG >= 1, in a child, a mempool whose curr_nr was corrupted on purpose: the
 *            next free trips add_element's assertion, which names the expression and file:line
 *            and stops; at DEBUG 0 the assertion is compiled out and the case is skipped;
 *   stats    pages allocated and freed: pgalloc and pgfree grow at STAT >= 1, stay 0 below;
 *   misuse   booted with debug = -1, one misuse each of percpu (free_percpu of a stack
 *            address), page (free_pages of one) and slab (kfree of one): each is counted once
 *            in its layer's kmb_misuse_count(), and the run goes on.
 * Ends with "N passed, 0 failed" and exit 0, or at the first failed check its message and 1.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmbench/gfp.h"
#include "kmbench/mempool.h"
#include "kmbench/mm.h"
#include "kmbench/percpu.h"
#include "kmbench/slab.h"

#define CHECK_PROGRAM "levels.c"
#include "check.h"

#define NODE_MEM	(64UL << 20)


static void boot(int debug)
{
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = NODE_MEM, .debug = debug };
	char why[256] = "";
	int r = kmb_mm_init(&cfg, why, sizeof(why));

	CHECK(r == 0, "kmb_mm_init(debug %d): %d: %s", debug, r, why);
	r = kmem_cache_init();
	CHECK(r == 0, "kmem_cache_init: %d", r);
}

static void shutdown(void)
{
	kmem_cache_exit();
	kmb_mm_teardown();
}

/* Run @fn in a child with its stderr into @text (NUL-terminated); its wait status. */
static int run_child(void (*fn)(void), char *text, size_t len)
{
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		fail(__LINE__, "pipe");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fail(__LINE__, "fork");
	if (!pid) {
		dup2(fds[1], 2);
		close(fds[0]);
		fn();
		_exit(0);	/* it came back */
	}
	close(fds[1]);
	while (got + 1 < len && (n = read(fds[0], text + got, len - 1 - got)) > 0)
		got += (size_t)n;
	text[got] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void expect_stop(const char *what, void (*fn)(void), const char *const *lines)
{
	char text[8192];
	int status = run_child(fn, text, sizeof(text));

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	      "%s: the child did not stop with SIGABRT (status %#x); its stderr:\n%s", what,
	      status, text);
	for (; *lines; lines++)
		CHECK(strstr(text, *lines), "%s: no \"%s\" in the child's stderr:\n%s", what, *lines,
		      text);
	printf("policy/assert: %s stops, as it should\n", what);
}

static void slab_misuse_child(void)
{
	int local = 0;

	boot(1);
	kfree(&local);
}

static void mempool_corrupt_child(void)
{
	mempool_t *pool;
	void *e;

	boot(-1);
	pool = mempool_create_kmalloc_pool(2, 64);
	if (!pool)
		return;
	e = mempool_alloc(pool, GFP_KERNEL);
	pool->curr_nr = -1;	/* the planted fault: below 0 */
	mempool_free(e, pool);
}

static void check_stats(int stat)
{
	struct kmb_mm_stats before, after;
	struct page *p[4];

	kmb_mm_get_stats(&before);
	for (int i = 0; i < 4; i++) {
		p[i] = alloc_pages(GFP_KERNEL, 0);
		CHECK(p[i], "alloc_pages(order 0) #%d failed", i);
	}
	for (int i = 0; i < 4; i++)
		__free_pages(p[i], 0);
	kmb_mm_get_stats(&after);
	if (stat >= 1) {
		CHECK(after.pgalloc[0] - before.pgalloc[0] == 4 && after.pgfree - before.pgfree == 4,
		      "statistics level %d: pgalloc[0] grew by %lu and pgfree by %lu, not 4", stat,
		      after.pgalloc[0] - before.pgalloc[0], after.pgfree - before.pgfree);
	} else {
		CHECK(after.pgalloc[0] == 0 && after.pgfree == 0,
		      "statistics level 0: pgalloc[0] %lu and pgfree %lu, not 0 (unavailable)",
		      after.pgalloc[0], after.pgfree);
	}
}

static void check_misuse(void)
{
	unsigned long before[KMB_NR_LAYERS];
	int local = 0;

	for (int l = 0; l < KMB_NR_LAYERS; l++)
		before[l] = kmb_misuse_count((enum kmb_layer)l);
	free_percpu((void __percpu *)&local);
	free_pages((unsigned long)&local, 0);
	kfree(&local);
	for (int l = 0; l < KMB_NR_LAYERS; l++) {
		unsigned long want = l == KMB_LAYER_PERCPU || l == KMB_LAYER_PAGE ||
				     l == KMB_LAYER_SLAB;

		CHECK(kmb_misuse_count((enum kmb_layer)l) - before[l] == want,
		      "layer %d: %lu misuse counted, not %lu", l,
		      kmb_misuse_count((enum kmb_layer)l) - before[l], want);
	}
}

int main(int argc, char **argv)
{
	static const char *const policy_lines[] = {
		"is not a kmalloc address", "stopping on misuse", NULL
	};
	static const char *const assert_lines[] = {
		"BUG: assertion failed: pool->curr_nr >= 0", "mempool.c:", NULL
	};
	int debug, stat;

	if (argc != 3) {
		fprintf(stderr, "usage: levels DEBUG STAT\n");
		return 2;
	}
	debug = atoi(argv[1]);
	stat = atoi(argv[2]);
	CHECK(kmb_debug_level() == debug && kmb_stat_level() == stat,
	      "the library says debug level %d, statistics level %d; the build asked for %d, %d",
	      kmb_debug_level(), kmb_stat_level(), debug, stat);
	printf("levels: debug %d, statistics %d\n", debug, stat);

	expect_stop("a slab misuse with kmb_mm_config.debug = 1", slab_misuse_child,
		    policy_lines);
	if (debug >= 1)
		expect_stop("a mempool with curr_nr corrupted", mempool_corrupt_child,
			    assert_lines);
	else
		printf("assert: skipped: assertions are compiled out at debug level 0\n");

	boot(-1);
	check_stats(stat);
	check_misuse();
	shutdown();
	printf("%u passed, 0 failed\n", passed);
	return 0;
}
