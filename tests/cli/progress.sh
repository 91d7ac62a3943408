#!/bin/bash
# kmbench plan and the progress of kmbench run (harness/plan.c), and --batch as a list:
#   - `kmbench plan` lists every cell of the run, the pinning of each thread count, and an
#     estimate, writes nothing, and agrees with `run --dry-run`;
#   - a run whose stdout is not a terminal prints one line per finished cell, "[i/N] ...", i
#     from 1 to N with N the plan's count, and no Google Benchmark table;
#   - --verbose adds Google Benchmark's tables; --quiet drops the cell lines;
#   - on a terminal (script(1) gives the run a pty) one line rewritten in place;
#   - --batch 1,100 makes a family of each batch, with the batch in the name and params;
#   - the closing line comes once.
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

opts=(--backends glibc,slab --workloads churn,counter-packed --sizes 64,4096 --batch 1,100
      --threads 1,max --min-time 0.01 --repetitions 2)
# families: 2 backends x 2 sizes x 2 batches of churn, and counter-packed once (no-allocator)
nthreads=$("$kmbench" plan "${opts[@]}" | sed -n 's/.* x \([0-9]*\) thread counts.*/\1/p')
want=$(( (2 * 2 * 2 + 1) * nthreads ))

"$kmbench" plan "${opts[@]}" --out "$tmp/never" > "$tmp/plan.txt" 2>&1
rc=$?
cat "$tmp/plan.txt"
check "plan exits 0" '[ $rc -eq 0 ]'
check "plan writes nothing" '[ ! -e "$tmp/never" ]'
check "plan counts $want cells" 'grep -Eq "^plan: (preset [a-z]+, )?$want cells: 9 families x $nthreads thread counts" "$tmp/plan.txt"'
check "plan lists each family once" \
	'[ "$(grep -c "^  churn/\(glibc\|slab\)/size:\(64\|4096\)/batch:\(1\|100\)$" "$tmp/plan.txt")" -eq 8 ] &&
	 grep -q "^  counter-packed/no-allocator$" "$tmp/plan.txt"'
check "plan gives an estimate" 'grep -Eq "^estimated time: [0-9:]+( s)? on this machine" "$tmp/plan.txt"'
check "plan pins thread 0 of 1 thread to a CPU and its node" \
	'grep -Eq "^ +1 thread: +0:[0-9]+/[0-9]+$" "$tmp/plan.txt"'
"$kmbench" run --dry-run "${opts[@]}" > "$tmp/dry.txt" 2>&1
check "run --dry-run prints the same plan" 'cmp -s "$tmp/plan.txt" "$tmp/dry.txt"'

"$kmbench" run "${opts[@]}" --out "$tmp/run" > "$tmp/run.txt" 2>&1
rc=$?
cat "$tmp/run.txt"
check "run exits 0" '[ $rc -eq 0 ]'
check "one line per cell, [1/$want] to [$want/$want]" \
	'[ "$(grep -Ec "^\[[0-9]+/$want\] " "$tmp/run.txt")" -eq "$want" ] &&
	 [ "$(grep -Eo "^\[[0-9]+/" "$tmp/run.txt" | tr -d "[/" | tr "\n" " ")" = \
	   "$(seq -s " " 1 "$want") " ]'
check "each cell line names its family and threads, and ns/op" \
	'grep -Eq "^\[[0-9]+/$want\] churn/slab/size:4096/batch:100 threads:[0-9]+: [0-9.e+]+ ns/op" "$tmp/run.txt"'
check "no Google Benchmark table without --verbose" '! grep -q "^Benchmark  *Time" "$tmp/run.txt"'
check "the closing lines once" \
	'[ "$(grep -c "^done: $want of $want cells in" "$tmp/run.txt")" -eq 1 ] &&
	 [ "$(grep -c "^results: $tmp/run/results.json" "$tmp/run.txt")" -eq 1 ]'
/usr/bin/python3 - "$tmp/run/results.json" "$nthreads" <<'EOF' && ok "batch list in names, params, options" || bad "batch list in names, params, options"
import json, sys
d = json.load(open(sys.argv[1]))
nt = int(sys.argv[2])
rows = [r for r in d["benchmarks"] if r["run_type"] == "iteration" and r["kmbench"]["workload"] == "churn"]
assert d["context"]["options"]["batch"] == [1, 100], d["context"]["options"]["batch"]
got = sorted({(r["kmbench"]["backend"], r["kmbench"]["params"]["size"], r["kmbench"]["params"]["batch"]) for r in rows})
want = sorted((b, s, n) for b in ("glibc", "slab") for s in (64, 4096) for n in (1, 100))
assert got == want, got
for r in rows:
    p = r["kmbench"]["params"]
    assert f"/size:{p['size']}/batch:{p['batch']}/" in r["name"], r["name"]
assert len(rows) == len(want) * nt * 2, len(rows)     # 2 repetitions
EOF

"$kmbench" run "${opts[@]}" --verbose --out "$tmp/verbose" > "$tmp/verbose.txt" 2>&1
check "--verbose adds Google Benchmark's tables" \
	'grep -q "^Benchmark  *Time  *CPU  *Iterations" "$tmp/verbose.txt" &&
	 [ "$(grep -Ec "^\[[0-9]+/$want\] " "$tmp/verbose.txt")" -eq "$want" ]'
"$kmbench" run "${opts[@]}" --quiet --out "$tmp/quiet" > "$tmp/quiet.txt" 2>&1
check "--quiet drops the cell lines, keeps the closing lines" \
	'! grep -Eq "^\[[0-9]+/" "$tmp/quiet.txt" && grep -q "^results: " "$tmp/quiet.txt"'

if command -v script > /dev/null; then
	script -qec "stty cols 200; '$kmbench' run ${opts[*]} --out '$tmp/tty'" /dev/null \
		> "$tmp/tty.txt" 2>&1
	# The live line is rewritten with CR and erase-line; the lines that stay are the closing.
	check "on a terminal the cell lines are one live line" \
		'[ "$(tr -d "\r" < "$tmp/tty.txt" | grep -Ec "^\[[0-9]+/$want\] .*threads:")" -eq 0 ] &&
		 [ "$(tr "\r" "\n" < "$tmp/tty.txt" | grep -Ec "^.\[K\[$want/$want\] ")" -ge 1 ] &&
		 grep -q "elapsed, ~" "$tmp/tty.txt" && grep -q "^done: $want of $want cells" <(tr "\r" "\n" < "$tmp/tty.txt" | sed "s/^\x1b\[K//")'
else
	echo "skip: script(1) not installed: the terminal case is not checked"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
