#!/bin/bash
# kmbench slurm against a real Slurm (issue 17): a private one-node cluster of Debian's
# slurmctld, slurmd and munged (22.05), started here under a temporary directory and stopped
# by process id at the end.
#
#   - bad input: one line, exit 2, nothing submitted (no cluster needed);
#   - a smoke matrix as 3 shards: the merge job completes, the merged results are the
#     unsharded run cell for cell, each cell once (check_shards.py), and the report is written;
#   - --nodelist becomes --exclude of the partition's other nodes, and a node not in the
#     partition is refused;
#   - a task that fails: Slurm cancels the merge (it would otherwise wait for ever), and the
#     task resubmitted as the submission says, then the merge, completes the run.
#
# The cluster (slurm.conf(5)): no systemd, no cgroups (proctrack/linuxproc, task/none), no
# accounting (so no sacct: jobs are followed with scontrol), munged with its own key and
# socket (AuthInfo=socket=), ports chosen free here, batch_sched_delay=0 so that tasks start
# at once.  Exit 77 (skipped) without Slurm or munge, or not as root (slurmd runs as root).
set -u
kmbench=$1 src=$2 build_type=${3:-}
py=/usr/bin/python3
for cmd in slurmctld slurmd munged sbatch squeue scontrol scancel sinfo; do
	command -v "$cmd" > /dev/null || PATH=$PATH:/usr/sbin command -v "$cmd" > /dev/null || {
		echo "skipped: $cmd is not installed (Debian: slurmctld slurmd slurm-client munge;" \
			"scripts/test installs them)"; exit 77; }
done
PATH=$PATH:/usr/sbin
[ "$(id -u)" -eq 0 ] || { echo "skipped: slurmd runs as root here, and this is not root"; exit 77; }

tmp=$(mktemp -d)
chmod 0755 "$tmp"                 # munged wants its socket's directory world-executable
pids=()
stop_cluster() {
	[ -n "${SLURM_CONF:-}" ] && scancel --full --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap stop_cluster EXIT
. "$src/tests/cli/lib.sh"
matrix=(--preset smoke --backends glibc,slab,mmap --threads 1,2 --quiet)

# Bad input, before any cluster: one line naming the problem, exit 2, nothing written.
bad() {   # bad WANT ARGS...: kmbench slurm ARGS fails as bad input, saying WANT
	local want=$1 out rc; shift
	out=$("$kmbench" slurm "$@" --out "$tmp/bad" 2>&1); rc=$?
	ok "slurm $*: exit 2 (got $rc), one line holding '$want': $out" \
		bash -c '[ "$1" -eq 2 ] && [ "$(wc -l <<< "$2")" -eq 1 ] && [[ "$2" == *"$3"* ]]' \
		_ "$rc" "$out" "$want"
}
bad "give --shards N" "${matrix[@]}"
bad "--shards: '0' is not a shard count" "${matrix[@]}" --shards 0
bad "--shards: 'x' is not a shard count" "${matrix[@]}" --shards=x
bad "--shards: '5000' is not a shard count; give 1 to 4096" "${matrix[@]}" --shards 5000
bad "--time: '1h' is not a Slurm time" "${matrix[@]}" --shards 2 --time 1h
bad "--shard is set per task" "${matrix[@]}" --shards 2 --shard 1/2
bad "--resume: a task resumes its own shard" "${matrix[@]}" --shards 2 --resume x
bad "--partition: 'a b' is empty or holds white space" "${matrix[@]}" --shards 2 --partition 'a b'
bad "--sbatch-arg: 'account=x' is not an sbatch long option" "${matrix[@]}" --shards 2 \
	--sbatch-arg account=x
bad "--threads:" --preset smoke --threads 0 --shards 2
bad "unknown option" "${matrix[@]}" --shards 2 --no-such-option
out=$("$kmbench" slurm "${matrix[@]}" --out "$tmp/bad" --shards 2>&1); rc=$?
ok "--shards without a value: exit 2 (got $rc), one line: $out" \
	bash -c '[ "$1" -eq 2 ] && [ "$(wc -l <<< "$2")" -eq 1 ] && [[ "$2" == *"--shards needs a value"* ]]' \
	_ "$rc" "$out"
ok "bad input wrote nothing" test ! -e "$tmp/bad"
# The sanitizer build stops here: the cluster part runs the same kmbench code paths as in the
# debug build, and its jobs (the merge's report above all) take minutes of a 2-core machine.
if [ "$build_type" = Sanitize ]; then
	kmb_test_end
	exit
fi

# The cluster: kmbnode, this machine, and kmbghost, a node that never starts (drained, at an
# address that is nobody's: TEST-NET-1), for --nodelist.  Two free ports, from the kernel.
read -r port1 port2 < <($py -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
mkdir -m 0755 "$tmp/munge"
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log"
head -c 1024 /dev/urandom > "$tmp/munge/key"
chmod 0400 "$tmp/munge/key"
cat > "$tmp/slurm.conf" <<EOF
ClusterName=kmbtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port1
SlurmdPort=$port2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/socket
CryptoType=crypto/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=600
NodeName=kmbnode NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$(nproc) State=UNKNOWN
NodeName=kmbghost NodeAddr=192.0.2.1 CPUs=1 State=DRAIN Reason=never_started
PartitionName=kmbq Nodes=kmbnode,kmbghost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
munged --foreground --socket="$tmp/munge/socket" --key-file="$tmp/munge/key" \
	--log-file="$tmp/log/munged.log" --pid-file="$tmp/munge/pid" \
	--seed-file="$tmp/munge/seed" 2> "$tmp/log/munged.err" & pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge/socket" ] && break; sleep 0.1; done
ok "munged is up: $(tail -n 2 "$tmp/log/munged.log" 2>/dev/null)" test -S "$tmp/munge/socket"
slurmctld -D -f "$SLURM_CONF" > "$tmp/log/slurmctld.out" 2>&1 & pids+=($!)
slurmd -D -f "$SLURM_CONF" -N kmbnode > "$tmp/log/slurmd.out" 2>&1 & pids+=($!)
up=""
for _ in $(seq 100); do
	sinfo -h -n kmbnode -o %t 2>/dev/null | grep -qx idle && { up=1; break; }
	sleep 0.2
done
ok "the cluster is up: kmbnode idle in sinfo: $(tail -n 3 "$tmp/log/slurmctld.log" 2>/dev/null)" \
	test -n "$up"
[ -n "$up" ] || { kmb_test_end; exit 1; }

# wait_job ID: until Slurm says every job of ID (an array's tasks too) has ended, at most
# 2 minutes; prints the states, one per task, sorted.
wait_job() {
	local states
	for _ in $(seq 600); do
		states=$(scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort)
		if [ -n "$states" ] && ! grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING' \
			<<< "$states"; then
			echo "$states" | sed 's/JobState=//' | tr '\n' ' '
			return 0
		fi
		sleep 0.2
	done
	echo "still: $states" | tr '\n' ' '
}
# jobs DIR: the array's and the merge's ids from DIR/slurm/jobs.json.
jobs() {
	$py -c 'import json, sys; j = json.load(open(sys.argv[1])); print(j["array_job"], j["merge_job"])' \
		"$1/slurm/jobs.json"
}

# The unsharded run, here, for the union check.
kmb_run full run "${matrix[@]}" --out "$tmp/full"

# --nodelist: the partition's other node excluded; a node that is not there refused.
kmb_run nodes slurm "${matrix[@]}" --shards 3 --partition kmbq --nodelist kmbnode \
	--out "$tmp/run" --run-id slurm-test
ok "the submission prints the job ids and where the results will be: $(cat "$tmp/nodes.log")" \
	grep -qE "shards: job array [0-9]+.*merge and report: job [0-9]+.*results: $tmp/run/results.json, report: $tmp/run/index.html" \
	<(tr '\n' ' ' < "$tmp/nodes.log")
ok "--nodelist kmbnode: the shards exclude kmbghost" \
	grep -qx "#SBATCH --exclude=kmbghost" "$tmp/run/slurm/shards.sbatch"
ok "--partition: in both scripts" \
	bash -c 'grep -qx "#SBATCH --partition=kmbq" "$1" && grep -qx "#SBATCH --partition=kmbq" "$2"' \
	_ "$tmp/run/slurm/shards.sbatch" "$tmp/run/slurm/merge.sbatch"
out=$("$kmbench" slurm "${matrix[@]}" --shards 2 --nodelist nosuch --out "$tmp/bad" 2>&1); rc=$?
ok "--nodelist nosuch: exit 2, naming the partition's nodes: $out" \
	bash -c '[ "$1" -eq 2 ] && [[ "$2" == *"node nosuch is not among"*"kmbnode"* ]]' _ "$rc" "$out"
ok "a second submission into the same --out is refused" \
	bash -c '"$0" slurm "${@:2}" --shards 2 --out "$1" 2>&1 | grep -q "submitted there already"; \
		[ "${PIPESTATUS[0]}" -eq 2 ]' "$kmbench" "$tmp/run" "${matrix[@]}"

read -r array merge < <(jobs "$tmp/run")
st=$(wait_job "$array")
ok "the 3 shard tasks completed: $st" test "$st" = "COMPLETED COMPLETED COMPLETED "
st=$(wait_job "$merge")
ok "the merge job completed: $st; $(tail -n 3 "$tmp/run/slurm/merge.log" 2>/dev/null)" \
	test "$st" = "COMPLETED "
ok "every task ran its shard: shards/1..3 with context.shard I/3" $py -c '
import json, sys
for i in (1, 2, 3):
    s = json.load(open(f"{sys.argv[1]}/shards/{i}/results.json"))["context"]["shard"]
    assert (s["index"], s["count"]) == (i, 3), s' "$tmp/run"
ok "the merged results are the unsharded run, cell for cell, each once" \
	$py "$src/tests/cli/check_shards.py" --merged "$tmp/full/results.json" \
	"$tmp/run/results.json"
ok "the union of the shards is the unsharded run, evenly split" \
	$py "$src/tests/cli/check_shards.py" "$tmp/full/results.json" \
	"$tmp/run/shards/1/results.json" "$tmp/run/shards/2/results.json" \
	"$tmp/run/shards/3/results.json"
ok "the merged run has the run id given" \
	grep -q '"run_id": "slurm-test"' "$tmp/run/results.json"
ok "the merge job wrote the report" test -s "$tmp/run/index.html"

# A task that fails: shard 2's directory is taken by a file, so its run cannot write there.
mkdir -p "$tmp/fail/shards"
echo "in the way" > "$tmp/fail/shards/2"
kmb_run fail slurm "${matrix[@]}" --shards 3 --out "$tmp/fail" --no-report
ok "--no-report: the merge job writes no report" \
	bash -c '! grep -q kmbench_report "$1" && grep -q " merge " "$1"' _ "$tmp/fail/slurm/merge.sbatch"
read -r array merge < <(jobs "$tmp/fail")
st=$(wait_job "$array")
ok "shard 2 failed, 1 and 3 completed: $st" test "$st" = "COMPLETED COMPLETED FAILED "
st=$(wait_job "$merge")
ok "Slurm cancelled the merge, which would wait for ever: $st; $(scontrol -o show job "$merge" | grep -o 'Reason=[^ ]*')" \
	test "$st" = "CANCELLED "
ok "nothing merged" test ! -e "$tmp/fail/results.json"
# As the submission says: the task again, then the merge.
rm "$tmp/fail/shards/2"
retry=$(sbatch --parsable --array=2 "$tmp/fail/slurm/shards.sbatch")
st=$(wait_job "$retry")
ok "shard 2 resubmitted: $st" test "$st" = "COMPLETED "
remerge=$(sbatch --parsable "$tmp/fail/slurm/merge.sbatch")
st=$(wait_job "$remerge")
ok "the merge resubmitted: $st" test "$st" = "COMPLETED "
ok "the run completed after the retry is the unsharded run, cell for cell" \
	$py "$src/tests/cli/check_shards.py" --merged "$tmp/full/results.json" \
	"$tmp/fail/results.json"
# A task run again over its finished shard resumes it: it keeps every cell.
retry=$(sbatch --parsable --array=1 "$tmp/fail/slurm/shards.sbatch")
st=$(wait_job "$retry")
ok "a finished shard run again resumes: $st" \
	bash -c '[ "$1" = "COMPLETED " ] && grep -q "done in an earlier attempt, kept" "$2"' \
	_ "$st" "$tmp/fail/slurm/shard-1.log"
kmb_test_end
