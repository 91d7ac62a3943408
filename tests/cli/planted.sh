#!/bin/bash
# The cli tests' own checks, against faults planted on purpose: each must fail, and say why.
#   - vmalloc.sh with a kmbench that does its work and then exits 1 (as one whose backend
#     failed does): "FAIL: kmbench exited 0 (exited 1)";
#   - check_results.py pointed at a compare.py that is not there, on a good results.json:
#     exit 1, "compare.py: ... is missing";
#   - check_profile.py on that file with an alloc p90 above its p99 and an RSS point above the
#     peak: exit 1, naming both;
#   - check_results.py on that file with a row twice (a cell merged twice): exit 1, naming it.
# Usage: planted.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# A kmbench that runs the real one, then exits 1.
printf '#!/bin/bash\n"%s" "$@"\nexit 1\n' "$(realpath "$kmbench")" > "$tmp/kmbench-exit1"
chmod +x "$tmp/kmbench-exit1"
must_fail "vmalloc.sh, kmbench exiting 1" "FAIL: kmbench exited 0 (exited 1)" -- \
	bash "$src/tests/cli/vmalloc.sh" "$tmp/kmbench-exit1"

"$kmbench" run --backends glibc --workloads churn --sizes 64 --threads 1 --min-time 0.001 \
	--repetitions 1 --quiet --out "$tmp/run" > "$tmp/run.log" 2>&1 ||
	{ echo "FAIL: the run for check_results.py: $(tail -n 3 "$tmp/run.log")"; exit 1; }
must_fail "check_results.py, compare.py missing" \
	"FAIL: compare.py: $tmp/none/compare.py is missing" -- \
	/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/run/results.json" --threads 1 \
	--compare "$tmp/none/compare.py"

# check_profile.py on that run, then on a copy with one row's alloc p90 above its p99 and
# another's RSS point above its peak.
ok "check_profile.py on a good run" /usr/bin/python3 "$src/tests/cli/check_profile.py" \
	"$tmp/run/results.json"
/usr/bin/python3 - "$tmp/run/results.json" "$tmp/planted.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["benchmarks"] if "alloc_lat_p99_ns" in r]
rows[0]["alloc_lat_p90_ns"] = rows[0]["alloc_lat_p99_ns"] + 1
rows[-1]["kmbench"]["profile"]["timeline"]["rss_bytes"][0] = rows[-1]["peak_rss_bytes"] + 1
json.dump(d, open(sys.argv[2], "w"))
PY
must_fail "check_profile.py, p90 above p99 and RSS above its peak" \
	"alloc latency not ordered" "above peak_rss_bytes" -- \
	/usr/bin/python3 "$src/tests/cli/check_profile.py" "$tmp/planted.json"

/usr/bin/python3 - "$tmp/run/results.json" "$tmp/twice.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["benchmarks"].append(d["benchmarks"][0])
json.dump(d, open(sys.argv[2], "w"))
PY
must_fail "check_results.py, a row twice" "repetition 0: 2 rows" "kmbench.sequence" -- \
	/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/twice.json" --threads 1

kmb_test_end
