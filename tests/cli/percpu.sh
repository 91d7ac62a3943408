#!/bin/bash
# The per-CPU options end to end: --percpu=none on the smoke preset (every workload, so also
# remote-free and the counters under no-allocator) passes check_results.py and records the
# modes; the saved cmdline and --resume keep them; --pcp on/off/MODE and --slab-percpu map as
# documented; and a run that asks for cpu-rseq where rseq is off (glibc.pthread.rseq=0) says so
# in one line on stderr and in the results.  Every kmbench run must exit 0.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3


# kmb NAME ARGS...: kmbench ARGS with stdout in $tmp/NAME.log, stderr in $tmp/NAME.err; it must
# exit 0 (a run that wrote results but exited non-zero had a backend fail).
kmb() {
	local name=$1 rc; shift
	"$kmbench" "$@" > "$tmp/$name.log" 2> "$tmp/$name.err"; rc=$?
	ok "kmbench $* exited $rc: $(tail -n 3 "$tmp/$name.log" "$tmp/$name.err")" test "$rc" -eq 0
}

# opts DIR PYTHON-EXPRESSION: true when the expression holds for o = context.options (and
# runs = the benchmarks) of DIR/results.json; prints both otherwise.
opts() {
	"$py" - "$1/results.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
o, runs = d["context"]["options"], d["benchmarks"]
if not eval("(" + sys.argv[2] + ")"):
    print("options:", json.dumps(o.get("percpu")), "mm:", json.dumps(o.get("mm")))
    sys.exit(1)
EOF
}

quick=(run --backends glibc --workloads counter-atomic --threads 1 --min-time 0.001
       --repetitions 1 --quiet)

# 1. --percpu=none over every workload of the smoke preset.
kmb a run --preset smoke --percpu=none --backends glibc,slab,buddy --quiet --out "$tmp/a"
ok "smoke --percpu=none wrote results.json" test -f "$tmp/a/results.json"
ok "check_results on --percpu=none" "$py" "$src/tests/cli/check_results.py" \
	"$tmp/a/results.json" --threads "1,$(nproc)"
ok "--percpu=none recorded" opts "$tmp/a" '
o["percpu"]["pcp"] == {"requested": "none", "effective": "none"} and
o["percpu"]["slab"] == {"requested": "none", "effective": "none"} and
o["mm"]["pcp"] == "off" and o["percpu"]["rseq"]["asked_by"] == []'
ok "counters ran under no-allocator" opts "$tmp/a" '
{r["kmbench"]["workload"] for r in runs if r["kmbench"]["backend"] == "no-allocator"}
== {"counter-percpu", "counter-atomic", "counter-packed"}'
ok "remote-free ran in pairs" opts "$tmp/a" '
any(r["kmbench"]["workload"] == "remote-free" and r["threads"] == 2 and
    not r.get("error_occurred") for r in runs) or '"$(nproc)"' < 2'
ok "cmdline saves the modes" grep -qx -e "--pcp=none" "$tmp/a/cmdline"
ok "cmdline saves the slab mode" grep -qx -e "--slab-percpu=none" "$tmp/a/cmdline"

# 2. --resume runs the missing backend with the saved modes.
rm "$tmp/a/parts/slab.jsonl"
kmb resume run --resume "$tmp/a" --quiet
ok "resume wrote slab's part" test -f "$tmp/a/parts/slab.jsonl"
ok "resume keeps the modes" opts "$tmp/a" '
o["percpu"]["slab"]["requested"] == "none" and o["percpu"]["pcp"]["requested"] == "none"'

# 3. --pcp on/off/MODE and --slab-percpu, as saved and recorded.
pcp_case() {  # pcp_case "ARGS" SAVED_PCP SAVED_SLAB MM_PCP PCP_REQ SLAB_REQ
	local dir=$tmp/p$((++n))
	# shellcheck disable=SC2086
	kmb "p$n" "${quick[@]}" $1 --out "$dir"
	ok "$1: saved --pcp" test "$(grep -e '^--pcp=' "$dir/cmdline")" = "$2"
	ok "$1: saved --slab-percpu" test "$(grep -e '^--slab-percpu=' "$dir/cmdline")" = "$3"
	ok "$1: recorded" opts "$dir" "o['mm']['pcp'] == '$4' and
		o['percpu']['pcp']['requested'] == '$5' and o['percpu']['slab']['requested'] == '$6'"
}
n=0
pcp_case "" "" "" default default default
pcp_case "--pcp=on" "--pcp=on" "" on default default
pcp_case "--pcp=off" "--pcp=none" "" off none default
pcp_case "--pcp=thread" "--pcp=thread" "" on thread default
pcp_case "--slab-percpu=cpu-lock" "" "--slab-percpu=cpu-lock" default default cpu-lock
pcp_case "--percpu=thread --pcp=off" "--pcp=none" "--slab-percpu=thread" off none thread
pcp_case "--pcp=off --percpu=cpu-lock" "--pcp=cpu-lock" "--slab-percpu=cpu-lock" on cpu-lock \
	cpu-lock
# The same options as KEY=VALUE (-O, --backend-opt): saved and recorded alike, and listed in
# options.backend_options as their backend shows them.
pcp_case "-O pcp=off --backend-opt=slab-percpu=thread" "--pcp=none" "--slab-percpu=thread" off \
	none thread
ok "-O: backend_options" opts "$tmp/p$n" \
	"o['backend_options'] == {'pcp': 'none', 'slab-percpu': 'thread'}"

# 4. cpu-rseq asked where rseq is off: one note on stderr, and the results say why; the page
# lists, left at the default, run thread there (the fallback without rseq), with no note.
# The environment's warnings (harness/env.c: a loaded machine, say) come from the machine, not
# from the options: left out of these counts.
others() { grep -v '^kmbench: warning: ' "$1" | grep .; }  # others FILE: its other lines
GLIBC_TUNABLES=glibc.pthread.rseq=0 kmb r "${quick[@]}" --workloads counter-percpu \
	--slab-percpu=cpu-rseq --out "$tmp/r"
notes=$(grep -c "cpu-rseq asked for (--slab-percpu=cpu-rseq) but unavailable here" "$tmp/r.err")
ok "one rseq note on stderr, got $notes: $(cat "$tmp/r.err")" test "$notes" -eq 1
ok "the stderr note is the only line" test "$(others "$tmp/r.err" | wc -l)" -eq 1
ok "rseq unavailable recorded" opts "$tmp/r" '
o["percpu"]["rseq"]["usable"] is False and "rseq" in o["percpu"]["rseq"]["reason"] and
o["percpu"]["rseq"]["asked_by"] == ["--slab-percpu=cpu-rseq"] and
o["percpu"]["slab"]["effective"] == "cpu-lock" and "cpu-rseq unavailable" in
o["percpu"]["slab"]["reason"] and o["percpu"]["pcp"]["effective"] == "thread" and
"reason" not in o["percpu"]["pcp"]'
ok "counter-percpu without rseq" opts "$tmp/r" '
[r["percpu_rseq"] for r in runs if r["run_type"] == "iteration"] == [0]'
# Without the tunable: no note, unless rseq is off on this machine anyway.
kmb s "${quick[@]}" --slab-percpu=cpu-rseq --out "$tmp/s"
if opts "$tmp/s" 'o["percpu"]["rseq"]["usable"]' > /dev/null; then
	ok "no note where rseq is usable: $(cat "$tmp/s.err")" test -z "$(others "$tmp/s.err")"
	ok "cpu-rseq effective" opts "$tmp/s" 'o["percpu"]["slab"] ==
		{"requested": "cpu-rseq", "effective": "cpu-rseq"}'
else
	ok "rseq off here too: the note" grep -q "cpu-rseq asked for" "$tmp/s.err"
fi

kmb_test_end
