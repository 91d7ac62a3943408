/*
 * preload.h - what libkmbench-preload.so (allocators/preload/, docs/preload.md) is, for those
 * who start programs under it: its file name, and the kernel-style backends its
 * KMB_PRELOAD_BACKEND serves, by their backend names.  preload.c's table of those backends'
 * settings must name the same ones (it refuses any other name with this list).
 */
#ifndef KMBENCH_PRELOAD_H
#define KMBENCH_PRELOAD_H

#define KMB_PRELOAD_LIB		"libkmbench-preload.so"
#define KMB_PRELOAD_BACKENDS	"kmalloc, slab, slab-packed, slab-colored, slab-nosheaves, " \
				"slab-bigsheaves, slab-none, slab-thread, slab-cpu-lock, " \
				"slab-cpu-rseq"

#endif
