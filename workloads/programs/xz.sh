#!/bin/sh
# xz.sh setup|run SCALE - xz -T2 -6 compresses SCALE x 300,000 generated lines (2 MB at 1)
# and decompresses them again; prints the sizes and a checksum (workloads/program.c).
# kmbench-cost: 1.02 (seconds of one run at scale 1 under glibc on the 2-core dev VM, quiet:
# `kmbench plan`'s estimate, docs/workloads.md)
set -eu
if [ "$1" = setup ]; then
	seq 1 $((300000 * ${2:-1})) > data
	exit 0
fi
xz -T2 -6 -c data > data.xz
wc -c < data.xz
xz -d -c data.xz | cksum
