/*
 * slurm.c - `kmbench slurm --shards N [slurm options] [run options]`: a matrix run on a Slurm
 * cluster, one shard per task of a job array, joined by a dependent job.
 *
 * What it submits (sbatch(1) of Slurm 20.11 and later; tested with Debian 12's 22.05):
 *
 *   DIR/slurm/shards.sbatch  a job array of N tasks, --array=1-N.  Task I runs
 *                            `kmbench run <run options> --shard I/N --out DIR/shards/I`, or,
 *                            when DIR/shards/I holds an earlier attempt of the task (Slurm
 *                            requeued it, or the user resubmitted it), `kmbench run --resume
 *                            DIR/shards/I`: it goes on from the first unfinished cell.  Each
 *                            task is --exclusive by default: a benchmark shares its node with
 *                            nothing (--shared to let Slurm pack tasks).
 *   DIR/slurm/merge.sbatch   --dependency=afterok:<array> --kill-on-invalid-dep=yes: once
 *                            every task has succeeded, `kmbench merge DIR/shards/1 ...
 *                            DIR/shards/N --out DIR --complete`, then the HTML report of
 *                            DIR/results.json.  When a task fails, the dependency can never
 *                            be satisfied: without --kill-on-invalid-dep Slurm would keep the
 *                            merge pending for ever (reason DependencyNeverSatisfied); with it
 *                            Slurm cancels the merge at once.  The shards that finished stay
 *                            in DIR/shards, and the line printed at submission says how to
 *                            rerun a task and merge by hand.
 *   DIR/slurm/jobs.json      the job ids, the shard count and the paths, written atomically
 *                            once both jobs are submitted; its presence refuses a second
 *                            submission into DIR.
 *
 * A matrix file of several experiments: every task runs its shard of each (DIR/shards/I/NAME,
 * as `kmbench run` writes them), and the merge joins each into DIR/NAME, with DIR/experiments
 * listing them as a run of several does (run.h KMB_EXP_LIST).
 *
 * The shard split is computed by each task from the options alone (plan.h kmb_plan_in_shard),
 * so the tasks must resolve the same matrix: the same kmbench (one path on a shared file
 * system: the scripts name this executable by its absolute path) and, with a thread list that
 * depends on the machine (--threads max or pow2), nodes of one kind (--constraint, or a
 * partition of one kind).  `kmbench merge` refuses shards that resolved differently.
 *
 * Placement: --partition and --constraint are passed to sbatch as they are.  --nodelist LIST
 * means "run the tasks on these nodes": sbatch's own --nodelist would instead give every task
 * all of them, so the nodes of the partition (sinfo) that LIST does not name are given to
 * --exclude.  --sbatch-arg ARG passes anything else (--account, --qos, --mem, ...) to both jobs.
 *
 * --time: the tasks' time limit; by default three times the largest shard's estimated time
 * (plan.h, as this host estimates it) plus ten minutes.
 *
 * Exit status: 0 submitted (or, with --dry-run, written and shown); 1 sbatch failed (the
 * array is cancelled when the merge could not be submitted); 2 bad input, nothing submitted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "plan.h"
#include "run.h"
#include "topology.h"

#define MAX_SBATCH_ARGS 32

struct slurm_opts {
	int shards;
	const char *partition, *constraint, *nodelist, *time, *out, *run_id, *job_name;
	const char *sbatch_args[MAX_SBATCH_ARGS];
	int nsbatch_args;
	bool shared, no_report, dry_run;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kmbench slurm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* A value that goes into an #SBATCH line or a command: printable, no white space. */
static bool plain_value(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Slurm's time formats (sbatch(1) --time): M, M:S, H:M:S, D-H, D-H:M, D-H:M:S. */
static bool slurm_time(const char *s)
{
	int colons = 0, dashes = 0;
	bool digit = false;

	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			digit = true;
			continue;
		}
		if ((*p != ':' && *p != '-') || !digit)
			return false;
		if (*p == '-' && (dashes++ || colons))
			return false;
		if (*p == ':' && ++colons > 2)
			return false;
		digit = false;
	}
	return digit;
}

/*
 * Split @argv into the slurm options (into @so) and the run options (into @run, which has
 * room for argc entries).  Both --name VALUE and --name=VALUE.  Returns the count of run
 * options, or -2 after a one-line error.
 */
static int split_args(int argc, char **argv, struct slurm_opts *so, char **run)
{
	static const struct {
		const char *name;
		size_t off;
	} vals[] = {
		{ "--partition", offsetof(struct slurm_opts, partition) },
		{ "--constraint", offsetof(struct slurm_opts, constraint) },
		{ "--nodelist", offsetof(struct slurm_opts, nodelist) },
		{ "--time", offsetof(struct slurm_opts, time) },
		{ "--out", offsetof(struct slurm_opts, out) },
		{ "--run-id", offsetof(struct slurm_opts, run_id) },
		{ "--job-name", offsetof(struct slurm_opts, job_name) },
	};
	const char *shards = NULL;
	int nrun = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t n = strcspn(a, "=");
		bool bad = false;

		if (strncmp(a, "--", 2)) {
			run[nrun++] = argv[i];
			continue;
		}
		for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]) && !val && !bad; k++)
			if ((val = kmb_opt_value(argc, argv, &i, vals[k].name, &bad)))
				*(const char **)((char *)so + vals[k].off) = val;
		if (!val && !bad && (val = kmb_opt_value(argc, argv, &i, "--shards", &bad)))
			shards = val;
		if (!val && !bad && (val = kmb_opt_value(argc, argv, &i, "--sbatch-arg", &bad))) {
			if (so->nsbatch_args == MAX_SBATCH_ARGS)
				return usage_error("--sbatch-arg: at most %d", MAX_SBATCH_ARGS), -2;
			so->sbatch_args[so->nsbatch_args++] = val;
		}
		if (bad)
			return usage_error("%.*s needs a value", (int)n, a), -2;
		if (val)
			continue;
		if (!strcmp(a, "--shared"))
			so->shared = true;
		else if (!strcmp(a, "--no-report"))
			so->no_report = true;
		else if (!strcmp(a, "--dry-run"))
			so->dry_run = true;
		else if (!strncmp(a, "--shard", n) && n == 7)
			return usage_error("--shard is set per task (task I of the array runs shard "
					   "I/N); give --shards N"), -2;
		else if (!strncmp(a, "--resume", n) && n == 8)
			return usage_error("--resume: a task resumes its own shard by itself; "
					   "resubmit it with sbatch --array=I DIR/slurm/shards.sbatch"),
			       -2;
		else
			run[nrun++] = argv[i];
	}
	if (!shards)
		return usage_error("give --shards N, the number of array tasks (1 to %d), each "
				   "running one shard of the matrix", KMB_MAX_SHARDS), -2;
	{
		char *end;
		long v;

		errno = 0;
		v = strtol(shards, &end, 10);
		if (errno || end == shards || *end || v < 1 || v > KMB_MAX_SHARDS)
			return usage_error("--shards: '%s' is not a shard count; give 1 to %d",
					   shards, KMB_MAX_SHARDS), -2;
		so->shards = (int)v;
	}
	if (so->time && !slurm_time(so->time))
		return usage_error("--time: '%s' is not a Slurm time; give minutes, M:S, H:M:S, "
				   "D-H, D-H:M or D-H:M:S", so->time), -2;
	{
		const char *named[] = { so->partition, so->constraint, so->nodelist, so->run_id,
					so->job_name };
		const char *names[] = { "--partition", "--constraint", "--nodelist", "--run-id",
					"--job-name" };

		for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			if (named[k] && !plain_value(named[k]))
				return usage_error("%s: '%s' is empty or holds white space; give a "
						   "Slurm name", names[k], named[k]), -2;
	}
	for (int k = 0; k < so->nsbatch_args; k++)
		if (strncmp(so->sbatch_args[k], "--", 2) || strchr(so->sbatch_args[k], '\n'))
			return usage_error("--sbatch-arg: '%s' is not an sbatch long option; give "
					   "--sbatch-arg=--NAME=VALUE, e.g. --sbatch-arg=--account=perf",
					   so->sbatch_args[k]), -2;
	if (so->out && !*so->out)
		return usage_error("--out: empty directory name"), -2;
	return nrun;
}

/* @s as one shell word. */
static void sh_quote(FILE *f, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			 "_-+=/.,:@%") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/*
 * Run @argv (PATH lookup), its standard output into @out (NUL-terminated, cut at @len) and
 * its standard error into @errbuf.  Returns its exit status, or -1 when it could not run
 * (*errbuf says why), 128 + signal when killed.
 */
static int run_capture(char *const argv[], char *out, size_t len, char *errbuf, size_t errlen)
{
	int po[2], pe[2], st;
	size_t no = 0, ne = 0;
	pid_t pid;

	*out = *errbuf = '\0';
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	{
		struct pollfd p[2] = { { .fd = po[0], .events = POLLIN },
				       { .fd = pe[0], .events = POLLIN } };
		int open_fds = 2;

		while (open_fds) {
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (int k = 0; k < 2; k++) {
				char *buf = k ? errbuf : out;
				size_t *n = k ? &ne : &no, cap = k ? errlen : len;
				char scratch[512];
				ssize_t r;

				if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				if (*n + 1 < cap)
					r = read(p[k].fd, buf + *n, cap - 1 - *n);
				else
					r = read(p[k].fd, scratch, sizeof(scratch));
				if (r <= 0) {
					close(p[k].fd);
					p[k].fd = -1;
					open_fds--;
				} else if (*n + 1 < cap) {
					*n += (size_t)r;
					buf[*n] = '\0';
				}
			}
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* One line: the tools' messages end in a newline, and may run to several. */
	for (char *c = errbuf; *c; c++)
		if (*c == '\n')
			*c = c[1] ? ' ' : '\0';
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st) == 127 && !no ? -1 : WEXITSTATUS(st);
}

/* Whether @name (@nl bytes) is an item of @list, items separated by @sep. */
static bool listed(const char *list, char sep, const char *name, size_t nl)
{
	const char seps[2] = { sep, '\0' };

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, seps);

		if (n == nl && !strncmp(p, name, n))
			return true;
		p += n + !!p[n];
	}
	return false;
}

/*
 * --nodelist LIST as the --exclude list of the partition's other nodes, into @excl (empty:
 * LIST names them all).  The names come from Slurm itself: `scontrol show hostnames LIST`
 * expands its ranges, `sinfo -h -N -o %N [-p P]` lists the nodes.  0, or 2 after a message.
 */
static int nodelist_to_exclude(const struct slurm_opts *so, char *excl, size_t len)
{
	static char want[65536], all[65536];
	char err[1024], part[256];
	char *sh[] = { "scontrol", "show", "hostnames", (char *)so->nodelist, NULL };
	char *si[] = { "sinfo", "-h", "-N", "-o", "%N", NULL, NULL };
	size_t used = 0;
	int r;

	*excl = '\0';
	if ((r = run_capture(sh, want, sizeof(want), err, sizeof(err)))) {
		fprintf(stderr, "kmbench slurm: --nodelist %s: scontrol show hostnames %s: %s\n",
			so->nodelist, r < 0 ? "could not run" : "failed", *err ? err : "no message");
		return 2;
	}
	if (so->partition) {
		snprintf(part, sizeof(part), "--partition=%s", so->partition);
		si[5] = part;
	}
	if ((r = run_capture(si, all, sizeof(all), err, sizeof(err)))) {
		fprintf(stderr, "kmbench slurm: --nodelist: sinfo %s: %s\n",
			r < 0 ? "could not run" : "failed", *err ? err : "no message");
		return 2;
	}
	/* Every node named must be one of the partition's. */
	for (const char *p = want; *p;) {
		size_t n = strcspn(p, "\n");

		if (n && !listed(all, '\n', p, n)) {
			fprintf(stderr, "kmbench slurm: --nodelist: node %.*s is not among the nodes "
				"of %s%s; its nodes: ", (int)n, p,
				so->partition ? "partition " : "the cluster",
				so->partition ? so->partition : "");
			for (const char *q = all; *q; q++)
				fputc(*q == '\n' ? (q[1] ? ',' : '\n') : *q, stderr);
			return 2;
		}
		p += n + !!p[n];
	}
	/* The others, once each (sinfo lists a node once per partition). */
	for (const char *p = all; *p;) {
		size_t n = strcspn(p, "\n");

		if (n && !listed(want, '\n', p, n) && !listed(excl, ',', p, n)) {
			if (used + n + 2 > len) {
				fprintf(stderr, "kmbench slurm: --nodelist: the other nodes of the "
					"partition are too many to exclude; use --constraint or "
					"--partition\n");
				return 2;
			}
			used += (size_t)snprintf(excl + used, len - used, "%s%.*s", used ? "," : "",
						 (int)n, p);
		}
		p += n + !!p[n];
	}
	return 0;
}

/* The #SBATCH lines both jobs share: placement, and the user's own sbatch options. */
static void placement(FILE *f, const struct slurm_opts *so, const char *exclude)
{
	if (so->partition)
		fprintf(f, "#SBATCH --partition=%s\n", so->partition);
	if (so->constraint)
		fprintf(f, "#SBATCH --constraint=%s\n", so->constraint);
	if (*exclude)
		fprintf(f, "#SBATCH --exclude=%s\n", exclude);
	for (int k = 0; k < so->nsbatch_args; k++)
		fprintf(f, "#SBATCH %s\n", so->sbatch_args[k]);
}

struct submit {
	char dir[PATH_MAX];		/* absolute --out */
	char cwd[PATH_MAX];
	char exe[PATH_MAX];		/* this kmbench, absolute */
	char report[PATH_MAX];		/* report/kmbench_report.py; "" when there is none */
	char exclude[8192];
	const struct kmb_options *o;	/* the run options, parsed */
	char **run;			/* the run options as given */
	int nrun;
	long minutes;			/* the tasks' --time, when not given */
	double shard_s, total_s;
	size_t cells;
};

static int write_script(const char *path, const char *text)
{
	struct kmb_atomic_file af;

	if (kmb_atomic_open(&af, path))
		return -errno;
	fputs(text, af.f);
	if (fchmod(fileno(af.f), 0755)) {
		kmb_atomic_abort(&af);
		return -errno;
	}
	return kmb_atomic_commit(&af);
}

/* The #SBATCH lines both scripts start with: the job's name (kmbench, or --job-name, then
 * @suffix), one task on one node, its log, the submission's directory, the placement. */
static void sbatch_head(FILE *f, const struct submit *s, const struct slurm_opts *so,
			const char *suffix, const char *log)
{
	fprintf(f, "#SBATCH --job-name=%s%s\n", so->job_name ? so->job_name : "kmbench", suffix);
	fprintf(f, "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n");
	fprintf(f, "#SBATCH --output=%s/slurm/%s\n", s->dir, log);
	fprintf(f, "#SBATCH --chdir=%s\n", s->cwd);
	placement(f, so, s->exclude);
}

/* Close a script's memory stream: its text (open_memstream sets *@text at the close), or
 * NULL when it could not be written. */
static char *script_text(FILE *f, char **text)
{
	if (fclose(f)) {
		free(*text);
		return NULL;
	}
	return *text;
}

/* DIR/slurm/shards.sbatch: one task, one shard; a task run again resumes its shard. */
static char *shards_script(const struct submit *s, const struct slurm_opts *so)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "#!/bin/bash\n"
		"# kmbench slurm: task I of this array runs shard I/%d of the matrix into\n"
		"# %s/shards/I (harness/slurm.c).  Rerun a task with\n"
		"#   sbatch --array=I %s/slurm/shards.sbatch\n"
		"# and it goes on from its first unfinished cell.\n", so->shards, s->dir, s->dir);
	sbatch_head(f, s, so, "", "shard-%a.log");
	fprintf(f, "#SBATCH --array=1-%d\n", so->shards);
	if (!so->shared)
		fprintf(f, "#SBATCH --exclusive\n");
	if (so->time)
		fprintf(f, "#SBATCH --time=%s\n", so->time);
	else
		fprintf(f, "#SBATCH --time=%ld\n", s->minutes);
	fprintf(f, "set -u\n"
		"i=${SLURM_ARRAY_TASK_ID:?this script is a Slurm array task: submit it with sbatch}\n"
		"out=%s/shards/$i\n", s->dir);
	fprintf(f, "echo \"kmbench slurm: shard $i/%d on $(hostname) -> $out\"\n", so->shards);
	fprintf(f, "if [ -e \"$out/cmdline\" ] || [ -e \"$out/" KMB_EXP_LIST "\" ]; then\n"
		"\texec ");
	sh_quote(f, s->exe);
	fprintf(f, " run --resume \"$out\"\nfi\nexec ");
	sh_quote(f, s->exe);
	fputs(" run", f);
	for (int k = 0; k < s->nrun; k++) {
		fputc(' ', f);
		sh_quote(f, s->run[k]);
	}
	fprintf(f, " --shard=\"$i/%d\" --out=\"$out\" --run-id=", so->shards);
	sh_quote(f, s->o->run_id);
	fputs("-shard\"$i\"\n", f);
	return script_text(f, &text);
}

/* DIR/slurm/merge.sbatch: after every task, the merge of each experiment and its report. */
static char *merge_script(const struct submit *s, const struct slurm_opts *so)
{
	const struct kmb_options *o = s->o;
	bool several = o->nexperiments > 1 && !o->experiment[0];
	size_t nexp = several ? o->nexperiments : 1;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "#!/bin/bash\n"
		"# kmbench slurm: the shards of %s/shards joined into %s, and the report\n"
		"# (harness/slurm.c).  Submitted to run once every task of the array has\n"
		"# succeeded.\n", s->dir, s->dir);
	sbatch_head(f, s, so, "-merge", "merge.log");
	fprintf(f, "#SBATCH --time=30\n");
	fprintf(f, "set -u\nrc=0\n");
	if (several) {
		fprintf(f, "printf '%%s\\n'");
		for (size_t e = 0; e < nexp; e++)
			fprintf(f, " %s", o->exp_names[e]);
		fprintf(f, " > %s/" KMB_EXP_LIST ".tmp.$$ && mv %s/" KMB_EXP_LIST ".tmp.$$ "
			"%s/" KMB_EXP_LIST " || rc=1\n", s->dir, s->dir, s->dir);
	}
	for (size_t e = 0; e < nexp; e++) {
		char sub[KMB_EXP_NAME_MAX + 2] = "";

		if (several)
			snprintf(sub, sizeof(sub), "/%s", o->exp_names[e]);
		sh_quote(f, s->exe);
		fputs(" merge", f);
		for (int i = 1; i <= so->shards; i++)
			fprintf(f, " %s/shards/%d%s", s->dir, i, sub);
		fprintf(f, " --out %s%s --complete --run-id=", s->dir, sub);
		sh_quote(f, o->run_id);
		if (several)
			fprintf(f, "-%s", o->exp_names[e]);
		fputs(" || rc=1\n", f);
		if (*s->report) {
			fprintf(f, "if [ -f %s%s/results.json ]; then\n\t" KMB_PYTHON " ", s->dir,
				sub);
			sh_quote(f, s->report);
			fprintf(f, " %s%s/results.json -o %s%s/index.html --summary || rc=1\nfi\n",
				s->dir, sub, s->dir, sub);
		}
	}
	fputs("exit $rc\n", f);
	return script_text(f, &text);
}

/* The parse and the estimate of every experiment the run holds; 2 after a message. */
static int estimate(struct submit *s, struct kmb_options *o, const struct slurm_opts *so)
{
	bool several = o->nexperiments > 1 && !o->experiment[0];
	size_t nexp = several ? o->nexperiments : 1;
	char **args = calloc((size_t)s->nrun + 2, sizeof(char *));
	char err[512], a_exp[96];
	struct kmb_topo *t;
	int ret = 2;

	t = kmb_topo_load(NULL, NULL, err, sizeof(err));
	if (!t || !args) {
		fprintf(stderr, "kmbench slurm: %s\n", t ? strerror(ENOMEM) : err);
		goto out;
	}
	memcpy(args, s->run, (size_t)s->nrun * sizeof(char *));
	args[s->nrun] = a_exp;
	for (size_t e = 0; e < nexp; e++) {
		struct kmb_options one;
		struct kmb_plan plan;
		double largest = 0;

		if (several) {
			snprintf(a_exp, sizeof(a_exp), "--experiment=%s", o->exp_names[e]);
			if (kmb_options_parse(&one, s->nrun + 1, args, err, sizeof(err))) {
				fprintf(stderr, "kmbench slurm: %s\n", err);
				goto out;
			}
		} else {
			one = *o;
		}
		one.shard_count = so->shards;
		one.shard_index = 1;
		if (kmb_options_resolve(&one, t, err, sizeof(err))) {
			fprintf(stderr, "kmbench slurm: %s\n", err);
			goto out;
		}
		if (kmb_plan_build(&one, &plan)) {
			fprintf(stderr, "kmbench slurm: cannot plan the run: %s\n", strerror(ENOMEM));
			goto out;
		}
		for (int i = 1; i <= so->shards; i++)
			largest = plan.shard_s[i] > largest ? plan.shard_s[i] : largest;
		s->shard_s += largest;	/* a task runs its shard of each experiment in turn */
		s->total_s += plan.all_cells_s;
		s->cells += plan.all_cells;
		kmb_plan_free(&plan);
	}
	s->minutes = (long)ceil((3 * s->shard_s + 600) / 60);
	ret = 0;
out:
	free(args);
	if (t)
		kmb_topo_free(t);
	return ret;
}

static int write_jobs(const struct submit *s, const struct slurm_opts *so, const char *array,
		      const char *merge)
{
	struct kmb_atomic_file af;
	struct kmb_json j;
	char path[PATH_MAX + 32], when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (kmb_pathf(path, sizeof(path), "%s/slurm/jobs.json", s->dir) ||
	    kmb_atomic_open(&af, path))
		return -1;
	kmb_json_init(&j, af.f, true);
	kmb_json_obj_begin(&j, NULL);
	kmb_json_str(&j, "array_job", array);
	kmb_json_str(&j, "merge_job", merge);
	kmb_json_int(&j, "shards", so->shards);
	kmb_json_str(&j, "out", s->dir);
	kmb_json_str(&j, "run_id", s->o->run_id);
	kmb_json_str(&j, "kmbench", s->exe);
	kmb_json_str(&j, "submitted", when);
	kmb_json_obj_end(&j);
	fputc('\n', af.f);
	return kmb_atomic_commit(&af);
}

/* sbatch --parsable prints "JOBID" or "JOBID;CLUSTER": the id, or NULL. */
static const char *job_id(char *out)
{
	out[strcspn(out, ";\n")] = '\0';
	if (!*out || strspn(out, "0123456789") != strlen(out))
		return NULL;
	return out;
}

int kmb_run_slurm(int argc, char **argv)
{
	static char shards_path[PATH_MAX + 32], merge_path[PATH_MAX + 32];
	struct slurm_opts so = { 0 };
	struct kmb_options o;
	struct submit *s = calloc(1, sizeof(*s));
	char **run = calloc((size_t)argc + 1, sizeof(char *));
	char err[1024], array[256], merge[256], dep[300], path[PATH_MAX + 32];
	char *shtext = NULL, *mtext = NULL, est[32], lim[32];
	int nrun, ret = 2, r = 0;
	struct stat st;

	if (!s || !run) {
		fprintf(stderr, "kmbench slurm: out of memory\n");
		ret = 1;
		goto out;
	}
	nrun = split_args(argc, argv, &so, run);
	if (nrun < 0)
		goto out;
	if (kmb_options_parse(&o, nrun, run, err, sizeof(err))) {
		fprintf(stderr, "kmbench slurm: %s\n", err);
		goto out;
	}
	if (so.run_id)
		snprintf(o.run_id, sizeof(o.run_id), "%s", so.run_id);
	else
		kmb_default_run_id(&o);
	s->o = &o;
	s->run = run;
	s->nrun = nrun;
	if (!getcwd(s->cwd, sizeof(s->cwd)) ||
	    readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1) < 0) {
		fprintf(stderr, "kmbench slurm: cannot find this directory or this executable: "
			"%s\n", strerror(errno));
		ret = 1;
		goto out;
	}
	if (!so.out)
		kmb_pathf(s->dir, sizeof(s->dir), "%s/results/runs/%s", s->cwd, o.run_id);
	else if (so.out[0] == '/')
		snprintf(s->dir, sizeof(s->dir), "%s", so.out);
	else if (kmb_pathf(s->dir, sizeof(s->dir), "%s/%s", s->cwd, so.out)) {
		ret = usage_error("--out %s: path too long", so.out);
		goto out;
	}
	for (size_t n = strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
		s->dir[n - 1] = '\0';
	if (!plain_value(s->dir) || strpbrk(s->dir, "'\"\\$`%")) {
		ret = usage_error("--out %s: give a directory whose path has no white space, "
				  "quotes, '$', '`', '%%' or '\\' (it goes into the batch scripts)",
				  s->dir);
		goto out;
	}
	kmb_pathf(path, sizeof(path), "%s/slurm/jobs.json", s->dir);
	if (!stat(path, &st)) {
		ret = usage_error("--out %s: a run was submitted there already (%s); give "
				  "another --out", s->dir, path);
		goto out;
	}
	kmb_pathf(path, sizeof(path), "%s/results.json", s->dir);
	if (!stat(path, &st)) {
		ret = usage_error("--out %s: it holds a run's results.json already; give another "
				  "--out", s->dir);
		goto out;
	}
	if (!so.no_report) {
		char where[PATH_MAX + 64];

		if (kmb_report_script(s->report, sizeof(s->report), "kmbench_report.py", where,
				      sizeof(where)))
			fprintf(stderr, "kmbench slurm: warning: no report/kmbench_report.py (looked "
				"%s): the merge job will write no report\n", where);
	}
	if (strstr(o.threads_spec, "max") || strstr(o.threads_spec, "pow2"))
		fprintf(stderr, "kmbench slurm: warning: --threads %s depends on the node: every "
			"task must run on nodes of one kind, or the shards will not merge (give "
			"thread counts, or --constraint)\n", o.threads_spec);
	if (estimate(s, &o, &so))
		goto out;
	if (so.nodelist && nodelist_to_exclude(&so, s->exclude, sizeof(s->exclude)))
		goto out;
	if (so.shards > 1 && (size_t)so.shards > s->cells)
		fprintf(stderr, "kmbench slurm: warning: %d shards for %zu cells: %zu task(s) will "
			"have no cell\n", so.shards, s->cells, (size_t)so.shards - s->cells);
	shtext = shards_script(s, &so);
	mtext = merge_script(s, &so);
	kmb_pathf(path, sizeof(path), "%s/slurm", s->dir);
	kmb_pathf(shards_path, sizeof(shards_path), "%s/slurm/shards.sbatch", s->dir);
	kmb_pathf(merge_path, sizeof(merge_path), "%s/slurm/merge.sbatch", s->dir);
	if (!shtext || !mtext || (r = kmb_mkdir_p(path)) || (r = write_script(shards_path, shtext)) ||
	    (r = write_script(merge_path, mtext))) {
		fprintf(stderr, "kmbench slurm: --out %s: cannot write the batch scripts there: %s\n",
			s->dir, shtext && mtext ? strerror(-r) : strerror(ENOMEM));
		ret = 1;
		goto out;
	}
	printf("kmbench slurm: %d shard%s of %zu cells -> %s\n", so.shards,
	       so.shards > 1 ? "s" : "", s->cells, s->dir);
	printf("  estimated %s in all, at most %s a task (on this host); tasks' time limit %s\n",
	       kmb_fmt_duration(est, sizeof(est), s->total_s),
	       kmb_fmt_duration(lim, sizeof(lim), s->shard_s),
	       so.time ? so.time : (snprintf(path, sizeof(path), "%ld min", s->minutes), path));
	if (so.dry_run) {
		printf("  --dry-run: nothing submitted; the scripts are\n    %s\n    %s\n"
		       "  submit them with\n    sbatch --parsable %s\n    sbatch --parsable "
		       "--dependency=afterok:ARRAY_JOB --kill-on-invalid-dep=yes %s\n",
		       shards_path, merge_path, shards_path, merge_path);
		ret = 0;
		goto out;
	}
	{
		char *argv_a[] = { "sbatch", "--parsable", shards_path, NULL };
		char outb[256];

		r = run_capture(argv_a, outb, sizeof(outb), err, sizeof(err));
		if (r || !job_id(outb)) {
			fprintf(stderr, "kmbench slurm: sbatch %s %s: %s\n", shards_path,
				r < 0 ? "could not run" : "failed", *err ? err : outb);
			ret = 1;
			goto out;
		}
		snprintf(array, sizeof(array), "%s", outb);
	}
	snprintf(dep, sizeof(dep), "--dependency=afterok:%s", array);
	{
		char *argv_m[] = { "sbatch", "--parsable", dep, "--kill-on-invalid-dep=yes",
				   merge_path, NULL };
		char outb[256];

		r = run_capture(argv_m, outb, sizeof(outb), err, sizeof(err));
		if (r || !job_id(outb)) {
			char *argv_c[] = { "scancel", array, NULL }, e2[256], o2[64];

			fprintf(stderr, "kmbench slurm: sbatch %s %s: %s; the shards' array %s is "
				"cancelled\n", merge_path, r < 0 ? "could not run" : "failed",
				*err ? err : outb, array);
			run_capture(argv_c, o2, sizeof(o2), e2, sizeof(e2));
			ret = 1;
			goto out;
		}
		snprintf(merge, sizeof(merge), "%s", outb);
	}
	if (write_jobs(s, &so, array, merge))
		fprintf(stderr, "kmbench slurm: warning: cannot write %s/slurm/jobs.json: %s\n",
			s->dir, strerror(errno));
	printf("  shards: job array %s, tasks %s_1 to %s_%d, logs %s/slurm/shard-I.log\n", array,
	       array, array, so.shards, s->dir);
	printf("  merge%s: job %s, once every task has succeeded (Slurm cancels it if one "
	       "fails), log %s/slurm/merge.log\n", *s->report ? " and report" : "", merge,
	       s->dir);
	printf("results: %s/results.json%s%s%s\n", s->dir, *s->report ? ", report: " : "",
	       *s->report ? s->dir : "", *s->report ? "/index.html" : "");
	printf("follow with `squeue -j %s,%s`; a failed task: `sbatch --array=I %s` resumes it, "
	       "then `sbatch %s` merges\n", array, merge, shards_path, merge_path);
	ret = 0;
out:
	free(shtext);
	free(mtext);
	free(run);
	free(s);
	return ret;
}
