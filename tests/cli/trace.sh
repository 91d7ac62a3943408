#!/bin/bash
# The trace workload end to end (workloads/trace.c, trace_file.c): bad traces made from the
# fixture, one per kind of fault, each refused with one line naming the file and the line, exit
# status 2, and nothing run (no run directory); the fixture accepted; then the trace preset with
# a tiny time budget, whose every backend must replay the fixture without an error and with the
# same count of operations (check_trace.py), and check_trace.py once more on results with one
# backend's count changed, which must fail; and a trace whose allocation fails, whose error
# names the GFP flags as the kernel does.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
fixture="$src/tests/fixtures/kernel.trace"

# bad NAME WANT: the trace $tmp/NAME.trace is refused: exit 2, one line on stderr holding
# "NAME.trace:" and WANT, nothing on stdout, no run directory.
bad() {
	local name=$1 want=$2 rc lines
	"$kmbench" run --backends slab --workloads trace --trace "$tmp/$name.trace" \
		--min-time 0.001 --quiet --out "$tmp/run-$name" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	lines=$(wc -l <"$tmp/$name.err")
	ok "$name: exit 2 (got $rc)" test "$rc" -eq 2
	ok "$name: one line on stderr (got $lines: $(head -c 300 "$tmp/$name.err"))" \
		test "$lines" -eq 1
	ok "$name: names the file and a line and says '$want': $(cat "$tmp/$name.err")" \
		grep -qE "$name\\.trace:[0-9]+: .*$want" "$tmp/$name.err"
	ok "$name: nothing ran (stdout: $(head -c 200 "$tmp/$name.out"))" \
		test ! -s "$tmp/$name.out" -a ! -e "$tmp/run-$name"
}

# edit NAME PYTHON: $tmp/NAME.trace is the fixture's lines L (a list, newlines kept) after
# PYTHON; each edit must change something, or the test says so.
edit() {
	"$py" - "$fixture" "$tmp/$1.trace" "$2" <<'PY'
import sys
L = open(sys.argv[1]).readlines()
before = list(L)
def first(op):
    return next(i for i, l in enumerate(L) if l.split()[2:3] == [op])
exec(sys.argv[3])
assert L != before, "the edit changed nothing"
open(sys.argv[2], "w").write("".join(L))
PY
}

edit cut 'L[-1] = L[-1][:2]; L[len(L) // 2] = L[len(L) // 2][:7]; del L[len(L) // 2 + 1:]'
bad cut "truncated: the last line has no newline"
edit noend 'del L[len(L) // 2:]'
bad noend "truncated: no 'end' line"
edit short 'del L[-3:-1]'
events=$(awk '$1 == "events" {print $2}' "$fixture")
bad short "truncated: the header says $events events, the file has $((events - 2))"
edit unknown 'i = first("kmalloc"); L[i] = L[i].replace(" kmalloc ", " kmalloc_node ")'
bad unknown "unknown operation 'kmalloc_node'"
edit never 'i = first("cache_free_pre"); L[i] = L[i].replace("cache_free_pre", "cache_free")'
bad never "free of object [0-9]+, never allocated"
edit number 'i = first("kmalloc"); f = L[i].split(); f[4] = "12x"; L[i] = " ".join(f) + "\n"'
bad number "bytes_req '12x' is not a number"
edit twice 'i = first("kfree"); L.insert(i + 1, L[i])'
bad twice "is freed twice"
edit version 'L[0] = "kmbench-trace 2\n"'
bad version "trace version '2'"
edit cpu 'i = first("kmalloc"); f = L[i].split(); f[1] = "7"; L[i] = " ".join(f) + "\n"'
bad cpu "cpu 7 is not defined"

"$kmbench" plan --backends slab --workloads trace --trace "$fixture" >"$tmp/plan" 2>&1
ok "the fixture is accepted: $(tail -n 2 "$tmp/plan")" test $? -eq 0

# An allocation that fails: the row's error names its GFP as the kernel's warn_alloc() does,
# "%#x(%pGg)" (kmb_gfp_format): the trace's own flags, by name, after the hex.
cat >"$tmp/big.trace" <<'TRACE'
kmbench-trace 1
kernel test
source hand-made: one kmalloc above KMALLOC_MAX_SIZE
cpus 1
events 2
objects 1
gfp 0 GFP_KERNEL_ACCOUNT|__GFP_ZERO
0 0 kmalloc 0 67108864 67108864 0
1 0 kfree 0
end
TRACE
"$kmbench" run --backends kmalloc --workloads trace --trace "$tmp/big.trace" --threads 1 \
	--min-time 0.001 --repetitions 1 --quiet --out "$tmp/big" >"$tmp/big.log" 2>&1
msg=$("$py" -c 'import json, sys
print(sorted({r.get("error_message", "") for r in json.load(open(sys.argv[1]))["benchmarks"]}))' \
	"$tmp/big/results.json" 2>&1)
ok "a failed allocation names its GFP flags: $msg" grep -qF \
	"kmalloc alloc of 67108864 bytes returned NULL (gfp 0x400dc0(GFP_KERNEL_ACCOUNT|__GFP_ZERO))" \
	<<<"$msg"

# The preset, every backend, tiny budget: the replay's counts.
"$kmbench" run --preset trace --min-time 0.001 --repetitions 1 --quiet --out "$tmp/run" \
	>"$tmp/run.log" 2>&1
ok "kmbench run --preset trace exited 0: $(tail -n 3 "$tmp/run.log")" test $? -eq 0
ok "every backend replays the fixture, the same operations" \
	"$py" "$src/tests/cli/check_trace.py" "$tmp/run/results.json"
if "$py" "$src/tests/cli/check_trace.py" "$tmp/run/results.json" --plant >"$tmp/planted"; then
	failed=$((failed + 1))
	echo "FAIL: check_trace.py passed with one backend's ops_replayed changed"
else
	passed=$((passed + 1))
	echo "with one count changed the check fails, as it must: $(tail -n 1 "$tmp/planted")"
fi
kmb_test_end
