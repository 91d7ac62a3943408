/*
 * runner.c - the parent of a run (run.h): plan, one child per backend, merge.
 *
 * Each backend runs in a fresh process: `/proc/self/exe child <dir> <backend>`, with
 * LD_PRELOAD set to the library of a KMB_CAP_PRELOAD backend.  A child that crashes or fails
 * costs only its own backend's cells not yet written (part.h): the parent records the reason
 * and goes on.  The merged results.json is rewritten atomically after every backend, so an
 * interrupted run leaves a valid file with what was finished, and `--resume` completes it,
 * from the first cell not finished.
 *
 * Lifetime (run.h): the directory is locked (lock_dir) before anything in it is written, and
 * each child is made to die with the parent (run_backend).  The lock's descriptor is the one
 * the parent opened; each child holds it too, so a --resume cannot start while the child of a
 * killed parent is still on its way out, appending to its part.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "json.h"
#include "kmbench/percpu.h"
#include "part.h"
#include "perf.h"
#include "plan.h"
#include "results.h"
#include "run.h"

#if defined(__SANITIZE_ADDRESS__)
#define KMB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMB_ASAN 1
#endif
#endif

int kmb_mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The run directory's lock (lock_dir), held from before anything is written there. */
static int lock_fd = -1;

/*
 * Lock run directory @dir for this run: flock(2) on <dir>/lock, which the kernel releases when
 * the last process holding it is gone, however it ends, so that a killed run's directory can
 * be resumed at once.  The file holds the holder's pid and start time, for the one line that
 * refuses a second run.  A holder whose pid is gone is the child of a killed run on its way
 * out (the kernel kills it after its parent, PR_SET_PDEATHSIG): that is waited for, briefly.
 * 0, or -1 after saying why.
 */
static int lock_dir(const char *dir)
{
	char path[PATH_MAX], text[128], when[64];
	time_t now = time(NULL);
	struct tm tm;
	int fd, n;

	kmb_pathf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "kmbench: %s: cannot open %s: %s\n", dir, path, strerror(errno));
		return -1;
	}
	for (int tries = 0; flock(fd, LOCK_EX | LOCK_NB); tries++) {
		ssize_t len;
		long pid = 0;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "kmbench: %s: cannot lock %s: %s\n", dir, path,
				strerror(errno));
			close(fd);
			return -1;
		}
		len = pread(fd, text, sizeof(text) - 1, 0);
		text[len > 0 ? len : 0] = '\0';
		snprintf(when, sizeof(when), "at an unknown time");
		/* "PID started WHEN": WHEN is the rest of the line */
		if (sscanf(text, "%ld started %63[^\n]", &pid, when) < 1)
			pid = 0;
		if (tries < 100 && (pid <= 0 || (kill((pid_t)pid, 0) && errno == ESRCH))) {
			usleep(50 * 1000);	/* just locked, not yet written; or dying */
			continue;
		}
		fprintf(stderr, "kmbench: %s is in use by kmbench pid %ld (started %s); wait for it "
			"or kill it\n", dir, pid, when);
		close(fd);
		return -1;
	}
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	n = snprintf(text, sizeof(text), "%ld started %s\n", (long)getpid(), when);
	if (ftruncate(fd, 0) || pwrite(fd, text, (size_t)n, 0) != n)
		fprintf(stderr, "kmbench: note: %s: cannot record this run in %s: %s\n", dir, path,
			strerror(errno));
	lock_fd = fd;
	return 0;
}

static bool exists(const char *dir, const char *backend, const char *suffix)
{
	char path[PATH_MAX];

	kmb_pathf(path, sizeof(path), "%s/parts/%s%s", dir, backend, suffix);
	return access(path, F_OK) == 0;
}

/* A status line written by the parent, for backends no child ran or that died. */
static void parent_status(const char *dir, const struct kmb_backend_ops *b, const char *status,
			  const char *reason)
{
	char path[PATH_MAX];
	struct kmb_atomic_file af;
	struct kmb_json j;

	kmb_pathf(path, sizeof(path), "%s/parts/%s.status.json", dir, b->name);
	if (kmb_atomic_open(&af, path))
		return;
	kmb_json_init(&j, af.f, false);
	kmb_json_obj_begin(&j, NULL);
	kmb_json_str(&j, "status", status);
	kmb_json_str(&j, "reason", reason);
	if (b->preload)
		kmb_json_str(&j, "preload", b->preload);
	kmb_json_obj_end(&j);
	fputc('\n', af.f);
	kmb_atomic_commit(&af);
}

static void empty_part(const char *dir, const struct kmb_backend_ops *b)
{
	char path[PATH_MAX];
	struct kmb_atomic_file af;

	kmb_pathf(path, sizeof(path), "%s/parts/%s" KMB_PART_PARTIAL_SUFFIX, dir, b->name);
	unlink(path);
	kmb_pathf(path, sizeof(path), "%s/parts/%s" KMB_PART_SUFFIX, dir, b->name);
	if (kmb_atomic_open(&af, path) == 0)
		kmb_atomic_commit(&af);
}

const char *kmb_backend_cannot_run(const struct kmb_backend_ops *b)
{
	if (!(b->caps & KMB_CAP_PRELOAD))
		return NULL;
	if (!b->preload || !*b->preload)
		return "library not found when kmbench was built (install its Debian package and rebuild)";
	if (access(b->preload, R_OK))
		return "library missing: the path found at build time is gone";
#ifdef KMB_ASAN
	return "sanitizer build: a preloaded malloc cannot run under AddressSanitizer";
#endif
	return NULL;
}

/*
 * This executable by its path first: under valgrind --trace-children=yes an exec of
 * /proc/self/exe would start valgrind's own tool binary, while readlink() of it gives the
 * client's path.  /proc/self/exe where that fails (e.g. the file was rebuilt since: the link
 * then ends in " (deleted)").
 */
int kmb_backend_exec(const struct kmb_backend_ops *b, char *const argv[])
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (b->caps & KMB_CAP_PRELOAD)
		setenv("LD_PRELOAD", b->preload, 1);
	else
		unsetenv("LD_PRELOAD");
	if (n > 0) {
		exe[n] = '\0';
		execv(exe, argv);
	}
	execv("/proc/self/exe", argv);
	return -errno;
}

/* Read the child's progress pipe until it closes, redrawing the live line meanwhile. */
static void follow_child(int fd, struct kmb_progress *pr)
{
	char buf[4096];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int r = poll(&pfd, 1, 250);
		ssize_t n;
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				return;
			kmb_progress_tick(pr);
			continue;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			kmb_progress_line(pr, buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)	/* no line in a full buffer: not ours, drop it */
			len = 0;
	}
}

static void run_backend(const struct kmb_options *o, const struct kmb_backend_ops *b,
			struct kmb_progress *pr)
{
	const char *why = kmb_backend_cannot_run(b);
	char reason[256];
	int pipefd[2] = { -1, -1 };
	pid_t pid, parent = getpid();
	int st;

	if (why) {
		kmb_progress_clear(pr);
		printf("== %s: skipped: %s\n", b->name, why);
		parent_status(o->out, b, "skipped", why);
		empty_part(o->out, b);	/* a skip is a finished backend: --resume keeps it */
		return;
	}
	if (o->verbose) {
		kmb_progress_clear(pr);
		printf("== %s%s%s\n", b->name, (b->caps & KMB_CAP_PRELOAD) ? ": LD_PRELOAD=" : "",
		       (b->caps & KMB_CAP_PRELOAD) ? b->preload : "");
	}
	fflush(stdout);
	if (pipe2(pipefd, O_CLOEXEC))
		pipefd[0] = pipefd[1] = -1;	/* no progress, but the run goes on */
	pid = fork();
	if (pid == 0) {
		char fd[16];
		int w = pipefd[1] >= 0 ? dup(pipefd[1]) : -1;	/* dup: without O_CLOEXEC */

		/*
		 * Die with the runner, however it ends, kill -9 included, and with the child
		 * its benchmark threads: no orphan goes on measuring, or writing into a
		 * directory a --resume may be completing.  A runner already gone before
		 * prctl() is seen as a new parent (prctl(2)).
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		/* The lock goes with the child, through exec (run.h). */
		if (lock_fd >= 0 && !fcntl(lock_fd, F_SETFD, 0)) {
			snprintf(fd, sizeof(fd), "%d", lock_fd);
			setenv(KMB_LOCK_ENV, fd, 1);
		}

		/* presentation, not run options: not in cmdline */
		if (o->verbose)
			setenv("KMB_VERBOSE", "1", 1);
		if (w >= 0) {
			snprintf(fd, sizeof(fd), "%d", w);
			setenv(KMB_PROGRESS_ENV, fd, 1);
		}
		kmb_backend_exec(b, (char *[]){ "kmbench", "child", (char *)o->out,
					(char *)b->name, NULL });
		_exit(127);
	}
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pid > 0 && pipefd[0] >= 0)
		follow_child(pipefd[0], pr);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		snprintf(reason, sizeof(reason), "cannot start the child: %s", strerror(errno));
		parent_status(o->out, b, "failed", reason);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && exists(o->out, b->name, KMB_PART_SUFFIX))
		return;
	if (WIFSIGNALED(st))
		snprintf(reason, sizeof(reason), "child killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(reason, sizeof(reason), "child exited with status %d", WEXITSTATUS(st));
	kmb_progress_clear(pr);
	fprintf(stderr, "kmbench: %s failed: %s; going on with the others\n", b->name, reason);
	parent_status(o->out, b, "failed", reason);
}

/*
 * A new run into a directory that has some: the cells of unfinished parts are another run's
 * (only --resume continues them), and go before anything is merged.  Finished parts are
 * kept, as they always were.
 */
static void drop_partial_parts(const struct kmb_options *o)
{
	const struct kmb_backend_ops *order[KMB_MAX_LIST + 1];
	size_t nb = kmb_matrix_backends(o, order);
	char path[PATH_MAX];

	for (size_t i = 0; i < nb; i++) {
		kmb_pathf(path, sizeof(path), "%s/parts/%s" KMB_PART_PARTIAL_SUFFIX, o->out,
			  order[i]->name);
		unlink(path);
	}
}

struct kept {
	struct kmb_progress *pr;
	size_t n;
};

static void count_kept(const struct kmb_part_cell *pc, void *ctx)
{
	struct kept *k = ctx;

	kmb_progress_cell_kept(k->pr, pc->family, pc->threads);
	k->n++;
}

/*
 * Before @b's child starts, in a --resume: the whole cells of its partial part, which the
 * child does not run again, count as done, and are said.
 */
static void keep_cells(const struct kmb_options *o, const struct kmb_backend_ops *b,
		       struct kmb_progress *pr)
{
	char path[PATH_MAX], *text;
	struct kept k = { pr, 0 };
	size_t len, whole;

	kmb_pathf(path, sizeof(path), "%s/parts/%s" KMB_PART_PARTIAL_SUFFIX, o->out, b->name);
	if (!o->resume || kmb_read_file(path, &text, &len))
		return;
	whole = kmb_part_scan(text, len, count_kept, &k);
	free(text);
	if (!k.n && whole == len)
		return;
	kmb_progress_clear(pr);
	printf("== %s: %zu cell%s done in an earlier attempt, kept%s\n", b->name, k.n,
	       k.n == 1 ? "" : "s", whole < len ? "; a cell cut short runs again" : "");
}

/* Counter availability, probed once per run by the parent. */
struct counters_seen {
	struct kmb_counter_probe probe[KMB_CTR_COUNT];
	bool exclude_kernel;
};

/* The whole cells of a part (part.h), as kmb_part_scan() hands them over. */
struct cells {
	struct kmb_part_cell *v;
	size_t n, cap;
	bool short_of_memory;
};

static void collect(const struct kmb_part_cell *pc, void *ctx)
{
	struct cells *cs = ctx;

	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 64;
		struct kmb_part_cell *v = realloc(cs->v, cap * sizeof(*v));

		if (!v) {
			cs->short_of_memory = true;
			return;
		}
		cs->v = v;
		cs->cap = cap;
	}
	cs->v[cs->n++] = *pc;
}

static int cmp_cell(const void *a, const void *b)
{
	const struct kmb_part_cell *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return (x->threads > y->threads) - (x->threads < y->threads);
}

/*
 * @b's rows into the benchmarks array of @j: the whole cells of its part, finished or (a
 * child that died, or is to be resumed) partial, in family and thread order whatever order
 * they ran in, each cell once.  Returns the rows written, or -errno.
 */
static long merge_part(struct kmb_json *j, const char *dir, const struct kmb_backend_ops *b)
{
	char path[PATH_MAX], *text;
	struct cells cs = { 0 };
	bool finished = true;
	size_t len;
	long nrows = 0;

	kmb_pathf(path, sizeof(path), "%s/parts/%s" KMB_PART_SUFFIX, dir, b->name);
	if (kmb_read_file(path, &text, &len)) {
		finished = false;
		kmb_pathf(path, sizeof(path), "%s/parts/%s" KMB_PART_PARTIAL_SUFFIX, dir, b->name);
		if (kmb_read_file(path, &text, &len))
			return 0;	/* not run yet */
	}
	kmb_part_scan(text, len, collect, &cs);
	/* A finished part of a kmbench before cells (issue 17), resumed: rows alone, every one
	 * whole, as it was published whole. */
	if (finished && !cs.n && len && text[len - 1] == '\n' &&
	    !memmem(text, len, KMB_PART_CELL_PREFIX, strlen(KMB_PART_CELL_PREFIX)))
		collect(&(struct kmb_part_cell){ .rows = text, .len = len }, &cs);
	if (cs.short_of_memory) {
		free(cs.v);
		free(text);
		return -ENOMEM;
	}
	if (cs.n > 1)	/* cs.v is NULL for a part without cells (a skipped backend) */
		qsort(cs.v, cs.n, sizeof(*cs.v), cmp_cell);
	for (size_t i = 0; i < cs.n; i++) {
		char *line = text + (cs.v[i].rows - text), *end = line + cs.v[i].len;

		if (i && !cmp_cell(&cs.v[i - 1], &cs.v[i]))
			continue;	/* a cell twice: never written so, never merged so */
		while (line < end) {
			char *nl = memchr(line, '\n', (size_t)(end - line));

			*nl = '\0';	/* every row line ends in one (kmb_part_scan) */
			kmb_json_raw(j, NULL, line);
			nrows++;
			line = nl + 1;
		}
	}
	free(cs.v);
	free(text);
	return nrows;
}

/* results.json from the context and the whole cells of every part, atomically. */
static int merge(const struct kmb_options *o, const struct kmb_topo *t,
		 const struct kmb_plan *p, const struct counters_seen *cs, size_t *nruns)
{
	char path[PATH_MAX];
	const struct kmb_backend_ops *order[KMB_MAX_LIST + 1];
	size_t nb = kmb_matrix_backends(o, order);
	struct kmb_atomic_file af;
	struct kmb_json j;
	int r;

	kmb_pathf(path, sizeof(path), "%s/results.json", o->out);
	r = kmb_atomic_open(&af, path);
	if (r)
		return r;
	kmb_json_init(&j, af.f, true);
	kmb_json_obj_begin(&j, NULL);
	kmb_results_write_context(&j, o, t, p, cs->probe, cs->exclude_kernel, o->out);
	kmb_json_arr_begin(&j, "benchmarks");
	*nruns = 0;
	for (size_t i = 0; i < nb; i++) {
		long n = merge_part(&j, o->out, order[i]);

		if (n < 0) {
			kmb_atomic_abort(&af);
			return (int)n;
		}
		*nruns += (size_t)n;
	}
	kmb_json_arr_end(&j);
	kmb_json_obj_end(&j);
	fputc('\n', af.f);
	return kmb_atomic_commit(&af);
}

/*
 * A run that asked for cpu-rseq (--pcp, --slab-percpu, --percpu, or a *-cpu-rseq backend)
 * where rseq cannot be used says so at its start, in one line; the results record the same
 * (results.c, options.percpu).
 */
static void rseq_note(const struct kmb_options *o)
{
	const char *asked[KMB_RSEQ_ASKED_MAX], *why;
	size_t n = kmb_options_rseq_asked(o, asked, KMB_RSEQ_ASKED_MAX);
	char list[1024] = "";

	if (!n || kmb_rseq_status(&why))
		return;
	for (size_t i = 0, len = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					asked[i]);
	fprintf(stderr, "kmbench: note: cpu-rseq asked for (%s) but unavailable here: %s; "
		"cpu-lock runs instead\n", list, why ? why : "unknown reason");
}

/* A seed for the order of the repetitions (reps.h), saved with the options and recorded in the
 * results, so that the order can be had again (--seed). */
static void draw_seed(struct kmb_options *o)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint32_t)(ts.tv_nsec ^ ts.tv_sec ^ ((long)getpid() << 16));
	}
	o->seed = seed;
	o->has_seed = true;
}

void kmb_default_run_id(struct kmb_options *o)
{
	char host[64] = "host";
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];

	gethostname(host, sizeof(host) - 1);
	for (char *c = host; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", *c))
			*c = '-';
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(o->run_id, sizeof(o->run_id), "%s-%.40s-%d", ts, host, (int)getpid());
}

int kmb_run_parent(struct kmb_options *o)
{
	char err[512], path[PATH_MAX];
	struct counters_seen cs;
	struct kmb_progress *pr;
	struct kmb_plan plan;
	struct kmb_topo *t;
	size_t nruns = 0, failed = 0, own = 0;
	char est[32];
	int r;

	if (o->resume) {
		char dir[PATH_MAX];
		bool quiet = o->quiet, verbose = o->verbose;

		snprintf(dir, sizeof(dir), "%s", o->out);
		kmb_pathf(path, sizeof(path), "%s/cmdline", dir);
		if (kmb_options_load(o, path, err, sizeof(err))) {
			fprintf(stderr, "kmbench: --resume %s: %s\n", dir, err);
			return 2;
		}
		snprintf(o->out, sizeof(o->out), "%s", dir);
		o->resume = true;
		o->quiet = quiet;
		o->verbose = verbose;
	}
	t = kmb_topo_load(NULL, NULL, err, sizeof(err));
	if (!t) {	/* in practice bad input: HWLOC_XMLFILE naming a missing file, say */
		fprintf(stderr, "kmbench: %s\n", err);
		return 2;
	}
	if (kmb_options_resolve(o, t, err, sizeof(err))) {
		fprintf(stderr, "kmbench: %s\n", err);
		kmb_topo_free(t);
		return 2;
	}
	if (kmb_plan_build(o, &plan)) {
		fprintf(stderr, "kmbench: cannot plan the run: %s\n", strerror(ENOMEM));
		kmb_topo_free(t);
		return 1;
	}
	if (o->dry_run) {		/* kmbench plan: nothing is run, nothing is written */
		kmb_plan_print(stdout, o, t, &plan);
		kmb_plan_free(&plan);
		kmb_topo_free(t);
		return 0;
	}
	if (!o->run_id[0])
		kmb_default_run_id(o);
	if (!o->out[0])
		snprintf(o->out, sizeof(o->out), "results/runs/%s", o->run_id);
	kmb_pathf(path, sizeof(path), "%s/parts", o->out);
	r = kmb_mkdir_p(path);
	if (!r && lock_dir(o->out)) {	/* said why */
		kmb_plan_free(&plan);
		kmb_topo_free(t);
		return 1;
	}
	if (!o->has_seed)
		draw_seed(o);
	kmb_pathf(path, sizeof(path), "%s/" KMB_EXP_COPY, o->out);
	if (!r)
		r = kmb_options_exp_save(o, path);
	kmb_pathf(path, sizeof(path), "%s/cmdline", o->out);
	if (r || (r = kmb_options_save(o, path))) {
		fprintf(stderr, "kmbench: --out %s: cannot write there: %s\n", o->out, strerror(-r));
		kmb_plan_free(&plan);
		kmb_topo_free(t);
		return 1;
	}
	if (!o->resume)
		drop_partial_parts(o);
	kmb_perf_probe(cs.probe, &cs.exclude_kernel);
	printf("kmbench run %s -> %s\n", o->run_id, o->out);
	for (size_t i = 0; i < plan.nfam; i++)
		own += plan.fam[i].threads ? 1 : 0;
	printf("%zu cells (%zu families x %zu thread counts%s), estimated %s; `kmbench plan` with "
	       "the same options lists them\n", plan.all_cells, plan.nfam, plan.nthreads,
	       own ? ", or their cell's own" : "", kmb_fmt_duration(est, sizeof(est), plan.total_s));
	if (plan.shard_count)
		printf("shard %d/%d: %zu of those cells, split by their estimated time\n",
		       plan.shard_index, plan.shard_count, plan.ncells);
	rseq_note(o);
	kmb_env_run_start(cs.probe, cs.exclude_kernel);	/* warnings on stderr, never fatal */
	pr = kmb_progress_start(&plan, isatty(STDOUT_FILENO) && !o->verbose, o->quiet);
	for (size_t i = 0; i < plan.nbe; i++) {
		const struct kmb_backend_ops *b = plan.be[i].b;

		if (exists(o->out, b->name, KMB_PART_SUFFIX)) {
			kmb_progress_clear(pr);
			printf("== %s: done in an earlier attempt, kept\n", b->name);
			kmb_progress_backend_kept(pr, i);
		} else if (plan.shard_count && !plan.be[i].ncells) {
			char why[96];

			snprintf(why, sizeof(why), "none of its cells is in shard %d/%d",
				 plan.shard_index, plan.shard_count);
			kmb_progress_clear(pr);
			printf("== %s: skipped: %s\n", b->name, why);
			parent_status(o->out, b, "skipped", why);
			empty_part(o->out, b);
		} else if (!plan.be[i].nfam) {
			const char *why = kmb_matrix_why_none(o, b);

			kmb_progress_clear(pr);
			printf("== %s: skipped: %s\n", b->name, why);
			parent_status(o->out, b, "skipped", why);
			empty_part(o->out, b);
		} else {
			kmb_progress_backend(pr, i);
			keep_cells(o, b, pr);
			run_backend(o, b, pr);
			kmb_progress_backend_end(pr);
			failed += !exists(o->out, b->name, KMB_PART_SUFFIX);
		}
		r = merge(o, t, &plan, &cs, &nruns);	/* after each backend: an interruption loses nothing */
		if (r) {
			kmb_progress_clear(pr);
			fprintf(stderr, "kmbench: cannot write %s/results.json: %s\n", o->out,
				strerror(-r));
			kmb_plan_free(&plan);
			kmb_topo_free(t);
			return 1;
		}
	}
	kmb_progress_finish(pr);
	kmb_plan_free(&plan);
	kmb_topo_free(t);
	printf("results: %s/results.json (%zu runs", o->out, nruns);
	if (failed)
		printf(", %zu backend%s failed: see context.backends; complete with "
		       "`kmbench run --resume %s`", failed, failed > 1 ? "s" : "", o->out);
	printf(")\n");
	return failed ? 1 : 0;
}
