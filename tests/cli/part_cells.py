#!/usr/bin/python3
"""The cells of a kmbench part file (harness/part.h), read independently of the C reader.

Usage: part_cells.py PART              one line per whole cell: "FAMILY THREADS START END"
                                       (byte offsets of its rows and closing line), then
                                       "whole BYTES" (the prefix the whole cells make) and
                                       "size BYTES"
       part_cells.py PART --prefix N   the first N bytes of PART, to stdout

A cell is its row lines, then {"kmbench_cell":{"family_index":F,"threads":T,"rows":N,
"bytes":B,"fnv1a64":"H"}}: N rows of B bytes whose 64-bit FNV-1a hash is H.  Reading stops
at the first cell that does not check out, as the C reader does."""
import re
import sys

CLOSE = re.compile(rb'\{"kmbench_cell":\{"family_index":(-?\d+),"threads":(\d+),"rows":(\d+),'
                   rb'"bytes":(\d+),"fnv1a64":"([0-9a-f]{16})"\}\}')


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def cells(data):
    """[(family, threads, start, end)], and the length of the prefix they make."""
    out, pos, start, rows = [], 0, 0, 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        line = data[pos:nl]
        pos = nl + 1
        if not line.startswith(b'{"kmbench_cell":'):
            rows += 1
            continue
        m = CLOSE.fullmatch(line)
        body = data[start:pos - len(line) - 1]
        if not m or int(m[3]) != rows or int(m[4]) != len(body) or \
                int(m[5], 16) != fnv1a64(body):
            break
        out.append((int(m[1]), int(m[2]), start, pos))
        start, rows = pos, 0
    return out, start


def main():
    data = open(sys.argv[1], "rb").read()
    if len(sys.argv) > 3 and sys.argv[2] == "--prefix":
        sys.stdout.buffer.write(data[:int(sys.argv[3])])
        return 0
    found, whole = cells(data)
    for f, t, s, e in found:
        print(f, t, s, e)
    print("whole", whole)
    print("size", len(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
