/*
 * record.c - `kmbench record`: the kernel's own allocations, recorded system-wide with perf on
 * the kmem tracepoints and converted into a kmbench trace (workloads/trace_file.h), which the
 * trace workload replays.
 *
 *   kmbench record [--seconds S] [--out FILE] [--max-events N] [-- COMMAND ARGS...]
 *
 * Records for S seconds (default 5), or while COMMAND runs (perf record -a ... -- COMMAND), with
 * Debian's linux-perf (perf 6.1): `perf record -a --exclude-perf` on kmem:kmalloc, kmem:kfree,
 * kmem:kmem_cache_alloc, kmem:kmem_cache_free, kmem:mm_page_alloc and kmem:mm_page_free into a
 * temporary directory, then `perf script -F trace:cpu,time,event,trace --ns`, whose text this
 * file converts.  Needs what perf needs: root, or perf_event_paranoid and tracefs access.
 *
 * The conversion, in time order (perf script sorts the events of all CPUs):
 *   - a slab object is its ptr, a page its pfn; each allocation starts a new object id (dense,
 *     in order of first appearance), so an address used again is another object;
 *   - a free of an address that holds no live object is a free of an object allocated before the
 *     recording began: a new id, written as the free's _pre form.  So is a page free whose order
 *     is not the live allocation's (that allocation then stays live: its free was another);
 *   - an allocation of an address that is still live (its free was not traced: a bulk free)
 *     leaves the old object live to the end;
 *   - left out, and counted in the file's comments: frees of NULL and ZERO_SIZE_PTR (kfree
 *     traces them), failed allocations, events beyond --max-events;
 *   - caches: name, object_size (bytes_req) and size (bytes_alloc) from their first allocation;
 *     a cache only freed takes its object size from /proc/slabinfo, read at the start, or 0 0
 *     (unknown) when it is not there;
 *   - GFP flags as the kernel printed them, one gfp line per distinct text.
 * The file is written atomically, then loaded back with the trace parser, which must accept it.
 *
 * Exit status: 0 done; 1 perf failed or the trace could not be written; 2 bad input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "run.h"
#include "trace_file.h"

#define DEFAULT_SECONDS 5.0
#define MAX_SECONDS 3600.0
#define MIN_ADDR 4096		/* below: NULL or ZERO_SIZE_PTR (include/linux/slab.h) */

static const char *const perf_events[] = {
	"kmem:kmalloc", "kmem:kfree", "kmem:kmem_cache_alloc", "kmem:kmem_cache_free",
	"kmem:mm_page_alloc", "kmem:mm_page_free",
};
#define NR_PERF_EVENTS (sizeof(perf_events) / sizeof(perf_events[0]))

/* Interned strings: GFP texts and cache names, in order of first use. */
struct strtab {
	char **s;
	size_t n, cap;
};

struct cache_info {
	uint32_t object_size, size;
	bool from_alloc;	/* the sizes are an allocation's, not /proc/slabinfo's */
};

/* One address's object, while it is live; an open-addressing map that only inserts. */
struct addr_map {
	uint64_t *key;		/* address + 1; 0: empty */
	uint32_t *obj;
	size_t cap, n;
};

struct conv {
	struct kmb_trace_event *ev;
	size_t nev, cap;
	uint64_t t0;
	bool have_t0;
	uint32_t nobjects, cpus;
	bool *live;			/* per object */
	uint8_t *order;			/* per object: a page's order */
	size_t live_cap;
	struct addr_map slab, page;
	struct strtab gfp, cache;
	struct cache_info *cinfo;	/* per cache */
	struct strtab slabinfo_names;
	uint32_t *slabinfo_size;
	size_t slabinfo_cap;
	size_t max_events;
	/* Left out. */
	size_t null_frees, failed_allocs, beyond, bad_lines;
	char first_bad[200];
};

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int map_grow(struct addr_map *m)
{
	struct addr_map n = { .cap = m->cap ? 2 * m->cap : 4096 };

	n.key = calloc(n.cap, sizeof(*n.key));
	n.obj = calloc(n.cap, sizeof(*n.obj));
	if (!n.key || !n.obj) {
		free(n.key);
		free(n.obj);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->key[i])
			continue;
		for (j = hash64(m->key[i]) & (n.cap - 1); n.key[j]; j = (j + 1) & (n.cap - 1))
			;
		n.key[j] = m->key[i];
		n.obj[j] = m->obj[i];
		n.n++;
	}
	free(m->key);
	free(m->obj);
	*m = n;
	return 0;
}

/* The slot of @addr in @m (its key 0 when absent); NULL when out of memory. */
static size_t *map_slot(struct addr_map *m, uint64_t addr, size_t *slot)
{
	uint64_t k = addr + 1;
	size_t j;

	if (2 * (m->n + 1) > m->cap && map_grow(m))
		return NULL;
	for (j = hash64(k) & (m->cap - 1); m->key[j] && m->key[j] != k; j = (j + 1) & (m->cap - 1))
		;
	*slot = j;
	return slot;
}

/* The index of @s in @t, added when absent; -1 when out of memory. */
static long intern(struct strtab *t, const char *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->s[i], s))
			return (long)i;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		char **p = realloc(t->s, cap * sizeof(*p));

		if (!p)
			return -1;
		t->s = p;
		t->cap = cap;
	}
	if (!(t->s[t->n] = strdup(s)))
		return -1;
	return (long)t->n++;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
}

/* /proc/slabinfo's object sizes by cache name, for caches the trace only frees. */
static void read_slabinfo(struct conv *c)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[KMB_TRACE_NAME_MAX];
	unsigned long active, num, objsize;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		long i;

		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &num, &objsize) != 4 ||
		    name[0] == '#' || objsize > UINT32_MAX)
			continue;
		i = intern(&c->slabinfo_names, name);
		if (i < 0)
			break;
		if ((size_t)i >= c->slabinfo_cap) {
			size_t cap = c->slabinfo_names.cap;
			uint32_t *p = realloc(c->slabinfo_size, cap * sizeof(*p));

			if (!p)
				break;
			c->slabinfo_size = p;
			c->slabinfo_cap = cap;
		}
		c->slabinfo_size[i] = (uint32_t)objsize;
	}
	fclose(f);
}

/* The value of "KEY=" in @s, up to the next blank, into buf; false when absent. */
static bool value_of(const char *s, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key), n;
	const char *p = s;

	while ((p = strstr(p, key))) {
		if ((p == s || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, " \n");
			if (n >= len)
				return false;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		p += kl;
	}
	return false;
}

static bool num_of(const char *s, const char *key, int base, uint64_t *out)
{
	char buf[64], *end;

	if (!value_of(s, key, buf, sizeof(buf)))
		return false;
	if (!strcmp(buf, "(nil)")) {	/* %p of NULL */
		*out = 0;
		return true;
	}
	errno = 0;
	*out = strtoull(buf, &end, base);
	return !errno && end != buf && !*end;
}

static int grow_objects(struct conv *c)
{
	if (c->nobjects < c->live_cap)
		return 0;
	size_t cap = c->live_cap ? 2 * c->live_cap : 4096;
	bool *l = realloc(c->live, cap * sizeof(*l));

	if (l)
		c->live = l;
	uint8_t *o = realloc(c->order, cap);

	if (o)
		c->order = o;
	if (!l || !o)
		return -ENOMEM;
	c->live_cap = cap;
	return 0;
}

static struct kmb_trace_event *new_event(struct conv *c)
{
	if (c->nev == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 65536;
		struct kmb_trace_event *p = realloc(c->ev, cap * sizeof(*p));

		if (!p)
			return NULL;
		c->ev = p;
		c->cap = cap;
	}
	return memset(&c->ev[c->nev], 0, sizeof(c->ev[0]));
}

/* A cache's id; its sizes from this allocation (bytes_req, bytes_alloc) when no allocation
 * gave them yet (a cache first seen in a free has /proc/slabinfo's, or none). */
static long cache_id(struct conv *c, const char *name, uint64_t req, uint64_t alloc)
{
	size_t n = c->cache.n;
	long id = intern(&c->cache, name);

	if (id < 0)
		return -1;
	if ((size_t)id == n) {
		struct cache_info *p = realloc(c->cinfo, c->cache.cap * sizeof(*p));

		if (!p)
			return -1;
		c->cinfo = p;
		p[id] = (struct cache_info){ 0, 0, false };
		for (size_t i = 0; i < c->slabinfo_names.n; i++)
			if (!strcmp(c->slabinfo_names.s[i], name))
				p[id].object_size = p[id].size = c->slabinfo_size[i];
	}
	if (req && alloc >= req && !c->cinfo[id].from_alloc)
		c->cinfo[id] = (struct cache_info){ (uint32_t)req, (uint32_t)alloc, true };
	return id;
}

/* An allocation of @addr in @m: a new live object (the old one, if live, stays so). */
static int alloc_object(struct conv *c, struct addr_map *m, uint64_t addr, uint8_t order,
			uint32_t *obj)
{
	size_t slot;

	if (grow_objects(c) || !map_slot(m, addr, &slot))
		return -ENOMEM;
	if (!m->key[slot])
		m->n++;
	m->key[slot] = addr + 1;
	m->obj[slot] = *obj = c->nobjects++;
	c->live[*obj] = true;
	c->order[*obj] = order;
	return 0;
}

/* A free of @addr in @m: its live object (true), or a new one from before the recording. */
static int free_object(struct conv *c, struct addr_map *m, uint64_t addr, bool page,
		       uint8_t order, uint32_t *obj, bool *pre)
{
	size_t slot;

	if (grow_objects(c) || !map_slot(m, addr, &slot))
		return -ENOMEM;
	*pre = !m->key[slot] || !c->live[m->obj[slot]] ||
	       (page && c->order[m->obj[slot]] != order);
	if (!*pre) {
		*obj = m->obj[slot];
		c->live[*obj] = false;
		return 0;
	}
	*obj = c->nobjects++;
	c->live[*obj] = false;
	c->order[*obj] = order;
	return 0;
}

/* One line of perf script: "[CPU] SECS.NSECS: kmem:EVENT: KEY=VALUE ...". */
static int convert_line(struct conv *c, const char *line)
{
	unsigned long cpu;
	unsigned long long sec, nsec;
	char evname[64], text[128];
	const char *rest;
	struct kmb_trace_event *e;
	uint64_t addr = 0, req = 0, alloc = 0, order = 0, t;
	bool pre = false, page;
	int op, n = 0;
	long id;

	if (sscanf(line, " [%lu] %llu.%llu: %63s %n", &cpu, &sec, &nsec, evname, &n) != 4 || !n ||
	    strncmp(evname, "kmem:", 5) || cpu >= KMB_TRACE_MAX_CPUS) {
		if (!c->bad_lines++)
			snprintf(c->first_bad, sizeof(c->first_bad), "%.150s", line);
		return 0;
	}
	rest = line + n;
	evname[strlen(evname) - 1] = '\0';	/* the ':' */
	for (op = 0; op < (int)NR_PERF_EVENTS && strcmp(evname, perf_events[op]); op++)
		;
	page = op >= 4;
	if (op == (int)NR_PERF_EVENTS ||
	    !(page ? num_of(rest, "pfn", 16, &addr) : num_of(rest, "ptr", 16, &addr)) ||
	    (page && !num_of(rest, "order", 10, &order)) || order > KMB_TRACE_MAX_ORDER) {
		if (!c->bad_lines++)
			snprintf(c->first_bad, sizeof(c->first_bad), "%.150s", line);
		return 0;
	}
	if (c->max_events && c->nev == c->max_events) {
		c->beyond++;
		return 0;
	}
	if (!page && addr < MIN_ADDR) {
		if (op & 1)
			c->null_frees++;
		else
			c->failed_allocs++;
		return 0;
	}
	if (page && !addr && op == 4) {
		c->failed_allocs++;
		return 0;
	}
	t = sec * 1000000000ull + nsec;
	if (!c->have_t0)
		c->t0 = t, c->have_t0 = true;
	if (!(e = new_event(c)))
		return -ENOMEM;
	e->t_ns = t > c->t0 ? t - c->t0 : 0;
	if (c->nev && e->t_ns < c->ev[c->nev - 1].t_ns)
		e->t_ns = c->ev[c->nev - 1].t_ns;	/* never back: the parser wants order */
	e->cpu = (uint16_t)cpu;
	e->order = (uint8_t)order;
	if (op == 0 || op == 2 || op == 4) {	/* the allocations */
		if (!value_of(rest, "gfp_flags", text, sizeof(text)) ||
		    (id = intern(&c->gfp, text)) < 0)
			return value_of(rest, "gfp_flags", text, sizeof(text)) ? -ENOMEM :
			       (c->bad_lines++, 0);
		e->gfp = (uint32_t)id;
	}
	if (op == 0 || op == 2) {
		if (!num_of(rest, "bytes_req", 10, &req) || !num_of(rest, "bytes_alloc", 10, &alloc) ||
		    !req || alloc < req || alloc > UINT32_MAX) {
			c->bad_lines++;
			return 0;
		}
	}
	if (op == 2 || op == 3) {
		if (!value_of(rest, "name", text, sizeof(text)) ||
		    strlen(text) >= KMB_TRACE_NAME_MAX) {
			c->bad_lines++;
			return 0;
		}
		if ((id = cache_id(c, text, req, alloc)) < 0)
			return -ENOMEM;
		e->cache = (uint32_t)id;
	}
	switch (op) {
	case 0:
		e->op = KMB_TR_KMALLOC;
		e->bytes_req = (uint32_t)req;
		e->bytes_alloc = (uint32_t)alloc;
		break;
	case 2:
		e->op = KMB_TR_CACHE_ALLOC;
		break;
	case 4:
		e->op = KMB_TR_PAGE_ALLOC;
		break;
	case 1:
		e->op = KMB_TR_KFREE;
		break;
	case 3:
		e->op = KMB_TR_CACHE_FREE;
		break;
	default:
		e->op = KMB_TR_PAGE_FREE;
	}
	if (kmb_trace_op_is_alloc(e->op)) {
		if (alloc_object(c, page ? &c->page : &c->slab, addr, e->order, &e->obj))
			return -ENOMEM;
	} else {
		if (free_object(c, page ? &c->page : &c->slab, addr, page, e->order, &e->obj, &pre))
			return -ENOMEM;
		if (pre)
			e->op += KMB_TR_KFREE_PRE - KMB_TR_KFREE;
	}
	c->cpus = e->cpu + 1u > c->cpus ? e->cpu + 1u : c->cpus;
	c->nev++;
	return 0;
}

static int write_trace(const struct conv *c, const char *path, const char *how)
{
	struct kmb_atomic_file af;
	struct utsname u;
	int r = kmb_atomic_open(&af, path);

	if (r)
		return r;
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	fprintf(af.f, KMB_TRACE_MAGIC " %d\n", KMB_TRACE_VERSION);
	fprintf(af.f, "# kmbench record: perf record -a --exclude-perf on");
	for (size_t i = 0; i < NR_PERF_EVENTS; i++)
		fprintf(af.f, " %s", perf_events[i]);
	fprintf(af.f, "\n# left out: %zu frees of NULL or ZERO_SIZE_PTR, %zu failed allocations, "
		"%zu events beyond --max-events, %zu lines perf script gave that were not kmem "
		"events\n", c->null_frees, c->failed_allocs, c->beyond, c->bad_lines);
	fprintf(af.f, "kernel %s\nsource %s\ncpus %u\nevents %zu\nobjects %u\n", u.release, how,
		c->cpus ? c->cpus : 1, c->nev, c->nobjects);
	for (size_t i = 0; i < c->gfp.n; i++)
		fprintf(af.f, "gfp %zu %s\n", i, c->gfp.s[i]);
	for (size_t i = 0; i < c->cache.n; i++)
		fprintf(af.f, "cache %zu %s %u %u\n", i, c->cache.s[i], c->cinfo[i].object_size,
			c->cinfo[i].size);
	for (size_t i = 0; i < c->nev; i++) {
		const struct kmb_trace_event *e = &c->ev[i];

		fprintf(af.f, "%" PRIu64 " %u %s %u", e->t_ns, e->cpu, kmb_trace_op_names[e->op],
			e->obj);
		switch (e->op) {
		case KMB_TR_KMALLOC:
			fprintf(af.f, " %u %u %u\n", e->bytes_req, e->bytes_alloc, e->gfp);
			break;
		case KMB_TR_CACHE_ALLOC:
			fprintf(af.f, " %u %u\n", e->cache, e->gfp);
			break;
		case KMB_TR_PAGE_ALLOC:
			fprintf(af.f, " %u %u\n", e->order, e->gfp);
			break;
		case KMB_TR_CACHE_FREE: case KMB_TR_CACHE_FREE_PRE:
			fprintf(af.f, " %u\n", e->cache);
			break;
		case KMB_TR_PAGE_FREE: case KMB_TR_PAGE_FREE_PRE:
			fprintf(af.f, " %u\n", e->order);
			break;
		default:
			fputc('\n', af.f);
		}
	}
	fprintf(af.f, "end\n");
	if (ferror(af.f)) {
		kmb_atomic_abort(&af);
		return -EIO;
	}
	return kmb_atomic_commit(&af);
}

static void conv_free(struct conv *c)
{
	free(c->ev);
	free(c->live);
	free(c->order);
	free(c->slab.key);
	free(c->slab.obj);
	free(c->page.key);
	free(c->page.obj);
	free(c->cinfo);
	free(c->slabinfo_size);
	strtab_free(&c->gfp);
	strtab_free(&c->cache);
	strtab_free(&c->slabinfo_names);
}

/* Run @argv (perf), its stdout into @out when not NULL; its exit status, or -errno. */
static int spawn(char *const argv[], FILE **out, pid_t *pid)
{
	int fd[2] = { -1, -1 };

	if (out && pipe(fd))
		return -errno;
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (!*pid) {
		if (out) {
			dup2(fd[1], STDOUT_FILENO);
			close(fd[0]);
			close(fd[1]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "kmbench record: cannot run %s: %s (Debian: apt-get install "
			"linux-perf)\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(fd[1]);
		*out = fdopen(fd[0], "r");
		if (!*out)
			return -errno;
	}
	return 0;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define USAGE "kmbench record [--seconds S] [--out FILE] [--max-events N] [-- COMMAND ARGS...]"

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "kmbench record: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; usage: " USAGE "\n");
	return 2;
}

/* perf record: system-wide, every kmem event of perf_events, for @seconds or while @cmd runs. */
static int perf_record(const char *data, double seconds, char **cmd, int ncmd)
{
	char *argv[64 + 2 * NR_PERF_EVENTS], secs[32];
	int n = 0, r;
	pid_t pid = -1;

	argv[n++] = "perf";
	argv[n++] = "record";
	argv[n++] = "-q";
	argv[n++] = "-a";
	for (size_t i = 0; i < NR_PERF_EVENTS; i++) {
		argv[n++] = "-e";
		argv[n++] = (char *)perf_events[i];
	}
	argv[n++] = "--exclude-perf";
	argv[n++] = "-o";
	argv[n++] = (char *)data;
	argv[n++] = "--";
	if (ncmd) {
		for (int i = 0; i < ncmd && n < 63; i++)
			argv[n++] = cmd[i];
	} else {
		snprintf(secs, sizeof(secs), "%g", seconds);
		argv[n++] = "sleep";
		argv[n++] = secs;
	}
	argv[n] = NULL;
	r = spawn(argv, NULL, &pid);
	return r ? r : wait_status(pid);
}

static int perf_script(const char *data, struct conv *c)
{
	char *argv[] = { "perf", "script", "-i", (char *)data, "-F", "trace:cpu,time,event,trace",
			 "--ns", NULL };
	char *line = NULL;
	size_t cap = 0;
	FILE *out;
	pid_t pid = -1;
	int r = spawn(argv, &out, &pid), st;

	if (r)
		return r;
	while (!r && getline(&line, &cap, out) >= 0)
		r = convert_line(c, line);
	if (r)	/* out of memory: perf's output unread, so stop it */
		kill(pid, SIGTERM);
	fclose(out);
	free(line);
	st = wait_status(pid);
	return r ? r : st;
}

int kmb_run_record(int argc, char **argv)
{
	const char *out = "kmbench.trace";
	double seconds = DEFAULT_SECONDS;
	char dir[] = "/tmp/kmbench-record.XXXXXX", data[PATH_MAX], how[512], err[512];
	struct conv c = { 0 };
	struct kmb_trace *t;
	char **cmd = NULL;
	int ncmd = 0, r, status = 1;
	bool have_seconds = false;
	struct stat sb;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(a, "--")) {
			cmd = argv + i + 1;
			ncmd = argc - i - 1;
			if (!ncmd)
				return bad("'--' without a command%s", "");
			break;
		}
		if (!v && (!strcmp(a, "--seconds") || !strcmp(a, "--out") ||
			   !strcmp(a, "--max-events")))
			return bad("%s needs a value", a);
		if (!strcmp(a, "--seconds")) {
			seconds = strtod(v, &end);
			if (*end || end == v || !(seconds > 0 && seconds <= MAX_SECONDS))
				return bad("--seconds '%s': give seconds above 0, up to 3600", v);
			have_seconds = true;
		} else if (!strcmp(a, "--out")) {
			out = v;
		} else if (!strcmp(a, "--max-events")) {
			unsigned long long m = strtoull(v, &end, 10);

			if (*end || end == v || *v == '-' || !m || m > UINT32_MAX)
				return bad("--max-events '%s': give a count from 1 up", v);
			c.max_events = (size_t)m;
		} else {
			return bad("unknown option '%s'", a);
		}
		i++;
	}
	if (ncmd && have_seconds)
		return bad("%s--seconds and a command: give one (a command records while it runs)",
			   "");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "kmbench record: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	kmb_pathf(data, sizeof(data), "%s/perf.data", dir);
	if (ncmd) {
		size_t n = (size_t)snprintf(how, sizeof(how), "perf record -a while running:");

		for (int i = 0; i < ncmd && n < sizeof(how); i++)
			n += (size_t)snprintf(how + n, sizeof(how) - n, " %s", cmd[i]);
	} else {
		snprintf(how, sizeof(how), "perf record -a for %g s", seconds);
	}
	read_slabinfo(&c);
	r = perf_record(data, seconds, cmd, ncmd);
	if (r > 0 && r < 128 && ncmd && !stat(data, &sb) && sb.st_size > 0) {
		/* perf record exits with the command's status: the recording is there */
		fprintf(stderr, "kmbench record: note: %s exited %d; its recording is kept\n",
			cmd[0], r);
		r = 0;
	}
	if (r) {
		fprintf(stderr, "kmbench record: perf record failed (%s %d); it needs root, or "
			"perf_event_paranoid <= -1 and tracefs access, and the kmem tracepoints\n",
			r < 0 ? "error" : "exit status", r < 0 ? -r : r);
		goto out;
	}
	r = perf_script(data, &c);
	if (r) {
		fprintf(stderr, "kmbench record: perf script failed (%s %d)\n",
			r < 0 ? "error" : "exit status", r < 0 ? -r : r);
		goto out;
	}
	if (!c.nev) {
		fprintf(stderr, "kmbench record: perf recorded no kmem event%s%s\n",
			c.bad_lines ? "; the first line it gave: " : "", c.first_bad);
		goto out;
	}
	r = write_trace(&c, out, how);
	if (r) {
		fprintf(stderr, "kmbench record: cannot write %s: %s\n", out, strerror(-r));
		goto out;
	}
	r = kmb_trace_load(out, &t, err, sizeof(err));
	if (r) {
		fprintf(stderr, "kmbench record: the trace written does not parse: %s\n", err);
		goto out;
	}
	printf("%s: %zu events on %u CPUs, %u objects (%zu freed from before the recording, "
	       "%zu live at its end), %zu caches; left out %zu frees of NULL, %zu failed "
	       "allocations, %zu events beyond --max-events\n", out, t->nevents, t->cpus,
	       t->nobjects, t->pre_frees, t->live_at_end, t->ncaches, c.null_frees,
	       c.failed_allocs, c.beyond);
	kmb_trace_free(t);
	status = 0;
out:
	unlink(data);
	rmdir(dir);
	conv_free(&c);
	return status;
}
