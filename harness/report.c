/*
 * report.c - the Python half of kmbench: finding the source tree's report/ scripts and running
 * them on Debian's /usr/bin/python3 (the report's packages are Debian's: python3-matplotlib,
 * python3-scipy).
 *
 * `kmbench report RESULTS... [options]` becomes report/kmbench_report.py: the HTML report of a
 * run, or with several runs the compare mode; its options, output and exit status are the
 * script's (0 written, 1 cannot write, 2 unusable input).  `kmbench check` becomes
 * report/kmb_check.py (check.c), and `kmbench slurm`'s merge job runs the report script.
 *
 * Where report/ is: $KMB_REPORT_DIR; else up from the executable (build/<preset>/harness/
 * kmbench in a source tree); else the source tree this binary was built from (KMB_SOURCE_DIR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "run.h"

#ifndef KMB_SOURCE_DIR
#define KMB_SOURCE_DIR ""
#endif

int kmb_report_script(char *buf, size_t len, const char *name, char *where, size_t wlen)
{
	const char *env = getenv("KMB_REPORT_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		kmb_pathf(buf, len, "%s/%s", env, name);
		snprintf(where, wlen, "KMB_REPORT_DIR=%s", env);
		return access(buf, R_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 4; up++) {	/* harness/, build/<preset>/, the tree */
			char *slash = strrchr(exe, '/');

			if (!slash)
				break;
			*slash = '\0';
			if (!kmb_pathf(buf, len, "%s/report/%s", exe, name) && !access(buf, R_OK))
				return 0;
		}
	}
	if (KMB_SOURCE_DIR[0] && !kmb_pathf(buf, len, "%s/report/%s", KMB_SOURCE_DIR, name) &&
	    !access(buf, R_OK))
		return 0;
	snprintf(where, wlen, "above the executable and in %s",
		 KMB_SOURCE_DIR[0] ? KMB_SOURCE_DIR : "(no source tree recorded)");
	*buf = '\0';
	return -ENOENT;
}

int kmb_exec_report(const char *cmd, const char *name, int argc, char **argv, int status)
{
	char script[PATH_MAX], where[PATH_MAX + 64];
	char **args = calloc((size_t)argc + 3, sizeof(char *));

	if (!args) {
		fprintf(stderr, "kmbench %s: out of memory\n", cmd);
		return status;
	}
	if (kmb_report_script(script, sizeof(script), name, where, sizeof(where))) {
		fprintf(stderr, "kmbench %s: cannot find report/%s (looked %s); set KMB_REPORT_DIR "
			"to the report/ folder of the kmbench source tree\n", cmd, name, where);
		free(args);
		return status;
	}
	args[0] = KMB_PYTHON;
	args[1] = script;
	memcpy(args + 2, argv, (size_t)argc * sizeof(char *));
	fflush(NULL);
	execv(KMB_PYTHON, args);
	fprintf(stderr, "kmbench %s: cannot run %s: %s; it needs Debian's python3 with "
		"matplotlib, numpy and scipy (apt-get install python3-matplotlib python3-scipy)\n",
		cmd, KMB_PYTHON, strerror(errno));
	free(args);
	return status;
}

int kmb_run_report(int argc, char **argv)
{
	return kmb_exec_report("report", "kmbench_report.py", argc, argv, 1);
}
