#!/bin/bash
# preload.sh SHIM PRELOAD_API BUILD_TYPE - libkmbench-preload.so under real programs
# (docs/preload.md).
#
# Each program runs twice, on glibc and with LD_PRELOAD=SHIM, and must print the same: Debian's
# python3 (dicts, lists, strings, threads, a forked child that allocates, a subprocess), sqlite3
# building and querying a generated database, git on a small repository (init, add, commit,
# log, gc, fsck: many processes, and bash forks between them), xz -T2 (threads) and gzip round
# trips.  The shim must really be there: preload_api prints malloc_usable_size(malloc(100)),
# 128 from kmalloc-128 and 104 from glibc, the program's /proc/PID/maps names the library, and
# KMB_PRELOAD_STATS gives one line per process whose slab count is above 0 and whose error
# counts are 0.  preload_api checks the API's contracts, threads, fork while other threads
# allocate, and memory exhaustion (NULL and ENOMEM, then malloc works again).  Then the other
# kernel-style backends (KMB_PRELOAD_BACKEND) under python3; python3 under slub_debug FZPU
# without a report, and a double free reported and refused; bad environment values: one line,
# exit status 2.
# Skipped (77) in the sanitizer build, which builds no shim: ASan's runtime must come first in
# a process, and a preloaded allocator cannot sit under it.
set -u
shim=$1 api=$2 build_type=$3
if [ "$build_type" = Sanitize ]; then
	echo "skipped: the sanitizer build has no libkmbench-preload.so (ASan owns malloc)"
	exit 77
fi
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stats=$tmp/stats.log
# A smaller model than the 1G default: each process builds it, and git starts dozens.
export KMB_PRELOAD_MEM=256M

shimmed() {
	LD_PRELOAD=$shim KMB_PRELOAD_STATS=$stats "$@"
}

# same NAME COMMAND...: COMMAND's stdout (and exit status) on glibc and under the shim are
# the same; each run in a fresh directory of its own.
same() {
	local name=$1 rc1 rc2; shift
	mkdir -p "$tmp/$name.glibc" "$tmp/$name.shim"
	(cd "$tmp/$name.glibc" && "$@") > "$tmp/$name.glibc.out" 2> "$tmp/$name.glibc.err"
	rc1=$?
	(cd "$tmp/$name.shim" && shimmed "$@") > "$tmp/$name.shim.out" 2> "$tmp/$name.shim.err"
	rc2=$?
	ok "$name: exit $rc1 on glibc, $rc2 under the shim; stderr: $(tail -n 3 "$tmp/$name.shim.err")" \
		test "$rc1" -eq 0 -a "$rc2" -eq 0
	ok "$name: output differs under the shim: $(diff "$tmp/$name.glibc.out" \
		"$tmp/$name.shim.out" | head -n 5)" cmp -s "$tmp/$name.glibc.out" "$tmp/$name.shim.out"
	ok "$name: no output" test -s "$tmp/$name.glibc.out"
}

# --- the shim is mapped and serves malloc ---
ok "malloc_usable_size(malloc(100)) is not kmalloc-128's 128 under the shim" \
	test "$(shimmed "$api" live)" = 128
ok "preload_api live: glibc's 104 expected without the shim" test "$("$api" live)" = 104
ok "/proc/PID/maps of a program under the shim does not name the library" \
	test "$(shimmed bash -c 'grep -c libkmbench-preload /proc/$$/maps')" -gt 0

# --- the API ---
for what in api threads fork; do
	ok "preload_api $what: $(shimmed "$api" "$what" 2>&1 | grep -m 3 -E 'FAIL|BUG|kmbench')" \
		shimmed "$api" "$what"
done
out=$(KMB_PRELOAD_MEM=32M shimmed "$api" exhaust 2>&1)
ok "preload_api exhaust with KMB_PRELOAD_MEM=32M: $(grep -m 3 -E 'FAIL|BUG' <<< "$out")" \
	grep -q '^exhaust: ok$' <<< "$out"

# --- real programs ---
: > "$stats"	# preload_api's own failures were meant
# The program workload's committed programs (workloads/programs/, docs/workloads.md): python3
# and sqlite3 as it runs them, setup then run in a fresh directory.
progs=$(cd "$(dirname "$0")/../../workloads/programs" && pwd)
pyrun=(sh "$progs/python.sh" run 1)
same python3 "${pyrun[@]}"
same sqlite3 sh -c "sh '$progs/sqlite.sh' setup 1 && sh '$progs/sqlite.sh' run 1"

git_script='export GIT_AUTHOR_NAME=k GIT_AUTHOR_EMAIL=k@example.org GIT_COMMITTER_NAME=k
export GIT_COMMITTER_EMAIL=k@example.org GIT_AUTHOR_DATE=2024-01-01T00:00:00Z
export GIT_COMMITTER_DATE=2024-01-01T00:00:00Z HOME=$PWD GIT_CONFIG_NOSYSTEM=1
git init -q -b main repo && cd repo || exit 1
for i in 1 2 3 4; do
	seq $i 3 20000 > f$i; seq 1 $i 9000 >> common
	git add f$i common && git commit -q -m "commit $i" || exit 1
done
git log --stat --format="%H %s" && git gc -q && git fsck --no-progress 2>&1 &&
git count-objects -v | grep -v size'
same git bash -c "$git_script"

seq 1 200000 > "$tmp/data"
same xz bash -c "xz -T2 -3 -c '$tmp/data' | xz -d -T2 | sha256sum"
same gzip bash -c "gzip -c '$tmp/data' | gzip -d | sha256sum"

# Every process under the shim said its counts: kmalloc served it, and nothing went wrong.
ok "KMB_PRELOAD_STATS: no lines" test -s "$stats"
for prog in python3 sqlite3 git xz gzip; do
	ok "no $prog process under the shim allocated from slab" \
		grep -qE "^kmbench-preload: pid [0-9]+ $prog backend kmalloc: slab [1-9]" "$stats"
done
ok "errors under the shim: $(grep -m 1 -vE 'failed 0;.*slab_errors 0 bad_page 0' "$stats")" \
	bash -c "! grep -vqE 'failed 0;.*slab_errors 0 bad_page 0' '$stats'"
echo "$(wc -l < "$stats") processes ran under the shim"

# --- the other kernel-style backends ---
for be in slab slab-packed slab-nosheaves slab-thread slab-cpu-lock; do
	: > "$stats"
	KMB_PRELOAD_BACKEND=$be shimmed "${pyrun[@]}" > "$tmp/$be.out" 2> "$tmp/$be.err"
	ok "$be: output differs from glibc's: $(tail -n 2 "$tmp/$be.err")" \
		cmp -s "$tmp/python3.glibc.out" "$tmp/$be.out"
	ok "$be: the stats do not name the backend: $(head -n 1 "$stats")" \
		grep -q "python3 backend $be: slab [1-9]" "$stats"
done
for be in slab-packed slab-colored slab-none; do	# their own caches' alignment and zeroing
	ok "preload_api api under $be: $(KMB_PRELOAD_BACKEND=$be shimmed "$api" api 2>&1 |
		grep -m 3 -E 'FAIL|BUG')" env KMB_PRELOAD_BACKEND=$be LD_PRELOAD="$shim" "$api" api
done

# --- slub_debug: real programs under red zones, poison and checks; a double free caught ---
: > "$stats"
KMB_PRELOAD_SLUB_DEBUG=FZPU shimmed "${pyrun[@]}" > "$tmp/debug.out" 2> "$tmp/debug.err"
ok "KMB_PRELOAD_SLUB_DEBUG=FZPU: output differs from glibc's: $(grep -m 2 BUG "$tmp/debug.err")" \
	cmp -s "$tmp/python3.glibc.out" "$tmp/debug.out"
ok "KMB_PRELOAD_SLUB_DEBUG=FZPU: slab reports under python3: $(grep -m 2 BUG "$tmp/debug.err")" \
	grep -qE "python3 backend kmalloc: slab [1-9].* slab_errors 0 bad_page 0" "$stats"
: > "$stats"
out=$(KMB_PRELOAD_SLUB_DEBUG=F shimmed "$api" misuse 2>&1); rc=$?
ok "a double free under slub_debug F: exit $rc, not reported and refused: $(tail -n 2 <<< "$out")" \
	test "$rc" -eq 0 -a -n "$(grep -F 'Object already free' <<< "$out")"
ok "a double free: not counted in slab_errors: $(cat "$stats")" grep -q "slab_errors 1 " "$stats"

# --- bad values: one line naming the choices, exit status 2, the program not run ---
bad() {	# bad VAR=VALUE WANT
	local out rc
	out=$(env "$1" LD_PRELOAD="$shim" bash -c 'echo ran' 2>&1); rc=$?
	ok "$1: exit $rc, not 2" test "$rc" -eq 2
	ok "$1: wanted one line with '$2', got: $out" \
		test "$(wc -l <<< "$out")" -eq 1 -a -n "$(grep -F -- "$2" <<< "$out")"
}
bad KMB_PRELOAD_BACKEND=slub "valid: kmalloc, slab, slab-packed"
bad KMB_PRELOAD_MEM=3M "a multiple of 4M"
bad KMB_PRELOAD_MEM=lots "a multiple of 4M"
bad KMB_PRELOAD_MEM=100T "64G per NUMA node"
bad KMB_PRELOAD_SLUB_DEBUG=FX "F, Z, P, U"
bad KMB_PRELOAD_STATS=/nonexistent/dir/x "give 1 (stderr) or a file"

kmb_test_end
