#!/bin/bash
# The topology and pinning as the user sees them (issue 17), on saved hwloc topologies named by
# HWLOC_XMLFILE, the way one checks a plan for a machine one does not have:
#   - a missing, unreadable or malformed HWLOC_XMLFILE is refused by list, plan and run: exit
#     status 2, one line on stderr naming the variable, the file and the problem, nothing on
#     stdout (hwloc alone would quietly show this machine instead);
#   - `kmbench list` names each node with its memory and CPUs, says which are memory only, and
#     lists the CPUs that have no node of their own;
#   - `kmbench plan` on CPUs without a node returns (spread used to loop for ever) with the
#     plan's CPU/node pairs, scatter alternates over packages of unequal size, and the plan
#     says which topology it is;
#   - `kmbench --help` says that every policy but compact takes cores before SMT siblings.
#
#   pin_topology.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1
src=$2
fix=$src/tests/fixtures/topology
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/lib.sh"

# refused WANT ARGS...: with HWLOC_XMLFILE=$xml, kmbench ARGS exits 2 with exactly one line on
# stderr, which holds WANT, and nothing on stdout.
refused() {
	local want=$1 rc lines; shift
	HWLOC_XMLFILE=$xml timeout 60 "$kmbench" "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
	lines=$(grep -c . "$tmp/err")
	ok "HWLOC_XMLFILE=$xml kmbench $*: exit $rc, $lines line(s): $(head -c 300 "$tmp/err") (want exit 2, one line with '$want')" \
		test "$rc" -eq 2 -a "$lines" -eq 1
	ok "HWLOC_XMLFILE=$xml kmbench $*: '$want' in '$(cat "$tmp/err")'" grep -qF -- "$want" "$tmp/err"
	ok "HWLOC_XMLFILE=$xml kmbench $*: nothing on stdout, got '$(head -c 200 "$tmp/out")'" \
		test ! -s "$tmp/out"
}

xml=/nonexistent/kmb-host.xml
want="HWLOC_XMLFILE=$xml: cannot read the file: No such file or directory"
refused "kmbench list: $want" list
refused "kmbench: $want" plan --backends glibc --workloads churn --sizes 64
refused "kmbench: $want" run --backends glibc --workloads churn --sizes 64 --out "$tmp/run"
ok "a refused run wrote no run directory" test ! -e "$tmp/run"
xml=$fix
refused "HWLOC_XMLFILE=$fix: cannot read the file: Is a directory" list
xml=$tmp/bad.xml
echo 'not XML at all' > "$xml"
refused "HWLOC_XMLFILE=$xml: not an hwloc XML topology" list
head -c 2000 "$fix/2pack-hbm-cxl.xml" > "$xml"	# cut short, as a failed copy leaves it
refused "HWLOC_XMLFILE=$xml: not an hwloc XML topology" plan --backends glibc --workloads churn

# Memory-only nodes: said as such, with their memory.
HWLOC_XMLFILE=$fix/2pack-hbm-cxl.xml "$kmbench" list > "$tmp/list" 2>&1
ok "list on 2pack-hbm-cxl exits 0: $(tail -n 2 "$tmp/list")" test $? -eq 0
for want in "topology (from HWLOC_XMLFILE=$fix/2pack-hbm-cxl.xml):" \
	"2 package(s), 16 core(s), 32 CPU(s), 5 NUMA node(s) of which 3 memory only" \
	"  node 0: 256 GiB, CPUs 0-15" "  node 1: 256 GiB, CPUs 16-31" \
	"  node 2: memory only, 64 GiB, no CPUs" "  node 3: memory only, 64 GiB, no CPUs" \
	"  node 4: memory only, 512 GiB, no CPUs"; do
	ok "list on 2pack-hbm-cxl says '$want'" grep -qF -- "$want" "$tmp/list"
done

# CPUs without a node: listed, and planned on without a hang.
HWLOC_XMLFILE=$fix/nodeless-cpus.xml "$kmbench" list > "$tmp/list" 2>&1
ok "list on nodeless-cpus exits 0" test $? -eq 0
ok "list on nodeless-cpus names the CPUs without a node: $(grep -F CPUs "$tmp/list" | tail -n 3)" \
	grep -qF "  CPUs 4-5,10-11: no NUMA node of their own" "$tmp/list"
ok "list on nodeless-cpus: node 0's own CPUs" grep -qxF "  node 0: 32 GiB, CPUs 0-1,6-7" "$tmp/list"

plan_pins() {	# plan_pins FIXTURE PIN THREADS: kmbench plan's pinning lines, within 60 s
	HWLOC_XMLFILE=$fix/$1 timeout 60 "$kmbench" plan --pin "$2" --threads "$3" \
		--backends glibc --workloads churn --sizes 64 > "$tmp/plan" 2>&1
}
plan_pins nodeless-cpus.xml spread 4,12
ok "plan --pin spread on CPUs without a node returns 0 in time (it looped): exit $?, $(tail -n 2 "$tmp/plan")" \
	test $? -eq 0
ok "plan names its topology" \
	grep -qxF "topology: from HWLOC_XMLFILE=$fix/nodeless-cpus.xml, not this machine" "$tmp/plan"
ok "spread, 12 threads: nodes 0 and 1 in turn, then the CPUs without a node, cores first: $(grep -F '12 threads' "$tmp/plan")" \
	grep -qF "12 threads:  0:0/0 1:2/1 2:1/0 3:3/1 4:4/0 5:5/0 6:6/0 7:8/1 8:7/0 9:9/1 10:10/0 11:11/0" "$tmp/plan"
plan_pins uneven-packages.xml scatter 2,6
ok "scatter, 2 threads: one per package of unequal size: $(grep -F '2 threads' "$tmp/plan")" \
	grep -qF "2 threads:  0:0/0 1:4/1" "$tmp/plan"
ok "scatter, 6 threads: every core before a sibling: $(grep -F '6 threads' "$tmp/plan")" \
	grep -qF "6 threads:  0:0/0 1:4/1 2:1/0 3:5/1 4:2/0 5:3/0" "$tmp/plan"
plan_pins offline-cpus.xml scatter 4
ok "scatter, 4 threads with offline siblings: one per core: $(grep -F '4 threads' "$tmp/plan")" \
	grep -qF "4 threads:  0:0/0 1:1/0 2:6/0 3:3/0" "$tmp/plan"

"$kmbench" --help > "$tmp/help"
ok "--help says all but compact take cores before SMT siblings" \
	grep -qF "all but compact take one PU on every core before any SMT sibling" "$tmp/help"

kmb_test_end
