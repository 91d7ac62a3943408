/*
 * slab_debug.c - the slab layer's debugging: poison, red zones, call-site tracks, consistency
 * checks and their reports, in the manner of mm/slub.c (Linux 6.18: check_object(),
 * check_bytes_and_report(), check_pad_bytes(), slab_pad_check(), on_freelist(),
 * alloc_debug_processing(), free_debug_processing(), validate_slab()).  Byte values from
 * include/linux/poison.h.
 *
 * What each slub_debug letter does, as in the kernel:
 *   Z  red zones written (left and right of the object: 0xbb free, 0xcc allocated).
 *   P  a new slab filled with POISON_INUSE (0x5a: padding keeps it); the object itself filled
 *      with POISON_FREE (0x6b, 0xa5 last) at every alloc and free (__OBJECT_POISON), except in
 *      a cache with a constructor, whose objects must keep their constructed state.
 *   U  the last alloc and free call sites kept (struct track).
 *   F  the checks: at alloc (the object on the freelist: red zones, poison, padding, its free
 *      pointer), at free (an object start of this slab, not already free, red zones and
 *      padding intact), and on every object of a slab given back.  Without F nothing is checked
 *      at alloc or free: Z, P and U only write, and kmem_cache_validate() (the kernel's
 *      /sys/kernel/slab/<cache>/validate, slabinfo -v) finds what was overwritten.
 *
 * A problem is reported, counted, repaired where it can be ("FIX ...": the bytes restored) and
 * the run goes on; a free that fails its checks is refused ("Object at 0x... not freed"), an
 * alloc whose slab fails them marks the slab full and takes another.  Every report ends in
 * base's kmb_misuse_end(), the policy of every layer: by default the slab layer goes on;
 * kmb_mm_config.debug = 1 stops.  Tests count the reports, one per problem found.  The text is
 * the kernel's (slab_bug(), print_trailer(), print_track(), slab_fix()), each line prefixed by
 * kmb_report(); a corrupt red zone of an allocated object freed reads:
 *
 *   kmbench: [Right Redzone overwritten] 0x7f...4c0-0x7f...4c0 @offset=1216. First byte 0x0 instead of 0xcc
 *   kmbench: =============================================================================
 *   kmbench: BUG test-cache (Not tainted): Object corrupt
 *   kmbench: -----------------------------------------------------------------------------
 *   kmbench:
 *   kmbench: Allocated in test_oob+0x2c (./test_slab) [0x55...] age=3 cpu=0 pid=123
 *   kmbench: Slab 0x7f... objects=51 used=1 fp=0x7f... flags=0x...(slab|node=0|zone=1)
 *   kmbench: Object 0x7f...480 @offset=1152 fp=0x7f...
 *   kmbench:
 *   kmbench: Redzone  00007f...478: cc cc cc cc cc cc cc cc                          ........
 *   kmbench: Object   00007f...480: 00 00 ...
 *   kmbench: Redzone  00007f...4c0: 00 cc cc cc cc cc cc cc                          ........
 *   kmbench: FIX test-cache: Restoring Right Redzone 0x7f...4c0-0x7f...4c0=0xcc
 *
 * Pointers print as the kernel's "0x%p" with %p's bare hex (not hashed); age= is in
 * milliseconds (jiffies at HZ=1000); the taint is B (TAINT_BAD_PAGE) from the first report on.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "slab.h"

static atomic_bool slab_tainted;	/* add_taint(TAINT_BAD_PAGE) after the first report */

/* Free objects' contents are poisoned: P without a constructor (calculate_sizes()'s
 * __OBJECT_POISON; SLAB_TYPESAFE_BY_RCU, which also forbids it, kmbench has not). */
static inline bool object_poison(const struct kmem_cache *s)
{
	return (s->flags & SLAB_POISON) && !s->ctor;
}

/* freeptr_outside_object(): the free pointer after the object (P or a constructor). */
static inline bool freeptr_outside(const struct kmem_cache *s)
{
	return s->offset >= s->inuse;
}

/* size_from_object(): the stride, less the left red zone that precedes the object. */
static inline unsigned int size_from_object(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RED_ZONE) ? s->size - s->red_left_pad : s->size;
}

/* The track area's place (mm/slub.c get_info_end): after the free pointer when it is outside
 * the object (freeptr_outside_object: offset >= inuse), else after the right red zone. */
static unsigned int track_offset(const struct kmem_cache *s)
{
	return s->offset >= s->inuse ? s->inuse + (unsigned int)sizeof(void *) : s->inuse;
}

static struct track *track_of(const struct kmem_cache *s, void *obj, enum track_item t)
{
	return (struct track *)((char *)obj + track_offset(s)) + t;
}

/* init_tracking: no call site yet (a new slab's bytes are POISON_INUSE until now). */
void slab_debug_init_tracking(struct kmem_cache *s, void *obj)
{
	if (s->flags & SLAB_STORE_USER)
		memset(track_of(s, obj, TRACK_ALLOC), 0, 2 * sizeof(struct track));
}

/*
 * The tracks, orig_size, red zones, poison and padding are the allocator's metadata, which a
 * SLAB_TOOLS cache keeps poisoned (slab.h): every function here that reads or writes them
 * directly is kmb_tool_nocheck and quiet for memcheck, and writes ranges with kmb_tool_memset,
 * as mm/slub.c brackets the same accesses with metadata_access_enable() and
 * metadata_access_disable(), which call kasan_disable_current() and kasan_enable_current().
 * In a build without the tools all of it is nothing: the code is as before.
 */
kmb_tool_nocheck void slab_debug_set_track(struct kmem_cache *s, void *obj, enum track_item t,
					   const void *caller)
{
	struct track *tr;

	if (!(s->flags & SLAB_STORE_USER))
		return;
	tr = track_of(s, obj, t);
	kmb_tool_quiet_begin();
	tr->addr = (uintptr_t)caller;
	tr->cpu = kmb_current_cpu();
	tr->pid = kmb_gettid();
	tr->when_ms = kmb_now_ms();
	kmb_tool_quiet_end();
}

static unsigned int *orig_size_of(struct kmem_cache *s, void *obj)
{
	return (unsigned int *)(track_of(s, obj, TRACK_FREE) + 1);
}

kmb_tool_nocheck void slab_debug_set_orig_size(struct kmem_cache *s, void *obj,
					       unsigned int orig_size)
{
	if (slub_debug_orig_size(s)) {
		kmb_tool_quiet_begin();
		*orig_size_of(s, obj) = orig_size;
		kmb_tool_quiet_end();
	}
}

kmb_tool_nocheck unsigned int slab_debug_get_orig_size(struct kmem_cache *s, void *obj)
{
	unsigned int size;

	kmb_tool_quiet_begin();
	size = slub_debug_orig_size(s) ? *orig_size_of(s, obj) : s->object_size;
	kmb_tool_quiet_end();
	return size;
}

/* check_pad_bytes()'s start (mm/slub.c check_pad_bytes): the end of the metadata: the free
 * pointer, the tracks, and a kmalloc cache's orig_size word. */
static unsigned int meta_end(const struct kmem_cache *s)
{
	unsigned int off = track_offset(s);

	if (s->flags & SLAB_STORE_USER)
		off += 2 * sizeof(struct track);
	if (slub_debug_orig_size(s))
		off += sizeof(unsigned int);
	return off;
}

/* --- the report's parts (mm/slub.c slab_bug, slab_fix, print_track, print_trailer) --- */

/* print_tainted(), of the one taint a slab report sets: "Tainted: G    B" (its first six
 * columns: G for no proprietary module, B for TAINT_BAD_PAGE). */
static const char *taint_text(void)
{
	return atomic_load_explicit(&slab_tainted, memory_order_relaxed) ? "Tainted: G    B" :
									     "Not tainted";
}

static void add_taint(void)
{
	atomic_store_explicit(&slab_tainted, true, memory_order_relaxed);
}

/* slab_bug: the header of every report. */
static void slab_bug_msg(struct kmem_cache *s, const char *msg)
{
	kmb_report("=============================================================================");
	kmb_report("BUG %s (%s): %s", s ? s->name : "<unknown>", taint_text(), msg);
	kmb_report("-----------------------------------------------------------------------------");
	kmb_report("%s", "");
}

__attribute__((format(printf, 2, 3)))
static void slab_fix(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmb_report("FIX %s: %s", s->name, msg);
}

/* One problem reported: counted, tainted, and the misuse policy's say. */
static void report_end(struct kmem_cache *s)
{
	add_taint();
	if (s)
		atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
	kmb_misuse_end(KMB_LAYER_SLAB, NULL);
}

/* A report's reads of metadata, quiet as a whole (set_track's comment). */
static kmb_tool_nocheck void print_track(const char *what, const struct track *t,
					 uint64_t now_ms)
{
	char sym[256];

	kmb_tool_quiet_begin();
	if (!t->addr) {
		kmb_tool_quiet_end();
		return;
	}
	kmb_describe_caller(sym, sizeof(sym), (const void *)t->addr);
	kmb_report("%s in %s age=%llu cpu=%u pid=%d", what, sym,
		   (unsigned long long)(now_ms - t->when_ms), (unsigned int)t->cpu, t->pid);
	kmb_tool_quiet_end();
}

static void print_tracking(struct kmem_cache *s, void *obj)
{
	uint64_t now = kmb_now_ms();

	if (!(s->flags & SLAB_STORE_USER))
		return;
	print_track("Allocated", track_of(s, obj, TRACK_ALLOC), now);
	print_track("Freed", track_of(s, obj, TRACK_FREE), now);
}

/* print_slab_info: %pGp's flags as names and the node and zone fields. */
static void print_slab_info(struct slab *slab)
{
	kmb_report("Slab 0x%lx objects=%u used=%u fp=0x%lx flags=%#lx(slab%s|node=%u|zone=%u)",
		   (unsigned long)slab, slab->objects, slab->inuse, (unsigned long)slab->freelist,
		   slab->flags, slab->order ? "|head" : "", slab->node, slab->zone);
}

/* print_section: print_hex_dump(DUMP_PREFIX_ADDRESS, 16 a row, bytes, with ASCII). */
static kmb_tool_nocheck void print_section(const char *text, const unsigned char *addr,
					   unsigned int len)
{
	kmb_tool_quiet_begin();
	for (unsigned int i = 0; i < len; i += 16) {
		unsigned int n = len - i < 16 ? len - i : 16;
		char hex[64], ascii[17];
		int pos = 0;

		for (unsigned int j = 0; j < n; j++) {
			pos += snprintf(hex + pos, sizeof(hex) - (size_t)pos, j ? " %02x" : "%02x",
					addr[i + j]);
			ascii[j] = isascii(addr[i + j]) && isprint(addr[i + j]) ? (char)addr[i + j] : '.';
		}
		ascii[n] = '\0';
		kmb_report("%s%016lx: %-49s%s", text, (unsigned long)(addr + i), hex, ascii);
	}
	kmb_tool_quiet_end();
}

/* print_trailer: the object's call sites, its slab, and its bytes, part by part. */
static void print_trailer(struct kmem_cache *s, struct slab *slab, unsigned char *p)
{
	unsigned char *addr = slab_address(slab);
	unsigned int off = meta_end(s);

	print_tracking(s, p);
	print_slab_info(slab);
	kmb_report("Object 0x%lx @offset=%td fp=0x%lx", (unsigned long)p, p - addr,
		   (unsigned long)get_freepointer(s, p));
	kmb_report("%s", "");
	if (s->flags & SLAB_RED_ZONE)
		print_section("Redzone  ", p - s->red_left_pad, s->red_left_pad);
	else if (p > addr + 16)
		print_section("Bytes b4 ", p - 16, 16);
	print_section("Object   ", p, s->object_size < PAGE_SIZE ? s->object_size : PAGE_SIZE);
	if (s->flags & SLAB_RED_ZONE)
		print_section("Redzone  ", p + s->object_size, s->inuse - s->object_size);
	if (off != size_from_object(s))
		print_section("Padding  ", p + off, size_from_object(s) - off);
}

/* check_valid_pointer: NULL, or the start of an object of @slab. */
static bool valid_pointer(const struct kmem_cache *s, struct slab *slab, const void *obj)
{
	return !obj || slab_object_start(s, slab, obj);
}

/* object_err without its end: the header, and the trailer of a valid object. */
static void object_report(struct kmem_cache *s, struct slab *slab, void *obj, const char *reason)
{
	slab_bug_msg(s, reason);
	if (!obj || !valid_pointer(s, slab, obj)) {
		print_slab_info(slab);
		kmb_report("Invalid pointer 0x%lx", (unsigned long)obj);
	} else {
		print_trailer(s, slab, obj);
	}
}

static void object_err(struct kmem_cache *s, struct slab *slab, void *obj, const char *reason)
{
	object_report(s, slab, obj, reason);
	report_end(s);
}

/* slab_err: the header and the slab.  @obj is kmbench's, for the caller's message only. */
void slab_err(struct kmem_cache *s, struct slab *slab, const void *obj, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	(void)obj;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	slab_bug_msg(s, msg);
	if (slab)
		print_slab_info(slab);
	report_end(s);
}

/* --- object layout --- */

bool slab_object_start(const struct kmem_cache *s, struct slab *slab, const void *obj)
{
	const char *first = slab_first_object(s, slab);
	uintptr_t off = (uintptr_t)obj - (uintptr_t)first;

	return (uintptr_t)obj >= (uintptr_t)first && off % s->size == 0 &&
	       off / s->size < slab->objects;
}

/* setup_slab_debug: a new slab of a P cache all POISON_INUSE, padding included. */
void slab_debug_setup_slab(struct kmem_cache *s, struct slab *slab)
{
	if (s->flags & SLAB_POISON)
		memset(slab_address(slab), POISON_INUSE, PAGE_SIZE << s->order);
}

/* init_object: the red zones to @val; the object poisoned, allocated or free (an allocated
 * object of a P cache reads 0x6b until written, as in the kernel). */
kmb_tool_nocheck void slab_debug_init_object(struct kmem_cache *s, void *obj, uint8_t val)
{
	unsigned char *p = obj;
	unsigned int poison_size = s->object_size;

	if (s->flags & SLAB_RED_ZONE) {
		kmb_tool_memset(p - s->red_left_pad, val, s->red_left_pad);
		/* the kmalloc redzone (Linux 6.2): an allocated kmalloc object is red-zoned from
		 * the size asked for, and poisoned up to it */
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE)
			poison_size = slab_debug_get_orig_size(s, obj);
	}
	if (object_poison(s) && poison_size) {
		kmb_tool_memset(p, POISON_FREE, poison_size - 1);
		kmb_tool_quiet_begin();
		p[poison_size - 1] = POISON_END;
		kmb_tool_quiet_end();
	}
	if (s->flags & SLAB_RED_ZONE)
		kmb_tool_memset(p + poison_size, val, s->inuse - poison_size);
}

/* --- the checks --- */

/*
 * check_bytes_and_report: [start, start + n) must all be @value; otherwise the first wrong
 * byte and the last, and their offset in the slab; the object's report when it is the first
 * problem of this object (@print); the range restored.  One problem counted.
 */
static kmb_tool_nocheck bool check_bytes(struct kmem_cache *s, struct slab *slab,
					 unsigned char *obj, const char *what, unsigned char *start,
					 uint8_t value, size_t n, bool print)
{
	unsigned char *fault = NULL, *end, *addr = slab_address(slab);

	kmb_tool_quiet_begin();
	for (size_t i = 0; i < n; i++)
		if (start[i] != value) {
			fault = start + i;
			break;
		}
	kmb_tool_quiet_end();
	if (!fault)
		return true;
	kmb_tool_quiet_begin();
	end = start + n;
	while (end > fault && end[-1] == value)
		end--;
	kmb_report("[%s overwritten] 0x%lx-0x%lx @offset=%td. First byte 0x%x instead of 0x%x",
		   what, (unsigned long)fault, (unsigned long)(end - 1), fault - addr, *fault, value);
	if (print)
		object_report(s, slab, obj, "Object corrupt");
	slab_fix(s, "Restoring %s 0x%lx-0x%lx=0x%x", what, (unsigned long)fault,
		 (unsigned long)(end - 1), value);
	kmb_tool_memset(fault, value, (size_t)(end - fault));
	kmb_tool_quiet_end();
	report_end(s);
	return false;
}

/* check_pad_bytes: the padding after the metadata still POISON_INUSE. */
static bool check_pad_bytes(struct kmem_cache *s, struct slab *slab, unsigned char *p, bool print)
{
	unsigned int off = meta_end(s);

	if (size_from_object(s) == off)
		return true;
	return check_bytes(s, slab, p, "Object padding", p + off, POISON_INUSE,
			   size_from_object(s) - off, print);
}

/*
 * slab_pad_check: a P slab's bytes outside its objects still POISON_INUSE: the leftover at its
 * end, and (kmbench's slab colouring) the colour offset before the first object.
 */
static kmb_tool_nocheck void slab_pad_check(struct kmem_cache *s, struct slab *slab)
{
	unsigned char *start = slab_address(slab);
	size_t length = PAGE_SIZE << s->order;
	unsigned char *objs = (unsigned char *)slab_first_object(s, slab) - s->red_left_pad;
	unsigned char *objs_end = objs + (size_t)slab->objects * s->size;
	struct { unsigned char *from, *to; } pad[2] = {
		{ start, objs }, { objs_end, start + length },
	};

	if (!(s->flags & SLAB_POISON))
		return;
	for (int i = 0; i < 2; i++) {
		unsigned char *fault = NULL, *end = pad[i].to;

		kmb_tool_quiet_begin();
		for (unsigned char *b = pad[i].from; b < pad[i].to; b++)
			if (*b != POISON_INUSE) {
				fault = b;
				break;
			}
		kmb_tool_quiet_end();
		if (!fault)
			continue;
		kmb_tool_quiet_begin();
		while (end > fault && end[-1] == POISON_INUSE)
			end--;
		{
			char msg[128];

			snprintf(msg, sizeof(msg), "Padding overwritten. 0x%lx-0x%lx @offset=%td",
				 (unsigned long)fault, (unsigned long)(end - 1), fault - start);
			slab_bug_msg(s, msg);
		}
		print_section("Padding ", pad[i].from, (unsigned int)(pad[i].to - pad[i].from));
		print_slab_info(slab);
		slab_fix(s, "Restoring %s 0x%lx-0x%lx=0x%x", "slab padding", (unsigned long)fault,
			 (unsigned long)(end - 1), POISON_INUSE);
		kmb_tool_memset(fault, POISON_INUSE, (size_t)(end - fault));
		kmb_tool_quiet_end();
		report_end(s);
	}
}

/*
 * check_object: with Z the red zones as @val says, without it P's alignment padding; with P a
 * free object's poison and the padding after the metadata; the free pointer, where it can be
 * read (outside the object, or in a free one), an object of the slab or NULL.  A corrupt free
 * pointer is cleared, losing the rest of the freelist, as the kernel does.
 */
static bool check_object(struct kmem_cache *s, struct slab *slab, void *obj, uint8_t val)
{
	unsigned char *p = obj, *endobject = p + s->object_size;
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		ok &= check_bytes(s, slab, p, "Left Redzone", p - s->red_left_pad, val,
				  s->red_left_pad, ok);
		ok &= check_bytes(s, slab, p, "Right Redzone", endobject, val,
				  s->inuse - s->object_size, ok);
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE) {
			unsigned int orig = slab_debug_get_orig_size(s, obj);

			if (orig < s->object_size)
				ok &= check_bytes(s, slab, p, "kmalloc Redzone", p + orig, val,
						  s->object_size - orig, ok);
		}
	} else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
		ok &= check_bytes(s, slab, p, "Alignment padding", endobject, POISON_INUSE,
				  s->inuse - s->object_size, ok);
	}
	if (s->flags & SLAB_POISON) {
		if (val != SLUB_RED_ACTIVE && object_poison(s)) {
			ok &= check_bytes(s, slab, p, "Poison", p, POISON_FREE,
					  s->object_size - 1, ok);
			ok &= check_bytes(s, slab, p, "End Poison", endobject - 1, POISON_END, 1, ok);
		}
		ok &= check_pad_bytes(s, slab, p, ok);
	}
	if ((freeptr_outside(s) || val != SLUB_RED_ACTIVE) &&
	    !valid_pointer(s, slab, get_freepointer(s, p))) {
		object_err(s, slab, p, "Freepointer corrupt");
		set_freepointer(s, p, NULL);
		ok = false;
	}
	return ok;
}

/* check_slab: the counts within bounds, and the slab's padding. */
static bool check_slab(struct kmem_cache *s, struct slab *slab)
{
	if (slab->objects > s->objects) {
		slab_err(s, slab, NULL, "objects %u > max %u", slab->objects, s->objects);
		return false;
	}
	if (slab->inuse > slab->objects) {
		slab_err(s, slab, NULL, "inuse %u > max %u", slab->inuse, slab->objects);
		return false;
	}
	slab_pad_check(s, slab);
	return true;
}

/*
 * on_freelist: is @search on the slab's freelist?  On the way, a free pointer that is no object
 * of the slab cuts the list there (or clears it, when the first one is bad), a cycle clears it,
 * and the counts are made to agree with what was found.  Node lock held.
 */
static bool on_freelist(struct kmem_cache *s, struct slab *slab, const void *search)
{
	unsigned int nr = 0;
	void *fp = slab->freelist, *object = NULL;

	while (fp && nr <= slab->objects) {
		if (fp == search)
			return true;
		if (!valid_pointer(s, slab, fp)) {
			if (object) {
				object_err(s, slab, object, "Freechain corrupt");
				set_freepointer(s, object, NULL);
				break;
			}
			slab_err(s, slab, NULL, "Freepointer corrupt");
			slab->freelist = NULL;
			slab->inuse = slab->objects;
			slab_fix(s, "Freelist cleared");
			return false;
		}
		object = fp;
		fp = get_freepointer(s, object);
		nr++;
	}
	if (nr > slab->objects) {
		slab_err(s, slab, NULL, "Freelist cycle detected");
		slab->freelist = NULL;
		slab->inuse = slab->objects;
		slab_fix(s, "Freelist cleared");
		return false;
	}
	if (slab->objects != s->objects) {
		slab_err(s, slab, NULL, "Wrong number of objects. Found %u but should be %u",
			 slab->objects, s->objects);
		slab->objects = (uint16_t)s->objects;
		slab_fix(s, "Number of objects adjusted");
	}
	if (slab->inuse != slab->objects - nr) {
		slab_err(s, slab, NULL, "Wrong object count. Counter is %u but counted were %u",
			 slab->inuse, slab->objects - nr);
		slab->inuse = (uint16_t)(slab->objects - nr);
		slab_fix(s, "Object count adjusted");
	}
	return search == NULL;
}

/*
 * alloc_debug_processing's checks (F): the slab, the object's place, the object as a free one.
 * On failure the slab is marked full (no free object), so that nothing more is taken from it;
 * the caller takes it off the partial list and allocates elsewhere.  Node lock held.
 */
bool slab_debug_alloc_checks(struct kmem_cache *s, struct slab *slab, void *obj)
{
	bool ok = check_slab(s, slab);

	if (ok && !valid_pointer(s, slab, obj)) {
		object_err(s, slab, obj, "Freelist Pointer check fails");
		ok = false;
	}
	if (ok && check_object(s, slab, obj, SLUB_RED_INACTIVE))
		return true;
	slab_fix(s, "Marking all objects used");
	slab->inuse = slab->objects;
	slab->freelist = NULL;
	return false;
}

/* free_consistency_checks (F): an object start of this slab, not free already, intact.  A
 * failure refuses the free.  Node lock held. */
bool slab_debug_free_checks(struct kmem_cache *s, struct slab *slab, void *obj)
{
	bool ok = check_slab(s, slab);

	if (ok && !valid_pointer(s, slab, obj)) {
		slab_err(s, slab, obj, "Invalid object pointer 0x%lx", (unsigned long)obj);
		ok = false;
	} else if (ok && on_freelist(s, slab, obj)) {
		object_err(s, slab, obj, "Object already free");
		ok = false;
	} else if (ok && !check_object(s, slab, obj, SLUB_RED_ACTIVE)) {
		ok = false;
	}
	if (!ok)
		slab_fix(s, "Object at 0x%lx not freed", (unsigned long)obj);
	return ok;
}

/* free_slab's checks (F): a slab given back has its padding and every (free) object intact. */
void slab_debug_free_slab(struct kmem_cache *s, struct slab *slab)
{
	char *p = slab_first_object(s, slab);

	slab_pad_check(s, slab);
	for (unsigned int i = 0; i < slab->objects; i++, p += s->size)
		check_object(s, slab, p, SLUB_RED_INACTIVE);
}

/*
 * validate_slab: the slab's counts and freelist, then every object as free or allocated says,
 * up to the first bad one.  Any cache, debug flags or none (then only the free pointers are
 * checked).  Node lock held by the caller.  Returns the problems found.
 */
unsigned long slab_debug_validate_slab(struct kmem_cache *s, struct slab *slab)
{
	unsigned long e0 = atomic_load_explicit(&s->errors, memory_order_relaxed);
	unsigned char is_free[MAX_OBJS_BITMAP];
	char *first = slab_first_object(s, slab);

	if (check_slab(s, slab) && on_freelist(s, slab, NULL)) {
		memset(is_free, 0, sizeof(is_free));
		for (char *fp = slab->freelist; fp; fp = get_freepointer(s, fp)) {
			unsigned int idx = (unsigned int)((fp - first) / s->size);

			is_free[idx / 8] |= (unsigned char)(1u << (idx % 8));
		}
		for (unsigned int i = 0; i < slab->objects; i++)
			if (!check_object(s, slab, first + (size_t)i * s->size,
					  (is_free[i / 8] & (1u << (i % 8))) ? SLUB_RED_INACTIVE :
									      SLUB_RED_ACTIVE))
				break;
	}
	return atomic_load_explicit(&s->errors, memory_order_relaxed) - e0;
}
