#!/bin/bash
# The proof that the gates can fail (issue 18): a deliberately slowed kmbench, built once in
# its own build directory (BUILD_DIR, kept between runs, so a second run only relinks) with
# -DKMB_SLOW_FASTPATH=1000 (allocators/base/config.h: 1000 volatile increments in the slab
# allocation fast path; 100 would add 150% to the debug build's hot pair, too close to the
# timed gate's tolerance of 100%) and otherwise as this build, against this build's kmbench
# (REAL):
#   - the instruction gate: a baseline counted from REAL (scripts/instructions, glibc, slab,
#     kmalloc and slab-nosheaves, 5000 pairs); --check with REAL passes, even at tolerance 0
#     (the counts are exact); --check with the slowed kmbench fails, exit 1, with slab,
#     kmalloc and slab-nosheaves named as moved and glibc not, and passes on glibc alone;
#   - the timed gate, `kmbench check`: a small ci run (glibc and slab, the hot pair, one
#     thread, the ci preset's 9 repetitions and check settings) of each build; the slowed run
#     against the real one fails, exit 1, naming slab's cell as slower; a second real run
#     against the first passes;
#   - bad input to the gate: a missing file, a file that is not a baseline, a bad tolerance,
#     each one line and exit 2.
# Skipped (77) where valgrind is missing, and in the sanitizer build (an AddressSanitizer
# binary cannot run under valgrind; the debug build's ctest runs this test).
set -uo pipefail
kmbench=$1 src=$2 build_type=${3:-} build_dir=$4
if [ "$build_type" = Sanitize ]; then
	echo "skipped: an AddressSanitizer build cannot run under valgrind; the debug build's" \
		"ctest runs this"
	exit 77
fi
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	echo "skipped: valgrind is not installed (Debian package valgrind; scripts/test" \
		"installs it)"
	exit 77
fi
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
instructions=$src/scripts/instructions
t0=$SECONDS

# The slowed variant: the kmbench target only, the same build type and warnings as this build.
echo "=== the slowed variant in $build_dir"
if ! cmake -S "$src" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DBUILD_TESTING=OFF \
	-DKMB_WERROR=ON -DKMB_SLOW_FASTPATH=1000 >"$tmp/configure.log" 2>&1; then
	tail -n 20 "$tmp/configure.log"
	echo "FAIL: configuring the slowed variant"
	exit 1
fi
if ! cmake --build "$build_dir" --target kmbench -j2 >"$tmp/build.log" 2>&1; then
	grep -E -A2 'error' "$tmp/build.log" | head -n 20
	echo "FAIL: building the slowed variant"
	exit 1
fi
slow=$build_dir/harness/kmbench
echo "built in $((SECONDS - t0)) s"
ok "the slowed build's cache says KMB_SLOW_FASTPATH=1000" \
	grep -q '^KMB_SLOW_FASTPATH:[A-Z]*=1000$' "$build_dir/CMakeCache.txt"

# The instruction gate.
"$instructions" --kmbench "$kmbench" --backends glibc,slab,kmalloc,slab-nosheaves --pairs 5000 \
	--out "$tmp/base.json" >"$tmp/base.log" 2>&1
rc=$?
ok "counting the baseline from the real build: $(tail -n 3 "$tmp/base.log")" test "$rc" -eq 0
out=$("$instructions" --kmbench "$kmbench" --check "$tmp/base.json" 2>&1); rc=$?
ok "the real build passes the instruction gate (exit $rc): $(tail -n 8 <<<"$out")" test "$rc" -eq 0
ok "the real build's gate says passed" grep -q '^instruction gate: passed' <<<"$out"
"$instructions" --kmbench "$kmbench" --check "$tmp/base.json" --tolerance 0 >"$tmp/exact.log" 2>&1
rc=$?
ok "the real build passes at tolerance 0 (exit $rc): $(tail -n 3 "$tmp/exact.log")" test "$rc" -eq 0
must_fail "the slowed build fails the instruction gate" \
	"instruction gate: FAILED" "moved beyond 2%: slab, kmalloc, slab-nosheaves" -- \
	"$instructions" --kmbench "$slow" --check "$tmp/base.json"
echo "$fail_out" | sed -n '/^instruction gate: counts/,$p'
ok "its table has slab as moved" grep -qE '^slab +[0-9.]+ +[0-9.]+ +\+[0-9.]+%  MOVED: more' \
	<<<"$fail_out"
ok "its table has glibc unmoved" grep -qE '^glibc +[0-9.]+ +[0-9.]+ +\+0\.0%  ok$' <<<"$fail_out"
ok "it warns that the build differs" grep -q 'warning: build_type differs' <<<"$fail_out"
"$instructions" --kmbench "$slow" --check "$tmp/base.json" --backends glibc >"$tmp/glibc.log" 2>&1
rc=$?
ok "the slowed build passes on glibc alone (exit $rc): $(tail -n 3 "$tmp/glibc.log")" \
	test "$rc" -eq 0

# Bad input: one line, exit 2, before anything is counted.
bad_input() {  # bad_input WANT ARGS...: exit 2 and WANT in the one line of output
	local want=$1 out rc; shift
	out=$("$instructions" --kmbench "$kmbench" "$@" 2>&1); rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && [[ "$out" == *"$want"* ]] ||
		{ echo "  got exit $rc: $out"; return 1; }
}
ok "--check of a missing file" bad_input "cannot read" --check "$tmp/nosuch.json"
echo '{"benchmarks": []}' >"$tmp/notbase.json"
ok "--check of a file that is not a baseline" bad_input "not an instructions file" \
	--check "$tmp/notbase.json"
ok "--tolerance that is not a percentage" bad_input "is not a percentage" \
	--check "$tmp/base.json" --tolerance 2x
ok "--rebaseline with --backends" bad_input "counts every backend" --rebaseline --backends slab
ok "--check with --rebaseline" bad_input "exclude each other" --rebaseline --check "$tmp/base.json"

# The committed baselines: the instruction counts of every backend this kmbench knows, from a
# release build, with their context; a run of the ci preset for the timed gate.
known=$("$kmbench" list | awk '/^backends:/ {on = 1; next} /^[a-z]/ {on = 0}
	on && ($2 == "available" || $2 == "missing") {print $1}')
/usr/bin/python3 - "$src/results/baselines/instructions.json" "$src/results/baselines/ci" \
	"$known" <<'PY' >"$tmp/committed.log" 2>&1
import json, os, sys
path, ci, known = sys.argv[1], sys.argv[2], sys.argv[3].split()
base = json.load(open(path))
ctx = base["context"]
for key in ("valgrind", "compiler", "build_type", "git_commit", "size", "pairs", "batch"):
    assert key in ctx, f"context.{key} missing"
assert ctx["build_type"] == "Release", ctx["build_type"]
assert ctx["compiler"] != "unknown" and ctx["valgrind"].startswith("valgrind-"), ctx
missing = [b for b in known if base["backends"].get(b, {}).get("status") != "ok"]
assert not missing, f"no count in {path} for {missing}: scripts/instructions --rebaseline"
run = json.load(open(os.path.join(ci, "results.json")))
assert run["context"]["options"]["experiment"] == "ci", run["context"]["options"]
assert os.path.exists(os.path.join(ci, "cmdline")), "no cmdline in " + ci
print("ok:", len(known), "backends in", path, "and a ci run in", ci)
PY
rc=$?
ok "the committed baselines: $(tail -n 2 "$tmp/committed.log")" test "$rc" -eq 0

# The timed gate: a small ci run of each build, the slowed one against the real one.
ci=(run --preset ci --backends glibc,slab --sizes 64 --batch 1 --threads 1 --quiet)
kmb_run real1 "${ci[@]}" --out "$tmp/real1"
kmb_run real2 "${ci[@]}" --out "$tmp/real2"
"$slow" "${ci[@]}" --out "$tmp/slow" >"$tmp/slow.log" 2>&1
rc=$?
ok "the slowed build's ci run: $(tail -n 3 "$tmp/slow.log")" test "$rc" -eq 0
must_fail "the slowed run fails the timed gate" "churn/slab/size:64/batch:1" "SLOWER" -- \
	"$kmbench" check "$tmp/slow" --baseline "$tmp/real1"
echo "$fail_out"
out=$("$kmbench" check "$tmp/real2" --baseline "$tmp/real1" 2>&1)
rc=$?
ok "a second real run passes the timed gate (exit $rc): $out" test "$rc" -eq 0
echo "$out"
echo "gates.sh: $((SECONDS - t0)) s"
kmb_test_end
