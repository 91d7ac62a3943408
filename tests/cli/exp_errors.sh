#!/bin/bash
# Experiment files that are wrong (docs/experiments.md), one kind per ctest case: the case named
# by $2 must exit 2 with exactly one line on stderr that names the file, the line where there
# is one, the key and the valid choices, and must run nothing (bad_input.sh's rule).
#   exp_errors.sh KMBENCH CASE
set -u
kmbench=$1 case=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

expect() {  # expect "<substring of the message>" args...
	local want=$1; shift
	local err rc lines
	err=$("$kmbench" "$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$want"* ]] && [ ! -e out ]; then
		echo "ok: $err"
		return 0
	fi
	echo "FAIL: kmbench $* -> exit $rc, $lines line(s): $err (wanted exit 2, one line with '$want', no out/)"
	exit 1
}

# A valid experiment; each case breaks one thing of it.
good() {
	cat <<'YAML'
experiments:
  - name: scale
    description: "a small run"
    backends: [glibc, slab]
    workloads: [churn]
    sizes: [8, 64]
    threads: [1]
    min_time: 0.01
    repetitions: 1
YAML
}

case $case in
unknown_key)
	good | sed 's/threads:/threds:/' > exp.yaml
	expect "kmbench run: exp.yaml:7: unknown key 'threds' in experiment 'scale'; valid: name, description, backends, workloads, sizes, batch, threads, min_time, repetitions, pin, numa_policy, backend_options, workload_options, check" run --matrix exp.yaml --out out
	printf 'experiment:\n  - name: x\n' > top.yaml
	expect "kmbench run: top.yaml:1: unknown key 'experiment' at the top; valid: experiments" run --matrix top.yaml --out out
	good | sed 's/repetitions: 1/backend_options: {shelves: 2}/' > opt.yaml
	expect "kmbench run: opt.yaml:9: backend_options: unknown backend option 'shelves' in experiment 'scale'; valid: " run --matrix opt.yaml --out out
	;;
bad_value)
	good | sed 's/sizes: \[8, 64\]/sizes: [8, 12Q]/' > exp.yaml
	expect "kmbench run: exp.yaml:6: sizes: '12Q' is not a size; give bytes from 1 to 1G" run --matrix exp.yaml --out out
	good | sed 's/backends: \[glibc, slab\]/backends: [glibc, slob]/' > be.yaml
	expect "kmbench run: be.yaml:4: unknown backend 'slob'; valid backends: glibc," run --matrix be.yaml --out out
	good | sed 's/min_time: 0.01/min_time: soon/' > t.yaml
	expect "kmbench run: t.yaml:8: min-time: 'soon' is not a time" run --matrix t.yaml --out out
	good | sed 's/repetitions: 1/workload_options: {mempool-fail: [0, 200]}/' > w.yaml
	expect "kmbench run: w.yaml:9: mempool-fail: " run --matrix w.yaml --out out
	;;
syntax)
	good | sed 's/sizes: \[8, 64\]/sizes: [8, 64/' > exp.yaml
	expect "kmbench run: exp.yaml:7:" run --matrix exp.yaml --out out
	expect "YAML syntax error: did not find expected ',' or ']'" run --matrix exp.yaml --out out
	printf 'experiments:\n  - name: a\n   backends: glibc\n' > indent.yaml
	expect "kmbench run: indent.yaml:3:" run --matrix indent.yaml --out out
	;;
missing)
	expect "kmbench run: --matrix: cannot read nosuch.yaml: No such file or directory" run --matrix nosuch.yaml --out out
	expect "kmbench run: --matrix: cannot read " run --matrix . --out out
	;;
empty)
	: > exp.yaml
	expect "kmbench run: exp.yaml: empty file; give 'experiments:' and a list of experiments" run --matrix exp.yaml --out out
	printf '# only a comment\n' > c.yaml
	expect "kmbench run: c.yaml: empty file" run --matrix c.yaml --out out
	printf 'experiments: []\n' > l.yaml
	expect "kmbench run: l.yaml:1: experiments: an empty list; give at least one experiment" run --matrix l.yaml --out out
	;;
duplicate_name)
	{ good; good | tail -n +2; } > exp.yaml
	expect "kmbench run: exp.yaml:10: experiment 'scale' is defined twice (first at line 2)" run --matrix exp.yaml --out out
	;;
duplicate_key)
	good | sed 's/^    threads: \[1\]/    threads: [1]\n    sizes: [16]/' > exp.yaml
	expect "kmbench run: exp.yaml:8: key 'sizes' given twice in experiment 'scale' (first at line 6)" run --matrix exp.yaml --out out
	good | sed 's/repetitions: 1/backend_options: {sheaves: "off", sheaves: "on"}/' > o.yaml
	expect "kmbench run: o.yaml:9: backend_options: key 'sheaves' given twice in experiment 'scale'" run --matrix o.yaml --out out
	;;
wrong_type)
	good | sed 's/sizes: \[8, 64\]/sizes: {small: 8}/' > exp.yaml
	expect "kmbench run: exp.yaml:6: sizes: a mapping where a value or a list of values is wanted in experiment 'scale'" run --matrix exp.yaml --out out
	good | sed 's/repetitions: 1/repetitions: [1, 2]/' > r.yaml
	expect "kmbench run: r.yaml:9: repetitions: a list where a single value is wanted in experiment 'scale'" run --matrix r.yaml --out out
	good | sed 's/repetitions: 1/backend_options: [sheaves]/' > o.yaml
	expect "kmbench run: o.yaml:9: backend_options: a list where a mapping (KEY: VALUE) is wanted" run --matrix o.yaml --out out
	printf 'experiments:\n  name: a\n' > m.yaml
	expect "kmbench run: m.yaml:2: experiments: a mapping where a list of experiments is wanted" run --matrix m.yaml --out out
	;;
no_experiment)
	{ good; good | tail -n +2 | sed 's/name: scale/name: other/'; } > exp.yaml
	expect "kmbench run: --experiment: no experiment 'nosuch' in exp.yaml; its experiments: scale, other" run --matrix exp.yaml --experiment nosuch --out out
	expect "kmbench run: --experiment: no experiment 'huge' in harness/experiments/quick.yaml; its experiments: quick" run --experiment huge --out out
	expect "kmbench run: --preset quick and --matrix exp.yaml: give one of them" run --preset quick --matrix exp.yaml --out out
	;;
check)	# the check key (kmbench check): its keys, metrics, values and the reference's backend
	good | sed 's/repetitions: 1/check: {referenc: glibc}/' > c.yaml
	expect "kmbench run: c.yaml:9: check: unknown key 'referenc' in experiment 'scale'; valid: reference, alpha, tolerance" run --matrix c.yaml --out out
	good | sed 's/repetitions: 1/check:\n      tolerance:\n        wall: 10%/' > m.yaml
	expect "kmbench run: m.yaml:11: check: tolerance: unknown metric 'wall' in experiment 'scale'; valid: real_time, cpu_time" run --matrix m.yaml --out out
	good | sed 's/repetitions: 1/check: {tolerance: {real_time: 10}}/' > p.yaml
	expect "kmbench run: p.yaml:9: check: tolerance: real_time: '10' is not a percentage; give one above 0% and at most 1000%, e.g. 10%" run --matrix p.yaml --out out
	good | sed 's/repetitions: 1/check: {alpha: 0x0.1}/' > a.yaml
	expect "kmbench run: a.yaml:9: check: alpha: '0x0.1' is not a significance level; give a number between 0 and 1" run --matrix a.yaml --out out
	good | sed 's/repetitions: 1/check: {reference: slob}/' > r.yaml
	expect "kmbench run: r.yaml:9: check: reference: unknown backend 'slob'" run --matrix r.yaml --out out
	good | sed 's/repetitions: 1/check: 10%/' > v.yaml
	expect "kmbench run: v.yaml:9: check: a value where a mapping (reference, alpha, tolerance) is wanted" run --matrix v.yaml --out out
	;;
*)
	echo "exp_errors.sh: unknown case '$case'"
	exit 1
	;;
esac
echo "$case: passed"
