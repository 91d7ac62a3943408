#!/bin/bash
# kmbench record end to end (harness/record.c): bad options refused with one line and exit 2;
# then, where it can record (root, perf, the kmem tracepoints; else exit 77 with the reason), a
# recording while a small load runs and one of a fixed time, each parsed back (kmbench plan
# loads it through the trace workload's resolve hook) and the first replayed on slab.
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# refused WANT -- ARGS...: kmbench record ARGS exits 2 with one line holding WANT.
refused() {
	local want=$1 out rc; shift 2
	out=$("$kmbench" record "$@" 2>&1); rc=$?
	ok "record $*: exit 2 (got $rc)" test "$rc" -eq 2
	ok "record $*: one line saying '$want' (got: $out)" \
		test "$(wc -l <<<"$out")" -eq 1 -a -n "$(grep -F -- "$want" <<<"$out")"
}
refused "--seconds '0'" -- --seconds 0
refused "--max-events 'x'" -- --max-events x
refused "unknown option '--bogus'" -- --bogus
refused "'--' without a command" -- --
refused "--seconds and a command" -- --seconds 1 -- true

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: kmbench record needs root (perf record -a on the kmem tracepoints)"
	kmb_test_end || exit 1
	exit 77
fi
if ! command -v perf >/dev/null; then
	echo "skipped: no perf here (Debian: apt-get install linux-perf)"
	kmb_test_end || exit 1
	exit 77
fi
if ! perf list 'kmem:*' 2>/dev/null | grep -q 'kmem:kmem_cache_alloc'; then
	echo "skipped: perf lists no kmem tracepoints here (tracefs, or a kernel without them)"
	kmb_test_end || exit 1
	exit 77
fi

"$kmbench" record --out "$tmp/cmd.trace" --max-events 3000 \
	-- sh -c 'cat /etc/* >/dev/null 2>&1' >"$tmp/cmd.log" 2>&1
ok "record -- sh -c 'cat /etc/*' exited 0: $(tail -n 2 "$tmp/cmd.log")" test $? -eq 0
ok "it says what it recorded: $(head -n 1 "$tmp/cmd.log")" \
	grep -qE "cmd.trace: [0-9]+ events on [0-9]+ CPUs" "$tmp/cmd.log"
ok "the trace has its header and events" \
	grep -qx "kmbench-trace 1" "$tmp/cmd.trace"
ok "at most --max-events events" \
	test "$(grep -cE '^[0-9]+ [0-9]+ ' "$tmp/cmd.trace")" -le 3000 -a \
	"$(grep -cE '^[0-9]+ [0-9]+ ' "$tmp/cmd.trace")" -gt 0
"$kmbench" plan --backends slab --workloads trace --trace "$tmp/cmd.trace" >"$tmp/plan" 2>&1
ok "the recording parses: $(tail -n 1 "$tmp/plan")" test $? -eq 0
"$kmbench" run --backends slab --workloads trace --trace "$tmp/cmd.trace" --threads 1 \
	--min-time 0.001 --quiet --out "$tmp/run" >"$tmp/run.log" 2>&1
ok "the recording replays on slab: $(tail -n 2 "$tmp/run.log")" test $? -eq 0

"$kmbench" record --seconds 1 --max-events 2000 --out "$tmp/secs.trace" >"$tmp/secs.log" 2>&1
ok "record --seconds 1 exited 0: $(tail -n 2 "$tmp/secs.log")" test $? -eq 0
ok "it records for the time: $(grep '^source' "$tmp/secs.trace")" \
	grep -qx "source perf record -a for 1 s" "$tmp/secs.trace"
"$kmbench" plan --backends slab --workloads trace --trace "$tmp/secs.trace" >"$tmp/plan2" 2>&1
ok "the timed recording parses: $(tail -n 1 "$tmp/plan2")" test $? -eq 0
kmb_test_end
