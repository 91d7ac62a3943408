/*
 * registry.c - the table of backends built from backends.def, and the helpers every backend
 * shares: the bulk fallbacks and the backend options (backend.h kmb_backend_optset).
 * Read-only after load; safe from any thread.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* "64", "4K", "1M", "1G": bytes, binary suffixes; 1 to @max (backend.h). */
int kmb_parse_bytes(const char *s, unsigned long long max, size_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (*end || v == 0 || v > (max >> shift))
		return -EINVAL;
	*out = (size_t)(v << shift);
	return 0;
}

size_t kmb_backend_optsets(const struct kmb_backend_optset **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < kmb_nr_backends; i++) {
		const struct kmb_backend_optset *set = kmb_backends[i]->opts;
		size_t k = 0;

		while (k < n && out[k] != set)
			k++;
		if (set && k == n && n < max)
			out[n++] = set;
	}
	return n;
}

const struct kmb_backend_opt *kmb_optset_key(const struct kmb_backend_optset *set,
					     const char *key, size_t keylen)
{
	for (size_t i = 0; set && i < set->nopt; i++)
		if (strlen(set->opt[i].key) == keylen && !strncmp(set->opt[i].key, key, keylen))
			return &set->opt[i];
	return NULL;
}

const struct kmb_backend_opt *kmb_backend_opt_find(const char *key, size_t keylen,
						   const struct kmb_backend_optset **set)
{
	for (size_t i = 0; i < kmb_nr_backends; i++) {
		const struct kmb_backend_opt *opt =
			kmb_optset_key(kmb_backends[i]->opts, key, keylen);

		if (opt) {
			*set = kmb_backends[i]->opts;
			return opt;
		}
	}
	return NULL;
}

int kmb_backend_opts_parse(const struct kmb_backend_optset *set, const char *const *kv, void *st,
			   char *err, size_t errlen)
{
	memset(st, 0, set->size);
	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		size_t keylen = eq ? (size_t)(eq - kv[i]) : strlen(kv[i]);
		const struct kmb_backend_opt *opt = kmb_optset_key(set, kv[i], keylen);
		char why[256];

		if (!opt)
			continue;	/* another set's */
		if (!eq || opt->parse(st, eq + 1, why, sizeof(why))) {
			snprintf(err, errlen, "%.*s: %s", (int)keylen, kv[i],
				 eq ? why : "needs a value (KEY=VALUE)");
			return -EINVAL;
		}
	}
	return set->check ? set->check(st, err, errlen) : 0;
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
