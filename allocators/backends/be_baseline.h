/*
 * be_baseline.h - what the malloc baselines (glibc, jemalloc, tcmalloc, mimalloc) share.
 *
 * A baseline measures a shipped malloc as a program would use it: the process's own malloc and
 * free, which for jemalloc, tcmalloc and mimalloc means the library was preloaded
 * (KMB_CAP_PRELOAD).  Before measuring, a baseline proves which shared object really provides
 * malloc (an LD_PRELOAD that the dynamic linker could not honour is only a warning on stderr),
 * and it finds the library's sized free if it has one.
 */
#ifndef KMB_BASELINE_H
#define KMB_BASELINE_H

#include <stddef.h>

/*
 * kmb_baseline_verify - check that malloc() in this process comes from a shared object whose
 * file name contains @expect (e.g. "libjemalloc").  0, or -ENOTSUP with a reason in why.
 */
int kmb_baseline_verify(const char *expect, char *why, size_t whylen);

/* kmb_baseline_sym - the process-wide definition of @name (dlsym(RTLD_DEFAULT)), or NULL. */
void *kmb_baseline_sym(const char *name);

/* kmb_baseline_malloc_provider - file name of the object that provides malloc, or "?". */
const char *kmb_baseline_malloc_provider(void);



#include "kmbench/gfp.h"

/* kmb_baseline_alloc - malloc, or calloc for __GFP_ZERO; the node is ignored (baselines have no
 * node interface).  Shared by every baseline's alloc(). */
void *kmb_baseline_alloc(size_t size, gfp_t gfp, int node);
/* kmb_baseline_free - plain free(); for baselines without a sized free. */
void kmb_baseline_free(void *p, size_t size);
#endif
