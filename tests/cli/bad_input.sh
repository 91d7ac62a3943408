#!/bin/bash
# Bad input: each case must exit 2 with exactly one line on stderr that names the problem
# (and the valid choices), and must not touch an existing run directory.
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# Results of an earlier run that a bad invocation must leave alone.
mkdir -p "$tmp/run/parts"
echo '{"sentinel": true}' > "$tmp/run/results.json"

expect() {  # expect "<substring of the message>" args...
	local want=$1; shift
	local err rc lines
	err=$("$kmbench" "$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$want"* ]]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: kmbench $* -> exit $rc, $lines line(s): $err (wanted exit 2, one line with '$want')"
	fi
}

expect "unknown backend 'nosuch'; valid backends: glibc, jemalloc, tcmalloc, mimalloc" run --backends nosuch --out "$tmp/run"
expect "unknown workload 'nosuch'; valid workloads: churn" run --workloads=nosuch --out "$tmp/run"
expect "--threads: 0 threads is out of range" run --threads 0 --out "$tmp/run"
expect "--threads: 5000 threads is out of range" run --threads 5000 --out "$tmp/run"
expect "--threads: 'x' is not a thread count" run --threads 1,x --out "$tmp/run"
expect "--threads: '4-2' is not a range" run --threads 4-2 --out "$tmp/run"
ncpu=$(nproc)
expect "threads but only $ncpu CPUs are usable" run --threads $((ncpu + 1)) --pin compact --out "$tmp/run"
expect "--sizes: '64x' is not a size" run --sizes 64,64x --out "$tmp/run"
expect "--sizes: '0' is not a size" run --sizes 0 --out "$tmp/run"
expect "--sizes: '2G' is not a size" run --sizes 2G --out "$tmp/run"
expect "--sizes: '4096' repeats 4096 bytes; give each size once" run --sizes 4K,4096 --out "$tmp/run"
expect "--sizes: empty list" run --sizes= --out "$tmp/run"
expect "--pin: unknown policy 'tight'; valid policies: compact, scatter, spread, node:N, none" run --pin tight
expect "--pin: unknown policy 'node:x'; valid policies: compact, scatter, spread, node:N, none" run --pin node:x
expect "--pin node:4095: there is no NUMA node 4095 here; nodes with CPUs: " run --pin node:4095 --out "$tmp/run"
expect "--pin node:0: $((ncpu + 1)) threads but node 0 has only " run --pin node:0 --threads $((ncpu + 1)) --out "$tmp/run"
expect "--preset: unknown preset 'huge'; valid presets: quick, full, smoke, ci, pages, fragment, slab, slab-scale, ctor, mix, percpu, falseshare, remotefree, server, mempool, vmalloc, numa" run --preset huge
expect "unknown option '--frobnicate'; valid options:" run --frobnicate
expect "--min-time: 'soon' is not a time" run --min-time soon
expect "--repetitions: '0' is not a count" run --repetitions 0
expect "--batch needs a value" run --batch
expect "--batch: '0' is not a batch size; give 1 to 1000000 objects, comma-separated, e.g. 1,100" run --batch 1,0
expect "--batch: 100 is given twice; give each batch once" run --batch 100,1,100
expect "--batch: '' is not a batch size; give 1 to 1000000 objects" run --batch ,
expect "--pin: unknown policy 'tight'; valid policies: compact, scatter, spread, node:N, none" plan --pin tight
expect "--mm-nodes: 0 is out of range 1..64" run --mm-nodes 0 --out "$tmp/run"
expect "--mm-nodes: 65 is out of range 1..64" run --mm-nodes=65 --out "$tmp/run"
expect "--mm-nodes: 'two' is not a node count; give 1..64" run --mm-nodes two --out "$tmp/run"
expect "--node-mem: 5M is not a multiple of 4M; give a multiple of 4M up to 64G" run --node-mem 5M --out "$tmp/run"
expect "--node-mem: 'lots' is not a size" run --node-mem=lots --out "$tmp/run"
expect "--node-mem: 128G is above 64G" run --node-mem 128G --out "$tmp/run"
expect "--lowmem: 6M is not a multiple of 4M" run --lowmem 6M --out "$tmp/run"
expect "--lowmem: 8M is not above the DMA zone (--dma-zone 16M, the default); give at least 20M" run --lowmem 8M --out "$tmp/run"
expect "--dma-zone: 'some' is not a size; give a multiple of 4M up to 64G, e.g. 64M, or 'none'" run --dma-zone some --out "$tmp/run"
expect "--dma-zone: 3M is not a multiple of 4M" run --dma-zone=3M --out "$tmp/run"
expect "--dma-zone: 64M is not smaller than the node memory (--node-mem 64M)" run --node-mem 64M --dma-zone 64M --out "$tmp/run"
expect "--pcp: 'maybe' is not valid; valid: on, off, none, thread, cpu-lock, cpu-rseq" run --pcp maybe --out "$tmp/run"
expect "--pcp: 'rseq' is not valid; valid: on, off, none, thread, cpu-lock, cpu-rseq" run --pcp=rseq --out "$tmp/run"
expect "--pcp needs a value" run --pcp
expect "--percpu: 'bogus' is not a per-CPU mode; valid: none, thread, cpu-lock, cpu-rseq" run --percpu bogus --out "$tmp/run"
expect "--percpu: 'on' is not a per-CPU mode; valid: none, thread, cpu-lock, cpu-rseq" run --percpu=on --out "$tmp/run"
expect "--percpu: 'CPU-RSEQ' is not a per-CPU mode; valid: none, thread, cpu-lock, cpu-rseq" run --percpu=CPU-RSEQ --out "$tmp/run"
expect "--percpu needs a value" run --percpu
expect "--slab-percpu: 'cpu_lock' is not a per-CPU mode; valid: none, thread, cpu-lock, cpu-rseq" run --slab-percpu cpu_lock --out "$tmp/run"
expect "--slab-percpu: '' is not a per-CPU mode; valid: none, thread, cpu-lock, cpu-rseq" run --slab-percpu= --out "$tmp/run"
expect "--slab-percpu needs a value" run --slab-percpu
expect "unknown workload 'counters'; valid workloads: churn, fragment, ctor, mix, remote-free, larson, prodcons, false-share-passive, false-share-active, counter-percpu, counter-atomic, counter-packed, mempool-pressure, untouched, first-touch, access, vmtest-fix-size, vmtest-full-fit, vmtest-long-busy, vmtest-random-size, numa-matrix, remote-free-matrix" run --workloads counters --out "$tmp/run"
expect "--slub-debug: 'X' is not a slub_debug letter; valid: F, Z, P, U, or - for none" run --slub-debug=FX --out "$tmp/run"
expect "--sheaves: 'maybe' is not a sheaves setting; valid: on, off" run --sheaves maybe --out "$tmp/run"
expect "--cpu-partial: '-3' is not a count of objects; valid: 0 to 65535, or default" run --cpu-partial=-3 --out "$tmp/run"
expect "--cpu-partial: '1k' is not a count of objects; valid: 0 to 65535, or default" run -O cpu-partial=1k --out "$tmp/run"
expect "--sheaf-capacity: '0' is not a sheaf capacity; valid: 1 to 256, or default" run --sheaf-capacity=0 --out "$tmp/run"
expect "--sheaf-capacity: '257' is not a sheaf capacity; valid: 1 to 256, or default" run -O sheaf-capacity=257 --out "$tmp/run"
expect "--slub-debug: '-' is not a slub_debug letter; valid: F, Z, P, U, or - for none" run --slub-debug F- --out "$tmp/run"
expect "--slub-debug: empty value; valid: F, Z, P, U, or - for none" run --slub-debug= --out "$tmp/run"
expect "--slub-debug needs a value" run --slub-debug
# Backend options as KEY=VALUE: the owning backend's message; an unknown key names the valid
# keys of the chosen backends.
expect "--node-mem: 5M is not a multiple of 4M; give a multiple of 4M up to 64G" run -O node-mem=5M --out "$tmp/run"
expect "--pcp: 'maybe' is not valid; valid: on, off, none" run --backend-opt pcp=maybe --out "$tmp/run"
expect "unknown backend option 'frob'; valid for the chosen backends: mm-nodes, node-mem, lowmem, dma-zone, pcp, slab-percpu, sheaves, cpu-partial, sheaf-capacity, slub-debug" run -O frob=1 --out "$tmp/run"
expect "unknown backend option 'frob'; valid for the chosen backends: none" run --backends glibc -Ofrob=1 --out "$tmp/run"
expect "--backend-opt: 'pcp' is not KEY=VALUE" run -O pcp --out "$tmp/run"
expect "-O needs a value (KEY=VALUE)" run -O
pct="give whole percentages 0 to 100, comma-separated, e.g. 0,10,50,100"
expect "--mempool-fail: 101% is out of range; $pct" run --mempool-fail 0,101 --out "$tmp/run"
expect "--mempool-fail: 'ten' is not a percentage; $pct" run --mempool-fail=ten --out "$tmp/run"
expect "--mempool-fail: '12.5' is not a percentage; $pct" run --mempool-fail 12.5 --out "$tmp/run"
expect "--mempool-fail: '-5' is not a percentage; $pct" run --mempool-fail -5 --out "$tmp/run"
expect "--mempool-fail: '' is not a percentage; $pct" run --mempool-fail ,10 --out "$tmp/run"
expect "--mempool-fail: 10% is given twice; give each rate once" run --mempool-fail 10,50,10% --out "$tmp/run"
expect "--mempool-fail: empty list; $pct" run --mempool-fail= --out "$tmp/run"
expect "--mempool-fail needs a value (PCT,...)" run --mempool-fail
expect "--numa-policy: 'foo' is not a node policy; valid: local, node:N, remote, preferred:N, bind:LIST, interleave[:LIST] (LIST like 0,2-3)" run --numa-policy foo --out "$tmp/run"
expect "--numa-policy: 'node:0,1': node takes one node; bind:LIST takes a set" run --numa-policy node:0,1 --out "$tmp/run"
expect "--numa-policy: 'bind' needs a node list, e.g. bind:0,1" run --numa-policy=bind --out "$tmp/run"
expect "--numa-policy: 'local:0': local takes no node" run --numa-policy local:0 --out "$tmp/run"
expect "--numa-policy: 'interleave:0-x': '0-x' is not a node list" run --numa-policy interleave:0-x --out "$tmp/run"
expect "--numa-policy: 'node:64': nodes above 63 are not supported" run --numa-policy node:64 --out "$tmp/run"
# libnuma's trap: a node the machine lacks is refused, naming the nodes it has.
expect "--numa-policy node:63: this machine has no node 63 with memory; nodes with memory: " run --numa-policy node:63 --out "$tmp/run"
expect "--numa-policy interleave:0,63: this machine has no node 63 with memory" run --numa-policy interleave:0,63 --out "$tmp/run"
if [ "$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)" -le 1 ]; then
	expect "--numa-policy remote: needs two nodes with memory; this machine has one (node 0)" run --numa-policy remote --out "$tmp/run"
fi
expect "--numa-policy needs a value" run --numa-policy
expect "--matrix-policies: unknown policy 'near'; valid: bind, preferred, local, remote, interleave" run --matrix-policies bind,near --out "$tmp/run"
expect "--matrix-policies: empty list; valid: bind, preferred, local, remote, interleave" run --matrix-policies= --out "$tmp/run"
expect "--matrix-buffer: '1000' is not a buffer size; give a multiple of 4K from 64K to 64G, e.g. 64M" run --matrix-buffer 1000 --out "$tmp/run"
expect "--matrix-buffer: '32K' is not a buffer size" run --matrix-buffer 32K --out "$tmp/run"
expect "--rfm-cpus: 'x' is not a CPU list; give OS CPU numbers and ranges, e.g. 0,2,4-7" run --rfm-cpus x --out "$tmp/run"
expect "--rfm-cpus: '0,0' names a CPU twice; name each once" run --rfm-cpus 0,0 --out "$tmp/run"
expect "--rfm-cpus: '0-64' names more than 64 CPUs (4096 cells a backend); name fewer" run -W rfm-cpus=0-64 --out "$tmp/run"
expect "--rfm-cpus: CPU $ncpu is not usable here; usable: 0" run --workloads remote-free-matrix --rfm-cpus 0,$ncpu --out "$tmp/run"
# Workload options as KEY=VALUE: the owning workload's message; an unknown key names the valid
# keys of the chosen workloads; a key of the other kind is not taken.
expect "--matrix-buffer: '1000' is not a buffer size" run -W matrix-buffer=1000 --out "$tmp/run"
expect "--mempool-fail: 101% is out of range; give whole percentages" run --workload-opt mempool-fail=101 --out "$tmp/run"
expect "--matrix-policies: unknown policy 'near'" run --workload-opt=matrix-policies=near --out "$tmp/run"
expect "unknown workload option 'frob'; valid for the chosen workloads: mempool-fail, matrix-policies, matrix-buffer" run --workloads churn,numa-matrix,mempool-pressure -W frob=1 --out "$tmp/run"
expect "unknown workload option 'frob'; valid for the chosen workloads: none" run --workloads churn -Wfrob=1 --out "$tmp/run"
expect "unknown workload option 'pcp'" run -W pcp=none --out "$tmp/run"
expect "unknown backend option 'matrix-buffer'" run -O matrix-buffer=1M --out "$tmp/run"
expect "--workload-opt: 'mempool-fail' is not KEY=VALUE" run -W mempool-fail --out "$tmp/run"
expect "-W needs a value (KEY=VALUE)" run -W
expect "unknown command 'runn'; valid commands: list, env, run, plan, merge, slurm, report, check, reproduce, overhead, pairs, record, help" runn
expect "--resume takes the options saved" run --resume "$tmp/run" --sizes 64
expect "cannot read saved options" run --resume "$tmp/nonexistent"

if grep -q sentinel "$tmp/run/results.json" && [ -z "$(ls "$tmp/run/parts")" ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1)); echo "FAIL: a bad invocation changed the existing run directory"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
