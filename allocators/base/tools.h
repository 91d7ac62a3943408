/*
 * tools.h - telling AddressSanitizer and valgrind's memcheck which memory of the allocators a
 * user may touch (issue 20).  The slab layer hands out objects carved from pages that ASan and
 * memcheck see as one big mapping, all of it addressable: without these annotations a read of a
 * freed object, or past an object into the next one, is invisible to both tools.
 *
 * The model is the kernel's KASAN (mm/kasan/common.c: kasan_poison_slab poisons a new slab
 * whole, __kasan_slab_alloc / kasan_unpoison unpoison an object as it is handed out,
 * __kasan_slab_free poisons it again and check_slab_allocation reports a free of a poisoned
 * object as a double free) and memcheck's custom allocator requests (valgrind/valgrind.h:
 * VALGRIND_MALLOCLIKE_BLOCK, VALGRIND_FREELIKE_BLOCK; memcheck.h: VALGRIND_MAKE_MEM_*).
 *
 *   kmb_tool_poison(p, n)       nobody may touch [p, p+n): ASan poison, memcheck NOACCESS;
 *   kmb_tool_unpoison(p, n)     anyone may: ASan unpoison, memcheck DEFINED (memory given
 *                               back to the layer below, which does not annotate);
 *   kmb_tool_malloclike(p, n)   a block handed to a user: ASan unpoison, memcheck a new block
 *                               (its bytes undefined), reported by --leak-check when lost;
 *   kmb_tool_freelike(p, n)     the block back from its user: ASan poison, memcheck frees the
 *                               block; false when memcheck found no such block (a second
 *                               free: its "Invalid free()"), and the free must not go on;
 *   kmb_tool_resize(p, old, n)  the live block of @old bytes at @p is now @n bytes (a kmalloc
 *                               object at its requested size, krealloc within its class, ksize):
 *                               ASan poisons or unpoisons the difference, memcheck resizes the
 *                               block in place (bytes it gains undefined, bytes it loses
 *                               NOACCESS);
 *   kmb_tool_live(p, max)       how many bytes from @p, up to @max, a user may touch now (the
 *                               size of the block at @p; 0 when @p itself may not be touched);
 *   kmb_tool_grow(p, n)         the live block at @p becomes @n bytes, its whole size (ksize);
 *   kmb_tool_unmapped(p, n)     [p, p+n) is a PROT_NONE reservation again: ASan forgets its
 *                               poison (the fault is the detector now, and the range is handed
 *                               out again); memcheck follows the mappings itself;
 *   kmb_tool_defined(p, n)      memcheck: the bytes are initialised (a constructor's object);
 *   kmb_tool_quiet_begin/end()  memcheck reports nothing from this thread in between: the
 *                               allocator's own reads and writes of free objects (the free
 *                               pointer), which would otherwise be invalid accesses.  Per
 *                               thread, so it changes no shadow state another thread sees;
 *   kmb_tool_nocheck            a function attribute: ASan does not check its loads and stores
 *                               (the same accesses, for ASan: the kernel has long built
 *                               mm/slub.c with KASAN_SANITIZE_slub.o := n, mm/Makefile);
 *   kmb_tool_memset(p, c, n)    memset that no tool checks nor reports, for a kmb_tool_nocheck
 *                               function's writes of poisoned memory (ASan checks a call of
 *                               memset itself, in its interceptor, whoever calls it);
 *   kmb_tool_poisoned(p)        ASan: the byte at @p is poisoned (false elsewhere);
 *   kmb_tool_report_free(p)     ASan: report the free of poisoned @p (its report and stack) and
 *                               stop, as ASan stops at any error.
 *
 * ASan's part is on when the compiler instruments for it (the sanitize preset, the fuzzers).
 * Memcheck's part is on with KMB_VALGRIND=1 (CMake option KMB_VALGRIND: on in the Debug and
 * Sanitize builds, off in Release): each request is a short inline asm sequence (valgrind.h's
 * "special instruction preamble") that costs instructions even outside valgrind, so a Release
 * build must not have them on its fast paths (the instruction gate).  Off, every macro is
 * nothing and KMB_TOOLS is 0, which callers test to compile their annotations away.
 */
#ifndef KMB_ALLOC_TOOLS_H
#define KMB_ALLOC_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define KMB_TOOL_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMB_TOOL_ASAN	1
#endif
#endif
#ifndef KMB_TOOL_ASAN
#define KMB_TOOL_ASAN	0
#endif
#ifndef KMB_VALGRIND
#define KMB_VALGRIND	0
#endif
_Static_assert(KMB_VALGRIND == 0 || KMB_VALGRIND == 1, "KMB_VALGRIND is 0 or 1");
#define KMB_TOOLS	(KMB_TOOL_ASAN || KMB_VALGRIND)

#if KMB_TOOL_ASAN
#include <sanitizer/asan_interface.h>
#define kmb_tool_nocheck	__attribute__((no_sanitize_address))
#define kmb_asan_poison(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define kmb_asan_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define kmb_tool_poisoned(p)	(__asan_address_is_poisoned(p) != 0)
/* __asan_report_error reads the shadow of @p: a poisoned byte is a "use-after-poison". */
#define kmb_tool_report_free(p)							\
	__asan_report_error(__builtin_return_address(0), __builtin_frame_address(0),	\
			    __builtin_frame_address(0), (void *)(p), 0, 1)
#else
#define kmb_tool_nocheck
#define kmb_asan_poison(p, n)	((void)(p), (void)(n))
#define kmb_asan_unpoison(p, n)	((void)(p), (void)(n))
#define kmb_tool_poisoned(p)	((void)(p), false)
#define kmb_tool_report_free(p)	((void)(p))
#endif

#if KMB_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

static inline void kmb_tool_poison(const void *p, size_t n)
{
	kmb_asan_poison(p, n);
#if KMB_VALGRIND
	(void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
}

static inline void kmb_tool_unpoison(const void *p, size_t n)
{
	kmb_asan_unpoison(p, n);
#if KMB_VALGRIND
	(void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
}

static inline void kmb_tool_malloclike(const void *p, size_t n)
{
	kmb_asan_unpoison(p, n);
#if KMB_VALGRIND
	VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, 0);
#endif
}

/*
 * False when memcheck reported the free (its "Invalid free()": @p is no live block, a double
 * free), for the caller to refuse it: memcheck's count of errors went up.  Another thread's
 * error at the same moment would count too; the free is then refused wrongly, and reported.
 */
static inline bool kmb_tool_freelike(const void *p, size_t n)
{
#if KMB_VALGRIND
	unsigned int errors = VALGRIND_COUNT_ERRORS;

	VALGRIND_FREELIKE_BLOCK(p, 0);
	if (VALGRIND_COUNT_ERRORS != errors)
		return false;
#endif
	kmb_asan_poison(p, n);
	return true;
}

/* ASan only: memcheck follows mmap and munmap itself (a PROT_NONE mapping is NOACCESS). */
static inline void kmb_tool_unmapped(const void *p, size_t n)
{
	kmb_asan_unpoison(p, n);
}

static inline void kmb_tool_defined(const void *p, size_t n)
{
#if KMB_VALGRIND
	(void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
	(void)p, (void)n;
#endif
}

static inline void kmb_tool_quiet_begin(void)
{
#if KMB_VALGRIND
	VALGRIND_DISABLE_ERROR_REPORTING;
#endif
}

static inline void kmb_tool_quiet_end(void)
{
#if KMB_VALGRIND
	VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

/*
 * Bytes by bytes through a volatile pointer under ASan: a plain loop may become a call of memset
 * (which ASan's interceptor checks), and a nocheck function's own stores are not checked.
 * Elsewhere memset itself; in a build without the tools exactly memset.
 */
#if KMB_TOOL_ASAN
static inline kmb_tool_nocheck void kmb_tool_memset(void *p, int c, size_t n)
{
	volatile unsigned char *b = p;

	kmb_tool_quiet_begin();
	while (n--)
		*b++ = (unsigned char)c;
	kmb_tool_quiet_end();
}
#elif KMB_VALGRIND
static inline void kmb_tool_memset(void *p, int c, size_t n)
{
	kmb_tool_quiet_begin();
	memset(p, c, n);
	kmb_tool_quiet_end();
}
#else
#define kmb_tool_memset(p, c, n)	memset((p), (c), (n))
#endif

/*
 * kasan_krealloc and poison_kmalloc_redzone (mm/kasan/common.c) for ASan; memcheck's
 * VALGRIND_RESIZEINPLACE_BLOCK needs the block's exact size in @old, else it does nothing.
 */
static inline void kmb_tool_resize(const void *p, size_t old, size_t n)
{
	if (n < old)
		kmb_asan_poison((const char *)p + n, old - n);
	else
		kmb_asan_unpoison(p, n);
#if KMB_VALGRIND
	VALGRIND_RESIZEINPLACE_BLOCK(p, old, n, 0);
#endif
}

/*
 * ASan: the first poisoned byte of the range (__asan_region_is_poisoned); memcheck: the first
 * byte that is not addressable (VALGRIND_CHECK_MEM_IS_ADDRESSABLE, which would report it as an
 * error: not with reporting off).  Both give @max where no tool runs.
 */
static inline size_t kmb_tool_live(const void *p, size_t max)
{
	(void)p;
#if KMB_TOOL_ASAN
	const char *bad = __asan_region_is_poisoned((void *)p, max);

	if (bad)
		max = (size_t)(bad - (const char *)p);
#endif
#if KMB_VALGRIND
	uintptr_t first;

	kmb_tool_quiet_begin();
	first = VALGRIND_CHECK_MEM_IS_ADDRESSABLE(p, max);
	kmb_tool_quiet_end();
	if (first)
		max = first - (uintptr_t)p;
#endif
	return max;
}

/*
 * The live block at @p becomes @n bytes, its whole size: ksize (mm/slab_common.c, Linux 5.x to
 * 6.1: kasan_unpoison_range(objp, size), "ksize callers could use whole allocated area") and
 * malloc_usable_size.  A pointer the user may not touch (a freed object) is left as it is.
 */
static inline void kmb_tool_grow(const void *p, size_t n)
{
	size_t live = kmb_tool_live(p, n);

	if (live && live < n)
		kmb_tool_resize(p, live, n);
}

#endif
