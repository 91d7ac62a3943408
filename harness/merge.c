/*
 * merge.c - `kmbench merge RUN... --out DIR [--complete] [--run-id ID]`: the results of several
 * runs of one matrix (the shards of `kmbench run --shard I/N`, on one host or many) joined into
 * one results.json, in the same format, which the report and Google Benchmark's compare.py read.
 *
 * Each RUN is a run directory (its results.json is read) or a results.json.  The runs must be
 * of the same matrix: the same saved options (context.cmdline, options.h kmb_options_save)
 * apart from those that name one run rather than the matrix (--shard, --out, --run-id, and
 * --seed, drawn per run unless given), and the same kmbench commit (context.git_commit); the
 * first pair that is not is refused in one line naming both and the first difference.  A cell
 * (a family at one thread count: plan.h; family_index and threads, the same in every shard)
 * found in two runs is refused unless its rows are byte for byte the same (the same run given
 * twice), and then written once: nothing is doubled.  Rows keep their kmbench.host and
 * kmbench.run_id (a row without a host gets one: "host", the context's host_name); the context
 * is the first run's, its shard left out, with context.merged listing the runs, hosts and
 * shards merged and the cells of the matrix that are missing (a shard not given, a backend
 * that failed), which are a warning, or with --complete an error.
 *
 * Reading: these files are written by kmbench (results.c), so a small scanner that finds the
 * extent of a JSON value and the members of an object is enough; values are copied as they are,
 * never re-encoded.  Strings are compared in their escaped form, which is the same for the
 * same string written by the same writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "run.h"

/* A JSON value's text: p[0 .. n). */
struct span {
	const char *p;
	size_t n;
};

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && strchr(" \t\r\n", *s))
		s++;
	return s;
}

/* Past the value that starts at @s (no leading space), or NULL where it is not whole. */
static const char *skip_value(const char *s, const char *end)
{
	int depth = 0;

	if (s >= end)
		return NULL;
	if (*s != '{' && *s != '[' && *s != '"') {	/* number, true, false, null */
		while (s < end && !strchr(",}] \t\r\n", *s))
			s++;
		return s;
	}
	for (; s < end; s++) {
		if (*s == '"') {
			for (s++; s < end && *s != '"'; s++)
				if (*s == '\\')
					s++;
			if (s >= end)
				return NULL;
			if (!depth)
				return s + 1;
		} else if (*s == '{' || *s == '[') {
			depth++;
		} else if (*s == '}' || *s == ']') {
			if (--depth == 0)
				return s + 1;
		}
	}
	return NULL;
}

/*
 * The next member of object (or element of array) @v after *@cur (NULL: the first): its key's
 * span, quotes left out (objects only), and its value.  False at the end or on bad text.
 */
static bool next_member(struct span v, const char **cur, struct span *key, struct span *val)
{
	const char *end = v.p + v.n, *s = *cur ? *cur : v.p + 1;

	s = skip_ws(s, end);
	if (s < end && *s == ',')
		s = skip_ws(s + 1, end);
	if (s >= end || *s == '}' || *s == ']')
		return false;
	if (v.p[0] == '{') {
		const char *k = skip_value(s, end);

		if (!k || *s != '"')
			return false;
		*key = (struct span){ s + 1, (size_t)(k - s - 2) };
		s = skip_ws(k, end);
		if (s >= end || *s != ':')
			return false;
		s = skip_ws(s + 1, end);
	}
	val->p = s;
	s = skip_value(s, end);
	if (!s)
		return false;
	val->n = (size_t)(s - val->p);
	*cur = s;
	return true;
}

static bool span_is(struct span s, const char *text)
{
	return s.n == strlen(text) && !memcmp(s.p, text, s.n);
}

/* Member @key of object @obj into *@val; false when it has none. */
static bool get(struct span obj, const char *key, struct span *val)
{
	const char *cur = NULL;
	struct span k;

	if (!obj.n || obj.p[0] != '{')
		return false;
	while (next_member(obj, &cur, &k, val))
		if (span_is(k, key))
			return true;
	return false;
}

/* A string value's text, escaped as in the file, quotes left out, into @buf; "" if none. */
static const char *str_of(struct span v, char *buf, size_t len)
{
	if (v.n >= 2 && v.p[0] == '"')
		snprintf(buf, len, "%.*s", (int)(v.n - 2), v.p + 1);
	else
		snprintf(buf, len, "%.*s", (int)v.n, v.p);
	return buf;
}

static long long int_of(struct span obj, const char *key, long long dflt)
{
	struct span v;

	return get(obj, key, &v) ? strtoll(v.p, NULL, 10) : dflt;
}

struct input {
	const char *arg;		/* as given */
	char path[PATH_MAX];		/* its results.json */
	char *text;
	size_t len;
	struct span ctx, rows;		/* context, benchmarks */
	char run_id[128], host[256], commit[128];
	int shard_index, shard_count;	/* 0: not a shard */
	size_t nrows, ncells;		/* written to the merged file */
};

/* One row of an input, with the cell it belongs to. */
struct row {
	long long family, threads;
	size_t in, pos;			/* its input, its place there */
	struct span text;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->threads != y->threads)
		return x->threads < y->threads ? -1 : 1;
	if (x->in != y->in)
		return x->in < y->in ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Read @in: its file, context and rows.  0, or 1 after saying why. */
static int load(struct input *in)
{
	struct span top = { 0 }, v;
	struct stat st;
	const char *s;

	if (!stat(in->arg, &st) && S_ISDIR(st.st_mode))
		kmb_pathf(in->path, sizeof(in->path), "%s/results.json", in->arg);
	else
		snprintf(in->path, sizeof(in->path), "%s", in->arg);
	int r = kmb_read_file(in->path, &in->text, &in->len);

	if (r) {
		fprintf(stderr, "kmbench merge: %s: cannot read %s: %s\n", in->arg, in->path,
			strerror(-r));
		return 1;
	}
	s = skip_ws(in->text, in->text + in->len);
	top.p = s;
	s = skip_value(s, in->text + in->len);
	top.n = s ? (size_t)(s - top.p) : 0;
	if (!s || top.p[0] != '{' || !get(top, "context", &in->ctx) || in->ctx.p[0] != '{' ||
	    !get(top, "benchmarks", &in->rows) || in->rows.p[0] != '[') {
		fprintf(stderr, "kmbench merge: %s: not a kmbench results.json (no context and "
			"benchmarks)\n", in->path);
		return 1;
	}
	if (!get(in->ctx, "cmdline", &v) || v.p[0] != '[') {
		fprintf(stderr, "kmbench merge: %s: no context.cmdline: written by a kmbench "
			"before merge, run it again\n", in->path);
		return 1;
	}
	if (get(in->ctx, "run_id", &v))
		str_of(v, in->run_id, sizeof(in->run_id));
	if (get(in->ctx, "host_name", &v))
		str_of(v, in->host, sizeof(in->host));
	if (get(in->ctx, "git_commit", &v))
		str_of(v, in->commit, sizeof(in->commit));
	if (get(in->ctx, "shard", &v)) {
		in->shard_index = (int)int_of(v, "index", 0);
		in->shard_count = (int)int_of(v, "count", 0);
		if (in->shard_count < 1 || in->shard_count > KMB_MAX_SHARDS ||
		    in->shard_index < 1 || in->shard_index > in->shard_count) {
			fprintf(stderr, "kmbench merge: %s: context.shard %d/%d is not a shard\n",
				in->path, in->shard_index, in->shard_count);
			return 1;
		}
	}
	return 0;
}

/* @v without the white space outside its strings, into @buf (cut to fit): the same value
 * written pretty or compact, by kmbench or by another JSON writer, compares the same. */
static const char *compact(struct span v, char *buf, size_t len)
{
	bool in_str = false;
	size_t n = 0;

	for (size_t i = 0; i < v.n && n + 1 < len; i++) {
		char ch = v.p[i];

		if (in_str && ch == '\\' && i + 1 < v.n && n + 2 < len) {
			buf[n++] = ch;
			buf[n++] = v.p[++i];
			continue;
		}
		if (ch == '"')
			in_str = !in_str;
		if (in_str || !strchr(" \t\r\n", ch))
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return buf;
}

/* The saved options that name one run, not the matrix: left out of the comparison. */
static bool per_run_arg(struct span a)
{
	static const char *const skip[] = { "--shard=", "--out=", "--run-id=", "--seed=" };

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (a.n > strlen(skip[i]) + 1 && !memcmp(a.p + 1, skip[i], strlen(skip[i])))
			return true;
	return false;
}

/* The next argument of cmdline array @v after *@cur that is not per_run_arg(). */
static bool next_arg(struct span v, const char **cur, struct span *a)
{
	struct span k;

	while (next_member(v, cur, &k, a))
		if (!per_run_arg(*a))
			return true;
	return false;
}

/* Whether @b is of @a's matrix; 0, or 1 after one line naming both and the difference. */
static int same_matrix(const struct input *a, const struct input *b)
{
	struct span ca, cb, x, y;
	const char *pa = NULL, *pb = NULL;
	char ta[1024], tb[1024];

	if (strcmp(a->commit, b->commit)) {
		fprintf(stderr, "kmbench merge: %s and %s are of different kmbench builds: "
			"git_commit %s against %s\n", a->arg, b->arg, a->commit, b->commit);
		return 1;
	}
	get(a->ctx, "cmdline", &ca);
	get(b->ctx, "cmdline", &cb);
	for (;;) {
		bool hx = next_arg(ca, &pa, &x), hy = next_arg(cb, &pb, &y);

		if (!hx && !hy)
			break;
		if (hx && hy && x.n == y.n && !memcmp(x.p, y.p, x.n))
			continue;
		fprintf(stderr, "kmbench merge: %s and %s are not the same matrix: option %.*s "
			"against %.*s\n", a->arg, b->arg, hx ? (int)x.n : 6, hx ? x.p : "(none)",
			hy ? (int)y.n : 6, hy ? y.p : "(none)");
		return 1;
	}
	/* The options as given may resolve differently per host (--threads max, pow2; the
	 * numa-matrix and remote-free-matrix cells): the resolved thread counts and the
	 * matrix's cell count must agree too. */
	if (get(a->ctx, "options", &ca) && get(b->ctx, "options", &cb) &&
	    get(ca, "threads", &x) && get(cb, "threads", &y) &&
	    strcmp(compact(x, ta, sizeof(ta)), compact(y, tb, sizeof(tb)))) {
		fprintf(stderr, "kmbench merge: %s and %s are not the same matrix: options.threads "
			"resolved to %s against %s\n", a->arg, b->arg, ta, tb);
		return 1;
	}
	if (get(a->ctx, "shard", &ca) && get(b->ctx, "shard", &cb) &&
	    int_of(ca, "matrix_cells", -1) != int_of(cb, "matrix_cells", -1)) {
		fprintf(stderr, "kmbench merge: %s and %s are not the same matrix: %lld cells "
			"against %lld (resolved on different machines?)\n", a->arg, b->arg,
			int_of(ca, "matrix_cells", -1), int_of(cb, "matrix_cells", -1));
		return 1;
	}
	if (a->shard_count && b->shard_count && a->shard_count != b->shard_count) {
		fprintf(stderr, "kmbench merge: %s and %s are shards of different splits: %d/%d "
			"against %d/%d\n", a->arg, b->arg, a->shard_index, a->shard_count,
			b->shard_index, b->shard_count);
		return 1;
	}
	return 0;
}

static int collect_rows(struct input *ins, size_t nin, struct row **out, size_t *nrows)
{
	size_t n = 0, cap = 0;
	struct row *v = NULL;

	for (size_t i = 0; i < nin; i++) {
		const char *cur = NULL;
		struct span k, r;

		while (next_member(ins[i].rows, &cur, &k, &r)) {
			if (n == cap) {
				struct row *nv = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof(*v));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[n] = (struct row){ int_of(r, "family_index", -1), int_of(r, "threads", 0),
					     i, n, r };
			n++;
		}
	}
	if (n > 1)	/* qsort of a NULL array, even empty, is undefined */
		qsort(v, n, sizeof(*v), cmp_row);
	*out = v;
	*nrows = n;
	return 0;
}

/* Rows [a, b) of @v, one cell, as one input has them, against rows [c, d) of another. */
static bool same_rows(const struct row *v, size_t a, size_t b, size_t c, size_t d)
{
	if (b - a != d - c)
		return false;
	for (size_t i = 0; i < b - a; i++)
		if (v[a + i].text.n != v[c + i].text.n ||
		    memcmp(v[a + i].text.p, v[c + i].text.p, v[a + i].text.n))
			return false;
	return true;
}

/* The row @r, with "host" added when it has no kmbench.host. */
static void write_row(struct kmb_json *j, const struct row *r, const struct input *in)
{
	struct span m, h;
	char *text;

	if (get(r->text, "kmbench", &m) && get(m, "host", &h)) {
		kmb_json_raw(j, NULL, text = strndup(r->text.p, r->text.n));
	} else {
		size_t len = r->text.n - 1;	/* without its closing brace */

		text = malloc(len + strlen(in->host) + 16);
		if (text)
			sprintf(text, "%.*s,\"host\":\"%s\"}", (int)len, r->text.p, in->host);
		kmb_json_raw(j, NULL, text ? text : "{}");
	}
	free(text);
}

/*
 * Each backend's status: the first run's that ran it (status other than skipped: a shard with
 * none of its cells skips it), else the first run's.
 */
static void write_backends(struct kmb_json *j, const struct input *ins, size_t nin)
{
	struct span first, k, v;
	const char *cur = NULL;

	kmb_json_obj_begin(j, "backends");
	if (get(ins[0].ctx, "backends", &first)) {
		while (next_member(first, &cur, &k, &v)) {
			char name[128], st[32];
			struct span best = v;

			snprintf(name, sizeof(name), "%.*s", (int)k.n, k.p);
			for (size_t i = 0; i < nin; i++) {
				struct span b, s, w;

				if (get(ins[i].ctx, "backends", &b) && get(b, name, &s) &&
				    get(s, "status", &w) && strcmp(str_of(w, st, sizeof(st)),
								   "skipped")) {
					best = s;
					break;
				}
			}
			kmb_json_raw(j, name, strndupa(best.p, best.n));
		}
	}
	kmb_json_obj_end(j);
}

struct missing {
	size_t n;			/* cells of the matrix with no row */
	size_t matrix;			/* the matrix's cells; 0: not known (no shards) */
	char shards[256];		/* the shards not given, "2/3 4/5" */
	char cell[300];			/* the first cell missing of a shard given */
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The run_names of the cells that have rows among @v's @n (in cell order), sorted, for
 * bsearch; *@count of them.  NULL when short of memory. */
static struct span *cell_names(const struct row *v, size_t n, size_t *count)
{
	struct span *names = calloc(n ? n : 1, sizeof(*names));

	*count = 0;
	if (!names)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct span rn;

		if ((!i || v[i - 1].family != v[i].family || v[i - 1].threads != v[i].threads) &&
		    get(v[i].text, "run_name", &rn) && rn.n >= 2)
			names[(*count)++] = (struct span){ rn.p + 1, rn.n - 2 };
	}
	if (*count > 1)
		qsort(names, *count, sizeof(*names), cmp_span);
	return names;
}

/*
 * The cells of the matrix that no run has: every cell of a shard not given, and those of the
 * shards given that have no row (a backend that failed).  Written as context.merged.missing
 * and said on stderr, at most a few by name.
 */
static void write_missing(struct kmb_json *j, const struct input *ins, size_t nin,
			  const struct row *v, size_t n, struct missing *ms)
{
	int count = 0;
	size_t have = 0, nnames = 0;
	struct span *names;
	bool given[KMB_MAX_SHARDS + 1] = { false };
	struct span sh, cells, k, c;

	for (size_t i = 0; i < nin; i++) {
		if (!ins[i].shard_count)
			return;		/* an unsharded run: its cells are not listed */
		count = ins[i].shard_count;
		given[ins[i].shard_index] = true;
		if (get(ins[i].ctx, "shard", &sh))
			ms->matrix = (size_t)int_of(sh, "matrix_cells", 0);
	}
	kmb_json_arr_begin(j, "missing_shards");
	for (int s = 1; s <= count && s <= KMB_MAX_SHARDS; s++)
		if (!given[s]) {
			char name[32];

			snprintf(name, sizeof(name), "%d/%d", s, count);
			kmb_json_str(j, NULL, name);
			if (strlen(ms->shards) + strlen(name) + 2 < sizeof(ms->shards))
				strcat(strcat(ms->shards, *ms->shards ? " " : ""), name);
		}
	kmb_json_arr_end(j);
	names = cell_names(v, n, &nnames);
	kmb_json_arr_begin(j, "missing_cells");
	for (size_t i = 0; names && i < nin; i++) {
		const char *cur = NULL;

		if (!get(ins[i].ctx, "shard", &sh) || !get(sh, "cells", &cells))
			continue;
		while (next_member(cells, &cur, &k, &c)) {
			struct span key = { c.p + 1, c.n - 2 };

			if (!bsearch(&key, names, nnames, sizeof(*names), cmp_span)) {
				kmb_json_raw(j, NULL, strndupa(c.p, c.n));
				if (!*ms->cell)
					str_of(c, ms->cell, sizeof(ms->cell));
			}
		}
	}
	kmb_json_arr_end(j);
	free(names);
	for (size_t i = 0; i < n; i++)	/* the cells that have rows: v is in cell order */
		have += !i || v[i - 1].family != v[i].family || v[i - 1].threads != v[i].threads;
	ms->n = ms->matrix > have ? ms->matrix - have : 0;
	kmb_json_int(j, "matrix_cells", (long long)ms->matrix);
	kmb_json_int(j, "missing", (long long)ms->n);
}

static int usage_error(const char *what)
{
	fprintf(stderr, "kmbench merge: %s; usage: kmbench merge RUN... --out DIR [--complete] "
		"[--run-id ID], RUN a run directory or a results.json\n", what);
	return 2;
}

int kmb_run_merge(int argc, char **argv)
{
	const char *out = NULL, *run_id = NULL;
	char path[PATH_MAX], id[128], err[256];
	struct input *ins = calloc((size_t)argc + 1, sizeof(*ins));
	struct kmb_atomic_file af;
	struct missing ms = { 0 };
	struct row *v = NULL;
	size_t nin = 0, nrows = 0, written = 0;
	bool complete = false;
	struct kmb_json j;
	int status = 1;

	if (!ins)
		return 1;
	for (int i = 0; i < argc; i++) {
		const char *val;
		bool bad = false;

		if ((val = kmb_opt_value(argc, argv, &i, "--out", &bad))) {
			out = val;
		} else if ((val = kmb_opt_value(argc, argv, &i, "--run-id", &bad))) {
			run_id = val;
		} else if (bad) {
			free(ins);
			snprintf(err, sizeof(err), "%s needs a value", argv[i]);
			return usage_error(err);
		} else if (!strcmp(argv[i], "--complete")) {
			complete = true;
		} else if (argv[i][0] == '-') {
			free(ins);
			snprintf(err, sizeof(err), "unknown option '%.100s'", argv[i]);
			return usage_error(err);
		} else {
			ins[nin++].arg = argv[i];
		}
	}
	if (!out || !*out || !nin) {
		free(ins);
		return usage_error(!nin ? "no run given" : "no --out DIR given");
	}
	for (size_t i = 0; i < nin; i++)
		if (load(&ins[i]) || (i && same_matrix(&ins[0], &ins[i])))
			goto done;
	if (collect_rows(ins, nin, &v, &nrows)) {
		fprintf(stderr, "kmbench merge: %s\n", strerror(ENOMEM));
		goto done;
	}
	/* A cell in two runs: refused unless the same rows (the same run given twice). */
	for (size_t a = 0; a < nrows;) {
		size_t b = a, c, d;

		while (b < nrows && v[b].in == v[a].in && v[b].family == v[a].family &&
		       v[b].threads == v[a].threads)
			b++;
		for (c = b; c < nrows && v[c].family == v[a].family && v[c].threads == v[a].threads;
		     c = d) {
			char name[300] = "?";
			struct span rn;

			for (d = c; d < nrows && v[d].in == v[c].in && v[d].family == v[a].family &&
			     v[d].threads == v[a].threads; d++)
				;
			if (same_rows(v, a, b, c, d))
				continue;
			if (get(v[a].text, "run_name", &rn))
				str_of(rn, name, sizeof(name));
			fprintf(stderr, "kmbench merge: cell %s (family_index %lld, threads %lld) is in "
				"both %s and %s, with different rows: merge each cell once\n", name,
				v[a].family, v[a].threads, ins[v[a].in].arg, ins[v[c].in].arg);
			goto done;
		}
		ins[v[a].in].ncells++;
		a = c;
	}
	if (kmb_pathf(path, sizeof(path), "%s", out) || (mkdir(path, 0755) && errno != EEXIST) ||
	    kmb_pathf(path, sizeof(path), "%s/results.json", out) ||
	    kmb_atomic_open(&af, path)) {
		fprintf(stderr, "kmbench merge: --out %s: cannot write there: %s\n", out,
			strerror(errno));
		goto done;
	}
	if (!run_id) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(id, sizeof(id), "merged-%Y%m%dT%H%M%SZ", &tm);
		run_id = id;
	}
	kmb_json_init(&j, af.f, true);
	kmb_json_obj_begin(&j, NULL);
	kmb_json_obj_begin(&j, "context");
	{
		const char *cur = NULL;
		struct span k, val;

		while (next_member(ins[0].ctx, &cur, &k, &val)) {
			char key[128];

			snprintf(key, sizeof(key), "%.*s", (int)k.n, k.p);
			if (!strcmp(key, "shard") || !strcmp(key, "backends"))
				continue;
			if (!strcmp(key, "run_id"))
				kmb_json_str(&j, key, run_id);
			else
				kmb_json_raw(&j, key, strndupa(val.p, val.n));
		}
	}
	write_backends(&j, ins, nin);
	kmb_json_obj_begin(&j, "merged");
	kmb_json_arr_begin(&j, "hosts");
	for (size_t i = 0; i < nin; i++) {
		size_t k = 0;

		while (k < i && strcmp(ins[k].host, ins[i].host))
			k++;
		if (k == i)
			kmb_json_str(&j, NULL, ins[i].host);
	}
	kmb_json_arr_end(&j);
	kmb_json_arr_begin(&j, "runs");
	for (size_t i = 0; i < nin; i++) {
		struct span seed;

		kmb_json_obj_begin(&j, NULL);
		kmb_json_str(&j, "path", ins[i].path);
		kmb_json_str(&j, "run_id", ins[i].run_id);
		kmb_json_str(&j, "host", ins[i].host);
		if (get(ins[i].ctx, "interleave_seed", &seed))
			kmb_json_raw(&j, "interleave_seed", strndupa(seed.p, seed.n));
		if (ins[i].shard_count) {
			kmb_json_obj_begin(&j, "shard");
			kmb_json_int(&j, "index", ins[i].shard_index);
			kmb_json_int(&j, "count", ins[i].shard_count);
			kmb_json_obj_end(&j);
		}
		kmb_json_int(&j, "cells", (long long)ins[i].ncells);
		kmb_json_obj_end(&j);
	}
	kmb_json_arr_end(&j);
	write_missing(&j, ins, nin, v, nrows, &ms);
	kmb_json_obj_end(&j);
	kmb_json_obj_end(&j);
	kmb_json_arr_begin(&j, "benchmarks");
	for (size_t a = 0; a < nrows; a++) {
		/* a cell's rows from the first run that has it: the others' are the same */
		if (a && v[a].in != v[a - 1].in && v[a].family == v[a - 1].family &&
		    v[a].threads == v[a - 1].threads) {
			size_t skip = a;

			while (skip < nrows && v[skip].family == v[a].family &&
			       v[skip].threads == v[a].threads)
				skip++;
			a = skip - 1;
			continue;
		}
		write_row(&j, &v[a], &ins[v[a].in]);
		written++;
	}
	kmb_json_arr_end(&j);
	kmb_json_obj_end(&j);
	fputc('\n', af.f);
	if (ms.n) {
		fprintf(stderr, "kmbench merge: %s: %zu of the matrix's %zu cells are missing: "
			"shards not given: %s; cells of the shards given without rows: %s%s "
			"(context.merged.missing_shards, missing_cells)\n", complete ? "error" :
			"warning", ms.n, ms.matrix, *ms.shards ? ms.shards : "none",
			*ms.cell ? ms.cell : "none", *ms.cell ? " ..." : "");
		if (complete) {
			kmb_atomic_abort(&af);
			goto done;
		}
	}
	if (kmb_atomic_commit(&af)) {
		fprintf(stderr, "kmbench merge: cannot write %s: %s\n", path, strerror(errno));
		goto done;
	}
	printf("merged %zu runs, %zu rows -> %s\n", nin, written, path);
	status = 0;
done:
	for (size_t i = 0; i < nin; i++)
		free(ins[i].text);
	free(ins);
	free(v);
	return status;
}
