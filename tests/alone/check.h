/*
 * check.h - the checks of the programs that use the library as a user does (alone.c,
 * tests/levels/levels.c): CHECK(cond, fmt, ...) counts a passed check, or says which failed,
 * with the values, prints "N passed, 1 failed" and exits 1.  CHECK_PROGRAM names the file in
 * the message.
 */
#ifndef KMB_TESTS_CHECK_H
#define KMB_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned int passed;

static __attribute__((noreturn, format(printf, 2, 3))) void fail(int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: FAIL: ", CHECK_PROGRAM, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	printf("%u passed, 1 failed\n", passed);
	exit(1);
}

/* CHECK(cond, fmt, ...): one check; on failure the message (with the values) and exit 1. */
#define CHECK(cond, ...)	do { if (cond) passed++; else fail(__LINE__, __VA_ARGS__); } while (0)

#endif
