/*
 * driver.c - a main() for the fuzzers where libFuzzer is not linked (gcc's debug and sanitizer
 * builds): runs LLVMFuzzerTestOneInput once on every file given, or on every file of every
 * directory given (not recursive), in name order, so that the committed seed corpora and the
 * regression inputs (every crash a fuzzer found) replay deterministically in ctest.
 * Exit status: 0 all ran (a failed check aborts); 2 a path cannot be read or nothing was given.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return 2;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz replay: %s: cannot read it\n", path);
		fclose(f);
		free(buf);
		return 2;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	int runs = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int n;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "fuzz replay: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]))
				return 2;
			runs++;
			continue;
		}
		n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			fprintf(stderr, "fuzz replay: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];

			if (names[k]->d_name[0] != '.' &&
			    snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name) <
				    (int)sizeof(path) &&
			    !stat(path, &st) && S_ISREG(st.st_mode)) {
				if (run_file(path))
					return 2;
				runs++;
			}
			free(names[k]);
		}
		free(names);
	}
	if (!runs) {
		fprintf(stderr, "fuzz replay: no input given\n");
		return 2;
	}
	printf("fuzz replay: %d input(s), every check passed\n", runs);
	return 0;
}
