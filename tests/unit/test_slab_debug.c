/*
 * test_slab_debug.c - corruption and misuse of slab caches, made on purpose and found
 * (allocators/slab/slab_debug.c, the checks of allocators/slab/slub.c and of kfree in
 * slab_common.c).
 *
 * Counted as the kernel's lib/slub_kunit.c counts them: kmb_slab_get_stats().errors before and
 * after the misuse, one report per problem.  Each report is read back from stderr and checked
 * as a kernel developer would read it: every line starts with "kmbench: ", the header
 * "BUG <cache>: <what>" names the cache and the problem, the byte line names the object, the
 * offset of the first wrong byte, that byte and the one expected ("0x%02x", as the kernel
 * prints them), a "FIX" line says what was restored, and SLAB_STORE_USER reports name the
 * functions that allocated and freed the object.  After the report the cache must go on
 * working: a repaired red zone or poison passes kmem_cache_validate(), and a refused free (a
 * double free, the wrong cache, a pointer into an object) leaves the freelist as it was, so that
 * allocating a slab's worth of objects plus one never hands an address out twice nor hands out
 * one that is still allocated.
 *
 * The misuses: one byte written after a red-zoned object (0x12, and 0x00, the string
 * terminator of the classic off-by-one) and one before it, found on free and by
 * kmem_cache_validate(); the poison of a free object (0x6b, 0xa5 last) and a write after free,
 * found when the object is allocated again and by validate; double frees in a debug cache and on
 * the fast path of a plain one; a free into the wrong cache; a free of a pointer into an object;
 * kfree and kmem_cache_free of memory the allocator never gave (stack, heap, the inside of a
 * large kmalloc); SLAB_STORE_USER call sites; the slub_debug letters (kmb_slab_parse_debug)
 * and kmb_slab_set_debug(), which reaches caches created afterwards only.
 *
 * Every test boots a machine (one node of 64 MiB; page misuse reported, never stopped) and
 * kmem_cache_init(), and tears both down.  The process runs on one CPU (main() pins it): the
 * fast path's double-free check only sees frees on the CPU slot that owns the slab.  Writing
 * outside an object is harmless to AddressSanitizer: slabs live in the allocator's memfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* One report, all of it prefixed, whose header names @cache and says @what. */
static void assert_one_report(const char *text, const char *cache_name, const char *what)
{
	char want[200];
	int n = count_substr(text, "kmbench: BUG ");

	assert_prefixed(text);
	if (n != 1)
		fail_msg("want exactly one report, got %d:\n%s", n, text);
	snprintf(want, sizeof(want), "kmbench: BUG %s: %s", cache_name, what);
	assert_contains(text, want);
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

/* assert_one_report(), and the line that names the first wrong byte, at @offset of @obj (an
 * object of @size bytes), with the bytes written as the kernel does. */
static void assert_bad_byte_report(const char *text, const char *cache_name, const char *what,
				   const void *obj, long offset, unsigned int size,
				   unsigned int got, unsigned int want)
{
	assert_one_report_naming(text, cache_name, what, "kmbench: object %p: offset %ld of %u "
				 "bytes: first byte 0x%02x instead of 0x%02x", obj, offset, size,
				 got, want);
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

/* One byte after the object, found when it is freed; the zone is restored, the cache goes on. */
static void overflow_on_free(unsigned char bad)
{
	struct kmem_cache *s = cache("rz-right", OBJ, SLAB_RED_ZONE);
	unsigned long e0 = slab_errors();
	unsigned char *p = alloc_obj(s);
	char *text;

	p[OBJ] = bad;
	text = free_captured(s, p);
	assert_bad_byte_report(text, "rz-right", "Right Redzone overwritten", p, OBJ, OBJ, bad,
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
	struct kmem_cache *s = cache("rz-left", OBJ, SLAB_RED_ZONE);
	unsigned long e0 = slab_errors();
	unsigned char *p = alloc_obj(s);
	char *text;

	(void)state;
	p[-1] = BAD;
	text = free_captured(s, p);
	assert_bad_byte_report(text, "rz-left", "Left Redzone overwritten", p, -1, OBJ, BAD,
			       SLUB_RED_ACTIVE);
	assert_one_fix(text, "rz-left");
	assert_lacks(text, "Right Redzone");
	assert_errors_grew(e0, 1);
	assert_valid(s);
	assert_freelist_sound(s, NULL, NULL);
	assert_errors_grew(e0, 1);
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
	assert_bad_byte_report(text, "rz-validate", "Right Redzone overwritten", a, OBJ, OBJ, BAD,
			       SLUB_RED_ACTIVE);
	assert_one_fix(text, "rz-validate");
	assert_errors_grew(e0, 1);

	b[-1] = BAD + 1;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "rz-validate", "Left Redzone overwritten", b, -1, OBJ,
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

/* A write after free, found when the same object is allocated again. */
static void test_use_after_free_on_alloc(void **state)
{
	struct kmem_cache *s = cache("uaf", OBJ, SLAB_POISON);
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
	/* The only object freed in the only slab heads its freelist: the same one comes back. */
	assert_ptr_equal(q, p);
	assert_bad_byte_report(text, "uaf", "Poison overwritten", p, 16, OBJ, BAD, POISON_FREE);
	assert_one_fix(text, "uaf");
	assert_errors_grew(e0, 1);
	kmem_cache_free(s, q);
	assert_valid(s);
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
	assert_bad_byte_report(text, "uaf-validate", "Poison overwritten", p, 40, OBJ, BAD,
			       POISON_FREE);
	assert_one_fix(text, "uaf-validate");
	assert_errors_grew(e0, 1);

	q[OBJ - 1] = POISON_FREE;
	text = validate_captured(s, 1);
	assert_bad_byte_report(text, "uaf-validate", "Poison end overwritten", q, OBJ - 1, OBJ,
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
	assert_one_report_naming(text, name, "double free", "double free of object %p",
				 (void *)p);
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
	assert_one_report_naming(text, "not-start", "kmem_cache_free: ", "%p is not the start",
				 (void *)(p + 8));
	assert_contains(text, "is not the start of an object");
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
	assert_one_report_naming(text, "(no cache)", "kfree: ", "%p is not a kmalloc address",
				 (void *)stack_buf);
	assert_errors_grew(e0, 1);

	text = kfree_captured(heap);
	assert_one_report_naming(text, "(no cache)", "kfree: ", "%p is not a kmalloc address",
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
	assert_one_report_naming(text, "(no cache)", "kfree: ",
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
	struct kmem_cache *s = cache("user", OBJ, SLAB_STORE_USER | SLAB_POISON);
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
	assert_bad_byte_report(text, "user", "Poison overwritten", p, 0, OBJ, BAD, POISON_FREE);
	assert_contains(text, "kmbench: Allocated in slab_user_alloc+0x");
	assert_contains(text, "kmbench: Freed in slab_user_free+0x");
	assert_errors_grew(e0, 1);

	/* A double free names them too. */
	text = free_captured(s, p);
	assert_one_report(text, "user", "double free");
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
	assert_one_report(text, "user-live", "Right Redzone overwritten");
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
	kmb_slab_set_debug(SLAB_RED_ZONE);
	after = cache("dbg-after", 60, 0);
	text = overflow_60(before, &p);
	assert_silent(text);
	assert_errors_grew(e0, 0);
	text = overflow_60(after, &p);
	assert_bad_byte_report(text, "dbg-after", "Right Redzone overwritten", p, 60, 60, BAD,
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
	struct kmem_cache *rz = cache("all-rz", OBJ, SLAB_RED_ZONE | SLAB_STORE_USER);
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
	kmem_cache_free(rz, a);				/* two red zones */
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
	assert_int_equal(count_substr(text, "kmbench: BUG "), 8);
	assert_errors_grew(e0, 8);
	assert_contains(text, "Left Redzone overwritten");
	assert_contains(text, "Right Redzone overwritten");
	assert_contains(text, "Poison overwritten");
	assert_contains(text, "double free");
	assert_contains(text, "not the start of an object");
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
	};

	/* One CPU for the whole run: see the header. */
	if (pin_to_one_cpu(NULL))
		perror("sched_setaffinity");
	return cmocka_run_group_tests_name("slab_debug", tests, NULL, drop_kept_text);
}
