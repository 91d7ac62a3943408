/*
 * fuzz.h - what the op-sequence fuzzers share (tests/fuzz/README.md).
 *
 * A fuzzer's input is a sequence of operations on one layer of the allocator library, read a
 * byte at a time (struct fz: past the end every read is 0, so every input is a valid program).
 * Each operation is checked as it returns against a simple reference model, the live set: what
 * the caller holds, its size, alignment and the bytes it wrote.  At the end of each input
 * everything is freed and the layer must be back where it started: every frame back in the
 * buddy allocator (after draining the per-CPU lists), every invariant kmb_mm_check() knows.
 *
 * The library is booted once per process (fz_boot), small (64 MiB) so that sequences reach
 * exhaustion, with misuse reports fatal: a misuse report is a finding; it is torn down at
 * exit.  A failed check prints
 * what failed and aborts, which libFuzzer and the replay driver (driver.c) both report.
 */
#ifndef KMB_TESTS_FUZZ_FUZZ_H
#define KMB_TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmbench/mm.h"

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline unsigned fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline unsigned fz_u16(struct fz *f)
{
	return fz_u8(f) | fz_u8(f) << 8;
}

#define FZ_FAIL(...)							\
	do {								\
		fprintf(stderr, "fuzz check failed: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		abort();						\
	} while (0)

#define FZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			FZ_FAIL(__VA_ARGS__);				\
	} while (0)

/* Each layer's misuse and corruption reports when the library came up (kmb_misuse_count). */
static unsigned long fz_reports0[KMB_NR_LAYERS];

/* Boot the library once: 64 MiB on one node, a short reclaim wait, misuse fatal. */
static inline void fz_boot(void)
{
	static bool booted;
	struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = 64UL << 20,
				     .reclaim_wait_ms = 1, .debug = 1 };
	char why[256];

	if (booted)
		return;
	if (kmb_mm_init(&cfg, why, sizeof(why)))
		FZ_FAIL("kmb_mm_init: %s", why);
	/* Down again at exit, before LeakSanitizer looks: the allocators keep host-heap blocks
	 * (sheaves, arrays) that only the model's memory points at, which it does not scan. */
	atexit(kmb_mm_teardown);
	for (int l = 0; l < KMB_NR_LAYERS; l++)
		fz_reports0[l] = kmb_misuse_count(l);
	booted = true;
}

/* No layer has reported misuse or corruption since the library came up (most reports stop
 * the process themselves; the slab layer's red zone and poison findings, for one, are
 * counted). */
static inline void fz_check_reports(void)
{
	for (int l = 0; l < KMB_NR_LAYERS; l++)
		FZ_CHECK(kmb_misuse_count(l) == fz_reports0[l], "layer %d reported %lu problems", l,
			 kmb_misuse_count(l) - fz_reports0[l]);
}

/* Every invariant of the page allocator holds. */
static inline void fz_check_mm(void)
{
	char why[512];

	if (kmb_mm_check(why, sizeof(why)))
		FZ_FAIL("kmb_mm_check: %s", why);
}

/* Frames in the buddy lists once the per-CPU lists are drained. */
static inline unsigned long fz_free_pages(void)
{
	struct kmb_mm_stats st;

	drain_all_pages(NULL);
	kmb_mm_get_stats(&st);
	return st.free_pages;
}

/* The byte an object's @i-th byte holds: a function of its tag, so a block that moved or was
 * overwritten by another's data shows. */
static inline uint8_t fz_byte(unsigned tag, size_t i)
{
	return (uint8_t)(tag * 131 + i * 7 + 1);
}

/* The bytes of an object the pattern covers: its first and last 16, and one every 4 KiB
 * between them, so that large blocks cost little.  fz_next gives the one after @i. */
static inline size_t fz_next(size_t i, size_t len)
{
	size_t n;

	if (i + 1 < 16 || i + 1 + 16 >= len)
		return i + 1;
	n = (i + 4096) & ~(size_t)4095;
	return n < len - 16 ? n : len - 16;
}

static inline void fz_fill(uint8_t *p, size_t len, unsigned tag)
{
	for (size_t i = 0; i < len; i = fz_next(i, len))
		p[i] = fz_byte(tag, i);
}

/* Whether the pattern of @tag written over @len bytes is still there in the first @limit of
 * them (a reallocation keeps a prefix); the first byte that is not in *at. */
static inline bool fz_intact_upto(const uint8_t *p, size_t len, size_t limit, unsigned tag,
				  size_t *at)
{
	for (size_t i = 0; i < len && i < limit; i = fz_next(i, len))
		if (p[i] != fz_byte(tag, i)) {
			*at = i;
			return false;
		}
	return true;
}

static inline bool fz_intact(const uint8_t *p, size_t len, unsigned tag, size_t *at)
{
	return fz_intact_upto(p, len, len, tag, at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
