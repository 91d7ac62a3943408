/*
 * test_options_presets.c - every shipped preset gives the effective options it gave when the
 * presets were a C table (issue 17: they moved to harness/experiments/NAME.yaml).
 *
 * For each preset, `--preset NAME` is parsed and saved (kmb_options_save, the run's `cmdline`)
 * and compared line by line with tests/fixtures/presets/NAME.cmdline, which the C table's
 * options.c wrote (commit 9f3afbe's kmb_presets[]).  Lines that name where the options came
 * from (--matrix, --experiment, --experiment-hash) are not options of the run and are left out
 * of the comparison.  KMB_WRITE_EXPECTED=1 writes the fixtures instead of reading them.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

/* Every preset the C table had, in its order: none may be lost in the move. */
static const char *const names[] = {
	"quick", "full", "smoke", "ci", "pages", "fragment", "slab", "slab-scale", "ctor", "mix",
	"percpu", "falseshare", "remotefree", "server", "mempool", "vmalloc", "numa", "trace",
};

/* @path's lines but the provenance ones, into @buf. */
static void options_of(const char *path, char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	assert_non_null(f);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "--matrix=", 9) || !strncmp(line, "--experiment=", 13) ||
		    !strncmp(line, "--experiment-hash=", 18))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s", line);
	}
	fclose(f);
}

static void test_presets_unchanged(void **state)
{
	const char *src = getenv("KMB_SOURCE_DIR");
	bool write = getenv("KMB_WRITE_EXPECTED") != NULL;
	char tmp[] = "/tmp/kmb-presets-XXXXXX", path[4096], want[4096], got[16384], wbuf[16384];

	(void)state;
	assert_non_null(src);
	assert_non_null(mkdtemp(tmp));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char arg[64], err[512] = "", *argv[] = { arg, "--out=OUT", "--run-id=ID" };
		struct kmb_options *o = calloc(1, sizeof(*o));

		assert_non_null(o);
		snprintf(arg, sizeof(arg), "--preset=%s", names[i]);
		if (kmb_options_parse(o, 3, argv, err, sizeof(err)))
			fail_msg("--preset %s: %s", names[i], err);
		snprintf(want, sizeof(want), "%s/tests/fixtures/presets/%s.cmdline", src, names[i]);
		snprintf(path, sizeof(path), "%s", write ? want : tmp);
		if (!write)
			snprintf(path, sizeof(path), "%s/%s", tmp, names[i]);
		assert_int_equal(kmb_options_save(o, path), 0);
		free(o);
		if (write)
			continue;
		options_of(path, got, sizeof(got));
		options_of(want, wbuf, sizeof(wbuf));
		if (strcmp(got, wbuf))
			fail_msg("--preset %s: the options differ from %s:\n--- want\n%s--- got\n%s",
				 names[i], want, wbuf, got);
		unlink(path);
	}
	rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_presets_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
