#!/bin/bash
# Seeded interleaving of the repetitions (issue 17, harness/reps.h).  The order a run's
# repetitions ran in is each iteration row's kmbench.sequence:
#   - the same --seed gives the same order, another seed another, and neither is the order
#     of --no-interleave: cells in family order, each cell's repetitions one after another;
#   - within a cell, repetition_index follows the order they ran in (0 grew the iteration
#     count, and every repetition ran its iterations);
#   - context.interleave_seed is the seed, options.interleave says whether it was used, and a
#     run without --seed draws one, records it and saves it with its options (for --resume);
#   - the rows are as before: per cell the repetitions, then mean, median, stddev and cv, in
#     family order, and check_results.py passes;
#   - a bad --seed is refused.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
differ() { ! cmp -s "$1" "$2"; }

# Four cells of three repetitions: 12!/(3!)^4 = 369600 orders.
opts=(--backends glibc --workloads churn --sizes 64,128,256,512 --batch 1 --threads 1
      --min-time 0.002 --repetitions 3 --no-profile --quiet)
kmb_run a run "${opts[@]}" --seed 42 --out "$tmp/a"
kmb_run b run "${opts[@]}" --seed 42 --out "$tmp/b"
kmb_run c run "${opts[@]}" --seed 43 --out "$tmp/c"
kmb_run d run "${opts[@]}" --seed 42 --no-interleave --out "$tmp/d"
kmb_run e run "${opts[@]}" --out "$tmp/e"

# order DIR: the cells (size) and repetition_index of the iteration rows, by sequence.
order() {
	$py - "$1/results.json" <<'EOF'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["benchmarks"] if r["run_type"] == "iteration"]
rows.sort(key=lambda r: r["kmbench"]["sequence"])
print(" ".join(f'{r["kmbench"]["params"]["size"]}.{r["repetition_index"]}' for r in rows))
EOF
}
for r in a b c d; do
	order "$tmp/$r" > "$tmp/$r.order"
	echo "$r: $(cat "$tmp/$r.order")"
done
ok "the same seed, the same order" cmp -s "$tmp/a.order" "$tmp/b.order"
ok "another seed, another order" differ "$tmp/a.order" "$tmp/c.order"
ok "--no-interleave: cells in order, repetitions in a row" test "$(cat "$tmp/d.order")" = \
	"64.0 64.1 64.2 128.0 128.1 128.2 256.0 256.1 256.2 512.0 512.1 512.2"
ok "interleaved is not that order" differ "$tmp/a.order" "$tmp/d.order"

for r in a c e; do
	ok "$r: rows as before, repetitions numbered as they ran, one iteration count a cell" \
		$py - "$tmp/$r/results.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))["benchmarks"]
want, seen = [], []
for size in (64, 128, 256, 512):
    run = f"churn/glibc/size:{size}/batch:1/real_time/threads:1"
    want += [(run, "iteration", i) for i in range(3)]
    want += [(f"{run}_{a}", "aggregate", None) for a in ("mean", "median", "stddev", "cv")]
got = [(r["name"], r["run_type"], r.get("repetition_index")) for r in rows]
assert got == want, got
for size in (64, 128, 256, 512):
    reps = [r for r in rows if r["run_type"] == "iteration" and
            r["kmbench"]["params"]["size"] == size]
    seq = [r["kmbench"]["sequence"] for r in reps]
    assert seq == sorted(seq), seq                    # repetition_index in run order
    assert len({r["iterations"] for r in reps}) == 1, [r["iterations"] for r in reps]
    assert all(r["repetitions"] == 3 for r in reps)
EOF
done
ok "context.interleave_seed and options.interleave" $py - "$tmp" <<'EOF'
import json, sys
def ctx(r):
    return json.load(open(f"{sys.argv[1]}/{r}/results.json"))["context"]
a, d, e = ctx("a"), ctx("d"), ctx("e")
assert a["interleave_seed"] == 42 and a["options"]["interleave"] is True, a["interleave_seed"]
assert d["interleave_seed"] == 42 and d["options"]["interleave"] is False
seed = e["interleave_seed"]
assert isinstance(seed, int) and 0 <= seed < 2 ** 32 and e["options"]["interleave"] is True
assert f"--seed={seed}\n" in open(f"{sys.argv[1]}/e/cmdline").read()
EOF
/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/a/results.json" --threads 1 \
	--backends glibc > "$tmp/check.log" 2>&1
ok "check_results.py: $(tail -n 2 "$tmp/check.log")" test $? -eq 0

for bad in -1 4294967296 x 1.5 ""; do
	"$kmbench" run "${opts[@]}" --seed "$bad" --out "$tmp/never" > "$tmp/bad.log" 2>&1
	rc=$?
	ok "--seed '$bad' refused with status 2 (got $rc)" \
		test "$rc" -eq 2 -a ! -e "$tmp/never"
	ok "--seed '$bad': one line naming it" grep -q "^kmbench run: --seed: " "$tmp/bad.log"
done
kmb_test_end
