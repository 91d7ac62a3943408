#!/bin/bash
# --mempool-fail and the mempool-pressure workload end to end: the rates are a dimension of the
# mempool backend's mempool-pressure rows only (each rate a family, in the row's name and
# params), never of another backend's rows or another workload's; the file passes
# check_results.py (which also checks what a rate fixes: nothing from the reserve at 0%, all of
# it at 100%); the injected share shows in reserve_frac; at 100% the threads hand their live
# sets to the rescuer; the saved cmdline and --resume keep the rates; the mempool preset is what
# the documentation says.  Every kmbench run must exit 0.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
py=/usr/bin/python3
max=$(nproc)

ok() {  # ok "what" command...: the command must succeed
	local what=$1; shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what"
	fi
}

# kmb NAME ARGS...: kmbench ARGS with stdout in $tmp/NAME.log, stderr in $tmp/NAME.err; it must
# exit 0 (a run that wrote results but exited non-zero had a backend fail).
kmb() {
	local name=$1 rc; shift
	"$kmbench" "$@" > "$tmp/$name.log" 2> "$tmp/$name.err"; rc=$?
	ok "kmbench $* exited $rc: $(tail -n 3 "$tmp/$name.log" "$tmp/$name.err")" test "$rc" -eq 0
}

# runs DIR PYTHON-EXPRESSION: true when the expression holds for o = context.options and
# rows = the iteration runs of DIR/results.json, each as (backend, workload, params, run);
# prints the rows otherwise.
runs() {
	"$py" - "$1/results.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["context"]["options"]
rows = [(r["kmbench"]["backend"], r["kmbench"]["workload"], r["kmbench"]["params"], r)
        for r in d["benchmarks"] if r["run_type"] == "iteration"]
if not eval("(" + sys.argv[2] + ")"):
    for b, w, p, r in rows:
        print(" ", r["name"], {k: r.get(k) for k in ("reserve_frac", "punts", "kernel_waits")})
    sys.exit(1)
PY
}

# 1. Four rates over the mempool backend, slab and glibc, mempool-pressure and churn.
kmb a run --backends mempool,slab,glibc --workloads mempool-pressure,churn --threads "1,$max" \
	--sizes 256 --batch 100 --mempool-fail 0,10,50,100 --min-time 0.01 --repetitions 2 \
	--quiet --out "$tmp/a"
ok "run wrote results.json" test -f "$tmp/a/results.json"
ok "check_results" "$py" "$src/tests/cli/check_results.py" "$tmp/a/results.json" \
	--threads "1,$max"
ok "options.mempool_fail recorded" runs "$tmp/a" 'o["mempool_fail"] == [0, 10, 50, 100]'
ok "a family per rate on mempool" runs "$tmp/a" '
sorted(p["fail"] for b, w, p, r in rows if (b, w) == ("mempool", "mempool-pressure"))
== sorted([0, 10, 50, 100] * 2 * len({1, '"$max"'}))'
ok "no rate on the other backends and workloads" runs "$tmp/a" '
all("fail" not in p and "/fail:" not in r["name"] for b, w, p, r in rows
    if (b, w) != ("mempool", "mempool-pressure"))
and len([1 for b, w, p, r in rows if w == "churn"]) == 3 * 2 * len({1, '"$max"'})'
ok "the rate in the name" runs "$tmp/a" '
all(r["name"] == "mempool-pressure/mempool/size:256/batch:100/fail:%d/real_time/threads:%d"
    % (p["fail"], r["threads"]) for b, w, p, r in rows if "fail" in p)'
ok "a family_index per rate" runs "$tmp/a" '
len({r["family_index"] for b, w, p, r in rows if "fail" in p}) == 4'
ok "the injected share shows" runs "$tmp/a" '
all(abs(r["reserve_frac"] - p["fail"] / 100) < 0.05 for b, w, p, r in rows
    if p.get("fail") in (10, 50))'
ok "at 100% the live sets go to the rescuer" runs "$tmp/a" '
all(r["punts"] > 0 and r["kernel_wait_max_ns"] <= r["kernel_wait_ns"]
    for b, w, p, r in rows if p.get("fail") == 100)'
ok "the reference has latencies but no reserve" runs "$tmp/a" '
all(r["lat_p99_ns"] > 0 and "reserve_frac" not in r for b, w, p, r in rows
    if (b, w) == ("slab", "mempool-pressure"))'
ok "cmdline saves the rates" grep -qx -e "--mempool-fail=0,10,50,100" "$tmp/a/cmdline"

# 2. --resume runs the missing backend with the saved rates.
rm "$tmp/a/parts/mempool.jsonl"
kmb resume run --resume "$tmp/a" --quiet
ok "resume wrote mempool's part" test -f "$tmp/a/parts/mempool.jsonl"
ok "resume keeps the rates" runs "$tmp/a" '
sorted({p["fail"] for b, w, p, r in rows if "fail" in p}) == [0, 10, 50, 100]'

# 3. The mempool preset (shortened): its backends, workload, size, batch and rates.
kmb p run --preset mempool --threads 1 --min-time 0.01 --repetitions 1 --quiet --out "$tmp/p"
ok "preset mempool" runs "$tmp/p" '
o["preset"] == "mempool" and o["backends"] == ["mempool", "slab"] and
o["workloads"] == ["mempool-pressure"] and o["sizes"] == [256] and o["batch"] == [100] and
o["mempool_fail"] == [0, 10, 50, 100] and len(rows) == 4 + 1'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
