#!/bin/bash
# The allocator library links alone (issue 14; ROADMAP: "no harness, workload or benchmark code
# inside it").  PROGRAM is tests/alone/alone.c linked against kmb_mm only.  Checks:
#   run      PROGRAM exits 0 and ends with "N passed, 0 failed";
#   symbols  no symbol of PROGRAM (defined or referenced) is Google Benchmark's (benchmark::,
#            _ZN9benchmark), the harness's (kmb_gb_, kmb_perf_, kmb_json_, kmb_options_,
#            kmb_results_, kmb_matrix_, kmb_plan_, kmb_run_, kmb_progress_, kmb_latency_,
#            kmb_probe_), a workload's (kmb_workload*) or a backend adapter's (kmb_backend*);
#   needed   no libbenchmark and no libstdc++ among PROGRAM's DT_NEEDED (the wrapper around
#            Google Benchmark is the project's only C++); the list is printed.  PROGRAM is
#            linked with --no-as-needed, so the list is every shared library of its link line;
#   hwloc    PROGRAM references no hwloc_ symbol: the library needs libnuma from numa/, not the
#            hwloc topology (allocators/README.md says so; update it if this changes);
#   exported every library symbol PROGRAM's object uses is exported from the library
#            (default visibility in the ARCHIVEs, one per layer, built with hidden visibility):
#            the public headers are the API.  Skipped when OBJECT and ARCHIVE are not given.
#
# Usage: check.sh PROGRAM [OBJECT ARCHIVE...]
#        check.sh --planted PROGRAM [OBJECT ARCHIVE...]
# --planted: PROGRAM is kmb_alone_planted (alone.c and planted.c, linked against kmb_harness
# too); the checks above must fail on it, finding the harness, a workload, a backend and
# Google Benchmark in its symbols and libbenchmark among its libraries.  Exit 0 when they do.
set -u
set -o pipefail

if [ "${1:-}" = --planted ]; then
	shift
	. "$(dirname "$0")/../cli/lib.sh"
	fails_as 'FAIL: symbols: the harness' 'FAIL: symbols: a workload' \
		'FAIL: symbols: a backend adapter' 'FAIL: symbols: Google Benchmark' \
		'FAIL: needed: libbenchmark' 'PASS: run:' -- bash "$0" "$@"
	r=$?
	printf '%s\n' "$fail_out" | sed 's/^/  | /'
	if [ "$r" -ne 0 ]; then
		echo "FAIL: check.sh on the planted program: wanted $fail_missing"
		exit 1
	fi
	echo "PASS: check.sh finds the harness, a workload, a backend, Google Benchmark and" \
	     "libbenchmark in the planted program, and fails"
	exit 0
fi

prog=${1:?usage: check.sh PROGRAM [OBJECT ARCHIVE...]}
object=${2:-} archives=("${@:3}")
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

for tool in nm readelf; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found (Debian package binutils)"
		exit 1
	fi
done
if [ ! -x "$prog" ]; then
	echo "FAIL: $prog: no such executable (did it build?)"
	exit 1
fi

# run: the program itself.
start=${EPOCHREALTIME/./}
out=$("$prog" 2>&1); rc=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
printf '%s\n' "$out" | sed 's/^/  | /'
last=$(printf '%s\n' "$out" | tail -n 1)
if [ "$rc" -eq 0 ] && [[ "$last" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
	pass "run: $(basename "$prog") exits 0 in $ms ms: $last"
else
	fail "run: $(basename "$prog") exits $rc, last line \"$last\""
fi

# symbols: every symbol in the executable's symbol table, defined or not, as the linker names
# it and demangled.
if ! names=$(nm "$prog" | awk '{print $NF}') ||
   ! demangled=$(nm -C "$prog" | sed -E 's/^[0-9a-f ]{16} [A-Za-z?-] //'); then
	fail "symbols: nm $prog failed"
else
	found_in() {  # found_in WHAT REGEX NAMES: one check, the first few matches named
		local what=$1 re=$2 hits
		hits=$(printf '%s\n' "$3" | grep -E -- "$re" | sort -u)
		if [ -z "$hits" ]; then
			pass "symbols: nothing of $what"
		else
			fail "symbols: $what is in the program ($(printf '%s\n' "$hits" | wc -l)" \
			     "symbols like /$re/): $(printf '%s\n' "$hits" | head -n 3 | tr '\n' ' ')"
		fi
	}
	found_in "Google Benchmark" '^_ZN9benchmark|^benchmark::' "$names"$'\n'"$demangled"
	found_in "the harness" \
		 '^kmb_(gb|perf|json|options|results|matrix|plan|run|progress|latency|probe)_' "$names"
	found_in "a workload" '^kmb_workload' "$names"
	found_in "a backend adapter" '^kmb_backend' "$names"
fi

# needed: the shared libraries the program asks the dynamic linker for.
if ! needed=$(readelf -dW "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); then
	fail "needed: readelf -d $prog failed"
else
	echo "  NEEDED: $(printf '%s\n' "$needed" | tr '\n' ' ')"
	for lib in libbenchmark libstdc++; do
		if printf '%s\n' "$needed" | grep -q "^$lib"; then
			fail "needed: $lib is among the libraries the program needs"
		else
			pass "needed: no $lib"
		fi
	done
fi

# hwloc: the library takes nothing from the hwloc topology code.
hw=$(nm -u "$prog" | awk '{print $NF}' | grep '^hwloc_' | sort -u)
if [ -z "$hw" ]; then
	pass "hwloc: no hwloc_ symbol referenced"
else
	fail "hwloc: the program references hwloc: $(printf '%s\n' "$hw" | head -n 5 | tr '\n' ' ')"
fi

# exported: what the program calls has default visibility in the (hidden-by-default) library.
if [ -n "$object" ] && [ ${#archives[@]} -gt 0 ]; then
	calls=$(nm -u "$object" | awk '{print $NF}' | sort -u)
	# Name and visibility of every global symbol the archives define.
	defined=$(readelf -sW "${archives[@]}" |
		  awk '$5 == "GLOBAL" && $7 != "UND" && NF >= 8 {print $8, $6}' | sort -u)
	hidden=() exported=0
	while read -r name; do
		vis=$(printf '%s\n' "$defined" | awk -v n="$name" '$1 == n {print $2; exit}')
		case "$vis" in
		"") ;;				# not the library's: libc, libnuma
		DEFAULT) exported=$((exported + 1)) ;;
		*) hidden+=("$name") ;;
		esac
	done <<<"$calls"
	if [ ${#hidden[@]} -eq 0 ] && [ "$exported" -gt 0 ]; then
		pass "exported: the $exported library symbols the program uses are exported"
	else
		fail "exported: $exported exported; not exported (hidden in the library):" \
		     "${hidden[*]:-none found at all}"
	fi
else
	echo "SKIP: exported: no OBJECT and ARCHIVE given"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
