#!/bin/bash
# The program workload end to end (workloads/program.c, issue 20): two committed programs
# (sqlite, gzip) under glibc, kmalloc and slab-packed, whose every cell must have sane counters
# (wall time, peak RSS, page faults, CPU time above 0, exit status 0) and the same output on
# every backend (check_program.py, and once more on results with one checksum changed, which
# must fail); a program that fails under LD_PRELOAD and one whose output differs there, each
# failing its own cells with the reason while glibc's cell runs; bad --program values refused
# (one line, exit 2, nothing written); a kmbench copied away from libkmbench-preload.so, whose
# kernel-style backends are skipped with the reason while glibc runs.  The sanitizer build
# makes no libkmbench-preload.so: there the kernel-style cells must say so, and the rest runs.
#   program.sh KMBENCH SOURCE_DIR BUILD_TYPE
set -u
kmbench=$1 src=$2 build_type=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
check="$py $src/tests/cli/check_program.py"
run=(run --workloads program --threads 1 --min-time 0.001 --repetitions 1 --quiet)

# --- bad values: one line naming the choices, exit status 2, nothing written ---
bad() {	# bad WANT ARGS...
	local want=$1 err rc; shift
	err=$("$kmbench" "${run[@]}" "$@" --out "$tmp/bad" 2>&1 >/dev/null); rc=$?
	ok "$*: exit $rc (want 2), one line holding '$want': $err" \
		test "$rc" -eq 2 -a "$(wc -l <<< "$err")" -eq 1 -a -n "$(grep -F -- "$want" <<< "$err")"
	ok "$*: wrote $tmp/bad" test ! -e "$tmp/bad"
}
bad "--program: unknown program 'nosuch': valid: a list of git, gzip, python, sqlite, xz" \
	--program nosuch
bad "unknown program 'nope'" --program sqlite,nope
bad "unknown program ''" --program sqlite,
bad "sh: wants a command" --program sh:
bad "--program-scale: an integer from 1 to 1000" --program sqlite --program-scale 0
bad "--program-mem: the preload library's model size, a multiple of 4M" --program sqlite \
	--program-mem 6M

if [ "$build_type" = Sanitize ]; then
	kmb_run san "${run[@]}" --backends glibc,kmalloc --program 'sh:echo hi' --out "$tmp/san"
	ok "sanitizer build: $($check "$tmp/san/results.json" --ok glibc \
		--skipped 'kmalloc=is not beside kmbench')" \
		$check "$tmp/san/results.json" --ok glibc --skipped 'kmalloc=is not beside kmbench'
	kmb_test_end
	exit
fi

# --- two programs under glibc, kmalloc and slab-packed ---
kmb_run two "${run[@]}" --backends glibc,kmalloc,slab-packed,buddy --program sqlite,gzip \
	--out "$tmp/two"
ok "two programs: $($check "$tmp/two/results.json" --ok glibc,kmalloc,slab-packed \
	--skipped 'buddy=not served by the preload library')" \
	$check "$tmp/two/results.json" --ok glibc,kmalloc,slab-packed \
	--skipped 'buddy=not served by the preload library'
ok "check_program.py passes with one row's checksum changed" \
	bash -c "! $check '$tmp/two/results.json' --ok glibc,kmalloc,slab-packed --plant >/dev/null"

# --- failures are their cells' alone ---
kmb_run fail "${run[@]}" --backends glibc,kmalloc,slab-packed \
	--program 'sh:echo start; test -z "$LD_PRELOAD" || exit 3' --out "$tmp/fail"
ok "a failing program: $($check "$tmp/fail/results.json" --ok glibc \
	--failed 'kmalloc=exit status 3,slab-packed=exit status 3')" \
	$check "$tmp/fail/results.json" --ok glibc --failed 'kmalloc=exit status 3,slab-packed=exit status 3'
kmb_run differ "${run[@]}" --backends glibc,kmalloc --program 'sh:echo $KMB_PRELOAD_BACKEND' \
	--out "$tmp/differ"
ok "an output that differs: $($check "$tmp/differ/results.json" --ok glibc \
	--failed "kmalloc=the output differs from glibc's")" \
	$check "$tmp/differ/results.json" --ok glibc --failed "kmalloc=the output differs from glibc's"

# --- no libkmbench-preload.so beside kmbench: the kernel-style backends say so ---
cp "$kmbench" "$tmp/kmbench"
kmbench=$tmp/kmbench kmb_run alone "${run[@]}" --backends glibc,kmalloc --program 'sh:echo hi' \
	--out "$tmp/alone"
ok "kmbench without the library: $($check "$tmp/alone/results.json" --ok glibc \
	--skipped 'kmalloc=is not beside kmbench')" \
	$check "$tmp/alone/results.json" --ok glibc --skipped 'kmalloc=is not beside kmbench'

kmb_test_end
