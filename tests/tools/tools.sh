#!/bin/bash
# The allocators' memory as AddressSanitizer and valgrind's memcheck see it
# (allocators/base/tools.h, docs/tools.md): kmb_tools_plant (plant.c) plants a use after free, a
# double free, a read past an object, a leak, a read past a kmalloc object's requested size
# (kmalloc, krealloc in place), a use after vfree, a read past a vmalloc area's size, a use of a
# freed page, a use of a mempool element given back to the reserve and a read past one taken
# from it, a use after free and a write into a red zone in a slub_debug cache (F, Z, P, U), a
# read past a large kmalloc's size, each in a child process, and the tool must report each at the
# address the program names; a clean run of the same program, nothing, with and without
# slub_debug=FZPU on every cache.
#   asan      the sanitize build's program, run as it is: ASan's report (use-after-poison, at
#             the planted address) and its exit status 1, for each; the slub_debug cache's
#             misuse made where ASan does not check (dbgquiet): no ASan report, and slub_debug
#             reports both, with all of its reads and writes of the poisoned metadata unchecked;
#   valgrind  the debug build's program under memcheck: "Invalid read" in the freed block,
#             "Invalid free()" of it, "Invalid read" after the block, a lost block of 20 bytes
#             at --leak-check=full, after the 20 bytes kmalloc or krealloc was asked for,
#             inside the vfree'd area's block and after a live one's, in a freed page (no
#             memcheck block: in the node's memfd), "Invalid read" in the element back in the
#             reserve and after the 20 bytes of one taken from it, after a large kmalloc's
#             12388 bytes, in a slub_debug cache's freed object and after a live one's 20
#             bytes, each the run's only error, slub_debug's report after it, and 0
#             errors in the clean runs; with SHIM (libkmbench-preload.so), sort(1) on it under
#             memcheck (--soname-synonyms=somalloc=nouserintercepts: memcheck must not replace
#             the shim's malloc with its own): its output as without, 0 errors, and the shim's
#             KMB_PRELOAD_STATS line with slab objects.  Skipped (77) without valgrind.
# Usage: tools.sh asan|valgrind PLANT [SHIM]
set -u
tool=$1 plant=$2 shim=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../cli/lib.sh"

# run MODE CMD...: the plant in MODE under CMD; its stdout in $tmp/MODE.out, stderr in
# $tmp/MODE.err, exit status in $rc, and the addresses it printed in $obj and $addr.
run() {
	local mode=$1; shift
	"$@" "$plant" "$mode" > "$tmp/$mode.out" 2> "$tmp/$mode.err"; rc=$?
	obj=$(sed -n 's/^object //p' "$tmp/$mode.out")
	addr=$(sed -n 's/^address //p' "$tmp/$mode.out")
}

# has MODE TEXT: the tool's report (stderr) of MODE holds TEXT; said with its end when not.
has() {
	grep -qF -- "$2" "$tmp/$1.err" && return 0
	echo "  $1: no '$2' in its report, which ends:"
	tail -n 8 "$tmp/$1.err" | sed 's/^/    /'
	return 1
}

case $tool in
asan)
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
	for mode in clean dbgclean; do
		run $mode
		ok "asan $mode: exit $rc" test "$rc" -eq 0
		ok "asan $mode: no report" bash -c "! grep -q AddressSanitizer '$tmp/$mode.err'"
		ok "asan $mode: slub_debug silent" bash -c "! grep -q 'kmbench: BUG' '$tmp/$mode.err'"
	done
	run uaf
	ok "asan uaf: exit $rc" test "$rc" -eq 1
	ok "asan uaf: reported at $addr" has uaf "AddressSanitizer: use-after-poison on address $addr"
	ok "asan uaf: a read" has uaf "READ of size 1 at $addr"
	run double
	ok "asan double free: exit $rc" test "$rc" -eq 1
	ok "asan double free: the allocator's line" has double \
		"kmbench: plant: double free of object $obj"
	ok "asan double free: reported at $obj" has double \
		"AddressSanitizer: use-after-poison on address $obj"
	run redzone
	ok "asan redzone: exit $rc" test "$rc" -eq 1
	ok "asan redzone: reported at $addr" has redzone \
		"AddressSanitizer: use-after-poison on address $addr"
	for mode in kmalloc krealloc vfree vtail page pooltail largetail dbgredzone; do
		run $mode
		ok "asan $mode: exit $rc" test "$rc" -eq 1
		ok "asan $mode: reported at $addr" has $mode \
			"AddressSanitizer: use-after-poison on address $addr"
	done
	run pool
	ok "asan mempool reserve: exit $rc" test "$rc" -eq 1
	ok "asan mempool reserve: reported at $addr" has pool \
		"AddressSanitizer: use-after-poison on address $addr"
	run dbguaf
	ok "asan dbguaf: exit $rc" test "$rc" -eq 1
	ok "asan dbguaf: reported at $addr" has dbguaf \
		"AddressSanitizer: use-after-poison on address $addr"
	ok "asan dbguaf: a write" has dbguaf "WRITE of size 1 at $addr"
	run dbgquiet
	ok "asan dbgquiet: exit $rc" test "$rc" -eq 0
	ok "asan dbgquiet: no report" bash -c "! grep -q AddressSanitizer '$tmp/dbgquiet.err'"
	uaf_at=$(sed -n 1p <<< "$addr") rz_at=$(sed -n 2p <<< "$addr")
	ok "asan dbgquiet: slub_debug finds the poison written" has dbgquiet \
		"[Poison overwritten] $uaf_at-$uaf_at"
	ok "asan dbgquiet: slub_debug finds the red zone written" has dbgquiet \
		"[Right Redzone overwritten] $rz_at-$rz_at"
	ok "asan dbgquiet: and refuses the free" has dbgquiet \
		"Object at $(sed -n 2p <<< "$obj") not freed"
	;;
valgrind)
	if ! command -v valgrind > /dev/null; then
		echo "skipped: valgrind is not installed (Debian package valgrind; scripts/test" \
		     "installs it)"
		exit 77
	fi
	vg=(valgrind --error-exitcode=99 --leak-check=no)
	for mode in clean dbgclean; do
		run $mode "${vg[@]}"
		ok "valgrind $mode: exit $rc" test "$rc" -eq 0
		ok "valgrind $mode: 0 errors" has $mode "ERROR SUMMARY: 0 errors from 0 contexts"
		ok "valgrind $mode: slub_debug silent" \
			bash -c "! grep -q 'kmbench: BUG' '$tmp/$mode.err'"
	done
	run uaf "${vg[@]}"
	ok "valgrind uaf: exit $rc" test "$rc" -eq 99
	ok "valgrind uaf: Invalid read" has uaf "Invalid read of size 1"
	ok "valgrind uaf: in the freed block" has uaf \
		"Address $addr is 8 bytes inside a block of size 20 free'd"
	run double "${vg[@]}"
	ok "valgrind double free: exit $rc" test "$rc" -eq 99
	ok "valgrind double free: Invalid free" has double "Invalid free() / delete / delete[]"
	ok "valgrind double free: refused" has double \
		"kmbench: plant: double free of object $obj (memcheck: it is no live block)"
	ok "valgrind double free: of the freed block" has double \
		"Address $obj is 0 bytes inside a block of size 20 free'd"
	run redzone "${vg[@]}"
	ok "valgrind redzone: exit $rc" test "$rc" -eq 99
	ok "valgrind redzone: Invalid read" has redzone "Invalid read of size 1"
	ok "valgrind redzone: after the block" has redzone \
		"Address $addr is 0 bytes after a block of size 20 alloc'd"
	run kmalloc "${vg[@]}"
	ok "valgrind kmalloc: exit $rc" test "$rc" -eq 99
	ok "valgrind kmalloc: after the 20 bytes asked for" has kmalloc \
		"Address $addr is 0 bytes after a block of size 20 alloc'd"
	run krealloc "${vg[@]}"
	ok "valgrind krealloc: exit $rc" test "$rc" -eq 99
	ok "valgrind krealloc: after the 20 bytes it was reallocated to" has krealloc \
		"Address $addr is 0 bytes after a block of size 20 alloc'd"
	run vfree "${vg[@]}"
	ok "valgrind vfree: exit $rc" test "$rc" -eq 99
	ok "valgrind vfree: in the vfree'd area" has vfree \
		"Address $addr is 8 bytes inside a block of size 12,388 free'd"
	run vtail "${vg[@]}"
	ok "valgrind vtail: exit $rc" test "$rc" -eq 99
	ok "valgrind vtail: after the area's 12388 bytes" has vtail \
		"Address $addr is 0 bytes after a block of size 12,388 alloc'd"
	run page "${vg[@]}"
	ok "valgrind page: exit $rc" test "$rc" -eq 99
	ok "valgrind page: in the freed block, no memcheck block" has page \
		"Address $addr is in a rw- mapped file /memfd:kmbench-node0"
	run pool "${vg[@]}"
	ok "valgrind mempool reserve: exit $rc" test "$rc" -eq 99
	ok "valgrind mempool reserve: in the element given back" has pool \
		"Address $addr is 8 bytes inside a block of size 20 free'd"
	run pooltail "${vg[@]}"
	ok "valgrind mempool element: exit $rc" test "$rc" -eq 99
	ok "valgrind mempool element: after the pool's 20 bytes" has pooltail \
		"Address $addr is 0 bytes after a recently re-allocated block of size 20 alloc'd"
	run largetail "${vg[@]}"
	ok "valgrind largetail: exit $rc" test "$rc" -eq 99
	ok "valgrind largetail: after the 12388 bytes asked for" has largetail \
		"Address $addr is 0 bytes after a block of size 12,388 alloc'd"
	# a slub_debug cache: memcheck at the write, the only error (slub_debug's reads and
	# writes of what is NOACCESS are quiet), then slub_debug at its next check
	run dbguaf "${vg[@]}"
	ok "valgrind dbguaf: exit $rc" test "$rc" -eq 99
	ok "valgrind dbguaf: Invalid write" has dbguaf "Invalid write of size 1"
	ok "valgrind dbguaf: in the freed block" has dbguaf \
		"Address $addr is 8 bytes inside a block of size 20 free'd"
	ok "valgrind dbguaf: the only error" has dbguaf "ERROR SUMMARY: 1 errors from 1 contexts"
	ok "valgrind dbguaf: slub_debug's report" has dbguaf "[Poison overwritten] $addr-$addr"
	run dbgredzone "${vg[@]}"
	ok "valgrind dbgredzone: exit $rc" test "$rc" -eq 99
	ok "valgrind dbgredzone: Invalid write" has dbgredzone "Invalid write of size 1"
	ok "valgrind dbgredzone: after the block" has dbgredzone \
		"Address $addr is 0 bytes after a block of size 20 alloc'd"
	ok "valgrind dbgredzone: the only error" has dbgredzone \
		"ERROR SUMMARY: 1 errors from 1 contexts"
	ok "valgrind dbgredzone: slub_debug's report at the free" has dbgredzone \
		"[Right Redzone overwritten] $addr-$addr"
	run leak valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	ok "valgrind leak: exit $rc" test "$rc" -eq 99
	ok "valgrind leak: a lost block" has leak \
		"20 bytes in 1 blocks are definitely lost in loss record"
	ok "valgrind leak: allocated by kmem_cache_alloc" has leak "kmem_cache_alloc"
	if [ -n "$shim" ]; then
		input=$(dirname "$0")/plant.c
		# a file: sort closes its stderr before the shim's line is written at exit
		LD_PRELOAD=$shim KMB_PRELOAD_STATS=$tmp/stats valgrind --error-exitcode=99 \
			--soname-synonyms=somalloc=nouserintercepts sort "$input" \
			> "$tmp/sort.out" 2> "$tmp/sort.err"; rc=$?
		ok "valgrind sort on the shim: exit $rc" test "$rc" -eq 0
		ok "valgrind sort on the shim: 0 errors" has sort "ERROR SUMMARY: 0 errors from 0"
		ok "valgrind sort on the shim: the shim's objects" \
			grep -qE "^kmbench-preload: pid [0-9]+ sort backend kmalloc: slab [1-9]" \
			"$tmp/stats"
		ok "valgrind sort on the shim: its output" cmp -s "$tmp/sort.out" <(sort "$input")
	fi
	;;
*)
	echo "tools.sh: tool '$tool': asan or valgrind"
	exit 2
	;;
esac
kmb_test_end
