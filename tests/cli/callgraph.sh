#!/bin/bash
# kmbench run --profile (harness/callgraph.h) end to end.  Without perf (KMB_PERF naming a
# missing file, then a "perf" that exits at once): the run succeeds and every selected cell's
# callgraph is "unavailable" with the reason, c2c's too for a false-sharing cell.  Bad values
# refused in one line, exit 2.  Then, where perf can record this process (else exit 77 with
# perf's reason), the slab hot pair profiled for real: its folded stacks name the slab fast
# path (check_callgraph.py), an unselected cell has no profile, and the report draws the flame
# graph and the top functions.  About 10 s.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
check="$src/tests/cli/check_callgraph.py"
cell=(--backends slab --sizes 64 --batch 1 --threads 1 --repetitions 2 --quiet)

KMB_PERF="$tmp/no-perf" kmb_run missing run "${cell[@]}" --workloads churn,false-share-active \
	--min-time 0.01 --profile --out "$tmp/missing"
ok "a missing perf: churn's profile is unavailable with the reason" \
	/usr/bin/python3 "$check" unavailable "$tmp/missing" churn/slab "cannot run $tmp/no-perf"
ok "a missing perf: false-share-active's c2c is unavailable with a reason" \
	/usr/bin/python3 -c 'import json, sys
rows = json.load(open(sys.argv[1]))["benchmarks"]
c2c = [r["kmbench"]["callgraph"]["c2c"] for r in rows if r["run_name"].startswith("false-share")]
sys.exit(not c2c or any(c["status"] != "unavailable" or not c["reason"] for c in c2c))' \
	"$tmp/missing/results.json"
KMB_PERF=/bin/false kmb_run false run "${cell[@]}" --workloads churn --min-time 0.01 \
	--profile=churn --out "$tmp/false"
ok "a perf that exits at once: unavailable, it did not start" \
	/usr/bin/python3 "$check" unavailable "$tmp/false" churn/slab \
	"/bin/false record did not start"

out=$("$kmbench" run "${cell[@]}" --workloads churn --profile="$(printf 'x%.0s' {1..300})" \
	--dry-run 2>&1); rc=$?
ok "--profile=<300 characters>: exit 2, one line (got $rc: $out)" \
	test "$rc" -eq 2 -a "$(wc -l <<<"$out")" -eq 1 -a -n "$(grep -F -- '--profile' <<<"$out")"
out=$("$kmbench" run "${cell[@]}" --workloads churn --profile churn --dry-run 2>&1); rc=$?
ok "--profile CELLS (a space, not =): exit 2, one line (got $rc: $out)" \
	test "$rc" -eq 2 -a "$(wc -l <<<"$out")" -eq 1

perf=${KMB_PERF:-perf}
if ! command -v "$perf" >/dev/null; then
	echo "skipped: no perf here (Debian: apt-get install linux-perf)"
	kmb_test_end || exit 1
	exit 77
fi
if ! "$perf" record -g -e cpu-clock -o "$tmp/probe.data" -- true >"$tmp/probe.log" 2>&1; then
	echo "skipped: perf cannot record here: $(grep -v '^$' "$tmp/probe.log" | tail -n 1)"
	kmb_test_end || exit 1
	exit 77
fi

kmb_run real run "${cell[@]}" --workloads churn,false-share-active --min-time 0.05 \
	--profile='churn/*' --out "$tmp/real"
ok "the slab hot pair's stacks name its fast path (and only churn is profiled)" \
	/usr/bin/python3 "$check" measured "$tmp/real" churn/slab kmem_cache_alloc \
	kmem_cache_free churn_run
/usr/bin/python3 "$src/report/kmbench_report.py" "$tmp/real/results.json" -o "$tmp/real.html" \
	>"$tmp/report.log" 2>&1
ok "the report is written: $(tail -n 2 "$tmp/report.log")" test -s "$tmp/real.html"
ok "the report draws the flame graph, kmem_cache_alloc a frame of it" \
	grep -q 'class="flame".*data-function="kmem_cache_alloc"' "$tmp/real.html"
ok "the report has the top functions" grep -q 'id="callgraph-top-0"' "$tmp/real.html"
kmb_test_end
