/*
 * be_baseline.c - see be_baseline.h.  No state; safe from any thread.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_baseline.h"

void *kmb_baseline_sym(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

const char *kmb_baseline_malloc_provider(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "malloc");

	if (!sym || !dladdr(sym, &info) || !info.dli_fname)
		return "?";
	return info.dli_fname;
}

int kmb_baseline_verify(const char *expect, char *why, size_t whylen)
{
	const char *who = kmb_baseline_malloc_provider();

	if (strstr(who, expect))
		return 0;
	snprintf(why, whylen, "malloc in this process comes from %s, not %s (preload not in effect)",
		 who, expect);
	return -ENOTSUP;
}

void *kmb_baseline_alloc(size_t size, gfp_t gfp, int node)
{
	(void)node;
	if (gfp & __GFP_ZERO)
		return calloc(1, size);
	return malloc(size);
}

void kmb_baseline_free(void *p, size_t size)
{
	(void)size;
	free(p);
}
