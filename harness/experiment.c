/*
 * experiment.c - experiment files (experiment.h, docs/experiments.md): YAML into run
 * arguments, each with its line.
 *
 * libyaml's document loader (yaml_parser_load) builds the node tree with each node's position,
 * so every message can name a line; it keeps a mapping's pairs in the order written and does
 * not refuse a repeated key, so this file does (YAML 1.2, section 3.2.1.1: keys are unique).
 * Scalars are taken as written: "off" stays the string off, never YAML 1.1's false, and 1K
 * stays 1K, since each option's own parser reads the value (the Python loader,
 * report/kmb_experiments.py, turns what yaml.safe_load makes back into that text).
 *
 * One key is not a run option: `check` (experiment.h struct kmb_exp_check), how `kmbench check`
 * compares a run of the experiment with a baseline.  Its values are checked here, where their
 * lines are known, all but the reference's backend name, which options.c checks.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "experiment.h"
#include "json.h"

enum key_type { K_NAME, K_DESCRIPTION, K_SCALAR, K_LIST, K_MAP, K_CHECK };

/* The keys of an experiment, in the order the docs list them; each maps onto a run option. */
static const struct {
	const char *key;
	enum key_type type;
	const char *option;	/* "--backends", or "-O"/"-W" for the option maps */
} keys[] = {
	{ "name", K_NAME, NULL },
	{ "description", K_DESCRIPTION, NULL },
	{ "backends", K_LIST, "--backends" },
	{ "workloads", K_LIST, "--workloads" },
	{ "sizes", K_LIST, "--sizes" },
	{ "batch", K_LIST, "--batch" },
	{ "threads", K_LIST, "--threads" },
	{ "min_time", K_SCALAR, "--min-time" },
	{ "repetitions", K_SCALAR, "--repetitions" },
	{ "pin", K_SCALAR, "--pin" },
	{ "numa_policy", K_SCALAR, "--numa-policy" },
	{ "backend_options", K_MAP, "-O" },
	{ "workload_options", K_MAP, "-W" },
	{ "check", K_CHECK, NULL },	/* not a run option: what `kmbench check` compares by */
};

const char *const kmb_check_metric_names[KMB_CHECK_NR_METRICS] = {
	[KMB_CHECK_REAL_TIME] = "real_time",
	[KMB_CHECK_CPU_TIME] = "cpu_time",
};

/* The keys of the check mapping, in the order the docs list them. */
static const char *const check_keys[] = { "reference", "alpha", "tolerance" };
#define NR_CHECK_KEYS (sizeof(check_keys) / sizeof(check_keys[0]))
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

#define LINE(n) ((int)(n)->start_mark.line + 1)

/* One line into err: "FILE:LINE: ..." (no line when @line is 0); -EINVAL. */
static int fail(const struct kmb_exp_file *f, int line, char *err, size_t errlen,
		const char *fmt, ...)
{
	size_t n = line ? (size_t)snprintf(err, errlen, "%s:%d: ", f->shown, line)
			: (size_t)snprintf(err, errlen, "%s: ", f->shown);
	va_list ap;

	va_start(ap, fmt);
	if (n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

uint64_t kmb_exp_hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

static const char *node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "a mapping" :
	       n->type == YAML_SEQUENCE_NODE ? "a list" : "a value";
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Append @s to the growing string *buf (*len bytes used); -ENOMEM. */
static int append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *p = realloc(*buf, *len + n + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p + *len, s, n + 1);
	*buf = p;
	*len += n;
	return 0;
}

/*
 * The value of key @key (node @v) as option text: a value as written, a list's values joined
 * with commas.  A list is refused where @list is false, a mapping always (with @what, the key
 * as the message names it).
 */
static int value_text(struct kmb_exp_file *f, yaml_document_t *d, yaml_node_t *v, bool list,
		      const char *what, const char *exp, char **out, char *err, size_t errlen)
{
	size_t len = 0;

	*out = NULL;
	if (v->type == YAML_SCALAR_NODE)
		return append(out, &len, scalar(v)) ? -ENOMEM : 0;
	if (v->type == YAML_SEQUENCE_NODE && list) {
		if (append(out, &len, ""))
			return -ENOMEM;
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     i < v->data.sequence.items.top; i++) {
			yaml_node_t *item = yaml_document_get_node(d, *i);

			if (item->type != YAML_SCALAR_NODE) {
				free(*out);
				*out = NULL;
				return fail(f, LINE(item), err, errlen, "%s: %s in the list of "
					    "experiment '%s'; give values, e.g. [8, 64, 1K]", what,
					    node_kind(item), exp);
			}
			if ((len && append(out, &len, ",")) || append(out, &len, scalar(item)))
				return -ENOMEM;
		}
		return 0;
	}
	return fail(f, LINE(v), err, errlen, "%s: %s where %s is wanted in experiment '%s'",
		    what, node_kind(v), list ? "a value or a list of values" : "a single value",
		    exp);
}

/* Append "@opt=@value" (or "@opt@value" for -O/-W) to @e's arguments. */
static int add_arg(struct kmb_experiment *e, const char *opt, const char *key, const char *kv,
		   int line)
{
	struct kmb_exp_arg *a = realloc(e->args, (e->nargs + 1) * sizeof(*a));
	bool flag = opt[1] != '-';

	if (!a)
		return -ENOMEM;
	e->args = a;
	a = &e->args[e->nargs];
	if (asprintf(&a->text, "%s%s%s", opt, flag ? "" : "=", kv) < 0)
		return -ENOMEM;
	a->key = key;
	a->line = line;
	e->nargs++;
	return 0;
}

/* backend_options / workload_options: a mapping of option keys to values (or lists). */
static int parse_optmap(struct kmb_exp_file *f, yaml_document_t *d, struct kmb_experiment *e,
			size_t k, yaml_node_t *map, char *err, size_t errlen)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(f, LINE(map), err, errlen, "%s: %s where a mapping (KEY: VALUE) is "
			    "wanted in experiment '%s'", keys[k].key, node_kind(map), e->name);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);
		yaml_node_t *vn = yaml_document_get_node(d, p->value);
		char what[160], *val, *kv;
		int r;

		if (kn->type != YAML_SCALAR_NODE)
			return fail(f, LINE(kn), err, errlen, "%s: %s as a key in experiment '%s'",
				    keys[k].key, node_kind(kn), e->name);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(d, q->key)), scalar(kn)))
				return fail(f, LINE(kn), err, errlen, "%s: key '%s' given twice "
					    "in experiment '%s' (first at line %d)", keys[k].key,
					    scalar(kn), e->name,
					    LINE(yaml_document_get_node(d, q->key)));
		snprintf(what, sizeof(what), "%s: %s", keys[k].key, scalar(kn));
		r = value_text(f, d, vn, true, what, e->name, &val, err, errlen);
		if (r)
			return r;
		r = asprintf(&kv, "%s=%s", scalar(kn), val) < 0 ? -ENOMEM : 0;
		free(val);
		if (!r) {
			r = add_arg(e, keys[k].option, keys[k].key, kv, LINE(kn));
			free(kv);
		}
		if (r)
			return r;
	}
	return 0;
}

void kmb_exp_check_defaults(struct kmb_exp_check *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->reference, sizeof(c->reference), "%s", KMB_CHECK_REFERENCE);
	c->alpha = KMB_CHECK_ALPHA;
	for (int m = 0; m < KMB_CHECK_NR_METRICS; m++)
		c->tolerance[m] = m == KMB_CHECK_REAL_TIME ? KMB_CHECK_TOLERANCE : -1;
}

/* A number that is the whole of @s, decimal digits, point and exponent only (no hex, inf or
 * nan: report/kmb_experiments.py reads the same), into *v. */
static bool whole_number(const char *s, double *v)
{
	char *end;

	if (!*s || s[strspn(s, "0123456789.eE+-")])
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return end != s && !*end && !errno;
}

/* check: tolerance: a mapping of metric names to percentages ("10%"). */
static int parse_tolerance(struct kmb_exp_file *f, yaml_document_t *d, struct kmb_experiment *e,
			   yaml_node_t *map, char *err, size_t errlen)
{
	struct kmb_exp_check *c = &e->check;

	if (map->type != YAML_MAPPING_NODE)
		return fail(f, LINE(map), err, errlen, "check: tolerance: %s where a mapping "
			    "(METRIC: PERCENT, e.g. real_time: 10%%) is wanted in experiment '%s'",
			    node_kind(map), e->name);
	c->tolerance_given = true;
	for (int m = 0; m < KMB_CHECK_NR_METRICS; m++)
		c->tolerance[m] = -1;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);
		yaml_node_t *vn = yaml_document_get_node(d, p->value);
		int m = 0;
		size_t n;
		double v;
		char num[32];

		if (kn->type != YAML_SCALAR_NODE)
			return fail(f, LINE(kn), err, errlen, "check: tolerance: %s as a key in "
				    "experiment '%s'", node_kind(kn), e->name);
		while (m < KMB_CHECK_NR_METRICS && strcmp(kmb_check_metric_names[m], scalar(kn)))
			m++;
		if (m == KMB_CHECK_NR_METRICS)
			return fail(f, LINE(kn), err, errlen, "check: tolerance: unknown metric '%s' "
				    "in experiment '%s'; valid: real_time, cpu_time", scalar(kn),
				    e->name);
		if (c->text_tolerance[m][0])
			return fail(f, LINE(kn), err, errlen, "check: tolerance: key '%s' given "
				    "twice in experiment '%s'", scalar(kn), e->name);
		n = vn->type == YAML_SCALAR_NODE ? strlen(scalar(vn)) : 0;
		if (vn->type == YAML_SCALAR_NODE && n > 1 && n < sizeof(num) &&
		    scalar(vn)[n - 1] == '%')
			snprintf(num, sizeof(num), "%.*s", (int)n - 1, scalar(vn));
		else
			num[0] = '\0';
		if (!whole_number(num, &v) || v <= 0 || v > 1000)
			return fail(f, LINE(vn), err, errlen, "check: tolerance: %s: '%s' is not a "
				    "percentage; give one above 0%% and at most 1000%%, e.g. 10%%",
				    scalar(kn), vn->type == YAML_SCALAR_NODE ? scalar(vn) :
				    node_kind(vn));
		c->tolerance[m] = v / 100;
		snprintf(c->text_tolerance[m], sizeof(c->text_tolerance[m]), "%s", scalar(vn));
	}
	if (map->data.mapping.pairs.top == map->data.mapping.pairs.start)
		return fail(f, LINE(map), err, errlen, "check: tolerance: an empty mapping in "
			    "experiment '%s'; give at least one metric, e.g. real_time: 10%%",
			    e->name);
	return 0;
}

/*
 * check: {reference: BACKEND, alpha: P, tolerance: {METRIC: PERCENT}}, every key optional;
 * what is left out keeps its default (kmb_exp_check_defaults).  The reference's name is
 * checked against the backends by the option parser (options.c), which knows them.
 */
static int parse_check(struct kmb_exp_file *f, yaml_document_t *d, struct kmb_experiment *e,
		       yaml_node_t *map, char *err, size_t errlen)
{
	struct kmb_exp_check *c = &e->check;

	if (map->type != YAML_MAPPING_NODE)
		return fail(f, LINE(map), err, errlen, "check: %s where a mapping (reference, "
			    "alpha, tolerance) is wanted in experiment '%s'", node_kind(map),
			    e->name);
	kmb_exp_check_defaults(c);
	c->reference[0] = '\0';	/* given or not: the text as written, "" when not */
	c->given = true;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);
		yaml_node_t *vn = yaml_document_get_node(d, p->value);
		size_t k = 0;
		double v;
		int r;

		if (kn->type != YAML_SCALAR_NODE)
			return fail(f, LINE(kn), err, errlen, "check: %s as a key in experiment "
				    "'%s'", node_kind(kn), e->name);
		while (k < NR_CHECK_KEYS && strcmp(check_keys[k], scalar(kn)))
			k++;
		if (k == NR_CHECK_KEYS)
			return fail(f, LINE(kn), err, errlen, "check: unknown key '%s' in experiment "
				    "'%s'; valid: reference, alpha, tolerance", scalar(kn), e->name);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(d, q->key)), scalar(kn)))
				return fail(f, LINE(kn), err, errlen, "check: key '%s' given twice "
					    "in experiment '%s' (first at line %d)", scalar(kn),
					    e->name, LINE(yaml_document_get_node(d, q->key)));
		if (k == 2) {
			r = parse_tolerance(f, d, e, vn, err, errlen);
			if (r)
				return r;
			continue;
		}
		if (vn->type != YAML_SCALAR_NODE)
			return fail(f, LINE(vn), err, errlen, "check: %s: %s where a single value is "
				    "wanted in experiment '%s'", check_keys[k], node_kind(vn),
				    e->name);
		if (k == 0) {
			if (!*scalar(vn) || strlen(scalar(vn)) >= sizeof(c->reference))
				return fail(f, LINE(vn), err, errlen, "check: reference: '%s' is not "
					    "a backend's name", scalar(vn));
			snprintf(c->reference, sizeof(c->reference), "%s", scalar(vn));
			c->reference_line = LINE(vn);
		} else {
			if (!whole_number(scalar(vn), &v) || v <= 0 || v >= 1 ||
			    strlen(scalar(vn)) >= sizeof(c->text_alpha))
				return fail(f, LINE(vn), err, errlen, "check: alpha: '%s' is not a "
					    "significance level; give a number between 0 and 1, e.g. "
					    "0.05", scalar(vn));
			c->alpha = v;
			snprintf(c->text_alpha, sizeof(c->text_alpha), "%s", scalar(vn));
		}
	}
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= KMB_EXP_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

/* The name of the experiment mapping @m: its 'name' key, checked. */
static int exp_name(struct kmb_exp_file *f, yaml_document_t *d, yaml_node_t *m,
		    struct kmb_experiment *e, char *err, size_t errlen)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);
		yaml_node_t *vn = yaml_document_get_node(d, p->value);

		if (kn->type != YAML_SCALAR_NODE || strcmp(scalar(kn), "name"))
			continue;
		if (vn->type != YAML_SCALAR_NODE || !valid_name(scalar(vn)))
			return fail(f, LINE(vn), err, errlen, "name: give 1 to %d letters, digits, "
				    "'-', '_' or '.' (it names the run's directory)",
				    KMB_EXP_NAME_MAX - 1);
		snprintf(e->name, sizeof(e->name), "%s", scalar(vn));
		return 0;
	}
	return fail(f, LINE(m), err, errlen, "an experiment without a name; give 'name: NAME'");
}

static void valid_keys(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < NR_KEYS && n < len; k++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", k ? ", " : "", keys[k].key);
}

/* One experiment: the mapping @m into @e. */
static int parse_one(struct kmb_exp_file *f, yaml_document_t *d, yaml_node_t *m,
		     struct kmb_experiment *e, char *err, size_t errlen)
{
	char valid[512];
	int r;

	e->line = LINE(m);
	if (m->type != YAML_MAPPING_NODE)
		return fail(f, LINE(m), err, errlen, "experiments: %s where an experiment (a "
			    "mapping: name: NAME, backends: [...], ...) is wanted", node_kind(m));
	r = exp_name(f, d, m, e, err, errlen);
	if (r)
		return r;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);
		yaml_node_t *vn = yaml_document_get_node(d, p->value);
		size_t k = 0;
		char *val;

		if (kn->type != YAML_SCALAR_NODE)
			return fail(f, LINE(kn), err, errlen, "%s as a key in experiment '%s'",
				    node_kind(kn), e->name);
		while (k < NR_KEYS && strcmp(keys[k].key, scalar(kn)))
			k++;
		if (k == NR_KEYS) {
			valid_keys(valid, sizeof(valid));
			return fail(f, LINE(kn), err, errlen, "unknown key '%s' in experiment '%s'; "
				    "valid: %s", scalar(kn), e->name, valid);
		}
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(d, q->key)), scalar(kn)))
				return fail(f, LINE(kn), err, errlen, "key '%s' given twice in "
					    "experiment '%s' (first at line %d)", scalar(kn),
					    e->name, LINE(yaml_document_get_node(d, q->key)));
		if (keys[k].type == K_NAME)
			continue;
		if (keys[k].type == K_CHECK) {
			r = parse_check(f, d, e, vn, err, errlen);
		} else if (keys[k].type == K_MAP) {
			r = parse_optmap(f, d, e, k, vn, err, errlen);
		} else {
			r = value_text(f, d, vn, keys[k].type == K_LIST, keys[k].key, e->name,
				       &val, err, errlen);
			if (r)
				return r;
			if (keys[k].type == K_DESCRIPTION) {
				e->description = val;
				continue;
			}
			r = add_arg(e, keys[k].option, keys[k].key, val, LINE(vn));
			free(val);
		}
		if (r)
			return r;
	}
	if (!e->description)
		e->description = strdup("");
	return e->description ? 0 : -ENOMEM;
}

/* The document's root: a mapping whose one key, experiments, holds a list of experiments. */
static int parse_root(struct kmb_exp_file *f, yaml_document_t *d, char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(d), *list = NULL;

	if (!root)
		return fail(f, 0, err, errlen, "empty file; give 'experiments:' and a list of "
			    "experiments (docs/experiments.md)");
	if (root->type != YAML_MAPPING_NODE)
		return fail(f, LINE(root), err, errlen, "%s at the top; give 'experiments:' and a "
			    "list of experiments (docs/experiments.md)", node_kind(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);

		if (kn->type != YAML_SCALAR_NODE || strcmp(scalar(kn), "experiments"))
			return fail(f, LINE(kn), err, errlen, "unknown key '%s' at the top; valid: "
				    "experiments", kn->type == YAML_SCALAR_NODE ? scalar(kn) : "?");
		if (list)
			return fail(f, LINE(kn), err, errlen, "key 'experiments' given twice");
		list = yaml_document_get_node(d, p->value);
	}
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return fail(f, list ? LINE(list) : LINE(root), err, errlen, "experiments: %s where "
			    "a list of experiments is wanted", list ? node_kind(list) : "nothing");
	f->nexp = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (!f->nexp)
		return fail(f, LINE(list), err, errlen, "experiments: an empty list; give at "
			    "least one experiment");
	f->exp = calloc(f->nexp, sizeof(*f->exp));
	if (!f->exp)
		return -ENOMEM;
	for (size_t i = 0; i < f->nexp; i++) {
		yaml_node_t *m = yaml_document_get_node(d, list->data.sequence.items.start[i]);
		int r = parse_one(f, d, m, &f->exp[i], err, errlen);

		if (r)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(f->exp[j].name, f->exp[i].name))
				return fail(f, f->exp[i].line, err, errlen, "experiment '%s' is "
					    "defined twice (first at line %d)", f->exp[i].name,
					    f->exp[j].line);
	}
	return 0;
}

int kmb_exp_parse(struct kmb_exp_file *f, const char *shown, const char *text, size_t len,
		  char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int r;

	memset(f, 0, sizeof(*f));
	f->shown = shown;
	f->text = malloc(len + 1);
	if (!f->text)
		return -ENOMEM;
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	f->hash = kmb_exp_hash(text, len);
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)f->text, len);
	if (!yaml_parser_load(&parser, &doc)) {	/* libyaml's own words, and its position */
		snprintf(err, errlen, "%s:%zu:%zu: YAML syntax error: %s%s%s", shown,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "unknown",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	r = parse_root(f, &doc, err, errlen);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int kmb_exp_read(struct kmb_exp_file *f, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int r = kmb_read_file(path, &text, &len);

	if (r) {
		memset(f, 0, sizeof(*f));
		snprintf(err, errlen, "--matrix: cannot read %s: %s", path, strerror(-r));
		return r;
	}
	r = kmb_exp_parse(f, path, text, len, err, errlen);
	free(text);
	return r;
}

int kmb_exp_preset(struct kmb_exp_file *f, const char *name, char *err, size_t errlen)
{
	static char shown[KMB_EXP_NAME_MAX + 32];

	for (size_t i = 0; i < kmb_nr_shipped_experiments; i++) {
		const struct kmb_shipped_experiment *s = &kmb_shipped_experiments[i];

		if (strcmp(s->name, name))
			continue;
		snprintf(shown, sizeof(shown), "harness/experiments/%s.yaml", name);
		return kmb_exp_parse(f, shown, s->text, strlen(s->text), err, errlen);
	}
	memset(f, 0, sizeof(*f));
	snprintf(err, errlen, "--preset: unknown preset '%s'", name);
	return -ENOENT;
}

void kmb_exp_free(struct kmb_exp_file *f)
{
	for (size_t i = 0; i < f->nexp; i++) {
		for (size_t j = 0; j < f->exp[i].nargs; j++)
			free(f->exp[i].args[j].text);
		free(f->exp[i].args);
		free(f->exp[i].description);
	}
	free(f->exp);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

const struct kmb_experiment *kmb_exp_find(const struct kmb_exp_file *f, const char *name,
					  char *err, size_t errlen)
{
	size_t n;

	for (size_t i = 0; i < f->nexp; i++)
		if (!strcmp(f->exp[i].name, name))
			return &f->exp[i];
	n = (size_t)snprintf(err, errlen, "--experiment: no experiment '%s' in %s; its "
			     "experiments: ", name, f->shown);
	for (size_t i = 0; i < f->nexp && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "", f->exp[i].name);
	return NULL;
}
