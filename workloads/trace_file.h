/*
 * trace_file.h - the kmbench trace format: the kernel's own allocations, recorded by `kmbench
 * record` (harness/record.c) from the kmem tracepoints and replayed by the trace workload
 * (workloads/trace.c).  docs/workloads.md describes the format for users; this header is the
 * reference for the code.
 *
 * A trace is text, one record a line, so that two traces diff and a bad one can be named by its
 * line.  Version 1:
 *
 *   kmbench-trace 1                         the magic and the version, the first line
 *   # ...                                   comments, anywhere before `end`
 *   kernel RELEASE                          header keys, before the first event, in any order:
 *   source TEXT                               free text (how it was recorded; kernel: uname -r)
 *   cpus N                                  CPUs the events name: 0..N-1
 *   events N                                event lines that follow the header
 *   objects N                               object ids the events use: 0..N-1, each used
 *   gfp ID FLAGS                            GFP flags as the kernel printed them (GFP_KERNEL|
 *                                           __GFP_ZERO, "none"); IDs 0, 1, 2, ... in order
 *   cache ID NAME OBJECT_SIZE SIZE          a kmem_cache: its name and its object_size and size
 *                                           (the tracepoint's bytes_req and bytes_alloc); 0 0:
 *                                           not known; IDs 0, 1, 2, ... in order
 *   T CPU OP OBJ ARGS...                    an event: time in ns from the first event
 *                                           (non-decreasing), the CPU, the operation:
 *     kmalloc OBJ BYTES_REQ BYTES_ALLOC GFP        kmem:kmalloc
 *     cache_alloc OBJ CACHE GFP                    kmem:kmem_cache_alloc
 *     page_alloc OBJ ORDER GFP                     kmem:mm_page_alloc
 *     kfree OBJ | cache_free OBJ CACHE | page_free OBJ ORDER     the frees
 *     kfree_pre, cache_free_pre, page_free_pre     (same arguments) a free of an object that
 *                                                  was allocated before the recording began
 *   end                                     the last line: a file without it is truncated
 *
 * Every object id is allocated at most once and freed at most once, its free after its
 * allocation; an id freed with a _pre operation is never allocated.  An object allocated and
 * never freed was still live when the recording ended.  A page object is freed with the order it
 * was allocated with, by page_free.  A slab object (kmalloc or cache_alloc) may be freed by kfree
 * or cache_free, as the kernel allows.
 *
 * Replay (trace.c): every object of the trace is closed within one replay.  A _pre free whose
 * size is known (cache_free_pre of a cache whose object_size is known, page_free_pre) frees an
 * object that the replay allocates at its start on the same CPU; a kfree_pre (kfree carries no
 * size) and a cache_free_pre of a cache of unknown size are left out and counted; an object live
 * at the end is freed at the end of the replay by the CPU that allocated it.
 */
#ifndef KMB_TRACE_FILE_H
#define KMB_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "kmbench/gfp.h"

#define KMB_TRACE_MAGIC		"kmbench-trace"
#define KMB_TRACE_VERSION	1
#define KMB_TRACE_MAX_CPUS	4096
#define KMB_TRACE_MAX_ORDER	10	/* MAX_PAGE_ORDER on x86-64 (include/linux/mmzone.h) */
#define KMB_TRACE_NAME_MAX	64	/* a cache's name, with its NUL */

/* The operations, in the order of their names (kmb_trace_op_names). */
enum kmb_trace_op {
	KMB_TR_KMALLOC,
	KMB_TR_CACHE_ALLOC,
	KMB_TR_PAGE_ALLOC,
	KMB_TR_KFREE,
	KMB_TR_CACHE_FREE,
	KMB_TR_PAGE_FREE,
	KMB_TR_KFREE_PRE,
	KMB_TR_CACHE_FREE_PRE,
	KMB_TR_PAGE_FREE_PRE,
	KMB_TR_NR_OPS
};
extern const char *const kmb_trace_op_names[KMB_TR_NR_OPS];

static inline int kmb_trace_op_is_alloc(enum kmb_trace_op op)
{
	return op <= KMB_TR_PAGE_ALLOC;
}

static inline int kmb_trace_op_is_pre(enum kmb_trace_op op)
{
	return op >= KMB_TR_KFREE_PRE;
}

/* One event line. */
struct kmb_trace_event {
	uint64_t t_ns;
	uint32_t obj;
	uint16_t cpu;
	uint8_t op;		/* enum kmb_trace_op */
	uint8_t order;		/* page events */
	uint32_t bytes_req;	/* kmalloc */
	uint32_t bytes_alloc;	/* kmalloc */
	uint32_t cache;		/* cache events: the cache's ID */
	uint32_t gfp;		/* allocations: the gfp line's ID */
};

struct kmb_trace_cache {
	char name[KMB_TRACE_NAME_MAX];
	uint32_t object_size, size;	/* 0: not known */
};

struct kmb_trace_gfp {
	char *text;	/* as the kernel printed it */
	gfp_t gfp;	/* kmbench's flags for the names it knows (kmb_trace_gfp_parse) */
};

/* One object: its allocation and its free, as indexes into events; -1 where the trace has
 * none (allocated before the recording, or still live at its end). */
struct kmb_trace_object {
	int64_t alloc, free;
};

struct kmb_trace {
	char *path;
	char *kernel, *source;		/* the header's texts; "" when absent */
	uint32_t cpus, nobjects;
	size_t nevents, ngfp, ncaches;
	struct kmb_trace_event *ev;
	struct kmb_trace_gfp *gfps;
	struct kmb_trace_cache *caches;
	struct kmb_trace_object *objs;
	/* Counted by the parser. */
	size_t pre_frees;		/* _pre frees */
	size_t live_at_end;		/* objects allocated and never freed */
};

/*
 * kmb_trace_load - read and check the trace at @path.  0 and *out (free with kmb_trace_free), or
 * -errno with one line in err: "PATH:LINE: what is wrong" (-EINVAL for a bad trace).
 */
int kmb_trace_load(const char *path, struct kmb_trace **out, char *err, size_t errlen);
void kmb_trace_free(struct kmb_trace *t);

/*
 * kmb_trace_gfp_parse - flags as the kernel's tracepoints print them ("GFP_KERNEL|__GFP_ZERO",
 * "none", "0x400000" for bits without a name) into kmbench's gfp_t: the names kmbench has
 * (include/kmbench/gfp.h, KMB_GFP_NAMES) are mapped, other well-formed names and numbers
 * are left out.  0, or -EINVAL when @text is not flags at all.
 */
int kmb_trace_gfp_parse(const char *text, gfp_t *out);

#endif
