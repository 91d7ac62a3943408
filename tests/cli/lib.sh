# tests/cli/lib.sh - what the end-to-end tests share: counted checks, the closing line, and the
# check that a test fails when it should (a planted fault).  Sourced, not run; tests/alone and
# tests/layers source it too.  A failed check is said and the test goes on, so one run shows
# every check that fails; kmb_test_end prints "N passed, N failed" and returns non-zero on any
# failure.
passed=0 failed=0

ok() {  # ok WHAT COMMAND...: one counted check, passed when the command succeeds
	local what=$1; shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what"
	fi
}

# kmb_run NAME ARGS...: one counted check, passed when "$kmbench" ARGS exits 0; its output
# (stdout and stderr) is left in "$tmp/NAME.log" and its last lines are said on a failure.
kmb_run() {
	local name=$1 rc; shift
	"$kmbench" "$@" > "$tmp/$name.log" 2>&1; rc=$?
	ok "kmbench $* exited $rc: $(tail -n 3 "$tmp/$name.log")" test "$rc" -eq 0
}

kmb_test_end() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# fails_as WANT... -- COMMAND...: COMMAND exits 1 and its output (stdout and stderr) holds every
# WANT.  The output is left in $fail_out, what was not so in $fail_missing; 0 when all was so.
fails_as() {
	local wants=() want rc
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		wants+=("$1")
		shift
	done
	shift
	fail_out=$("$@" 2>&1); rc=$?
	fail_missing=""
	[ "$rc" -eq 1 ] || fail_missing="exit 1 (got $rc)"
	for want in "${wants[@]}"; do
		[[ "$fail_out" == *"$want"* ]] || fail_missing+="${fail_missing:+, }'$want'"
	done
	[ -z "$fail_missing" ]
}

# must_fail WHAT WANT... -- COMMAND...: fails_as as one counted check.
must_fail() {
	local what=$1; shift
	if fails_as "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what: wanted $fail_missing; the output ends:"
		tail -n 5 <<< "$fail_out"
	fi
}
