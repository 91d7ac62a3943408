# tests/cli/lib.sh - what the end-to-end tests share: counted checks and the closing line.
# Sourced, not run.  A failed check is said and the test goes on, so one run shows every check
# that fails; kmb_test_end prints "N passed, N failed" and returns non-zero on any failure.
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

kmb_test_end() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
