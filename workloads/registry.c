/*
 * registry.c - the table of workloads built from workloads.def.  Read-only; any thread.
 */
#include <string.h>

#include "workload.h"

#define KMB_WORKLOAD(id) extern const struct kmb_workload kmb_workload_##id;
#include "workloads.def"
#undef KMB_WORKLOAD

const struct kmb_workload *const kmb_workloads[] = {
#define KMB_WORKLOAD(id) &kmb_workload_##id,
#include "workloads.def"
#undef KMB_WORKLOAD
};
const size_t kmb_nr_workloads = sizeof(kmb_workloads) / sizeof(kmb_workloads[0]);

const struct kmb_workload *kmb_workload_find(const char *name)
{
	for (size_t i = 0; i < kmb_nr_workloads; i++)
		if (strcmp(kmb_workloads[i]->name, name) == 0)
			return kmb_workloads[i];
	return NULL;
}
