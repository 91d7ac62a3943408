/*
 * callgraph.c - perf record and perf script for `kmbench run --profile` (callgraph.h).
 *
 * perf runs as a process of its own, started with posix_spawn (the child may have threads
 * left from Google Benchmark's runs: no fork of a threaded process), without LD_PRELOAD (a
 * preloaded baseline's allocator is the child's, not perf's), its control pipe on fd 3 and its
 * acknowledgements on fd 4.  Each command waits for perf's "ack" (tools/perf/Documentation/
 * perf-record.txt, --control), so enable returns when the events count, and disable when they
 * no longer do.  A perf that dies instead closes the ack pipe: the wait sees end of file and
 * reports perf's last line, the reason it gave (e.g. perf_event_paranoid).
 *
 * Folding follows the format of FlameGraph's stackcollapse-perf.pl (one line per distinct
 * stack, root first, frames joined by ';', a space and its count; the process name as the
 * root frame, its spaces as '_'): perf script prints each sample's chain leaf first, one frame
 * a line, "ADDR SYMBOL (DSO)".  A frame perf cannot name is its object's name in brackets,
 * "[libbenchmark.so.1.7.1]", or "[unknown]".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "callgraph.h"
#include "json.h"

extern char **environ;

#define WHY(...) (snprintf(why, len, __VA_ARGS__))

bool kmb_cg_match(const char *spec, const char *name)
{
	char pat[256];
	const char *p = spec, *comma;

	if (!spec[0])
		return true;
	for (; *p; p = comma ? comma + 1 : p + strlen(p)) {
		size_t n;

		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!n || n >= sizeof(pat))
			continue;
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (strpbrk(pat, "*?[") ? !fnmatch(pat, name, 0) : strstr(name, pat) != NULL)
			return true;
	}
	return false;
}

void kmb_cg_basename(char *buf, size_t len, const char *name)
{
	size_t i = 0;

	for (; name[i] && i + 1 < len; i++) {
		char ch = name[i];

		if (ch == '/')
			ch = '_';
		else if (ch == ':')
			ch = '-';
		else if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
			 !(ch >= '0' && ch <= '9') && ch != '.' && ch != '-' && ch != '_')
			ch = '_';
		buf[i] = ch;
	}
	if (len)
		buf[i] = '\0';
}

const char *kmb_cg_c2c_supported(void)
{
	/* What perf c2c record asks for: the mem-loads/mem-stores events of Intel's PMU (its
	 * hybrid cores' too), or AMD's IBS op sampling (tools/perf/arch/x86/util/mem-events.c). */
	static const char *const need[] = {
		"/sys/bus/event_source/devices/cpu/events/mem-loads",
		"/sys/bus/event_source/devices/cpu_core/events/mem-loads",
		"/sys/bus/event_source/devices/ibs_op",
	};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (access(need[i], F_OK) == 0)
			return NULL;
	return "no memory-access sampling on this machine (neither the mem-loads event, "
	       "/sys/bus/event_source/devices/cpu/events/mem-loads, nor AMD IBS, "
	       "/sys/bus/event_source/devices/ibs_op: no hardware PMU?)";
}

static const char *perf_bin(void)
{
	const char *p = getenv(KMB_CG_ENV);

	return p && *p ? p : "perf";
}

/* The last non-empty line of @log into @why, after @prefix; the prefix alone if none. */
static void log_reason(const char *log, const char *prefix, char *why, size_t len)
{
	char *text = NULL, *end, *line;
	size_t n = 0;

	if (kmb_read_file(log, &text, &n) || !n) {
		WHY("%s", prefix);
		free(text);
		return;
	}
	end = text + n;
	while (end > text && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		*--end = '\0';
	line = end;
	while (line > text && line[-1] != '\n')
		line--;
	if (*line)
		WHY("%s: %s", prefix, line);
	else
		WHY("%s", prefix);
	free(text);
}

/* The environment without LD_PRELOAD, into a malloc'd array (free only the array). */
static char **env_without_preload(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	return env;
}

/*
 * Spawn @argv (argv[0]: the perf binary, searched on PATH) with stdin /dev/null, stdout and
 * stderr into @log, and, where @ctl >= 0, @ctl as fd 3 and @ack as fd 4.  0 or -errno.
 */
static int spawn(pid_t *pid, char *const argv[], const char *log, int ctl, int ack)
{
	posix_spawn_file_actions_t fa;
	char **env = env_without_preload();
	int r;

	if (!env)
		return -ENOMEM;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (ctl >= 0) {		/* both above 10 (start): neither is 3 or 4 */
		posix_spawn_file_actions_adddup2(&fa, ctl, 3);
		posix_spawn_file_actions_adddup2(&fa, ack, 4);
	}
	r = posix_spawnp(pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return -r;
}

/* Wait for @pid; 0 when it exited 0 or (@sigint_ok) was ended by SIGINT; else -EIO. */
static int reap(pid_t pid, bool sigint_ok)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* perf record ends on SIGINT by writing its data, then dying of the signal again (or
	 * exiting 130, as a shell reports it). */
	if (sigint_ok && ((WIFSIGNALED(st) && WTERMSIG(st) == SIGINT) ||
			  (WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGINT)))
		return 0;
	return -EIO;
}

/* Send @cmd on the control pipe and wait for perf's "ack".  0, or -EIO when perf ended
 * (its pipe closed) or -ETIMEDOUT. */
static int command(struct kmb_cg_rec *r, const char *cmd)
{
	struct pollfd pfd = { .fd = r->ack, .events = POLLIN };
	char buf[16];
	size_t got = 0;

	if (write(r->ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -EIO;
	while (got < 4) {
		int n = poll(&pfd, 1, KMB_CG_ACK_MS);
		ssize_t k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		k = read(r->ack, buf + got, sizeof(buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -EIO;
		got += (size_t)k;
	}
	buf[got] = '\0';
	return strncmp(buf, "ack\n", 4) == 0 ? 0 : -EIO;
}

static void close_rec(struct kmb_cg_rec *r)
{
	if (r->ctl >= 0)
		close(r->ctl);
	if (r->ack >= 0)
		close(r->ack);
	r->ctl = r->ack = -1;
	r->pid = 0;
}

int kmb_cg_start(struct kmb_cg_rec *r, bool c2c, const char *event, const char *data,
		 const char *log, char *why, size_t len)
{
	char pid[32], freq[32], ev[96], out[PATH_MAX + 16];
	const char *bin = perf_bin();
	int ctl[2], ack[2], hi[2], e;
	char *argv[16];
	size_t n = 0;

	*r = (struct kmb_cg_rec){ .ctl = -1, .ack = -1 };
	snprintf(r->log, sizeof(r->log), "%s", log);
	snprintf(pid, sizeof(pid), "--pid=%d", (int)getpid());
	snprintf(freq, sizeof(freq), "--freq=%d", KMB_CG_FREQ);
	snprintf(ev, sizeof(ev), "--event=%s", event);
	snprintf(out, sizeof(out), "--output=%s", data);
	argv[n++] = (char *)bin;
	if (c2c) {
		/* perf c2c record passes the options it does not know on to perf record. */
		argv[n++] = "c2c";
		argv[n++] = "record";
	} else {
		argv[n++] = "record";
		argv[n++] = "-g";	/* --call-graph fp */
		argv[n++] = freq;
		argv[n++] = ev;
	}
	argv[n++] = "--delay=-1";	/* events disabled until "enable" */
	argv[n++] = "--control=fd:3,4";
	argv[n++] = pid;
	argv[n++] = out;
	argv[n] = NULL;

	if (pipe2(ctl, O_CLOEXEC))
		return WHY("pipe: %s", strerror(errno)), -errno;
	if (pipe2(ack, O_CLOEXEC)) {
		e = errno;
		close(ctl[0]);
		close(ctl[1]);
		return WHY("pipe: %s", strerror(e)), -e;
	}
	/* perf's ends above 10, so that moving them to 3 and 4 overwrites neither. */
	hi[0] = fcntl(ctl[0], F_DUPFD_CLOEXEC, 10);
	hi[1] = fcntl(ack[1], F_DUPFD_CLOEXEC, 10);
	close(ctl[0]);
	close(ack[1]);
	r->ctl = ctl[1];
	r->ack = ack[0];
	signal(SIGPIPE, SIG_IGN);	/* a perf that died: write() says EPIPE */
	e = hi[0] < 0 || hi[1] < 0 ? -EMFILE : spawn(&r->pid, argv, log, hi[0], hi[1]);
	if (hi[0] >= 0)
		close(hi[0]);
	if (hi[1] >= 0)
		close(hi[1]);
	if (e) {
		WHY("cannot run %s: %s", bin, strerror(-e));
		unlink(log);	/* opened for it, empty */
		close_rec(r);
		return e;
	}
	e = command(r, "enable\n");
	if (e) {
		char pre[PATH_MAX + 64];

		if (e == -ETIMEDOUT)
			kill(r->pid, SIGKILL);
		reap(r->pid, false);
		snprintf(pre, sizeof(pre), "%s %s did not start", bin,
			 c2c ? "c2c record" : "record");
		log_reason(log, pre, why, len);
		close_rec(r);
		unlink(data);
		return e;
	}
	return 0;
}

int kmb_cg_stop(struct kmb_cg_rec *r, char *why, size_t len)
{
	int e = command(r, "disable\n");

	kill(r->pid, e == -ETIMEDOUT ? SIGKILL : SIGINT);
	if (!reap(r->pid, true) && !e) {
		close_rec(r);
		return 0;
	}
	log_reason(r->log, "perf record failed", why, len);
	close_rec(r);
	return e ? e : -EIO;
}

/* Run `perf ARGS` to completion, its output into @out.  0, or -errno with the reason. */
static int run_perf(char *const argv[], const char *out, char *why, size_t len)
{
	pid_t pid;
	int e = spawn(&pid, argv, out, -1, -1);

	if (e)
		return WHY("cannot run %s: %s", argv[0], strerror(-e)), e;
	e = reap(pid, false);
	if (e)
		log_reason(out, "perf failed", why, len);
	return e;
}

/* The folded stacks: each sample's stack as one string, then sorted and counted. */
struct stacks {
	char **s;
	size_t n, cap;
};

static int stacks_add(struct stacks *st, const char *comm, char **frames, size_t nf)
{
	size_t need = strlen(comm) + 1, k = 0;
	char *s;

	for (size_t i = 0; i < nf; i++)
		need += strlen(frames[i]) + 1;
	s = malloc(need);
	if (!s)
		return -ENOMEM;
	/* Root first: the process, then the chain from its outermost frame to the leaf. */
	k += (size_t)sprintf(s, "%s", comm);
	for (size_t i = nf; i-- > 0;)
		k += (size_t)sprintf(s + k, ";%s", frames[i]);
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 1024;
		char **p = realloc(st->s, cap * sizeof(*p));

		if (!p) {
			free(s);
			return -ENOMEM;
		}
		st->s = p;
		st->cap = cap;
	}
	st->s[st->n++] = s;
	return 0;
}

/* One frame line of perf script, "  ADDR SYMBOL (DSO)", as the frame's name (malloc'd). */
static char *frame_name(char *line)
{
	char *p = line, *sym, *dso = NULL, *end, *name, *base;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != ' ')		/* the address */
		p++;
	while (*p == ' ')
		p++;
	sym = p;
	end = sym + strlen(sym);
	if (end > sym && end[-1] == ')') {
		/* The object is the last " (...)": a C++ symbol may hold parentheses itself. */
		for (char *q = end - 1; q > sym; q--) {
			if (q[0] == '(' && q[-1] == ' ') {
				end[-1] = '\0';
				dso = q + 1;
				q[-1] = '\0';
				break;
			}
		}
	}
	if (strcmp(sym, "[unknown]") == 0 || !*sym) {
		base = dso && strcmp(dso, "[unknown]") ? strrchr(dso, '/') : NULL;
		base = base ? base + 1 : dso;
		if (!base || strcmp(base, "[unknown]") == 0)
			return strdup("[unknown]");
		if (asprintf(&name, base[0] == '[' ? "%s" : "[%s]", base) < 0)
			return NULL;
		return name;
	}
	name = strdup(sym);
	for (char *q = name; q && *q; q++)	/* ';' separates frames */
		if (*q == ';')
			*q = ':';
	return name;
}

/* Parse perf script's output (-F comm,ip,sym,dso) at @path into @st; how many samples. */
static long long parse_script(const char *path, struct stacks *st, int *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, comm[256] = "", **frames = NULL;
	size_t cap = 0, nf = 0, fcap = 0;
	long long samples = 0;
	bool in_sample = false;
	ssize_t n;

	*err = 0;
	if (!f) {
		*err = -errno;
		return 0;
	}
	for (;;) {
		n = getline(&line, &cap, f);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n < 0 || !n) {	/* a sample ends at a blank line, or at the end */
			if (in_sample && !*err) {
				*err = stacks_add(st, comm, frames, nf);
				samples++;
			}
			for (size_t i = 0; i < nf; i++)
				free(frames[i]);
			nf = 0;
			in_sample = false;
			if (n < 0)
				break;
			continue;
		}
		if (line[0] != ' ' && line[0] != '\t') {	/* the header: the process's name */
			size_t k = 0;

			for (char *p = line; *p && k + 1 < sizeof(comm); p++)
				comm[k++] = *p == ' ' || *p == ';' ? '_' : *p;
			while (k && comm[k - 1] == '_')
				k--;
			comm[k] = '\0';
			in_sample = true;
			continue;
		}
		if (!in_sample)
			continue;
		if (nf == fcap) {
			size_t c = fcap ? 2 * fcap : 64;
			char **p = realloc(frames, c * sizeof(*p));

			if (!p) {
				*err = -ENOMEM;
				continue;
			}
			frames = p;
			fcap = c;
		}
		frames[nf] = frame_name(line);
		if (frames[nf])
			nf++;
		else
			*err = -ENOMEM;
	}
	free(frames);
	free(line);
	fclose(f);
	return samples;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A function's samples: as the leaf (self), and in the stack at all (total). */
struct fn {
	const char *name;	/* into a stack string; NULL: an empty slot */
	size_t len;
	long long self, total;
	long long seen;		/* the last stack counted into total (each once a stack) */
};

struct fntab {
	struct fn *t;
	size_t cap, n;
};

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static struct fn *fn_get(struct fntab *ft, const char *name, size_t n)
{
	size_t i;

	if (2 * (ft->n + 1) > ft->cap) {
		struct fntab g = { calloc(ft->cap ? 2 * ft->cap : 256, sizeof(struct fn)),
				   ft->cap ? 2 * ft->cap : 256, 0 };

		if (!g.t)
			return NULL;
		for (size_t k = 0; k < ft->cap; k++) {
			if (!ft->t[k].name)
				continue;
			i = hash(ft->t[k].name, ft->t[k].len) & (g.cap - 1);
			while (g.t[i].name)
				i = (i + 1) & (g.cap - 1);
			g.t[i] = ft->t[k];
			g.n++;
		}
		free(ft->t);
		*ft = g;
	}
	i = hash(name, n) & (ft->cap - 1);
	while (ft->t[i].name && (ft->t[i].len != n || memcmp(ft->t[i].name, name, n)))
		i = (i + 1) & (ft->cap - 1);
	if (!ft->t[i].name) {
		ft->t[i] = (struct fn){ .name = name, .len = n, .seen = -1 };
		ft->n++;
	}
	return &ft->t[i];
}

static int by_self(const void *a, const void *b)
{
	const struct fn *x = a, *y = b;

	return (y->self > x->self) - (y->self < x->self);
}

static int by_total(const void *a, const void *b)
{
	const struct fn *x = a, *y = b;

	return (y->total > x->total) - (y->total < x->total);
}

static void write_top(struct kmb_json *j, const char *key, const struct fn *v, size_t n,
		      bool self)
{
	kmb_json_arr_begin(j, key);
	for (size_t i = 0; i < n && i < KMB_CG_TOP; i++) {
		char name[1024];
		long long c = self ? v[i].self : v[i].total;

		if (!c)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)v[i].len, v[i].name);
		kmb_json_obj_begin(j, NULL);
		kmb_json_str(j, "function", name);
		kmb_json_int(j, "samples", c);
		kmb_json_obj_end(j);
	}
	kmb_json_arr_end(j);
}

/* The distinct stacks of sorted @st with their counts to @folded, the top functions to @top. */
static int write_folded(struct stacks *st, long long samples, const char *folded,
			const char *top)
{
	struct kmb_atomic_file af, at;
	struct fntab ft = { 0 };
	struct kmb_json j;
	struct fn *v;
	long long id = 0;
	size_t nv = 0;
	int r = kmb_atomic_open(&af, folded);

	if (r)
		return r;
	for (size_t i = 0; i < st->n; id++) {
		size_t k = i;
		long long count;
		const char *s = st->s[i], *p;

		while (k < st->n && strcmp(st->s[k], s) == 0)
			k++;
		count = (long long)(k - i);
		fprintf(af.f, "%s %lld\n", s, count);
		/* Skip the root (the process): the functions are the frames below it. */
		for (p = strchr(s, ';'); p && !r; p = strchr(p, ';')) {
			const char *name = ++p, *e = strchr(name, ';');
			size_t n = e ? (size_t)(e - name) : strlen(name);
			struct fn *fn = fn_get(&ft, name, n);

			if (!fn) {
				r = -ENOMEM;
				break;
			}
			if (fn->seen != id) {	/* recursion counts once a stack */
				fn->total += count;
				fn->seen = id;
			}
			if (!e)
				fn->self += count;
		}
		i = k;
	}
	if (r) {
		kmb_atomic_abort(&af);
		free(ft.t);
		return r;
	}
	r = kmb_atomic_commit(&af);
	v = calloc(ft.n ? ft.n : 1, sizeof(*v));
	if (!r && !v)
		r = -ENOMEM;
	for (size_t i = 0; v && i < ft.cap; i++)
		if (ft.t[i].name)
			v[nv++] = ft.t[i];
	if (!r)
		r = kmb_atomic_open(&at, top);
	if (!r) {
		kmb_json_init(&j, at.f, true);
		kmb_json_obj_begin(&j, NULL);
		kmb_json_int(&j, "samples", samples);
		qsort(v, nv, sizeof(*v), by_self);
		write_top(&j, "self", v, nv, true);
		qsort(v, nv, sizeof(*v), by_total);
		write_top(&j, "total", v, nv, false);
		kmb_json_obj_end(&j);
		fputc('\n', at.f);
		r = kmb_atomic_commit(&at);
	}
	free(v);
	free(ft.t);
	return r;
}

int kmb_cg_fold(const char *data, const char *folded, const char *top, long long *samples,
		char *why, size_t len)
{
	char in[PATH_MAX + 16], out[PATH_MAX + 16];
	char *argv[] = { (char *)perf_bin(), "script", in, "--fields=comm,ip,sym,dso",
			 "--no-inline", NULL };
	struct stacks st = { 0 };
	int r, err;

	snprintf(in, sizeof(in), "--input=%s", data);
	snprintf(out, sizeof(out), "%s.script", data);
	/* --no-inline: perf 6.1 asks addr2line for every inlined frame, minutes for a run. */
	r = run_perf(argv, out, why, len);
	if (r) {
		unlink(out);
		return r;
	}
	*samples = parse_script(out, &st, &err);
	unlink(out);
	if (!err) {
		qsort(st.s, st.n, sizeof(*st.s), cmp_str);
		err = write_folded(&st, *samples, folded, top);
	}
	if (err)
		WHY("cannot fold the stacks: %s", strerror(-err));
	for (size_t i = 0; i < st.n; i++)
		free(st.s[i]);
	free(st.s);
	return err;
}

int kmb_cg_c2c_report(const char *data, const char *out, char *why, size_t len)
{
	char in[PATH_MAX + 16], tmp[PATH_MAX + 16];
	char *argv[] = { (char *)perf_bin(), "c2c", "report", in, "--stdio", NULL };
	int r;

	snprintf(in, sizeof(in), "--input=%s", data);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	r = run_perf(argv, tmp, why, len);
	if (!r && rename(tmp, out))
		r = -errno, WHY("%s: %s", out, strerror(errno));
	if (r)
		unlink(tmp);
	return r;
}
