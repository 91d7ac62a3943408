/*
 * report.c - `kmbench report RESULTS... [options]`: the HTML report of a run, or with several
 * runs the compare mode, written by the source tree's report/kmbench_report.py on Debian's
 * /usr/bin/python3 (the report's packages are Debian's: python3-matplotlib, python3-scipy).
 * This command only finds the script and runs it: its options, output and exit status are
 * the script's (0 written, 1 cannot write, 2 unusable input).
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

#define PYTHON "/usr/bin/python3"

int kmb_source_path(char *buf, size_t len, const char *rel)
{
	if (!*KMB_SOURCE_DIR || kmb_pathf(buf, len, "%s/%s", KMB_SOURCE_DIR, rel))
		return -ENOENT;
	return access(buf, R_OK) ? -errno : 0;
}

int kmb_run_report(int argc, char **argv)
{
	char script[PATH_MAX];
	char **args = calloc((size_t)argc + 3, sizeof(char *));

	if (!args) {
		fprintf(stderr, "kmbench report: out of memory\n");
		return 1;
	}
	if (kmb_source_path(script, sizeof(script), "report/kmbench_report.py")) {
		fprintf(stderr, "kmbench report: this kmbench's source tree (%s) has no "
			"report/kmbench_report.py; run the script of a kmbench checkout\n",
			*KMB_SOURCE_DIR ? KMB_SOURCE_DIR : "unknown");
		free(args);
		return 1;
	}
	args[0] = PYTHON;
	args[1] = script;
	memcpy(args + 2, argv, (size_t)argc * sizeof(char *));
	execv(PYTHON, args);
	fprintf(stderr, "kmbench report: cannot run " PYTHON ": %s (Debian: python3, "
		"python3-matplotlib, python3-scipy)\n", strerror(errno));
	free(args);
	return 1;
}
