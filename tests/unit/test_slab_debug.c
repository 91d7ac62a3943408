/*
 * test_slab_debug.c - corruption and misuse of slab caches, made on purpose and found
 * (allocators/slab/slab_debug.c, the checks of allocators/slab/slub.c and of kfree in
 * slab_common.c).
 *
 * Counted as the kernel's lib/slub_kunit.c counts them: kmb_slab_get_stats().errors before and
 * after the misuse, one per problem.  Each report is read back from stderr and checked against
 * mm/slub.c's own format strings (Linux 6.18; test_report_format checks every line of a set of
 * reports): every line starts with "kmbench: ", the header "BUG <cache> (<taint>): <what>"
 * (slab_bug) names the cache and the problem, a corrupt range is "[<what> overwritten]
 * 0x<first>-0x<last> @offset=<in the slab>. First byte 0x<got> instead of 0x<want>"
 * (check_bytes_and_report) before the "Object corrupt" report, a "FIX" line (slab_fix) says what
 * was restored or refused, and SLAB_STORE_USER reports name the functions that allocated and
 * freed the object, with age= (print_track).  Which letter checks what is the kernel's: only F
 * checks at alloc and free; Z, P and U alone write red zones, poison and tracks, which
 * kmem_cache_validate() checks.  After the report the cache must go on
 * working: a repaired red zone or poison passes kmem_cache_validate(), and a refused free (a
 * double free, the wrong cache, a pointer into an object) leaves the freelist as it was, so that
 * allocating a slab's worth of objects plus one never hands an address out twice nor hands out
 * one that is still allocated.
 *
 * The misuses: one byte written after a red-zoned object (0x12, and 0x00, the string
 * terminator of the classic off-by-one) and one before it, found on free (F) and by
 * kmem_cache_validate() (Z alone); the poison of a free object (0x6b, 0xa5 last) and a write
 * after free, found when the object is allocated again (F) and by validate; the padding of an
 * object and of a slab (P's 0x5a, a constructor's cache too); a corrupt free pointer; double
 * frees in a debug cache and on the fast path of a plain one; a free into the wrong cache; a free of a pointer into an object;
 * kfree and kmem_cache_free of memory the allocator never gave (stack, heap, the inside of a
 * large kmalloc); SLAB_STORE_USER call sites; the slub_debug letters (kmb_slab_parse_debug)
 * and kmb_slab_set_debug(), which reaches caches created afterwards only.
 *
 * Every test boots a machine (one node of 64 MiB; page misuse reported, never stopped) and
 * kmem_cache_init(), and tears both down.  The process runs on one CPU (main() pins it): the
 * fast path's double-free check only sees frees on the CPU slot that owns the slab.  Writing
 * outside an object is harmless to AddressSanitizer: slabs live in the allocator's memfd, and
 * main() turns the caches' annotations for ASan and memcheck off (kmb_slab_set_tools), which
 * would report the planted misuse of any cache, debug caches too, before the allocator's own
 * checks do, and stop at the double frees (tests/tools tests the tools' reports, and
 * slub_debug's beside them: its dbguaf, dbgredzone and dbgquiet plants).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <unistd.h>

#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"
#include "kmbench/slab.h"
#include "slab_test.h"

#define OBJ		64	/* the object size of most caches here */
#define BAD		0x12	/* what a stray write leaves */

/* --- helpers --- */

static struct kmem_cache *cache(const char *name, unsigned int size, slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_create(name, size, 0, flags, NULL);

	if (!s)
		fail_msg("kmem_cache_create(%s, %u, flags %#x) failed", name, size, flags);
	return s;
}

static unsigned char *alloc_obj(struct kmem_cache *s)
{
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	if (!p)
		fail_msg("kmem_cache_alloc(%s) returned NULL", kmem_cache_name(s));
	return p;
}

/* kmem_cache_free(@s, @p), stderr captured: what it wrote (kept text). */
static char *free_captured(struct kmem_cache *s, void *p)
{
	struct capture cap;

	capture_begin(&cap);
	kmem_cache_free(s, p);
	return capture_end(&cap);
}

/* kfree(@p), stderr captured: what it wrote (kept text). */
static char *kfree_captured(const void *p)
{
	struct capture cap;

	capture_begin(&cap);
	kfree(p);
	return capture_end(&cap);
}

/* assert_contains() of what printf(@fmt, ...) says. */
__attribute__((format(printf, 2, 3)))
static void assert_contains_fmt(const char *text, const char *fmt, ...)
{
	char want[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_contains(text, want);
}

/* The header line of a report: "BUG <cache> (<taint>): <what>", as slab_bug() prints it,
 * before the first report of the process ("Not tainted") and after (TAINT_BAD_PAGE). */
static bool has_header(const char *text, const char *cache_name, const char *what)
{
	char want[200];

	snprintf(want, sizeof(want), "kmbench: BUG %s (Not tainted): %s", cache_name, what);
	if (strstr(text, want))
		return true;
	snprintf(want, sizeof(want), "kmbench: BUG %s (Tainted: G    B): %s", cache_name, what);
	return strstr(text, want) != NULL;
}

/* One report, all of it prefixed, whose header names @cache and says @what. */
static void assert_one_report(const char *text, const char *cache_name, const char *what)
{
	int n = count_substr(text, "kmbench: BUG ");

	assert_prefixed(text);
	if (n != 1)
		fail_msg("want exactly one report, got %d:\n%s", n, text);
	if (!has_header(text, cache_name, what))
		fail_msg("no header \"BUG %s (<taint>): %s\" in:\n%s", cache_name, what, text);
}

/* assert_one_report(), and the report says what printf(@fmt, ...) says (the object it is
 * about, mostly). */
__attribute__((format(printf, 4, 5)))
static void assert_one_report_naming(const char *text, const char *cache_name, const char *what,
				     const char *fmt, ...)
{
	char want[200];
	va_list ap;

	assert_one_report(text, cache_name, what);
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_contains(text, want);
}

/*
 * The report of one corrupt range: check_bytes_and_report's line, "[<what> overwritten]
 * 0x<first>-0x<last> @offset=<first's offset in the slab>. First byte 0x<got> instead of
 * 0x<want>", for the one byte at @offset of @obj (slabs of these caches are one page), then the
 * "Object corrupt" report of @obj ("Object 0x<obj> @offset=...").
 */
static void assert_bad_byte_report(const char *text, const char *cache_name, const char *what,
				   const void *obj, long offset, unsigned int got, unsigned int want)
{
	uintptr_t fault = (uintptr_t)obj + (uintptr_t)offset;

	assert_one_report_naming(text, cache_name, "Object corrupt",
				 "kmbench: [%s overwritten] 0x%lx-0x%lx @offset=%lu. First byte 0x%x "
				 "instead of 0x%x", what, (unsigned long)fault, (unsigned long)fault,
				 (unsigned long)(fault % PAGE_SIZE), got, want);
	assert_contains(text, "kmbench: Object 0x");
}

/* A "FIX <cache>: Restoring ..." line, one. */
static void assert_one_fix(const char *text, const char *cache_name)
{
	char want[120];
	int n;

	snprintf(want, sizeof(want), "kmbench: FIX %s: Restoring ", cache_name);
	n = count_substr(text, want);
	if (n != 1)
		fail_msg("want one \"%s\" line, got %d:\n%s", want, n, text);
}

static void assert_errors_grew(unsigned long before, unsigned long by)
{
	unsigned long now = slab_errors();

	if (now - before != by)
		fail_msg("kmb_slab_get_stats().errors grew by %lu, not %lu", now - before, by);
}

/* <objperslab> of @name in kmb_show_slabinfo(). */
static unsigned int objs_per_slab(const char *name)
{
	char *text = show(kmb_show_slabinfo), *save = NULL;
	unsigned int found = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long active, num;
		unsigned int objsize, per;
		char n[80];

		if (sscanf(line, "%79s %lu %lu %u %u", n, &active, &num, &objsize, &per) == 5 &&
		    !strcmp(n, name)) {
			found = per;
			break;
		}
	}
	free(text);
	if (!found)
		fail_msg("no slabinfo line for %s", name);
	return found;
}

/*
 * Allocate a slab's worth of objects plus one from @s: no address twice (a double free that got
 * through leaves an object twice on a freelist), none equal to @busy1 or @busy2 (objects still
 * allocated, whose refused free must not have put them on a freelist).  Then free them all.
 */
static void assert_freelist_sound(struct kmem_cache *s, const void *busy1, const void *busy2)
{
	unsigned int n = objs_per_slab(kmem_cache_name(s)) + 1;
	void **p = calloc(n, sizeof(*p));

	assert_non_null(p);
	for (unsigned int i = 0; i < n; i++) {
		p[i] = alloc_obj(s);
		if (p[i] == busy1 || p[i] == busy2)
			fail_msg("%s handed out %p, which is still allocated", kmem_cache_name(s),
				 p[i]);
		for (unsigned int j = 0; j < i; j++)
			if (p[j] == p[i])
				fail_msg("%s handed out %p twice (allocations %u and %u of %u)",
					 kmem_cache_name(s), p[i], j, i, n);
	}
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	free(p);
}

/* --- red zones --- */

/* One byte after the object, found when it is freed (F); the zone is restored, the cache goes
 * on. */
static void overflow_on_free(unsigned char bad)
{
	struct kmem_cache *s = cache("rz-right", OBJ, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	unsigned long e0 = slab_errors();
	unsigned char *p = alloc_obj(s);
	char *text;

	p[OBJ] = bad;
	text = free_captured(s, p);
	assert_bad_byte_report(text, "rz-right", "Right Redzone", p, OBJ, bad,
			       SLUB_RED_ACTIVE);
	assert_one_fix(text, "rz-right");
	assert_errors_grew(e0, 1);
	assert_valid(s);
	/* The cache keeps working, without a report. */
	p = alloc_obj(s);
	memset(p, 0x77, OBJ);
	assert_silent(free_captured(s, p));
	assert_freelist_sound(s, NULL, NULL);
	assert_errors_grew(e0, 1);
	assert_valid(s);
	check_mm();
}

static void test_right_redzone_on_free(void **state)
{
	(void)state;
	overflow_on_free(BAD);
}

/* The off-by-one of a string copy: the terminating NUL one byte past the end. */
static void test_right_redzone_nul_on_free(void **state)
{
	(void)state;
	overflow_on_free(0x00);
}

static void test_left_redzone_on_free(void **state)
{
	struct kmem_cache *s = cache("rz-left", OBJ, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	unsigned long e0 = slab_errors();
	unsigned char *p = alloc_obj(s);
	char *text;

	(void)state;
	p[-1] = BAD;
	text = free_captured(s, p);
	assert_bad_byte_report(text, "rz-left", "Left Redzone", p, -1, BAD,
			       SLUB_RED_ACTIVE);
	assert_one_fix(text, "rz-left");
	assert_lacks(text, "Right Redzone");
	assert_errors_grew(e0, 1);
	assert_valid(s);
	assert_freelist_sound(s, NULL, NULL);
	assert_errors_grew(e0, 1);
	check_mm();
}

/*
 * Z alone: the kernel checks nothing at free without F (free_debug_processing), so the overflow
 * goes unreported there, and the free rewrites the zone as inactive; kmem_cache_validate()
 * (validate_slab) finds it while the object is allocated.
 */
static void test_redzone_without_f_unchecked_on_free(void **state)
{
	struct kmem_cache *s = cache("rz-z", OBJ, SLAB_RED_ZONE);
	unsigned long e0 = slab_errors();
	unsigned char *p = alloc_obj(s);

	(void)state;
	assert_true(all_bytes(p + OBJ, 8, SLUB_RED_ACTIVE));
	p[OBJ] = BAD;
	assert_silent(free_captured(s, p));
	assert_errors_grew(e0, 0);
	assert_true(all_bytes(p + OBJ, 8, SLUB_RED_INACTIVE));
	assert_valid(s);
	p = alloc_obj(s);
	p[OBJ] = BAD;
	assert_bad_byte_report(validate_captured(s, 1), "rz-z", "Right Redzone", p, OBJ, BAD,
			       SLUB_RED_ACTIVE);
	assert_errors_grew(e0, 1);
	kmem_cache_free(s, p);
	assert_valid(s);
	check_mm();
}

/* The same overflows, found by kmem_cache_validate() while the objects are still allocated. */
static void test_redzones_found_by_validate(void **state)
{
	struct kmem_cache *s = cache("rz-validate", OBJ, SLAB_RED_ZONE);
	unsigned char *a = alloc_obj(s), *b = alloc_obj(s);
	unsigned long e0 = slab_errors();
	struct capture cap;
	char *text;

	(void)state;
	assert_valid(s);
	a[OBJ] = BAD;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "rz-validate", "Right Redzone", a, OBJ, BAD,
			       SLUB_RED_ACTIVE);
	assert_one_fix(text, "rz-validate");
	assert_errors_grew(e0, 1);

	b[-1] = BAD + 1;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "rz-validate", "Left Redzone", b, -1,
			       BAD + 1, SLUB_RED_ACTIVE);
	assert_errors_grew(e0, 2);

	/* Both zones were restored: validate and the frees find nothing more. */
	assert_valid(s);
	capture_begin(&cap);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	text = capture_end(&cap);
	assert_silent(text);
	assert_errors_grew(e0, 2);
	assert_valid(s);
	check_mm();
}

/* --- poison --- */

/* A free object reads 0x6b with 0xa5 last (include/linux/poison.h). */
static void test_poison_of_free_object(void **state)
{
	struct kmem_cache *s = cache("poison", OBJ, SLAB_POISON);
	unsigned char *p = alloc_obj(s), *q = alloc_obj(s);

	(void)state;
	/* init_object() poisons at alloc too: an allocated object reads 0x6b until written. */
	assert_true(all_bytes(p, OBJ - 1, POISON_FREE));
	assert_int_equal(p[OBJ - 1], POISON_END);
	memset(p, 0x33, OBJ);
	memset(q, 0x44, OBJ);
	kmem_cache_free(s, p);
	/* Still the allocator's memory, mapped: reading it is what the test is for. */
	if (!all_bytes(p, OBJ - 1, POISON_FREE))
		fail_msg("freed object %p is not poisoned with 0x6b: %02x %02x %02x ...", p,
			 p[0], p[1], p[2]);
	assert_int_equal(p[OBJ - 1], POISON_END);
	assert_true(all_bytes(q, OBJ, 0x44));	/* its neighbour is untouched */
	kmem_cache_free(s, q);
	assert_true(all_bytes(q, OBJ - 1, POISON_FREE));
	assert_int_equal(q[OBJ - 1], POISON_END);
	assert_valid(s);
	check_mm();
}

/*
 * A write after free, found when the same object is allocated again: with F
 * (alloc_consistency_checks), whose failure marks the slab full and allocates from another;
 * with P alone not at all, the object poisoned again as it is handed out.
 */
static void test_use_after_free_on_alloc(void **state)
{
	struct kmem_cache *s = cache("uaf", OBJ, SLAB_CONSISTENCY_CHECKS | SLAB_POISON);
	struct kmem_cache *p_only = cache("uaf-p", OBJ, SLAB_POISON);
	unsigned long e0;
	struct capture cap;
	unsigned char *p = alloc_obj(s), *q;
	char *text;

	(void)state;
	kmem_cache_free(s, p);
	e0 = slab_errors();
	p[16] = BAD;
	capture_begin(&cap);
	q = kmem_cache_alloc(s, GFP_KERNEL);
	text = capture_end(&cap);
	assert_bad_byte_report(text, "uaf", "Poison", p, 16, BAD, POISON_FREE);
	assert_one_fix(text, "uaf");
	assert_contains(text, "kmbench: FIX uaf: Marking all objects used");
	assert_errors_grew(e0, 1);
	/* The object came from a slab of its own, not the one marked full. */
	assert_non_null(q);
	assert_true((uintptr_t)q / PAGE_SIZE != (uintptr_t)p / PAGE_SIZE);
	assert_silent(free_captured(s, q));
	assert_errors_grew(e0, 1);

	p = alloc_obj(p_only);
	kmem_cache_free(p_only, p);
	p[16] = BAD;
	capture_begin(&cap);
	q = kmem_cache_alloc(p_only, GFP_KERNEL);
	text = capture_end(&cap);
	assert_silent(text);
	assert_ptr_equal(q, p);
	assert_true(all_bytes(q, OBJ - 1, POISON_FREE));
	kmem_cache_free(p_only, q);
	assert_valid(p_only);
	assert_errors_grew(e0, 1);
	check_mm();
}

/* Writes after free, found by kmem_cache_validate(): the poison and its last byte. */
static void test_use_after_free_found_by_validate(void **state)
{
	struct kmem_cache *s = cache("uaf-validate", OBJ, SLAB_POISON | SLAB_RED_ZONE);
	unsigned char *p = alloc_obj(s), *q = alloc_obj(s);
	unsigned long e0;
	char *text;

	(void)state;
	kmem_cache_free(s, p);
	kmem_cache_free(s, q);
	assert_valid(s);
	e0 = slab_errors();
	p[40] = BAD;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "uaf-validate", "Poison", p, 40, BAD,
			       POISON_FREE);
	assert_one_fix(text, "uaf-validate");
	assert_errors_grew(e0, 1);

	q[OBJ - 1] = POISON_FREE;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "uaf-validate", "End Poison", q, OBJ - 1,
			       POISON_FREE, POISON_END);
	assert_errors_grew(e0, 2);

	assert_valid(s);
	assert_freelist_sound(s, NULL, NULL);
	assert_errors_grew(e0, 2);
	check_mm();
}

/* --- frees that are refused --- */

/*
 * An object of a cache with @flags freed twice: one "double free" report that names it, the
 * second free refused, the freelist sound.  A debug cache (SLAB_CONSISTENCY_CHECKS) finds it
 * on its checked slow path, and passes kmem_cache_validate() at once; a plain cache's fast path
 * catches the free of the object its CPU slot has just taken back, and is validated (which
 * flushes the CPU slot) only after that slot's freelist has been checked.
 */
static void double_free(const char *name, slab_flags_t flags)
{
	struct kmem_cache *s = cache(name, OBJ, flags);
	unsigned char *keep = alloc_obj(s), *p = alloc_obj(s);
	unsigned long e0 = slab_errors();
	char *text;

	kmem_cache_free(s, p);
	text = free_captured(s, p);
	if (flags & SLAB_CONSISTENCY_CHECKS) {
		/* free_consistency_checks: on_freelist() finds it, object_err() says so */
		assert_one_report_naming(text, name, "Object already free", "Object 0x%lx @offset=",
					 (unsigned long)p);
		assert_contains_fmt(text, "kmbench: FIX %s: Object at 0x%lx not freed", name,
				    (unsigned long)p);
	} else {
		assert_one_report_naming(text, name, "double free", "double free of object %p",
					 (void *)p);
	}
	assert_errors_grew(e0, 1);
	if (flags & SLAB_CONSISTENCY_CHECKS)
		assert_valid(s);
	assert_freelist_sound(s, keep, NULL);
	kmem_cache_free(s, keep);
	assert_valid(s);
	assert_errors_grew(e0, 1);
	check_mm();
}

static void test_double_free_debug(void **state)
{
	(void)state;
	double_free("df-debug", SLAB_CONSISTENCY_CHECKS);
}

/* A plain cache: the fast path catches the free of the object it has just taken back. */
static void test_double_free_fast_path(void **state)
{
	(void)state;
	double_free("df-fast", 0);
}

static void test_wrong_cache(void **state)
{
	struct kmem_cache *a = cache("wc-a", OBJ, 0), *b = cache("wc-b", OBJ, 0);
	unsigned char *p = alloc_obj(a), *q = alloc_obj(b);
	unsigned long e0 = slab_errors();
	struct capture cap;
	char *text;

	(void)state;
	text = free_captured(b, p);
	assert_one_report_naming(text, "wc-b", "kmem_cache_free: wrong cache",
				 "object %p belongs to wc-a", (void *)p);
	assert_errors_grew(e0, 1);
	/* Refused: @p is still allocated in wc-a and never reached wc-b. */
	assert_freelist_sound(a, p, NULL);
	assert_freelist_sound(b, p, q);
	assert_valid(a);
	assert_valid(b);
	capture_begin(&cap);
	kmem_cache_free(a, p);
	kmem_cache_free(b, q);
	text = capture_end(&cap);
	assert_silent(text);
	assert_errors_grew(e0, 1);
	assert_int_equal(kmem_cache_destroy(a), 0);
	assert_int_equal(kmem_cache_destroy(b), 0);
	check_mm();
}

static void test_not_object_start(void **state)
{
	struct kmem_cache *s = cache("not-start", OBJ, SLAB_CONSISTENCY_CHECKS);
	unsigned char *p = alloc_obj(s);
	unsigned long e0 = slab_errors();
	char *text;

	(void)state;
	text = free_captured(s, p + 8);
	assert_one_report(text, "not-start", "Invalid object pointer 0x");
	assert_contains_fmt(text, "Invalid object pointer 0x%lx", (unsigned long)(p + 8));
	assert_contains_fmt(text, "kmbench: FIX not-start: Object at 0x%lx not freed",
			    (unsigned long)(p + 8));
	assert_errors_grew(e0, 1);
	assert_valid(s);
	assert_freelist_sound(s, p, p + 8);
	kmem_cache_free(s, p);
	assert_valid(s);
	assert_errors_grew(e0, 1);
	check_mm();
}

/* kfree and kmem_cache_free of memory no slab gave out: reported, refused, no crash. */
static void test_free_foreign_pointer(void **state)
{
	struct kmem_cache *s = cache("foreign", OBJ, 0);
	unsigned char stack_buf[64], *heap = malloc(64), *large;
	unsigned long e0 = slab_errors();
	struct kmb_mm_stats m0, m1;
	struct capture cap;
	char *text;

	(void)state;
	assert_non_null(heap);
	text = kfree_captured(stack_buf);
	assert_one_report_naming(text, "<unknown>", "kfree: ", "%p is not a kmalloc address",
				 (void *)stack_buf);
	assert_errors_grew(e0, 1);

	text = kfree_captured(heap);
	assert_one_report_naming(text, "<unknown>", "kfree: ", "%p is not a kmalloc address",
				 (void *)heap);
	assert_errors_grew(e0, 2);

	text = free_captured(s, heap);
	assert_one_report_naming(text, "foreign", "kmem_cache_free: ",
				 "pointer %p is not in a slab", (void *)heap);
	assert_errors_grew(e0, 3);
	free(heap);

	/* Inside a large kmalloc (straight from the page allocator): refused, nothing freed. */
	large = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	assert_non_null(large);
	kmb_mm_get_stats(&m0);
	text = kfree_captured(large + 8);
	kmb_mm_get_stats(&m1);
	assert_one_report_naming(text, "<unknown>", "kfree: ",
				 "%p is not the start of a kmalloc allocation", (void *)(large + 8));
	assert_errors_grew(e0, 4);
	assert_int_equal(m1.free_pages + m1.pcp_pages, m0.free_pages + m0.pcp_pages);
	assert_int_equal(m1.bad_page, m0.bad_page);

	/* NULL and ZERO_SIZE_PTR are fine. */
	capture_begin(&cap);
	kfree(NULL);
	kfree(ZERO_SIZE_PTR);
	kmem_cache_free(s, NULL);
	kfree(large);
	text = capture_end(&cap);
	assert_silent(text);
	assert_errors_grew(e0, 4);
	kmb_mm_get_stats(&m1);
	assert_int_equal(m1.free_pages + m1.pcp_pages, m0.free_pages + m0.pcp_pages + 4);
	assert_int_equal(m1.bad_page, m0.bad_page);
	assert_valid(NULL);
	check_mm();
}

/* --- SLAB_STORE_USER --- */

NAMED_CALLER void *slab_user_alloc(struct kmem_cache *s)
{
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	keep_frame();
	return p;
}

NAMED_CALLER void slab_user_free(struct kmem_cache *s, void *p)
{
	kmem_cache_free(s, p);
	keep_frame();
}

/* A use after free: the report says where the object was allocated and where it was freed. */
static void test_store_user_names_call_sites(void **state)
{
	struct kmem_cache *s = cache("user", OBJ, SLAB_CONSISTENCY_CHECKS | SLAB_STORE_USER |
				     SLAB_POISON);
	unsigned long e0;
	unsigned char *p;
	char *text;

	(void)state;
	p = slab_user_alloc(s);
	assert_non_null(p);
	slab_user_free(s, p);
	e0 = slab_errors();
	p[0] = BAD;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "user", "Poison", p, 0, BAD, POISON_FREE);
	assert_contains(text, "kmbench: Allocated in slab_user_alloc+0x");
	assert_contains(text, "kmbench: Freed in slab_user_free+0x");
	assert_errors_grew(e0, 1);

	/* A double free names them too (F: object_err's trailer). */
	text = free_captured(s, p);
	assert_one_report(text, "user", "Object already free");
	assert_contains(text, " age=");
	assert_contains(text, "kmbench: Allocated in slab_user_alloc+0x");
	assert_contains(text, "kmbench: Freed in slab_user_free+0x");
	assert_errors_grew(e0, 2);
	assert_valid(s);
	check_mm();
}

/* An object never freed has no free call site to report. */
static void test_store_user_unfreed_object(void **state)
{
	struct kmem_cache *s = cache("user-live", OBJ, SLAB_STORE_USER | SLAB_RED_ZONE);
	unsigned long e0 = slab_errors();
	unsigned char *p = slab_user_alloc(s);
	char *text;

	(void)state;
	assert_non_null(p);
	p[OBJ] = BAD;
	text = validate_captured(s, 1);
	assert_one_report(text, "user-live", "Object corrupt");
	assert_contains(text, "kmbench: [Right Redzone overwritten] 0x");
	assert_contains(text, "kmbench: Allocated in slab_user_alloc+0x");
	assert_lacks(text, "Freed in");
	assert_errors_grew(e0, 1);
	slab_user_free(s, p);
	assert_valid(s);
	check_mm();
}

/* --- slub_debug --- */

static void test_parse_debug(void **state)
{
	slab_flags_t f = ~0u;

	(void)state;
	assert_int_equal(kmb_slab_parse_debug("FZPU", &f), 0);
	assert_int_equal(f, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
			 SLAB_STORE_USER);
	assert_int_equal(f, SLAB_DEBUG_FLAGS);
	f = ~0u;
	assert_int_equal(kmb_slab_parse_debug("-", &f), 0);
	assert_int_equal(f, 0);
	assert_int_equal(kmb_slab_parse_debug("X", &f), -EINVAL);
	assert_int_equal(kmb_slab_parse_debug("FZX", &f), -EINVAL);
	assert_int_equal(kmb_slab_parse_debug("Z", &f), 0);
	assert_int_equal(f, SLAB_RED_ZONE);
	/* The kernel takes lower case too. */
	assert_int_equal(kmb_slab_parse_debug("pu", &f), 0);
	assert_int_equal(f, SLAB_POISON | SLAB_STORE_USER);
}

/*
 * Write one byte after a 60-byte object and free it: in a cache of 64-byte slots the byte is
 * padding without a red zone, the red zone with one.  Returns the reports' text; the object
 * in *@obj.
 */
static char *overflow_60(struct kmem_cache *s, unsigned char **obj)
{
	unsigned char *p = *obj = alloc_obj(s);

	p[60] = BAD;
	return free_captured(s, p);
}

static void test_set_debug(void **state)
{
	struct kmem_cache *before = cache("dbg-before", 60, 0), *after, *later, *masked;
	unsigned long e0 = slab_errors();
	unsigned char *p;
	char *text;

	(void)state;
	kmb_slab_set_debug(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	after = cache("dbg-after", 60, 0);
	text = overflow_60(before, &p);
	assert_silent(text);
	assert_errors_grew(e0, 0);
	text = overflow_60(after, &p);
	assert_bad_byte_report(text, "dbg-after", "Right Redzone", p, 60, BAD,
			       SLUB_RED_ACTIVE);
	assert_errors_grew(e0, 1);
	kmb_slab_set_debug(0);
	later = cache("dbg-later", 60, 0);
	text = overflow_60(later, &p);
	assert_silent(text);
	assert_errors_grew(e0, 1);

	/* Flags outside SLAB_DEBUG_FLAGS are not slub_debug's to give. */
	kmb_slab_set_debug(SLAB_CACHE_DMA | SLAB_POISON);
	masked = cache("dbg-masked", OBJ, 0);
	kmb_slab_set_debug(0);
	p = alloc_obj(masked);
	assert_int_equal(page_zonenum(virt_to_page(p)), ZONE_NORMAL);
	kmem_cache_free(masked, p);
	assert_int_equal(p[0], POISON_FREE);
	assert_valid(NULL);
	check_mm();
}

/* --- every line of every report --- */

static void test_reports_prefixed(void **state)
{
	struct kmem_cache *rz = cache("all-rz", OBJ, SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE |
				      SLAB_STORE_USER);
	struct kmem_cache *po = cache("all-poison", OBJ, SLAB_POISON | SLAB_STORE_USER);
	struct kmem_cache *f = cache("all-f", OBJ, SLAB_CONSISTENCY_CHECKS);
	struct kmem_cache *plain = cache("all-plain", OBJ, 0);
	unsigned char stack_buf[16], *a = alloc_obj(rz), *b = alloc_obj(po), *c = alloc_obj(f);
	unsigned char *d = alloc_obj(f), *e = alloc_obj(plain);
	unsigned long e0 = slab_errors();
	struct capture cap;
	int busy;
	char *text;

	(void)state;
	capture_begin(&cap);
	a[OBJ] = BAD;
	a[-2] = BAD;
	kmem_cache_free(rz, a);				/* two red zones, one report */
	kmem_cache_free(po, b);
	b[3] = BAD;
	kmem_cache_validate(po);			/* poison */
	kmem_cache_free(f, c);
	kmem_cache_free(f, c);				/* double free */
	kmem_cache_free(f, d + 1);			/* not an object */
	kmem_cache_free(f, e);				/* wrong cache */
	kfree(stack_buf);				/* not kmalloc's */
	busy = kmem_cache_destroy(plain);		/* objects remaining */
	kmem_cache_create("", OBJ, 0, 0, NULL);		/* a failure, not a report */
	text = capture_end(&cap);
	assert_int_equal(busy, -EBUSY);
	assert_prefixed(text);
	/* The second red zone of the same object is a line and a FIX, not a report of its own
	 * (check_object passes its first failure to check_bytes_and_report). */
	assert_int_equal(count_substr(text, "kmbench: BUG "), 7);
	assert_errors_grew(e0, 8);
	assert_contains(text, "[Left Redzone overwritten]");
	assert_contains(text, "[Right Redzone overwritten]");
	assert_contains(text, "[Poison overwritten]");
	assert_contains(text, "Object already free");
	assert_contains(text, "Invalid object pointer");
	assert_contains(text, "wrong cache");
	assert_contains(text, "is not a kmalloc address");
	assert_contains(text, "objects remaining");
	assert_contains(text, "Allocated in ");
	assert_contains(text, "FIX all-rz: ");
	assert_contains(text, "FIX all-poison: ");
	assert_contains(text, "kmbench: kmem_cache_create(): ");
	kmem_cache_free(plain, e);
	kmem_cache_free(f, d);
	assert_int_equal(kmem_cache_destroy(plain), 0);
	assert_valid(NULL);
	check_mm();
}

/* --- padding and free pointers (check_pad_bytes, slab_pad_check, check_object) --- */

/* s->size of @name: slabinfo's <objsize> (the stride, as the kernel's slabinfo prints it). */
static unsigned int stride_of(const char *name)
{
	struct slabinfo_row r = slabinfo_row(name);

	return r.objsize;
}

/* A new slab is POISON_INUSE (0x5a) with P only (setup_slab_debug): its leftover bytes after
 * the last object read 0x5a in a P cache, not in a Z or F one. */
static void test_inuse_fill_is_p_only(void **state)
{
	static const struct { const char *name; slab_flags_t flags; bool filled; } c[] = {
		{ "fill-p", SLAB_POISON | SLAB_RED_ZONE, true },
		{ "fill-z", SLAB_RED_ZONE, false },
		{ "fill-f", SLAB_CONSISTENCY_CHECKS, false },
		{ "fill-u", SLAB_STORE_USER, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kmem_cache *s = cache(c[i].name, 200, c[i].flags);
		unsigned char *p = alloc_obj(s);
		unsigned int per = objs_per_slab(c[i].name), size = stride_of(c[i].name);
		unsigned char *slab = (unsigned char *)((uintptr_t)p / PAGE_SIZE * PAGE_SIZE);
		size_t left = PAGE_SIZE - (size_t)per * size;

		if (!left || per * size > PAGE_SIZE)
			fail_msg("%s: want a one-page slab with leftover (%u objects of %u)",
				 c[i].name, per, size);
		if (all_bytes(slab + PAGE_SIZE - left, left, POISON_INUSE) != c[i].filled)
			fail_msg("%s: the slab's %zu leftover bytes are%s 0x5a", c[i].name, left,
				 c[i].filled ? " not" : "");
		kmem_cache_free(s, p);
	}
	check_mm();
}

/*
 * A cache with a constructor keeps SLAB_POISON (calculate_sizes drops only __OBJECT_POISON):
 * its objects keep their constructed bytes when freed, but the slab is 0x5a and the alignment
 * padding after a 60-byte object is checked, here at free (F).
 */
static void ctor_fill(void *p)
{
	memset(p, 0x11, 60);
}

static void test_ctor_cache_keeps_poison(void **state)
{
	struct kmem_cache *s = kmem_cache_create("ctor-p", 60, 0,
						 SLAB_CONSISTENCY_CHECKS | SLAB_POISON, ctor_fill);
	unsigned long e0 = slab_errors();
	unsigned char *p;
	char *text;

	(void)state;
	assert_non_null(s);
	p = alloc_obj(s);
	assert_true(all_bytes(p, 60, 0x11));
	assert_true(all_bytes(p + 60, 4, POISON_INUSE));
	assert_silent(free_captured(s, p));
	assert_true(all_bytes(p, 60, 0x11));		/* not 0x6b: still constructed */
	assert_valid(s);
	p = alloc_obj(s);
	p[61] = BAD;
	text = free_captured(s, p);
	assert_bad_byte_report(text, "ctor-p", "Alignment padding", p, 61, BAD, POISON_INUSE);
	assert_contains_fmt(text, "kmbench: FIX ctor-p: Object at 0x%lx not freed",
			    (unsigned long)p);
	assert_errors_grew(e0, 1);
	/* restored, the free goes through now */
	assert_silent(free_captured(s, p));
	assert_valid(s);
	check_mm();
}

/* The padding after an object's metadata (check_pad_bytes) and after a slab's last object
 * (slab_pad_check), both POISON_INUSE in a P cache, found by validate. */
static void test_padding_checks(void **state)
{
	struct kmem_cache *s = cache("pad", OBJ, SLAB_POISON);
	unsigned int size = stride_of("pad"), per = objs_per_slab("pad");
	unsigned char *p = alloc_obj(s), *slab = (unsigned char *)((uintptr_t)p / PAGE_SIZE *
								       PAGE_SIZE);
	size_t left = PAGE_SIZE - (size_t)per * size;
	unsigned long e0 = slab_errors();
	char *text;

	(void)state;
	/* 64 bytes, the free pointer after them, aligned to 16: 8 bytes of padding */
	if (size <= OBJ + sizeof(void *) || !left)
		fail_msg("pad: want padding in the object and the slab (size %u, %u a slab)",
			 size, per);
	p[size - 1] = BAD;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "pad", "Object padding", p, size - 1, BAD, POISON_INUSE);
	assert_errors_grew(e0, 1);

	slab[PAGE_SIZE - 1] = BAD;
	text = validate_captured(s, 1);
	assert_one_report(text, "pad", "Padding overwritten. 0x");
	assert_contains_fmt(text, "Padding overwritten. 0x%lx-0x%lx @offset=%lu",
			    (unsigned long)(slab + PAGE_SIZE - 1),
			    (unsigned long)(slab + PAGE_SIZE - 1), PAGE_SIZE - 1);
	assert_contains(text, "kmbench: FIX pad: Restoring slab padding 0x");
	assert_errors_grew(e0, 2);
	kmem_cache_free(s, p);
	assert_valid(s);
	check_mm();
}

/*
 * Free pointers (check_object, on_freelist): the one of an allocated object of a P cache (after
 * the object, so readable) must be NULL or an object of the slab: checked at free (F), which is
 * refused and the pointer cleared; a free object's, walked by validate, cuts the freelist
 * ("Freechain corrupt") and the count is put right.
 */
static void test_freepointer_checks(void **state)
{
	struct kmem_cache *s = cache("fp", OBJ, SLAB_CONSISTENCY_CHECKS | SLAB_POISON);
	unsigned char *a = alloc_obj(s), *b = alloc_obj(s), *c = alloc_obj(s);
	unsigned long e0 = slab_errors();
	void *junk = (void *)(uintptr_t)0x1234;
	char *text;

	(void)state;
	memcpy(a + OBJ, &junk, sizeof(junk));		/* s->offset is OBJ with P */
	text = free_captured(s, a);
	assert_one_report(text, "fp", "Freepointer corrupt");
	assert_contains_fmt(text, "kmbench: FIX fp: Object at 0x%lx not freed", (unsigned long)a);
	assert_errors_grew(e0, 1);
	assert_silent(free_captured(s, a));		/* cleared: freed now */

	kmem_cache_free(s, b);				/* freelist: b, a, ... */
	memcpy(b + OBJ, &junk, sizeof(junk));
	text = validate_captured(s, 2);
	assert_contains(text, "): Freechain corrupt");
	assert_contains(text, "): Wrong object count. Counter is ");
	assert_contains(text, "kmbench: FIX fp: Object count adjusted");
	assert_errors_grew(e0, 3);
	assert_valid(s);
	(void)c;
	check_mm();
}

/* --- the kernel's format strings, every line --- */

/*
 * Every line of a set of reports must be one of mm/slub.c's (Linux 6.18) format strings, as
 * POSIX regular expressions: slab_bug, print_track, print_slab_info, print_trailer,
 * print_section (print_hex_dump, DUMP_PREFIX_ADDRESS, 16 bytes, ASCII), check_bytes_and_report,
 * slab_fix (restore_bytes, free_debug_processing, alloc_debug_processing), and the report of a
 * corrupt red zone in the kernel's order.
 */
static const char *const kernel_formats[] = {
	/* check_bytes_and_report: "[%s overwritten] 0x%p-0x%p @offset=%tu. First byte 0x%x instead of 0x%x" */
	"^\\[(Left Redzone|Right Redzone|kmalloc Redzone|Poison|End Poison|Object padding|"
	"Alignment padding) overwritten\\] 0x[0-9a-f]+-0x[0-9a-f]+ @offset=[0-9]+\\. First byte "
	"0x[0-9a-f]{1,2} instead of 0x[0-9a-f]{1,2}$",
	"^={77}$",
	/* slab_bug: "BUG %s (%s): %pV" */
	"^BUG [^ ]+ \\((Not tainted|Tainted: [A-Z ]+)\\): [^ ].*$",
	"^-{77}$",
	"^$",
	/* print_track: "%s in %pS age=%lu cpu=%u pid=%d" */
	"^(Allocated|Freed) in [^ ].* age=[0-9]+ cpu=[0-9]+ pid=[0-9]+$",
	/* print_slab_info: "Slab 0x%p objects=%u used=%u fp=0x%p flags=%pGp" */
	"^Slab 0x[0-9a-f]+ objects=[0-9]+ used=[0-9]+ fp=0x[0-9a-f]+ flags=0x[0-9a-f]+\\([a-z|=0-9]+\\)$",
	/* print_trailer: "Object 0x%p @offset=%tu fp=0x%p" */
	"^Object 0x[0-9a-f]+ @offset=[0-9]+ fp=0x[0-9a-f]+$",
	/* print_section */
	"^(Redzone  |Bytes b4 |Object   |Padding  |Padding )[0-9a-f]{16}: [0-9a-f]{2}( [0-9a-f]{2})* +.{1,16}$",
	/* slab_fix */
	"^FIX [^ ]+: (Restoring [A-Za-z ]+ 0x[0-9a-f]+-0x[0-9a-f]+=0x[0-9a-f]+|Object at 0x[0-9a-f]+ "
	"not freed|Marking all objects used|Freelist cleared|Object count adjusted)$",
	/* object_err of an invalid pointer */
	"^Invalid pointer 0x[0-9a-f]+$",
};

static void assert_kernel_format(const char *text)
{
	regex_t re[sizeof(kernel_formats) / sizeof(kernel_formats[0])];
	size_t nre = sizeof(re) / sizeof(re[0]);
	char *copy = strdup(text), *save = NULL;

	assert_non_null(copy);
	for (size_t i = 0; i < nre; i++)
		if (regcomp(&re[i], kernel_formats[i], REG_EXTENDED | REG_NOSUB))
			fail_msg("bad pattern %zu: %s", i, kernel_formats[i]);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *body = line + strlen("kmbench: ");
		size_t i;

		if (strncmp(line, "kmbench:", 8))
			fail_msg("line without the prefix: \"%s\"", line);
		if (!strcmp(line, "kmbench:") || !strcmp(line, "kmbench: "))
			body = "";
		for (i = 0; i < nre; i++)
			if (!regexec(&re[i], body, 0, NULL, 0))
				break;
		if (i == nre)
			fail_msg("not one of mm/slub.c's formats: \"%s\"\nin:\n%s", body, text);
	}
	for (size_t i = 0; i < nre; i++)
		regfree(&re[i]);
	free(copy);
}

/* The lines of @text, from "kmbench: " on, must include @want in this order. */
static void assert_in_order(const char *text, const char *const *want, size_t n)
{
	const char *at = text;

	for (size_t i = 0; i < n; i++) {
		const char *hit = strstr(at, want[i]);

		if (!hit)
			fail_msg("\"%s\" missing or out of order (want #%zu) in:\n%s", want[i], i, text);
		at = hit + strlen(want[i]);
	}
}

static void test_report_format(void **state)
{
	struct kmem_cache *s = cache("fmt", OBJ, SLAB_DEBUG_FLAGS);
	unsigned char *p = slab_user_alloc(s), *q;
	static const char *const order[] = {
		"kmbench: [Right Redzone overwritten] 0x", "\nkmbench: =====",
		"\nkmbench: BUG fmt (", "): Object corrupt\nkmbench: -----",
		"\nkmbench: \nkmbench: Allocated in slab_user_alloc+0x", " age=",
		"\nkmbench: Slab 0x", "\nkmbench: Object 0x",
		"\nkmbench: \nkmbench: Redzone  ", "\nkmbench: Object   ", "\nkmbench: Redzone  ",
		"\nkmbench: FIX fmt: Restoring Right Redzone 0x",
		"\nkmbench: FIX fmt: Object at 0x",
	};
	char *text, *all;
	size_t len;

	(void)state;
	assert_non_null(p);
	p[OBJ + 1] = BAD;
	text = free_captured(s, p);
	assert_kernel_format(text);
	assert_in_order(text, order, sizeof(order) / sizeof(order[0]));
	assert_silent(free_captured(s, p));
	all = strdup(free_captured(s, p));		/* Object already free */
	assert_non_null(all);
	q = alloc_obj(s);
	kmem_cache_free(s, q);
	q[5] = BAD;					/* Poison, found at alloc */
	len = strlen(all);
	{
		struct capture cap;
		char *more;

		capture_begin(&cap);
		q = kmem_cache_alloc(s, GFP_KERNEL);
		kmem_cache_free(s, (char *)q + 1);	/* Invalid object pointer */
		kmem_cache_free(s, q);
		more = capture_end(&cap);
		assert_kernel_format(more);
		assert_contains(more, "[Poison overwritten]");
		assert_contains(more, "FIX fmt: Marking all objects used");
		assert_contains(more, "Invalid object pointer 0x");
	}
	assert_true(len > 0);
	assert_kernel_format(all);
	assert_contains(all, "): Object already free\n");
	assert_contains(all, "Freed in ");
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SLAB_TEST(test_right_redzone_on_free),
		SLAB_TEST(test_right_redzone_nul_on_free),
		SLAB_TEST(test_left_redzone_on_free),
		SLAB_TEST(test_redzones_found_by_validate),
		SLAB_TEST(test_poison_of_free_object),
		SLAB_TEST(test_use_after_free_on_alloc),
		SLAB_TEST(test_use_after_free_found_by_validate),
		SLAB_TEST(test_double_free_debug),
		SLAB_TEST(test_double_free_fast_path),
		SLAB_TEST(test_wrong_cache),
		SLAB_TEST(test_not_object_start),
		SLAB_TEST(test_free_foreign_pointer),
		SLAB_TEST(test_store_user_names_call_sites),
		SLAB_TEST(test_store_user_unfreed_object),
		SLAB_TEST(test_parse_debug),
		SLAB_TEST(test_set_debug),
		SLAB_TEST(test_reports_prefixed),
		SLAB_TEST(test_redzone_without_f_unchecked_on_free),
		SLAB_TEST(test_inuse_fill_is_p_only),
		SLAB_TEST(test_ctor_cache_keeps_poison),
		SLAB_TEST(test_padding_checks),
		SLAB_TEST(test_freepointer_checks),
		SLAB_TEST(test_report_format),
	};

	/* One CPU for the whole run, and the tools' annotations off: see the header. */
	if (pin_to_one_cpu(NULL))
		perror("sched_setaffinity");
	kmb_slab_set_tools(false);
	return cmocka_run_group_tests_name("slab_debug", tests, NULL, drop_kept_text);
}
