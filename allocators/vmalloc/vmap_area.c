/*
 * vmap_area.c - the address allocator of the vmalloc window (mm/vmalloc.c: alloc_vmap_area,
 * free_vmap_area, find_vmap_area).
 *
 * The window is a set of ranges, each either free or busy (an area: vmalloc, vmap, ioremap or
 * get_vm_area).  Free ranges sit in the free tree, busy ones in the busy tree, both balanced
 * binary trees keyed by start address (AVL here, red-black in the kernel).  A free-tree node
 * also keeps subtree_max_size, the largest free range in its subtree, so the lowest free range
 * of at least some size is found in one descent: go left while the left subtree has one, else
 * take this node if it is big enough, else go right (the kernel's find_vmap_lowest_match()).
 *
 * Allocation takes the lowest range that fits and clips the request off it, as the kernel's
 * va_clip(): the whole range (FL), its start (LE), its end (RE), or its middle (NE, which
 * splits it in two and needs a new node).  A free merges the range with the free ranges that
 * end where it starts and start where it ends (merge_or_add_vmap_area()).  Clipping and merging
 * change a node's bounds in place where the tree order allows, and then only the subtree
 * maxima on the path to it are recomputed.
 *
 * Invariants (vmap_area_check): both trees ordered, AVL-balanced, with correct heights and
 * maxima; free ranges never adjacent (they would have merged); free and busy ranges never
 * overlap and together cover the window, except for ranges in flight between the two trees
 * (an area being set up or torn down), which no tree holds.
 *
 * Locks: free_lock covers the free tree and the spare nodes, busy_lock the busy tree; they are
 * never held together, and neither across an allocation: a node the free tree may need is
 * taken from the spares or allocated before the lock (the kernel's ne_fit_preload_node).
 *
 * Assertions (base/config.h): a range taken or given back lies in the window, page-aligned,
 * at KMB_DEBUG >= 1; at 3 the tree changed is checked whole (tree_is_valid()) before its lock
 * is dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmalloc.h"

#define VMAP_MAX_SPARE	64	/* spare free-tree nodes kept for reuse */

/* --- the AVL tree, shared by both --- */

static inline unsigned long va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

static inline int va_height(const struct vmap_area *va)
{
	return va ? va->height : 0;
}

static inline unsigned long va_max(const struct vmap_area *va)
{
	return va ? va->subtree_max_size : 0;
}

/* Recompute @va's height and subtree maximum from its children. */
static inline void va_update(struct vmap_area *va)
{
	unsigned long m = va_size(va);
	int hl = va_height(va->left), hr = va_height(va->right);

	if (va_max(va->left) > m)
		m = va_max(va->left);
	if (va_max(va->right) > m)
		m = va_max(va->right);
	va->subtree_max_size = m;
	va->height = 1 + (hl > hr ? hl : hr);
}

static struct vmap_area *rotate_right(struct vmap_area *va)
{
	struct vmap_area *l = va->left;

	va->left = l->right;
	l->right = va;
	va_update(va);
	va_update(l);
	return l;
}

static struct vmap_area *rotate_left(struct vmap_area *va)
{
	struct vmap_area *r = va->right;

	va->right = r->left;
	r->left = va;
	va_update(va);
	va_update(r);
	return r;
}

/* The subtree at @va after one of its children changed height by at most one. */
static struct vmap_area *rebalance(struct vmap_area *va)
{
	int balance;

	va_update(va);
	balance = va_height(va->left) - va_height(va->right);
	if (balance > 1) {
		if (va_height(va->left->left) < va_height(va->left->right))
			va->left = rotate_left(va->left);
		return rotate_right(va);
	}
	if (balance < -1) {
		if (va_height(va->right->right) < va_height(va->right->left))
			va->right = rotate_right(va->right);
		return rotate_left(va);
	}
	return va;
}

static struct vmap_area *tree_insert(struct vmap_area *root, struct vmap_area *va)
{
	if (!root) {
		va->left = va->right = NULL;
		va_update(va);
		return va;
	}
	if (va->va_start < root->va_start)
		root->left = tree_insert(root->left, va);
	else
		root->right = tree_insert(root->right, va);
	return rebalance(root);
}

static struct vmap_area *tree_remove_min(struct vmap_area *root, struct vmap_area **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = tree_remove_min(root->left, min);
	return rebalance(root);
}

/* Remove the node keyed @start (it must be there). */
static struct vmap_area *tree_remove(struct vmap_area *root, unsigned long start)
{
	struct vmap_area *l, *r, *min;

	if (start < root->va_start) {
		root->left = tree_remove(root->left, start);
		return rebalance(root);
	}
	if (start > root->va_start) {
		root->right = tree_remove(root->right, start);
		return rebalance(root);
	}
	l = root->left;
	r = root->right;
	if (!r)
		return l;
	r = tree_remove_min(r, &min);
	min->left = l;
	min->right = r;
	return rebalance(min);
}

/* After the bounds of the node keyed @start changed without changing the tree order: the
 * subtree maxima on the path to it. */
static void tree_refresh(struct vmap_area *root, unsigned long start)
{
	if (!root)
		return;
	if (start < root->va_start)
		tree_refresh(root->left, start);
	else if (start > root->va_start)
		tree_refresh(root->right, start);
	va_update(root);
}

static struct vmap_area *tree_find(struct vmap_area *root, unsigned long start)
{
	while (root && root->va_start != start)
		root = start < root->va_start ? root->left : root->right;
	return root;
}

/* The node with the largest start below @start. */
static struct vmap_area *tree_find_prev(struct vmap_area *root, unsigned long start)
{
	struct vmap_area *best = NULL;

	while (root) {
		if (root->va_start < start) {
			best = root;
			root = root->right;
		} else {
			root = root->left;
		}
	}
	return best;
}

/* The lowest free range of at least @len bytes (find_vmap_lowest_match()): the maxima say
 * which subtree has one, so the descent never backtracks. */
static struct vmap_area *lowest_fit(struct vmap_area *va, unsigned long len)
{
	if (va_max(va) < len)
		return NULL;
	for (;;) {
		if (va_max(va->left) >= len)
			va = va->left;
		else if (va_size(va) >= len)
			return va;
		else
			va = va->right;
	}
}

/* --- spare nodes (free_lock held) --- */

static struct vmap_area *spare_get(void)
{
	struct vmap_area *va = vmw.spare;

	if (va) {
		vmw.spare = va->right;
		vmw.nr_spare--;
	}
	return va;
}

/* Keep @va for reuse; returns it when the spares are full (the caller frees it unlocked). */
static struct vmap_area *spare_put(struct vmap_area *va)
{
	if (vmw.nr_spare >= VMAP_MAX_SPARE)
		return va;
	va->right = vmw.spare;
	vmw.spare = va;
	vmw.nr_spare++;
	return NULL;
}

/* --- the free tree --- */

void vmap_area_init(unsigned long start, unsigned long end)
{
	struct vmap_area *va = calloc(1, sizeof(*va));

	spin_lock_init(&vmw.free_lock);
	spin_lock_init(&vmw.busy_lock);
	vmw.free_root = vmw.busy_root = NULL;
	if (!va)
		return;		/* an empty window: every allocation fails */
	va->va_start = start;
	va->va_end = end;
	vmw.free_root = tree_insert(NULL, va);
}

static void tree_free(struct vmap_area *va)
{
	if (!va)
		return;
	tree_free(va->left);
	tree_free(va->right);
	free(va);
}

/* Busy areas still there are their owners' (vmalloc.c frees them); free ranges are ours. */
void vmap_area_teardown(void)
{
	struct vmap_area *va;

	tree_free(vmw.free_root);
	vmw.free_root = NULL;
	while ((va = spare_get()))
		free(va);
	vmw.busy_root = NULL;
}

static bool tree_is_valid(const struct vmap_area *root, const char *tree);

static inline bool range_in_window(unsigned long start, unsigned long end)
{
	return start < end && !(start & ~PAGE_MASK) && !(end & ~PAGE_MASK) &&
	       start >= VMALLOC_START && end <= VMALLOC_END;
}

unsigned long alloc_vmap_area(unsigned long size, unsigned long align)
{
	unsigned long len = size, addr, end;
	struct vmap_area *fb, *node = NULL, *drop = NULL;

	/* With an alignment above a page, ask for enough that any range found fits aligned (the
	 * kernel's adjust_search_size()). */
	if (align > PAGE_SIZE && __builtin_add_overflow(size, align - PAGE_SIZE, &len))
		return 0;
	for (;;) {
		spin_lock(&vmw.free_lock);
		fb = lowest_fit(vmw.free_root, len);
		if (!fb) {
			if (node)
				drop = spare_put(node);
			spin_unlock(&vmw.free_lock);
			free(drop);
			return 0;
		}
		addr = (fb->va_start + align - 1) & ~(align - 1);
		end = addr + size;
		/* Only a clip from the middle needs a node. */
		if (addr == fb->va_start || end == fb->va_end || node || (node = spare_get()))
			break;
		spin_unlock(&vmw.free_lock);
		node = malloc(sizeof(*node));
		if (!node)
			return 0;
	}
	if (addr == fb->va_start && end == fb->va_end) {	/* FL: the whole range */
		vmw.free_root = tree_remove(vmw.free_root, fb->va_start);
		drop = spare_put(fb);
	} else if (addr == fb->va_start) {			/* LE: its start */
		fb->va_start = end;
		tree_refresh(vmw.free_root, fb->va_start);
	} else if (end == fb->va_end) {				/* RE: its end */
		fb->va_end = addr;
		tree_refresh(vmw.free_root, fb->va_start);
	} else {						/* NE: its middle */
		node->va_start = end;
		node->va_end = fb->va_end;
		fb->va_end = addr;
		tree_refresh(vmw.free_root, fb->va_start);
		vmw.free_root = tree_insert(vmw.free_root, node);
		node = NULL;
	}
	if (node)
		node = spare_put(node);
	kmb_assert(range_in_window(addr, end));
	kmb_expensive_assert(tree_is_valid(vmw.free_root, "free"));
	spin_unlock(&vmw.free_lock);
	free(drop);
	free(node);
	return addr;
}

void free_vmap_area(unsigned long start, unsigned long size)
{
	unsigned long end = start + size;
	struct vmap_area *prev, *next, *node = NULL, *drop = NULL;

	kmb_assert(range_in_window(start, end));
	for (;;) {
		spin_lock(&vmw.free_lock);
		next = tree_find(vmw.free_root, end);
		prev = tree_find_prev(vmw.free_root, start);
		if (prev && prev->va_end != start)
			prev = NULL;
		if (prev || next || node || (node = spare_get()))
			break;
		spin_unlock(&vmw.free_lock);
		node = malloc(sizeof(*node));
		if (!node) {
			kmb_report("vmalloc: no memory for a free-range node: %#lx-%#lx is lost to "
				   "the window", start, end);
			return;
		}
	}
	if (prev && next) {		/* between two free ranges: one range of the three */
		prev->va_end = next->va_end;
		vmw.free_root = tree_remove(vmw.free_root, next->va_start);
		tree_refresh(vmw.free_root, prev->va_start);
		drop = spare_put(next);
	} else if (next) {		/* grows the next one down */
		next->va_start = start;
		tree_refresh(vmw.free_root, start);
	} else if (prev) {		/* grows the previous one up */
		prev->va_end = end;
		tree_refresh(vmw.free_root, prev->va_start);
	} else {
		node->va_start = start;
		node->va_end = end;
		vmw.free_root = tree_insert(vmw.free_root, node);
		node = NULL;
	}
	if (node)
		node = spare_put(node);
	kmb_expensive_assert(tree_is_valid(vmw.free_root, "free"));
	spin_unlock(&vmw.free_lock);
	free(drop);
	free(node);
}

void vmap_free_info(unsigned long *largest, unsigned long *bytes, unsigned long *nr)
{
	struct vmap_area *stack[128], *va;
	int depth = 0;

	*bytes = *nr = 0;
	spin_lock(&vmw.free_lock);
	*largest = va_max(vmw.free_root);
	/* An AVL tree of n nodes is at most 1.44 log2(n) deep: 128 is never reached. */
	for (va = vmw.free_root; va || depth;) {
		if (va) {
			stack[depth++] = va;
			va = va->left;
			continue;
		}
		va = stack[--depth];
		*bytes += va_size(va);
		(*nr)++;
		va = va->right;
	}
	spin_unlock(&vmw.free_lock);
}

/* --- the busy tree (busy_lock held where not said) --- */

void insert_vmap_area(struct vmap_area *va)
{
	kmb_assert(range_in_window(va->va_start, va->va_end));
	vmw.busy_root = tree_insert(vmw.busy_root, va);
	kmb_expensive_assert(tree_is_valid(vmw.busy_root, "busy"));
}

struct vmap_area *unlink_vmap_area(unsigned long addr)
{
	struct vmap_area *va = tree_find(vmw.busy_root, addr);

	if (va)
		vmw.busy_root = tree_remove(vmw.busy_root, addr);
	kmb_expensive_assert(tree_is_valid(vmw.busy_root, "busy"));
	return va;
}

struct vmap_area *find_vmap_area_locked(unsigned long addr)
{
	struct vmap_area *va = vmw.busy_root;

	while (va) {
		if (addr < va->va_start)
			va = va->left;
		else if (addr >= va->va_end)
			va = va->right;
		else
			return va;
	}
	return NULL;
}

static int walk(struct vmap_area *va, int (*fn)(struct vmap_area *va, void *arg), void *arg)
{
	int r;

	if (!va)
		return 0;
	r = walk(va->left, fn, arg);
	if (!r)
		r = fn(va, arg);
	if (!r)
		r = walk(va->right, fn, arg);
	return r;
}

int vmap_busy_walk(int (*fn)(struct vmap_area *va, void *arg), void *arg)
{
	return walk(vmw.busy_root, fn, arg);
}

/* --- the check --- */

struct range_list {
	unsigned long (*r)[2];
	size_t n, cap;
	bool nomem;
};

static void range_add(struct range_list *l, const struct vmap_area *va)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		void *p = realloc(l->r, cap * sizeof(l->r[0]));

		if (!p) {
			l->nomem = true;
			return;
		}
		l->r = p;
		l->cap = cap;
	}
	l->r[l->n][0] = va->va_start;
	l->r[l->n][1] = va->va_end;
	l->n++;
}

/* One tree: shape, heights, maxima, order; its ranges into @l in address order.  The bound
 * @lo is the end of the range before (ranges must not overlap). */
static int check_tree(const struct vmap_area *va, const char *tree, unsigned long *lo,
		      struct range_list *l, char *why, size_t whylen)
{
	unsigned long m;
	int r, hl, hr;

	if (!va)
		return 0;
	r = check_tree(va->left, tree, lo, l, why, whylen);
	if (r)
		return r;
	CHECK(va->va_start < va->va_end && !(va->va_start & ~PAGE_MASK) &&
	      !(va->va_end & ~PAGE_MASK), "%s tree: range %#lx-%#lx is empty or not page-aligned",
	      tree, va->va_start, va->va_end);
	CHECK(va->va_start >= VMALLOC_START && va->va_end <= VMALLOC_END,
	      "%s tree: range %#lx-%#lx outside the window %#lx-%#lx", tree, va->va_start,
	      va->va_end, VMALLOC_START, VMALLOC_END);
	CHECK(va->va_start >= *lo, "%s tree: range %#lx-%#lx overlaps or precedes the one before "
	      "(ending at %#lx)", tree, va->va_start, va->va_end, *lo);
	*lo = va->va_end;
	range_add(l, va);
	hl = va_height(va->left);
	hr = va_height(va->right);
	CHECK(va->height == 1 + (hl > hr ? hl : hr) && hl - hr <= 1 && hr - hl <= 1,
	      "%s tree: node %#lx has height %d over children of %d and %d", tree, va->va_start,
	      va->height, hl, hr);
	m = va_size(va);
	m = va_max(va->left) > m ? va_max(va->left) : m;
	m = va_max(va->right) > m ? va_max(va->right) : m;
	CHECK(va->subtree_max_size == m, "%s tree: node %#lx says its subtree's largest range is "
	      "%lu bytes, it is %lu", tree, va->va_start, va->subtree_max_size, m);
	return check_tree(va->right, tree, lo, l, why, whylen);
}

/* tree_is_valid - the validator of one tree, its lock held: check_tree's shape, heights,
 * maxima and order (what is wrong reported first).  O(n): in kmb_expensive_assert only. */
static bool tree_is_valid(const struct vmap_area *root, const char *tree)
{
	struct range_list l = { 0 };
	unsigned long lo = 0;
	char why[200];
	int r = check_tree(root, tree, &lo, &l, why, sizeof(why));

	free(l.r);
	if (r)
		kmb_report("%s", why);
	return !r;
}

/* Busy areas are whole: their vm_struct says the same range. */
static int check_busy_area(struct vmap_area *va, void *arg)
{
	unsigned long *bad = arg;
	const struct vm_struct *vm = va->vm;

	if (!vm || (unsigned long)vm->addr != va->va_start ||
	    vm->size != va->va_end - va->va_start ||
	    ((unsigned long)vm->nr_pages << PAGE_SHIFT) > vm->size) {
		*bad = va->va_start;
		return 1;
	}
	return 0;
}

/* A range of the purge list, counted in pages. */
struct lazy_ranges {
	struct range_list l;
	unsigned long pages;
};

static void lazy_add(const struct vmap_area *va, void *arg)
{
	struct lazy_ranges *lz = arg;

	range_add(&lz->l, va);
	lz->pages += (va->va_end - va->va_start) >> PAGE_SHIFT;
}

static int range_cmp(const void *a, const void *b)
{
	unsigned long x = ((const unsigned long *)a)[0], y = ((const unsigned long *)b)[0];

	return x < y ? -1 : x > y;
}

int vmap_area_check(char *why, size_t whylen)
{
	struct range_list busy = { 0 }, fr = { 0 };
	struct lazy_ranges lz = { { 0 }, 0 };
	unsigned long lo = 0, bad = 0, nr_busy, lazy_nr;
	int r;

	spin_lock(&vmw.busy_lock);
	r = check_tree(vmw.busy_root, "busy", &lo, &busy, why, whylen);
	if (!r && vmap_busy_walk(check_busy_area, &bad)) {
		snprintf(why, whylen, "busy area at %#lx: its vm_struct disagrees with its range",
			 bad);
		r = -EUCLEAN;
	}
	nr_busy = vmw.nr_busy;
	spin_unlock(&vmw.busy_lock);
	lo = 0;
	if (!r) {
		spin_lock(&vmw.free_lock);
		r = check_tree(vmw.free_root, "free", &lo, &fr, why, whylen);
		spin_unlock(&vmw.free_lock);
	}
	/* The lazily freed ranges (vmalloc.c's purge list) are neither busy nor free: they tile
	 * the window with the busy ones, as the ranges still in use until the purge. */
	vmap_lazy_walk(lazy_add, &lz);
	spin_lock(&vmw.purge_lock);
	lazy_nr = vmw.lazy_nr;
	spin_unlock(&vmw.purge_lock);
	if (!r && lz.pages != lazy_nr) {
		snprintf(why, whylen, "%lu pages on the purge list, the counter says %lu", lz.pages,
			 lazy_nr);
		r = -EUCLEAN;
	}
	if (!r && busy.n != nr_busy) {
		snprintf(why, whylen, "%zu busy areas in the tree, the counter says %lu", busy.n,
			 nr_busy);
		r = -EUCLEAN;
	}
	for (size_t i = 0; i < lz.l.n; i++)
		range_add(&busy, &(struct vmap_area){ .va_start = lz.l.r[i][0],
						       .va_end = lz.l.r[i][1] });
	if (lz.l.n && !busy.nomem)
		qsort(busy.r, busy.n, sizeof(busy.r[0]), range_cmp);
	if (!r && (busy.nomem || fr.nomem || lz.l.nomem)) {
		snprintf(why, whylen, "no memory to check the window");
		r = -ENOMEM;
	}
	for (size_t i = 1; !r && i < fr.n; i++)
		if (fr.r[i - 1][1] == fr.r[i][0]) {
			snprintf(why, whylen, "free ranges %#lx-%#lx and %#lx-%#lx are adjacent: "
				 "not merged", fr.r[i - 1][0], fr.r[i - 1][1], fr.r[i][0], fr.r[i][1]);
			r = -EUCLEAN;
		}
	/* Merge the two lists: together, in order, they tile the window. */
	lo = VMALLOC_START;
	for (size_t b = 0, f = 0; !r && (b < busy.n || f < fr.n);) {
		bool take_busy = f == fr.n || (b < busy.n && busy.r[b][0] < fr.r[f][0]);
		unsigned long *rg = take_busy ? busy.r[b++] : fr.r[f++];

		if (rg[0] != lo) {
			snprintf(why, whylen, "%s range %#lx-%#lx: %s at %#lx", take_busy ?
				 "busy (or lazily freed)" : "free", rg[0], rg[1], rg[0] < lo ? "overlaps the range ending" :
				 "a hole in the window (no tree holds it) from", lo);
			r = -EUCLEAN;
		}
		lo = rg[1];
	}
	if (!r && lo != VMALLOC_END) {
		snprintf(why, whylen, "the window's ranges end at %#lx, the window at %#lx", lo,
			 VMALLOC_END);
		r = -EUCLEAN;
	}
	free(busy.r);
	free(fr.r);
	free(lz.l.r);
	return r;
}
