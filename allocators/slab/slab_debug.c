/*
 * slab_debug.c - the slab layer's debugging: poison, red zones, call-site tracks, consistency
 * checks and their reports (mm/slub.c's check_object(), check_bytes_and_report(), slab_err(),
 * print_tracking()).  Byte values from include/linux/poison.h.
 *
 * As in SLUB, a problem is reported, counted, repaired where it can be (the red zone or poison
 * rewritten: "FIX ..."), and the run goes on; a free that would corrupt the cache (double free,
 * wrong cache, not an object) is refused.  Every report ends in base's kmb_misuse_end(), the
 * policy of every layer: by default the slab layer goes on; kmb_mm_config.debug = 1 stops.  Tests count the reports, as the kernel's slub_kunit
 * does.  Reports look like:
 *
 *   kmbench: =============================================================================
 *   kmbench: BUG test-cache: Right Redzone overwritten
 *   kmbench: -----------------------------------------------------------------------------
 *   kmbench: object 0x7f...: offset 64 of 64 bytes: first byte 0x00 instead of 0xcc (8 bytes)
 *   kmbench: Allocated in test_oob+0x2c (./test_slab) [0x55...] cpu=0 pid=123
 *   kmbench: FIX test-cache: Restoring Right Redzone 0x... -0x... =0xcc
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "slab.h"


/* The track area's place: after the free pointer when it is outside the object, else after
 * the right red zone. */
static unsigned int track_offset(const struct kmem_cache *s)
{
	return ((s->flags & SLAB_POISON) || s->ctor) ? s->offset + sizeof(void *) : s->inuse;
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

void slab_debug_set_track(struct kmem_cache *s, void *obj, enum track_item t,
			  const void *caller)
{
	struct track *tr;

	if (!(s->flags & SLAB_STORE_USER))
		return;
	tr = track_of(s, obj, t);
	tr->addr = (uintptr_t)caller;
	tr->cpu = kmb_current_cpu();
	tr->pid = kmb_gettid();
	tr->when_ms = kmb_now_ms();
}

static void print_tracking(struct kmem_cache *s, void *obj)
{
	static const char *const what[] = { "Allocated", "Freed" };
	char sym[256];

	if (!(s->flags & SLAB_STORE_USER))
		return;
	for (int t = TRACK_ALLOC; t <= TRACK_FREE; t++) {
		struct track *tr = track_of(s, obj, (enum track_item)t);

		if (!tr->addr)
			continue;
		kmb_describe_caller(sym, sizeof(sym), (const void *)tr->addr);
		kmb_report("%s in %s cpu=%d pid=%d", what[t], sym, tr->cpu, tr->pid);
	}
}

static void report_header(struct kmem_cache *s, const char *what)
{
	kmb_report("=============================================================================");
	kmb_report("BUG %s: %s", s ? s->name : "(no cache)", what);
	kmb_report("-----------------------------------------------------------------------------");
}

void slab_err(struct kmem_cache *s, struct slab *slab, const void *obj, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_header(s, msg);
	if (slab)
		kmb_report("Slab %p objects=%u used=%u fp=%p", (void *)slab, slab->objects, slab->inuse,
		    slab->freelist);
	if (s && obj && slab && slab->slab_cache == s && slab_object_start(s, slab, obj))
		print_tracking(s, (void *)obj);
	if (s)
		atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
	kmb_misuse_end(KMB_LAYER_SLAB, NULL);
}

/* --- object layout --- */

bool slab_object_start(const struct kmem_cache *s, struct slab *slab, const void *obj)
{
	const char *first = slab_first_object(s, slab);
	uintptr_t off = (uintptr_t)obj - (uintptr_t)first;

	return (uintptr_t)obj >= (uintptr_t)first && off % s->size == 0 &&
	       off / s->size < slab->objects;
}

/* init_object: red zones to @val; a free object (inactive) poisoned. */
void slab_debug_init_object(struct kmem_cache *s, void *obj, uint8_t val)
{
	unsigned char *p = obj;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, val, s->red_left_pad);
		memset(p + s->object_size, val, s->inuse - s->object_size);
	}
	if ((s->flags & SLAB_POISON) && val == SLUB_RED_INACTIVE) {
		memset(p, POISON_FREE, s->object_size - 1);
		p[s->object_size - 1] = POISON_END;
	}
}

/*
 * check_bytes_and_report: [start, start+n) must all be @value; otherwise report the first
 * wrong byte and its offset, restore the range, and return false.
 */
static bool check_bytes(struct kmem_cache *s, struct slab *slab, void *obj, const char *what,
			unsigned char *start, uint8_t value, size_t n)
{
	unsigned char *fault = NULL, *end;

	for (size_t i = 0; i < n; i++)
		if (start[i] != value) {
			fault = start + i;
			break;
		}
	if (!fault)
		return true;
	end = start + n;
	while (end > fault && end[-1] == value)
		end--;
	{
		char head[64];

		snprintf(head, sizeof(head), "%s overwritten", what);
		report_header(s, head);
	}
	kmb_report("object %p: offset %td of %u bytes: first byte 0x%02x instead of 0x%02x (%td bytes "
	    "wrong from there)", obj, fault - (unsigned char *)obj, s->object_size, *fault, value,
	    end - fault);
	if (slab)
		kmb_report("Slab %p objects=%u used=%u", (void *)slab, slab->objects, slab->inuse);
	print_tracking(s, obj);
	kmb_report("FIX %s: Restoring %s %p-%p=0x%02x", s->name, what, (void *)fault, (void *)(end - 1),
	    value);
	memset(fault, value, (size_t)(end - fault));
	atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
	kmb_misuse_end(KMB_LAYER_SLAB, NULL);
	return false;
}

/* check_object: red zones as @val says, and, for a free object, its poison. */
static bool check_object(struct kmem_cache *s, struct slab *slab, void *obj, uint8_t val)
{
	unsigned char *p = obj;
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		ok &= check_bytes(s, slab, obj, "Left Redzone", p - s->red_left_pad,
				  val, s->red_left_pad);
		ok &= check_bytes(s, slab, obj, "Right Redzone", p + s->object_size,
				  val, s->inuse - s->object_size);
	}
	if ((s->flags & SLAB_POISON) && val == SLUB_RED_INACTIVE) {
		ok &= check_bytes(s, slab, obj, "Poison", p,
				  POISON_FREE, s->object_size - 1);
		ok &= check_bytes(s, slab, obj, "Poison end",
				  p + s->object_size - 1, POISON_END, 1);
	}
	return ok;
}

bool slab_debug_alloc_checks(struct kmem_cache *s, struct slab *slab, void *obj,
			     const void *caller)
{
	(void)caller;
	return check_object(s, slab, obj, SLUB_RED_INACTIVE);
}

/* on_freelist: is @obj on the slab's freelist?  Also finds a corrupt list.  Node lock held. */
static bool on_freelist(struct kmem_cache *s, struct slab *slab, const void *obj)
{
	unsigned int n = 0;

	for (void *fp = slab->freelist; fp && n <= slab->objects; fp = get_freepointer(s, fp), n++)
		if (fp == obj)
			return true;
	return false;
}

/* free_consistency_checks: this cache, an object start, allocated; red zones intact. */
bool slab_debug_free_checks(struct kmem_cache *s, struct slab *slab, void *obj,
			    const void *caller)
{
	struct kmem_cache_node *n = s->node[slab->node];
	bool free_already;

	(void)caller;
	if (!slab_object_start(s, slab, obj)) {
		slab_err(s, slab, obj, "kmem_cache_free: %p is not the start of an object "
			 "(objects are %u bytes apart)", obj, s->size);
		return false;
	}
	spin_lock(&n->list_lock);
	free_already = on_freelist(s, slab, obj);
	spin_unlock(&n->list_lock);
	if (free_already) {
		slab_err(s, slab, obj, "double free of object %p", obj);
		return false;
	}
	check_object(s, slab, obj, SLUB_RED_ACTIVE);
	return true;
}

/*
 * validate_slab: the freelist holds distinct object starts and its length matches inuse; free
 * objects' poison and every object's red zones are intact.  Node lock held by the caller.  Returns the problems found.
 */
unsigned long slab_debug_validate_slab(struct kmem_cache *s, struct slab *slab)
{
	unsigned char seen[MAX_OBJS_BITMAP];
	unsigned long problems = 0;
	unsigned int nfree = 0;
	char *first = slab_first_object(s, slab);

	memset(seen, 0, sizeof(seen));
	for (void *fp = slab->freelist; fp; fp = get_freepointer(s, fp)) {
		unsigned int idx;

		if (!slab_object_start(s, slab, fp)) {
			slab_err(s, slab, fp, "freelist pointer %p is not an object of the slab", fp);
			return problems + 1;
		}
		idx = (unsigned int)(((char *)fp - first) / s->size);
		if (seen[idx / 8] & (1u << (idx % 8))) {
			slab_err(s, slab, fp, "object %p is on the freelist twice", fp);
			return problems + 1;
		}
		seen[idx / 8] |= (unsigned char)(1u << (idx % 8));
		nfree++;
	}
	if (nfree + slab->inuse != slab->objects) {
		slab_err(s, slab, NULL, "%u free and %u in use, but %u objects", nfree, slab->inuse,
			 slab->objects);
		problems++;
	}
	if (!(s->flags & SLAB_DEBUG_FLAGS))
		return problems;
	for (unsigned int i = 0; i < slab->objects; i++) {
		bool is_free = seen[i / 8] & (1u << (i % 8));

		if (!check_object(s, slab, first + (size_t)i * s->size,
				  is_free ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE))
			problems++;
	}
	return problems;
}
