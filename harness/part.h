/*
 * part.h - a backend's part file: its finished cells, each made durable as it finishes.
 *
 * A cell (plan.h) is one family at one thread count.  Its rows (its repetitions, then its
 * aggregates: one JSON object a line, results.h) are followed by one line that closes it:
 *
 *   {"kmbench_cell":{"family_index":F,"threads":T,"rows":N,"bytes":B,"fnv1a64":"H"}}
 *
 * where B is the length of the N row lines before it, newlines included, and H their 64-bit
 * FNV-1a hash in 16 hex digits.  A child appends each cell, rows and closing line together,
 * with write(2) and then fdatasync(2) (kmb_part_append), so whatever ends the process or the
 * machine, the file is a run of whole cells, perhaps followed by the remains of the one being
 * written: rows without their closing line, a line cut short, or, after a power loss, pages
 * the disk did not keep (the hash fails).  A reader takes the cells up to the first that does
 * not check out and ignores the rest (kmb_part_scan); the child of a --resume cuts the file
 * there, and runs that cell and the others not in it.
 *
 * Files (run.h): parts/<backend>.partial.jsonl while the backend's child runs; the child
 * renames it to parts/<backend>.jsonl once every cell is in it, so that name still means
 * "this backend is finished".
 */
#ifndef KMB_HARNESS_PART_H
#define KMB_HARNESS_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One whole cell of a part, as kmb_part_scan() found it. */
struct kmb_part_cell {
	long long family;		/* family_index */
	long long threads;
	const char *rows;		/* its row lines, in the scanned text (no NUL after) */
	size_t len;			/* their bytes, newlines included */
	size_t nrows;
	size_t end;			/* offset just past its closing line */
};

typedef void (*kmb_part_fn)(const struct kmb_part_cell *cell, void *ctx);

/*
 * kmb_part_scan - hand every whole cell of @text (@len bytes, NULs allowed) to @fn (may be
 * NULL), in file order, stopping at the first one that does not check out.  Returns the length
 * of the prefix those cells make: what a --resume keeps.
 */
size_t kmb_part_scan(const char *text, size_t len, kmb_part_fn fn, void *ctx);

/*
 * kmb_part_append - append the cell of @family at @threads, its @nrows row lines @rows (@len
 * bytes, each line ending in a newline), and its closing line to @fd (opened O_APPEND), and
 * make them durable (fdatasync).  0, or -errno; a cell that failed to be written whole is
 * what the next scan drops.
 */
int kmb_part_append(int fd, long long family, long long threads, const char *rows, size_t len,
		    size_t nrows);

/* kmb_part_fnv1a64 - the 64-bit FNV-1a hash of @len bytes at @p (the closing line's "H"). */
uint64_t kmb_part_fnv1a64(const void *p, size_t len);

#define KMB_PART_CELL_PREFIX "{\"kmbench_cell\":{"	/* how a closing line begins */
#define KMB_PART_SUFFIX ".jsonl"		/* parts/<backend>.jsonl: the backend is finished */
#define KMB_PART_PARTIAL_SUFFIX ".partial.jsonl"	/* while its child runs */

#endif
