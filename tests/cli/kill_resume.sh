#!/bin/bash
# kill -9 of a run's parent in the middle of a cell (issue 17), then --resume:
#   - within a second no process of the run is left (none whose command line names the run
#     directory: the children die with the parent, and their benchmark threads with them).
#     The cell running takes longer than that, so a child that dies only of SIGPIPE, when it
#     next reports a cell to its dead parent, fails this;
#   - --resume is let in at once (the lock went with the processes), keeps the cells finished
#     before the kill byte for byte at the head of the part, and runs the rest;
#   - the merged file has every cell of an uninterrupted run with the same options, each once,
#     and passes check_results.py.
# Fails when a child outlives its parent (no PR_SET_PDEATHSIG), when the lock outlives the run,
# when a finished cell runs again or is lost, or when a cell appears twice.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
run=$tmp/run
first=
trap '[ -n "$first" ] && kill -9 "$first" 2> /dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
cells=$src/tests/cli/part_cells.py

# Two cells of about 2.5 s, in order: the kill lands at the start of the second.
opts=(--backends glibc --workloads churn --sizes 64,4096 --batch 1 --threads 1 --repetitions 2
      --no-interleave)

# The processes whose command line names directory $1, this test's own left out.
procs_of() {
	KMB_DIR=$1 $py - <<'EOF'
import os
d, me = os.environ["KMB_DIR"].encode(), os.getpid()
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == me:
        continue
    try:
        cmd = open(f"/proc/{p}/cmdline", "rb").read()
    except OSError:
        continue
    if d in cmd:
        print(p, cmd.replace(b"\0", b" ").decode(errors="replace"))
EOF
}

"$kmbench" run "${opts[@]}" --min-time 0.7 --out "$run" > "$tmp/killed.log" 2>&1 &
first=$!
# Until glibc's first cell is whole in its part, and the next one has begun.
for _ in $(seq 600); do
	[ -f "$run/parts/glibc.partial.jsonl" ] &&
		grep -q '^{"kmbench_cell":' "$run/parts/glibc.partial.jsonl" && break
	sleep 0.05
done
sleep 0.05
ok "a cell finished before the kill" grep -q '^{"kmbench_cell":' "$run/parts/glibc.partial.jsonl"
ok "the run was still going" test ! -f "$run/parts/glibc.jsonl"
kill -9 "$first"
t0=$(date +%s%N)
wait "$first" 2> /dev/null
first=
while left=$(procs_of "$run"); [ -n "$left" ] && [ $(($(date +%s%N) - t0)) -lt 1000000000 ]
do
	sleep 0.05
done
ok "no process of the killed run left after 1 s: $left" test -z "$left"

# What the kill left: the whole cells, the prefix they make.
$py "$cells" "$run/parts/glibc.partial.jsonl" > "$tmp/before.txt"
whole=$(sed -n 's/^whole //p' "$tmp/before.txt")
kept=$(grep -Ec '^[0-9]+ [0-9]+ ' "$tmp/before.txt")
$py "$cells" "$run/parts/glibc.partial.jsonl" --prefix "$whole" > "$tmp/kept.bin"
ok "at least one whole cell kept" test "$kept" -ge 1

kmb_run resume run --resume "$run"
cat "$tmp/resume.log"
ok "the resume says what it kept" grep -q "^== glibc: $kept cells\? done in an earlier attempt, kept" \
	"$tmp/resume.log"
ok "the part is published, no partial one left" \
	test -f "$run/parts/glibc.jsonl" -a ! -e "$run/parts/glibc.partial.jsonl"
ok "the cells finished before the kill are byte for byte at the head of the part" \
	cmp -s "$tmp/kept.bin" <(head -c "$whole" "$run/parts/glibc.jsonl")
$py "$cells" "$run/parts/glibc.jsonl" > "$tmp/after.txt"
ok "glibc's part is whole cells, each once" $py - "$tmp/after.txt" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
cells = [tuple(l.split()[:2]) for l in lines if l and l[0].isdigit()]
size = [l for l in lines if l.startswith("size ")][0].split()[1]
whole = [l for l in lines if l.startswith("whole ")][0].split()[1]
assert len(cells) == 2 and len(set(cells)) == 2 and size == whole, (cells, size, whole)
EOF

kmb_run reference run "${opts[@]}" --min-time 0.01 --out "$tmp/ref" --quiet
ok "the same cells as an uninterrupted run, each once" \
	$py - "$run/results.json" "$tmp/ref/results.json" <<'EOF'
import collections, json, sys
def rows(path):
    return collections.Counter((r["name"], r["run_type"], r.get("repetition_index"))
                               for r in json.load(open(path))["benchmarks"])
got, want = rows(sys.argv[1]), rows(sys.argv[2])
assert all(n == 1 for n in want.values()), want
assert got == want, (sorted(got - want), sorted(want - got))
EOF
$py "$src/tests/cli/check_results.py" "$run/results.json" --threads 1 --backends glibc \
	> "$tmp/check.log" 2>&1
ok "check_results.py: $(tail -n 2 "$tmp/check.log")" test $? -eq 0
kmb_test_end
