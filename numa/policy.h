/*
 * policy.h - node policies (kmbench/mempolicy.h): their text form, checking one against the
 * machine, the nodes it intends for a thread, and applying it to the calling thread with
 * set_mempolicy(2).  Node lists and the farthest-node rule live here too, as pure functions,
 * so that topology.c (hwloc's distances) and placement.c (libnuma's) share one definition.
 *
 * Text form, as `--numa-policy` takes it and results record it:
 *
 *   local              the thread's own node                       MPOL_LOCAL
 *   node:N             exactly node N                              MPOL_BIND {N}
 *   remote             exactly the node farthest from the thread's MPOL_BIND {farthest}
 *   preferred:N        node N first, others when it is full        MPOL_PREFERRED N
 *   bind:LIST          only the nodes of LIST                      MPOL_BIND LIST
 *   interleave[:LIST]  round robin over LIST (default: every node with memory)
 *                                                                  MPOL_INTERLEAVE LIST
 *
 * LIST is comma-separated node numbers and ranges, "0,2-3".  The last column is what
 * kmb_mpol_apply_self() asks the kernel for.
 *
 * Parsing and formatting are pure; kmb_mpol_check(), kmb_mpol_intended() and
 * kmb_mpol_apply_self() ask the machine (through placement.h).  Any thread may call any of
 * them; _self acts on the calling thread only.
 */
#ifndef KMB_NUMA_POLICY_H
#define KMB_NUMA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "kmbench/mempolicy.h"

/* The policy names accepted, for messages. */
#define KMB_MPOL_SYNTAX "local, node:N, remote, preferred:N, bind:LIST, interleave[:LIST] " \
	"(LIST like 0,2-3)"

/*
 * kmb_nodes_parse - "0,2-3" into a mask of nodes 0..63.  0, or -EINVAL (empty list or item,
 * not a number, a range backwards) or -ERANGE (a node above 63); *out is written on success
 * only.
 */
int kmb_nodes_parse(const char *s, uint64_t *out);
/* kmb_nodes_format - @mask as "0,2-3" ("" for none) into @buf; returns @buf. */
const char *kmb_nodes_format(uint64_t mask, char *buf, size_t len);

/*
 * kmb_farthest_node - of the nodes in @candidates other than @from, the one with the largest
 * @distance(@ctx, @from, node); ties, and distances that are all unknown (0), go to the lowest
 * node number.  -ENODEV when there is no candidate other than @from.
 */
int kmb_farthest_node(int from, uint64_t candidates, int (*distance)(void *ctx, int a, int b),
		      void *ctx);

/* The name of a mode as the text form spells it ("default" for KMB_MPOL_DEFAULT). */
const char *kmb_mpol_mode_name(enum kmb_mpol_mode mode);

/*
 * kmb_mpol_parse - the text form into @out.  0, or -EINVAL with one line in @err that names
 * what is wrong and the valid forms (no option name: the caller prefixes it).  Checks the
 * syntax only; kmb_mpol_check() asks the machine.
 */
int kmb_mpol_parse(const char *s, struct kmb_mempolicy *out, char *err, size_t errlen);
/* kmb_mpol_format - the text form of @p, which kmb_mpol_parse() reads back; "default" for
 * none.  Returns @buf. */
const char *kmb_mpol_format(const struct kmb_mempolicy *p, char *buf, size_t len);

/*
 * kmb_mpol_check - can this machine place memory as @p says?  Every node it names must exist
 * with memory, and remote needs a second node with memory.  0, or -ENODEV with one line in
 * @err naming the nodes that do exist.
 */
int kmb_mpol_check(const struct kmb_mempolicy *p, char *err, size_t errlen);

/*
 * kmb_mpol_intended - the nodes @p intends for memory allocated by a thread whose node is
 * @home: {home} for default and local (the kernel's default is local allocation), the node
 * for node and preferred, the farthest from @home for remote (by the machine's distances; 0
 * when there is none), the set for bind and interleave (every node with memory for interleave
 * without a list).
 */
uint64_t kmb_mpol_intended(const struct kmb_mempolicy *p, int home);

/*
 * kmb_mpol_apply_self - make @p the calling thread's memory policy (the table above), for a
 * thread on node @home (remote needs it).  The default policy changes nothing.  0, or -errno
 * with one line in @err.  kmb_mpol_reset_self() gives the thread the default policy back.
 */
int kmb_mpol_apply_self(const struct kmb_mempolicy *p, int home, char *err, size_t errlen);
int kmb_mpol_reset_self(void);

#endif
