#!/bin/bash
# "The remote-free matrix covers every pair of the plan" (issue 15), on this machine, end to
# end: remote-free-matrix on slab and glibc (tiny min-time), and check_results.py, whose
# check_rfm finds in the rows every ordered pair (i, j) of context.options.rfm.cpus (the run's
# plan at its largest --threads: every CPU here), each with its threads on CPU i and CPU j as
# they found themselves (kmbench.cpus), and object_ns = alloc_ns + free_ns.  Then the check
# against faults planted in a copy of the results: a pair's rows removed, a consumer that ran
# on the wrong CPU; each must fail and say why.  Then rfm-cpus: the CPUs in the order given,
# whatever --pin says.  (The plan's pairs on machines of 16 to 128 CPUs: tests/unit/
# test_rfm_plan.c.  Bad rfm-cpus values: tests/cli/bad_input.sh.)
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
check=("$py" "$src/tests/cli/check_results.py")
ncpu=$(nproc)

kmb() {  # kmb NAME ARGS...: kmbench run ARGS --out $tmp/NAME, which must exit 0
	local name=$1 rc; shift
	"$kmbench" run --backends slab,glibc --workloads remote-free-matrix --sizes 64 \
		--min-time 0.001 --repetitions 1 --quiet "$@" --out "$tmp/$name" \
		> "$tmp/$name.log" 2>&1; rc=$?
	ok "kmbench run $* exited $rc: $(tail -n 3 "$tmp/$name.log")" test "$rc" -eq 0
}

# plant NAME PYTHON: a copy of the run's results.json with PYTHON applied to its iteration
# runs (list `runs`), as $tmp/NAME.json.
plant() {
	"$py" - "$tmp/run/results.json" "$tmp/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = [r for r in d["benchmarks"] if r["run_type"] == "iteration"]
exec(sys.argv[3])
d["benchmarks"] = [r for r in d["benchmarks"] if r.get("planted_drop") is None]
json.dump(d, open(sys.argv[2], "w"))
PY
}

kmb run --threads max
ok "check_results: every ordered pair of the plan's $ncpu CPUs, threads on them" \
	"${check[@]}" "$tmp/run/results.json"
ok "the plan's CPUs: all $ncpu, from the plan" "$py" -c '
import json, sys
rfm = json.load(open(sys.argv[1]))["context"]["options"]["rfm"]
sys.exit(not (rfm["source"] == "plan" and rfm["plan_cpus"] == int(sys.argv[2]) and
              sorted(rfm["cpus"]) == list(range(int(sys.argv[2]))) and
              rfm["cells"] == int(sys.argv[2]) ** 2))' "$tmp/run/results.json" "$ncpu"

last=$((ncpu - 1))
plant missing "
for r in runs:
    p = r['kmbench']['params']
    if r['kmbench']['backend'] == 'glibc' and (p['alloc_cpu'], p['free_cpu']) == ($last, 0):
        r['planted_drop'] = 1"
must_fail "check_results with glibc's pair ($last, 0) removed" \
	"glibc/remote-free-matrix: no cell for the (alloc_cpu, free_cpu) pairs [($last, 0)]" -- \
	"${check[@]}" "$tmp/missing.json"
plant moved "
r = [r for r in runs if r['kmbench']['backend'] == 'slab'][0]
r['kmbench']['cpus'][1] += 1"
must_fail "check_results with slab's first consumer on another CPU" \
	"remote-free-matrix/slab/size:64/alloc_cpu:0/free_cpu:0/real_time/threads:2: threads 2 on CPUs" -- \
	"${check[@]}" "$tmp/moved.json"

# rfm-cpus, reversed, against --pin scatter: the CPUs and their order are the option's.
cpus=$(seq -s, "$last" -1 0)
kmb given --threads 1 --pin scatter -W rfm-cpus="$cpus"
ok "check_results with rfm-cpus=$cpus" "${check[@]}" "$tmp/given/results.json" --threads 1
ok "rfm-cpus: recorded, in its order, cells allocating-CPU major" "$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
rfm, want = d["context"]["options"]["rfm"], [int(c) for c in sys.argv[2].split(",")]
order = [(r["kmbench"]["params"]["alloc_cpu"], r["kmbench"]["params"]["free_cpu"])
         for r in d["benchmarks"] if r["run_type"] == "iteration" and
         r["kmbench"]["backend"] == "slab"]
sys.exit(not (rfm["source"] == "rfm-cpus" and rfm["cpus"] == want and
              order == [(i, j) for i in want for j in want] and
              d["context"]["options"]["workload_options"] == {"rfm-cpus": sys.argv[2]}))' \
	"$tmp/given/results.json" "$cpus"
"$kmbench" plan --backends slab --workloads remote-free-matrix --threads 1 > "$tmp/plan.txt"
ok "kmbench plan: each cell on its own CPUs, at 2 threads only" grep -q \
	"remote-free-matrix/slab/size:64/alloc_cpu:0/free_cpu:0  pin cpus:0,0  threads 2 only" \
	"$tmp/plan.txt"
kmb_test_end
