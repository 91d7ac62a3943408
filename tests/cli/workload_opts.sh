#!/bin/bash
# Workload options as KEY=VALUE (-W KEY=VALUE, --workload-opt KEY=VALUE), end to end: they give
# the same families, names and params as the --KEY VALUE forms; the saved cmdline keeps them as
# --KEY=VALUE, in the form their workload shows them; the results record them in
# options.workload_options and in the keys the report reads (options.mempool_fail,
# options.matrix).  Bad values and unknown keys: tests/cli/bad_input.sh.  Every kmbench run must
# exit 0.
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
quick=(--threads 1 --min-time 0.01 --repetitions 1 --quiet)

kmb() {  # kmb NAME ARGS...: kmbench run ARGS --out $tmp/NAME, which must exit 0
	local name=$1 rc; shift
	"$kmbench" run "$@" --out "$tmp/$name" > "$tmp/$name.log" 2>&1; rc=$?
	ok "kmbench run $* exited $rc: $(tail -n 3 "$tmp/$name.log")" test "$rc" -eq 0
}

# holds DIR PYTHON-EXPRESSION: over o = context.options and names = {name: params} of the
# iteration runs of DIR/results.json.
holds() {
	"$py" - "$1/results.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["context"]["options"]
names = {r["name"]: r["kmbench"]["params"] for r in d["benchmarks"]
         if r["run_type"] == "iteration"}
if not eval("(" + sys.argv[2] + ")"):
    print(" ", o.get("workload_options"), o.get("mempool_fail"), o.get("matrix"), names)
    sys.exit(1)
PY
}

# 1. mempool-pressure's rates: -W against --mempool-fail.
pressure=(--backends mempool,slab --workloads mempool-pressure --sizes 256 --batch 100)
kmb flag "${pressure[@]}" "${quick[@]}" --mempool-fail 0,50
kmb w "${pressure[@]}" "${quick[@]}" -W mempool-fail=50%,0 -W mempool-fail=0,50%
ok "-W mempool-fail: the last value, as the workload shows it, saved" \
	grep -qx -e "--mempool-fail=0,50" "$tmp/w/cmdline"
ok "-W mempool-fail: recorded" holds "$tmp/w" \
	'o["workload_options"] == {"mempool-fail": "0,50"} and o["mempool_fail"] == [0, 50]'
ok "-W mempool-fail: the families of --mempool-fail" holds "$tmp/w" "names == $("$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print({r["name"]: r["kmbench"]["params"] for r in d["benchmarks"] if r["run_type"] == "iteration"})
' "$tmp/flag/results.json") and len(names) == 3"
ok "--mempool-fail: recorded as a workload option" holds "$tmp/flag" \
	'o["workload_options"] == {"mempool-fail": "0,50"}'
kmb none "${pressure[@]}" "${quick[@]}" --backends mempool
ok "no workload option given: none recorded, the default rate" holds "$tmp/none" \
	'o["workload_options"] == {} and o["mempool_fail"] == [0] and
	 list(names.values()) == [{"size": 256, "batch": 100, "fail": 0}]'

# 2. numa-matrix's policies and buffer (buddy takes a node on any machine).
kmb m --backends buddy --workloads numa-matrix "${quick[@]}" \
	--workload-opt matrix-policies=local,bind --workload-opt=matrix-buffer=256K
ok "--workload-opt: saved in cell order and bytes" grep -qx -e "--matrix-policies=bind,local" \
	"$tmp/m/cmdline"
ok "--workload-opt: buffer saved" grep -qx -e "--matrix-buffer=262144" "$tmp/m/cmdline"
ok "--workload-opt: recorded" holds "$tmp/m" '
o["workload_options"] == {"matrix-policies": "bind,local", "matrix-buffer": "262144"} and
o["matrix"]["policies"] == ["bind", "local"] and o["matrix"]["buffer"] == 262144 and
o["matrix"]["cells"] >= 2'
ok "--workload-opt: a family per cell, its params in the name" holds "$tmp/m" '
names and all(n == "numa-matrix/buddy/policy:%s/mem_node:%d/cpu_node:%d/buffer:262144"
              "/real_time/threads:1" % (p["policy"], p["mem_node"], p["cpu_node"])
              and p["buffer"] == 262144 for n, p in names.items())
and {p["policy"] for p in names.values()} == {"bind", "local"}'

kmb_test_end
