/*
 * json.h - a small streaming JSON writer, and files that appear whole or not at all.
 *
 * The writer keeps a stack of "first element" flags, so callers never place commas.  Keys are
 * passed with each value; inside arrays the key is NULL.  Strings are escaped per RFC 8259;
 * non-finite numbers are written as null (JSON has no NaN).  Compact mode (pretty = false)
 * writes one line, for JSONL part files.
 *
 * Not thread-safe: one writer per thread.
 */
#ifndef KMB_HARNESS_JSON_H
#define KMB_HARNESS_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define KMB_JSON_MAX_DEPTH 32

struct kmb_json {
	FILE *f;
	bool pretty;
	int depth;
	bool first[KMB_JSON_MAX_DEPTH];	/* no element written yet at this depth */
	char close[KMB_JSON_MAX_DEPTH];	/* what ends the object or array at this depth */
};

void kmb_json_init(struct kmb_json *j, FILE *f, bool pretty);
void kmb_json_obj_begin(struct kmb_json *j, const char *key);
void kmb_json_obj_end(struct kmb_json *j);
void kmb_json_arr_begin(struct kmb_json *j, const char *key);
void kmb_json_arr_end(struct kmb_json *j);
/* kmb_json_end - end the innermost object or array, whichever it is. */
void kmb_json_end(struct kmb_json *j);
void kmb_json_str(struct kmb_json *j, const char *key, const char *s);
void kmb_json_num(struct kmb_json *j, const char *key, double v);
void kmb_json_int(struct kmb_json *j, const char *key, long long v);
void kmb_json_bool(struct kmb_json *j, const char *key, bool v);
/* kmb_json_int_array - @n ints as an array under @key. */
void kmb_json_int_array(struct kmb_json *j, const char *key, const int *v, size_t n);
/* kmb_json_raw - @text is already valid JSON (a value written by this writer elsewhere). */
void kmb_json_raw(struct kmb_json *j, const char *key, const char *text);
/* Write @s escaped, with quotes, to @f. */
void kmb_json_write_string(FILE *f, const char *s);

/*
 * Atomic files: kmb_atomic_open() opens "<path>.tmp.<pid>" for writing; kmb_atomic_commit()
 * flushes, fsyncs, closes and renames it over @path, so readers see the old file or the whole
 * new one.  kmb_atomic_abort() closes and removes the temporary.  0 or -errno.
 */
struct kmb_atomic_file {
	FILE *f;
	char path[4096];
	char tmp[4096 + 32];
};
int kmb_atomic_open(struct kmb_atomic_file *af, const char *path);
int kmb_atomic_commit(struct kmb_atomic_file *af);
void kmb_atomic_abort(struct kmb_atomic_file *af);

/* kmb_pathf - format a path into buf; -ENAMETOOLONG (and an empty buf) when it does not fit. */
int kmb_pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* kmb_read_file - the whole of @path, NUL-terminated, malloc'ed into *out.  0 or -errno. */
int kmb_read_file(const char *path, char **out, size_t *len);

#endif
