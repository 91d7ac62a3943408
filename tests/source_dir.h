/*
 * source_dir.h - where a C test finds the repository's files (fixtures): $KMB_SOURCE_DIR as
 * ctest sets it, else the KMB_SOURCE_DIR the test was built with, else ".".  Header-only, for
 * the tests under tests/unit and tests/numa.
 */
#ifndef KMB_TESTS_SOURCE_DIR_H
#define KMB_TESTS_SOURCE_DIR_H

#include <stdlib.h>

static inline const char *kmb_test_source_dir(void)
{
	const char *s = getenv("KMB_SOURCE_DIR");

	if (s && *s)
		return s;
#ifdef KMB_SOURCE_DIR
	return KMB_SOURCE_DIR;
#else
	return ".";
#endif
}

#endif
