#!/bin/sh
# python.sh setup|run SCALE - Debian's python3: dicts, lists and strings of SCALE x 100,000
# entries, three threads, a forked child that allocates, a subprocess, a 6 MiB bytearray (kmalloc's vmalloc
# range under the preload library); prints a hash of what it built.  The program workload
# (workloads/program.c) runs `setup` once in a fresh directory, untimed, then `run` there;
# tests/cli/preload.sh runs it under the shim.
# kmbench-cost: 0.52 (seconds of one run at scale 1 under glibc on the 2-core dev VM, quiet:
# `kmbench plan`'s estimate, docs/workloads.md)
set -eu
scale=${2:-1}
[ "$1" = setup ] && exit 0
export PYTHONHASHSEED=0
exec /usr/bin/python3 - "$scale" <<'PY'
import hashlib, os, subprocess, sys, threading
n = 100000 * int(sys.argv[1])
h = hashlib.sha256()
d = {}
for i in range(n):
    d["k%d" % i] = [i, str(i) * (i % 13), (i, -i)]
for k in sorted(d)[::997]:
    h.update(repr(d[k]).encode())
del d
def work(m, out):
    s = {}
    for i in range(m):
        s[i % 5000] = ("x" * (i % 300)) + str(i)
    out.append(sum(len(v) for v in s.values()))
res = []
ts = [threading.Thread(target=work, args=(n // 3 + j, res)) for j in range(3)]
for t in ts: t.start()
for t in ts: t.join()
h.update(repr(sorted(res)).encode())
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    l = [bytes(i % 4096) for i in range(20000)]
    os.write(w, str(sum(map(len, l))).encode())
    os._exit(0)
os.close(w)
h.update(os.read(r, 100))
os.waitpid(pid, 0)
h.update(subprocess.run(["echo", "sub"], capture_output=True).stdout)
big = bytearray(6 << 20)
big[-1] = 7
print(h.hexdigest(), len(big), big[-1])
PY
