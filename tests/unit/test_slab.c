/*
 * test_slab.c - the slab caches (kmbench/slab.h) through their public API:
 *
 *   names         kmem_cache_create refuses empty, too long, non-printable and spaced names,
 *                 each with one "kmbench: kmem_cache_create(...)" line on stderr; SLAB_PANIC
 *                 stops the process instead (a forked child dies of SIGABRT);
 *   alignment     SLAB_HWCACHE_ALIGN objects start on L1 lines and never share one; packed
 *                 objects do share lines; the natural minimum is 8 below 16 bytes, 16 from 16;
 *   colouring     SLAB_COLOUR: successive slabs start a cache line further, wrapping after
 *                 leftover / line + 1 colours; colouring keeps the cache's alignment;
 *   constructor   Bonwick's object caching: a constructor runs once per object when its slab
 *                 is made, never on reallocation, and objects come back constructed;
 *   destroy       -EBUSY and an "objects remaining" report while objects are allocated;
 *   shrink        kmem_cache_shrink gives every empty slab back to the page allocator;
 *   shrinker      page-allocator reclaim takes the empty slabs a cache keeps;
 *   api           zalloc, bulk allocation (all or nothing), alloc_node (one and two nodes),
 *                 SLAB_CACHE_DMA;
 *   slabinfo      /proc/slabinfo 2.1, the kernel's header and row format, and its counts;
 *                 its order (newest cache first, kmem_cache_node and kmem_cache last) and the
 *                 boot caches' counts (a descriptor per cache, a node structure per node);
 *   order         slab orders follow mm/slub.c calculate_order() of Linux 6.7+, checked
 *                 against the page allocator's own per-order counters, and a table of orders
 *                 worked out by hand (those where 6.7 changed them included);
 *   threads       four threads, one per CPU round robin, pass tagged objects to each other
 *                 while the caches are shrunk under them; no object is handed out twice,
 *                 and at the end everything goes back to the page allocator.
 *
 * Each test boots its own 64 MiB machine (kmb_mm_init, kmem_cache_init) and its teardown
 * undoes both.  The single-threaded tests pin themselves to one CPU, so that one CPU slot
 * serves every allocation and slabs are made in the order the test asks for them.  Internals
 * (allocators/slab/slab.h) are used only for compound_head().  The thread test
 * takes its seed from KMB_SEED (default fixed) and prints it.
 */
#define _GNU_SOURCE		/* allocators/base/lib.h: sched_getcpu(), rseq; CPU affinity */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "slab.h"		/* allocators/slab/: kmb_mm_internal */
#include "slab_test.h"

#define DEFAULT_SEED	0x736c6231ULL
/* Page allocations that never reclaim, at the same (min) watermark GFP_KERNEL's slow path uses:
 * no __GFP_DIRECT_RECLAIM, and __GFP_NOMEMALLOC so that no reserve is added for it. */
#define GFP_NORECLAIM	((GFP_KERNEL & ~__GFP_DIRECT_RECLAIM) | __GFP_NOMEMALLOC | \
			 __GFP_NOWARN)

/* --- boot, pinning, captured stderr --- */

static cpu_set_t saved_cpus;
static bool pinned;
static struct capture cap;
static bool capturing;		/* stderr is captured: a failed test's teardown restores it */

static void unpin_cpu(void)
{
	if (pinned)
		sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
	pinned = false;
}

/* Boot @nodes nodes of 64 MiB and the slab layer with the misuse policy @debug
 * (kmb_mm_config.debug); @pin: to one CPU. */
static void slab_boot_debug(int nodes, bool pin, int debug)
{
	slab_boot_nodes(nodes, debug);
	if (pin) {
		assert_int_equal(pin_to_one_cpu(&saved_cpus), 0);
		pinned = true;
	}
}

/* The default policy (stop on misuse in debug builds). */
static void slab_boot(int nodes, bool pin)
{
	slab_boot_debug(nodes, pin, 0);
}

static int slab_teardown(void **state)
{
	(void)state;
	if (capturing) {
		capture_end(&cap);
		capturing = false;
	}
	slab_shutdown();
	unpin_cpu();
	return 0;
}

static void cap_begin(void)
{
	capture_begin(&cap);
	capturing = true;
}

/* The text captured since cap_begin() (kept until the next keep_text()). */
static char *cap_end(void)
{
	capturing = false;
	return capture_end(&cap);
}

/* --- helpers --- */

/* The L1 data cache line, as the test sees it: sysconf, 64 when it does not say. */
static unsigned long line_size(void)
{
	long l = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);

	return l > 0 ? (unsigned long)l : 64;
}

/* Pages the page allocator has free, per-CPU lists drained first. */
static unsigned long free_pages_now(void)
{
	struct kmb_mm_stats st;

	drain_all_pages(NULL);
	st = stats();
	return st.free_pages + st.pcp_pages;
}

/* The first byte of the slab @obj lives in (its head frame's linear address). */
static char *slab_start(const void *obj)
{
	return page_address(compound_head(virt_to_page(obj)));
}

static struct kmem_cache *create(const char *name, unsigned int size, unsigned int align,
				 slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache *s = kmem_cache_create(name, size, align, flags, ctor);

	if (!s)
		fail_msg("kmem_cache_create(%s, %u, %u, %#x) failed", name, size, align, flags);
	return s;
}

static void destroy(struct kmem_cache *s)
{
	const char *name = kmem_cache_name(s);
	char copy[KMEM_CACHE_NAME_MAX];
	int r;

	snprintf(copy, sizeof(copy), "%s", name);
	r = kmem_cache_destroy(s);
	if (r)
		fail_msg("kmem_cache_destroy(%s) = %d, expected 0", copy, r);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Sorted copy of @n addresses; each must be at least @size from the next. */
static void **sorted_disjoint(void **p, size_t n, size_t size)
{
	void **q = malloc(n * sizeof(*q) + 1);

	assert_non_null(q);
	memcpy(q, p, n * sizeof(*q));
	qsort(q, n, sizeof(*q), cmp_ptr);
	for (size_t i = 1; i < n; i++)
		if ((uintptr_t)q[i] - (uintptr_t)q[i - 1] < size)
			fail_msg("objects %p and %p of %zu bytes overlap (or are the same)",
				 q[i - 1], q[i], size);
	return q;
}

/* @n objects of @s, each filled with the low byte of its index. */
static void **alloc_objs(struct kmem_cache *s, size_t n)
{
	void **p = calloc(n + 1, sizeof(*p));

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		if (!p[i])
			fail_msg("%s: allocation %zu of %zu failed", kmem_cache_name(s), i, n);
		memset(p[i], (int)(i & 0xff), kmem_cache_size(s));
	}
	return p;
}

/* Every object still holds its index byte (no object overlaps another); then all are freed. */
static void free_objs(struct kmem_cache *s, void **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] && !all_bytes(p[i], kmem_cache_size(s), (unsigned char)(i & 0xff)))
			fail_msg("%s: object %zu at %p was overwritten while allocated",
				 kmem_cache_name(s), i, p[i]);
	for (size_t i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	free(p);
}

/* --- slabinfo --- */

#define SLABINFO_HEAD1	"slabinfo - version: 2.1"
#define SLABINFO_HEAD2	"# name            <active_objs> <num_objs> <objsize> <objperslab> " \
			"<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : " \
			"slabdata <active_slabs> <num_slabs> <sharedavail>"

static unsigned long slab_bytes(const struct slabinfo_row *r)
{
	return (unsigned long)r->pagesperslab * PAGE_SIZE;
}

/* --- names --- */

/* @name is refused, with exactly one "kmbench: kmem_cache_create(" line on stderr. */
static void expect_refused(const char *what, const char *name)
{
	struct kmem_cache *s;
	char *text;

	cap_begin();
	s = kmem_cache_create(name, 32, 0, 0, NULL);
	text = cap_end();
	if (s)
		fail_msg("kmem_cache_create accepted a name %s", what);
	if (strncmp(text, "kmbench: kmem_cache_create(", 27))
		fail_msg("name %s: the report does not start with \"kmbench: kmem_cache_create(\": "
			 "\"%s\"", what, text);
	if (count_substr(text, "\n") != 1 || text[strlen(text) - 1] != '\n')
		fail_msg("name %s: the report is not exactly one line (%d newlines): \"%s\"", what,
			 count_substr(text, "\n"), text);
}

static void test_names(void **state)
{
	char name63[64], name64[65], name200[201];
	struct kmem_cache *s;

	(void)state;
	slab_boot(1, false);
	memset(name63, 'a', 63);
	name63[63] = 0;
	memset(name64, 'b', 64);
	name64[64] = 0;
	memset(name200, 'c', 200);
	name200[200] = 0;

	/* accepted: the longest allowed, one character, printable punctuation */
	s = create(name63, 32, 0, 0, NULL);
	assert_string_equal(kmem_cache_name(s), name63);
	assert_int_equal(kmem_cache_size(s), 32);
	destroy(s);
	s = create("x", 8, 0, 0, NULL);
	destroy(s);
	s = create("ext4_inode-cache:2.v1(a)", 100, 0, 0, NULL);
	assert_string_equal(kmem_cache_name(s), "ext4_inode-cache:2.v1(a)");
	destroy(s);

	expect_refused("that is NULL", NULL);
	expect_refused("that is empty", "");
	expect_refused("of 64 characters", name64);
	expect_refused("of 200 characters", name200);
	expect_refused("with a control character", "ctl\x01name");
	expect_refused("with a tab", "tab\tname");
	expect_refused("with DEL", "del\x7f");
	expect_refused("with a non-ASCII byte", "caf\xc3\xa9");
	expect_refused("with a space", "my cache");
	expect_refused("with a leading space", " lead");
	expect_refused("with a trailing space", "trail ");
	/* a newline is not printable either: the report must still be one line */
	expect_refused("with a newline", "new\nline");
}

/* Fork a child that creates a cache named @name with @flags; its stderr into @out (kept).  Only
 * for names refused before anything is allocated: the model's memory is shared with the child. */
static int child_create(const char *name, slab_flags_t flags, char **out)
{
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit no_core = { 0, 0 };
		struct kmem_cache *s;

		setrlimit(RLIMIT_CORE, &no_core);
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		s = kmem_cache_create(name, 32, 0, flags, NULL);
		fflush(stderr);
		_exit(s ? 2 : 3);
	}
	close(fds[1]);
	*out = keep_text(read_all(fds[0]));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_name_panic(void **state)
{
	static const char *const bad[] = { "", "with space", "ctl\x02" };
	struct kmem_cache *s;
	struct capture cap;
	char *text;
	int st;

	(void)state;
	slab_boot(1, false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* without SLAB_PANIC the child sees NULL and goes on */
		st = child_create(bad[i], 0, &text);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
			fail_msg("bad name %zu without SLAB_PANIC: child status %#x, expected "
				 "exit 3", i, st);
		/* with it the process stops, after the report */
		st = child_create(bad[i], SLAB_PANIC, &text);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
			fail_msg("bad name %zu with SLAB_PANIC: child status %#x (exited %d, "
				 "code %d), expected SIGABRT", i, st, WIFEXITED(st),
				 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		assert_int_equal(count_substr(text, "kmbench: kmem_cache_create("), 1);
	}
	/* SLAB_PANIC with a good name creates the cache, silently.  Here, not in a child: the
	 * descriptor is a kmem_cache object, and the model's memory is shared across fork. */
	capture_begin(&cap);
	s = kmem_cache_create("good-name", 32, 0, SLAB_PANIC, NULL);
	text = capture_end(&cap);
	assert_non_null(s);
	assert_string_equal(text, "");
	destroy(s);
}

/* --- alignment --- */

/* @n objects of @s, each at a multiple of @align, none overlapping another, then freed.
 * Returns their addresses, sorted. */
static void **aligned_objs(struct kmem_cache *s, size_t n, unsigned long align)
{
	void **p = alloc_objs(s, n), **q;

	for (size_t i = 0; i < n; i++)
		if ((uintptr_t)p[i] % align)
			fail_msg("%s: object %zu at %p is not %lu-aligned", kmem_cache_name(s), i,
				 p[i], align);
	q = sorted_disjoint(p, n, kmem_cache_size(s));
	free_objs(s, p, n);
	return q;	/* addresses only: the objects are freed */
}

static void test_alignment(void **state)
{
	static const unsigned int aligned_sizes[] = { 24, 100 };
	static const unsigned int natural[] = { 1, 8, 12, 16, 24, 40, 72, 100, 1000 };
	const unsigned long line = line_size();
	struct kmb_slab_stats st0;
	struct kmem_cache *s;
	bool shared = false, odd8 = false;
	void **q;

	(void)state;
	slab_boot(1, true);
	st0 = slab_stats();

	/* SLAB_HWCACHE_ALIGN: every object on a line of its own */
	for (size_t k = 0; k < sizeof(aligned_sizes) / sizeof(aligned_sizes[0]); k++) {
		s = create("hwalign", aligned_sizes[k], 0, SLAB_HWCACHE_ALIGN, NULL);
		q = aligned_objs(s, 300, line);
		for (size_t i = 1; i < 300; i++)
			if ((uintptr_t)q[i] / line == (uintptr_t)q[i - 1] / line)
				fail_msg("aligned %u-byte objects %p and %p share a line",
					 aligned_sizes[k], q[i - 1], q[i]);
		free(q);
		destroy(s);
	}

	/* packed (flags 0): 24-byte objects on a 32-byte stride share lines */
	s = create("packed24", 24, 0, 0, NULL);
	q = aligned_objs(s, 300, 16);
	for (size_t i = 1; i < 300; i++)
		shared |= (uintptr_t)q[i] / line == (uintptr_t)q[i - 1] / line;
	if (!shared)
		fail_msg("no two of 300 packed 24-byte objects share a %lu-byte line", line);
	free(q);
	destroy(s);

	/* the natural minimum: 8 below 16 bytes, 16 from 16 up */
	for (size_t k = 0; k < sizeof(natural) / sizeof(natural[0]); k++) {
		unsigned long a = natural[k] < 16 ? 8 : 16;

		s = create("natural", natural[k], 0, 0, NULL);
		q = aligned_objs(s, 300, a);
		if (natural[k] == 8)
			for (size_t i = 0; i < 300; i++)
				odd8 |= (uintptr_t)q[i] % 16 == 8;
		free(q);
		destroy(s);
	}
	/* 8-byte objects are packed at 8, not padded to 16 */
	assert_true(odd8);
	/* an explicit alignment wins over the natural one */
	s = create("align256", 40, 256, 0, NULL);
	free(aligned_objs(s, 100, 256));
	destroy(s);
	assert_int_equal(slab_stats().errors, st0.errors);
}

/* --- colouring --- */

/*
 * A SLAB_COLOUR cache with @flags and @align whose slab leaves at least @min_left bytes over;
 * its slabinfo row in @r.  Tries object sizes until one fits (the slab order, hence the
 * leftover, depends on the number of CPUs).
 */
static struct kmem_cache *colour_cache(slab_flags_t flags, unsigned int align,
				       unsigned long min_left, struct slabinfo_row *r)
{
	static const unsigned int sizes[] = { 200, 300, 330, 420, 450, 550, 600, 700, 900, 1200 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kmem_cache *s = create("colour", sizes[i], align, flags | SLAB_COLOUR,
					      NULL);

		*r = slabinfo_row("colour");
		if (slab_bytes(r) - (unsigned long)r->objperslab * r->objsize >= min_left)
			return s;
		destroy(s);
	}
	fail_msg("no object size leaves %lu bytes over in its slab", min_left);
	return NULL;
}

/*
 * Allocate @nslabs slabs' worth, one slab at a time; @first[i] gets the offset of slab i's
 * first object in its slab.  Every object lies inside its slab, on the stride from the first.
 */
static void ***fill_slabs(struct kmem_cache *s, const struct slabinfo_row *r, int nslabs,
			  unsigned long *first)
{
	void ***batch = calloc((size_t)nslabs, sizeof(*batch));

	assert_non_null(batch);
	for (int i = 0; i < nslabs; i++) {
		char *start, *lo = NULL;

		batch[i] = alloc_objs(s, r->objperslab);
		start = slab_start(batch[i][0]);
		for (int j = 0; j < i; j++)
			if (slab_start(batch[j][0]) == start)
				fail_msg("batch %d came from the slab of batch %d", i, j);
		for (unsigned int k = 0; k < r->objperslab; k++) {
			char *o = batch[i][k];

			if (slab_start(o) != start)
				fail_msg("slab %d: objects %p and %p of one batch are in two slabs",
					 i, batch[i][0], o);
			if (!lo || o < lo)
				lo = o;
		}
		first[i] = (unsigned long)(lo - start);
		for (unsigned int k = 0; k < r->objperslab; k++) {
			char *o = batch[i][k];

			if ((unsigned long)(o - lo) % r->objsize ||
			    (unsigned long)(o - start) + r->objsize > slab_bytes(r))
				fail_msg("slab %d: object %p off the stride or outside the slab "
					 "%p+%lu", i, o, start, slab_bytes(r));
		}
	}
	return batch;
}

static void free_slabs(struct kmem_cache *s, const struct slabinfo_row *r, void ***batch,
		       int nslabs)
{
	for (int i = 0; i < nslabs; i++)
		free_objs(s, batch[i], r->objperslab);
	free(batch);
}

static void test_colour(void **state)
{
	const unsigned long line = line_size();
	struct slabinfo_row r;
	struct kmem_cache *s;
	unsigned long colours, first[64];
	void ***batch;
	int nslabs;

	(void)state;
	slab_boot(1, true);
	slab_layer_only();	/* one batch of objperslab objects is one slab */
	s = colour_cache(SLAB_HWCACHE_ALIGN, 0, 2 * line, &r);
	/* Bonwick's count: offsets 0, line, ... up to the leftover itself */
	colours = (slab_bytes(&r) - (unsigned long)r.objperslab * r.objsize) / line + 1;
	assert_true(colours >= 3);
	nslabs = (int)(2 * colours + 1 < 64 ? 2 * colours + 1 : 64);
	batch = fill_slabs(s, &r, nslabs, first);
	for (int i = 0; i < nslabs; i++)
		if (first[i] != ((unsigned long)i % colours) * line)
			fail_msg("slab %d of a %u-byte cache (%lu colours of %lu bytes): first "
				 "object at offset %lu, expected %lu", i, r.objsize, colours, line,
				 first[i], ((unsigned long)i % colours) * line);
	free_slabs(s, &r, batch, nslabs);
	kmem_cache_shrink(s);
	destroy(s);

	/* without SLAB_COLOUR every slab starts at offset 0 */
	s = create("plain", r.objsize, 0, SLAB_HWCACHE_ALIGN, NULL);
	r = slabinfo_row("plain");
	batch = fill_slabs(s, &r, 4, first);
	for (int i = 0; i < 4; i++)
		assert_int_equal(first[i], 0);
	free_slabs(s, &r, batch, 4);
	destroy(s);
}

/*
 * Colouring keeps the cache's alignment (kmem_cache_create: objects "aligned to @align"): with
 * an alignment above the cache line, the colour step must be a multiple of it, as mm/slab.c's
 * "if (cachep->colour_off < cachep->align) cachep->colour_off = cachep->align".
 */
static void test_colour_align(void **state)
{
	const unsigned long align = 2 * line_size();
	unsigned long first[8];
	struct slabinfo_row r;
	struct kmem_cache *s;
	bool two = false;
	char bad[256] = "";
	void ***batch;

	(void)state;
	slab_boot(1, true);
	slab_layer_only();	/* one batch of objperslab objects is one slab */
	/* leftover of at least @align: room for two colours even at the alignment's step */
	s = colour_cache(0, (unsigned int)align, align, &r);
	batch = fill_slabs(s, &r, 8, first);
	for (int i = 0; i < 8; i++) {
		for (unsigned int k = 0; k < r.objperslab && !bad[0]; k++)
			if ((uintptr_t)batch[i][k] % align)
				snprintf(bad, sizeof(bad), "SLAB_COLOUR cache aligned to %lu: "
					 "slab %d (first object at offset %lu) has object %p at "
					 "%lu mod %lu", align, i, first[i], batch[i][k],
					 (unsigned long)((uintptr_t)batch[i][k] % align), align);
		two |= first[i] != first[0];
	}
	free_slabs(s, &r, batch, 8);
	destroy(s);
	if (bad[0])
		fail_msg("%s", bad);
	/* and it still colours */
	assert_true(two);
}

/* --- constructor --- */

#define CTOR_SIZE	96
#define CTOR_BYTE	0xc7

static atomic_ulong ctor_runs;

static void ctor_fill(void *p)
{
	memset(p, CTOR_BYTE, CTOR_SIZE);
	atomic_fetch_add(&ctor_runs, 1);
}

static void test_ctor(void **state)
{
	struct kmb_slab_stats st0, st1;
	struct slabinfo_row r;
	struct kmem_cache *s;
	unsigned long runs0, slabs;
	size_t n;
	void **p;

	(void)state;
	slab_boot(1, true);
	s = create("ctor-cache", CTOR_SIZE, 0, 0, ctor_fill);
	r = slabinfo_row("ctor-cache");
	n = 3 * (size_t)r.objperslab - r.objperslab / 2;	/* 3 slabs, the last half full */
	p = calloc(n, sizeof(*p));
	assert_non_null(p);

	st0 = slab_stats();
	runs0 = atomic_load(&ctor_runs);
	for (size_t i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(p[i]);
		if (!all_bytes(p[i], CTOR_SIZE, CTOR_BYTE))
			fail_msg("object %zu at %p is not constructed on its first allocation", i,
				 p[i]);
	}
	st1 = slab_stats();
	slabs = st1.slabs_alloc - st0.slabs_alloc;
	/* three slabs, or more when sheaves refill a whole sheaf at a time */
	if (slabs < 3)
		fail_msg("%zu objects from %lu slabs of %u", n, slabs, r.objperslab);
	/* a constructor call per object of every slab made, not per allocation */
	assert_int_equal(st1.ctor_calls - st0.ctor_calls, slabs * r.objperslab);
	assert_int_equal(atomic_load(&ctor_runs) - runs0, slabs * r.objperslab);

	/* freed and allocated again: the objects come back constructed, with no call */
	for (size_t i = 0; i < n; i++)
		kmem_cache_free(s, p[n - 1 - i]);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++) {
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			assert_non_null(p[i]);
			if (!all_bytes(p[i], CTOR_SIZE, CTOR_BYTE))
				fail_msg("round %d: reallocated object %zu at %p lost its "
					 "constructed state", round, i, p[i]);
		}
		for (size_t i = 0; i < n; i++)
			kmem_cache_free(s, p[i]);
	}
	st0 = slab_stats();
	assert_int_equal(st0.ctor_calls, st1.ctor_calls);
	assert_int_equal(st0.slabs_alloc, st1.slabs_alloc);
	assert_int_equal(atomic_load(&ctor_runs) - runs0, slabs * r.objperslab);
	assert_int_equal(st0.errors, st1.errors);
	free(p);
	destroy(s);
}

/* --- destroy --- */

static void test_destroy_busy(void **state)
{
	struct kmb_slab_stats st0;
	struct slabinfo_row r;
	struct kmem_cache *s;
	void **p, *extra;
	char *text;
	int ret;

	(void)state;
	slab_boot_debug(1, true, -1);	/* the misuse is reported, counted, and the call returns */
	assert_int_equal(kmem_cache_destroy(NULL), 0);
	s = create("busy-cache", 128, 0, 0, NULL);
	p = alloc_objs(s, 5);
	st0 = slab_stats();

	cap_begin();
	ret = kmem_cache_destroy(s);
	text = cap_end();
	assert_int_equal(ret, -EBUSY);
	if (!strstr(text, "objects remaining") || !strstr(text, "(5 objects remaining)"))
		fail_msg("destroy report without \"(5 objects remaining)\":\n%s", text);
	assert_non_null(strstr(text, "busy-cache"));
	assert_prefixed(text);
	assert_int_equal(slab_stats().errors, st0.errors + 1);

	/* the cache is kept, whole: listed, and it allocates and frees */
	r = slabinfo_row("busy-cache");
	assert_true(r.active_objs >= 5);
	extra = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(extra);
	kmem_cache_free(s, extra);
	free_objs(s, p, 5);

	cap_begin();
	ret = kmem_cache_destroy(s);
	text = cap_end();
	assert_int_equal(ret, 0);
	assert_string_equal(text, "");
	assert_false(slabinfo_find("busy-cache", &r));
}

/* --- shrink --- */

static void shuffle(void **p, size_t n, uint64_t *seed)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd(seed) % (i + 1);
		void *t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
}

static void test_shrink(void **state)
{
	const size_t n = 4000;
	unsigned long base, used_slabs = 0;
	struct kmb_slab_stats st0, st1;
	struct slabinfo_row r;
	struct kmem_cache *s;
	uint64_t seed = 1;
	char **heads;
	void **p;

	(void)state;
	slab_boot(1, true);
	base = free_pages_now();
	st0 = slab_stats();
	s = create("shrink-cache", 256, 0, 0, NULL);
	assert_int_equal(free_pages_now(), base);	/* creating takes no pages */
	p = alloc_objs(s, n);
	assert_true(free_pages_now() + n * 256 / PAGE_SIZE <= base);

	/* keep every 97th object: their slabs must stay, and only theirs */
	heads = calloc(n, sizeof(*heads));
	assert_non_null(heads);
	for (size_t i = 0; i < n; i += 97) {
		char *h = slab_start(p[i]);
		bool seen = false;

		for (unsigned long k = 0; k < used_slabs; k++)
			seen |= heads[k] == h;
		if (!seen)
			heads[used_slabs++] = h;
	}
	for (size_t i = 0; i < n; i++)
		if (i % 97)
			kmem_cache_free(s, p[i]);
	assert_int_equal(kmem_cache_shrink(s), 0);
	r = slabinfo_row("shrink-cache");
	assert_int_equal(r.num_slabs, used_slabs);
	assert_int_equal(r.active_objs, (n + 96) / 97);
	assert_int_equal(free_pages_now(), base - used_slabs * r.pagesperslab);
	for (size_t i = 0; i < n; i += 97)
		if (!all_bytes(p[i], 256, (unsigned char)(i & 0xff)))
			fail_msg("kept object %zu at %p changed by kmem_cache_shrink", i, p[i]);

	/* everything freed, in random order: every slab goes back */
	for (size_t i = 0; i < n; i += 97)
		kmem_cache_free(s, p[i]);
	free(heads);
	free(p);
	p = alloc_objs(s, n);
	shuffle(p, n, &seed);
	for (size_t i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	free(p);
	r = slabinfo_row("shrink-cache");
	assert_true(r.num_slabs > 0);	/* empty slabs kept on the partial list, or frozen */
	assert_int_equal(kmem_cache_shrink(s), 0);
	assert_int_equal(free_pages_now(), base);
	st1 = slab_stats();
	assert_true(st1.slabs_alloc - st0.slabs_alloc >= n / r.objperslab);
	assert_int_equal(st1.slabs_alloc - st0.slabs_alloc, st1.slabs_free - st0.slabs_free);
	r = slabinfo_row("shrink-cache");
	assert_int_equal(r.num_slabs, 0);
	assert_int_equal(r.num_objs, 0);
	assert_int_equal(r.active_objs, 0);
	assert_int_equal(st1.errors, st0.errors);
	check_mm();
	destroy(s);
	assert_int_equal(free_pages_now(), base);
}

/* --- the shrinker --- */

struct pages {
	struct page **p;
	size_t n, cap;
};

static void pages_push(struct pages *ps, struct page *pg)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 4096;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
		assert_non_null(ps->p);
	}
	ps->p[ps->n++] = pg;
}

static void test_shrinker(void **state)
{
	const size_t n = (8UL << 20) / 256;	/* 8 MiB of 256-byte objects */
	struct kmb_mm_stats mm0, mm1;
	struct kmb_slab_stats st0, st1;
	struct pages grabbed = { 0 };
	unsigned long base, empty;
	struct slabinfo_row r;
	struct kmem_cache *s;
	size_t keep[2];
	struct page *pg;
	void **p;

	(void)state;
	slab_boot(1, true);
	base = free_pages_now();
	s = create("reclaim-cache", 256, 0, 0, NULL);
	r = slabinfo_row("reclaim-cache");
	keep[0] = 0;
	keep[1] = 10 * (size_t)r.objperslab;

	/* many slabs' worth, then all freed but two objects (in two slabs), no shrink: the
	 * cache keeps some empty slabs (partial list up to min_partial, the CPU slot's) */
	p = alloc_objs(s, n);
	assert_true(slab_start(p[keep[0]]) != slab_start(p[keep[1]]));
	for (size_t i = 0; i < n; i++)
		if (i != keep[0] && i != keep[1])
			kmem_cache_free(s, p[i]);
	r = slabinfo_row("reclaim-cache");
	assert_true(r.num_slabs > 2);
	empty = r.num_slabs - 2;

	/* take every page the page allocator gives without reclaim (per-CPU lists drained) */
	for (;;) {
		while ((pg = alloc_pages(GFP_NORECLAIM, 0)))
			pages_push(&grabbed, pg);
		drain_all_pages(NULL);
		pg = alloc_pages(GFP_NORECLAIM, 0);
		if (!pg)
			break;
		pages_push(&grabbed, pg);
	}
	assert_int_equal(stats().pcp_pages, 0);
	assert_null(alloc_pages(GFP_NORECLAIM, 0));	/* fails without reclaim */
	assert_int_equal(slabinfo_row("reclaim-cache").num_slabs, empty + 2);

	/* with reclaim the slab shrinker gives the empty slabs back and the allocation works */
	mm0 = stats();
	st0 = slab_stats();
	pg = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, 0);
	mm1 = stats();
	st1 = slab_stats();
	if (!pg)
		fail_msg("GFP_KERNEL allocation failed with %lu empty slabs to reclaim (slabs "
			 "freed %lu, shrinker freed %lu)", empty, st1.slabs_free - st0.slabs_free,
			 mm1.shrinker_freed - mm0.shrinker_freed);
	pages_push(&grabbed, pg);
	assert_true(mm1.allocstall > mm0.allocstall);
	assert_int_equal(st1.slabs_free - st0.slabs_free, empty);
	assert_int_equal(mm1.shrinker_freed - mm0.shrinker_freed, empty);
	r = slabinfo_row("reclaim-cache");
	assert_int_equal(r.num_slabs, 2);
	assert_int_equal(r.active_objs, 2);
	for (int k = 0; k < 2; k++)
		if (!all_bytes(p[keep[k]], 256, (unsigned char)(keep[k] & 0xff)))
			fail_msg("live object %zu at %p changed by reclaim", keep[k], p[keep[k]]);

	for (size_t i = 0; i < grabbed.n; i++)
		__free_pages(grabbed.p[i], 0);
	free(grabbed.p);
	kmem_cache_free(s, p[keep[0]]);
	kmem_cache_free(s, p[keep[1]]);
	free(p);
	kmem_cache_shrink(s);
	assert_int_equal(free_pages_now(), base);
	assert_int_equal(slab_stats().errors, st0.errors);
	check_mm();
	destroy(s);
}

/* --- zalloc, bulk, nodes, DMA --- */

static void test_zalloc(void **state)
{
	struct kmem_cache *s;
	void *p, *q, **many;

	(void)state;
	slab_boot(1, true);
	s = create("zalloc-cache", 200, 0, 0, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(p);
	memset(p, 0xff, 200);
	kmem_cache_free(s, p);
	q = kmem_cache_zalloc(s, GFP_KERNEL);	/* most likely @p again: the last freed */
	assert_non_null(q);
	if (!all_bytes(q, 200, 0))
		fail_msg("kmem_cache_zalloc returned a dirty object");
	memset(q, 0xee, 200);
	kmem_cache_free(s, q);
	q = kmem_cache_alloc(s, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(q);
	if (!all_bytes(q, 200, 0))
		fail_msg("kmem_cache_alloc(__GFP_ZERO) returned a dirty object");
	kmem_cache_free(s, q);

	many = alloc_objs(s, 200);
	for (int i = 0; i < 200; i++)
		memset(many[i], 0x5a, 200);
	for (int i = 0; i < 200; i++)
		kmem_cache_free(s, many[i]);
	for (int i = 0; i < 200; i++) {
		many[i] = kmem_cache_zalloc(s, GFP_KERNEL);
		assert_non_null(many[i]);
		if (!all_bytes(many[i], 200, 0))
			fail_msg("kmem_cache_zalloc: object %d at %p is not zeroed", i, many[i]);
		memset(many[i], i & 0xff, 200);
	}
	free_objs(s, many, 200);
	destroy(s);
}

static void test_bulk(void **state)
{
	const size_t big = 1UL << 20, nbig = 2 * SLAB_NODE_MEM / (1UL << 20);
	void *p[500], **q, *bp[2 * SLAB_NODE_MEM / (1UL << 20)];
	struct kmem_cache *s, *b;
	struct slabinfo_row r;
	unsigned long base;

	(void)state;
	slab_boot(1, true);
	base = free_pages_now();
	s = create("bulk-cache", 48, 0, 0, NULL);
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL, 500, p), 500);
	for (int i = 0; i < 500; i++) {
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, 48);
	}
	q = sorted_disjoint(p, 500, 48);
	free(q);
	for (int i = 0; i < 500; i++)
		if (!all_bytes(p[i], 48, (unsigned char)(i & 0xff)))
			fail_msg("bulk object %d at %p overwritten", i, p[i]);
	r = slabinfo_row("bulk-cache");
	assert_true(r.active_objs >= 500);
	kmem_cache_free_bulk(s, 500, p);
	kmem_cache_shrink(s);
	assert_int_equal(slabinfo_row("bulk-cache").num_slabs, 0);
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL, 0, p), 0);

	/* all or nothing: twice the machine's memory in 1 MiB objects cannot be had */
	b = create("bulk-big", (unsigned int)big, 0, 0, NULL);
	assert_int_equal(kmem_cache_alloc_bulk(b, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, 8,
					       bp), 8);
	for (int i = 0; i < 8; i++)
		memset(bp[i], i, big);
	kmem_cache_free_bulk(b, 8, bp);
	assert_int_equal(kmem_cache_alloc_bulk(b, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, nbig,
					       bp), 0);
	kmem_cache_shrink(b);
	r = slabinfo_row("bulk-big");
	if (r.num_slabs || r.active_objs)
		fail_msg("failed bulk allocation left %lu objects in %lu slabs", r.active_objs,
			 r.num_slabs);
	assert_int_equal(free_pages_now(), base);
	destroy(b);
	destroy(s);
}

static void test_dma(void **state)
{
	struct kmem_cache *s, *n;
	void **p, *o;

	(void)state;
	slab_boot(1, true);
	s = create("dma-cache", 128, 0, SLAB_CACHE_DMA, NULL);
	p = alloc_objs(s, 500);
	for (int i = 0; i < 500; i++)
		if (page_zonenum(virt_to_page(p[i])) != ZONE_DMA)
			fail_msg("SLAB_CACHE_DMA object %d at %p is in zone %d, not ZONE_DMA", i,
				 p[i], page_zonenum(virt_to_page(p[i])));
	free_objs(s, p, 500);
	/* the control: a plain cache's slabs come from ZONE_NORMAL first */
	n = create("normal-cache", 128, 0, 0, NULL);
	o = kmem_cache_alloc(n, GFP_KERNEL);
	assert_non_null(o);
	assert_int_equal(page_zonenum(virt_to_page(o)), ZONE_NORMAL);
	kmem_cache_free(n, o);
	destroy(n);
	destroy(s);
}

/* SLAB_RECLAIM_ACCOUNT: its slabs count as reclaimable pages, every other cache's as not. */
static void test_reclaim_account(void **state)
{
	struct kmem_cache *r, *u;
	struct kmb_slab_stats st0, st1, st2;
	void **pr, **pu;

	(void)state;
	slab_boot(1, true);
	r = create("reclaimable", 256, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	u = create("unreclaimable", 256, 0, 0, NULL);
	kmb_slab_get_stats(&st0);
	pr = alloc_objs(r, 300);
	kmb_slab_get_stats(&st1);
	assert_true(st1.reclaimable_pages > st0.reclaimable_pages);
	assert_int_equal(st1.unreclaimable_pages, st0.unreclaimable_pages);
	pu = alloc_objs(u, 300);
	kmb_slab_get_stats(&st2);
	assert_int_equal(st2.reclaimable_pages, st1.reclaimable_pages);
	assert_true(st2.unreclaimable_pages > st1.unreclaimable_pages);
	/* 300 objects of 256 bytes need the same pages in either cache */
	assert_int_equal(st2.unreclaimable_pages - st1.unreclaimable_pages,
			 st1.reclaimable_pages - st0.reclaimable_pages);
	free_objs(r, pr, 300);
	free_objs(u, pu, 300);
	kmem_cache_shrink(r);
	kmem_cache_shrink(u);
	kmb_slab_get_stats(&st1);
	assert_int_equal(st1.reclaimable_pages, st0.reclaimable_pages);
	assert_int_equal(st1.unreclaimable_pages, st0.unreclaimable_pages);
	destroy(u);
	destroy(r);
}

static void test_alloc_node(void **state)
{
	struct kmem_cache *s;
	void *p[200];

	(void)state;
	slab_boot(1, true);
	s = create("node-cache", 64, 0, 0, NULL);
	for (int i = 0; i < 100; i++) {
		p[i] = kmem_cache_alloc_node(s, GFP_KERNEL, 0);
		assert_non_null(p[i]);
		assert_int_equal(page_to_nid(virt_to_page(p[i])), 0);
		memset(p[i], i, 64);
	}
	p[100] = kmem_cache_alloc_node(s, GFP_KERNEL, NUMA_NO_NODE);
	assert_non_null(p[100]);
	for (int i = 0; i < 100; i++)
		if (!all_bytes(p[i], 64, (unsigned char)i))
			fail_msg("object %d at %p overwritten", i, p[i]);
	for (int i = 0; i <= 100; i++)
		kmem_cache_free(s, p[i]);
	assert_int_equal(kmem_cache_validate(s), 0);
	destroy(s);
}

static void test_alloc_node2(void **state)
{
	struct kmb_slab_stats st0;
	struct kmem_cache *s;
	unsigned long base;
	void *p[200];

	(void)state;
	slab_boot(2, true);
	assert_int_equal(kmb_mm_nr_nodes(), 2);
	base = free_pages_now();
	st0 = slab_stats();
	s = create("node2-cache", 64, 0, 0, NULL);
	/* alternate nodes: each object from the node asked for */
	for (int i = 0; i < 200; i++) {
		int nid = (i / 3) % 2;

		p[i] = kmem_cache_alloc_node(s, GFP_KERNEL, nid);
		assert_non_null(p[i]);
		if (page_to_nid(virt_to_page(p[i])) != nid)
			fail_msg("kmem_cache_alloc_node(%d): object %d at %p is on node %d", nid, i,
				 p[i], page_to_nid(virt_to_page(p[i])));
		memset(p[i], i, 64);
	}
	for (int i = 0; i < 200; i++)
		if (!all_bytes(p[i], 64, (unsigned char)i))
			fail_msg("object %d at %p overwritten", i, p[i]);
	for (int i = 0; i < 200; i += 2)
		kmem_cache_free(s, p[i]);
	assert_int_equal(kmem_cache_validate(s), 0);
	for (int i = 1; i < 200; i += 2)
		kmem_cache_free(s, p[i]);
	assert_int_equal(kmem_cache_validate(NULL), 0);
	kmem_cache_shrink(s);
	assert_int_equal(free_pages_now(), base);
	assert_int_equal(slab_stats().errors, st0.errors);
	destroy(s);
}

/* --- slabinfo --- */

static void test_slabinfo(void **state)
{
	struct slabinfo_row r, k;
	unsigned long held, order;
	int rows = 0;
	struct kmem_cache *s;
	char *text, *l2;
	void **p, *extra;

	(void)state;
	slab_boot(1, true);
	s = create("info-cache", 72, 0, 0, NULL);
	r = slabinfo_row("info-cache");
	held = 3UL * r.objperslab + 7;
	p = alloc_objs(s, held);

	text = show(kmb_show_slabinfo);
	l2 = strchr(text, '\n');
	assert_non_null(l2);
	assert_int_equal(l2 - text, strlen(SLABINFO_HEAD1));
	assert_memory_equal(text, SLABINFO_HEAD1 "\n", strlen(SLABINFO_HEAD1) + 1);
	l2++;
	if (strncmp(l2, SLABINFO_HEAD2 "\n", strlen(SLABINFO_HEAD2) + 1))
		fail_msg("second slabinfo line is not the kernel's header:\n%.*s", 300, l2);
	/* every cache has a row in the kernel's format: the kmalloc ones and ours */
	for (char *line = strchr(l2, '\n') + 1, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = 0;
		parse_row(line, &k);
		rows++;
	}
	assert_true(rows >= 2 * 13 + 1);	/* kmalloc-8 .. -8k, 96, 192; dma-; info-cache */
	free(text);

	k = slabinfo_row("kmalloc-64");
	assert_int_equal(k.objsize, 64);
	k = slabinfo_row("dma-kmalloc-192");
	assert_int_equal(k.objsize, 192);
	k = slabinfo_row("kmalloc-8k");
	assert_int_equal(k.objsize, 8192);

	r = slabinfo_row("info-cache");
	/* the stride: 72 bytes at the natural 16-byte alignment */
	assert_int_equal(r.objsize, (72 + 15) / 16 * 16);
	assert_true(r.pagesperslab && !(r.pagesperslab & (r.pagesperslab - 1)));
	order = (unsigned long)__builtin_ctz(r.pagesperslab);
	assert_int_equal(r.objperslab, (PAGE_SIZE << order) / r.objsize);
	assert_int_equal(r.num_objs, r.num_slabs * r.objperslab);
	assert_int_equal(r.active_slabs, r.num_slabs);
	assert_true(r.active_objs >= held);	/* a CPU slot's cached objects count as active */
	assert_true(r.active_objs <= r.num_objs);
	assert_int_equal(r.limit, 0);
	assert_int_equal(r.batchcount, 0);
	assert_int_equal(r.sharedfactor, 0);
	assert_int_equal(r.sharedavail, 0);

	/* with the CPU slots flushed the count is exact; one CPU made the slabs in order */
	kmem_cache_shrink(s);
	r = slabinfo_row("info-cache");
	assert_int_equal(r.active_objs, held);
	assert_int_equal(r.num_slabs, (held + r.objperslab - 1) / r.objperslab);
	assert_int_equal(r.num_objs, r.num_slabs * r.objperslab);

	extra = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(extra);
	r = slabinfo_row("info-cache");
	assert_true(r.active_objs >= held + 1);
	kmem_cache_free(s, extra);

	/* the first half freed */
	for (unsigned long i = 0; i < held / 2; i++) {
		kmem_cache_free(s, p[i]);
		p[i] = NULL;
	}
	kmem_cache_shrink(s);
	r = slabinfo_row("info-cache");
	assert_int_equal(r.active_objs, held - held / 2);
	assert_int_equal(r.num_objs, r.num_slabs * r.objperslab);
	free_objs(s, p, held);
	kmem_cache_shrink(s);
	r = slabinfo_row("info-cache");
	assert_int_equal(r.active_objs, 0);
	assert_int_equal(r.num_slabs, 0);
	destroy(s);
	assert_false(slabinfo_find("info-cache", &r));
}

/*
 * SLAB_STORE_USER on a kmalloc cache keeps a requested size after the tracks (mm/slub.c
 * set_orig_size, slub_debug_orig_size): kmem_cache_alloc from kmalloc-64 keeps 64, as the
 * kernel's.  (kmalloc(50) keeps 64 too here, where the kernel keeps 50: kmbench does not pass
 * kmalloc's request down to the slab layer.)  The word is the one after the two tracks, which
 * init_tracking leaves zero: the test finds it there.  Caches that are not kmalloc's keep none.
 */
static void test_kmalloc_orig_size(void **state)
{
	struct kmem_cache *k64, *plain;
	unsigned char *a, *b;
	unsigned int orig;

	(void)state;
	kmb_slab_set_debug(SLAB_STORE_USER | SLAB_RED_ZONE);
	slab_boot(1, true);
	a = kmalloc(64, GFP_KERNEL);
	assert_non_null(a);
	k64 = virt_to_slab(a)->slab_cache;
	assert_string_equal(kmem_cache_name(k64), "kmalloc-64");
	assert_true(slub_debug_orig_size(k64));
	b = kmem_cache_alloc(k64, GFP_KERNEL);
	assert_non_null(b);
	assert_int_equal(slab_debug_get_orig_size(k64, b), 64);
	/* after the object, its right red zone (8) and the free pointer (8): two tracks */
	slab_meta_copy(&orig, b + 64 + 8 + 8 + 2 * 32, sizeof(orig));	/* poisoned: the tools' */
	assert_int_equal(orig, 64);
	plain = create("orig-plain", 64, 0, SLAB_STORE_USER, NULL);
	assert_false(slub_debug_orig_size(plain));
	/* 64 + 8 (right red zone) + 2 * 32 + 8 (padding) + 16 (left red zone, a word aligned to
	 * 16): no orig_size, and the free pointer stays in the object */
	assert_int_equal(slabinfo_row("orig-plain").objsize, 160);
	kfree(a);
	kmem_cache_free(k64, b);
	destroy(plain);
}

/* --- slab order --- */

static unsigned int fls_u(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

/* mm/slub.c calc_slab_order() (Linux 6.7+): from @min_order, the first order whose leftover is
 * at most 1/@fract of the slab; above @max_order when none is. */
static unsigned int kernel_calc_slab_order(unsigned int size, unsigned int min_order,
					   unsigned int max_order, unsigned int fract)
{
	unsigned int order = min_order;

	for (; order <= max_order; order++) {
		unsigned long slab = PAGE_SIZE << order;

		if (slab % size <= slab / fract)
			break;
	}
	return order;
}

/*
 * mm/slub.c calculate_order() of Linux 6.7+ (slub_min_order 0, slub_max_order
 * PAGE_ALLOC_COSTLY_ORDER, no slub_min_objects): the lowest order tried holds
 * 4 * (fls(nr_cpus) + 1) objects, or as many as an order-3 slab holds at most; from there the
 * first order up to 3 that wastes at most 1/16, then 1/8, 1/4, 1/2; else get_order(size).
 * @fract: the waste fraction the order meets (1: none promised).
 */
static unsigned int kernel_calculate_order(unsigned int size, unsigned int nr_cpus,
					   unsigned int *fract)
{
	unsigned int min_objects = 4 * (fls_u(nr_cpus) + 1);
	unsigned int max_objects = (unsigned int)((PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER) / size);
	unsigned int min_order, order;

	if (!max_objects)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = get_order((unsigned long)min_objects * size);
	for (unsigned int f = 16; f > 1; f /= 2) {
		order = kernel_calc_slab_order(size, min_order, PAGE_ALLOC_COSTLY_ORDER, f);
		if (order <= PAGE_ALLOC_COSTLY_ORDER) {
			*fract = f;
			return order;
		}
	}
	*fract = 1;
	return get_order(size);
}

/* The cache names of slabinfo, in its order (at most @max), and how many. */
static int slabinfo_names(char names[][KMEM_CACHE_NAME_MAX + 1], int max)
{
	char *text = show(kmb_show_slabinfo), *line, *nl;
	int n = 0;

	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = 0;
		if (line == text || line[0] == '#')
			continue;
		assert_true(n < max);
		assert_int_equal(sscanf(line, "%64s", names[n]), 1);
		n++;
	}
	free(text);
	return n;
}

static int name_at(char names[][KMEM_CACHE_NAME_MAX + 1], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	fail_msg("slabinfo has no row for %s", name);
	return -1;
}

/*
 * The kernel's slabinfo order and its boot caches (Linux 6.18): create_cache() (mm/slab_common.c)
 * adds a cache at the head of slab_caches and slab_start()/slab_next() print from the head, so
 * the newest cache comes first; kmem_cache_init() (mm/slub.c) makes kmem_cache_node and
 * kmem_cache before the kmalloc caches, and bootstrap() lists kmem_cache before
 * kmem_cache_node, so those two end the file, kmem_cache last.  Every other cache's descriptor
 * is a kmem_cache object (offsetof(struct kmem_cache, node) plus a pointer per node,
 * cache-line aligned) and each of its nodes a kmem_cache_node object; the two boot caches'
 * own are static here (the kernel's bootstrap() moves them into objects).
 */
static void test_slabinfo_order(void **state)
{
	static char names[256][KMEM_CACHE_NAME_MAX + 1];
	struct slabinfo_row kc, kcn, kc2, kcn2;
	struct kmem_cache *a, *b, *c;
	int n, line = (int)cache_line_size();

	(void)state;
	slab_boot(2, true);
	a = create("order-a", 40, 0, 0, NULL);
	b = create("order-b", 40, 0, 0, NULL);
	c = create("order-c", 40, 0, 0, NULL);
	n = slabinfo_names(names, 256);
	assert_string_equal(names[0], "order-c");
	assert_string_equal(names[1], "order-b");
	assert_string_equal(names[2], "order-a");
	assert_string_equal(names[n - 2], "kmem_cache_node");
	assert_string_equal(names[n - 1], "kmem_cache");
	/* kmem_cache_init's kmalloc caches, newest first: the dma- set, then the normal one, each
	 * from kmalloc-8k back to kmalloc-96 (kmalloc_info's order reversed) */
	assert_true(name_at(names, n, "dma-kmalloc-8k") < name_at(names, n, "dma-kmalloc-96"));
	assert_true(name_at(names, n, "dma-kmalloc-96") < name_at(names, n, "kmalloc-8k"));
	assert_true(name_at(names, n, "kmalloc-8k") < name_at(names, n, "kmalloc-8"));
	assert_true(name_at(names, n, "kmalloc-8") < name_at(names, n, "kmalloc-192"));
	assert_int_equal(name_at(names, n, "kmalloc-96"), n - 3);

	/* every cache but the two boot caches: one descriptor, and one node structure per node
	 * (the boot caches have no sheaves: the counts are exact) */
	kc = slabinfo_row("kmem_cache");
	kcn = slabinfo_row("kmem_cache_node");
	assert_int_equal(kc.active_objs, (unsigned long)n - 2);
	assert_int_equal(kcn.active_objs, 2UL * ((unsigned long)n - 2));
	assert_int_equal(kc.objsize, (offsetof(struct kmem_cache, node) +
				      2 * sizeof(struct kmem_cache_node *) + line - 1) / line * line);
	assert_int_equal(kcn.objsize, (sizeof(struct kmem_cache_node) + line - 1) / line * line);

	/* a cache destroyed gives them back; one created anew is first again */
	destroy(b);
	kc2 = slabinfo_row("kmem_cache");
	kcn2 = slabinfo_row("kmem_cache_node");
	assert_int_equal(kc2.active_objs, kc.active_objs - 1);
	assert_int_equal(kcn2.active_objs, kcn.active_objs - 2);
	b = create("order-b", 40, 0, 0, NULL);
	n = slabinfo_names(names, 256);
	assert_string_equal(names[0], "order-b");
	assert_string_equal(names[1], "order-c");
	assert_string_equal(names[2], "order-a");
	destroy(a);
	destroy(b);
	destroy(c);
}

/*
 * The order of a cache of @size-byte objects is calculate_order()'s, and it keeps the waste
 * within the fraction the rule met; with @alloc, a slab's worth of objects takes exactly one
 * block of that order from the page allocator.
 */
static void check_order(unsigned int size, unsigned int nr_cpus, bool alloc)
{
	unsigned int fract, want, order, stride = size < 16 ? 8 : (size + 15) / 16 * 16;
	struct kmb_mm_stats mm0, mm1;
	struct slabinfo_row r;
	struct kmem_cache *s;
	unsigned long waste;
	char name[32];
	void **p;

	snprintf(name, sizeof(name), "order-%u", size);
	s = create(name, size, 0, 0, NULL);
	r = slabinfo_row(name);
	assert_int_equal(r.objsize, stride);
	want = kernel_calculate_order(stride, nr_cpus, &fract);
	order = (unsigned int)__builtin_ctz(r.pagesperslab);
	if (r.pagesperslab != 1U << order || order != want)
		fail_msg("%u-byte objects (%u CPUs): %u pages per slab, calculate_order says "
			 "order %u", size, nr_cpus, r.pagesperslab, want);
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		fail_msg("%u-byte objects: order %u", size, order);
	assert_int_equal(r.objperslab, (PAGE_SIZE << order) / stride);
	waste = (PAGE_SIZE << order) - (unsigned long)r.objperslab * stride;
	if (waste > (PAGE_SIZE << order) / fract)
		fail_msg("%u-byte objects: order %u wastes %lu bytes, more than 1/%u", size, order,
			 waste, fract);
	if (alloc) {
		mm0 = stats();
		p = alloc_objs(s, r.objperslab);
		mm1 = stats();
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
			if (mm1.pgalloc[o] - mm0.pgalloc[o] != (unsigned long)(o == order))
				fail_msg("%u-byte objects: a slab's worth took %lu order-%u blocks",
					 size, mm1.pgalloc[o] - mm0.pgalloc[o], o);
		free_objs(s, p, r.objperslab);
	}
	destroy(s);
}

/*
 * Orders worked out by hand from mm/slub.c calculate_order() of Linux 6.7+, for objects of
 * more than 4 KiB, where no CPU count matters (at most 7 fit in an order-3 slab, fewer than the
 * 8 objects asked for even on one CPU, so the order holding as many as fit is where the search
 * starts).  Before 6.7 SLUB relaxed the object count first and ended with the lowest order
 * holding one object: objects of 10923 to 12287 bytes got order 2 then.
 */
static void test_order_table(void **state)
{
	static const struct {
		unsigned int size, order;
	} table[] = {
		{ 4112, 3 },	/* 7 in 32 KiB, 3984 left: more than 1/16, at most 1/8 */
		{ 6000, 3 },	/* 5 in 32 KiB, 2768 left: at most 1/8 */
		{ 8192, 3 },	/* 4 in 32 KiB, nothing left */
		{ 10912, 3 },	/* 3 in 32 KiB, 32 left */
		{ 10928, 3 },	/* 2 in 32 KiB, 10912 left: only 1/2 accepts it (6.6: order 2) */
		{ 11264, 3 },	/* 2 in 32 KiB, 10240 left: 1/2 (6.6: order 2) */
		{ 12272, 3 },	/* 2 in 32 KiB, 8224 left: 1/2 (6.6: order 2) */
		{ 12288, 3 },	/* 2 in 32 KiB, 8192 left: 1/4, as before 6.7 */
		{ 16384, 3 },	/* 2 in 32 KiB, nothing left */
		{ 20000, 3 },	/* 1 in 32 KiB, 12768 left: 1/2 */
		{ 32768, 3 },
		{ 40000, 4 },	/* beyond order 3: get_order(size) */
		{ 131072, 5 },
	};
	struct slabinfo_row r;
	struct kmem_cache *s;

	(void)state;
	slab_boot(1, true);
	slab_layer_only();
	for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
		s = create("order-table", table[k].size, 0, 0, NULL);
		r = slabinfo_row("order-table");
		assert_int_equal(r.objsize, table[k].size);
		if (r.pagesperslab != 1U << table[k].order)
			fail_msg("%u-byte objects: %u pages per slab, want order %u (%u pages)",
				 table[k].size, r.pagesperslab, table[k].order,
				 1U << table[k].order);
		assert_int_equal(r.objperslab, (PAGE_SIZE << table[k].order) / table[k].size);
		destroy(s);
	}
}

static void test_order(void **state)
{
	static const unsigned int sizes[] = { 8, 64, 192, 700, 3000, 4096, 8192 };
	const unsigned int nr_cpus = (unsigned int)nr_cpu_ids();

	(void)state;
	slab_boot(1, true);
	slab_layer_only();	/* one batch of objperslab objects is one slab */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		check_order(sizes[k], nr_cpus, true);
	/* every stride up to 16 KiB: the few where 1/16 and 1/8 pick different orders, and
	 * those that only 1/2 accepts */
	for (unsigned int size = 16; size <= 16384; size += 16)
		check_order(size, nr_cpus, false);
}

/* --- threads --- */

#define MT_THREADS	4
#define MT_OPS		50000
#define MT_QCAP		4096
#define MT_LOCAL	128
#define MT_MAGIC	0x7a600000u

struct mt_obj {
	void *p;
	int cache;		/* index in mt.cache */
	uint32_t tid;
	uint64_t seq;
};

struct mt_queue {
	pthread_mutex_t lock;
	struct mt_obj q[MT_QCAP];
	unsigned int head, n;
};

struct mt_thread {
	pthread_t th;
	uint32_t id;
	uint64_t seed, seq;
	struct mt_obj local[MT_LOCAL];
	unsigned int nlocal;
	unsigned long allocs, frees, sent, received;
};

static const unsigned int mt_size[2] = { 64, 24 };

static struct {
	struct kmem_cache *cache[2];
	struct mt_queue queue[MT_THREADS];
	struct mt_thread thread[MT_THREADS];
	pthread_mutex_t live_lock;
	unsigned char *live;	/* a bit per 8 bytes of the linear map: in a live object */
	size_t live_bits;
	atomic_ulong errors;
	atomic_int running;
	pthread_barrier_t start;
	cpu_set_t cpus;		/* the CPUs the test may use */
	pthread_mutex_t err_lock;
	char first_error[512];
} mt;

static void mt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mt_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&mt.err_lock);
	if (!atomic_fetch_add(&mt.errors, 1)) {
		va_start(ap, fmt);
		vsnprintf(mt.first_error, sizeof(mt.first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&mt.err_lock);
}

/* Mark the 8-byte granules of @o live (@alloc) or dead; a granule already in the wanted state
 * means an object handed out twice, overlapping another, or freed while not live. */
static void mt_live(const struct mt_obj *o, bool alloc)
{
	size_t first = (size_t)(kmb_pa(o->p) >> 3), n = mt_size[o->cache] / 8;

	if (!virt_addr_valid(o->p) || first + n > mt.live_bits) {
		mt_error("object %p is outside the linear map", o->p);
		return;
	}
	pthread_mutex_lock(&mt.live_lock);
	for (size_t i = first; i < first + n; i++) {
		bool on = mt.live[i / 8] & (1u << (i % 8));

		if (on == alloc) {
			pthread_mutex_unlock(&mt.live_lock);
			mt_error(alloc ? "thread %u: object %p (cache %d) handed out while bytes "
				 "%zu.. of it are live" : "thread %u: object %p (cache %d) freed "
				 "while byte %zu of it is not live", o->tid, o->p, o->cache,
				 (i - first) * 8);
			return;
		}
	}
	for (size_t i = first; i < first + n; i++)
		mt.live[i / 8] ^= (unsigned char)(1u << (i % 8));
	pthread_mutex_unlock(&mt.live_lock);
}

static uint8_t mt_byte(const struct mt_obj *o, unsigned int i)
{
	return (uint8_t)(o->seq * 31 + i * 7 + o->tid);
}

/* The tag: owner, magic and size, sequence number; the rest a pattern of them. */
static void mt_fill(const struct mt_obj *o)
{
	unsigned char *b = o->p;
	uint32_t magic = MT_MAGIC | mt_size[o->cache];

	memcpy(b, &o->tid, 4);
	memcpy(b + 4, &magic, 4);
	memcpy(b + 8, &o->seq, 8);
	for (unsigned int i = 16; i < mt_size[o->cache]; i++)
		b[i] = mt_byte(o, i);
}

static void mt_check(const struct mt_obj *o, uint32_t by)
{
	const unsigned char *b = o->p;
	uint32_t tid, magic;
	uint64_t seq;

	memcpy(&tid, b, 4);
	memcpy(&magic, b + 4, 4);
	memcpy(&seq, b + 8, 8);
	if (tid != o->tid || seq != o->seq || magic != (MT_MAGIC | mt_size[o->cache])) {
		mt_error("thread %u: object %p should carry tag %u/%llu, carries %u/%llu (magic "
			 "%#x)", by, o->p, o->tid, (unsigned long long)o->seq, tid,
			 (unsigned long long)seq, magic);
		return;
	}
	for (unsigned int i = 16; i < mt_size[o->cache]; i++)
		if (b[i] != mt_byte(o, i)) {
			mt_error("thread %u: object %p (tag %u/%llu) byte %u is %#x, expected %#x",
				 by, o->p, o->tid, (unsigned long long)o->seq, i, b[i],
				 mt_byte(o, i));
			return;
		}
}

static void mt_free(struct mt_obj *o, uint32_t by)
{
	mt_check(o, by);
	mt_live(o, false);
	kmem_cache_free(mt.cache[o->cache], o->p);
}

static bool mt_new(struct mt_thread *t, int cache, void *p, struct mt_obj *o)
{
	if (!p) {
		mt_error("thread %u: allocation from cache %d failed", t->id, cache);
		return false;
	}
	*o = (struct mt_obj){ p, cache, t->id, t->seq++ };
	mt_live(o, true);
	mt_fill(o);
	t->allocs++;
	return true;
}

static bool mt_send(struct mt_thread *t, const struct mt_obj *o)
{
	struct mt_queue *q = &mt.queue[(t->id + 1) % MT_THREADS];
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = q->n < MT_QCAP;
	if (ok)
		q->q[(q->head + q->n++) % MT_QCAP] = *o;
	pthread_mutex_unlock(&q->lock);
	t->sent += ok;
	return ok;
}

static bool mt_receive(struct mt_queue *q, struct mt_obj *o)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = q->n > 0;
	if (ok) {
		*o = q->q[q->head];
		q->head = (q->head + 1) % MT_QCAP;
		q->n--;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* Keep @o locally, or send it on (the receiver frees it); a full queue keeps it here. */
static void mt_place(struct mt_thread *t, const struct mt_obj *o)
{
	if (rnd(&t->seed) % 3 && mt_send(t, o))
		return;
	if (t->nlocal == MT_LOCAL) {
		unsigned int j = (unsigned int)(rnd(&t->seed) % MT_LOCAL);

		mt_free(&t->local[j], t->id);
		t->frees++;
		t->local[j] = *o;
		return;
	}
	t->local[t->nlocal++] = *o;
}

/* Thread i on the i-th CPU it may use, round robin: with two CPUs or more, every object
 * passed on is freed on another CPU than the one it was allocated on. */
static void mt_pin(const struct mt_thread *t)
{
	int cpus[CPU_SETSIZE], n = 0;
	cpu_set_t one;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mt.cpus))
			cpus[n++] = c;
	if (n < 2)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpus[t->id % (unsigned int)n], &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

static void *mt_main(void *arg)
{
	struct mt_thread *t = arg;
	struct mt_obj o;

	mt_pin(t);
	pthread_barrier_wait(&mt.start);
	for (int op = 0; op < MT_OPS; op++) {
		unsigned int r = (unsigned int)(rnd(&t->seed) % 100);
		int cache = (int)(rnd(&t->seed) & 1);

		/* what the previous thread sent: checked and freed at once, often while the
		 * sender's CPU slot still holds its slab (a remote free into a frozen slab) */
		while (mt_receive(&mt.queue[t->id], &o)) {
			mt_free(&o, t->id);
			t->received++;
			t->frees++;
		}
		if (r < 50) {
			if (mt_new(t, cache, kmem_cache_alloc(mt.cache[cache], GFP_KERNEL), &o))
				mt_place(t, &o);
		} else if (r < 55) {
			void *bulk[8];

			if (kmem_cache_alloc_bulk(mt.cache[cache], GFP_KERNEL, 8, bulk) != 8) {
				mt_error("thread %u: bulk allocation failed", t->id);
				continue;
			}
			for (int i = 0; i < 8; i++)
				if (mt_new(t, cache, bulk[i], &o))
					mt_place(t, &o);
		} else if (t->nlocal) {
			unsigned int j = (unsigned int)(rnd(&t->seed) % t->nlocal);

			mt_free(&t->local[j], t->id);
			t->frees++;
			t->local[j] = t->local[--t->nlocal];
		}
	}
	while (t->nlocal) {
		mt_free(&t->local[--t->nlocal], t->id);
		t->frees++;
	}
	atomic_fetch_sub(&mt.running, 1);
	return NULL;
}

static void test_threads(void **state)
{
	uint64_t seed = seed_from_env("test_threads", DEFAULT_SEED);
	unsigned long base, allocs = 0, frees = 0, sent = 0, received = 0, left = 0;
	size_t still_live = 0;
	struct kmb_slab_stats st0;
	struct slabinfo_row r;
	struct mt_obj o;

	(void)state;
	slab_boot(1, false);
	memset(&mt, 0, sizeof(mt));
	pthread_mutex_init(&mt.live_lock, NULL);
	pthread_mutex_init(&mt.err_lock, NULL);
	mt.live_bits = (size_t)kmb_memmap.max_low_pfn * PAGE_SIZE / 8;
	mt.live = calloc(mt.live_bits / 8 + 1, 1);
	assert_non_null(mt.live);
	mt.cache[0] = create("mt-64", 64, 0, 0, NULL);
	mt.cache[1] = create("mt-24-packed", 24, 0, 0, NULL);
	base = free_pages_now();
	st0 = slab_stats();

	atomic_store(&mt.running, MT_THREADS);
	assert_int_equal(pthread_barrier_init(&mt.start, NULL, MT_THREADS), 0);
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(mt.cpus), &mt.cpus), 0);
	for (int i = 0; i < MT_THREADS; i++) {
		pthread_mutex_init(&mt.queue[i].lock, NULL);
		mt.thread[i].id = (uint32_t)i;
		mt.thread[i].seed = seed ^ (0x1000193ULL * (uint64_t)(i + 1));
	}
	for (int i = 0; i < MT_THREADS; i++)
		assert_int_equal(pthread_create(&mt.thread[i].th, NULL, mt_main, &mt.thread[i]), 0);
	/* meanwhile: kmem_cache_shrink flushes the threads' CPU slots under them */
	while (atomic_load(&mt.running)) {
		struct timespec ms = { 0, 1000000 };

		kmem_cache_shrink(mt.cache[0]);
		kmem_cache_shrink(mt.cache[1]);
		nanosleep(&ms, NULL);
	}
	for (int i = 0; i < MT_THREADS; i++) {
		struct mt_thread *t = &mt.thread[i];

		pthread_join(t->th, NULL);
		allocs += t->allocs;
		frees += t->frees;
		sent += t->sent;
		received += t->received;
	}
	/* what is still queued: checked and freed here */
	for (int i = 0; i < MT_THREADS; i++)
		while (mt_receive(&mt.queue[i], &o)) {
			mt_free(&o, 99);
			left++;
		}
	print_message("[ INFO     ] %lu allocations, %lu sent, %lu received, %lu left queued\n",
		      allocs, sent, received, left);
	for (size_t i = 0; i < mt.live_bits / 8; i++)
		still_live += mt.live[i] != 0;
	free(mt.live);
	mt.live = NULL;
	if (atomic_load(&mt.errors))
		fail_msg("%lu errors; the first: %s", atomic_load(&mt.errors), mt.first_error);
	assert_int_equal(still_live, 0);	/* every allocation was freed exactly once */
	assert_int_equal(frees + left, allocs);
	assert_int_equal(sent, received + left);
	assert_true(received > MT_THREADS * 1000);

	assert_int_equal(kmem_cache_validate(NULL), 0);
	assert_int_equal(slab_stats().errors, st0.errors);
	for (int k = 0; k < 2; k++) {
		kmem_cache_shrink(mt.cache[k]);
		r = slabinfo_row(kmem_cache_name(mt.cache[k]));
		assert_int_equal(r.active_objs, 0);
		assert_int_equal(r.num_slabs, 0);
	}
	assert_int_equal(free_pages_now(), base);
	check_mm();
	destroy(mt.cache[0]);
	destroy(mt.cache[1]);
	for (int i = 0; i < MT_THREADS; i++)
		pthread_mutex_destroy(&mt.queue[i].lock);
	pthread_barrier_destroy(&mt.start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_names, slab_teardown),
		cmocka_unit_test_teardown(test_name_panic, slab_teardown),
		cmocka_unit_test_teardown(test_alignment, slab_teardown),
		cmocka_unit_test_teardown(test_colour, slab_teardown),
		cmocka_unit_test_teardown(test_colour_align, slab_teardown),
		cmocka_unit_test_teardown(test_ctor, slab_teardown),
		cmocka_unit_test_teardown(test_destroy_busy, slab_teardown),
		cmocka_unit_test_teardown(test_shrink, slab_teardown),
		cmocka_unit_test_teardown(test_shrinker, slab_teardown),
		cmocka_unit_test_teardown(test_zalloc, slab_teardown),
		cmocka_unit_test_teardown(test_bulk, slab_teardown),
		cmocka_unit_test_teardown(test_dma, slab_teardown),
		cmocka_unit_test_teardown(test_reclaim_account, slab_teardown),
		cmocka_unit_test_teardown(test_alloc_node, slab_teardown),
		cmocka_unit_test_teardown(test_alloc_node2, slab_teardown),
		cmocka_unit_test_teardown(test_slabinfo, slab_teardown),
		cmocka_unit_test_teardown(test_kmalloc_orig_size, slab_teardown),
		cmocka_unit_test_teardown(test_order_table, slab_teardown),
		cmocka_unit_test_teardown(test_slabinfo_order, slab_teardown),
		cmocka_unit_test_teardown(test_order, slab_teardown),
		cmocka_unit_test_teardown(test_threads, slab_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
