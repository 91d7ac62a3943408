#!/bin/bash
# kmbench pairs (harness/pairs.c), without valgrind: a few alloc+free pairs of glibc and slab
# (batch 1 and a batch of 16) exit 0; each preloaded baseline either runs (through the
# re-execution with LD_PRELOAD) or says why it cannot (exit 3); bad input is one line and
# exit 2.
set -u
kmbench=$1
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
ok 0 -- --backend glibc --size 100 --pairs 1000 --batch 16
for b in jemalloc tcmalloc mimalloc; do
	ok 0 3 -- --backend "$b" --pairs 1000
done

expect "kmbench pairs: unknown backend 'nosuch'; valid backends: glibc, jemalloc, tcmalloc, mimalloc, mmap, libnuma, buddy, buddy-none, buddy-thread, buddy-cpu-lock, buddy-cpu-rseq, slab" --backend nosuch
expect "--backend is required; valid backends: glibc," --pairs 10
expect "--size: '64x' is not a size; give bytes from 1 to 1G" --backend glibc --size 64x
expect "--size: '0' is not a size" --backend glibc --size 0
expect "--pairs: 'lots' is not a count; give 1 to 1000000000" --backend glibc --pairs lots
expect "--batch: '0' is not a batch size; give 1 to 1000000" --backend glibc --batch 0
expect "--pairs needs a value (N)" --backend glibc --pairs
expect "unknown option '--threads'; valid options: --backend, --size, --pairs, --batch" --backend glibc --threads 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
