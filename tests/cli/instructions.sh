#!/bin/bash
# scripts/instructions under valgrind for glibc, slab and slab-cpu-lock, 20000 pairs each,
# twice: the JSON has every field, positive integer counts, and the counts are the same both
# times (deterministic).  Without rseq (valgrind) slab's default mode falls back to thread, no
# sched_getcpu(); slab-cpu-lock reads the CPU with it.  Skipped (77) where valgrind is not installed, and in the sanitizer build
# (an AddressSanitizer binary cannot run under valgrind).
set -u
kmbench=$1 src=$2 build_type=${3:-}
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	echo "skipped: valgrind is not installed (Debian package valgrind; scripts/test installs it)"
	exit 77
fi
if [ "$build_type" = Sanitize ]; then
	echo "skipped: an AddressSanitizer build cannot run under valgrind"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in 1 2; do
	"$src/scripts/instructions" --kmbench "$kmbench" --backends glibc,slab,slab-cpu-lock --pairs 20000 \
		--out "$tmp/$i.json" || { echo "FAIL: scripts/instructions exited $?"; exit 1; }
done
/usr/bin/python3 - "$tmp/1.json" "$tmp/2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ctx = a["context"]
for key in ("valgrind", "host", "date", "git_commit", "size", "pairs", "note"):
    assert key in ctx, f"context.{key} missing"
assert ctx["valgrind"].startswith("valgrind-"), ctx["valgrind"]
assert ctx["size"] == 64 and ctx["pairs"] == 20000, ctx
assert "rseq" in ctx["note"] and "user-space" in ctx["note"], ctx["note"]
assert sorted(a["backends"]) == ["glibc", "slab", "slab-cpu-lock"], a["backends"]
for name, r in a["backends"].items():
    assert r["status"] == "ok", (name, r)
    for key in ("instructions_per_pair", "instructions"):
        v = r[key]
        assert isinstance(v, int) and not isinstance(v, bool) and v > 0, (name, key, v)
    # at least a call, a return and a store per pair; far fewer than a page per pair
    assert 5 <= r["instructions_per_pair"] < 100000, (name, r)
    assert r["instructions"] == b["backends"][name]["instructions"], \
        f"{name}: {r['instructions']} then {b['backends'][name]['instructions']}: not deterministic"
assert a["backends"]["slab"]["sched_getcpu_per_pair"] == 0, a["backends"]["slab"]
assert a["backends"]["slab-cpu-lock"]["sched_getcpu_per_pair"] > 0, a["backends"]["slab-cpu-lock"]
# thread mode takes neither the guard's atomic nor the system call
assert a["backends"]["slab"]["instructions_per_pair"] < \
    a["backends"]["slab-cpu-lock"]["instructions_per_pair"], a["backends"]
print("ok:", {n: r["instructions_per_pair"] for n, r in a["backends"].items()})
PY
