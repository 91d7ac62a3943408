/*
 * options.h - run options: one table, one parser, presets, and the serialised form.
 *
 * Every run option of `kmbench run` is a row of the table in options.c (name, argument, help,
 * parser), a backend option, declared by the backends that take it (backend.h), or a workload
 * option, declared by its workload (workload.h).  The parser is the only place that reads the
 * command line; the same parser reads a run directory's saved `cmdline` when a child process
 * or `--resume` needs the options again.
 *
 * Errors: every parse error is one line naming the option, the bad value and the valid
 * choices, written to the caller's buffer; the CLI prints it and exits with status 2.
 */
#ifndef KMB_HARNESS_OPTIONS_H
#define KMB_HARNESS_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "experiment.h"
#include "kmbench/backend.h"
#include "kmbench/percpu.h"
#include "workload.h"
#include "topology.h"

#define KMB_MAX_THREADS 1024	/* more threads than this is a typo, not a benchmark */
#define KMB_MAX_LIST 64		/* entries in a list option */
#define KMB_MAX_SIZE (1ul << 30)	/* largest object size a workload may ask for */
#define KMB_MAX_BACKEND_OPTS 32		/* backend options of one run; workload options too */
#define KMB_WL_STATE_BYTES 16384	/* the option states of every workload together */
#define KMB_MAX_SHARDS 4096	/* --shard I/N: N at most this */

/* One backend or workload option of the run. */
struct kmb_backend_optval {
	const struct kmb_backend_opt *opt;	/* NULL: nobody declares it (refused) */
	size_t keylen;
	char text[128];				/* "--KEY=VALUE": KEY=VALUE from text + 2 */
};

struct kmb_options {
	const struct kmb_backend_ops *backends[KMB_MAX_LIST];
	size_t nbackends;
	const struct kmb_workload *workloads[KMB_MAX_LIST];
	size_t nworkloads;
	char threads_spec[128];		/* as given: resolved against the topology */
	int threads[KMB_MAX_LIST];	/* resolved by kmb_options_resolve() */
	size_t nthreads;
	size_t sizes[KMB_MAX_LIST];
	size_t nsizes;
	size_t batches[KMB_MAX_LIST];	/* --batch: one family each, for the workloads with
					 * KMB_P_BATCH (matrix.c); the others take the first */
	size_t nbatches;
	struct kmb_pin pin;		/* --pin */
	double min_time;		/* seconds per run */
	int repetitions;
	/* The backend options given (-O KEY=VALUE, --KEY VALUE), each key once, the last value
	 * given, as its backend shows it (backend.h kmb_backend_opt). */
	struct kmb_backend_optval bopts[KMB_MAX_BACKEND_OPTS];
	size_t nbopts;
	/* The workload options given (-W KEY=VALUE, --KEY VALUE), kept as the backend options. */
	struct kmb_backend_optval wopts[KMB_MAX_BACKEND_OPTS];
	size_t nwopts;
	/* Every registered workload's option state (kmb_workload.opts), parsed from wopts when
	 * the options are, resolved by kmb_options_resolve() for the selected workloads:
	 * kmb_options_workload_state() finds each.  No pointers: @o may be copied. */
	_Alignas(16) unsigned char wstate[KMB_WL_STATE_BYTES];
	struct kmb_mempolicy mpol;	/* --numa-policy; KMB_MPOL_DEFAULT when not given */
	/* Where the options came from (experiment.h): a shipped preset or an experiment file,
	 * the experiment in it, and its text's hash; the saved options record them. */
	char preset[32];		/* --preset; "" when --matrix is given */
	char matrix[PATH_MAX];		/* --matrix FILE as given; "" for a preset */
	char experiment[KMB_EXP_NAME_MAX];	/* the experiment run; "" when the file has
						 * several and --experiment chose none */
	char exp_description[256];	/* its description, for the results' context */
	uint64_t exp_hash;		/* kmb_exp_hash of the file's text */
	struct kmb_exp_check check;	/* the experiment's check key, its defaults filled in
					 * (the reference is a registered backend's name); what
					 * the results record for `kmbench check` */
	uint64_t exp_hash_want;		/* --experiment-hash: what a saved run recorded */
	bool exp_hash_given;
	/* The file's experiments when it has several and no --experiment chose one: nothing of
	 * the file is applied; the caller runs each (kmbench run: OUT/NAME each). */
	char exp_names[KMB_MAX_LIST][KMB_EXP_NAME_MAX];
	size_t nexperiments;
	char exp_source[PATH_MAX];	/* read the text here instead (a run directory's copy,
					 * KMB_EXP_COPY, when its saved options are loaded) */
	char out[PATH_MAX];		/* run directory */
	bool resume;			/* out names an existing run to complete */
	bool quiet;			/* no progress lines: only the start and the end */
	bool verbose;			/* Google Benchmark's console tables as well */
	bool dry_run;			/* --dry-run: print the plan, run nothing */
	bool no_profile;		/* --no-profile: no profile pass (profile.h) */
	bool callgraph;			/* --profile[=CELLS]: perf call graphs (callgraph.h) */
	char callgraph_cells[256];	/* CELLS: the patterns; "": every cell */
	bool no_interleave;		/* --no-interleave: each cell's repetitions one after
					 * another, cells in family order (reps.h) */
	bool has_seed;			/* seed is set: --seed, or drawn by the runner */
	uint32_t seed;			/* --seed: the order of the repetitions (reps.h) */
	char run_id[96];		/* unique id of the run; generated when not given */
	int shard_index, shard_count;	/* --shard I/N: this run is shard I (1-based) of N of
					 * the matrix's cells (plan.h); 0/0: every cell */
};

/* The copy of the experiment file a run directory keeps, next to `cmdline`. */
#define KMB_EXP_COPY "experiment.yaml"

/*
 * kmb_options_parse - parse `kmbench run` arguments (argv[0] is the first option) into @o:
 * the defaults, then the experiment (--preset NAME, default "quick", or --matrix FILE with
 * --experiment NAME), then every other option over it.  0, or -EINVAL with one line in err.
 * A file with several experiments and no --experiment gives o->nexperiments > 1 and
 * o->experiment "": none of the file applied.
 */
int kmb_options_parse(struct kmb_options *o, int argc, char **argv, char *err, size_t errlen);

/*
 * kmb_options_resolve - resolve the thread counts against the topology, check that the pin
 * policy can place each of them and that the machine has the nodes --numa-policy names, and
 * resolve the selected workloads' options against the machine (kmb_workload.resolve: the
 * numa-matrix cells).  0, or -EINVAL/-E2BIG/-ENODEV with one line in err.
 */
int kmb_options_resolve(struct kmb_options *o, const struct kmb_topo *t, char *err, size_t errlen);

/* kmb_options_workload_state - @w's option state in @o (kmb_workload.opts); NULL when @w
 * takes no options. */
const void *kmb_options_workload_state(const struct kmb_options *o,
				       const struct kmb_workload *w);

/* kmb_options_save - write the effective options as arguments, one per line, to @path
 * (atomically).  kmb_options_load reads them back through kmb_options_parse. */
int kmb_options_save(const struct kmb_options *o, const char *path);
int kmb_options_load(struct kmb_options *o, const char *path, char *err, size_t errlen);

/* kmb_options_exp_save - the text of @o's experiment file (or preset) into @path, atomically,
 * so the run directory holds what its options came from.  0 or -errno. */
int kmb_options_exp_save(const struct kmb_options *o, const char *path);

/*
 * kmb_options_rseq_asked - what in @o asks for cpu-rseq explicitly: the backend options set to
 * it ("--pcp=cpu-rseq", "--slab-percpu=cpu-rseq", either also from --percpu), and the backends
 * that force it (named <layer>-cpu-rseq), at most @max of them into @what (strings of @o and of
 * the registry).  Returns how many.
 */
#define KMB_RSEQ_ASKED_MAX (KMB_MAX_LIST + KMB_MAX_BACKEND_OPTS)
size_t kmb_options_rseq_asked(const struct kmb_options *o, const char **what, size_t max);

/* kmb_options_backend_kv - the run's backend options as KEY=VALUE, NULL-terminated, into @kv
 * (at most @max - 1 of them; pointers into @o), for kmb_backend_config.opts.  How many. */
size_t kmb_options_backend_kv(const struct kmb_options *o, const char **kv, size_t max);
/* kmb_options_backend_state - @set's option state for the run's options, parsed by the set's
 * own parsers (kmb_backend_opts_parse), into *st (malloc'd: the caller frees it).  0, or
 * -EINVAL/-ENOMEM with one line in err. */
int kmb_options_backend_state(const struct kmb_options *o, const struct kmb_backend_optset *set,
			      void **st, char *err, size_t errlen);

/* The help lines of the option table, to @f; kmb_options_backend_help, the backend options
 * alone: each set, the backends that take it, its keys; kmb_options_workload_help, the
 * workload options: each workload that takes some, its keys. */
/* kmb_opt_value - the value of option @name ("--name=V" or "--name V") at argv[*i], advancing *i
 * past a separate value; NULL when argv[*i] is not that option, with *bad set when it is but
 * lacks its value.  For the subcommands' own small parsers (check, reproduce, merge, slurm). */
const char *kmb_opt_value(int argc, char **argv, int *i, const char *name, bool *bad);
void kmb_options_help(FILE *f);
void kmb_options_backend_help(FILE *f);
void kmb_options_workload_help(FILE *f);

#endif
