#!/bin/bash
# No second writer (issue 17): while a run goes on in a directory,
#   - a second `kmbench run --out DIR` and a `kmbench run --resume DIR` are refused with one
#     line naming the directory and the running kmbench's pid, and exit status 1, before they
#     write anything there (the saved options stay the first run's);
#   - the first run finishes unharmed: its results are its own options' and pass
#     check_results.py;
# and once it has ended, the directory is free: --resume is let in and keeps every backend.
# Fails without the lock, with a lock that outlives the run, or with a refusal that writes.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
run=$tmp/run
first=
trap '[ -n "$first" ] && kill -9 "$first" 2> /dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

opts=(--backends glibc --workloads churn --sizes 64,4096 --batch 1 --threads 1 --min-time 0.2
      --repetitions 2)
"$kmbench" run "${opts[@]}" --out "$run" --quiet > "$tmp/first.log" 2>&1 &
first=$!
for _ in $(seq 600); do		# until it has locked the directory and saved its options
	grep -q "^$first started " "$run/lock" 2> /dev/null && [ -s "$run/cmdline" ] && break
	sleep 0.05
done
cp "$run/cmdline" "$tmp/cmdline"
ok "the first run is still going" kill -0 "$first"

line="kmbench: $run is in use by kmbench pid $first (started "
must_fail "a second run on the directory is refused" "$line" "); wait for it or kill it" -- \
	"$kmbench" run --backends slab --workloads churn --sizes 128 --threads 1 --out "$run"
ok "in one line: $fail_out" test "$(wc -l <<< "$fail_out")" -eq 1
must_fail "a --resume of it is refused" "$line" -- "$kmbench" run --resume "$run"
ok "in one line: $fail_out" test "$(wc -l <<< "$fail_out")" -eq 1
ok "the refused runs wrote nothing: the saved options are the first run's" \
	cmp -s "$tmp/cmdline" "$run/cmdline"
ok "no part of the refused run's backend" test ! -e "$run/parts/slab.partial.jsonl"

wait "$first"
rc=$?
first=
ok "the first run exits 0 (got $rc): $(tail -n 2 "$tmp/first.log")" test "$rc" -eq 0
/usr/bin/python3 "$src/tests/cli/check_results.py" "$run/results.json" --threads 1 \
	--backends glibc > "$tmp/check.log" 2>&1
ok "its results pass check_results.py: $(tail -n 2 "$tmp/check.log")" test $? -eq 0
ok "its results are its own options'" /usr/bin/python3 - "$run/results.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["context"]["options"]["sizes"] == [64, 4096], d["context"]["options"]["sizes"]
assert {r["kmbench"]["backend"] for r in d["benchmarks"]} == {"glibc"}
EOF

kmb_run after run --resume "$run"
ok "free once the run has ended: --resume keeps its backend" \
	grep -q "^== glibc: done in an earlier attempt, kept" "$tmp/after.log"
kmb_test_end
