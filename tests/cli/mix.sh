#!/bin/bash
# mix's size distribution (workloads/mix.c): drawn from a slabinfo 2.1 file's live objects, the
# built-in snapshot (workloads/mix-slabinfo.txt) or -W mix-slabinfo=FILE.
#  1. The built-in and the snapshot file given as FILE are the same distribution (the file's
#     caches, sizes, objects and bytes in context.options.mix), and the live sets drawn from it
#     have its mean size (requested_bytes / objects, within 5 standard errors).
#  2. A hand-made file with two sizes at 3:1, and one with a size 1000 times rarer than the
#     others: the live sets' mean size is the file's (the alias draw is exact, not quantised).
#  3. Bad files: one line naming the file and line, exit 2, nothing run, the run directory left
#     alone: missing, not version 2.1, a malformed line, active above num, objsize 0, every
#     active_objs 0, empty.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
batch=20000

kmb() {  # kmb NAME ARGS...: mix on glibc, one thread, --out $tmp/NAME; must exit 0
	local name=$1 rc; shift
	"$kmbench" run --backends glibc --workloads mix --threads 1 --batch $batch \
		--min-time 0.01 --repetitions 1 --quiet "$@" --out "$tmp/$name" \
		> "$tmp/$name.log" 2>&1; rc=$?
	ok "kmbench run mix $* exited $rc: $(tail -n 3 "$tmp/$name.log")" test "$rc" -eq 0
}

# mean_is DIR [FILE]: the live set's mean size is the distribution's (FILE's, parsed here, or
# context.options.mix's), within 5 standard errors of the mean of $batch draws.
mean_is() {
	"$py" - "$1/results.json" $batch "${2:-}" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
batch = int(sys.argv[2])
if sys.argv[3]:
    dist = {}
    for line in open(sys.argv[3]).read().splitlines()[1:]:
        f = line.split()
        if f and not line.startswith("#") and int(f[1]):
            dist[int(f[3])] = dist.get(int(f[3]), 0) + int(f[1])
else:
    dist = {s: n for s, n in d["context"]["options"]["mix"]["distribution"]}
n = sum(dist.values())
mean = sum(s * w for s, w in dist.items()) / n
sd = math.sqrt(sum(w * (s - mean) ** 2 for s, w in dist.items()) / n)
rows = [r for r in d["benchmarks"] if r["run_type"] == "iteration" and "requested_bytes" in r]
got = rows[0]["requested_bytes"] / batch
if not rows or abs(got - mean) > 5 * sd / math.sqrt(batch):
    print("  mean size %.1f, the distribution's %.1f (sd %.1f, %d draws)" % (got, mean, sd, batch))
    sys.exit(1)
PY
}

kmb builtin
kmb file -W mix-slabinfo="$src/workloads/mix-slabinfo.txt"
ok "the built-in distribution is workloads/mix-slabinfo.txt's" "$py" -c '
import json, sys
a, b = (json.load(open(p))["context"]["options"]["mix"] for p in sys.argv[1:])
assert a["slabinfo"].startswith("builtin") and b["slabinfo"].endswith("mix-slabinfo.txt"), (a, b)
del a["slabinfo"], b["slabinfo"]
assert a == b and a["objects"] > 0 and a["sizes"] == len(a["distribution"]), (a, b)
' "$tmp/builtin/results.json" "$tmp/file/results.json"
ok "built-in: the live set's mean size is the snapshot's" mean_is "$tmp/builtin" \
	"$src/workloads/mix-slabinfo.txt"

mkdir -p "$tmp/in"
hdr='slabinfo - version: 2.1
# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>'
printf '%s\na 3000 3000 100 40 1 : tunables 0 0 0 : slabdata 1 1 0\nb 1000 1200 1000 4 1 : tunables 0 0 0 : slabdata 1 1 0\nc 0 0 64 64 1 : tunables 0 0 0 : slabdata 0 0 0\n' "$hdr" > "$tmp/in/two"
printf '%s\na 5000 5000 64 64 1 : x\nb 5000 5000 128 32 1 : x\nr 10 10 65536 1 16 : x\n' "$hdr" > "$tmp/in/rare"
kmb two -W mix-slabinfo="$tmp/in/two"
ok "two sizes 3:1: the mean size (325)" mean_is "$tmp/two" "$tmp/in/two"
ok "two sizes 3:1: recorded" "$py" -c '
import json, sys
m = json.load(open(sys.argv[1]))["context"]["options"]["mix"]
assert m["distribution"] == [[100, 3000], [1000, 1000]] and m["caches"] == 2, m
' "$tmp/two/results.json"
kmb rare -W mix-slabinfo="$tmp/in/rare"
ok "a size 1000 times rarer: the mean size (about 161)" mean_is "$tmp/rare" "$tmp/in/rare"

# 3. Bad files.
mkdir -p "$tmp/run"
echo '{"sentinel": true}' > "$tmp/run/results.json"
bad() {  # bad "<substring of the one line>" FILE
	local err rc
	err=$("$kmbench" run --backends glibc --workloads mix --min-time 0.01 --quiet \
		-W mix-slabinfo="$2" --out "$tmp/run" 2>&1 >/dev/null); rc=$?
	ok "mix-slabinfo=$2: exit 2 and one line with '$1', got exit $rc: $err" \
		test "$rc" -eq 2 -a "$(printf '%s\n' "$err" | grep -c .)" -eq 1 -a \
		"${err/"$1"/}" != "$err"
}
bad "mix-slabinfo: $tmp/none: cannot open: No such file or directory" "$tmp/none"
printf 'slabinfo - version: 1.1\n' > "$tmp/v1"
bad "mix-slabinfo: $tmp/v1:1: not slabinfo version 2.1" "$tmp/v1"
printf '%s\na 10 10 64 64 1 : x\nb ten 10 64 64 1 : x\n' "$hdr" > "$tmp/word"
bad "mix-slabinfo: $tmp/word:4: expected \"name active_objs num_objs objsize ...\", got \"b ten" "$tmp/word"
printf '%s\nb 10\n' "$hdr" > "$tmp/short"
bad "mix-slabinfo: $tmp/short:3: expected" "$tmp/short"
printf '%s\na 11 10 64 64 1 : x\n' "$hdr" > "$tmp/over"
bad "mix-slabinfo: $tmp/over:3: cache a: active_objs above num_objs" "$tmp/over"
printf '%s\na 1 10 0 64 1 : x\n' "$hdr" > "$tmp/zero"
bad "mix-slabinfo: $tmp/zero:3: cache a: objsize not in 1..4194304" "$tmp/zero"
printf '%s\na 0 10 64 64 1 : x\n' "$hdr" > "$tmp/idle"
bad "mix-slabinfo: $tmp/idle: no cache with a live object" "$tmp/idle"
: > "$tmp/empty"
bad "mix-slabinfo: $tmp/empty: empty file" "$tmp/empty"
ok "the run directory is untouched" grep -q sentinel "$tmp/run/results.json"
ok "no part was written" test ! -e "$tmp/run/parts"
kmb_test_end
