#!/bin/bash
# The vmalloc-floor backend makes the system calls vmalloc makes (be_vmalloc_floor.c): for
# 4 KiB, 64 KiB and 4 MiB (one run of frames per area, and two: vmalloc's 4 MiB areas come from
# the per-CPU lists in two runs), `kmbench pairs` of vmalloc and of vmalloc-floor, counted by
# strace -c (or perf's syscall tracepoints), make as many mmap() calls within 2% of the pairs
# plus what start-up and the floor's calibration add (64).  Exit 77 (skipped) where neither
# tool can count system calls here, and in the sanitizer build, whose AddressSanitizer runtime
# makes mmap calls of its own (its allocator's), as many as the program mallocs.
# Usage: vmalloc_floor.sh KMBENCH [BUILD_TYPE]
set -u
kmbench=$1 build_type=${2:-}
if [ "$build_type" = Sanitize ]; then
	echo "skipped: AddressSanitizer's own mmap calls would be counted with vmalloc's"
	exit 77
fi
pairs=3000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count_strace() {	# count_strace ARGS...: mmap calls of kmbench pairs ARGS
	strace -f -c -e trace=mmap -o "$tmp/st" "$kmbench" pairs "$@" > /dev/null 2>&1 || return 1
	awk '$NF == "mmap" { print $4 }' \
		"$tmp/st" | head -1
}
count_perf() {
	perf stat -x, -e syscalls:sys_enter_mmap -o "$tmp/pf" "$kmbench" pairs "$@" \
		> /dev/null 2>&1 || return 1
	awk -F, '/sys_enter_mmap/ { print $1 }' "$tmp/pf"
}

tool=""
if command -v strace > /dev/null && n=$(count_strace --backend vmalloc-floor --size 4096 \
	--pairs 10) && [ -n "$n" ]; then
	tool=strace
elif command -v perf > /dev/null && n=$(count_perf --backend vmalloc-floor --size 4096 \
	--pairs 10) && [[ "$n" =~ ^[0-9]+$ ]]; then
	tool=perf
fi
if [ -z "$tool" ]; then
	echo "skipped: neither strace nor perf's syscalls:sys_enter_mmap can count system calls here"
	exit 77
fi
echo "counting with $tool"

failed=0
for size in 4096 65536 4194304; do
	v=$("count_$tool" --backend vmalloc --size $size --pairs $pairs)
	f=$("count_$tool" --backend vmalloc-floor --size $size --pairs $pairs)
	if ! [[ "$v" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ ]]; then
		echo "FAIL: size $size: no count (vmalloc '$v', vmalloc-floor '$f')"
		failed=$((failed + 1))
		continue
	fi
	d=$((v > f ? v - f : f - v))
	tol=$((pairs * 2 / 100 + 64))
	if [ $d -le $tol ]; then
		echo "ok: size $size: mmap calls vmalloc $v, vmalloc-floor $f (within $tol)"
	else
		echo "FAIL: size $size: mmap calls vmalloc $v, vmalloc-floor $f: $d apart, more than $tol"
		failed=$((failed + 1))
	fi
	# Both must make at least one call per pair: the count is not of something else.
	if [ "$v" -lt $pairs ] || [ "$f" -lt $pairs ]; then
		echo "FAIL: size $size: fewer mmap calls than pairs (vmalloc $v, vmalloc-floor $f)"
		failed=$((failed + 1))
	fi
done
echo "$failed failed"
[ $failed -eq 0 ]
