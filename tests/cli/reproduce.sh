#!/bin/bash
# kmbench reproduce RUN: a real second run of RUN's saved options (the same options, seed
# included, into a new directory), checked against RUN with exit status 0; a copy of RUN whose
# recorded commit, host, CPU model and topology were altered gives one warning line each and
# still checks; a directory that is not a run is one line and exit 2.
#
# The experiment's check tolerance here is 1000%: this test is about what reproduce does, on a
# shared 2-core machine where two real runs a second apart can differ by tens of percent (and,
# loaded, by 30x: seen): so reproduce's exit status is checked to be the check's of the same
# two runs, 0 or 1, not to be 0.  The statistics of the check are tested on planted changes
# (check.sh, test_check.py).
#   reproduce.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
. "$src/tests/cli/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
$py -c 'import scipy.stats, numpy' 2>/dev/null || { echo "no scipy for $py: skipped"; exit 77; }

cat > "$tmp/exp.yaml" <<'YAML'
experiments:
  - name: again
    backends: [glibc, slab]
    workloads: churn
    sizes: 64
    threads: 1
    min_time: 0.002
    repetitions: 5
    check:
      tolerance: {real_time: 1000%}
YAML
kmb_run first run --matrix "$tmp/exp.yaml" --out "$tmp/run" --quiet --no-profile
rm "$tmp/exp.yaml"      # reproduce needs only the run directory: its copy of the file

# repro NAME ARGS...: `kmbench reproduce ARGS`, output in $tmp/NAME.log; passed when it exits
# 0 or 1, the check's two verdicts: on a loaded machine a real rerun may be slower beyond any
# tolerance, so that its status is the check's is what is tested (same_as_check), not a pass.
repro() {
	local name=$1; shift
	"$kmbench" reproduce "$@" > "$tmp/$name.log" 2>&1; repro_rc=$?
	ok "kmbench reproduce $* exited $repro_rc (0 or 1): $(tail -n 3 "$tmp/$name.log")" \
		test "$repro_rc" -le 1
}
# same_as_check NAME NEW BASE [CHECK OPTIONS]: reproduce's status and verdict are those of the
# check of NEW against BASE, run again here.
same_as_check() {
	local name=$1 new=$2 base=$3 rc; shift 3
	"$kmbench" check "$new" --baseline "$base" "$@" > "$tmp/$name.check" 2>&1; rc=$?
	ok "reproduce ($name) exited as the check of its run does: $repro_rc and $rc" \
		test "$repro_rc" -eq "$rc"
	ok "reproduce ($name) printed the check's verdict" \
		grep -qxF "$(grep "cell compared" "$tmp/$name.check")" "$tmp/$name.log"
}
repro again "$tmp/run" --out "$tmp/again" --quiet
same_as_check again "$tmp/again" "$tmp/run"
ok "the new run has results" test -s "$tmp/again/results.json"
ok "the same saved options but --out and --run-id" \
	diff <(grep -v -e '^--out=' -e '^--run-id=' "$tmp/run/cmdline") \
	     <(grep -v -e '^--out=' -e '^--run-id=' "$tmp/again/cmdline")
ok "the check ran" grep -q "1 cell compared" "$tmp/again.log"
ok "no warning about the commit or the machine on the same build and machine" \
	test -z "$(grep -e 'warning: git commit' -e 'warning: host' -e 'warning: CPU model' \
		-e 'warning: topology' "$tmp/again.log")"
repro file "$tmp/run/results.json" --out "$tmp/again2" --reference slab --quiet
same_as_check file "$tmp/again2" "$tmp/run" --reference slab
ok "RUN given as its results.json; --reference reaches the check" \
	grep -q "again2 against $tmp/run: 1 cell compared as ratios to slab" "$tmp/file.log"
"$kmbench" reproduce "$tmp/run/" --quiet > "$tmp/default.log" 2>&1
ok "the default directory is beside RUN: $(tail -n 2 "$tmp/default.log")" \
	test "$(ls -d "$tmp"/run-reproduced-*/results.json | wc -l)" -eq 1

# The recorded context altered in a copy: a run made elsewhere, by another commit.
cp -r "$tmp/run" "$tmp/moved"
$py - "$tmp/moved/results.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
c = doc["context"]
c["git_commit"], c["host_name"], c["cpu_model"] = "0123456789ab", "elsewhere", "Other CPU"
c["topology"]["pus"] += 62
json.dump(doc, open(sys.argv[1], "w"))
EOF
repro moved "$tmp/moved" --out "$tmp/moved2" --quiet
for w in "warning: git commit: RUN " "BASE (recorded) 0123456789ab" "warning: host: " \
	 "warning: CPU model: " "warning: topology: "; do
	ok "warned: '$w'" test "$(grep -c -F -- "$w" "$tmp/moved.log")" -eq 1
done

bad() {  # bad WANT ARGS...: exit 2, exactly one line on stderr holding WANT
	local want=$1 err rc; shift
	err=$("$kmbench" "$@" 2>&1 >/dev/null); rc=$?
	ok "kmbench $*: exit $rc (want 2), one line with '$want': $err" \
		test "$rc" -eq 2 -a "$(grep -c . <<< "$err")" -eq 1 -a -n "$(grep -F -- "$want" <<< "$err")"
}
bad "no saved options" reproduce "$tmp"
bad "holds a run already" reproduce "$tmp/run" --out "$tmp/again"
bad "unknown option '--bogus'" reproduce "$tmp/run" --bogus
bad "RUN is missing" reproduce
kmb_test_end
