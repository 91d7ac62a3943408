#!/bin/sh
# git.sh setup|run SCALE - git on a small repository: init, 4 commits of SCALE x 20,000 lines,
# log, gc, fsck: dozens of processes (workloads/program.c).  Dates and names are fixed, so the
# hashes and the output are the same every run.
# kmbench-cost: 0.35 (seconds of one run at scale 1 under glibc on the 2-core dev VM, quiet:
# `kmbench plan`'s estimate, docs/workloads.md)
set -eu
n=$((20000 * ${2:-1}))
[ "$1" = setup ] && exit 0
export GIT_AUTHOR_NAME=k GIT_AUTHOR_EMAIL=k@example.org GIT_COMMITTER_NAME=k
export GIT_COMMITTER_EMAIL=k@example.org GIT_AUTHOR_DATE=2024-01-01T00:00:00Z
export GIT_COMMITTER_DATE=2024-01-01T00:00:00Z HOME=$PWD GIT_CONFIG_NOSYSTEM=1
rm -rf repo
git init -q -b main repo
cd repo
for i in 1 2 3 4; do
	seq "$i" 3 "$n" > "f$i"
	seq 1 "$i" $((n / 2)) >> common
	git add "f$i" common
	git commit -q -m "commit $i"
done
git log --stat --format="%H %s"
git gc -q
git fsck --no-progress 2>&1
git count-objects -v | grep -v size
