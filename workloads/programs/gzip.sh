#!/bin/sh
# gzip.sh setup|run SCALE - gzip -6 compresses SCALE x 1,000,000 generated lines and
# decompresses them again; prints the sizes and a checksum (workloads/program.c).
# kmbench-cost: 0.24 (seconds of one run at scale 1 under glibc on the 2-core dev VM, quiet:
# `kmbench plan`'s estimate, docs/workloads.md)
set -eu
if [ "$1" = setup ]; then
	seq 1 $((1000000 * ${2:-1})) > data
	exit 0
fi
gzip -6 -c data > data.gz
wc -c < data.gz
gzip -d -c data.gz | cksum
