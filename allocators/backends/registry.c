/*
 * registry.c - the table of backends built from backends.def, and the helpers every backend
 * shares.  Read-only after load; safe from any thread.
 */
#include <string.h>

#include "kmbench/backend.h"

#define KMB_VARIANT(id, file) KMB_BACKEND(id)
#define KMB_BACKEND(id) extern const struct kmb_backend_ops kmb_backend_##id;
#include "backends.def"
#undef KMB_BACKEND

const struct kmb_backend_ops *const kmb_backends[] = {
#define KMB_BACKEND(id) &kmb_backend_##id,
#include "backends.def"
#undef KMB_BACKEND
#undef KMB_VARIANT
};
const size_t kmb_nr_backends = sizeof(kmb_backends) / sizeof(kmb_backends[0]);

const struct kmb_backend_ops *kmb_backend_find(const char *name)
{
	for (size_t i = 0; i < kmb_nr_backends; i++)
		if (strcmp(kmb_backends[i]->name, name) == 0)
			return kmb_backends[i];
	return NULL;
}

size_t kmb_backend_alloc_bulk(const struct kmb_backend_ops *b, size_t size, gfp_t gfp, int node,
			      size_t n, void **out)
{
	if (b->alloc_bulk)
		return b->alloc_bulk(size, gfp, node, n, out);
	for (size_t i = 0; i < n; i++) {
		out[i] = b->alloc(size, gfp, node);
		if (!out[i]) {	/* all or nothing, as kmem_cache_alloc_bulk */
			while (i--)
				b->free(out[i], size);
			return 0;
		}
	}
	return n;
}

void kmb_backend_free_bulk(const struct kmb_backend_ops *b, size_t size, size_t n, void **p)
{
	if (b->free_bulk) {
		b->free_bulk(size, n, p);
		return;
	}
	for (size_t i = 0; i < n; i++)
		b->free(p[i], size);
}
