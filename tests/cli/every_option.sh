#!/bin/bash
# Every option and every experiment-file key with a bad value (issue 20, "Faults"): one line on
# stderr naming the option or key, exit status 2, nothing written.
#
# The lists are not written here: the run options come from `kmbench help`, the backend and
# workload options from `kmbench list`, the experiment keys from the error kmbench gives for an
# unknown key (which lists the valid ones).  Each needs a bad value in the tables below, so an
# option or key added without a case here fails this test until it has one.
#   every_option.sh KMBENCH
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
base=(--preset smoke --backends glibc,slab --threads 1 --quiet)

declare -A run_bad=(
	[--preset]=nosuch [--matrix]=$tmp/none.yaml [--experiment]=nosuch
	[--experiment-hash]=zz [--backends]=nosuch [--workloads]=nosuch [--threads]=0
	[--sizes]=abc [--batch]=0 [--pin]=nosuch [--numa-policy]=nosuch [--min-time]=-1
	[--repetitions]=0 [--backend-opt]=nosuch=1 [--workload-opt]=nosuch=1 [--out]=
	[--resume]=$tmp/none [--run-id]= [--shard]=3/2 [--quiet]=yes [--verbose]=yes
	[--no-profile]=yes [--profile]= [--seed]=abc [--no-interleave]=yes [--dry-run]=yes
	[--percpu]=nosuch
)
# What the message names where it is not the option: the unknown key given to -O and -W.
declare -A run_want=([--backend-opt]=nosuch [--workload-opt]=nosuch)
declare -A opt_bad=(
	[mm-nodes]=0 [node-mem]=5M [lowmem]=3M [dma-zone]=3M [pcp]=bogus [slab-percpu]=bogus
	[sheaves]=maybe [cpu-partial]=-1 [sheaf-capacity]=0 [slub-debug]=Q
	[mix-slabinfo]=$tmp/none.txt [larson-rounds]=0 [prodcons-ratio]=0:0
	[mempool-fail]=200 [matrix-policies]=bogus [matrix-buffer]=1 [rfm-cpus]=x
	[trace]=$tmp/none.trace [program]=nosuch [program-scale]=0 [program-mem]=3M
	[program-timeout]=0
)
# KEY=YAML: the key's line in an experiment (the check key's sub-keys too).
declare -A key_bad=(
	[name]='name: "a b"' [description]='description: [1, 2]' [backends]='backends: [nosuch]'
	[workloads]='workloads: [nosuch]' [sizes]='sizes: [0]' [batch]='batch: [0]'
	[threads]='threads: [0]' [min_time]='min_time: -1' [repetitions]='repetitions: 0'
	[pin]='pin: nosuch' [numa_policy]='numa_policy: nosuch'
	[backend_options]='backend_options: {nosuch: 1}'
	[workload_options]='workload_options: {nosuch: 1}' [check]='check: {nosuch: 1}'
)

# bad_case WHAT WANT ARGS...: kmbench ARGS is bad input: exit 2, one line holding WANT, and
# nothing written under $tmp/out.
bad_case() {
	local what=$1 want=$2 err rc; shift 2
	err=$("$kmbench" "$@" 2>&1 >/dev/null); rc=$?
	ok "$what: exit $rc (want 2), one line holding '$want': $err" \
		bash -c '[ "$1" -eq 2 ] && [ "$(grep -c . <<< "$2")" -eq 1 ] && [[ "$2" == *"$3"* ]]' \
		_ "$rc" "$err" "$want"
	ok "$what: nothing written" test ! -e "$tmp/out"
	rm -rf "$tmp/out"
}

# The run options.
opts=$("$kmbench" help | sed -n '/^run options:/,$p' | grep -oE '^ +--[a-z][a-z0-9-]*' | tr -d ' ' |
	sort -u)
ok "kmbench help lists the run options" test "$(wc -l <<< "$opts")" -ge 20
for o in $opts; do
	if [ -z "${run_bad[$o]+set}" ]; then
		ok "run option $o has a bad-value case in every_option.sh" false
		continue
	fi
	bad_case "run $o=${run_bad[$o]}" "${run_want[$o]:-${o#--}}" run "${base[@]}" --out "$tmp/out" \
		"$o=${run_bad[$o]}"
done

# The backend and workload options, each as -O/-W KEY=VALUE and as --KEY VALUE.
keys=$("$kmbench" list | sed -n '/^backend options/,/^pin policies/p' |
	grep -oE '^    [a-z][a-z0-9-]*=' | tr -d ' =' | sort -u)
ok "kmbench list lists the backend and workload options" test "$(wc -l <<< "$keys")" -ge 15
for k in $keys; do
	if [ -z "${opt_bad[$k]+set}" ]; then
		ok "option $k has a bad-value case in every_option.sh" false
		continue
	fi
	bad_case "run --$k ${opt_bad[$k]}" "$k" run "${base[@]}" --out "$tmp/out" \
		"--$k" "${opt_bad[$k]}"
done

# The experiment file's keys.
printf 'experiments:\n  - name: x\n    nosuch: 1\n' > "$tmp/unknown.yaml"
list=$("$kmbench" run --matrix "$tmp/unknown.yaml" --out "$tmp/out" 2>&1 >/dev/null |
	sed -n 's/.*; valid: //p' | tr -d ' ' | tr ',' '\n')
ok "an unknown key's error lists the valid keys" test "$(wc -l <<< "$list")" -ge 10
for k in $list; do
	if [ -z "${key_bad[$k]+set}" ]; then
		ok "experiment key $k has a bad-value case in every_option.sh" false
		continue
	fi
	if [ "$k" = name ]; then
		printf 'experiments:\n  - %s\n    backends: [glibc]\n' "${key_bad[$k]}"
	else
		printf 'experiments:\n  - name: x\n    backends: [glibc]\n    %s\n' "${key_bad[$k]}"
	fi > "$tmp/$k.yaml"
	bad_case "experiment key $k: ${key_bad[$k]}" "$tmp/$k.yaml:" run --matrix "$tmp/$k.yaml" \
		--out "$tmp/out"
	ok "experiment key $k: the error names the key" \
		grep -q -- "$k" <<< "$("$kmbench" run --matrix "$tmp/$k.yaml" --out "$tmp/out" 2>&1)"
done
kmb_test_end
