/*
 * part.c - cells appended to a part file and read back whole (part.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "part.h"

#define CELL_PREFIX KMB_PART_CELL_PREFIX

/* FNV-1a, 64 bits (Fowler, Noll, Vo: http://www.isthe.com/chongo/tech/comp/fnv/): no table,
 * no length limit, and any changed byte changes it; enough to tell a cell the disk kept from
 * one it did not, which is all it is asked. */
uint64_t kmb_part_fnv1a64(const void *p, size_t len)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The closing line at @line (@n bytes, without its newline) closes the @nrows rows of @len
 * bytes at @rows: true, with its family and threads in @cell. */
static bool closes(const char *line, size_t n, const char *rows, size_t len, size_t nrows,
		   struct kmb_part_cell *cell)
{
	char copy[256], hex[17];
	unsigned long long h;
	size_t crows, cbytes;
	int used = -1;

	if (n >= sizeof(copy))
		return false;
	memcpy(copy, line, n);		/* sscanf must not read past the line */
	copy[n] = '\0';
	if (sscanf(copy, CELL_PREFIX "\"family_index\":%lld,\"threads\":%lld,\"rows\":%zu,"
		   "\"bytes\":%zu,\"fnv1a64\":\"%16[0-9a-f]\"}}%n", &cell->family, &cell->threads,
		   &crows, &cbytes, hex, &used) != 5 || used != (int)n || strlen(hex) != 16)
		return false;
	h = strtoull(hex, NULL, 16);
	return crows == nrows && cbytes == len && h == kmb_part_fnv1a64(rows, len);
}

size_t kmb_part_scan(const char *text, size_t len, kmb_part_fn fn, void *ctx)
{
	size_t pos = 0, start = 0, nrows = 0;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n;
		struct kmb_part_cell cell;

		if (!nl)
			break;		/* a line cut short */
		n = (size_t)(nl - line);
		pos += n + 1;
		if (n < sizeof(CELL_PREFIX) - 1 ||
		    memcmp(line, CELL_PREFIX, sizeof(CELL_PREFIX) - 1)) {
			nrows++;	/* a row: judged by the line that closes its cell */
			continue;
		}
		if (!closes(line, n, text + start, (size_t)(line - text) - start, nrows, &cell))
			break;
		cell.rows = text + start;
		cell.len = (size_t)(line - text) - start;
		cell.nrows = nrows;
		cell.end = pos;
		if (fn)
			fn(&cell, ctx);
		start = pos;
		nrows = 0;
	}
	return start;
}

int kmb_part_append(int fd, long long family, long long threads, const char *rows, size_t len,
		    size_t nrows)
{
	char close[256];
	int n = snprintf(close, sizeof(close), CELL_PREFIX "\"family_index\":%lld,\"threads\":%lld,"
			 "\"rows\":%zu,\"bytes\":%zu,\"fnv1a64\":\"%016llx\"}}\n", family, threads,
			 nrows, len, (unsigned long long)kmb_part_fnv1a64(rows, len));
	size_t total = len + (size_t)n, done = 0;
	off_t before = lseek(fd, 0, SEEK_END);
	char *buf = malloc(total);

	if (!buf || before < 0) {
		free(buf);
		return buf ? -errno : -ENOMEM;
	}
	memcpy(buf, rows, len);
	memcpy(buf + len, close, (size_t)n);
	/* One buffer: the cell's bytes go out in one write where the kernel takes them whole. */
	while (done < total) {
		ssize_t w = write(fd, buf + done, total - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? -errno : -EIO;

			/* Take the torn cell back off (ENOSPC, EIO): a cell appended after it
			 * would be lost behind it to every scan. */
			if (ftruncate(fd, before))
				err = -errno;
			free(buf);
			return err;
		}
		done += (size_t)w;
	}
	free(buf);
	return fdatasync(fd) ? -errno : 0;
}
