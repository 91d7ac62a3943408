/*
 * registry.c - the table of workloads built from workloads.def.  Read-only; any thread.
 */
#include "workload.h"

#define KMB_WORKLOAD(id) extern const struct kmb_workload kmb_workload_##id;
#define KMB_WORKLOAD_IN(id, file) KMB_WORKLOAD(id)
#include "workloads.def"
#undef KMB_WORKLOAD_IN
#undef KMB_WORKLOAD

const struct kmb_workload *const kmb_workloads[] = {
#define KMB_WORKLOAD(id) &kmb_workload_##id,
#define KMB_WORKLOAD_IN(id, file) KMB_WORKLOAD(id)
#include "workloads.def"
#undef KMB_WORKLOAD_IN
#undef KMB_WORKLOAD
};
const size_t kmb_nr_workloads = sizeof(kmb_workloads) / sizeof(kmb_workloads[0]);
