/*
 * test_wl_lines.c - the false-sharing workloads' count of shared cache lines (workloads/
 * wl_lines.h, wl_lines_shared), against hand-placed objects: the counter that
 * tests/cli/false_share.sh reads from the workloads' runs is only as good as this count.
 *
 * The addresses are never dereferenced: offsets from a 64-byte-aligned base.
 */
#include <stdint.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "wl_lines.h"

#define BASE ((uintptr_t)1 << 20)	/* any multiple of WL_LINE */

/* The lines @n objects of @size bytes at BASE + off[i] (thread i's) share. */
static int shared(const uintptr_t *off, int n, size_t size)
{
	void *obj[8];

	for (int i = 0; i < n; i++)
		obj[i] = off[i] == UINTPTR_MAX ? NULL : (void *)(BASE + off[i]);
	return wl_lines_shared(obj, n, size);
}

static void test_neighbours(void **state)
{
	(void)state;
	/* Two 16-byte neighbours in one line; on either side of a line boundary. */
	assert_int_equal(shared((uintptr_t[]){ 0, 16 }, 2, 16), 1);
	assert_int_equal(shared((uintptr_t[]){ 48, 64 }, 2, 16), 0);
	/* Four threads in one line: one line.  Two pairs in two lines: two. */
	assert_int_equal(shared((uintptr_t[]){ 0, 16, 32, 48 }, 4, 16), 1);
	assert_int_equal(shared((uintptr_t[]){ 0, 16, 64, 80 }, 4, 16), 2);
	/* 48-byte objects packed: the second straddles lines 0 and 1, the third shares line 1. */
	assert_int_equal(shared((uintptr_t[]){ 0, 48, 96 }, 3, 48), 2);
}

static void test_aligned(void **state)
{
	(void)state;
	/* Line-aligned objects never share, whatever their size. */
	assert_int_equal(shared((uintptr_t[]){ 0, 64 }, 2, 16), 0);
	assert_int_equal(shared((uintptr_t[]){ 0, 64, 128 }, 3, 64), 0);
	assert_int_equal(shared((uintptr_t[]){ 0, 128 }, 2, 96), 0);
	/* 96 bytes from 0 end in line 1, where the next object at 96 begins. */
	assert_int_equal(shared((uintptr_t[]){ 0, 96 }, 2, 96), 1);
}

static void test_one_thread_and_null(void **state)
{
	(void)state;
	/* One thread's objects share nothing with each other; NULL (a failed thread) is none. */
	assert_int_equal(shared((uintptr_t[]){ 0 }, 1, 16), 0);
	assert_int_equal(shared((uintptr_t[]){ 0, UINTPTR_MAX, 16 }, 3, 16), 1);
	assert_int_equal(shared((uintptr_t[]){ UINTPTR_MAX, UINTPTR_MAX }, 2, 16), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_one_thread_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
