#!/bin/bash
# kmbench pairs (harness/pairs.c), without valgrind: a few alloc+free pairs of glibc and slab
# (batch 1 and a batch of 16) exit 0; each preloaded baseline runs where Debian installed its
# library, through the re-execution with LD_PRELOAD: exit 0, and in the re-executed kmbench
# the dynamic linker bound malloc to that library (LD_DEBUG=bindings, its own record); where
# the library is not installed, and in a sanitizer build, it says why it cannot run (exit 3);
# bad input is one line and exit 2.
# Usage: pairs.sh KMBENCH [BUILD_TYPE]
set -u
kmbench=$1 build_type=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok() {  # ok WANTED_STATUS... -- args...: kmbench pairs args must exit with one of them
	local want=() rc out
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	out=$("$kmbench" pairs "$@" 2>&1); rc=$?
	if [[ " ${want[*]} " == *" $rc "* ]]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: kmbench pairs $* -> exit $rc (wanted ${want[*]}): $out"
	fi
}

expect() {  # expect "<substring of the message>" args...: exit 2, exactly that one line
	local want=$1; shift
	local err rc lines
	err=$("$kmbench" pairs "$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$want"* ]]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: kmbench pairs $* -> exit $rc, $lines line(s): $err (wanted exit 2, one line with '$want')"
	fi
}

ok 0 -- --backend glibc --pairs 1000
ok 0 -- --backend slab --pairs 1000
ok 0 -- --backend=slab --size=4K --pairs=1000 --batch=16
ok 0 -- --backend slab --pairs 1000 --batch 100 --opt sheaves=off
ok 0 -- --backend kmalloc --pairs 1000 --opt=sheaves=on --opt slub-debug=FZ
ok 0 -- --backend glibc --pairs 1000 --opt sheaves=off
ok 0 -- --backend glibc --size 100 --pairs 1000 --batch 16
# installed LIB: the path of LIB where an installed Debian package holds it (dpkg-query, not
# kmbench's build, decides), else nothing and false.
installed() {
	local path
	for path in $(dpkg-query -S "*/$1" 2>/dev/null | sed -n 's/^[^:]*:[^:]*: //p'); do
		[ -e "$path" ] && { echo "$path"; return 0; }
	done
	return 1
}

# preloaded BACKEND LIB: kmbench pairs BACKEND runs with LIB preloaded, or cannot run (exit 3)
# and says why where LIB is not installed or this is a sanitizer build.
preloaded() {
	local b=$1 lib=$2 path rc out to
	out=$(LD_DEBUG=bindings LD_DEBUG_OUTPUT="$tmp/ld-$b" "$kmbench" pairs --backend "$b" \
	      --pairs 1000 2>&1); rc=$?
	if [ "$build_type" = Sanitize ]; then
		want "$b: exit 3 in a sanitizer build" "$rc" 3 "$out" "sanitizer build"
	elif ! command -v dpkg-query > /dev/null; then
		failed=$((failed + 1))
		echo "FAIL: $b: dpkg-query not found: cannot tell whether $lib is installed"
	elif ! path=$(installed "$lib"); then
		want "$b: exit 3, $lib not installed" "$rc" 3 "$out" "$b cannot run here"
	elif want "$b: exit 0, $path installed" "$rc" 0 "$out" "kmbench pairs: $b, 64 bytes"; then
		# Where the dynamic linker bound the (re-executed) kmbench binary's own malloc.
		to=$(cat "$tmp/ld-$b".* 2>/dev/null |
		     sed -n "s/.*binding file [^ ]*kmbench \[0\] to \([^ ]*\) .*symbol \`malloc'.*/\1/p" |
		     sort -u | tr '\n' ' ')
		if [[ " $to" == *"/$lib "* ]]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL: $b: LD_DEBUG=bindings: kmbench's malloc bound to ${to:-nothing}" \
			     "and never to $lib: the preload did not take effect"
		fi
	fi
}

# want WHAT RC WANTED_RC OUTPUT SUBSTRING: RC is WANTED_RC and OUTPUT has SUBSTRING (a pass),
# else a failure; the status says which.
want() {
	if [ "$2" -eq "$3" ] && [[ "$4" == *"$5"* ]]; then
		passed=$((passed + 1))
		return 0
	fi
	failed=$((failed + 1))
	echo "FAIL: $1: exit $2, wanted $3 and '$5': $4"
	return 1
}

# The libraries allocators/CMakeLists.txt looks for.
preloaded jemalloc libjemalloc.so.2
preloaded tcmalloc libtcmalloc_minimal.so.4
preloaded mimalloc libmimalloc.so.2

expect "kmbench pairs: unknown backend 'nosuch'; valid backends: glibc, jemalloc, tcmalloc, mimalloc, mmap, libnuma, buddy, buddy-none, buddy-thread, buddy-cpu-lock, buddy-cpu-rseq, slab" --backend nosuch
expect "--backend is required; valid backends: glibc," --pairs 10
expect "--size: '64x' is not a size; give bytes from 1 to 1G" --backend glibc --size 64x
expect "--size: '0' is not a size" --backend glibc --size 0
expect "--pairs: 'lots' is not a count; give 1 to 1000000000" --backend glibc --pairs lots
expect "--batch: '0' is not a batch size; give 1 to 1000000" --backend glibc --batch 0
expect "--pairs needs a value (N)" --backend glibc --pairs
expect "unknown option '--threads'; valid options: --backend, --size, --pairs, --batch, --opt" --backend glibc --threads 2
expect "--opt: no backend has an option 'bogus'" --backend slab --opt bogus=1
expect "--opt: 'sheaves' is not KEY=VALUE" --backend slab --opt sheaves
expect "--opt: sheaves: 'maybe' is not a sheaves setting; valid: on, off" --backend slab --opt sheaves=maybe

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
