#!/bin/bash
# The layer rule of allocators/ (allocators/README.md), checked where the compiler cannot:
#   includes  no source of a layer (allocators/<layer>/, mm_init.c) includes a quoted path with
#             a directory in it other than kmbench/: "../slab/slab.h" would go round the include
#             path that kmb_layer() sets, which is what makes an upward include fail to compile;
#   symbols   every symbol a layer's archive takes from another layer's archive is defined in a
#             layer below it: no call goes up or sideways, hooks included;
#   os        no layer but base takes one of the operating system's calls from libc (mmap,
#             memfd_create, sched_getcpu, syscall, ...: $os_calls below): each is wrapped once, in
#             base/os.c (STYLE.md: "everything that touches the OS goes through one header").
#
# Usage: check.sh ALLOCATORS_DIR LAYER:ARCHIVE:BELOW ...
#        check.sh --planted ALLOCATORS_DIR LAYER:ARCHIVE:BELOW ...
#   BELOW is the comma-separated list of every layer below LAYER (allocators/CMakeLists.txt's
#   KMB_LAYER_BELOW), empty for the bottom.  Exit 0 when both checks pass, 1 otherwise.
# --planted: the arguments say that nothing lies below the page layer; the symbols check must
# then fail, naming page's calls into percpu and base, and the includes check still pass.
# --planted-os: the arguments give the slab layer an archive whose object calls mmap() itself
# (planted_os.c); the os check must then fail, naming it, and the symbols check still pass.
set -u
set -o pipefail

os_calls="mmap mmap64 munmap mprotect madvise mremap memfd_create ftruncate ftruncate64 fallocate
fallocate64 pwrite pwrite64 close mbind get_mempolicy set_mempolicy move_pages syscall futex
sched_getcpu getcpu sysconf prctl gettid membarrier"

# planted WHAT FOUND WANT... -- ARGS...: this check run on ARGS, where WHAT was planted, must
# exit 1 with every WANT in its output; FOUND says what it then found.
planted() {
	local what=$1 found=$2 wants=() r
	shift 2
	while [ "$1" != -- ]; do
		wants+=("$1")
		shift
	done
	shift
	. "$(dirname "$0")/../cli/lib.sh"
	fails_as "${wants[@]}" -- bash "$0" "$@"
	r=$?
	printf '%s\n' "$fail_out" | sed 's/^/  | /'
	if [ "$r" -ne 0 ]; then
		echo "FAIL: check.sh with $what: wanted $fail_missing"
		exit 1
	fi
	echo "PASS: check.sh $found, and fails"
	exit 0
}

case "${1:-}" in
--planted-os)
	shift
	planted "a direct mmap() planted in the slab layer" \
		"finds the mmap() planted in the slab layer" \
		'PASS: symbols:' 'FAIL: os:' 'slab (mmap)' -- "$@";;
--planted)
	shift
	planted "page's layers below it taken away" \
		"finds the page layer's calls into percpu and base when they are not below it" \
		'PASS: includes:' 'FAIL: symbols:' 'page -> percpu (' 'page -> base (' -- "$@";;
esac

dir=${1:?usage: check.sh ALLOCATORS_DIR LAYER:ARCHIVE:BELOW ...}
shift
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

if ! command -v nm >/dev/null; then
	echo "FAIL: nm not found (Debian package binutils)"
	exit 1
fi

# includes
sources=$(find "$dir" -path "$dir/backends" -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print)
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' $sources |
      grep -vE '#[[:space:]]*include[[:space:]]*"kmbench/[^/"]*"')
if [ -z "$sources" ]; then
	fail "includes: no sources under $dir"
elif [ -n "$bad" ]; then
	fail "includes: a path round the layer's include path:"
	printf '%s\n' "$bad" | sed "s|^$dir/|  allocators/|"
else
	pass "includes: $(wc -w <<<"$sources") sources include other layers by name only"
fi

# symbols: which layer defines each global symbol, then what each layer takes from the others.
declare -A owner below archive
layers=()
for arg in "$@"; do
	IFS=: read -r layer ar blw <<<"$arg"
	layers+=("$layer") archive[$layer]=$ar below[$layer]=",$blw,"
	if [ ! -f "$ar" ]; then
		fail "symbols: $ar: no such archive (did it build?)"
		continue
	fi
	while read -r sym; do
		owner[$sym]=$layer
	done < <(nm -g --defined-only "$ar" 2>/dev/null | awk 'NF == 3 {print $3}')
done
# os: what each layer but base takes from outside the library, against the list above.
declare -A is_os
for sym in $os_calls; do
	is_os[$sym]=1
done
edges=0 wrong=() direct=() looked=0
for layer in "${layers[@]}"; do
	[ -f "${archive[$layer]}" ] || continue
	[ "$layer" = base ] || looked=$((looked + 1))
	calls=()
	while read -r sym; do
		to=${owner[$sym]:-}
		if [ -z "$to" ]; then
			[ "$layer" = base ] || [ -z "${is_os[$sym]:-}" ] || calls+=("$sym")
			continue
		fi
		[ "$to" != "$layer" ] || continue
		edges=$((edges + 1))
		[[ "${below[$layer]}" == *",$to,"* ]] || wrong+=("$layer -> $to ($sym)")
	done < <(nm -u "${archive[$layer]}" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}' | sort -u)
	[ ${#calls[@]} -eq 0 ] || direct+=("$layer ($(IFS=,; echo "${calls[*]}"))")
done
# judge OK PASS-MESSAGE FAIL-MESSAGE: one counted check, passed when OK is "yes"
judge() {
	if [ "$1" = yes ]; then pass "$2"; else fail "$3"; fi
}
judge "$([ ${#wrong[@]} -eq 0 ] && [ "$edges" -gt 0 ] && echo yes)" \
	"symbols: the $edges symbols the ${#layers[@]} layers take from each other are all defined below the layer that uses them" \
	"symbols: $edges taken between layers; not from a layer below: ${wrong[*]:-none at all}"
judge "$([ ${#direct[@]} -eq 0 ] && [ "$looked" -gt 0 ] && echo yes)" \
	"os: none of the $looked layers above base calls the operating system but through base/os.c" \
	"os: calls the operating system itself, not through base/os.c: ${direct[*]:-no layer looked at}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
