/*
 * trace_file.c - the parser of kmbench traces (trace_file.h has the format).  It reads the whole
 * file and checks it all before anything uses it: a bad trace is one error line naming the file
 * and the line, and nothing runs (the trace workload loads the file in its resolve hook, before
 * any backend starts).
 *
 * Checks: the magic and the version; every header key known, given once, before the first
 * event; numbers that are numbers and in range; IDs defined (gfp, cache) and dense; events in
 * time order, on a CPU below cpus, naming an object below objects; the lifecycle of every
 * object (one allocation, then at most one free of the same kind; a _pre free only of an
 * object never allocated; page frees of the allocated order); as many events as the header
 * says, every object id used, and `end` last, with a newline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_file.h"

const char *const kmb_trace_op_names[KMB_TR_NR_OPS] = {
	[KMB_TR_KMALLOC] = "kmalloc",
	[KMB_TR_CACHE_ALLOC] = "cache_alloc",
	[KMB_TR_PAGE_ALLOC] = "page_alloc",
	[KMB_TR_KFREE] = "kfree",
	[KMB_TR_CACHE_FREE] = "cache_free",
	[KMB_TR_PAGE_FREE] = "page_free",
	[KMB_TR_KFREE_PRE] = "kfree_pre",
	[KMB_TR_CACHE_FREE_PRE] = "cache_free_pre",
	[KMB_TR_PAGE_FREE_PRE] = "page_free_pre",
};

/* The kernel's names for GFP flags that kmbench has (kmbench/gfp.h, KMB_GFP_NAMES). */
static const struct {
	const char *name;
	gfp_t gfp;
} gfp_names[] = {
#define GFP_NAME(flag) { #flag, flag },
	KMB_GFP_NAMES(GFP_NAME)
#undef GFP_NAME
};

int kmb_trace_gfp_parse(const char *text, gfp_t *out)
{
	gfp_t g = 0;

	*out = 0;
	if (!strcmp(text, "none"))
		return 0;
	for (const char *p = text;;) {
		size_t n = strcspn(p, "|"), i;
		bool word = n > 0;

		for (i = 0; i < n; i++)
			word &= (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
				p[i] == '_' || (i == 1 && p[0] == '0' && p[i] == 'x') ||
				(p[0] == '0' && p[1] == 'x' && p[i] >= 'a' && p[i] <= 'f');
		if (!word)
			return -EINVAL;
		for (i = 0; i < sizeof(gfp_names) / sizeof(gfp_names[0]); i++)
			if (strlen(gfp_names[i].name) == n && !strncmp(gfp_names[i].name, p, n))
				g |= gfp_names[i].gfp;
		if (!p[n])
			break;
		p += n + 1;
	}
	*out = g;
	return 0;
}

/* The parser's state: the file, the line it is at, and the first error. */
struct parser {
	const char *path;
	size_t line;
	char *err;
	size_t errlen;
	struct kmb_trace *t;
	bool have_cpus, have_events, have_objects;
	size_t gfp_cap, cache_cap;
};

static int __attribute__((format(printf, 2, 3))) fail(struct parser *ps, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(ps->err, ps->errlen, "%s:%zu: ", ps->path, ps->line);
	if (n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The next blank-separated field of *s into *out (NUL-terminated in place); false at the end. */
static bool field(char **s, char **out)
{
	char *p = *s + strspn(*s, " \t");

	if (!*p)
		return false;
	*out = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	*s = p;
	return true;
}

/* A decimal number in [0, max], the whole of @s. */
static int number(struct parser *ps, const char *what, const char *s, uint64_t max,
		  uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno)
		return fail(ps, "%s '%s' is not a number", what, s);
	if (*out > max)
		return fail(ps, "%s %" PRIu64 " is out of range (0..%" PRIu64 ")", what, *out, max);
	return 0;
}

static int no_more(struct parser *ps, char **s, const char *what)
{
	char *extra;

	if (field(s, &extra))
		return fail(ps, "%s: unexpected field '%s'", what, extra);
	return 0;
}

static int header_count(struct parser *ps, char **s, const char *key, bool *have, uint64_t max,
			uint64_t *out)
{
	char *v;
	int r;

	if (*have)
		return fail(ps, "header key '%s' given twice", key);
	if (!field(s, &v))
		return fail(ps, "header key '%s' without a value", key);
	r = number(ps, key, v, max, out);
	*have = true;
	return r ? r : no_more(ps, s, key);
}

static int header_gfp(struct parser *ps, char **s)
{
	struct kmb_trace *t = ps->t;
	uint64_t id;
	char *v;
	int r = 0;

	if (!field(s, &v) || (r = number(ps, "gfp id", v, UINT32_MAX, &id)))
		return r ? r : fail(ps, "gfp: no id");
	if (id != t->ngfp)
		return fail(ps, "gfp id %" PRIu64 " out of order; the next is %zu", id, t->ngfp);
	if (!field(s, &v))
		return fail(ps, "gfp %" PRIu64 ": no flags", id);
	if (t->ngfp == ps->gfp_cap) {
		size_t cap = ps->gfp_cap ? 2 * ps->gfp_cap : 16;
		void *p = realloc(t->gfps, cap * sizeof(*t->gfps));

		if (!p)
			return -ENOMEM;
		t->gfps = p;
		ps->gfp_cap = cap;
	}
	if (kmb_trace_gfp_parse(v, &t->gfps[t->ngfp].gfp))
		return fail(ps, "gfp %" PRIu64 ": '%s' is not GFP flags (NAME|NAME..., 0xHEX, "
			    "none)", id, v);
	if (!(t->gfps[t->ngfp].text = strdup(v)))
		return -ENOMEM;
	t->ngfp++;
	return no_more(ps, s, "gfp");
}

static int header_cache(struct parser *ps, char **s)
{
	struct kmb_trace *t = ps->t;
	struct kmb_trace_cache *c;
	uint64_t id, osize, size;
	char *v, *name;
	int r = 0;

	if (!field(s, &v) || (r = number(ps, "cache id", v, UINT32_MAX, &id)))
		return r ? r : fail(ps, "cache: no id");
	if (id != t->ncaches)
		return fail(ps, "cache id %" PRIu64 " out of order; the next is %zu", id,
			    t->ncaches);
	if (!field(s, &name) || strlen(name) >= KMB_TRACE_NAME_MAX)
		return fail(ps, "cache %" PRIu64 ": no name, or one over %d bytes", id,
			    KMB_TRACE_NAME_MAX - 1);
	if (!field(s, &v) || (r = number(ps, "cache object_size", v, UINT32_MAX, &osize)))
		return r ? r : fail(ps, "cache %" PRIu64 ": no object_size", id);
	if (!field(s, &v) || (r = number(ps, "cache size", v, UINT32_MAX, &size)))
		return r ? r : fail(ps, "cache %" PRIu64 ": no size", id);
	if (size < osize)
		return fail(ps, "cache %" PRIu64 ": size %" PRIu64 " below object_size %" PRIu64,
			    id, size, osize);
	if (t->ncaches == ps->cache_cap) {
		size_t cap = ps->cache_cap ? 2 * ps->cache_cap : 16;
		void *p = realloc(t->caches, cap * sizeof(*t->caches));

		if (!p)
			return -ENOMEM;
		t->caches = p;
		ps->cache_cap = cap;
	}
	c = &t->caches[t->ncaches++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->object_size = (uint32_t)osize;
	c->size = (uint32_t)size;
	return no_more(ps, s, "cache");
}

/* One header line (@key is its first field). */
static int header(struct parser *ps, const char *key, char *s)
{
	struct kmb_trace *t = ps->t;
	uint64_t v;
	int r;

	if (!strcmp(key, "kernel") || !strcmp(key, "source")) {
		char **dst = key[0] == 'k' ? &t->kernel : &t->source;

		s += strspn(s, " \t");
		free(*dst);
		return (*dst = strdup(s)) ? 0 : -ENOMEM;
	}
	if (!strcmp(key, "cpus")) {
		r = header_count(ps, &s, key, &ps->have_cpus, KMB_TRACE_MAX_CPUS, &v);
		if (!r && !v)
			r = fail(ps, "cpus 0: a trace has at least one CPU");
		t->cpus = (uint32_t)v;
		return r;
	}
	if (!strcmp(key, "events")) {
		r = header_count(ps, &s, key, &ps->have_events, UINT32_MAX, &v);
		t->nevents = (size_t)v;
		if (!r && !(t->ev = calloc(t->nevents ? t->nevents : 1, sizeof(*t->ev))))
			return -ENOMEM;
		return r;
	}
	if (!strcmp(key, "objects")) {
		r = header_count(ps, &s, key, &ps->have_objects, UINT32_MAX - 1, &v);
		t->nobjects = (uint32_t)v;
		if (!r && !(t->objs = malloc((v ? v : 1) * sizeof(*t->objs))))
			return -ENOMEM;
		for (uint64_t i = 0; !r && i < v; i++)
			t->objs[i] = (struct kmb_trace_object){ -1, -1 };
		return r;
	}
	if (!strcmp(key, "gfp"))
		return header_gfp(ps, &s);
	if (!strcmp(key, "cache"))
		return header_cache(ps, &s);
	return fail(ps, "unknown header key '%s'; valid: kernel, source, cpus, events, objects, "
		    "gfp, cache", key);
}

static int id_field(struct parser *ps, char **s, const char *op, const char *what, uint64_t n,
		    uint64_t *out)
{
	char *v;
	int r;

	if (!field(s, &v))
		return fail(ps, "%s: no %s", op, what);
	r = number(ps, what, v, UINT32_MAX, out);
	if (!r && *out >= n)
		return fail(ps, "%s: %s %" PRIu64 " is not defined (%" PRIu64 " of them)", op,
			    what, *out, n);
	return r;
}

/* The lifecycle of the object of event @i, which the line has filled in. */
static int lifecycle(struct parser *ps, size_t i)
{
	struct kmb_trace *t = ps->t;
	struct kmb_trace_event *e = &t->ev[i];
	struct kmb_trace_object *o = &t->objs[e->obj];
	const char *op = kmb_trace_op_names[e->op];
	const struct kmb_trace_event *a;

	if (kmb_trace_op_is_alloc(e->op)) {
		if (o->alloc >= 0 || o->free >= 0)
			return fail(ps, "%s: object %u was %s before (line of event %" PRId64 ")",
				    op, e->obj, o->alloc >= 0 ? "allocated" : "freed",
				    o->alloc >= 0 ? o->alloc : o->free);
		o->alloc = (int64_t)i;
		return 0;
	}
	if (o->free >= 0)
		return fail(ps, "%s: object %u is freed twice (event %" PRId64 " freed it)", op,
			    e->obj, o->free);
	if (kmb_trace_op_is_pre(e->op)) {
		if (o->alloc >= 0)
			return fail(ps, "%s: object %u was allocated in the trace (event %" PRId64
				    "): not one from before the recording", op, e->obj, o->alloc);
		o->free = (int64_t)i;
		t->pre_frees++;
		return 0;
	}
	if (o->alloc < 0)
		return fail(ps, "%s: free of object %u, never allocated (a free of an object "
			    "allocated before the recording is %s_pre)", op, e->obj, op);
	a = &t->ev[o->alloc];
	if ((e->op == KMB_TR_PAGE_FREE) != (a->op == KMB_TR_PAGE_ALLOC))
		return fail(ps, "%s: object %u was allocated by %s", op, e->obj,
			    kmb_trace_op_names[a->op]);
	if (e->op == KMB_TR_PAGE_FREE && e->order != a->order)
		return fail(ps, "page_free: object %u of order %u freed as order %u", e->obj,
			    a->order, e->order);
	o->free = (int64_t)i;
	return 0;
}

/* One event line (@tfield is its first field, the time). */
static int event(struct parser *ps, size_t i, const char *tfield, char *s)
{
	struct kmb_trace *t = ps->t;
	struct kmb_trace_event *e;
	const char *name;
	uint64_t v, w;
	char *f;
	int r = 0, op;

	if (!ps->have_cpus || !ps->have_events || !ps->have_objects)
		return fail(ps, "an event before the header's cpus, events and objects");
	if (i >= t->nevents)
		return fail(ps, "more events than the header's %zu", t->nevents);
	e = &t->ev[i];
	if ((r = number(ps, "time", tfield, UINT64_MAX, &v)))
		return r;
	if (i && v < t->ev[i - 1].t_ns)
		return fail(ps, "time %" PRIu64 " goes back (the event before: %" PRIu64 ")", v,
			    t->ev[i - 1].t_ns);
	e->t_ns = v;
	if ((r = id_field(ps, &s, "event", "cpu", t->cpus, &v)))
		return r;
	e->cpu = (uint16_t)v;
	if (!field(&s, &f))
		return fail(ps, "event without an operation");
	for (op = 0; op < KMB_TR_NR_OPS && strcmp(f, kmb_trace_op_names[op]); op++)
		;
	if (op == KMB_TR_NR_OPS)
		return fail(ps, "unknown operation '%s'; valid: kmalloc, cache_alloc, page_alloc, "
			    "kfree, cache_free, page_free and the frees' _pre forms", f);
	e->op = (uint8_t)op;
	name = kmb_trace_op_names[op];
	if ((r = id_field(ps, &s, name, "object", t->nobjects, &v)))
		return r;
	e->obj = (uint32_t)v;
	switch (op) {
	case KMB_TR_KMALLOC:
		if (!field(&s, &f) || (r = number(ps, "bytes_req", f, UINT32_MAX, &v)))
			return r ? r : fail(ps, "kmalloc: no bytes_req");
		if (!field(&s, &f) || (r = number(ps, "bytes_alloc", f, UINT32_MAX, &w)))
			return r ? r : fail(ps, "kmalloc: no bytes_alloc");
		if (!v || w < v)
			return fail(ps, "kmalloc: bytes_req %" PRIu64 " and bytes_alloc %" PRIu64
				    ": want 0 < bytes_req <= bytes_alloc", v, w);
		e->bytes_req = (uint32_t)v;
		e->bytes_alloc = (uint32_t)w;
		break;
	case KMB_TR_CACHE_ALLOC: case KMB_TR_CACHE_FREE: case KMB_TR_CACHE_FREE_PRE:
		if ((r = id_field(ps, &s, name, "cache", t->ncaches, &v)))
			return r;
		e->cache = (uint32_t)v;
		if (op == KMB_TR_CACHE_ALLOC && !t->caches[v].object_size)
			return fail(ps, "cache_alloc from cache %" PRIu64 " (%s), whose object_size "
				    "the header does not give", v, t->caches[v].name);
		break;
	case KMB_TR_PAGE_ALLOC: case KMB_TR_PAGE_FREE: case KMB_TR_PAGE_FREE_PRE:
		if (!field(&s, &f) || (r = number(ps, "order", f, KMB_TRACE_MAX_ORDER, &v)))
			return r ? r : fail(ps, "%s: no order", name);
		e->order = (uint8_t)v;
		break;
	default:
		break;
	}
	if (kmb_trace_op_is_alloc(op)) {
		if ((r = id_field(ps, &s, name, "gfp", t->ngfp, &v)))
			return r;
		e->gfp = (uint32_t)v;
	}
	if ((r = no_more(ps, &s, name)))
		return r;
	return lifecycle(ps, i);
}

/* After `end`: the counts the header promised. */
static int closing(struct parser *ps, size_t nev)
{
	struct kmb_trace *t = ps->t;

	if (nev != t->nevents)
		return fail(ps, "truncated: the header says %zu events, the file has %zu", t->nevents,
			    nev);
	for (uint32_t i = 0; i < t->nobjects; i++) {
		if (t->objs[i].alloc < 0 && t->objs[i].free < 0)
			return fail(ps, "object %u is never used (the header says %u objects)", i,
				    t->nobjects);
		t->live_at_end += t->objs[i].free < 0;
	}
	return 0;
}

static int parse(struct parser *ps, FILE *f)
{
	char *line = NULL, *s, *key;
	size_t cap = 0, nev = 0;
	bool ended = false;
	ssize_t n;
	int r = 0;

	while (!r && (n = getline(&line, &cap, f)) >= 0) {
		ps->line++;
		if (!n || line[n - 1] != '\n') {
			r = fail(ps, "truncated: the last line has no newline");
			break;
		}
		line[--n] = '\0';
		if (ended) {
			r = fail(ps, "a line after 'end'");
			break;
		}
		s = line;
		if (ps->line == 1) {
			char *magic, *ver;

			if (!field(&s, &magic) || strcmp(magic, KMB_TRACE_MAGIC) || !field(&s, &ver))
				r = fail(ps, "not a kmbench trace: the first line is not '"
					 KMB_TRACE_MAGIC " VERSION'");
			else if (strcmp(ver, "1"))
				r = fail(ps, "trace version '%s'; this kmbench reads version %d", ver,
					 KMB_TRACE_VERSION);
			continue;
		}
		if (!field(&s, &key) || key[0] == '#')
			continue;
		if (!strcmp(key, "end"))
			ended = true, r = no_more(ps, &s, "end");
		else if (key[0] >= '0' && key[0] <= '9')
			r = event(ps, nev++, key, s);
		else if (nev)
			r = fail(ps, "header key '%s' after the first event", key);
		else
			r = header(ps, key, s);
	}
	free(line);
	if (r)
		return r;
	if (ferror(f))
		return fail(ps, "read error");
	if (ps->line == 0)
		return fail(ps, "empty file: not a kmbench trace");
	if (!ended)
		return fail(ps, "truncated: no 'end' line (the header says %zu events, %zu read)",
			    ps->t->nevents, nev);
	return closing(ps, nev);
}

int kmb_trace_load(const char *path, struct kmb_trace **out, char *err, size_t errlen)
{
	struct parser ps = { .path = path, .err = err, .errlen = errlen };
	FILE *f = fopen(path, "r");
	int r;

	*out = NULL;
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	ps.t = calloc(1, sizeof(*ps.t));
	r = ps.t && (ps.t->path = strdup(path)) ? parse(&ps, f) : -ENOMEM;
	fclose(f);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory reading it", path);
	if (r) {
		kmb_trace_free(ps.t);
		return r;
	}
	if (!ps.t->kernel)
		ps.t->kernel = strdup("");
	if (!ps.t->source)
		ps.t->source = strdup("");
	*out = ps.t;
	return 0;
}

void kmb_trace_free(struct kmb_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ngfp; i++)
		free(t->gfps[i].text);
	free(t->gfps);
	free(t->caches);
	free(t->objs);
	free(t->ev);
	free(t->kernel);
	free(t->source);
	free(t->path);
	free(t);
}
