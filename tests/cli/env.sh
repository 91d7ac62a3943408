#!/bin/bash
# The environment checks (harness/env.c) end to end:
#   - `kmbench env` against this machine's own /sys and /proc: each value what cat(1) shows
#     (the governor, turbo, load, THP, SMT, ASLR, NUMA balancing, isolation, swap, watchdog);
#   - a real run: exit 0, context.environment with every check in order and a valid status
#     (check_results.py), and each warning of the file once on stderr, one line each;
#   - a run over a fake tree (KMB_SYSFS_ROOT) whose governor is powersave, whose load is high
#     and whose two nodes balance: exactly those three warnings, once each, with --quiet too;
#     the run still exits 0 and its results are complete (check_results.py); the file says
#     which tree it read (environment_root);
#   - an empty fake tree: every check that reads a file unavailable with its reason, no
#     warning;
#   - check_results.py fails on a file whose environment lacks a check, has one out of order,
#     or has an unknown status.
# Usage: env.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
check() { ok "$1" eval "$2"; }  # check WHAT 'shell condition'

run_opts=(--backends glibc --workloads churn --sizes 64 --batch 1 --threads 1 --min-time 0.01
	  --repetitions 1 --quiet)

# --- this machine: `kmbench env` against cat ---
before=$(cut -d' ' -f1 /proc/loadavg)
"$kmbench" env > "$tmp/env.txt" 2> "$tmp/env.err"
rc=$?
after=$(cut -d' ' -f1 /proc/loadavg)
cat "$tmp/env.txt"
check "kmbench env exits 0" '[ $rc -eq 0 ] && [ ! -s "$tmp/env.err" ]'
# value NAME: the value column of `kmbench env` ("" when unavailable)
value() {
	sed -n "s/^  $1 \+[a-z]\+ \+\(.*\) -- .*/\1/p" "$tmp/env.txt"
}
status() {
	sed -n "s/^  $1 \+\([a-z]\+\) .*/\1/p" "$tmp/env.txt"
}
bracket() { sed -n 's/.*\[\(.*\)\].*/\1/p' "$1"; }
sys=/sys/devices/system/cpu
check "the load is /proc/loadavg's 1-minute field ($before or $after)" \
	'[ "$(value load)" = "$before" ] || [ "$(value load)" = "$after" ]'
if [ -r $sys/cpu0/cpufreq/scaling_governor ]; then
	check "governor as cat shows it" \
		'[[ "$(value governor)" == *"$(cat $sys/cpu0/cpufreq/scaling_governor)"* ]]'
else
	check "governor unavailable without cpufreq" \
		'[ "$(status governor)" = unavailable ] && grep -q "no cpufreq in sysfs (a VM?)" "$tmp/env.txt"'
fi
if [ -r $sys/intel_pstate/no_turbo ]; then
	want=$([ "$(cat $sys/intel_pstate/no_turbo)" = 1 ] && echo off || echo on)
elif [ -r $sys/cpufreq/boost ]; then
	want=$([ "$(cat $sys/cpufreq/boost)" = 1 ] && echo on || echo off)
else
	want=""
fi
check "turbo '$want' as cat shows it" '[ "$(value turbo)" = "$want" ]'
if [ -r /sys/kernel/mm/transparent_hugepage/enabled ]; then
	want="enabled=$(bracket /sys/kernel/mm/transparent_hugepage/enabled)"
	want+=" defrag=$(bracket /sys/kernel/mm/transparent_hugepage/defrag)"
	[ -r /sys/kernel/mm/transparent_hugepage/shmem_enabled ] &&
		want+=" shmem_enabled=$(bracket /sys/kernel/mm/transparent_hugepage/shmem_enabled)"
	check "thp '$want' as cat shows it" '[ "$(value thp)" = "$want" ]'
fi
if [ -r $sys/smt/control ]; then
	want="$(cat $sys/smt/control), $([ "$(cat $sys/smt/active)" = 1 ] && echo active || echo inactive)"
	check "smt '$want' as cat shows it" '[ "$(value smt)" = "$want" ]'
fi
check "aslr as cat shows it" \
	'[ "$(value aslr | cut -d" " -f1)" = "$(cat /proc/sys/kernel/randomize_va_space)" ]'
for f in numa_balancing nmi_watchdog; do
	if [ -r /proc/sys/kernel/$f ]; then
		check "$f as cat shows it" '[ "$(value $f)" = "$(cat /proc/sys/kernel/$f)" ]'
	else
		check "$f unavailable without its file" '[ "$(status $f)" = unavailable ]'
	fi
done
if [ -r $sys/isolated ]; then
	want=$(cat $sys/isolated)
	check "isolation '${want:-none}' as cat shows it" \
		'[[ "$(value isolation)" == "isolated=${want:-none}"* ]]'
fi
if [ "$(wc -l < /proc/swaps)" -le 1 ]; then
	check "swap off as /proc/swaps shows it" '[ "$(value swap)" = off ]'
else
	check "swap on as /proc/swaps shows it" '[[ "$(value swap)" == *" on "*device* ]]'
fi
check "perf_event_paranoid as cat shows it" \
	'[ "$(value perf_event_paranoid)" = "$(cat /proc/sys/kernel/perf_event_paranoid)" ]'
check "kmbench list shows the same checks" \
	'"$kmbench" list | grep -A13 "^environment" | grep -c "^  [a-z_]\+ \+\(ok\|warning\|info\|unavailable\) " | grep -qx 13'

# warned FILE RESULTS: every warning of RESULTS' environment once in FILE, one line each, and no
# other warning line.
warned() {
	"$py" - "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.startswith("kmbench: warning: ")]
env = json.load(open(sys.argv[2]))["context"]["environment"]
want = [f"kmbench: warning: {c['name']}: {c['message']}" for c in env if c["status"] == "warning"]
assert lines == want, f"warning lines {lines}, want {want}"
print(f"{len(want)} warning(s), once each:", [c["name"] for c in env if c["status"] == "warning"])
PY
}

# --- a real run ---
"$kmbench" run "${run_opts[@]}" --out "$tmp/real" > "$tmp/real.out" 2> "$tmp/real.err"
rc=$?
cat "$tmp/real.err"
check "a real run exits 0" '[ $rc -eq 0 ]'
ok "check_results.py on the real run" "$py" "$src/tests/cli/check_results.py" \
	"$tmp/real/results.json" --threads 1
ok "each warning of the real run once on stderr" warned "$tmp/real.err" "$tmp/real/results.json"
check "a real run records no environment_root" \
	'! grep -q "\"environment_root\"" "$tmp/real/results.json"'

# --- a fake tree: governor powersave, a loaded machine, two nodes balancing ---
fake=$tmp/fake
cpus=$("$py" -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
for c in $cpus; do
	mkdir -p "$fake$sys/cpu$c/cpufreq"
	echo powersave > "$fake$sys/cpu$c/cpufreq/scaling_governor"
done
ncpus=$(echo $cpus | wc -w)
mkdir -p "$fake$sys/intel_pstate" "$fake$sys/smt" "$fake/sys/kernel/mm/transparent_hugepage" \
	"$fake/sys/devices/system/node" "$fake/proc/sys/kernel" "$fake/proc/sys/vm"
echo 0 > "$fake$sys/intel_pstate/no_turbo"
echo "0-$(( $(nproc --all) - 1 ))" > "$fake$sys/online"
echo 0-1 > "$fake/sys/devices/system/node/online"
echo on > "$fake$sys/smt/control"
echo 1 > "$fake$sys/smt/active"
echo > "$fake$sys/isolated"
echo "always [madvise] never" > "$fake/sys/kernel/mm/transparent_hugepage/enabled"
echo "[always] defer defer+madvise madvise never" > "$fake/sys/kernel/mm/transparent_hugepage/defrag"
echo "99.00 50.00 20.00 7/300 4242" > "$fake/proc/loadavg"
echo 2 > "$fake/proc/sys/kernel/randomize_va_space"
echo 1 > "$fake/proc/sys/kernel/numa_balancing"
echo 0 > "$fake/proc/sys/kernel/nmi_watchdog"
printf 'Filename\tType\tSize\tUsed\tPriority\n' > "$fake/proc/swaps"

KMB_SYSFS_ROOT=$fake "$kmbench" run "${run_opts[@]}" --out "$tmp/fake-run" > "$tmp/fake.out" \
	2> "$tmp/fake.err"
rc=$?
cat "$tmp/fake.err"
check "a run over the fake tree exits 0 despite its warnings" '[ $rc -eq 0 ]'
check "the run's last line is its results" \
	'tail -n 1 "$tmp/fake.out" | grep -q "^results: $tmp/fake-run/results.json (1 runs)"'
ok "check_results.py on the fake-tree run" "$py" "$src/tests/cli/check_results.py" \
	"$tmp/fake-run/results.json" --threads 1
ok "each warning of the fake-tree run once on stderr" warned "$tmp/fake.err" \
	"$tmp/fake-run/results.json"
check "the governor warning, once, with the fix" \
	'[ "$(grep -c "^kmbench: warning: governor: powersave on $ncpus of $ncpus CPUs; benchmarks want performance (cpupower frequency-set -g performance)$" "$tmp/fake.err")" -eq 1 ]'
check "the load and NUMA balancing warnings, once each; three in all" \
	'[ "$(grep -c "^kmbench: warning: load: 1-minute load 99.00 on" "$tmp/fake.err")" -eq 1 ] &&
	 [ "$(grep -c "^kmbench: warning: numa_balancing: NUMA balancing on with 2 nodes" "$tmp/fake.err")" -eq 1 ] &&
	 [ "$(grep -c "^kmbench: warning: " "$tmp/fake.err")" -eq 3 ]'
check "the run says it read the fake tree" \
	'grep -q "^kmbench: note: KMB_SYSFS_ROOT=$fake: " "$tmp/fake.err"'
"$py" - "$tmp/fake-run/results.json" "$fake" <<'PY' && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the fake tree's values in context.environment"; }
import json, sys
ctx = json.load(open(sys.argv[1]))["context"]
env = {c["name"]: (c["status"], c["value"]) for c in ctx["environment"]}
want = {"governor": ("warning", "powersave"), "turbo": ("info", "on"), "load": ("warning", "99.00"),
        "thp": ("info", "enabled=madvise defrag=always"), "smt": ("info", "on, active"),
        "aslr": ("info", "2 (full)"), "numa_balancing": ("warning", "1"),
        "isolation": ("info", "isolated=none"), "swap": ("ok", "off"), "nmi_watchdog": ("ok", "0")}
for name, w in want.items():
    assert env[name] == w, f"{name}: {env[name]}, want {w}"
assert ctx.get("environment_root") == sys.argv[2], ctx.get("environment_root")
PY

# --- an empty tree: every file unavailable, with a reason; no warning ---
mkdir "$tmp/empty"
KMB_SYSFS_ROOT=$tmp/empty "$kmbench" env > "$tmp/empty.txt" 2>&1
rc=$?
cat "$tmp/empty.txt"
check "kmbench env over an empty tree exits 0" '[ $rc -eq 0 ]'
check "every check that reads a file is unavailable, with a reason" \
	'[ "$(grep -Ec "^  (governor|turbo|load|thp|smt|aslr|numa_balancing|isolation|swap|nmi_watchdog) +unavailable [a-z/(]" "$tmp/empty.txt")" -eq 10 ]'
check "no warning from an empty tree" '! grep -q " warning " "$tmp/empty.txt"'

# --- check_results.py fails on a bad environment ---
plant() {  # plant NAME 'python statement on env': a copy of the real run's file, changed
	"$py" - "$tmp/real/results.json" "$tmp/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
env = d["context"]["environment"]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}
plant missing 'del env[3]'
plant order 'env[0], env[1] = env[1], env[0]'
plant status 'env[2]["status"] = "fine"'
must_fail "check_results.py, a check missing" "context.environment names" -- \
	"$py" "$src/tests/cli/check_results.py" "$tmp/missing.json" --threads 1
must_fail "check_results.py, two checks swapped" "context.environment names" -- \
	"$py" "$src/tests/cli/check_results.py" "$tmp/order.json" --threads 1
must_fail "check_results.py, an unknown status" "context.environment.load: status 'fine'" -- \
	"$py" "$src/tests/cli/check_results.py" "$tmp/status.json" --threads 1
kmb_test_end
