#!/bin/bash
# kmbench run --shard I/N and kmbench merge (issue 17), on a small smoke matrix: the shards of
# N = 2 and N = 3 together are the unsharded run cell for cell, each cell once, split evenly by
# estimated cost (check_shards.py); a shard resumed keeps its shard; the merged shards pass
# check_results.py (compare.py reads them); merge refuses another matrix, another commit and a
# cell twice with different rows, says which cells are missing (an error with --complete);
# bad --shard values are one line, exit 2.  The checks are shown to fail on a shard with a
# cell dropped.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
py=/usr/bin/python3
matrix=(--preset smoke --backends glibc,slab,mmap --threads 1,2 --quiet)

# Bad input: one line naming the problem and the valid form, exit 2, nothing run.
for bad in 3/2 0/4 a/b 1/ /2 2 1/0 -1/2 1/5000; do
	out=$("$kmbench" run "${matrix[@]}" --shard "$bad" --out "$tmp/bad" 2>&1); rc=$?
	ok "--shard $bad: exit $rc, output: $out" test "$rc" -eq 2
	ok "--shard $bad: one line naming --shard and I/N: $out" \
		bash -c '[ "$(wc -l <<< "$1")" -eq 1 ] && [[ "$1" == *--shard* && "$1" == *I/N* ]]' \
		_ "$out"
done
ok "a bad --shard wrote nothing" test ! -e "$tmp/bad"
kmb_run plan plan "${matrix[@]}" --shard 2/3
ok "kmbench plan --shard 2/3 says the shard" grep -q "shard 2/3: .* of the matrix's" \
	"$tmp/plan.log"

kmb_run full run "${matrix[@]}" --out "$tmp/full"
for n in 2 3; do
	shards=()
	for i in $(seq 1 "$n"); do
		kmb_run "s$i-$n" run "${matrix[@]}" --shard "$i/$n" --out "$tmp/s$i-$n"
		shards+=("$tmp/s$i-$n/results.json")
	done
	ok "the $n shards are the full run, each cell once, evenly split" \
		$py "$src/tests/cli/check_shards.py" "$tmp/full/results.json" "${shards[@]}"
done

# The checks fail on a shard with a cell dropped, and on a shard given twice.
$py - "$tmp/s2-3/results.json" "$tmp/drop.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
gone = d["benchmarks"][0]["run_name"]
d["benchmarks"] = [r for r in d["benchmarks"] if r["run_name"] != gone]
json.dump(d, open(sys.argv[2], "w"))
PY
ok "check_shards.py fails on a shard with a cell dropped" \
	bash -c '! "$0" "$1" "$2" "$3" "$4" > /dev/null' $py "$src/tests/cli/check_shards.py" \
	"$tmp/full/results.json" "$tmp/s1-3/results.json" "$tmp/drop.json"
ok "check_shards.py fails on a shard given twice" \
	bash -c '! "$0" "$1" "$2" "$3" "$4" > /dev/null' $py "$src/tests/cli/check_shards.py" \
	"$tmp/full/results.json" "$tmp/s1-2/results.json" "$tmp/s1-2/results.json"

# A shard resumed keeps its shard: the backend redone runs this shard's cells alone.
cp -r "$tmp/s2-3" "$tmp/r2-3"
rm -f "$tmp/r2-3/lock" "$tmp/r2-3/parts/slab.jsonl"
kmb_run resume run --resume "$tmp/r2-3" --quiet
ok "a resumed shard keeps --shard in its options" grep -qx -- "--shard=2/3" "$tmp/r2-3/cmdline"
ok "a resumed shard has its shard's cells, each once" \
	$py "$src/tests/cli/check_shards.py" "$tmp/full/results.json" "$tmp/s1-3/results.json" \
	"$tmp/r2-3/results.json" "$tmp/s3-3/results.json"

# The merge of the three shards (a directory, a directory, a file).
kmb_run merge merge "$tmp/s1-3" "$tmp/s2-3" "$tmp/s3-3/results.json" --out "$tmp/merged"
ok "the merged shards are the full run" \
	$py "$src/tests/cli/check_shards.py" --merged "$tmp/full/results.json" \
	"$tmp/merged/results.json"
$py "$src/tests/cli/check_results.py" "$tmp/merged/results.json" --threads 1,2 \
	--backends glibc,slab,mmap > "$tmp/check.log" 2>&1
ok "check_results.py passes the merged file, compare.py reads it: $(tail -n 3 "$tmp/check.log")" \
	grep -q "compare.py read the file" "$tmp/check.log"
ok "check_results.py: no problem in the merged file" \
	grep -q "check_results: 0 problem(s)" "$tmp/check.log"
ok "check_shards.py --merged fails on the full run less a cell" \
	bash -c '! "$0" "$1" --merged "$2" "$3" > /dev/null' $py "$src/tests/cli/check_shards.py" \
	"$tmp/full/results.json" "$tmp/drop.json"

# The same shard twice: its cells once.
kmb_run twice merge "$tmp/s1-3" "$tmp/s1-3" "$tmp/s2-3" "$tmp/s3-3" --out "$tmp/twice"
ok "a shard given twice: each cell once" \
	$py "$src/tests/cli/check_shards.py" --merged "$tmp/full/results.json" \
	"$tmp/twice/results.json"

# Refusals: one line naming the two runs and the first difference, exit 1, nothing written.
edit() {	# edit FROM TO PYTHON: a copy of results.json FROM, changed by PYTHON on d, at TO
	mkdir -p "$2"
	$py -c "import json, sys; d = json.load(open(sys.argv[1])); $3; json.dump(d, open(sys.argv[2], 'w'))" \
		"$1/results.json" "$2/results.json"
}
edit "$tmp/s2-3" "$tmp/other" \
	'd["context"]["cmdline"] = [a if not a.startswith("--min-time=") else "--min-time=0.5" for a in d["context"]["cmdline"]]'
must_fail "merge refuses another matrix" "$tmp/s1-3" "$tmp/other" "not the same matrix" \
	"--min-time=0.5" -- "$kmbench" merge "$tmp/s1-3" "$tmp/other" --out "$tmp/no1"
ok "a refused merge writes nothing" test ! -e "$tmp/no1/results.json"
edit "$tmp/s2-3" "$tmp/commit" 'd["context"]["git_commit"] = "0123456789ab"'
must_fail "merge refuses another commit" "$tmp/s1-3" "$tmp/commit" "0123456789ab" -- \
	"$kmbench" merge "$tmp/s1-3" "$tmp/commit" --out "$tmp/no2"
edit "$tmp/s1-3" "$tmp/dup" 'd["benchmarks"][0]["real_time"] *= 2'
must_fail "merge refuses a cell twice with different rows" "is in both" "$tmp/s1-3" \
	"$tmp/dup" -- "$kmbench" merge "$tmp/s1-3" "$tmp/dup" "$tmp/s2-3" --out "$tmp/no3"
must_fail "merge refuses a shard and the full run (their cells twice)" "is in both" -- \
	"$kmbench" merge "$tmp/s1-3" "$tmp/full" --out "$tmp/no4"
edit "$tmp/s2-3" "$tmp/resolved" 'd["context"]["options"]["threads"] = [1, 2, 4]'
must_fail "merge refuses the same options resolved to other thread counts" \
	"not the same matrix" "options.threads" -- \
	"$kmbench" merge "$tmp/s1-3" "$tmp/resolved" --out "$tmp/no7"
edit "$tmp/s2-3" "$tmp/split" 'd["context"]["shard"]["count"] = 2'
must_fail "merge refuses shards of different splits" "different splits" -- \
	"$kmbench" merge "$tmp/s1-3" "$tmp/split" --out "$tmp/no5"

# A shard not merged: a warning naming the missing cells' count; --complete: an error.
out=$("$kmbench" merge "$tmp/s1-3" "$tmp/s3-3" --out "$tmp/part" 2>&1); rc=$?
ok "a shard missing: exit 0 with a warning: $out" \
	bash -c '[ "$1" -eq 0 ] && [[ "$2" == *"warning: "*" cells are missing"*"2/3"* ]]' _ "$rc" "$out"
ok "a shard missing: context.merged.missing_shards names it" $py -c '
import json, sys
m = json.load(open(sys.argv[1]))["context"]["merged"]
sys.exit(m["missing_shards"] != ["2/3"] or m["missing"] <= 0)' "$tmp/part/results.json"
out=$("$kmbench" merge "$tmp/s1-3" "$tmp/drop.json" "$tmp/s3-3" --out "$tmp/cell" 2>&1); rc=$?
ok "a cell missing from a shard given: exit 0 with a warning naming it: $out" \
	bash -c '[ "$1" -eq 0 ] && [[ "$2" == *"warning: 1 of the matrix"*"/real_time/threads:"* ]]' \
	_ "$rc" "$out"
ok "a cell missing: context.merged.missing_cells names it" $py -c '
import json, sys
m = json.load(open(sys.argv[1]))["context"]["merged"]
gone = json.load(open(sys.argv[2]))["context"]["shard"]["cells"]
have = {r["run_name"] for r in json.load(open(sys.argv[2]))["benchmarks"]}
sys.exit(m["missing_cells"] != [c for c in gone if c not in have] or m["missing"] != 1)' \
	"$tmp/cell/results.json" "$tmp/drop.json"
must_fail "--complete refuses a shard missing" "error: " "cells are missing" -- \
	"$kmbench" merge "$tmp/s1-3" "$tmp/s3-3" --out "$tmp/no6" --complete
ok "a refused --complete writes nothing" test ! -e "$tmp/no6/results.json"

# Usage.
out=$("$kmbench" merge "$tmp/s1-3" 2>&1); rc=$?
ok "merge without --out: exit 2, one line: $out" \
	bash -c '[ "$1" -eq 2 ] && [ "$(wc -l <<< "$2")" -eq 1 ] && [[ "$2" == *"--out DIR"* ]]' _ "$rc" "$out"
kmb_test_end
