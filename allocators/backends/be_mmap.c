/*
 * be_mmap.c - reference backend: every allocation is its own anonymous mmap(2), every free its
 * munmap(2).  This is the cost the Linux kernel's real page allocator has from user space: two
 * system calls, and a page fault on first touch (the workloads touch each object).  It is the
 * yardstick for the buddy backend's order-0 target (docs/benchmarks.md).
 */
#include <sys/mman.h>

#include "kmbench/backend.h"

#define PAGE_SZ 4096UL

static int mmap_init(const struct kmb_backend_config *cfg, char *why, size_t whylen)
{
	(void)cfg;
	(void)why;
	(void)whylen;
	return 0;
}

static void mmap_fini(void)
{
}

static void *mmap_alloc(size_t size, gfp_t gfp, int node)
{
	void *p = mmap(NULL, (size + PAGE_SZ - 1) & ~(PAGE_SZ - 1), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)gfp;	/* fresh anonymous memory is always zeroed */
	(void)node;
	return p == MAP_FAILED ? NULL : p;
}

static void mmap_free(void *p, size_t size)
{
	if (p)
		munmap(p, (size + PAGE_SZ - 1) & ~(PAGE_SZ - 1));
}

static const char *mmap_free_name(void)
{
	return "munmap";
}

const struct kmb_backend_ops kmb_backend_mmap = {
	.name = "mmap",
	.description = "reference: one anonymous mmap per allocation, munmap per free (the OS's pages)",
	.caps = KMB_CAP_SIZED_FREE,
	.init = mmap_init,
	.fini = mmap_fini,
	.alloc = mmap_alloc,
	.free = mmap_free,
	.free_name = mmap_free_name,
};
