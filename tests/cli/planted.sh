#!/bin/bash
# The cli tests' own checks, against faults planted on purpose: each must fail, and say why.
#   - vmalloc.sh with a kmbench that does its work and then exits 1 (as one whose backend
#     failed does): "FAIL: kmbench exited 0 (exited 1)";
#   - check_results.py pointed at a compare.py that is not there, on a good results.json:
#     exit 1, "compare.py: ... is missing".
# Usage: planted.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# must_fail WHAT WANT COMMAND...: COMMAND exits 1 and its output has the line part WANT.
must_fail() {
	local what=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq 1 ] && grep -qF -- "$want" <<< "$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what: exit $rc, wanted 1 and '$want'; the output ends:"
		tail -n 5 <<< "$out"
	fi
}

# A kmbench that runs the real one, then exits 1.
printf '#!/bin/bash\n"%s" "$@"\nexit 1\n' "$(realpath "$kmbench")" > "$tmp/kmbench-exit1"
chmod +x "$tmp/kmbench-exit1"
must_fail "vmalloc.sh, kmbench exiting 1" "FAIL: kmbench exited 0 (exited 1)" \
	bash "$src/tests/cli/vmalloc.sh" "$tmp/kmbench-exit1"

"$kmbench" run --backends glibc --workloads churn --sizes 64 --threads 1 --min-time 0.001 \
	--repetitions 1 --quiet --out "$tmp/run" > "$tmp/run.log" 2>&1 ||
	{ echo "FAIL: the run for check_results.py: $(tail -n 3 "$tmp/run.log")"; exit 1; }
must_fail "check_results.py, compare.py missing" \
	"FAIL: compare.py: $tmp/none/compare.py is missing" \
	/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/run/results.json" --threads 1 \
	--compare "$tmp/none/compare.py"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
