/*
 * options.c - the run-option table, presets, parsing and the saved `cmdline` (options.h).
 *
 * Parsing order: defaults, then the experiment (--preset NAME, default "quick", or --matrix
 * FILE and --experiment NAME), then every other option as given.  An experiment is a list of
 * ordinary options (experiment.h turns its YAML into them), parsed by the same table; an error
 * in one names its file and line.
 *
 * Backend options (-O KEY=VALUE, --backend-opt KEY=VALUE, --KEY VALUE) are not in the table:
 * the backends declare them (backend.h kmb_backend_optset), each value is parsed by its
 * backend's parser when given, and the whole set once every option is applied (check_opts).
 * Workload options (-W KEY=VALUE, --workload-opt KEY=VALUE, --KEY VALUE) go the same way,
 * declared by their workload (workload.h kmb_workload.opts), and are parsed whole into each
 * workload's option state (kmb_options.wstate).  This file knows no layer's or workload's knob.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "options.h"
#include "placement.h"
#include "policy.h"

/*
 * The presets are experiment files, harness/experiments/NAME.yaml, embedded in the binary
 * (experiment.h); the README's `kmbench run` is the quick one.
 */
#define DEFAULT_PRESET "quick"

/* What a preset leaves out: applied before it, so every option has a value. */
static const char *const base_args[] = {
	"--backends=all", "--workloads=all", "--threads=1", "--sizes=64", "--batch=100",
	"--min-time=0.1", "--repetitions=1", NULL
};

typedef int (*opt_fn)(struct kmb_options *o, const char *arg, char *err, size_t errlen);

struct opt_def {
	const char *name;
	const char *metavar;	/* NULL: takes no argument */
	const char *help;
	opt_fn parse;
};

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)
#define KMB_MAX_CPU_IDS 65536	/* OS CPU numbers looked at for kmb_wl_machine.cpu_node */

/* Copy the next comma-separated item of *s into buf; false at the end. */
static bool next_item(const char **s, char *buf, size_t len)
{
	const char *p = *s, *comma;
	size_t n;

	if (!p || !*p)
		return false;
	comma = strchr(p, ',');
	n = comma ? (size_t)(comma - p) : strlen(p);
	snprintf(buf, len, "%.*s", (int)n, p);
	*s = comma ? comma + 1 : p + n;
	return true;
}

static const char *backend_name(size_t i)
{
	return kmb_backends[i]->name;
}

static const char *workload_name(size_t i)
{
	return kmb_workloads[i]->name;
}

/*
 * parse_names - a comma-separated list of names from a registry of @n entries, or "all", into
 * registry indexes (duplicates dropped).  @what names the option's items in messages.
 */
static int parse_names(const char *arg, const char *what, size_t n,
		       const char *(*name_at)(size_t), size_t *idx, size_t *count, char *err,
		       size_t errlen)
{
	char item[64], valid[512] = "";

	for (size_t i = 0; i < n; i++)
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s",
			 i ? ", " : "", name_at(i));
	*count = 0;
	if (strcmp(arg, "all") == 0) {
		for (size_t i = 0; i < n && i < KMB_MAX_LIST; i++)
			idx[(*count)++] = i;
		return 0;
	}
	while (next_item(&arg, item, sizeof(item))) {
		size_t i = 0, j = 0;

		while (i < n && strcmp(name_at(i), item))
			i++;
		if (i == n)
			return ERR("unknown %s '%s'; valid %ss: %s (or 'all')", what, item, what,
				   valid);
		while (j < *count && idx[j] != i)
			j++;
		if (j == *count && *count < KMB_MAX_LIST)
			idx[(*count)++] = i;
	}
	if (!*count)
		return ERR("--%ss: empty list; valid %ss: %s (or 'all')", what, what, valid);
	return 0;
}

static int parse_backends(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	size_t idx[KMB_MAX_LIST];
	int r = parse_names(arg, "backend", kmb_nr_backends, backend_name, idx, &o->nbackends,
			    err, errlen);

	for (size_t i = 0; !r && i < o->nbackends; i++)
		o->backends[i] = kmb_backends[idx[i]];
	return r;
}

static int parse_workloads(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	size_t idx[KMB_MAX_LIST];
	int r = parse_names(arg, "workload", kmb_nr_workloads, workload_name, idx,
			    &o->nworkloads, err, errlen);

	for (size_t i = 0; !r && i < o->nworkloads; i++)
		o->workloads[i] = kmb_workloads[idx[i]];
	return r;
}

/* A decimal integer in [lo, hi], the whole string. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

#define THREADS_HELP "counts 1..%d, ranges like 1-4, 'max' (every usable CPU) or 'pow2' " \
	"(1, 2, 4, ... up to max)"

/* Syntax check only: 'max' and 'pow2' are resolved against the topology later. */
static int parse_threads(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char item[64];
	const char *p = arg;
	size_t n = 0;

	if (strlen(arg) >= sizeof(o->threads_spec))
		return ERR("--threads: list too long");
	while (next_item(&p, item, sizeof(item))) {
		char *dash = strchr(item, '-');
		long a, b;

		n++;
		if (strcmp(item, "max") == 0 || strcmp(item, "pow2") == 0)
			continue;
		if (dash) {
			*dash = '\0';
			if (parse_long(item, 1, KMB_MAX_THREADS, &a) ||
			    (strcmp(dash + 1, "max") && parse_long(dash + 1, a, KMB_MAX_THREADS, &b)))
				return ERR("--threads: '%s-%s' is not a range; give " THREADS_HELP,
					   item, dash + 1, KMB_MAX_THREADS);
			continue;
		}
		if (parse_long(item, 0, LONG_MAX, &a))
			return ERR("--threads: '%s' is not a thread count; give " THREADS_HELP,
				   item, KMB_MAX_THREADS);
		if (a == 0 || a > KMB_MAX_THREADS)
			return ERR("--threads: %s threads is out of range; give " THREADS_HELP,
				   item, KMB_MAX_THREADS);
	}
	if (!n)
		return ERR("--threads: empty list; give " THREADS_HELP, KMB_MAX_THREADS);
	snprintf(o->threads_spec, sizeof(o->threads_spec), "%s", arg);
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	return kmb_parse_bytes(s, KMB_MAX_SIZE, out);
}

static int parse_sizes(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char item[64];

	o->nsizes = 0;
	while (next_item(&arg, item, sizeof(item))) {
		size_t v;

		if (parse_size(item, &v))
			return ERR("--sizes: '%s' is not a size; give bytes from 1 to 1G, e.g. "
				   "64,256,4K,1M", item);
		if (o->nsizes == KMB_MAX_LIST)
			return ERR("--sizes: more than %d sizes", KMB_MAX_LIST);
		for (size_t i = 0; i < o->nsizes; i++)
			if (o->sizes[i] == v)
				return ERR("--sizes: '%s' repeats %zu bytes; give each size once",
					   item, v);
		o->sizes[o->nsizes++] = v;
	}
	if (!o->nsizes)
		return ERR("--sizes: empty list; give bytes from 1 to 1G, e.g. 64,256,4K,1M");
	return 0;
}

#define BATCH_HELP "give 1 to 1000000 objects, comma-separated, e.g. 1,100"

/* --batch 1,100: each a family of its own for the workloads with KMB_P_BATCH (matrix.c). */
static int parse_batch(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char item[64];

	o->nbatches = 0;
	while (next_item(&arg, item, sizeof(item))) {
		long v;

		if (parse_long(item, 1, 1000000, &v))
			return ERR("--batch: '%s' is not a batch size; " BATCH_HELP, item);
		for (size_t i = 0; i < o->nbatches; i++)
			if (o->batches[i] == (size_t)v)
				return ERR("--batch: %ld is given twice; give each batch once", v);
		if (o->nbatches == KMB_MAX_LIST)
			return ERR("--batch: more than %d batch sizes", KMB_MAX_LIST);
		o->batches[o->nbatches++] = (size_t)v;
	}
	if (!o->nbatches)
		return ERR("--batch: empty list; " BATCH_HELP);
	return 0;
}

static int parse_pin(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (kmb_pin_parse(arg, &o->pin))
		return ERR("--pin: unknown policy '%s'; valid policies: " KMB_PIN_SYNTAX, arg);
	return 0;
}

static int parse_numa_policy(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char why[256];

	if (kmb_mpol_parse(arg, &o->mpol, why, sizeof(why)))
		return ERR("--numa-policy: %s", why);
	return 0;
}

static int parse_min_time(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || (*end && strcmp(end, "s")) || !(v > 0) || v > 60)
		return ERR("--min-time: '%s' is not a time; give seconds above 0, at most 60, "
			   "e.g. 0.1", arg);
	o->min_time = v;
	return 0;
}

static int parse_repetitions(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	long v;

	if (parse_long(arg, 1, 1000, &v))
		return ERR("--repetitions: '%s' is not a count; give 1 to 1000", arg);
	o->repetitions = (int)v;
	return 0;
}

/* --- backend options (backend.h kmb_backend_optset): KEY=VALUE, parsed by their backend --- */

/*
 * The run options that set several backend options at once, each to the one value, in the
 * order given (the first to refuse the value names the problem).  Every backend option is a
 * run option of its own name as well (--KEY VALUE, the same as -O KEY=VALUE), so this table
 * holds only what that rule cannot say: a new knob needs no row, and no code here.
 */
static const struct {
	const char *flag, *metavar, *help;
	const char *keys[3];		/* NULL ends */
} bopt_aliases[] = {
	{ "percpu", "MODE", "both layers at once: --pcp MODE --slab-percpu MODE",
	  { "slab-percpu", "pcp", NULL } },
};
#define NR_ALIASES (sizeof(bopt_aliases) / sizeof(bopt_aliases[0]))

/*
 * The two kinds of options declared outside this file, kept alike: the backends' and the
 * workloads'.  @sets are the kind's option sets in declaration order (registry order).
 */
struct okind {
	const char *noun;			/* "backend", "workload" */
	struct kmb_backend_optval *v;		/* those given, *n of them */
	size_t *n;
	const struct kmb_backend_optset *sets[KMB_MAX_LIST];
	size_t nsets;
};

static const struct kmb_backend_optset *wl_set(size_t i)
{
	return kmb_workloads[i]->opts;
}

static struct okind okind(struct kmb_options *o, bool workload)
{
	struct okind k = { workload ? "workload" : "backend", workload ? o->wopts : o->bopts,
			   workload ? &o->nwopts : &o->nbopts, { NULL }, 0 };

	if (!workload) {
		k.nsets = kmb_backend_optsets(k.sets, KMB_MAX_LIST);
		return k;
	}
	for (size_t i = 0; i < kmb_nr_workloads && k.nsets < KMB_MAX_LIST; i++)
		if (wl_set(i))
			k.sets[k.nsets++] = wl_set(i);
	return k;
}

/* The option @key (@keylen bytes) of any set of @k, and its set into *set; NULL: none. */
static const struct kmb_backend_opt *okind_find(const struct okind *k, const char *key,
						size_t keylen, const struct kmb_backend_optset **set)
{
	for (size_t i = 0; i < k->nsets; i++) {
		const struct kmb_backend_opt *opt = kmb_optset_key(k->sets[i], key, keylen);

		if (opt) {
			*set = k->sets[i];
			return opt;
		}
	}
	return NULL;
}

/*
 * Set option @key (@keylen bytes) of kind @k to @value, as the option named @as on the command
 * line (for the message).  A key that some backend (workload) declares is parsed now, by its
 * owner, and kept as it shows it (--pcp off is kept as "none"); a key none declares is kept
 * and refused once the backends (workloads) are known (check_opts), so the message can name
 * theirs.
 */
static int set_opt(struct okind *k, const char *as, const char *key, size_t keylen,
		   const char *value, char *err, size_t errlen)
{
	const struct kmb_backend_optset *set = NULL;
	const struct kmb_backend_opt *opt = okind_find(k, key, keylen, &set);
	struct kmb_backend_optval *v = NULL;
	char why[256], shown[96];
	void *st;
	int r = 0;

	for (size_t i = 0; i < *k->n && !v; i++)
		if (k->v[i].keylen == keylen && !strncmp(k->v[i].text + 2, key, keylen))
			v = &k->v[i];
	if (!v && *k->n == KMB_MAX_BACKEND_OPTS)
		return ERR("%s: more than %d %s options", as, KMB_MAX_BACKEND_OPTS, k->noun);
	if (opt) {
		st = calloc(1, set->size);
		if (!st)
			return ERR("%s: out of memory", as);
		if (opt->parse(st, value, why, sizeof(why)))
			r = ERR("%s: %s", as, why);
		else if (opt->show)
			value = opt->show(st, shown, sizeof(shown));
		free(st);
		if (r)
			return r;
	}
	if (!v)
		v = &k->v[(*k->n)++];
	v->opt = opt;
	v->keylen = keylen;
	if ((size_t)snprintf(v->text, sizeof(v->text), "--%.*s=%s", (int)keylen, key, value) >=
	    sizeof(v->text))
		return ERR("%s: value too long", as);
	return 0;
}

/* -O KEY=VALUE, --backend-opt KEY=VALUE; -W KEY=VALUE, --workload-opt KEY=VALUE. */
static int parse_kv_opt(struct kmb_options *o, bool workload, const char *arg, char *err,
			size_t errlen)
{
	struct okind k = okind(o, workload);
	const char *eq = strchr(arg, '=');
	char as[64];

	if (!eq || eq == arg)
		return ERR("--%s-opt: '%s' is not KEY=VALUE; `kmbench list` shows each %s's "
			   "options", k.noun, arg, k.noun);
	snprintf(as, sizeof(as), "--%.*s", (int)(eq - arg), arg);
	return set_opt(&k, as, arg, (size_t)(eq - arg), eq + 1, err, errlen);
}

static int parse_backend_opt(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	return parse_kv_opt(o, false, arg, err, errlen);
}

static int parse_workload_opt(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	return parse_kv_opt(o, true, arg, err, errlen);
}

/* The options the chosen backends (workloads) take, ", "-separated, into @buf. */
static void chosen_keys(const struct kmb_options *o, const struct okind *k, char *buf,
			size_t len)
{
	bool workload = k->v == o->wopts;
	size_t nchosen = workload ? o->nworkloads : o->nbackends, n = 0;

	buf[0] = '\0';
	for (size_t s = 0; s < k->nsets; s++) {
		bool chosen = false;

		for (size_t i = 0; i < nchosen; i++)
			chosen |= (workload ? o->workloads[i]->opts : o->backends[i]->opts) ==
				  k->sets[s];
		for (size_t j = 0; chosen && j < k->sets[s]->nopt && n < len; j++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      k->sets[s]->opt[j].key);
	}
	if (!n)
		snprintf(buf, len, "none (no chosen %s takes options)", k->noun);
}

/* The run's options of @n given @v as KEY=VALUE, NULL-terminated, into @kv (at most @max - 1
 * of them; pointers into @v).  How many. */
static size_t kv_of(const struct kmb_backend_optval *v, size_t n, const char **kv, size_t max)
{
	size_t i = 0;

	for (; i < n && i + 1 < max; i++)
		kv[i] = v[i].text + 2;
	kv[i] = NULL;
	return i;
}

size_t kmb_options_backend_kv(const struct kmb_options *o, const char **kv, size_t max)
{
	return kv_of(o->bopts, o->nbopts, kv, max);
}

int kmb_options_backend_state(const struct kmb_options *o, const struct kmb_backend_optset *set,
			      void **st, char *err, size_t errlen)
{
	const char *kv[KMB_MAX_BACKEND_OPTS + 1];
	int r;

	*st = calloc(1, set->size);
	if (!*st)
		return ERR("backend options: out of memory");
	kmb_options_backend_kv(o, kv, KMB_MAX_BACKEND_OPTS + 1);
	r = kmb_backend_opts_parse(set, kv, *st, err, errlen);
	if (r) {
		free(*st);
		*st = NULL;
	}
	return r;
}

/* Where workload @i's option state lies in kmb_options.wstate: after the earlier ones', each
 * on a 16-byte boundary.  The end of the last one for @i == kmb_nr_workloads. */
static size_t wstate_offset(size_t i)
{
	size_t off = 0;

	for (size_t k = 0; k < i; k++)
		if (wl_set(k))
			off += (wl_set(k)->size + 15) & ~(size_t)15;
	return off;
}

const void *kmb_options_workload_state(const struct kmb_options *o,
				       const struct kmb_workload *w)
{
	for (size_t i = 0; i < kmb_nr_workloads; i++)
		if (kmb_workloads[i] == w)
			return w->opts ? o->wstate + wstate_offset(i) : NULL;
	return NULL;
}

/* Where @v's option is declared: its set's place in @k, then its own in the set. */
static size_t opt_rank(const struct kmb_backend_optval *v, const struct okind *k)
{
	for (size_t s = 0; s < k->nsets; s++)
		if (v->opt >= k->sets[s]->opt && v->opt < k->sets[s]->opt + k->sets[s]->nopt)
			return s * 1024 + (size_t)(v->opt - k->sets[s]->opt);
	return SIZE_MAX;
}

/*
 * Once every option is applied, for each kind: a key nobody declares is refused, naming the
 * keys of the chosen backends (workloads); the options are put in the order their owners
 * declare them, for the saved options and the results; each set of options is parsed whole,
 * for what no option can check alone (a workload's, into its state in wstate).  A key only
 * backends (workloads) not chosen declare is kept: it is theirs, unused by this run.
 */
static int check_opts(struct kmb_options *o, bool workload, char *err, size_t errlen)
{
	struct okind k = okind(o, workload);
	const char *kv[KMB_MAX_BACKEND_OPTS + 1];
	char valid[512];

	for (size_t i = 0; i < *k.n; i++) {
		if (k.v[i].opt)
			continue;
		chosen_keys(o, &k, valid, sizeof(valid));
		return ERR("unknown %s option '%.*s'; valid for the chosen %ss: %s", k.noun,
			   (int)k.v[i].keylen, k.v[i].text + 2, k.noun, valid);
	}
	for (size_t i = 1; i < *k.n; i++) {	/* insertion sort: a few options */
		struct kmb_backend_optval v = k.v[i];
		size_t j = i;

		for (; j > 0 && opt_rank(&k.v[j - 1], &k) > opt_rank(&v, &k); j--)
			k.v[j] = k.v[j - 1];
		k.v[j] = v;
	}
	if (!workload) {
		for (size_t i = 0; i < k.nsets; i++) {
			void *st;
			int r = kmb_options_backend_state(o, k.sets[i], &st, err, errlen);

			if (r)
				return r;
			free(st);
		}
		return 0;
	}
	if (wstate_offset(kmb_nr_workloads) > sizeof(o->wstate))
		return ERR("workload options: their states take %zu bytes, more than "
			   "KMB_WL_STATE_BYTES (%zu)", wstate_offset(kmb_nr_workloads),
			   sizeof(o->wstate));
	kv_of(o->wopts, o->nwopts, kv, KMB_MAX_BACKEND_OPTS + 1);
	for (size_t i = 0; i < kmb_nr_workloads; i++) {
		int r = wl_set(i) ? kmb_backend_opts_parse(wl_set(i), kv,
							   o->wstate + wstate_offset(i), err,
							   errlen)
				  : 0;

		if (r)
			return r;
	}
	return 0;
}

/* The per-CPU mode the <layer>-cpu-rseq backends force, and a backend option may ask for. */
#define RSEQ_MODE "cpu-rseq"

size_t kmb_options_rseq_asked(const struct kmb_options *o, const char **what, size_t max)
{
	size_t n = 0, sl = strlen("-" RSEQ_MODE);

	for (size_t i = 0; i < o->nbopts && n < max; i++) {
		const char *value = o->bopts[i].text + 2 + o->bopts[i].keylen + 1;

		if (strcmp(value, RSEQ_MODE) == 0)
			what[n++] = o->bopts[i].text;
	}
	for (size_t i = 0; i < o->nbackends && n < max; i++) {
		const char *name = o->backends[i]->name;
		size_t nl = strlen(name);

		if (nl > sl && strcmp(name + nl - sl, "-" RSEQ_MODE) == 0)
			what[n++] = name;
	}
	return n;
}

/* The help lines of the backend options: each set, the backends that take it, its options. */
void kmb_options_backend_help(FILE *f)
{
	const struct kmb_backend_optset *sets[KMB_MAX_LIST];
	size_t nsets = kmb_backend_optsets(sets, KMB_MAX_LIST);

	for (size_t i = 0; i < nsets; i++) {
		fprintf(f, "  %s, taken by", sets[i]->name);
		for (size_t b = 0, n = 0; b < kmb_nr_backends; b++)
			if (kmb_backends[b]->opts == sets[i])
				fprintf(f, "%s %s", n++ ? "," : "", kmb_backends[b]->name);
		fputs(":\n", f);
		for (size_t k = 0; k < sets[i]->nopt; k++) {
			const struct kmb_backend_opt *opt = &sets[i]->opt[k];
			char lhs[48];

			snprintf(lhs, sizeof(lhs), "%s=%s", opt->key, opt->metavar);
			fprintf(f, "    %-24s %s\n", lhs, opt->help);
		}
	}
}

/* The help lines of the workload options: each workload that takes some, its options. */
void kmb_options_workload_help(FILE *f)
{
	for (size_t i = 0; i < kmb_nr_workloads; i++) {
		const struct kmb_backend_optset *set = wl_set(i);

		if (!set)
			continue;
		fprintf(f, "  %s:\n", kmb_workloads[i]->name);
		for (size_t k = 0; k < set->nopt; k++) {
			char lhs[48];

			snprintf(lhs, sizeof(lhs), "%s=%s", set->opt[k].key, set->opt[k].metavar);
			fprintf(f, "    %-24s %s\n", lhs, set->opt[k].help);
		}
	}
}

static int parse_preset(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	char valid[512] = "";

	for (size_t i = 0; i < kmb_nr_shipped_experiments; i++) {
		if (strcmp(kmb_shipped_experiments[i].name, arg) == 0) {
			snprintf(o->preset, sizeof(o->preset), "%s", arg);
			return 0;
		}
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s",
			 i ? ", " : "", kmb_shipped_experiments[i].name);
	}
	return ERR("--preset: unknown preset '%s'; valid presets: %s", arg, valid);
}

static int parse_matrix(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= sizeof(o->matrix))
		return ERR("--matrix: '%s' is not a usable file name", arg);
	snprintf(o->matrix, sizeof(o->matrix), "%s", arg);
	return 0;
}

static int parse_experiment(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= sizeof(o->experiment))
		return ERR("--experiment: '%s' is not an experiment name", arg);
	snprintf(o->experiment, sizeof(o->experiment), "%s", arg);
	return 0;
}

static int parse_experiment_hash(struct kmb_options *o, const char *arg, char *err,
				 size_t errlen)
{
	char *end;

	errno = 0;
	o->exp_hash_want = strtoull(arg, &end, 16);
	if (errno || end == arg || *end || strlen(arg) != 16)
		return ERR("--experiment-hash: '%s' is not a hash; give the 16 hex digits a run's "
			   "saved options record", arg);
	o->exp_hash_given = true;
	return 0;
}

static int parse_out(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= sizeof(o->out) - 64)
		return ERR("--out: '%s' is not a usable directory name", arg);
	snprintf(o->out, sizeof(o->out), "%s", arg);
	return 0;
}

static int parse_resume(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	int r = parse_out(o, arg, err, errlen);

	o->resume = true;
	return r;
}

static int parse_quiet(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->quiet = true;
	return 0;
}

static int parse_verbose(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->verbose = true;
	return 0;
}

static int parse_dry_run(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->dry_run = true;
	return 0;
}

static int parse_no_profile(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->no_profile = true;
	return 0;
}

static int parse_callgraph(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	if (strlen(arg) >= sizeof(o->callgraph_cells))
		return ERR("--profile: '%.40s...' is too long; give at most %zu characters of "
			   "comma-separated cell patterns, e.g. --profile=churn/slab/", arg,
			   sizeof(o->callgraph_cells) - 1);
	o->callgraph = true;
	snprintf(o->callgraph_cells, sizeof(o->callgraph_cells), "%s", arg);
	return 0;
}

static int parse_no_interleave(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	o->no_interleave = true;
	return 0;
}

static int parse_seed(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	long v;

	if (parse_long(arg, 0, UINT32_MAX, &v))
		return ERR("--seed: '%s' is not a seed; give a whole number 0 to %lu", arg,
			   (unsigned long)UINT32_MAX);
	o->seed = (uint32_t)v;
	o->has_seed = true;
	return 0;
}

static int parse_run_id(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	for (const char *c = arg; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
			return ERR("--run-id: '%s' has a character other than letters, digits, '-', "
				   "'_' and '.'", arg);
	if (!*arg || strlen(arg) >= sizeof(o->run_id))
		return ERR("--run-id: give 1 to %zu characters", sizeof(o->run_id) - 1);
	snprintf(o->run_id, sizeof(o->run_id), "%s", arg);
	return 0;
}

/*
 * --shard I/N: run shard I of N of the matrix's cells (plan.h kmb_plan_shard: a split even by
 * estimated cost, the same on every host given the same options).  A shard count above
 * KMB_MAX_SHARDS is a typo, not a cluster.
 */
static int parse_shard(struct kmb_options *o, const char *arg, char *err, size_t errlen)
{
	const char *slash = strchr(arg, '/');
	char i[32];
	long a, n;

	if (!slash || (size_t)(slash - arg) >= sizeof(i))
		return ERR("--shard: '%s' is not I/N; give I/N with 1 <= I <= N <= %d, e.g. 1/4",
			   arg, KMB_MAX_SHARDS);
	snprintf(i, sizeof(i), "%.*s", (int)(slash - arg), arg);
	if (parse_long(i, LONG_MIN, LONG_MAX, &a) || parse_long(slash + 1, LONG_MIN, LONG_MAX, &n))
		return ERR("--shard: '%s' is not I/N with whole numbers; give I/N with "
			   "1 <= I <= N <= %d, e.g. 1/4", arg, KMB_MAX_SHARDS);
	if (n < 1 || n > KMB_MAX_SHARDS || a < 1 || a > n)
		return ERR("--shard: '%s' is out of range; give I/N with 1 <= I <= N <= %d, e.g. 1/4",
			   arg, KMB_MAX_SHARDS);
	o->shard_index = (int)a;
	o->shard_count = (int)n;
	return 0;
}

static const struct opt_def opts[] = {
	{ "preset", "NAME", "start from a shipped experiment (harness/experiments/NAME.yaml, "
	  "built in): quick (default), full, smoke, ci, pages, fragment, slab, slab-scale, ctor, "
	  "mix, percpu, falseshare, remotefree, server, mempool, vmalloc, numa, trace",
	  parse_preset },
	{ "matrix", "FILE", "start from an experiment file (docs/experiments.md) instead; with "
	  "several experiments and no --experiment, each runs into OUT/NAME", parse_matrix },
	{ "experiment", "NAME", "the experiment of the --matrix file (or preset) to run",
	  parse_experiment },
	{ "experiment-hash", "HEX", "the hash of the experiment file's text that a run's saved "
	  "options record; a file that no longer has it is refused", parse_experiment_hash },
	{ "backends", "LIST", "backends, comma-separated, or 'all'", parse_backends },
	{ "workloads", "LIST", "workloads, comma-separated, or 'all'", parse_workloads },
	{ "threads", "SPEC", "thread counts: 1,2,4 | 1-8 | max | pow2", parse_threads },
	{ "sizes", "LIST", "object sizes in bytes: 16,64,4K,1M", parse_sizes },
	{ "batch", "LIST", "objects live per thread before they are freed (churn), one family "
	  "each: 1 is the hot pair", parse_batch },
	{ "pin", "POLICY", "thread pinning: compact (default: consecutive PUs, a core's SMT "
	  "siblings first), scatter (round robin over packages, then cores), spread (round robin "
	  "over the nodes with CPUs), node:N (node N's CPUs only), none; all but compact take one "
	  "PU on every core before any SMT sibling", parse_pin },
	{ "numa-policy", "POLICY", "node policy of every allocation: local, node:N, remote, "
	  "preferred:N, bind:LIST, interleave[:LIST] (default: none, each allocator's own)",
	  parse_numa_policy },
	{ "min-time", "SECONDS", "minimum time of each run", parse_min_time },
	{ "repetitions", "N", "repetitions of each run", parse_repetitions },
	{ "backend-opt", "KEY=VALUE", "a backend option, as -O KEY=VALUE or --KEY VALUE; "
	  "repeatable (below, and `kmbench list`)", parse_backend_opt },
	{ "workload-opt", "KEY=VALUE", "a workload option, as -W KEY=VALUE or --KEY VALUE; "
	  "repeatable (below, and `kmbench list`)", parse_workload_opt },
	{ "out", "DIR", "run directory (default results/runs/<run-id>)", parse_out },
	{ "resume", "DIR", "complete an interrupted run in DIR with its saved options", parse_resume },
	{ "run-id", "ID", "identifier of the run (default <time>-<host>-<pid>)", parse_run_id },
	{ "shard", "I/N", "run only shard I of N of the matrix's cells, split evenly by estimated "
	  "time, the same split on every host; join the shards with `kmbench merge`", parse_shard },
	{ "quiet", NULL, "no progress: only the run's first and last lines", parse_quiet },
	{ "verbose", NULL, "Google Benchmark's console tables as well as the progress", parse_verbose },
	{ "no-profile", NULL, "no profile pass: no latency percentiles, peak RSS or memory "
	  "timeline in the rows (they cost about 1/8 of --min-time a cell)", parse_no_profile },
	{ "profile", "[=CELLS]", "perf call graphs (perf record -g) of every cell, or of the "
	  "cells CELLS names (comma-separated; a pattern with * ? [ matches the whole "
	  "<family>/threads:N, any other a part of it), in an extra run of each after its "
	  "repetitions: folded stacks and top functions in OUT/profiles", parse_callgraph },
	{ "seed", "N", "seed of the random order of the repetitions (default: drawn, and "
	  "recorded in the results as context.interleave_seed)", parse_seed },
	{ "no-interleave", NULL, "each cell's repetitions one after another, cells in family "
	  "order, instead of every repetition of the backend in a seeded random order",
	  parse_no_interleave },
	{ "dry-run", NULL, "print the plan (cells, pinning, estimated time) and run nothing: "
	  "the same as `kmbench plan`", parse_dry_run },
};
#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

/*
 * A backend or workload option whose key is the name of a run option, an alias, or an option
 * of the other kind could not be given as --KEY: the run option (or the other) would take it.
 * Refused on every parse, so no such key ships.
 */
static int check_shadowed(struct kmb_options *o, char *err, size_t errlen)
{
	struct okind kinds[2] = { okind(o, false), okind(o, true) };

	for (size_t w = 0; w < 2; w++) {
		for (size_t k = 0; k < kinds[w].nsets; k++) {
			const struct kmb_backend_optset *set = kinds[w].sets[k], *other;

			for (size_t j = 0; j < set->nopt; j++) {
				const char *key = set->opt[j].key;
				bool taken = okind_find(&kinds[!w], key, strlen(key), &other);

				for (size_t i = 0; i < NR_OPTS; i++)
					taken |= !strcmp(opts[i].name, key);
				for (size_t i = 0; i < NR_ALIASES; i++)
					taken |= !strcmp(bopt_aliases[i].flag, key);
				if (taken)
					return ERR("%s option '%s' (%s) has the name of a run option "
						   "or of a %s option; rename it", kinds[w].noun,
						   key, set->name, kinds[!w].noun);
			}
		}
	}
	return 0;
}

void kmb_options_help(FILE *f)
{
	char lhs[48];

	for (size_t i = 0; i < NR_OPTS; i++) {
		snprintf(lhs, sizeof(lhs), "--%s%s%s", opts[i].name,
			 opts[i].metavar && opts[i].metavar[0] != '[' ? " " : "",
			 opts[i].metavar ? opts[i].metavar : "");
		fprintf(f, "  %-24s %s\n", lhs, opts[i].help);
	}
	for (size_t i = 0; i < NR_ALIASES; i++) {
		snprintf(lhs, sizeof(lhs), "--%s %s", bopt_aliases[i].flag, bopt_aliases[i].metavar);
		fprintf(f, "  %-24s %s\n", lhs, bopt_aliases[i].help);
	}
	fprintf(f, "\nbackend options (-O KEY=VALUE, --backend-opt KEY=VALUE or --KEY VALUE), each "
		"parsed by the backends that take it:\n");
	kmb_options_backend_help(f);
	fprintf(f, "\nworkload options (-W KEY=VALUE, --workload-opt KEY=VALUE or --KEY VALUE), "
		"each parsed by its workload:\n");
	kmb_options_workload_help(f);
}

/* The options that say where the experiment comes from: applied in the first pass. */
static bool is_source(const struct opt_def *def)
{
	return def->parse == parse_preset || def->parse == parse_matrix ||
	       def->parse == parse_experiment || def->parse == parse_experiment_hash;
}

/*
 * One option: "--name=value", "--name value", "-O KEY=VALUE" or "-W KEY=VALUE"; *used is how
 * many argv entries it took.  The name is a run option of the table, an alias (bopt_aliases),
 * or a backend or workload option's key.  The first pass applies where the experiment comes
 * from (is_source); the second everything else.
 */
static int apply_one(struct kmb_options *o, int argc, char **argv, int *used, bool preset_pass,
		     char *err, size_t errlen)
{
	const char *a = argv[0], *eq, *val = NULL, *metavar = NULL;
	const struct kmb_backend_optset *set;
	const struct kmb_backend_opt *key = NULL;
	const struct opt_def *def = NULL;
	struct okind kinds[2] = { okind(o, false), okind(o, true) }, *kind = NULL;
	size_t n, alias = NR_ALIASES;
	char name[64], valid[1024] = "";

	*used = 1;
	if (strncmp(a, "-O", 2) == 0 || strncmp(a, "-W", 2) == 0) {	/* -O KEY=VALUE, -OKEY=VALUE */
		if (!a[2] && argc < 2)
			return ERR("%.2s needs a value (KEY=VALUE)", a);
		*used = a[2] ? 1 : 2;
		return preset_pass ? 0 : parse_kv_opt(o, a[1] == 'W', a[2] ? a + 2 : argv[1], err,
						      errlen);
	}
	if (strncmp(a, "--", 2) != 0)
		return ERR("unexpected argument '%s'; options start with --", a);
	a += 2;
	eq = strchr(a, '=');
	n = eq ? (size_t)(eq - a) : strlen(a);
	snprintf(name, sizeof(name), "%.*s", (int)n, a);
	for (size_t i = 0; i < NR_OPTS && !def; i++)
		if (strcmp(opts[i].name, name) == 0)
			def = &opts[i];
	for (size_t i = 0; i < NR_ALIASES && !def && alias == NR_ALIASES; i++)
		if (strcmp(bopt_aliases[i].flag, name) == 0)
			alias = i;
	if (def)
		metavar = def->metavar;
	else if (alias < NR_ALIASES)
		metavar = bopt_aliases[alias].metavar;
	for (size_t k = 0; k < 2 && !def && alias == NR_ALIASES && !key && n; k++)
		if ((key = okind_find(&kinds[k], name, n, &set)))
			kind = &kinds[k];
	if (key)
		metavar = key->metavar;
	if (!def && alias == NR_ALIASES && !key) {
		size_t len = 0;

		for (size_t i = 0; i < NR_OPTS && len < sizeof(valid); i++)
			len += (size_t)snprintf(valid + len, sizeof(valid) - len, "%s--%s",
						i ? ", " : "", opts[i].name);
		for (size_t i = 0; i < NR_ALIASES && len < sizeof(valid); i++)
			len += (size_t)snprintf(valid + len, sizeof(valid) - len, ", --%s",
						bopt_aliases[i].flag);
		return ERR("unknown option '--%s'; valid options: %s, and the backend and workload "
			   "options (--KEY VALUE; `kmbench help` lists them)", name, valid);
	}
	if (metavar && metavar[0] == '[') {	/* an optional value, only as --NAME=VALUE */
		if (eq && !eq[1])
			return ERR("--%s=: an empty value; give --%s alone, or --%s=%.*s", name,
				   name, name, (int)strcspn(metavar + 2, "]"), metavar + 2);
		val = eq ? eq + 1 : "";
	} else if (metavar) {
		if (eq) {
			val = eq + 1;
		} else if (argc > 1) {
			val = argv[1];
			*used = 2;
		} else {
			return ERR("--%s needs a value (%s)", name, metavar);
		}
	} else if (eq) {
		return ERR("--%s takes no value", name);
	}
	if (preset_pass != (def && is_source(def)))
		return 0;
	if (def)
		return def->parse(o, val, err, errlen);
	snprintf(valid, sizeof(valid), "--%s", name);	/* the name as given, for messages */
	if (kind)
		return set_opt(kind, valid, name, n, val, err, errlen);
	for (size_t i = 0; bopt_aliases[alias].keys[i]; i++) {
		const char *k = bopt_aliases[alias].keys[i];
		int r = set_opt(&kinds[0], valid, k, strlen(k), val, err, errlen);

		if (r)
			return r;
	}
	return 0;
}

static int apply_all(struct kmb_options *o, int argc, char **argv, bool preset_pass, char *err,
		     size_t errlen)
{
	for (int i = 0; i < argc;) {
		int used, r = apply_one(o, argc - i, argv + i, &used, preset_pass, err, errlen);

		if (r)
			return r;
		i += used;
	}
	return 0;
}

/* The experiment's text: from @o->exp_source (a run's copy), the --matrix file or the
 * preset.  0, or an error with one line in err. */
static int exp_open(const struct kmb_options *o, struct kmb_exp_file *f, char *err,
		    size_t errlen)
{
	if (o->exp_source[0])
		return kmb_exp_read(f, o->exp_source, err, errlen);
	if (o->matrix[0])
		return kmb_exp_read(f, o->matrix, err, errlen);
	return kmb_exp_preset(f, o->preset, err, errlen);
}

/*
 * Apply experiment @e of file @f: each of its arguments by the table, as if given on the
 * command line; a message gets the file and line in front of the option's own ("--sizes:
 * ..." becomes "FILE:9: sizes: ...").  A backend or workload option no backend (workload)
 * declares is refused here, where its line is known.
 */
static int apply_experiment(struct kmb_options *o, const struct kmb_exp_file *f,
			    const struct kmb_experiment *e, char *err, size_t errlen)
{
	char why[768];

	for (size_t i = 0; i < e->nargs; i++) {
		const struct kmb_exp_arg *a = &e->args[i];
		char *argv[] = { a->text };
		int used, r = apply_one(o, 1, argv, &used, false, why, sizeof(why));
		bool workload = a->text[1] == 'W';
		struct okind k = okind(o, workload);
		const char *eq = strchr(a->text, '=');

		if (r)
			return ERR("%s:%d: %s", f->shown, a->line,
				   strncmp(why, "--", 2) ? why : why + 2);
		if (a->text[1] == '-' || !eq)
			continue;
		for (size_t j = 0; j < *k.n; j++) {
			const struct kmb_backend_optval *v = &k.v[j];
			size_t len = (size_t)(eq - a->text - 2), n = 0;

			if (v->opt || v->keylen != len || strncmp(v->text + 2, a->text + 2, len))
				continue;
			why[0] = '\0';
			for (size_t s = 0; s < k.nsets; s++)
				for (size_t q = 0; q < k.sets[s]->nopt && n < sizeof(why); q++)
					n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%s",
							      n ? ", " : "", k.sets[s]->opt[q].key);
			return ERR("%s:%d: %s: unknown %s option '%.*s' in experiment '%s'; valid: %s",
				   f->shown, a->line, a->key, k.noun, (int)len, a->text + 2,
				   e->name, why);
		}
	}
	return 0;
}

/*
 * Open the experiment, check it against what a saved run recorded, choose the experiment
 * and apply it.  With several and no --experiment, only their names are kept (options.h).
 */
static int apply_source(struct kmb_options *o, char *err, size_t errlen)
{
	struct kmb_exp_file f;
	const struct kmb_experiment *e = NULL;
	int r = exp_open(o, &f, err, errlen);

	if (r)
		goto out;
	o->exp_hash = f.hash;
	if (o->exp_hash_given && o->exp_hash_want != f.hash) {
		r = ERR("%s: its text has changed since the run that recorded --experiment-hash "
			"%016llx (now %016llx); the run's saved options are its own, or rerun "
			"with the file as it is now without --experiment-hash", f.shown,
			(unsigned long long)o->exp_hash_want, (unsigned long long)f.hash);
		goto out;
	}
	o->nexperiments = 0;
	for (size_t i = 0; i < f.nexp && i < KMB_MAX_LIST; i++)
		snprintf(o->exp_names[o->nexperiments++], KMB_EXP_NAME_MAX, "%s", f.exp[i].name);
	if (o->experiment[0]) {
		e = kmb_exp_find(&f, o->experiment, err, errlen);
		if (!e) {
			r = -EINVAL;
			goto out;
		}
	} else if (f.nexp == 1) {
		e = &f.exp[0];
	} else {
		goto out;	/* several: the caller runs each */
	}
	snprintf(o->experiment, sizeof(o->experiment), "%s", e->name);
	snprintf(o->exp_description, sizeof(o->exp_description), "%s", e->description);
	if (e->check.given)
		o->check = e->check;
	if (!o->check.reference[0]) {
		snprintf(o->check.reference, sizeof(o->check.reference), KMB_CHECK_REFERENCE);
	} else if (!kmb_backend_find(o->check.reference)) {
		r = ERR("%s:%d: check: reference: unknown backend '%s'; give one of the "
			"experiment's backends, e.g. glibc (`kmbench list` lists them)", f.shown,
			o->check.reference_line, o->check.reference);
		goto out;
	}
	r = apply_experiment(o, &f, e, err, errlen);
out:
	kmb_exp_free(&f);
	return r;
}

static int options_parse(struct kmb_options *o, int argc, char **argv, const char *source,
			 char *err, size_t errlen)
{
	int r, n = 0;

	memset(o, 0, sizeof(*o));
	o->pin = (struct kmb_pin){ KMB_PIN_COMPACT, -1 };
	kmb_exp_check_defaults(&o->check);
	if (source)
		snprintf(o->exp_source, sizeof(o->exp_source), "%s", source);
	r = apply_all(o, argc, argv, true, err, errlen);
	if (r)
		return r;
	if (o->preset[0] && o->matrix[0])
		return ERR("--preset %s and --matrix %s: give one of them (a preset is a shipped "
			   "experiment file)", o->preset, o->matrix);
	if (!o->matrix[0] && !o->preset[0])
		snprintf(o->preset, sizeof(o->preset), DEFAULT_PRESET);
	while (base_args[n])
		n++;
	r = apply_all(o, n, (char **)base_args, false, err, errlen);
	if (r)
		return r;
	r = apply_source(o, err, errlen);
	if (r)
		return r;
	r = apply_all(o, argc, argv, false, err, errlen);
	if (r)
		return r;
	r = check_shadowed(o, err, errlen);
	if (!r)
		r = check_opts(o, false, err, errlen);
	return r ? r : check_opts(o, true, err, errlen);
}

int kmb_options_parse(struct kmb_options *o, int argc, char **argv, char *err, size_t errlen)
{
	return options_parse(o, argc, argv, NULL, err, errlen);
}

/* The OS numbers of the nodes with CPUs, ascending, into @out; how many. */
static int cpu_nodes(const struct kmb_topo *t, int *out)
{
	int n = 0;

	for (int i = 0; i < kmb_topo_num_nodes(t); i++) {
		int os = kmb_topo_node_os_index(t, i), j;

		if (!kmb_topo_node_num_cpus(t, i) || os < 0 || os >= KMB_MPOL_MAX_NODES)
			continue;
		for (j = n++; j > 0 && out[j - 1] > os; j--)
			out[j] = out[j - 1];
		out[j] = os;
	}
	return n;
}

/*
 * Each selected workload's options against the machine (kmb_workload.resolve): the nodes with
 * CPUs, the node of every CPU, and the run's plan at its largest thread count (@plan, @nplan).
 */
static int resolve_workloads(struct kmb_options *o, const struct kmb_topo *t, const int *plan,
			     int nplan, char *err, size_t errlen)
{
	int ys[KMB_MPOL_MAX_NODES], ny = cpu_nodes(t, ys), ncpu = 0, *node;
	int r = 0;

	for (int c = 0, seen = 0; seen < kmb_topo_num_pus(t) && c < KMB_MAX_CPU_IDS; c++)
		if (kmb_topo_cpu_to_node(t, c) >= 0)
			seen++, ncpu = c + 1;
	node = calloc((size_t)ncpu + 1, sizeof(int));
	if (!node)
		return ERR("out of memory");
	for (int c = 0; c < ncpu; c++)
		node[c] = kmb_topo_cpu_to_node(t, c);
	struct kmb_wl_machine m = { ys, ny, node, ncpu, plan, nplan };

	for (size_t i = 0; i < o->nworkloads && !r; i++) {
		const struct kmb_workload *w = o->workloads[i];

		if (w->resolve)
			r = w->resolve((void *)kmb_options_workload_state(o, w), &m, err, errlen);
	}
	free(node);
	return r;
}

static int add_thread(struct kmb_options *o, long v)
{
	for (size_t i = 0; i < o->nthreads; i++)
		if (o->threads[i] == v)
			return 0;
	if (o->nthreads == KMB_MAX_LIST)
		return -E2BIG;
	o->threads[o->nthreads++] = (int)v;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int kmb_options_resolve(struct kmb_options *o, const struct kmb_topo *t, char *err, size_t errlen)
{
	int max = kmb_topo_num_pus(t), plan[KMB_MAX_THREADS];
	const char *p = o->threads_spec;
	char item[64];

	o->nthreads = 0;
	while (next_item(&p, item, sizeof(item))) {
		char *dash = strchr(item, '-');
		long a = 0, b = 0;
		int r = 0;

		if (strcmp(item, "max") == 0) {
			r = add_thread(o, max);
		} else if (strcmp(item, "pow2") == 0) {
			for (long v = 1; v < max && !r; v *= 2)
				r = add_thread(o, v);
			if (!r)
				r = add_thread(o, max);
		} else if (dash) {
			*dash = '\0';
			parse_long(item, 1, KMB_MAX_THREADS, &a);
			b = strcmp(dash + 1, "max") ? strtol(dash + 1, NULL, 10) : max;
			for (long v = a; v <= b && !r; v++)
				r = add_thread(o, v);
		} else {
			parse_long(item, 1, KMB_MAX_THREADS, &a);
			r = add_thread(o, a);
		}
		if (r)
			return ERR("--threads: '%s' gives more than %d thread counts",
				   o->threads_spec, KMB_MAX_LIST);
	}
	qsort(o->threads, o->nthreads, sizeof(int), cmp_int);
	for (size_t i = 0; i < o->nthreads; i++) {
		if (o->threads[i] > KMB_MAX_THREADS)
			return ERR("--threads: %d threads is out of range; give " THREADS_HELP,
				   o->threads[i], KMB_MAX_THREADS);
		int r = kmb_topo_pin_plan(t, &o->pin, o->threads[i], plan, err, errlen);

		if (r)
			return r;
	}
	if (o->mpol.mode != KMB_MPOL_DEFAULT) {
		char why[400];
		int r = kmb_mpol_check(&o->mpol, why, sizeof(why));

		if (r) {
			snprintf(err, errlen, "--numa-policy %s", why);
			return r;
		}
	}
	return resolve_workloads(o, t, plan, o->threads[o->nthreads - 1], err, errlen);
}

int kmb_options_save(const struct kmb_options *o, const char *path)
{
	struct kmb_atomic_file af;
	char pin[32];
	int r = kmb_atomic_open(&af, path);

	if (r)
		return r;
	if (o->matrix[0])
		fprintf(af.f, "--matrix=%s\n", o->matrix);
	else
		fprintf(af.f, "--preset=%s\n", o->preset);
	if (o->experiment[0])
		fprintf(af.f, "--experiment=%s\n", o->experiment);
	fprintf(af.f, "--experiment-hash=%016llx\n--backends=", (unsigned long long)o->exp_hash);
	for (size_t i = 0; i < o->nbackends; i++)
		fprintf(af.f, "%s%s", i ? "," : "", o->backends[i]->name);
	fprintf(af.f, "\n--workloads=");
	for (size_t i = 0; i < o->nworkloads; i++)
		fprintf(af.f, "%s%s", i ? "," : "", o->workloads[i]->name);
	fprintf(af.f, "\n--threads=%s\n--sizes=", o->threads_spec);
	for (size_t i = 0; i < o->nsizes; i++)
		fprintf(af.f, "%s%zu", i ? "," : "", o->sizes[i]);
	fprintf(af.f, "\n--batch=");
	for (size_t i = 0; i < o->nbatches; i++)
		fprintf(af.f, "%s%zu", i ? "," : "", o->batches[i]);
	fprintf(af.f, "\n--pin=%s\n--min-time=%.17g\n--repetitions=%d\n--out=%s\n",
		kmb_pin_format(&o->pin, pin, sizeof(pin)), o->min_time, o->repetitions, o->out);
	fprintf(af.f, "--run-id=%s\n", o->run_id);
	if (o->no_profile)
		fprintf(af.f, "--no-profile\n");
	if (o->callgraph)
		fprintf(af.f, "--profile%s%s\n", *o->callgraph_cells ? "=" : "",
			o->callgraph_cells);	/* --profile= alone is refused: an empty list */
	if (o->has_seed)
		fprintf(af.f, "--seed=%lu\n", (unsigned long)o->seed);
	if (o->no_interleave)
		fprintf(af.f, "--no-interleave\n");
	if (o->shard_count)	/* a --resume of a shard keeps its shard */
		fprintf(af.f, "--shard=%d/%d\n", o->shard_index, o->shard_count);
	/* The backend and workload options given, as --KEY=VALUE (an absent one is its default),
	 * in the order their owners declare them (check_opts): the same options give the same
	 * file. */
	for (size_t i = 0; i < o->nbopts; i++)
		fprintf(af.f, "%s\n", o->bopts[i].text);
	for (size_t i = 0; i < o->nwopts; i++)
		fprintf(af.f, "%s\n", o->wopts[i].text);
	if (o->mpol.mode != KMB_MPOL_DEFAULT) {
		char pol[256];

		fprintf(af.f, "--numa-policy=%s\n", kmb_mpol_format(&o->mpol, pol, sizeof(pol)));
	}
	return kmb_atomic_commit(&af);
}

/*
 * The saved options are every effective option, so they alone give the run again; the
 * experiment they name is read from the run directory's copy (KMB_EXP_COPY) where there is
 * one, so a file edited or moved since, or a binary with other presets, changes nothing.
 */
int kmb_options_load(struct kmb_options *o, const char *path, char *err, size_t errlen)
{
	char *text, *save, *line, *args[64], copy[PATH_MAX], *slash;
	int n = 0, r = kmb_read_file(path, &text, NULL);

	if (r)
		return ERR("cannot read saved options %s: %s", path, strerror(-r));
	snprintf(copy, sizeof(copy), "%s", path);
	slash = strrchr(copy, '/');
	snprintf(slash ? slash + 1 : copy, sizeof(copy) - (size_t)(slash ? slash + 1 - copy : 0),
		 "%s", KMB_EXP_COPY);
	for (line = strtok_r(text, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save))
		args[n++] = line;
	r = options_parse(o, n, args, access(copy, R_OK) ? NULL : copy, err, errlen);
	free(text);
	return r;
}

int kmb_options_exp_save(const struct kmb_options *o, const char *path)
{
	struct kmb_atomic_file af;
	struct kmb_exp_file f;
	char err[512];
	int r = exp_open(o, &f, err, sizeof(err));

	if (r) {
		kmb_exp_free(&f);
		return r < 0 ? r : -EINVAL;
	}
	if (!strcmp(path, o->exp_source)) {	/* --resume: the copy is the source */
		kmb_exp_free(&f);
		return 0;
	}
	r = kmb_atomic_open(&af, path);
	if (!r) {
		fwrite(f.text, 1, f.len, af.f);
		r = kmb_atomic_commit(&af);
	}
	kmb_exp_free(&f);
	return r;
}

/* The value of option @name at argv[*i] ("--name=V" or "--name V"), or NULL when argv[*i] is
 * not that option; *bad when it lacks its value. */
const char *kmb_opt_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}
