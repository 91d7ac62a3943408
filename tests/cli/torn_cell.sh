#!/bin/bash
# A cell cut short is dropped and runs again (issue 17).  From a finished run's part, three
# interrupted parts are made as a crash, a kill or a power loss leaves them:
#   torn:   two whole cells, then the rows of a third without its closing line, and half a row;
#   cut:    one whole cell, then a second whose closing line lost its end (and its newline);
#   garbled: one whole cell, then a second whose closing line is whole but one of its rows
#           lost a byte as pages the disk did not keep would (its hash fails).
# For each, --resume keeps the whole cells before the damage byte for byte, says that a cell
# was cut short, runs every other cell once, in the order the first attempt ran them (same
# seed: the same kmbench.sequence in every row), and the merged file has each row once and
# passes check_results.py.  Fails when the damaged cell is kept, or a kept cell runs again.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
cells=$src/tests/cli/part_cells.py

kmb_run full run --backends glibc --workloads churn --sizes 64,256,1024,4096 --batch 1 \
	--threads 1 --min-time 0.01 --repetitions 3 --out "$tmp/full" --quiet
$py "$cells" "$tmp/full/parts/glibc.jsonl" > "$tmp/full.txt"
ok "the finished part is four whole cells" \
	test "$(grep -Ec '^[0-9]+ 1 ' "$tmp/full.txt")" -eq 4 -a \
	"$(sed -n 's/^whole //p' "$tmp/full.txt")" = "$(sed -n 's/^size //p' "$tmp/full.txt")"

# damage KIND DIR: DIR becomes a copy of the finished run whose glibc part was interrupted
# as KIND says; the bytes to keep are left in DIR.keep, the cells kept in $keep.
damage() {
	cp -a "$tmp/full" "$2"
	mv "$2/parts/glibc.jsonl" "$2/parts/glibc.partial.jsonl"
	keep=$($py - "$1" "$2/parts/glibc.partial.jsonl" "$2.keep" "$cells" <<'EOF'
import importlib.util, sys
kind, path, keep = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("part_cells", sys.argv[4])
pc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pc)
data = open(path, "rb").read()
cells, _ = pc.cells(data)
if kind == "torn":
    kept, s, e = 2, cells[2][2], cells[2][3]
    body = data[s:e].split(b"\n")[:-2]          # the rows without their closing line
    out = data[:s] + b"\n".join(body) + b"\n" + body[0][:len(body[0]) // 2]
elif kind == "cut":
    kept, e = 1, cells[1][3]
    out = data[:e - 11]
else:                                            # garbled: a digit of a row changed
    kept, s, e = 1, cells[1][2], cells[1][3]
    row = data.index(b'"iterations":', s) + len(b'"iterations":')
    d = data[row:row + 1]
    out = data[:row] + (b"7" if d != b"7" else b"3") + data[row + 1:e]
open(path, "wb").write(out)
open(keep, "wb").write(data[:cells[kept - 1][3]])
print(kept)
EOF
)
}

for kind in torn cut garbled; do
	dir=$tmp/$kind
	damage "$kind" "$dir"
	kmb_run "resume-$kind" run --resume "$dir"
	ok "$kind: says what it kept and that a cell was cut short" grep -q \
		"^== glibc: $keep cells\? done in an earlier attempt, kept; a cell cut short runs again" \
		"$tmp/resume-$kind.log"
	ok "$kind: the whole cells before the damage kept byte for byte" \
		cmp -s "$dir.keep" <(head -c "$(stat -c %s "$dir.keep")" "$dir/parts/glibc.jsonl")
	$py "$cells" "$dir/parts/glibc.jsonl" > "$dir.txt"
	ok "$kind: the part is four whole cells, each once, nothing after them" \
		test "$(grep -Ec '^[0-9]+ 1 ' "$dir.txt")" -eq 4 -a \
		"$(grep -E '^[0-9]+ 1 ' "$dir.txt" | cut -d' ' -f1 | sort -u | wc -l)" -eq 4 -a \
		"$(sed -n 's/^whole //p' "$dir.txt")" = "$(sed -n 's/^size //p' "$dir.txt")"
	ok "$kind: every row once, in the first attempt's order (kmbench.sequence)" \
		$py - "$dir/results.json" "$tmp/full/results.json" <<'EOF'
import collections, json, sys
def rows(path):
    return collections.Counter((r["name"], r.get("repetition_index"),
                                r["kmbench"].get("sequence"))
                               for r in json.load(open(path))["benchmarks"])
got, want = rows(sys.argv[1]), rows(sys.argv[2])
assert all(n == 1 for n in got.values()), got
assert got == want, (sorted(got - want), sorted(want - got))
EOF
done
$py "$src/tests/cli/check_results.py" "$tmp/torn/results.json" --threads 1 --backends glibc \
	> "$tmp/check.log" 2>&1
ok "check_results.py: $(tail -n 2 "$tmp/check.log")" test $? -eq 0
kmb_test_end
