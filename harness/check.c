/*
 * check.c - `kmbench check RUN --baseline BASE [--reference NAME]` and `kmbench reproduce RUN`.
 *
 * The check is statistics over two results files (the Mann-Whitney U test of Google
 * Benchmark's tools/gbench/report.py, with scipy), so it is Python, report/kmb_check.py, run by
 * Debian's /usr/bin/python3: `kmbench check` finds that file and becomes it (execv), so its
 * exit status, 0 / 1 (a significant regression) / 2 (bad input), is kmbench's.
 *
 * reproduce runs the experiment a run directory records again: its saved options (cmdline,
 * options.h kmb_options_load, which reads the experiment from the directory's copy), the same
 * seed and all, into a new directory, and then becomes the check of the new run against the
 * recorded one.  The check says (one line each) where the commit or the machine differs from
 * the recorded context: a rerun elsewhere is what reproduce is for, so those are warnings.
 *
 * Where report/ is: report.c kmb_report_script.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "run.h"

/* Become the check with @argc arguments @argv (after "check"); returns only on failure, with
 * the exit status 2 and one line said. */
static int exec_check(const char *cmd, int argc, char **argv)
{
	return kmb_exec_report(cmd, "kmb_check.py", argc, argv, 2);
}

int kmb_run_check(int argc, char **argv)
{
	return exec_check("check", argc, argv);
}

#define REPRODUCE_USAGE "give RUN [--out DIR] [--reference NAME] [--quiet | --verbose] (RUN: " \
	"a run directory, or its results.json)"

int kmb_run_reproduce(int argc, char **argv)
{
	const char *run = NULL, *out = NULL, *reference = NULL, *v;
	char dir[PATH_MAX], path[PATH_MAX], newdir[PATH_MAX], err[1024], stamp[32];
	bool quiet = false, verbose = false, bad = false;
	struct kmb_options o;
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	for (int i = 0; i < argc; i++) {
		if ((v = kmb_opt_value(argc, argv, &i, "--out", &bad)))
			out = v;
		else if ((v = kmb_opt_value(argc, argv, &i, "--reference", &bad)))
			reference = v;
		else if (bad)
			break;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "kmbench reproduce: unknown option '%s'; valid: --out, "
				"--reference, --quiet, --verbose\n", argv[i]);
			return 2;
		} else if (!run) {
			run = argv[i];
		} else {
			fprintf(stderr, "kmbench reproduce: unexpected argument '%s'; "
				REPRODUCE_USAGE "\n", argv[i]);
			return 2;
		}
	}
	if (bad || !run) {
		fprintf(stderr, "kmbench reproduce: %s; " REPRODUCE_USAGE "\n",
			bad ? "an option lacks its value" : "RUN is missing");
		return 2;
	}
	/* RUN: the directory, or the results.json in it. */
	snprintf(dir, sizeof(dir), "%s", run);
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = '\0';	/* "RUN/": RUN-reproduced-<time> beside it, not in it */
	if (!stat(dir, &st) && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
	}
	kmb_pathf(path, sizeof(path), "%s/cmdline", dir);
	if (access(path, R_OK)) {
		fprintf(stderr, "kmbench reproduce: %s: no saved options (%s: %s); give the "
			"directory of a run, which holds its cmdline and results.json\n", run, path,
			strerror(errno));
		return 2;
	}
	if (kmb_options_load(&o, path, err, sizeof(err))) {
		fprintf(stderr, "kmbench reproduce: %s: %s\n", path, err);
		return 2;
	}
	kmb_pathf(newdir, sizeof(newdir), "%s/results.json", dir);
	if (access(newdir, R_OK)) {
		fprintf(stderr, "kmbench reproduce: %s: no results.json to check the new run "
			"against (an unfinished run: `kmbench run --resume %s` completes it)\n", dir,
			dir);
		return 2;
	}
	/* The new run: next to RUN unless --out says where, never over another run. */
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (out)
		snprintf(newdir, sizeof(newdir), "%s", out);
	else
		kmb_pathf(newdir, sizeof(newdir), "%s-reproduced-%s", dir, stamp);
	kmb_pathf(path, sizeof(path), "%s/cmdline", newdir);
	if (!access(path, F_OK)) {
		fprintf(stderr, "kmbench reproduce: --out %s holds a run already; give a new "
			"directory\n", newdir);
		return 2;
	}
	snprintf(o.out, sizeof(o.out), "%s", newdir);
	o.run_id[0] = '\0';
	kmb_default_run_id(&o);
	o.resume = false;
	o.dry_run = false;
	o.quiet = quiet;
	o.verbose = verbose;
	printf("kmbench reproduce: the experiment of %s again, with its saved options, into %s\n",
	       dir, newdir);
	rc = kmb_run_parent(&o);
	if (rc == 2)
		return 2;
	kmb_pathf(path, sizeof(path), "%s/results.json", newdir);
	if (access(path, R_OK)) {
		fprintf(stderr, "kmbench reproduce: the new run wrote no %s; nothing to check\n",
			path);
		return rc ? rc : 1;
	}
	{
		char a_base[PATH_MAX + 16], a_ref[96];
		char *args[] = { newdir, a_base, a_ref, NULL };

		snprintf(a_base, sizeof(a_base), "--baseline=%s", dir);
		snprintf(a_ref, sizeof(a_ref), "--reference=%s", reference ? reference : "");
		return exec_check("reproduce", reference ? 3 : 2, args);
	}
}
