/*
 * planted.c - not part of the library: the plant that shows tests/alone/check.sh can fail.
 * kmb_alone_planted is alone.c plus this file, linked against kmb_harness as well as kmb_mm.
 * A static archive gives an executable only the members that resolve a reference, so a link
 * line alone proves nothing; this table references the Google Benchmark wrapper, the
 * workload registry and the backend registry, which pulls the harness, every workload,
 * every backend and libbenchmark into the program.  Nothing calls through it: the program
 * runs and passes as alone.c does, and check.sh must find what came along (the alone_planted
 * test).
 */
#include "gbench.h"
#include "kmbench/backend.h"
#include "workload.h"

__attribute__((used)) const void *const kmb_alone_planted_refs[] = {
	(const void *)kmb_gb_sysinfo,
	(const void *)kmb_workloads,
	(const void *)kmb_backend_find,
};
