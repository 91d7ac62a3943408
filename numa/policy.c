/*
 * policy.c - node policies: text form, checks against the machine, intended nodes, and the
 * calling thread's set_mempolicy(2) (policy.h).
 *
 * How each policy maps onto the kernel's (mm/mempolicy.c): local is MPOL_LOCAL; preferred,
 * bind and interleave are the kernel's modes of the same names; node and remote, which the
 * kernel has no mode for, become MPOL_BIND on one node, the user-space form of
 * alloc_pages_node(nid, gfp | __GFP_THISNODE).  Remote is resolved per thread: the node
 * farthest from the thread's own, by the SLIT distances /sys/devices/system/node reports.
 *
 * No state: every function works on its arguments and the machine.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "policy.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static const char *const mode_names[KMB_MPOL_NR_MODES] = {
	[KMB_MPOL_DEFAULT] = "default",
	[KMB_MPOL_LOCAL] = "local",
	[KMB_MPOL_NODE] = "node",
	[KMB_MPOL_REMOTE] = "remote",
	[KMB_MPOL_PREFERRED] = "preferred",
	[KMB_MPOL_BIND] = "bind",
	[KMB_MPOL_INTERLEAVE] = "interleave",
};

const char *kmb_mpol_mode_name(enum kmb_mpol_mode mode)
{
	return (unsigned int)mode < KMB_MPOL_NR_MODES ? mode_names[mode] : "?";
}

/* A node number: decimal digits only, the whole of [s, end).  -EINVAL, or -ERANGE above 63. */
static int parse_node(const char *s, const char *end, int *out)
{
	long v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (v < KMB_MPOL_MAX_NODES)
			v = v * 10 + (*s - '0');
	}
	if (v >= KMB_MPOL_MAX_NODES)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

int kmb_nodes_parse(const char *s, uint64_t *out)
{
	uint64_t mask = 0;
	int ret = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
		const char *dash = memchr(s, '-', (size_t)(end - s));
		int a, b, r;

		r = parse_node(s, dash ? dash : end, &a);
		if (!r)
			r = dash ? parse_node(dash + 1, end, &b) : (b = a, 0);
		if (r == -EINVAL || (!r && b < a))
			return -EINVAL;
		if (r)
			ret = -ERANGE;	/* keep looking for a syntax error, which says more */
		else
			for (int n = a; n <= b; n++)
				mask |= 1ULL << n;
		if (!comma)
			break;
		s = comma + 1;
	}
	if (!ret)
		*out = mask;
	return ret;
}

const char *kmb_nodes_format(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (int a = 0; a < KMB_MPOL_MAX_NODES && n < len; a++) {
		int b = a;

		if (!(mask >> a & 1))
			continue;
		while (b + 1 < KMB_MPOL_MAX_NODES && (mask >> (b + 1) & 1))
			b++;
		if (b == a)
			n += (size_t)snprintf(buf + n, len - n, "%s%d", n ? "," : "", a);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%d-%d", n ? "," : "", a, b);
		a = b;
	}
	return buf;
}

int kmb_farthest_node(int from, uint64_t candidates, int (*distance)(void *ctx, int a, int b),
		      void *ctx)
{
	int best = -ENODEV, best_d = -1;

	for (int n = 0; n < KMB_MPOL_MAX_NODES; n++) {
		int d;

		if (n == from || !(candidates >> n & 1))
			continue;
		d = distance(ctx, from, n);
		if (d > best_d) {	/* strictly farther: a tie keeps the lower number */
			best = n;
			best_d = d;
		}
	}
	return best;
}

/* The modes that take a node list after a colon, and how many nodes. */
static bool takes_nodes(enum kmb_mpol_mode m)
{
	return m == KMB_MPOL_NODE || m == KMB_MPOL_PREFERRED || m == KMB_MPOL_BIND ||
	       m == KMB_MPOL_INTERLEAVE;
}

static bool one_node(enum kmb_mpol_mode m)
{
	return m == KMB_MPOL_NODE || m == KMB_MPOL_PREFERRED;
}

int kmb_mpol_parse(const char *s, struct kmb_mempolicy *out, char *err, size_t errlen)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t n = colon ? (size_t)(colon - s) : (s ? strlen(s) : 0);
	enum kmb_mpol_mode m = KMB_MPOL_NR_MODES;
	uint64_t nodes = 0;
	int r;

	if (!s || !out)
		return ERR("no node policy; valid: " KMB_MPOL_SYNTAX);
	for (int i = KMB_MPOL_LOCAL; i < KMB_MPOL_NR_MODES; i++)
		if (strlen(mode_names[i]) == n && !strncmp(s, mode_names[i], n))
			m = (enum kmb_mpol_mode)i;
	if (m == KMB_MPOL_NR_MODES)
		return ERR("'%s' is not a node policy; valid: " KMB_MPOL_SYNTAX, s);
	if (colon && !takes_nodes(m))
		return ERR("'%s': %s takes no node; valid: " KMB_MPOL_SYNTAX, s, mode_names[m]);
	if (!colon && takes_nodes(m) && m != KMB_MPOL_INTERLEAVE)
		return ERR("'%s' needs %s; valid: " KMB_MPOL_SYNTAX, s,
			   one_node(m) ? "a node, e.g. node:0" : "a node list, e.g. bind:0,1");
	if (colon) {
		r = kmb_nodes_parse(colon + 1, &nodes);
		if (r == -ERANGE)
			return ERR("'%s': nodes above %d are not supported", s,
				   KMB_MPOL_MAX_NODES - 1);
		if (r)
			return ERR("'%s': '%s' is not a node %s; give %s", s, colon + 1,
				   one_node(m) ? "number" : "list",
				   one_node(m) ? "one number, e.g. 1" : "numbers and ranges, e.g. 0,2-3");
		if (one_node(m) && (nodes & (nodes - 1)))
			return ERR("'%s': %s takes one node; bind:LIST takes a set", s, mode_names[m]);
	}
	out->mode = m;
	out->nodes = nodes;
	return 0;
}

const char *kmb_mpol_format(const struct kmb_mempolicy *p, char *buf, size_t len)
{
	char nodes[256];

	if (takes_nodes(p->mode) && p->nodes)
		snprintf(buf, len, "%s:%s", kmb_mpol_mode_name(p->mode),
			 kmb_nodes_format(p->nodes, nodes, sizeof(nodes)));
	else
		snprintf(buf, len, "%s", kmb_mpol_mode_name(p->mode));
	return buf;
}

int kmb_mpol_check(const struct kmb_mempolicy *p, char *err, size_t errlen)
{
	uint64_t have = kmb_numa_memory_nodes(), missing = p->nodes & ~have;
	char pol[256], want[256], got[256];

	kmb_mpol_format(p, pol, sizeof(pol));
	kmb_nodes_format(have, got, sizeof(got));
	if (missing) {
		snprintf(err, errlen, "%s: this machine has no node %s with memory; nodes with "
			 "memory: %s", pol, kmb_nodes_format(missing, want, sizeof(want)), got);
		return -ENODEV;
	}
	if (p->mode == KMB_MPOL_REMOTE && !(have & (have - 1))) {
		snprintf(err, errlen, "remote: needs two nodes with memory; this machine has one "
			 "(node %s)", got);
		return -ENODEV;
	}
	return 0;
}

/* The interleave set: the given nodes, or every node with memory. */
static uint64_t interleave_nodes(const struct kmb_mempolicy *p)
{
	return p->nodes ? p->nodes : kmb_numa_memory_nodes();
}

static uint64_t remote_of(int home)
{
	int far = kmb_numa_farthest(home, kmb_numa_memory_nodes());

	return far < 0 ? 0 : 1ULL << far;
}

uint64_t kmb_mpol_intended(const struct kmb_mempolicy *p, int home)
{
	switch (p->mode) {
	case KMB_MPOL_DEFAULT:
	case KMB_MPOL_LOCAL:
		return home >= 0 && home < KMB_MPOL_MAX_NODES ? 1ULL << home : 0;
	case KMB_MPOL_REMOTE:
		return remote_of(home);
	case KMB_MPOL_INTERLEAVE:
		return interleave_nodes(p);
	default:
		return p->nodes;
	}
}

int kmb_mpol_apply_self(const struct kmb_mempolicy *p, int home, char *err, size_t errlen)
{
	enum kmb_mpol_mode mode = p->mode;
	uint64_t nodes = p->nodes;
	char pol[256];
	int r;

	switch (p->mode) {
	case KMB_MPOL_DEFAULT:
		return 0;
	case KMB_MPOL_NODE:
		mode = KMB_MPOL_BIND;
		break;
	case KMB_MPOL_REMOTE:
		mode = KMB_MPOL_BIND;
		nodes = remote_of(home);
		if (!nodes) {
			snprintf(err, errlen, "remote: no node other than %d has memory", home);
			return -ENODEV;
		}
		break;
	case KMB_MPOL_INTERLEAVE:
		nodes = interleave_nodes(p);
		break;
	default:
		break;
	}
	r = kmb_numa_set_policy_self(mode, nodes);
	if (r)
		snprintf(err, errlen, "set_mempolicy(%s) for %s: %s", kmb_mpol_mode_name(mode),
			 kmb_mpol_format(p, pol, sizeof(pol)), strerror(-r));
	return r;
}

int kmb_mpol_reset_self(void)
{
	return kmb_numa_set_policy_self(KMB_MPOL_DEFAULT, 0);
}
