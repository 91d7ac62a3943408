#!/bin/bash
# The README's two commands as a newcomer meets them (issue 13): scripts/bench and scripts/test
# on a copy of the source tree in a temporary directory, so the developer's build/ is never
# touched.  One sequence, so that one release build serves every case:
#   b. a configure that fails (hwloc hidden: PKG_CONFIG_LIBDIR at an empty directory) exits
#      non-zero, names hwloc, its Debian package and the log, and runs nothing; the next
#      scripts/bench configures again (the failed configure left a CMakeCache.txt without a
#      Makefile), builds, runs a tiny matrix and writes the report;
#   a. that configure and build see only the .pc files of the build packages (KMB_PKGS_BUILD),
#      as a machine without the test packages would: the release build needs no cmocka, its
#      kmbench answers --version and list, and scripts/test's debug configure fails with the
#      one message that names libcmocka-dev, runs no ctest, and goes on to scripts/fuzz (a
#      stand-in that says it ran: the fuzz preset needs no cmocka);
#   c. a compile error planted into numa/topology.c: scripts/bench and scripts/test exit
#      non-zero and show the compiler's error line, and neither runs the kmbench that (a) left
#      behind, nor ctest.
# A failed check is reported and the sequence goes on, so one run shows every check that fails.
# scripts/test finds a ctest on PATH that only says it was run, so a build that failed and went
# on to the tests is seen at once (not after the copy's whole suite).
# Skipped (77) in the sanitizer build (the scripts build their own copies, so it would be the
# same test again), where a Debian package the scripts need is missing (they would install it,
# as root), and inside the copy (should a scripts/test there ever reach a real ctest, this test
# must not start again).
set -uo pipefail
src=$1 build_type=${2:-}
if [ -n "${KMB_SCRIPTS_TEST_NESTED:-}" ]; then
	echo "skipped: running inside the copy of an outer cli_scripts"
	exit 77
fi
if [ "$build_type" = Sanitize ]; then
	echo "skipped: the scripts build their own copies; the debug build's ctest runs this test"
	exit 77
fi
. "$src/scripts/lib.sh"
missing=""
for p in $KMB_PKGS_BUILD $KMB_PKGS_REPORT $KMB_PKGS_TEST $KMB_PKGS_PROFILE; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "skipped: Debian packages missing:$missing (the scripts would install them; scripts/test does)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KMB_SCRIPTS_TEST_NESTED=1
unset MAKEFLAGS MFLAGS MAKELEVEL          # the nested builds run make of their own
copy=$tmp/src
mkdir -p "$copy" "$tmp/pc-none" "$tmp/pc-build" || exit 1
# The source tree as git sees it (tracked files and new ones not ignored), else all but build/.
if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$src" && pwd -P)" ]; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		tar -C "$src" --ignore-failed-read --null -T - -cf - | tar -C "$copy" -xf - || exit 1
else
	tar -C "$src" --exclude=./build --exclude=./results/runs -cf - . | tar -C "$copy" -xf - ||
		exit 1
fi
# The pkg-config files of the build packages only: no cmocka.pc (libcmocka-dev is a test package).
for f in $(dpkg -L $KMB_PKGS_BUILD 2>/dev/null | grep '\.pc$'); do
	[ -f "$f" ] && cp "$f" "$tmp/pc-build/"
done
[ -f "$tmp/pc-build/hwloc.pc" ] || { echo "FAIL: no hwloc.pc among the build packages' files"; exit 1; }
[ ! -e "$tmp/pc-build/cmocka.pc" ] || { echo "FAIL: cmocka.pc among the build packages' files"; exit 1; }

# The ctest that scripts/test must not reach when a build failed.
mkdir -p "$tmp/bin" || exit 1
printf '#!/bin/sh\necho "ctest was run: $*"\ntouch "%s/ctest-ran"\nexit 1\n' "$tmp" >"$tmp/bin/ctest"
chmod +x "$tmp/bin/ctest" || exit 1

. "$(dirname "$0")/lib.sh"
out="" rc=0
run() {  # run NAME [VAR=VALUE...] COMMAND...: in the copy; its output in $out (and shown), status in $rc
	local name=$1; shift
	local shown="$*"
	echo "=== $name: ${shown//"$PATH"/\$PATH}"
	local t0=$SECONDS
	out=$(cd "$copy" && timeout 600 env "$@" 2>&1); rc=$?
	sed 's/^/  | /' <<<"$out"
	echo "=== $name: exit $rc, $((SECONDS - t0)) s"
}
has() { [[ "$out" == *"$1"* ]]; }
matches() { grep -qE -- "$1" <<<"$out"; }
# build_matches ERE: a line of the output that is not kmbench's own ("kmbench: ...", such as the
# run's environment warnings, harness/env.c) matches.
build_matches() { grep -v '^kmbench: ' <<<"$out" | grep -qE -- "$1"; }
not() { ! "$@"; }
lacks() { [[ "$out" != *"$1"* ]]; }
failed_rc() { [ "$rc" -ne 0 ]; }
ok_rc() { [ "$rc" -eq 0 ]; }

# A tiny matrix: one backend, one workload, one thread, the smoke preset's time budget.
tiny=(--preset smoke --backends glibc --workloads churn --threads 1 --quiet)

# b. A configure that fails, then one that works.
run b1-bench-no-hwloc PKG_CONFIG_LIBDIR="$tmp/pc-none" scripts/bench "${tiny[@]}" --out "$tmp/run-b1"
ok "b1: a failed configure exits non-zero" failed_rc
ok "b1: the output says the configure failed" has "configuring build/release failed"
ok "b1: the output shows CMake's error" has "A required package was not found"
ok "b1: the output names hwloc" has "'hwloc'"
ok "b1: the output names the Debian package libhwloc-dev" has "libhwloc-dev"
ok "b1: the output names the log" has "$copy/build/release.log"
ok "b1: the log is there" test -s "$copy/build/release.log"
ok "b1: nothing was run" test ! -e "$tmp/run-b1"
ok "b1: no build was attempted without a configure" lacks "Makefile: No such file"

run b2-bench PKG_CONFIG_LIBDIR="$tmp/pc-build" scripts/bench "${tiny[@]}" --out "$tmp/run-b2"
ok "b2: the second scripts/bench exits 0" ok_rc
ok "b2: it configured again: build/release/Makefile" test -f "$copy/build/release/Makefile"
ok "b2: the build is quiet: no configure, compiler or make lines" \
	not build_matches '^-- |^\[ *[0-9]+%\]|Building C|Linking|Built target|warning:'
ok "b2: the run wrote results.json" test -s "$tmp/run-b2/results.json"
ok "b2: the report was written" test -s "$tmp/run-b2/index.html"

# a. The release build has no tests and needed no cmocka; the debug build says what it needs.
cache=$copy/build/release/CMakeCache.txt
ok "a: release is configured with BUILD_TESTING=OFF" grep -q '^BUILD_TESTING:[A-Z]*=OFF$' "$cache"
ok "a: release never looked for cmocka" not grep -qi cmocka "$cache"
# Its only program under tests/ is tests/rseq's kmb_rseq_exits, which scripts/test runs on the
# release build itself (no ctest there).
ok "a: release has no ctest tests" test ! -e "$copy/build/release/CTestTestfile.cmake"
ok "a: release built no tests but tests/rseq" \
	test "$(ls "$copy/build/release/tests" 2>/dev/null | tr '\n' ' ')" = "rseq "
run a1-version "$copy/build/release/harness/kmbench" --version
ok "a1: kmbench --version runs" ok_rc
run a1-list "$copy/build/release/harness/kmbench" list
ok "a1: kmbench list runs" ok_rc
ok "a1: kmbench list names the glibc backend" has "glibc"
# scripts/test goes on to the fuzzers after failed builds (their preset needs no cmocka): a
# stand-in scripts/fuzz here, for the real one's clang build and 10 s a fuzzer (90 s of the 140
# this test took) check nothing of a2's; c2 runs the real one.
mv "$copy/scripts/fuzz" "$tmp/fuzz.real" || exit 1
printf '#!/bin/sh\necho "scripts/fuzz was run: $*"\ntouch "%s/fuzz-ran"\n' "$tmp" >"$copy/scripts/fuzz"
chmod +x "$copy/scripts/fuzz" || exit 1
run a2-test-no-cmocka PKG_CONFIG_LIBDIR="$tmp/pc-build" PATH="$tmp/bin:$PATH" scripts/test
mv -f "$tmp/fuzz.real" "$copy/scripts/fuzz" || exit 1
ok "a2: scripts/test without cmocka exits non-zero" failed_rc
ok "a2: the output says the debug configure failed" has "configuring build/debug failed"
ok "a2: the output names libcmocka-dev" has "libcmocka-dev"
ok "a2: the output says scripts/test installs it" has "scripts/test installs"
ok "a2: the output names the log" has "$copy/build/debug.log"
ok "a2: no ctest was run" test ! -e "$tmp/ctest-ran"
ok "a2: it went on to the fuzzers" test -e "$tmp/fuzz-ran"

# c. A compile error: shown, and nothing that did not build is run.
printf '\nint kmb_planted_error = kmb_planted_undeclared;\n' >>"$copy/numa/topology.c"
run c1-bench-broken scripts/bench "${tiny[@]}" --out "$tmp/run-c1"
ok "c1: a failed build exits non-zero" failed_rc
ok "c1: the output says the build failed" has "building build/release failed"
ok "c1: the output shows the compiler's error line" \
	matches "numa/topology.c:[0-9]+:[0-9]+: error: .{1,3}kmb_planted_undeclared.{1,3} undeclared"
ok "c1: the output names the log" has "$copy/build/release.log"
ok "c1: the kmbench of b2 is still there" test -x "$copy/build/release/harness/kmbench"
ok "c1: it was not run" test ! -e "$tmp/run-c1"
run c2-test-broken PATH="$tmp/bin:$PATH" scripts/test
ok "c2: a failed build exits non-zero" failed_rc
ok "c2: the output says the debug build failed" has "building build/debug failed"
ok "c2: the output says the sanitize build failed" has "building build/sanitize failed"
ok "c2: the output says the tsan build failed" has "building build/tsan failed"
ok "c2: the output shows the compiler's error line" \
	matches "numa/topology.c:[0-9]+:[0-9]+: error: .{1,3}kmb_planted_undeclared.{1,3} undeclared"
ok "c2: no ctest was run" test ! -e "$tmp/ctest-ran"

kmb_test_end
