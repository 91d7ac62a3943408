/*
 * experiment.h - experiment files: YAML that names the options of one or more runs
 * (docs/experiments.md), read with libyaml.
 *
 * A file is turned into run arguments, one per key ("--sizes=8,64,1K", "-O sheaves=off"),
 * each with the line it came from; options.c applies them with the same parser as the command
 * line, so every value is checked once, by the option's own parser, and its message is the
 * option's own with "FILE:LINE: " before it.  This file knows the keys and YAML; it knows no
 * option's values.
 *
 * The presets are experiment files too, harness/experiments/NAME.yaml, embedded into the
 * binary at build time (CMake generates experiments_gen.c), so a copied binary knows them.
 *
 * Errors: 0, or -EINVAL/-ENOENT/-ENOMEM with one line in err naming the file and line.
 */
#ifndef KMB_HARNESS_EXPERIMENT_H
#define KMB_HARNESS_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMB_EXP_NAME_MAX 64	/* bytes of an experiment's name, with its NUL */

/*
 * The experiment's `check` key: how `kmbench check` (report/kmb_check.py) compares a run of it
 * with a baseline run.  Not a run option: the run records it (context.options.check) so that
 * the results carry their gate.  Each metric is a time of every row, compared as the ratio of
 * a backend's time to the reference backend's in the same cell; its tolerance is the change of
 * that ratio, as a fraction, above which a significant change is a regression.
 */
enum kmb_check_metric { KMB_CHECK_REAL_TIME, KMB_CHECK_CPU_TIME, KMB_CHECK_NR_METRICS };
extern const char *const kmb_check_metric_names[KMB_CHECK_NR_METRICS];
#define KMB_CHECK_REFERENCE "glibc"	/* the defaults, when the file gives none */
#define KMB_CHECK_ALPHA 0.05
#define KMB_CHECK_TOLERANCE 0.10	/* of real_time, the one metric checked by default */

struct kmb_exp_check {
	char reference[32];	/* a backend's name; "" when not given */
	int reference_line;	/* where it was given, for the message of an unknown backend */
	double alpha;		/* the U test's significance level, 0 < alpha < 1; 0: not given */
	double tolerance[KMB_CHECK_NR_METRICS];	/* fraction; < 0: the metric is not checked */
	bool tolerance_given;	/* false: real_time at KMB_CHECK_TOLERANCE alone */
	/* The key as written, for `kmbench list --presets --json` (report/kmb_experiments.py
	 * reads the same): "" when the experiment has no check key. */
	char text_alpha[32];
	char text_tolerance[KMB_CHECK_NR_METRICS][32];
	bool given;		/* the experiment has a check key */
};

/* One run argument from a file, and where it was written. */
struct kmb_exp_arg {
	char *text;		/* "--sizes=8,64" or "-OKEY=VALUE" / "-WKEY=VALUE" */
	const char *key;	/* the file's key: "sizes", "backend_options" */
	int line;		/* 1-based, of the value */
};

struct kmb_experiment {
	char name[KMB_EXP_NAME_MAX];
	char *description;		/* "" when the file gives none */
	int line;			/* of the experiment's first key */
	struct kmb_exp_arg *args;
	size_t nargs;
	struct kmb_exp_check check;	/* its check key; check.given false without one */
};

struct kmb_exp_file {
	const char *shown;		/* the file's name in messages */
	char *text;			/* the file's bytes, NUL-terminated */
	size_t len;
	uint64_t hash;			/* FNV-1a 64 of text: what the saved options record */
	struct kmb_experiment *exp;
	size_t nexp;
};

/* One preset as shipped: harness/experiments/NAME.yaml's text (experiments_gen.c). */
struct kmb_shipped_experiment {
	const char *name;
	const char *text;
};
extern const struct kmb_shipped_experiment kmb_shipped_experiments[];
extern const size_t kmb_nr_shipped_experiments;

/*
 * kmb_exp_parse - parse @len bytes of @text (copied) into @f; @shown names it in messages.
 * kmb_exp_read reads the file @path first; kmb_exp_preset parses the shipped preset @name.
 * kmb_exp_free releases what any of them filled in.
 */
int kmb_exp_parse(struct kmb_exp_file *f, const char *shown, const char *text, size_t len,
		  char *err, size_t errlen);
int kmb_exp_read(struct kmb_exp_file *f, const char *path, char *err, size_t errlen);
int kmb_exp_preset(struct kmb_exp_file *f, const char *name, char *err, size_t errlen);
void kmb_exp_free(struct kmb_exp_file *f);

/* kmb_exp_find - the experiment @name of @f; NULL with one line in err listing its names. */
const struct kmb_experiment *kmb_exp_find(const struct kmb_exp_file *f, const char *name,
					  char *err, size_t errlen);

/* kmb_exp_check_defaults - @c with nothing given: every default (KMB_CHECK_*). */
void kmb_exp_check_defaults(struct kmb_exp_check *c);

/* kmb_exp_hash - FNV-1a 64 of @len bytes at @p. */
uint64_t kmb_exp_hash(const char *p, size_t len);

#endif
