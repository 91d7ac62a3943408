#!/bin/bash
# The server workloads end to end (docs/workloads.md): larson and prodcons on slab and glibc at
# 1 and 2 threads (--pin none, so 2 threads run on a 1-CPU machine too), every row without an
# error and with objects per second; check_results.py on the file; larson's frees cross threads
# at 2 threads and never at 1 (remote_free_frac), prodcons's roles (producers, consumers) and
# its ratio at 3 threads; the options recorded in the context.  Then the checks that can fail:
# with KMB_TEST_LEAK=1 (wl_freed.h) every row fails naming the object left unfreed; allocations
# that fail end the run with the reason, no thread left waiting, nothing leaked; bad workload
# options exit 2 with one line naming the problem and the valid values; the server preset is
# what the README says (its plan).
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

# runs DIR PYTHON-EXPRESSION: the expression holds for o = context.options and rows = the
# iteration runs of DIR/results.json as (backend, workload, threads, run); prints them if not.
runs() {
	"$py" - "$1/results.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["context"]["options"]
rows = [(r["kmbench"]["backend"], r["kmbench"]["workload"], r["threads"], r)
        for r in d["benchmarks"] if r["run_type"] == "iteration"]
if not eval("(" + sys.argv[2] + ")"):
    for b, w, t, r in rows:
        print(" ", r["name"], r.get("error_message"), {k: r.get(k) for k in (
            "items_per_second", "remote_free_frac", "rounds", "producers", "consumers")})
    sys.exit(1)
PY
}

common=(--backends slab,glibc --sizes 1K --batch 64 --pin none --min-time 0.01 --quiet)

# 1. Both workloads, both backends, 1 and 2 threads; arrays handed on every 64 replacements.
kmb_run a run "${common[@]}" --workloads larson,prodcons --threads 1,2 --larson-rounds 1 \
	--repetitions 2 --out "$tmp/a"
ok "check_results" "$py" "$src/tests/cli/check_results.py" "$tmp/a/results.json" --threads 1,2
ok "every row, none failed, objects per second" runs "$tmp/a" '
len(rows) == 2 * 2 * 2 * 2 and all(not r.get("error_occurred") and r["items_per_second"] > 0
                                   for b, w, t, r in rows)'
ok "larson: no remote free at 1 thread, a share at 2" runs "$tmp/a" '
all(r["remote_free_frac"] == 0 for b, w, t, r in rows if w == "larson" and t == 1) and
all(0.2 < r["remote_free_frac"] < 0.9 and r["rounds"] > 0
    for b, w, t, r in rows if w == "larson" and t == 2)'
ok "prodcons: one thread is both, two are a pair" runs "$tmp/a" '
all((r["producers"], r["consumers"]) == (1, 1) for b, w, t, r in rows if w == "prodcons")'
ok "options recorded" runs "$tmp/a" 'o["larson_rounds"] == 1 and o["prodcons_ratio"] == "1:1"'

# 2. Three threads at 1:2 (one producer, two consumers) and larson's default rounds.
kmb_run b run "${common[@]}" --workloads larson,prodcons --threads 3 -W prodcons-ratio=1:2 \
	--repetitions 1 --out "$tmp/b"
ok "1:2 at 3 threads: 1 producer, 2 consumers" runs "$tmp/b" '
[(r["producers"], r["consumers"]) for b, w, t, r in rows if w == "prodcons"] == [(1, 2)] * 2
and all(not r.get("error_occurred") for b, w, t, r in rows)'
ok "options recorded" runs "$tmp/b" 'o["larson_rounds"] == 100 and o["prodcons_ratio"] == "1:2"'

# 3. The planted leak: every row fails with the counts.
KMB_TEST_LEAK=1 "$kmbench" run "${common[@]}" --workloads larson,prodcons --threads 1,2 \
	--repetitions 1 --out "$tmp/leak" > "$tmp/leak.log" 2>&1
ok "planted leak: every row fails, one object short" runs "$tmp/leak" '
len(rows) == 8 and all(r.get("error_occurred") and
    r["error_message"].startswith(w + ": ") and r["error_message"].endswith(" freed") and
    int(r["error_message"].split()[1]) == int(r["error_message"].split()[4]) + 1
    for b, w, t, r in rows)'

# 4. Bad options: exit 2, one line naming the option, the problem and the valid values.
bad() {	# bad WANT ARGS...
	local want=$1 out rc; shift
	out=$("$kmbench" run --backends slab --workloads larson,prodcons --out "$tmp/bad" "$@" \
		2>&1); rc=$?
	ok "$* -> exit 2 and '$want' (got $rc: $out)" \
		test "$rc" -eq 2 -a "$out" = "kmbench run: $want"
}
ratio_help="give P:C, producers to consumers, whole numbers 1 to 64, e.g. 1:1, 1:3, 3:1"
rounds_help="give a whole number 1 to 1000000, e.g. 100 (Larson's)"
bad "--prodcons-ratio: '0:1' is not a ratio; $ratio_help" --prodcons-ratio 0:1
bad "--prodcons-ratio: '3' is not a ratio; $ratio_help" -W prodcons-ratio=3
bad "--prodcons-ratio: '1:65' is not a ratio; $ratio_help" --prodcons-ratio 1:65
bad "--prodcons-ratio: '1:2:3' is not a ratio; $ratio_help" --prodcons-ratio 1:2:3
bad "--larson-rounds: '0' is not a round count; $rounds_help" --larson-rounds 0
bad "--larson-rounds: '-5' is not a round count; $rounds_help" -W larson-rounds=-5
bad "--larson-rounds: '2x' is not a round count; $rounds_help" --larson-rounds 2x
ok "no run directory after a bad option" test ! -e "$tmp/bad"

# 5. Allocations that fail (1 MiB objects from a 32 MiB buddy node): larson's fill and
# prodcons's producer at 2 threads fail the run with the reason, every thread leaves its waits,
# and what was allocated is freed (the check would say otherwise on stderr).
timeout 120 "$kmbench" run --backends buddy --node-mem 32M --workloads larson,prodcons \
	--sizes 1M --batch 64 --threads 1,2 --pin none --min-time 0.01 --repetitions 1 --quiet \
	--out "$tmp/nomem" > "$tmp/nomem.log" 2>&1
# (prodcons at 2 threads fails unless its consumer kept the ring short enough: either is right.)
ok "allocation failures: the reason, no hang" runs "$tmp/nomem" '
sorted((w, t, r.get("error_message")) for b, w, t, r in rows if (w, t) != ("prodcons", 2)) == [
    ("larson", 1, "larson: buddy alloc returned NULL filling the arrays"),
    ("larson", 2, "larson: buddy alloc returned NULL filling the arrays"),
    ("prodcons", 1, None)] and
[r.get("error_message") for b, w, t, r in rows if (w, t) == ("prodcons", 2)][0] in (
    None, "prodcons: buddy alloc of 1048576 bytes returned NULL")'
ok "allocation failures: nothing leaked" bash -c "! grep -q 'objects allocated' '$tmp/nomem.log'"

# 6. The server preset: its backends, workloads, size and batch, every thread count.
kmb_run plan plan --preset server
ok "server preset plan" grep -q \
	"^plan: preset server, $((7 * 2 * $(nproc))) cells: 14 families x $(nproc) thread counts" \
	"$tmp/plan.log"
for w in larson/slab/size:1024/batch:5000 prodcons/slab-packed/size:1024 \
	larson/kmalloc/size:1024/batch:5000 prodcons/glibc/size:1024; do
	ok "server preset plans $w" grep -q "^  $w\$" "$tmp/plan.log"
done
# The preloaded baselines: planned, or skipped with the reason (the sanitizer build).
for b in jemalloc tcmalloc mimalloc; do
	ok "server preset plans $b" grep -Eq "^  (prodcons/$b/size:1024\$|$b +skipped: )" \
		"$tmp/plan.log"
done

kmb_test_end
