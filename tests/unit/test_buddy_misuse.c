/*
 * test_buddy_misuse.c - misuse of the buddy page allocator is caught and reported (the checks of
 * __free_pages/free_pages/put_page/get_page and put_page_testzero in allocators/page/page_alloc.c;
 * bad_page and bad_address in allocators/page/page_debug.c).
 *
 * Every misuse runs twice:
 *  - "stops": in a fork()ed child booted with kmb_mm_config.debug = 1, its stderr read through
 *    a pipe.  The child must die of SIGABRT after one report whose lines all start with
 *    "kmbench: ", that names the frame as the kernel does ("BUG: Bad page state in process
 *    <comm>  pfn:%05lx", or "BUG: Bad page address in process <comm>  addr:%p" when there is
 *    no frame), says why ("page dumped because: ..."), and names the function that made the
 *    bad call ("caller: bad_...+0x..").  Those functions are exported (the executable is linked
 *    with -rdynamic), never inlined, and do not end in a tail call, so dladdr() finds them.
 *  - "goes on": in this process with debug = -1.  The call returns, kmb_mm_stats.bad_page grows
 *    by one, nothing was freed or taken, kmb_check_mm() finds the allocator intact, the
 *    correct free of the same block still works, and the allocator keeps allocating.
 *
 * The misuses: a free with the wrong order (smaller, larger, above MAX_PAGE_ORDER); a double
 * free of an order-0 page with and without per-CPU lists, and one of a page that has since
 * merged into a larger free block; the free of a tail frame; frees of addresses outside the
 * linear map (heap, stack) and of struct page pointers outside mem_map (a stack object, a
 * misaligned pointer into it, one past its end); the free of a memblock-reserved frame (from
 * memblock_alloc() and memblock_alloc_low(); a separate test checks that memblock_alloc() does
 * not hand out mem_map's own memory, which those rely on); get_page() on a free page and on a
 * struct page outside mem_map; put_page() on a free page; and the same order-0 page freed by
 * two threads at once, many times over, where exactly one free may go through.  An allocation
 * of order MAX_PAGE_ORDER + 1 is not misuse: it fails and the process goes on.
 *
 * The context a child fills in (the pfn it used, the address it freed) lives in a shared
 * anonymous mapping, so the parent checks the report against what the child really did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmbench/mm.h"
#include "mm_test.h"

#define NODE_MEM	(32UL << 20)
#define MAX_HELD	64

/* What a misuse works on.  In the shared mapping: a child writes it, the parent reads it. */
struct misuse_ctx {
	struct page *page;		/* the block the test allocated */
	struct page *held[MAX_HELD];	/* other blocks to give back afterwards */
	int nr_held;
	void *addr;			/* memblock memory, a heap buffer */
	unsigned long pfn;		/* the frame the report must name */
	const void *bad;		/* the address the report must name (address reports) */
	bool prepared, returned;	/* the child reached the misuse / came back from it */
	unsigned long bad_pages;	/* isolated "goes on": kmb_mm_stats.bad_page growth */
	int check;			/* isolated "goes on": kmb_check_mm() afterwards */
	int rounds, unreported;		/* concurrent double free: rounds run, missed reports */
	char why[200];			/* concurrent double free: kmb_check_mm()'s complaint */
};

struct misuse {
	int pcp;				/* 1 on, -1 off */
	void (*early)(struct misuse_ctx *c);	/* between kmb_mm_setup() and mem_init() */
	void (*prepare)(struct misuse_ctx *c);
	void (*act)(struct misuse_ctx *c);	/* the bad call, in a function named @caller */
	const char *caller;
	bool address;				/* "Bad page address" rather than a frame */
	const char *why[3];			/* what the report must say */
	void (*verify)(struct misuse_ctx *c);	/* "goes on": state right after the misuse */
	void (*after)(struct misuse_ctx *c);	/* "goes on": the correct frees */
	bool isolate;				/* "goes on" in a child too (see below) */
};

static struct misuse_ctx *ctx;	/* MAP_SHARED */
static bool in_child;

static void mm_boot(const struct misuse *m, int debug)
{
	struct kmb_mm_config cfg = {
		.nr_nodes = 1, .node_mem = NODE_MEM, .pcp = m->pcp, .debug = debug,
	};
	char why[256] = "";
	int r;

	r = kmb_mm_setup(&cfg, why, sizeof(why));
	if (r && in_child) {
		fprintf(stderr, "kmb_mm_setup: %d: %s\n", r, why);
		_exit(2);
	}
	if (r)
		fail_msg("kmb_mm_setup: %d: %s", r, why);
	if (m->early)
		m->early(ctx);
	mem_init();
}

static void hold(struct misuse_ctx *c, struct page *page)
{
	c->held[c->nr_held++] = page;
}

/* --- the misuses --- */

static void prep_order2(struct misuse_ctx *c)
{
	c->page = alloc_pages(GFP_KERNEL, 2);
	c->pfn = page_to_pfn(c->page);
}

static void after_order2(struct misuse_ctx *c)
{
	__free_pages(c->page, 2);
}

static void verify_still_allocated(struct misuse_ctx *c)
{
	assert_int_equal(page_count(c->page), 1);
}

NAMED_CALLER void bad_free_smaller_order(struct misuse_ctx *c)
{
	__free_pages(c->page, 1);
	keep_frame();
}

static const struct misuse wrong_order = {
	.pcp = -1, .prepare = prep_order2, .act = bad_free_smaller_order,
	.caller = "bad_free_smaller_order",
	.why = { "page dumped because: free with the wrong order: allocated as order 2, freed as "
		 "order 1" },
	.verify = verify_still_allocated, .after = after_order2,
};

NAMED_CALLER void bad_free_pages_larger_order(struct misuse_ctx *c)
{
	free_pages((unsigned long)page_address(c->page), 3);
	keep_frame();
}

static const struct misuse wrong_order_larger = {
	.pcp = 1, .prepare = prep_order2, .act = bad_free_pages_larger_order,
	.caller = "bad_free_pages_larger_order",
	.why = { "allocated as order 2, freed as order 3" },
	.verify = verify_still_allocated, .after = after_order2,
};

NAMED_CALLER void bad_free_order_above_max(struct misuse_ctx *c)
{
	__free_pages(c->page, MAX_PAGE_ORDER + 1);
	keep_frame();
}

static const struct misuse order_above_max = {
	.pcp = -1, .prepare = prep_order2, .act = bad_free_order_above_max,
	.caller = "bad_free_order_above_max",
	.why = { "page dumped because: free of an order above MAX_PAGE_ORDER" },
	.verify = verify_still_allocated, .after = after_order2,
};

static void prep_freed_page(struct misuse_ctx *c)
{
	c->page = alloc_pages(GFP_KERNEL, 0);
	c->pfn = page_to_pfn(c->page);
	__free_pages(c->page, 0);
}

static void verify_still_free(struct misuse_ctx *c)
{
	assert_int_equal(page_count(c->page), 0);
}

NAMED_CALLER void bad_double_free(struct misuse_ctx *c)
{
	__free_pages(c->page, 0);
	keep_frame();
}

static const struct misuse double_free = {
	.pcp = -1, .prepare = prep_freed_page, .act = bad_double_free,
	.caller = "bad_double_free",
	.why = { "page dumped because: double free" },
	.verify = verify_still_free,
};

static const struct misuse double_free_pcp = {
	.pcp = 1, .prepare = prep_freed_page, .act = bad_double_free,
	.caller = "bad_double_free",
	.why = { "page dumped because: double free", "per-CPU list" },
	.verify = verify_still_free,
};

/*
 * An odd frame whose even buddy is ours too: free the odd one (it cannot merge: its buddy is
 * allocated), then the even one, which merges with it.  The odd frame is now inside a free
 * block of order 1 or more, headed by another frame.
 */
static void prep_merged(struct misuse_ctx *c)
{
	struct page *odd = NULL, *even = NULL;

	for (int i = 0; i < MAX_HELD && !odd; i++) {
		hold(c, alloc_pages(GFP_KERNEL, 0));
		for (int j = 0; j < c->nr_held - 1; j++) {
			if ((page_to_pfn(c->held[j]) ^ page_to_pfn(c->held[c->nr_held - 1])) != 1)
				continue;
			odd = c->held[--c->nr_held];
			even = c->held[j];
			c->held[j] = c->held[--c->nr_held];
			break;
		}
	}
	if (!odd)
		abort();
	if (!(page_to_pfn(odd) & 1)) {
		struct page *t = odd;

		odd = even;
		even = t;
	}
	__free_pages(odd, 0);
	__free_pages(even, 0);
	c->page = odd;
	c->pfn = page_to_pfn(odd);
}

static void after_held(struct misuse_ctx *c)
{
	while (c->nr_held)
		__free_pages(c->held[--c->nr_held], 0);
}

NAMED_CALLER void bad_double_free_merged(struct misuse_ctx *c)
{
	__free_pages(c->page, 0);
	keep_frame();
}

static const struct misuse double_free_merged = {
	.pcp = -1, .prepare = prep_merged, .act = bad_double_free_merged,
	.caller = "bad_double_free_merged",
	.why = { "page dumped because: double free", "inside the free order-" },
	.verify = verify_still_free, .after = after_held,
};

NAMED_CALLER void bad_put_page_free(struct misuse_ctx *c)
{
	put_page(c->page);
	keep_frame();
}

static const struct misuse put_page_free = {
	.pcp = 1, .prepare = prep_freed_page, .act = bad_put_page_free,
	.caller = "bad_put_page_free",
	.why = { "double free" },
	.verify = verify_still_free,
};

NAMED_CALLER void bad_get_page_free(struct misuse_ctx *c)
{
	get_page(c->page);
	keep_frame();
}

static const struct misuse get_page_free = {
	.pcp = -1, .prepare = prep_freed_page, .act = bad_get_page_free,
	.caller = "bad_get_page_free",
	.why = { "page dumped because: get_page on a frame that is not an allocated block's head" },
	.verify = verify_still_free,
};

static void prep_tail(struct misuse_ctx *c)
{
	c->page = alloc_pages(GFP_KERNEL, 2);
	c->pfn = page_to_pfn(c->page) + 1;
}

NAMED_CALLER void bad_free_tail_frame(struct misuse_ctx *c)
{
	__free_pages(c->page + 1, 0);
	keep_frame();
}

static const struct misuse tail_frame = {
	.pcp = 1, .prepare = prep_tail, .act = bad_free_tail_frame,
	.caller = "bad_free_tail_frame",
	.why = { "page dumped because: not a block head",
		 "inside the allocated order-2 block" },
	.verify = verify_still_allocated, .after = after_order2,
};

static void prep_heap(struct misuse_ctx *c)
{
	c->addr = malloc(2 * PAGE_SIZE);
	c->bad = c->addr;
}

static void after_heap(struct misuse_ctx *c)
{
	free(c->addr);
}

NAMED_CALLER void bad_free_heap_address(struct misuse_ctx *c)
{
	free_pages((unsigned long)c->addr, 0);
	keep_frame();
}

static const struct misuse heap_address = {
	.pcp = 1, .prepare = prep_heap, .act = bad_free_heap_address,
	.caller = "bad_free_heap_address", .address = true,
	.why = { "page dumped because: address outside the linear map" },
	.after = after_heap,
};

NAMED_CALLER void bad_free_stack_address(struct misuse_ctx *c)
{
	char frame[64];

	memset(frame, 0, sizeof(frame));
	c->bad = frame;
	free_pages((unsigned long)frame, 0);
	keep_frame();
}

static const struct misuse stack_address = {
	.pcp = -1, .act = bad_free_stack_address,
	.caller = "bad_free_stack_address", .address = true,
	.why = { "page dumped because: address outside the linear map" },
};

NAMED_CALLER void bad_free_stack_page(struct misuse_ctx *c)
{
	struct page fake;

	memset(&fake, 0, sizeof(fake));
	fake.flags = 1UL << PG_head;	/* looks allocated: only its address gives it away */
	atomic_init(&fake.refcount, 1);
	c->bad = &fake;
	__free_pages(&fake, 0);
	keep_frame();
}

static const struct misuse stack_page = {
	.pcp = 1, .act = bad_free_stack_page,
	.caller = "bad_free_stack_page", .address = true,
	.why = { "page dumped because: struct page outside mem_map" },
};

static void prep_misaligned(struct misuse_ctx *c)
{
	c->page = alloc_pages(GFP_KERNEL, 0);
	c->bad = (const char *)c->page + 8;
}

static void after_order0(struct misuse_ctx *c)
{
	__free_pages(c->page, 0);
}

NAMED_CALLER void bad_free_misaligned_page(struct misuse_ctx *c)
{
	__free_pages((struct page *)c->bad, 0);
	keep_frame();
}

static const struct misuse misaligned_page = {
	.pcp = -1, .prepare = prep_misaligned, .act = bad_free_misaligned_page,
	.caller = "bad_free_misaligned_page", .address = true,
	.why = { "page dumped because: struct page outside mem_map" },
	.verify = verify_still_allocated, .after = after_order0,
};

static void prep_beyond(struct misuse_ctx *c)
{
	c->bad = pfn_to_page(kmb_memmap.max_pfn);
}

NAMED_CALLER void bad_free_page_beyond_memmap(struct misuse_ctx *c)
{
	__free_pages((struct page *)c->bad, 0);
	keep_frame();
}

static const struct misuse beyond_memmap = {
	.pcp = -1, .prepare = prep_beyond, .act = bad_free_page_beyond_memmap,
	.caller = "bad_free_page_beyond_memmap", .address = true,
	.why = { "page dumped because: struct page outside mem_map" },
};

static void early_reserve(struct misuse_ctx *c)
{
	c->addr = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!c->addr)
		abort();
	c->pfn = (unsigned long)(kmb_pa(c->addr) >> PAGE_SHIFT);
}

static void verify_reserved(struct misuse_ctx *c)
{
	assert_true(pfn_to_page(c->pfn)->flags & (1UL << PG_reserved));
	assert_int_equal(kmb_pa(c->addr) & ~PAGE_MASK, 0);
}

NAMED_CALLER void bad_free_reserved(struct misuse_ctx *c)
{
	free_pages((unsigned long)c->addr, 0);
	keep_frame();
}

static const struct misuse reserved = {
	.pcp = -1, .early = early_reserve, .act = bad_free_reserved,
	.caller = "bad_free_reserved",
	.why = { "page dumped because: frame is reserved" },
	.verify = verify_reserved,
};

/* The same with memblock_alloc_low(): below the DMA limit, far from mem_map. */
static void early_reserve_low(struct misuse_ctx *c)
{
	c->addr = memblock_alloc_low(PAGE_SIZE, PAGE_SIZE);
	if (!c->addr)
		abort();
	c->pfn = (unsigned long)(kmb_pa(c->addr) >> PAGE_SHIFT);
}

NAMED_CALLER void bad_free_reserved_low(struct misuse_ctx *c)
{
	__free_pages(virt_to_page(c->addr), 0);
	keep_frame();
}

static const struct misuse reserved_low = {
	.pcp = 1, .early = early_reserve_low, .act = bad_free_reserved_low,
	.caller = "bad_free_reserved_low",
	.why = { "page dumped because: frame is reserved" },
	.verify = verify_reserved,
};

NAMED_CALLER void bad_get_page_stack_page(struct misuse_ctx *c)
{
	struct page fake;

	memset(&fake, 0, sizeof(fake));
	c->bad = &fake;
	get_page(&fake);
	keep_frame();
}

/*
 * get_page() on a struct page outside mem_map must be reported as an address, as __free_pages()
 * and put_page() report it: it names no frame.  Its "goes on" run is isolated in a child as
 * well, because treating such a pointer as a frame reads memory around it (a sanitizer stops
 * the process there), which would take the rest of this file's tests with it.
 */
static const struct misuse get_page_outside = {
	.pcp = -1, .act = bad_get_page_stack_page,
	.caller = "bad_get_page_stack_page", .address = true,
	.why = { "page dumped because: struct page outside mem_map" }, .isolate = true,
};

/*
 * The reserved-frame misuses need memblock_alloc() to hand out memory nobody else uses.  Before
 * mem_init() every frame's struct page is reserved, with its node and zone set: two early
 * allocations must be disjoint and leave mem_map (itself a memblock allocation) untouched.
 */
static void test_memblock_alloc_leaves_mem_map_alone(void **state)
{
	const struct kmb_mm_config cfg = { .nr_nodes = 1, .node_mem = NODE_MEM, .pcp = -1,
					   .debug = -1 };
	const unsigned long dma_pfns = (16UL << 20) >> PAGE_SHIFT;
	char why[256] = "";
	char *a, *b;

	(void)state;
	assert_int_equal(kmb_mm_setup(&cfg, why, sizeof(why)), 0);
	a = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	b = memblock_alloc(2 * PAGE_SIZE, PAGE_SIZE);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a + PAGE_SIZE <= b || b + 2 * PAGE_SIZE <= a);
	for (unsigned long pfn = 0; pfn < kmb_memmap.max_pfn; pfn++) {
		const struct page *p = pfn_to_page(pfn);

		if (p->flags != 1UL << PG_reserved || p->node != 0 ||
		    p->zone != (pfn < dma_pfns ? ZONE_DMA : ZONE_NORMAL))
			fail_msg("struct page of pfn %#lx overwritten (flags %#lx node %d zone "
				 "%d): memblock_alloc() gave out memory of mem_map (a at pfn %#lx, "
				 "b at pfn %#lx)", pfn, p->flags, p->node, p->zone,
				 (unsigned long)(kmb_pa(a) >> PAGE_SHIFT),
				 (unsigned long)(kmb_pa(b) >> PAGE_SHIFT));
	}
	mem_init();
	check_mm();
	assert_true(virt_to_page(a)->flags & (1UL << PG_reserved));
	assert_true(virt_to_page(b + PAGE_SIZE)->flags & (1UL << PG_reserved));
}

/* --- running them --- */

/* Reports in @text ("BUG: Bad page state ..." or "BUG: Bad page address ..."). */
static int count_reports(const char *text)
{
	return count_substr(text, "BUG: Bad page");
}

/* What every report of @m says, in "stops" and "goes on" alike. */
static void check_report(const struct misuse *m, const char *text)
{
	char want[128];

	if (m->address) {
		assert_contains(text, "BUG: Bad page address in process ");
		snprintf(want, sizeof(want), "  addr:%p\n", ctx->bad);
	} else {
		assert_contains(text, "BUG: Bad page state in process ");
		snprintf(want, sizeof(want), "  pfn:%05lx\n", ctx->pfn);
	}
	assert_contains(text, want);
	for (int i = 0; i < 3 && m->why[i]; i++)
		assert_contains(text, m->why[i]);
	snprintf(want, sizeof(want), "caller: %s+0x", m->caller);
	assert_contains(text, want);
	assert_prefixed(text);
}

/* A child that boots with @debug, does what @m says, and exits 0 if the misuse returned. */
static int run_child(const struct misuse *m, int debug, char **text)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	int fds[2], status;
	pid_t pid;

	memset(ctx, 0, sizeof(*ctx));
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		in_child = true;
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);	/* not cmocka's handlers */
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		mm_boot(m, debug);
		if (m->prepare)
			m->prepare(ctx);
		ctx->prepared = true;
		if (debug < 0) {
			struct kmb_mm_stats st;
			char why[128];

			kmb_mm_get_stats(&st);
			ctx->bad_pages = st.bad_page;
			m->act(ctx);
			kmb_mm_get_stats(&st);
			ctx->bad_pages = st.bad_page - ctx->bad_pages;
			ctx->check = kmb_mm_check(why, sizeof(why));
		} else {
			m->act(ctx);
		}
		ctx->returned = true;
		fflush(stderr);
		_exit(0);
	}
	close(fds[1]);
	*text = keep_text(read_all(fds[0]));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return status;
}

static void test_stops(void **state)
{
	const struct misuse *m = *state;
	char *text;
	int status = run_child(m, 1, &text);

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("child: %s %d, expected SIGABRT; stderr:\n%s",
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), text);
	assert_true(ctx->prepared);
	assert_false(ctx->returned);
	check_report(m, text);
	assert_contains(text, "stopping on misuse");
	assert_int_equal(count_reports(text), 1);
}

static unsigned long free_total(void)
{
	struct kmb_mm_stats st = stats();

	return st.free_pages + st.pcp_pages;
}

/* "goes on" in a child: the call returns, is counted, and the allocator is intact. */
static void goes_on_isolated(const struct misuse *m)
{
	char *text;
	int status = run_child(m, -1, &text);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child (debug = -1) did not come back from the misuse: %s %d; stderr:\n%s",
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), text);
	assert_true(ctx->returned);
	check_report(m, text);
	assert_contains(text, "refused");
	assert_int_equal(count_reports(text), 1);
	assert_int_equal(ctx->bad_pages, 1);
	assert_int_equal(ctx->check, 0);
}

static void test_goes_on(void **state)
{
	const struct misuse *m = *state;
	struct kmb_mm_stats s0, s1;
	unsigned long boot_free, before;
	struct page *pages[4];
	struct capture cap;
	char *text;

	if (m->isolate) {
		goes_on_isolated(m);
		return;
	}
	memset(ctx, 0, sizeof(*ctx));
	mm_boot(m, -1);
	boot_free = free_total();
	if (m->prepare)
		m->prepare(ctx);
	check_mm();
	before = free_total();
	kmb_mm_get_stats(&s0);

	capture_begin(&cap);
	m->act(ctx);
	text = capture_end(&cap);
	kmb_mm_get_stats(&s1);

	check_report(m, text);
	assert_contains(text, "refused");
	assert_int_equal(count_reports(text), 1);
	assert_int_equal(s1.bad_page - s0.bad_page, 1);
	assert_int_equal(free_total(), before);	/* nothing was freed */
	check_mm();				/* nor was anything corrupted */
	if (m->verify)
		m->verify(ctx);

	/* The correct frees still work, and everything is back. */
	if (m->after)
		m->after(ctx);
	check_mm();
	assert_int_equal(free_total(), boot_free);

	/* And the allocator keeps working. */
	for (unsigned int o = 0; o < 4; o++) {
		pages[o] = alloc_pages(GFP_KERNEL, o);
		assert_non_null(pages[o]);
	}
	for (unsigned int o = 0; o < 4; o++)
		__free_pages(pages[o], o);
	check_mm();
	assert_int_equal(free_total(), boot_free);
	kmb_mm_get_stats(&s0);
	assert_int_equal(s0.bad_page, s1.bad_page);
}

/*
 * --- a double free from two threads at once ---
 *
 * Both threads free the same order-0 page after a start signal.  One free may go through; the
 * other must be refused and reported (by the page's state, or by the reference count that the
 * first one dropped), never carried out a second time: that would put the frame on a free list
 * twice.  Each round checks that exactly one report was made and that the allocator is intact.
 * The race is a matter of chance, so the test runs many rounds (at most RACE_ROUNDS, for at
 * most RACE_MS), in a child, its reports sent to /dev/null; a corrupted allocator dies there.
 */
#define RACE_ROUNDS	20000
#define RACE_MS		3000

struct race {
	struct page *_Atomic page;
	atomic_int go, done;
	atomic_bool stop;
};

static void *race_second_free(void *arg)
{
	struct race *r = arg;

	for (int i = 1;; i++) {
		while (atomic_load(&r->go) < i && !atomic_load(&r->stop))
			;
		if (atomic_load(&r->stop))
			return NULL;
		__free_pages(atomic_load(&r->page), 0);
		atomic_fetch_add(&r->done, 1);
	}
}

static unsigned long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000 + (unsigned long)ts.tv_nsec / 1000000;
}

static void race_double_free(struct misuse_ctx *c)
{
	struct race r = { .page = NULL };
	unsigned long deadline = now_ms() + RACE_MS;
	int devnull = open("/dev/null", O_WRONLY);
	pthread_t t;

	dup2(devnull, STDERR_FILENO);	/* thousands of reports */
	close(devnull);
	alarm(30);			/* a corrupted free list may loop */
	if (pthread_create(&t, NULL, race_second_free, &r))
		abort();
	for (int i = 1; i <= RACE_ROUNDS && now_ms() < deadline; i++) {
		struct kmb_mm_stats s0, s1;
		struct page *page = alloc_pages(GFP_KERNEL, 0);

		if (!page)
			abort();
		kmb_mm_get_stats(&s0);
		atomic_store(&r.page, page);
		atomic_store(&r.done, 0);
		atomic_store(&r.go, i);
		__free_pages(page, 0);
		while (!atomic_load(&r.done))
			;
		kmb_mm_get_stats(&s1);
		c->rounds = i;
		if (s1.bad_page - s0.bad_page != 1)
			c->unreported++;
		if (kmb_mm_check(c->why, sizeof(c->why)))
			break;
		c->why[0] = 0;
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
}

static void test_concurrent_double_free(void **state)
{
	const struct misuse m = { .pcp = (int)(intptr_t)*state, .act = race_double_free };
	char *text;
	int status = run_child(&m, -1, &text);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child %s %d after %d rounds",
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), ctx->rounds);
	assert_true(ctx->rounds > 0);
	if (ctx->unreported || ctx->why[0])
		fail_msg("round %d of %d: %d double frees went unreported; kmb_mm_check: %s",
			 ctx->rounds, RACE_ROUNDS, ctx->unreported, ctx->why[0] ? ctx->why : "ok");
}

/* --- not misuse --- */

NAMED_CALLER struct page *alloc_order_above_max(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1);

	keep_frame();
	return page;
}

static void act_alloc_above_max(struct misuse_ctx *c)
{
	c->page = alloc_order_above_max();
	c->pfn = (unsigned long)(c->page != NULL);
}

static const struct misuse alloc_above_max = { .pcp = -1, .act = act_alloc_above_max };

/* Allocating above MAX_PAGE_ORDER fails (with a warning) and never stops, even with debug = 1. */
static void test_alloc_above_max_is_no_stop(void **state)
{
	struct kmb_mm_stats s0, s1;
	char *text;
	int status;

	(void)state;
	status = run_child(&alloc_above_max, 1, &text);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child did not exit normally (status %#x); stderr:\n%s", status, text);
	assert_true(ctx->returned);
	assert_int_equal(ctx->pfn, 0);		/* it returned NULL */
	assert_null(strstr(text, "Bad page"));
	assert_contains(text, "page allocation failure: order:11, mode:");
	assert_contains(text, "(GFP_KERNEL)");

	mm_boot(&alloc_above_max, -1);
	kmb_mm_get_stats(&s0);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	assert_null(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 31));
	kmb_mm_get_stats(&s1);
	assert_int_equal(s1.bad_page, s0.bad_page);
	assert_int_equal(s1.alloc_fail - s0.alloc_fail, 2);
	check_mm();
}

#define MISUSE(m)								\
	{ "stops: " #m, test_stops, NULL, NULL, (void *)&m },			\
	{ "goes on: " #m, test_goes_on, NULL, teardown, (void *)&m }

int main(void)
{
	const struct CMUnitTest tests[] = {
		MISUSE(wrong_order),
		MISUSE(wrong_order_larger),
		MISUSE(order_above_max),
		MISUSE(double_free),
		MISUSE(double_free_pcp),
		MISUSE(double_free_merged),
		MISUSE(put_page_free),
		MISUSE(get_page_free),
		MISUSE(tail_frame),
		MISUSE(heap_address),
		MISUSE(stack_address),
		MISUSE(stack_page),
		MISUSE(misaligned_page),
		MISUSE(beyond_memmap),
		MISUSE(reserved_low),
		{ "memblock_alloc leaves mem_map alone", test_memblock_alloc_leaves_mem_map_alone,
		  NULL, teardown, NULL },
		MISUSE(reserved),
		{ "alloc above MAX_PAGE_ORDER is no stop", test_alloc_above_max_is_no_stop, NULL,
		  teardown, NULL },
		{ "concurrent double free, per-CPU lists off", test_concurrent_double_free, NULL,
		  NULL, (void *)(intptr_t)-1 },
		{ "concurrent double free, per-CPU lists on", test_concurrent_double_free, NULL,
		  NULL, (void *)(intptr_t)1 },
		MISUSE(get_page_outside),
	};

	ctx = mmap(NULL, sizeof(*ctx), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctx == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	return cmocka_run_group_tests_name("buddy_misuse", tests, NULL, drop_kept_text);
}
