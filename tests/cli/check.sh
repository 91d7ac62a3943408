#!/bin/bash
# kmbench check (report/kmb_check.py) on a real run: checked against itself it passes; a copy
# with one backend's times in one cell multiplied by 1.2 fails, naming that cell; a copy with
# every time multiplied by a random factor within +-3% passes (the tolerance is 10%); and each
# bad input (a truncated file, foreign JSON, a run of another experiment, a reference the run
# lacks, too few repetitions, a bad option) is one line on stderr and exit status 2.  The
# check key of the experiment file reaches the results (context.options.check) and the check.
#   check.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
. "$src/tests/cli/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
$py -c 'import scipy.stats, numpy' 2>/dev/null || { echo "no scipy for $py: skipped"; exit 77; }

# cpu_time as well as real_time: a planted 1.2 on both must show on the one that preemption
# by other work on this shared machine leaves alone (cpu_time counts no time off the CPU).
cat > "$tmp/exp.yaml" <<'YAML'
experiments:
  - name: gate
    description: "three backends, one cell each: what the check compares"
    backends: [glibc, slab, kmalloc]
    workloads: churn
    sizes: 64
    batch: 1
    threads: 1
    min_time: 0.01
    repetitions: 11
    check:
      reference: glibc
      tolerance: {real_time: 10%, cpu_time: 10%}
YAML
kmb_run base run --matrix "$tmp/exp.yaml" --out "$tmp/a" --quiet --no-profile
cell=churn/slab/size:64/batch:1/real_time/threads:1

ok "results record the check key" $py - "$tmp/a/results.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["context"]["options"]["check"]
assert c == {"reference": "glibc", "alpha": 0.05, "tolerance": {"real_time": 0.1,
             "cpu_time": 0.1}, "from": "experiment"}, c
EOF

# A copy of the run's results with rows changed: plant.py IN OUT MODE
cat > "$tmp/plant.py" <<'EOF'
import json, random, sys
src, dst, mode = sys.argv[1:4]
doc = json.load(open(src))
rnd = random.Random(7)
for row in doc["benchmarks"]:
    if row["run_type"] != "iteration":
        continue
    if mode == "slow" and row["run_name"] == "churn/slab/size:64/batch:1/real_time/threads:1":
        f = 1.2
    elif mode == "noise":
        f = rnd.uniform(0.97, 1.03)
    elif mode == "experiment":
        doc["context"]["options"]["sizes"] = [128]
        f = 1
    elif mode == "fail" and row["kmbench"]["backend"] == "kmalloc":
        row["error_occurred"], row["error_message"] = True, "planted failure"
        f = 1
    else:
        f = 1
    row["real_time"] *= f
    row["cpu_time"] *= f
json.dump(doc, open(dst, "w"))
EOF
for m in slow noise experiment fail; do
	mkdir -p "$tmp/$m"
	$py "$tmp/plant.py" "$tmp/a/results.json" "$tmp/$m/results.json" $m
done

kmb_run self check "$tmp/a" --baseline "$tmp/a"
ok "a run against itself: no regression" grep -q "no significant regression" "$tmp/self.log"
must_fail "20% slower slab in one cell" "$cell" SLOWER "+20.0%" "significant regression" -- \
	"$kmbench" check "$tmp/slow" --baseline "$tmp/a"
ok "only the planted cell is named" \
	test "$(grep -c SLOWER <<< "$fail_out")" -ge 1 -a "$(grep -c kmalloc <<< "$fail_out")" -eq 0
kmb_run noise check "$tmp/noise" --baseline "$tmp/a"
kmb_run faster check "$tmp/a" --baseline "$tmp/slow"   # faster is no regression
must_fail "a backend's cells failed in RUN" "FAILED: planted failure" -- \
	"$kmbench" check "$tmp/fail" --baseline "$tmp/a"
kmb_run reference check "$tmp/slow" --baseline "$tmp/a" --reference slab   # glibc, kmalloc ok

bad() {  # bad WANT ARGS...: exit 2, exactly one line on stderr holding WANT
	local want=$1 err rc; shift
	err=$("$kmbench" "$@" 2>&1 >/dev/null); rc=$?
	ok "kmbench $*: exit $rc (want 2), one line with '$want': $err" \
		test "$rc" -eq 2 -a "$(grep -c . <<< "$err")" -eq 1 -a -n "$(grep -F -- "$want" <<< "$err")"
}
head -c 4000 "$tmp/a/results.json" > "$tmp/truncated.json"
echo '{"context": {"date": "x"}, "benchmarks": []}' > "$tmp/foreign.json"
bad "not JSON" check "$tmp/truncated.json" --baseline "$tmp/a"
bad "not kmbench results" check "$tmp/a" --baseline "$tmp/foreign.json"
bad "not runs of one experiment: sizes" check "$tmp/experiment" --baseline "$tmp/a"
bad "reference backend 'jemalloc'" check "$tmp/a" --baseline "$tmp/a" --reference jemalloc
bad "no such run directory" check "$tmp/nosuch" --baseline "$tmp/a"
bad "unknown option '--baseline-x'; valid: --baseline, --reference" check "$tmp/a" --baseline-x y
bad "--baseline BASE is missing" check "$tmp/a"
# 3 against 3 repetitions: the U test's smallest p-value is 2 / C(6, 3) = 0.1, above alpha.
kmb_run few run --matrix "$tmp/exp.yaml" --out "$tmp/few" --repetitions 3 --min-time 0.001 \
	--no-profile
bad "too few repetitions: 3 in RUN and 3 in BASE" check "$tmp/few" --baseline "$tmp/few"
kmb_test_end
