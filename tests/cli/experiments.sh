#!/bin/bash
# Experiment files end to end (docs/experiments.md): a file of two experiments runs each into
# OUT/NAME and says where; --experiment picks one; the command line overrides the file; the run
# directory records the file, the experiment and its hash, and keeps the file's text, so
# --resume OUT/NAME and --resume OUT complete a run after the file has changed; a hash that no
# longer matches is refused; `kmbench run` with no --preset/--matrix is --preset quick; `kmbench
# list` shows the presets from the files.
#   experiments.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"
cd "$tmp" || exit 1

cat > exp.yaml <<'YAML'
experiments:
  - name: hot
    description: "the hot pair, two backends"
    backends: [glibc, slab]
    workloads: [churn]
    sizes: [64]
    batch: [1]
    threads: 1
    min_time: 0.001
    repetitions: 1
    backend_options: {sheaves: "off"}
  - name: wide
    backends: glibc
    workloads: churn
    sizes: [8, 16]
    min_time: 0.001
    repetitions: 1
YAML

# Both experiments, each into OUT/NAME; the output says where each went.
kmb_run both run --matrix exp.yaml --out out --quiet
for e in hot wide; do
	ok "out/$e/results.json written" test -s "out/$e/results.json"
	ok "the output names out/$e/results.json" grep -q "^  $e .*out/$e/results.json" "$tmp/both.log"
	ok "out/$e keeps the file's text" cmp -s exp.yaml "out/$e/experiment.yaml"
	ok "out/$e/cmdline records the file" grep -qx -- "--matrix=exp.yaml" "out/$e/cmdline"
	ok "out/$e/cmdline records the experiment" grep -qx -- "--experiment=$e" "out/$e/cmdline"
	ok "out/$e/cmdline records the hash" grep -qx -- "--experiment-hash=[0-9a-f]\{16\}" "out/$e/cmdline"
done
ok "out/experiments lists them" test "$(cat out/experiments)" = "$(printf 'hot\nwide')"
ok "hot's backend option applied" grep -qx -- "--sheaves=off" out/hot/cmdline
ok "wide's sizes" grep -qx -- "--sizes=8,16" out/wide/cmdline
ok "results name the experiment" /usr/bin/python3 -c "
import json, sys
o = json.load(open('out/hot/results.json'))['context']['options']
sys.exit(not (o['experiment'] == 'hot' and o['experiment_file'] == 'exp.yaml'
              and o['experiment_description'] == 'the hot pair, two backends'
              and len(o['experiment_hash']) == 16))"

# The file changes; --resume uses the run's copy.  A lost part is run again.
sed -i 's/sizes: \[8, 16\]/sizes: [32]/' exp.yaml
rm -f out/wide/parts/*.jsonl out/wide/results.json
kmb_run resume_one run --resume out/wide --quiet
ok "--resume OUT/NAME completes with the saved options" grep -qx -- "--sizes=8,16" out/wide/cmdline
ok "--resume OUT/NAME wrote results" test -s out/wide/results.json
rm -f out/hot/parts/*.jsonl out/hot/results.json
kmb_run resume_all run --resume out --quiet
ok "--resume OUT completes each" test -s out/hot/results.json
ok "--resume OUT says each" grep -q "== experiment hot -> out/hot" "$tmp/resume_all.log"

# A hash that the file no longer has is refused.
hash=$(sed -n 's/^--experiment-hash=//p' out/wide/cmdline)
"$kmbench" plan --matrix exp.yaml --experiment wide --experiment-hash "$hash" > /dev/null 2> changed.err
ok "a changed file is refused" grep -q "exp.yaml: its text has changed since the run" changed.err

# --experiment picks one; the command line overrides the file.
kmb_run one run --matrix exp.yaml --experiment hot --sizes 128 --out one --quiet
ok "--experiment runs that one into OUT" test -s one/results.json
ok "the command line overrides the file" grep -qx -- "--sizes=128" one/cmdline
ok "and keeps the rest of it" grep -qx -- "--backends=glibc,slab" one/cmdline

# `kmbench run` alone is --preset quick; a shipped file as --matrix is its preset.
"$kmbench" plan > plain.txt 2>&1
"$kmbench" plan --preset quick > quick.txt 2>&1
ok "no --preset is --preset quick" cmp -s plain.txt quick.txt
"$kmbench" plan --matrix "$src/harness/experiments/slab-scale.yaml" 2>&1 | grep -v '^plan: experiment' |
	sed 's/^plan: /plan: preset slab-scale, /' > file.txt
"$kmbench" plan --preset slab-scale > preset.txt 2>&1
ok "the preset's file gives the preset's plan" cmp -s file.txt preset.txt

# kmbench list: the presets from the files, with their descriptions.
"$kmbench" list > list.txt 2>&1
for f in "$src"/harness/experiments/*.yaml; do
	name=$(basename "$f" .yaml)
	ok "kmbench list shows $name" grep -q "^  $name  *[a-zA-Z]" list.txt
done
kmb_test_end
