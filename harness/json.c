/*
 * json.c - see json.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

void kmb_json_init(struct kmb_json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->pretty = pretty;
	j->depth = 0;
	j->first[0] = true;
}

void kmb_json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Comma, newline and indentation before an element, then its key. */
static void elem(struct kmb_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->pretty && j->depth > 0)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key) {
		kmb_json_write_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open_(struct kmb_json *j, const char *key, char c)
{
	elem(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < KMB_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
	j->close[j->depth] = c == '{' ? '}' : ']';
}

static void close_(struct kmb_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (j->pretty && !empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(c, j->f);
}

void kmb_json_obj_begin(struct kmb_json *j, const char *key) { open_(j, key, '{'); }
void kmb_json_obj_end(struct kmb_json *j) { close_(j, '}'); }
void kmb_json_arr_begin(struct kmb_json *j, const char *key) { open_(j, key, '['); }
void kmb_json_arr_end(struct kmb_json *j) { close_(j, ']'); }
void kmb_json_end(struct kmb_json *j) { close_(j, j->close[j->depth]); }

void kmb_json_str(struct kmb_json *j, const char *key, const char *s)
{
	elem(j, key);
	kmb_json_write_string(j->f, s);
}

void kmb_json_num(struct kmb_json *j, const char *key, double v)
{
	elem(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void kmb_json_int(struct kmb_json *j, const char *key, long long v)
{
	elem(j, key);
	fprintf(j->f, "%lld", v);
}

void kmb_json_bool(struct kmb_json *j, const char *key, bool v)
{
	elem(j, key);
	fputs(v ? "true" : "false", j->f);
}

void kmb_json_int_array(struct kmb_json *j, const char *key, const int *v, size_t n)
{
	kmb_json_arr_begin(j, key);
	for (size_t i = 0; i < n; i++)
		kmb_json_int(j, NULL, v[i]);
	kmb_json_arr_end(j);
}

void kmb_json_raw(struct kmb_json *j, const char *key, const char *text)
{
	elem(j, key);
	fputs(text, j->f);
}

int kmb_atomic_open(struct kmb_atomic_file *af, const char *path)
{
	if (snprintf(af->path, sizeof(af->path), "%s", path) >= (int)sizeof(af->path))
		return -ENAMETOOLONG;
	snprintf(af->tmp, sizeof(af->tmp), "%s.tmp.%d", path, (int)getpid());
	af->f = fopen(af->tmp, "we");
	return af->f ? 0 : -errno;
}

int kmb_atomic_commit(struct kmb_atomic_file *af)
{
	char dir[4096];
	int err = 0, dfd;

	if (fflush(af->f) || fsync(fileno(af->f)))
		err = -errno;
	if (fclose(af->f) && !err)
		err = -errno;
	af->f = NULL;
	if (!err && rename(af->tmp, af->path))
		err = -errno;
	if (err) {
		unlink(af->tmp);
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", af->path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {	/* make the rename itself durable */
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

void kmb_atomic_abort(struct kmb_atomic_file *af)
{
	if (af->f)
		fclose(af->f);
	af->f = NULL;
	unlink(af->tmp);
}

int kmb_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = 2 * cap + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 4096, f);

		n += r;
		if (r < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int kmb_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
