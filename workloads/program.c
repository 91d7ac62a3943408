/*
 * program.c - real programs under each backend, as mimalloc-bench runs its programs (its
 * bench.sh: the allocator in LD_PRELOAD, the command timed by /usr/bin/time -f "%e %M ..."):
 * wall time, peak RSS, page faults and CPU time of a whole program, on glibc, on the malloc
 * baselines and on the kernel-style backends through libkmbench-preload.so
 * (docs/preload.md).
 *
 * What runs where.  The program is a child process (fork, execve, wait4); this process's
 * backend is not called at all, it only names the allocator the child gets:
 *   glibc                     the program bare, LD_PRELOAD removed from its environment
 *   jemalloc, tcmalloc,       LD_PRELOAD=<the backend's Debian library> (kmb_backend_ops
 *   mimalloc                  .preload, the path the backend itself is preloaded with)
 *   the kernel-style          LD_PRELOAD=libkmbench-preload.so, KMB_PRELOAD_BACKEND=<backend>,
 *   backends it serves        KMB_PRELOAD_MEM=<program-mem>, KMB_PRELOAD_STATS=<a file>
 *                             (kmbench/preload.h lists them)
 *   any other backend         no family: "not served by the preload library"
 * libkmbench-preload.so is looked for beside the kmbench binary (/proc/self/exe; the build puts
 * it there).  Where it is not (the sanitizer build makes none: ASan owns malloc), the
 * kernel-style backends get no family, with that reason; glibc and the baselines still run.
 * The child's CPU affinity is every CPU and its memory policy the default, whatever the
 * benchmark thread's pinning: the program's threads (xz -T2) are its own to place.
 *
 * Was the allocator really there?  Before the timed loop, untimed, the cell runs
 * `cat /proc/self/maps` in the program's environment and fails unless the library is mapped;
 * under the preload library every timed run's KMB_PRELOAD_STATS lines (one per process of the
 * program that exits through exit(): counted, preload_processes) must name the backend, and
 * one at least must count slab objects.
 *
 * A program.  Option program: a comma-separated list of the committed programs,
 * workloads/programs/NAME.sh (python, sqlite, git, xz, gzip: each generates its own input,
 * deterministically, and prints a summary of its work), one cell each; or sh:COMMAND, one
 * cell, COMMAND run by /bin/sh -c.  Each thread of a cell works in a directory of its own,
 * made fresh for the call: `NAME.sh setup SCALE` runs there first, bare and untimed, then a
 * reference run, bare and untimed, whose stdout checksum (FNV-1a 64) every timed run must
 * match; then one iteration = one `NAME.sh run SCALE` (or COMMAND).  Stdin is /dev/null,
 * stdout is read through a pipe and checksummed, stderr goes to a file whose last line a
 * failure quotes.  Without the option the workload has no family (a run of every workload
 * runs no program by surprise).
 *
 * Failures, each the cell's alone (kmb_gb_skip_with_error; the run goes on): a non-zero exit
 * or a signal, an output whose checksum differs from the bare run's, the library not mapped,
 * a command (setup, reference or timed run) still running after --program-timeout seconds
 * (default 60 x the scale).  The child leads a process group of its own and a timeout kills
 * the group, the program's children with it (one that made a session of its own escapes);
 * the program's later repetitions in this process then fail at once, with the same reason.
 *
 * Threads.  --threads N runs N copies of the program at once, each in its own directory with
 * its own processes (so its own allocator: they share the machine, not a heap); the counters
 * are per copy.  mimalloc-bench runs one at a time, as the preset does (threads: [1]).
 *
 * Timing.  Real time per iteration is one run of the program: fork to wait4, with reading its
 * output (Google Benchmark's manual time would take the same interval: nothing else is in the
 * loop).  Counters, per run, each a mean over the cell's threads (mean over its iterations;
 * peak_rss_kib the largest):
 *   wall_s             seconds from fork to wait4
 *   user_s, sys_s      CPU time of the program and the children it waited for (wait4's rusage)
 *   peak_rss_kib       ru_maxrss: the largest resident set of one process of the program, KiB
 *                      (as /usr/bin/time's %M)
 *   minflt, majflt     page faults (ru_minflt, ru_majflt)
 *   exit_status        0 (any other fails the cell)
 *   output_bytes       bytes the program wrote to stdout
 *   output_checksum    the low 32 bits of the stdout's FNV-1a 64 (the same under every backend)
 *   output_same        1: the output is the bare run's
 *   preload_processes  processes that ran under libkmbench-preload.so (0 elsewhere)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmbench/preload.h"
#include "workload.h"

#ifndef KMB_PROGRAMS_DIR
#define KMB_PROGRAMS_DIR ""
#endif
#define NAME		"program"
#define MAX_PROGRAMS	16
#define DEFAULT_MEM	"256M"	/* git starts dozens of processes, each building its model */

extern char **environ;

#define DEFAULT_TIMEOUT	60.0	/* seconds a command, x the scale: 60x xz's second at scale 1 */
#define MAX_TIMEOUT	86400.0
/* `kmbench plan`'s guesses (program_estimate): an sh:COMMAND's run, and each program's
 * setup and the check that the library is mapped, a repetition (0.02-0.08 s measured) */
#define EST_SH_S	1.0
#define EST_SETUP_S	0.1
/* how much longer a run takes than under glibc: the preset's runs on the 2-core VM, their
 * glibc time summed over the five programs (docs/workloads.md: 1.9x for kmalloc, 1.1x to
 * 1.3x for the baselines) */
#define EST_PRELOAD	2.0
#define EST_BASELINE	1.2

/* The option state, as given ("": the default). */
struct program_opts {
	char spec[1024];
	unsigned int scale;	/* 0: 1 */
	char mem[16];
	double timeout;		/* 0: DEFAULT_TIMEOUT x the scale */
};

/* The programs the resolve hook found, for this process (options hold no pointers). */
static struct {
	size_t n;
	char name[MAX_PROGRAMS][64];	/* the cell's program:NAME */
	char path[MAX_PROGRAMS][PATH_MAX];	/* NAME.sh; "" for sh:COMMAND */
	char cmd[1024];			/* sh:COMMAND's command */
	char scale[16];
	char mem[16];
	double timeout;			/* seconds a command may take */
	double cost[MAX_PROGRAMS];	/* its script's kmbench-cost line x the scale; 0: none */
	char hung[MAX_PROGRAMS][800];	/* why a command of it timed out in this process */
	char lib[PATH_MAX];		/* libkmbench-preload.so beside kmbench; "" when absent */
	char no_lib[PATH_MAX + 200];
	uint64_t ref[MAX_PROGRAMS];	/* the bare run's checksum, once known */
	bool have_ref[MAX_PROGRAMS];
} prog;

/*
 * snprintf for messages and names that may be cut at the buffer's end (a stderr line, a long
 * path in a message): said so, once, here, rather than at every call (-Wformat-truncation).
 */
static __attribute__((format(printf, 3, 4))) void say(char *buf, size_t len, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* --- where things are --- */

/* The directory of the kmbench binary into @buf; false when /proc/self/exe cannot say. */
static bool exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (strrchr(buf, '/'))
		*strrchr(buf, '/') = '\0';
	return true;
}

/* The committed programs' directory: the source tree's, else programs/ beside kmbench. */
static const char *programs_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];

	if (KMB_PROGRAMS_DIR[0] && !access(KMB_PROGRAMS_DIR, R_OK))
		return KMB_PROGRAMS_DIR;
	if (exe_dir(exe, sizeof(exe)) && (size_t)snprintf(buf, len, "%s/programs", exe) < len &&
	    !access(buf, R_OK))
		return buf;
	return NULL;
}

/* The committed programs' names, ", "-separated, into @buf ("none found" when none). */
static void program_names(char *buf, size_t len)
{
	char dbuf[PATH_MAX];
	const char *dir = programs_dir(dbuf, sizeof(dbuf));
	struct dirent **ents;
	int n = dir ? scandir(dir, &ents, NULL, alphasort) : -1;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);

		if (l > 3 && !strcmp(ents[i]->d_name + l - 3, ".sh") && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "",
						 (int)(l - 3), ents[i]->d_name);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	if (!buf[0])
		say(buf, len, "none found");
}

/* Is @name one of the ", "-separated @list? */
static bool in_list(const char *list, const char *name)
{
	size_t l = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += l)
		if ((p == list || p[-1] == ' ') && (p[l] == ',' || !p[l]))
			return true;
	return false;
}

/* --- the options --- */

static int parse_spec(void *st, const char *value, char *err, size_t errlen)
{
	struct program_opts *o = st;
	char names[400], dbuf[PATH_MAX], path[PATH_MAX + 64];
	const char *dir = programs_dir(dbuf, sizeof(dbuf));
	size_t n = 0;

	program_names(names, sizeof(names));
	if (strlen(value) >= sizeof(o->spec)) {
		say(err, errlen, "at most %zu bytes", sizeof(o->spec) - 1);
		return -EINVAL;
	}
	if (!strncmp(value, "sh:", 3)) {
		if (!value[3]) {
			say(err, errlen, "sh: wants a command, sh:COMMAND");
			return -EINVAL;
		}
		say(o->spec, sizeof(o->spec), "%s", value);
		return 0;
	}
	for (const char *p = value; ; p++) {
		size_t l = strcspn(p, ",");
		bool name = l && l < sizeof(prog.name[0]) &&
			    strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") >= l;

		if (name && dir)
			say(path, sizeof(path), "%s/%.*s.sh", dir, (int)l, p);
		if (!name || !dir || access(path, R_OK) || ++n > MAX_PROGRAMS) {
			say(err, errlen, "%s'%.*s': valid: a list of %s (at most %d), or "
			    "sh:COMMAND", n > MAX_PROGRAMS ? "too many programs at " :
			    "unknown program ", (int)l, p, names, MAX_PROGRAMS);
			return -EINVAL;
		}
		p += l;
		if (!*p)
			break;
	}
	say(o->spec, sizeof(o->spec), "%s", value);
	return 0;
}

static int parse_scale(void *st, const char *value, char *err, size_t errlen)
{
	struct program_opts *o = st;
	char *end;
	unsigned long v = strtoul(value, &end, 10);

	if (!value[0] || *end || value[0] == '-' || v < 1 || v > 1000) {
		say(err, errlen, "an integer from 1 to 1000 (the committed programs' input "
		    "size: 1 is a few seconds each)");
		return -EINVAL;
	}
	o->scale = (unsigned int)v;
	return 0;
}

/* KMB_PRELOAD_MEM's rule (docs/preload.md): a multiple of 4M from 8M; 64G per node is the
 * library's own check. */
static int parse_mem(void *st, const char *value, char *err, size_t errlen)
{
	struct program_opts *o = st;
	size_t v;

	if (kmb_parse_bytes(value, 64ULL << 30, &v) || v % (4UL << 20) || v < (8UL << 20)) {
		say(err, errlen, "the preload library's model size, a multiple of 4M from 8M "
		    "to 64G (256M, 1G)");
		return -EINVAL;
	}
	say(o->mem, sizeof(o->mem), "%zuM", v >> 20);
	return 0;
}

static int parse_timeout(void *st, const char *value, char *err, size_t errlen)
{
	struct program_opts *o = st;
	char *end;
	double v = strtod(value, &end);

	if (!value[0] || *end || !(v > 0 && v <= MAX_TIMEOUT)) {
		say(err, errlen, "seconds a command of a program may run, above 0 and at most "
		    "%.0f (default: %.0f x --program-scale)", MAX_TIMEOUT, DEFAULT_TIMEOUT);
		return -EINVAL;
	}
	o->timeout = v;
	return 0;
}

/*
 * The seconds of one run of the committed program at @path at scale 1 under glibc, from its
 * "# kmbench-cost: SECONDS" line (measured on the 2-core development VM); 0 when it has none.
 */
static double script_cost(const char *path)
{
	char line[256];
	double v = 0;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "# kmbench-cost: ", 16)) {
			v = strtod(line + 16, NULL);
			break;
		}
	if (f)
		fclose(f);
	return v > 0 ? v : 0;
}

static int program_resolve(void *st, const struct kmb_wl_machine *m, char *err, size_t errlen)
{
	const struct program_opts *o = st;
	const unsigned int scale = o->scale ? o->scale : 1;
	char dbuf[PATH_MAX], exe[PATH_MAX];
	const char *dir = programs_dir(dbuf, sizeof(dbuf));

	(void)m;
	(void)err;
	(void)errlen;
	memset(&prog, 0, sizeof(prog));
	say(prog.scale, sizeof(prog.scale), "%u", scale);
	say(prog.mem, sizeof(prog.mem), "%s", o->mem[0] ? o->mem : DEFAULT_MEM);
	prog.timeout = o->timeout ? o->timeout : DEFAULT_TIMEOUT * scale;
	if (!exe_dir(exe, sizeof(exe)) ||
	    (size_t)snprintf(prog.lib, sizeof(prog.lib), "%s/" KMB_PRELOAD_LIB, exe) >=
	    sizeof(prog.lib) || access(prog.lib, R_OK)) {
		say(prog.no_lib, sizeof(prog.no_lib), NAME ": " KMB_PRELOAD_LIB " is not "
		    "beside kmbench (%s; the sanitizer build makes none), so the kernel-style "
		    "backends cannot run a program", exe);
		prog.lib[0] = '\0';
	}
	if (!o->spec[0])
		return 0;
	if (!strncmp(o->spec, "sh:", 3)) {
		prog.n = 1;
		say(prog.name[0], sizeof(prog.name[0]), "sh");
		say(prog.cmd, sizeof(prog.cmd), "%s", o->spec + 3);
		return 0;
	}
	for (const char *p = o->spec; *p; p += *p == ',') {
		size_t l = strcspn(p, ",");

		say(prog.name[prog.n], sizeof(prog.name[0]), "%.*s", (int)l, p);
		say(prog.path[prog.n], sizeof(prog.path[0]), "%s/%.*s.sh", dir ? dir : ".",
		    (int)l, p);
		prog.cost[prog.n] = script_cost(prog.path[prog.n]) * scale;
		prog.n++;
		p += l;
	}
	return 0;
}

/* --- which backends, and their environment --- */

static bool is_glibc(const struct kmb_backend_ops *b)
{
	return !strcmp(b->name, "glibc");
}

/* The library @b's programs run under; "" for glibc, NULL when none (*why says why). */
static const char *backend_lib(const struct kmb_backend_ops *b, const char **why)
{
	static char msg[300];

	if (is_glibc(b))
		return "";
	if (b->caps & KMB_CAP_PRELOAD) {
		if (b->preload && b->preload[0] && !access(b->preload, R_OK))
			return b->preload;
		say(msg, sizeof(msg), NAME ": %s's library is not installed (%s)", b->name,
		    b->preload && b->preload[0] ? b->preload : "not found at build time");
		*why = msg;
		return NULL;
	}
	if (!in_list(KMB_PRELOAD_BACKENDS, b->name)) {
		say(msg, sizeof(msg), NAME ": %s is not served by the preload library (it "
		    "serves glibc's malloc as " KMB_PRELOAD_BACKENDS ")", b->name);
		*why = msg;
		return NULL;
	}
	if (!prog.lib[0]) {
		*why = prog.no_lib;
		return NULL;
	}
	return prog.lib;
}

static size_t program_cells(const void *st, const struct kmb_backend_ops *b, const char **why)
{
	(void)st;
	if (!prog.n) {
		*why = NAME ": no program given; give --program NAME[,NAME...] (the committed "
		       "workloads/programs/NAME.sh) or --program sh:COMMAND";
		return 0;
	}
	return backend_lib(b, why) ? prog.n : 0;
}

static void program_params(const void *st, const struct kmb_backend_ops *b, size_t k,
			   const struct kmb_context_sink *out)
{
	(void)st;
	(void)b;
	out->text(out->ctx, "program", prog.name[k]);
}

/* The environment of a run: this process's, without its LD_PRELOAD and KMB_PRELOAD_*, plus
 * @extra (NULL-terminated).  A malloc'd array of pointers into environ and @extra. */
static char **make_env(char *const *extra)
{
	size_t n = 0, k = 0, m = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "KMB_PRELOAD_", 12))
			env[k++] = environ[i];
	for (size_t i = 0; i < m; i++)
		env[k++] = extra[i];
	return env;
}

/* --- one run of a command --- */

struct outcome {
	int status;		/* wait4's */
	uint64_t sum;		/* FNV-1a 64 of stdout */
	uint64_t bytes;
	double wall, user, sys;
	long maxrss, minflt, majflt;
	int err;		/* -errno: it could not be started */
	bool timed_out;		/* it ran past prog.timeout: its process group was killed */
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

/* The child, after fork: a process group of its own (what a timeout kills), every CPU, the
 * default memory policy, stdin /dev/null, stdout the pipe, stderr @errpath, no other file, in
 * @cwd; then exec.  Async-signal-safe calls only. */
static __attribute__((noreturn)) void child(char *const *argv, char *const *env, const char *cwd,
					    const char *errpath, int out)
{
	cpu_set_t all;
	int in = open("/dev/null", O_RDONLY), e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	setpgid(0, 0);
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	sched_setaffinity(0, sizeof(all), &all);
	syscall(SYS_set_mempolicy, 0 /* MPOL_DEFAULT */, NULL, 0);
	if (in < 0 || e < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd))
		_exit(126);
	/* Nothing else of kmbench's: a process of the program left behind (one that escaped a
	 * timeout's kill) must not hold the runner's progress pipe open, nor another's output. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3, ~0U, 0))
#endif
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	execve(argv[0], argv, env);
	_exit(127);
}

/* Seconds since @t0 (CLOCK_MONOTONIC). */
static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* Milliseconds from now to prog.timeout after @t0, rounded up; 0 once it has passed. */
static int ms_left(const struct timespec *t0)
{
	double left = prog.timeout - since(t0);

	return left > 0 ? (int)(left * 1e3) + 1 : 0;
}

/* poll(@fd) until it is readable or prog.timeout after @t0: false when the time ran out. */
static bool wait_readable(int fd, const struct timespec *t0)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	int ms, r;

	while ((ms = ms_left(t0)) > 0) {
		r = poll(&pf, 1, ms);
		if (r > 0 || (r < 0 && errno != EINTR))
			return true;
	}
	return false;
}

/*
 * Run @argv and wait for it, at most prog.timeout: past it, kill its process group (the
 * program's children too, unless one made a group or session of its own) and say so.  The
 * deadline covers the output (a child may hold the pipe open) and the exit (a program may
 * close its stdout and go on), the latter through a pidfd (Linux 5.3; without one, wait4
 * waits as long as the program runs).
 */
static void run_command(char *const *argv, char *const *env, const char *cwd,
			const char *errpath, struct outcome *o)
{
	struct timespec t0;
	struct rusage ru;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	char buf[65536];
	int fd[2], pidfd;
	pid_t pid;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	if (pipe2(fd, O_CLOEXEC)) {
		o->err = -errno;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0)
		child(argv, env, cwd, errpath, fd[1]);
	close(fd[1]);
	if (pid < 0) {
		o->err = -errno;
		close(fd[0]);
		return;
	}
	/* the child's own setpgid may not have run yet: the kill below must find the group */
	setpgid(pid, pid);
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	pidfd = -1;
#endif
	while (!(o->timed_out = !wait_readable(fd[0], &t0)) &&
	       ((n = read(fd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
		o->bytes += n > 0 ? (uint64_t)n : 0;
	}
	if (!o->timed_out && pidfd >= 0)
		o->timed_out = !wait_readable(pidfd, &t0);
	/* the leader is not yet reaped, so its pid still names this group */
	if (o->timed_out)
		kill(-pid, SIGKILL);
	if (pidfd >= 0)
		close(pidfd);
	close(fd[0]);
	while (wait4(pid, &o->status, 0, &ru) < 0)
		if (errno != EINTR) {
			o->err = -errno;
			return;
		}
	o->wall = since(&t0);
	o->sum = h;
	o->user = tv_s(ru.ru_utime);
	o->sys = tv_s(ru.ru_stime);
	o->maxrss = ru.ru_maxrss;
	o->minflt = ru.ru_minflt;
	o->majflt = ru.ru_majflt;
}

/* The last non-empty line of file @path into @buf ("" when none). */
static void last_line(const char *path, char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (line[strspn(line, " \t\n")]) {
			line[strcspn(line, "\n")] = '\0';
			say(buf, len, "%s", line);
		}
	if (f)
		fclose(f);
}

/* One thread's run of a cell: its program, directory, commands and environments. */
struct cell_run {
	size_t k;
	char root[PATH_MAX], work[PATH_MAX + 8], err[PATH_MAX + 8], stats[PATH_MAX + 8];
	char *setup[5], *argv[5], *maps[3];
	char **bare, **env;
	char extra[4][PATH_MAX + 32];
	char *extrap[5];
};

/* prog.hung, which the threads of a cell may all write */
static pthread_mutex_t hung_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Did @o, a command of @c's program, end well?  Else the reason into @msg, naming @what.  A
 * command that timed out is remembered (prog.hung): the program's later calls in this
 * process fail at once with the same reason rather than wait the timeout again.
 */
static bool ended_well(const struct outcome *o, const char *what, const struct cell_run *c,
		       char *msg, size_t len)
{
	char tail[300];

	if (o->err) {
		say(msg, len, "%s: cannot run: %s", what, strerror(-o->err));
		return false;
	}
	if (o->timed_out) {
		say(msg, len, "%s: timed out after %g s (--program-timeout): its process group "
		    "killed", what, prog.timeout);
		pthread_mutex_lock(&hung_lock);
		if (!prog.hung[c->k][0])
			say(prog.hung[c->k], sizeof(prog.hung[0]), "%s", msg);
		pthread_mutex_unlock(&hung_lock);
		return false;
	}
	if (WIFEXITED(o->status) && !WEXITSTATUS(o->status))
		return true;
	last_line(c->err, tail, sizeof(tail));
	if (WIFEXITED(o->status))
		say(msg, len, "%s: exit status %d%s%s", what, WEXITSTATUS(o->status),
		    tail[0] ? "; stderr: " : "", tail);
	else
		say(msg, len, "%s: killed by signal %d (%s)%s%s", what, WTERMSIG(o->status),
		    strsignal(WTERMSIG(o->status)), tail[0] ? "; stderr: " : "", tail);
	return false;
}

/* --- the cell --- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

static void cell_free(struct cell_run *c)
{
	if (c->root[0])
		nftw(c->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(c->bare);
	free(c->env);
}

/* The directory and the commands of cell @k on @b; 0, or -errno with @msg. */
static int cell_setup(struct cell_run *c, const struct kmb_backend_ops *b, size_t k,
		      const char *lib, char *msg, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char *none[] = { NULL };
	size_t e = 0;

	c->k = k;
	say(c->root, sizeof(c->root), "%s/kmbench-program-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c->root)) {
		c->root[0] = '\0';
		say(msg, len, NAME ": cannot make a directory in %s: %s",
		    tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return -EIO;
	}
	say(c->work, sizeof(c->work), "%s/work", c->root);
	say(c->err, sizeof(c->err), "%s/stderr", c->root);
	say(c->stats, sizeof(c->stats), "%s/stats", c->root);
	if (mkdir(c->work, 0700)) {
		say(msg, len, NAME ": cannot make %s: %s", c->work, strerror(errno));
		return -EIO;
	}
	if (prog.path[k][0]) {
		c->setup[0] = c->argv[0] = (char *)"/bin/sh";
		c->setup[1] = c->argv[1] = prog.path[k];
		c->setup[2] = (char *)"setup";
		c->argv[2] = (char *)"run";
		c->setup[3] = c->argv[3] = prog.scale;
	} else {
		c->argv[0] = (char *)"/bin/sh";
		c->argv[1] = (char *)"-c";
		c->argv[2] = prog.cmd;
	}
	c->maps[0] = (char *)"/bin/cat";
	c->maps[1] = (char *)"/proc/self/maps";
	if (lib[0])
		say(c->extra[e++], sizeof(c->extra[0]), "LD_PRELOAD=%s", lib);
	if (lib == prog.lib) {
		say(c->extra[e++], sizeof(c->extra[0]), "KMB_PRELOAD_BACKEND=%s", b->name);
		say(c->extra[e++], sizeof(c->extra[0]), "KMB_PRELOAD_MEM=%s", prog.mem);
		say(c->extra[e++], sizeof(c->extra[0]), "KMB_PRELOAD_STATS=%s", c->stats);
	}
	for (size_t i = 0; i < e; i++)
		c->extrap[i] = c->extra[i];
	c->bare = make_env(none);
	c->env = make_env(c->extrap);
	if (!c->bare || !c->env) {
		say(msg, len, NAME ": out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Empty the KMB_PRELOAD_STATS file for the next run's lines. */
static void clear_stats(struct cell_run *c)
{
	int fd = open(c->stats, O_WRONLY | O_TRUNC);

	if (fd >= 0)
		close(fd);
}

/* The library really mapped in the program's environment (untimed, once per call). */
static int check_mapped(struct cell_run *c, const struct kmb_backend_ops *b, const char *lib,
			char *msg, size_t len)
{
	char line[PATH_MAX + 200], maps[PATH_MAX + 8], real[PATH_MAX];
	char *argv[] = { (char *)"/bin/sh", (char *)"-c",
			 (char *)"exec /bin/cat /proc/self/maps > \"$0\"", maps, NULL };
	struct outcome o;
	bool found = false;
	FILE *f;

	if (!lib[0])
		return 0;
	/* the maps name the library by its real path */
	if (!realpath(lib, real))
		say(real, sizeof(real), "%s", lib);
	say(maps, sizeof(maps), "%s/maps", c->root);
	run_command(argv, c->env, c->work, c->err, &o);
	clear_stats(c);		/* sh's and cat's lines */
	if (!ended_well(&o, "cat /proc/self/maps", c, msg, len))
		return -EIO;
	f = fopen(maps, "r");
	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, real) != NULL;
	if (f)
		fclose(f);
	if (!found) {
		say(msg, len, NAME ": %s: %s is not mapped in a program started with "
		    "LD_PRELOAD=%s", b->name, lib, lib);
		return -EIO;
	}
	return 0;
}

/*
 * The KMB_PRELOAD_STATS lines of a timed run: each names @b (the library was in every process
 * of the program), and where there are any, one at least counts slab objects (some process
 * took memory from it: a gzip or a cksum may allocate nothing).  How many lines, or -1 with
 * @msg.
 */
static long check_stats(struct cell_run *c, const struct kmb_backend_ops *b, char *msg,
			size_t len)
{
	char line[1024], want[128];
	long n = 0;
	bool served = false;
	FILE *f = fopen(c->stats, "r");

	say(want, sizeof(want), " backend %s: slab ", b->name);
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, want);

		if (!p) {
			line[strcspn(line, "\n")] = '\0';
			say(msg, len, NAME ": a process did not run on %s: %s", b->name, line);
			n = -1;
			break;
		}
		served |= p[strlen(want)] >= '1' && p[strlen(want)] <= '9';
		n++;
	}
	if (f)
		fclose(f);
	clear_stats(c);
	/* no line at all says nothing: a process that ends with _exit (dash does) writes none */
	if (n > 0 && !served) {
		say(msg, len, NAME ": no process of the program took an object from %s's "
		    "slab caches (%ld said they ran under " KMB_PRELOAD_LIB ", "
		    "KMB_PRELOAD_STATS)", b->name, n);
		return -1;
	}
	return n;
}

/* The bare run's checksum for program @k: this process's first, kept for its other calls
 * (under a lock: the threads of a cell all ask). */
static int reference(struct cell_run *c, size_t k, char *msg, size_t len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct outcome o;
	char what[128];
	int r = 0;

	pthread_mutex_lock(&lock);
	if (!prog.have_ref[k]) {
		run_command(c->argv, c->bare, c->work, c->err, &o);
		say(what, sizeof(what), NAME " %s on glibc (the reference run)",
		    prog.name[k]);
		if (ended_well(&o, what, c, msg, len)) {
			prog.ref[k] = o.sum;
			prog.have_ref[k] = true;
		} else {
			r = -EIO;
		}
	}
	pthread_mutex_unlock(&lock);
	return r;
}

/* Did a command of program @k time out in this process before?  Then why, into @msg. */
static bool hung_before(size_t k, char *msg, size_t len)
{
	bool hung;

	pthread_mutex_lock(&hung_lock);
	hung = prog.hung[k][0];
	if (hung)
		say(msg, len, "%s (in an earlier repetition: not run again)", prog.hung[k]);
	pthread_mutex_unlock(&hung_lock);
	return hung;
}

static int program_run(struct kmb_gb_state *st, const struct kmb_backend_ops *b,
		       const struct kmb_workload_params *p)
{
	const char *why = NULL, *lib = backend_lib(b, &why);
	struct cell_run c = { 0 };
	struct outcome o, sum = { 0 };
	char msg[800] = "", what[128];
	long maxrss = 0, procs = 0, n;
	int64_t runs = 0;
	int err = 0;

	say(what, sizeof(what), NAME " %s on %s", prog.name[p->cell], b->name);
	if (hung_before(p->cell, msg, sizeof(msg))) {
		err = -ETIMEDOUT;
	} else if (!lib) {
		say(msg, sizeof(msg), "%s", why);
		err = -EINVAL;
	} else if ((err = cell_setup(&c, b, p->cell, lib, msg, sizeof(msg))) == 0 &&
		   c.setup[0]) {
		char swhat[160];

		say(swhat, sizeof(swhat), NAME " %s setup", prog.name[p->cell]);
		run_command(c.setup, c.bare, c.work, c.err, &o);
		err = ended_well(&o, swhat, &c, msg, sizeof(msg)) ? 0 : -EIO;
	}
	if (!err)
		err = reference(&c, p->cell, msg, sizeof(msg));
	if (!err)
		err = check_mapped(&c, b, lib, msg, sizeof(msg));
	if (err)
		kmb_gb_skip_with_error(st, msg);
	while (kmb_gb_keep_running_batch(st, 1)) {
		if (err)
			continue;
		run_command(c.argv, c.env, c.work, c.err, &o);
		if (!ended_well(&o, what, &c, msg, sizeof(msg))) {
			err = -EIO;
		} else if (o.sum != prog.ref[p->cell]) {
			say(msg, sizeof(msg), "%s: the output differs from glibc's (%llu "
			    "bytes, checksum %016llx, glibc's %016llx)", what,
			    (unsigned long long)o.bytes, (unsigned long long)o.sum,
			    (unsigned long long)prog.ref[p->cell]);
			err = -EIO;
		} else if (lib == prog.lib && (n = check_stats(&c, b, msg, sizeof(msg))) < 0) {
			err = -EIO;
		} else {
			procs += lib == prog.lib ? n : 0;
			sum.wall += o.wall;
			sum.user += o.user;
			sum.sys += o.sys;
			sum.minflt += o.minflt;
			sum.majflt += o.majflt;
			sum.bytes = o.bytes;
			maxrss = o.maxrss > maxrss ? o.maxrss : maxrss;
			runs++;
		}
		if (err)
			kmb_gb_skip_with_error(st, msg);
	}
	if (!err && runs) {
		const unsigned int avg = KMB_GB_CTR_AVG_THREADS;
		const double r = (double)runs;

		kmb_gb_set_counter(st, "wall_s", sum.wall / r, avg);
		kmb_gb_set_counter(st, "user_s", sum.user / r, avg);
		kmb_gb_set_counter(st, "sys_s", sum.sys / r, avg);
		kmb_gb_set_counter(st, "peak_rss_kib", (double)maxrss, avg);
		kmb_gb_set_counter(st, "minflt", (double)sum.minflt / r, avg);
		kmb_gb_set_counter(st, "majflt", (double)sum.majflt / r, avg);
		kmb_gb_set_counter(st, "exit_status", 0, avg);
		kmb_gb_set_counter(st, "output_bytes", (double)sum.bytes, avg);
		kmb_gb_set_counter(st, "output_checksum", (double)(prog.ref[p->cell] & 0xffffffffu),
				   avg);
		kmb_gb_set_counter(st, "output_same", 1, avg);
		kmb_gb_set_counter(st, "preload_processes", (double)procs / r, avg);
	}
	kmb_gb_set_items_processed(st, runs);
	cell_free(&c);
	return err;
}

/*
 * The plan's estimate of cell @k on @b: one run is the script's kmbench-cost (glibc's time at
 * scale 1 on the 2-core VM, x the scale; EST_SH_S for sh:COMMAND) x how much slower @b's
 * library runs programs; each repetition adds the setup and the check that the library is
 * mapped, the cell the bare reference run (once per process and program: counted on each of
 * its cells, an over-estimate with several thread counts).
 */
static void program_estimate(const void *st, const struct kmb_backend_ops *b, size_t k,
			     double *op_s, double *rep_s, double *cell_s)
{
	double run = k < prog.n && prog.cost[k] > 0 ? prog.cost[k] : EST_SH_S;

	(void)st;
	*op_s = run * (is_glibc(b) ? 1 : b->caps & KMB_CAP_PRELOAD ? EST_BASELINE : EST_PRELOAD);
	*rep_s = EST_SETUP_S;
	*cell_s = run;
}

/* context.options.program: what ran (results/README.md). */
static void program_context(const void *st, const char *section,
			    const struct kmb_context_sink *out)
{
	(void)st;
	if (section || !prog.n)
		return;
	out->begin(out->ctx, "program");
	out->array(out->ctx, "programs");
	for (size_t k = 0; k < prog.n; k++)
		out->text(out->ctx, NULL, prog.path[k][0] ? prog.path[k] : prog.cmd);
	out->end(out->ctx);
	out->num(out->ctx, "scale", atoi(prog.scale));
	out->text(out->ctx, "preload_mem", prog.mem);
	out->text(out->ctx, "preload_library", prog.lib[0] ? prog.lib : "");
	out->num(out->ctx, "timeout_ms", (long long)(prog.timeout * 1e3 + 0.5));
	out->end(out->ctx);
}

static const struct kmb_backend_opt program_opt[] = {
	{ "program", "NAME[,NAME...]|sh:COMMAND", "the programs the program workload runs: "
	  "workloads/programs/NAME.sh (python, sqlite, git, xz, gzip), or one shell command "
	  "(default: none, and the workload has no family)", parse_spec, NULL },
	{ "program-scale", "N", "the committed programs' input size, 1 to 1000 (default 1: a "
	  "few seconds each)", parse_scale, NULL },
	{ "program-timeout", "SECONDS", "how long a command of a program (its setup, the "
	  "reference run, a timed run) may take before its process group is killed and its cell "
	  "fails (default 60 x --program-scale)", parse_timeout, NULL },
	{ "program-mem", "SIZE", "KMB_PRELOAD_MEM of programs under libkmbench-preload.so, a "
	  "multiple of 4M from 8M (default " DEFAULT_MEM ")", parse_mem, NULL },
};

static const struct kmb_backend_optset program_optset = {
	.name = NAME,
	.size = sizeof(struct program_opts),
	.opt = program_opt,
	.nopt = sizeof(program_opt) / sizeof(program_opt[0]),
	.context = program_context,
};

const struct kmb_workload kmb_workload_program = {
	.name = NAME,
	.description = "real programs (--program) under each backend's malloc, by LD_PRELOAD as "
		       "mimalloc-bench runs them: wall time, peak RSS, page faults; one op = one "
		       "run of the program",
	.flags = KMB_WL_NO_PROFILE,
	.run = program_run,
	.opts = &program_optset,
	.resolve = program_resolve,
	.cells = program_cells,
	.cell_params = program_params,
	.estimate = program_estimate,
};
