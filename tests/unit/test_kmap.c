/*
 * test_kmap.c - kmap, kmap_local and kmap_atomic (allocators/vmalloc/highmem.c,
 * include/kmbench/highmem.h).
 *
 *   low memory   every form gives the linear address, and the unmaps do nothing;
 *   slots        a HIGHMEM frame gets a persistent slot that page_address() and kmap_to_page()
 *                know, shared by a second kmap; the slot lingers after the last kunmap until
 *                a flush, which unmaps it (touching it then faults); the walk flushes by itself
 *                when it wraps;
 *   waiting      with every slot taken, kmap() callers in other threads sleep (seen through
 *                the waiter count, not time) and all complete as slots come free; many more
 *                threads than slots, mapping and unmapping in loops, all complete with their
 *                bytes intact;
 *   kmap_local   KM_MAX_IDX nested mappings per thread, in many threads at once, while every
 *                persistent slot is taken and a kmap() caller sleeps: none of them waits;
 *   misuse       an unmap out of order, of an address no kmap_local gave, of a frame with no
 *                kmap: reported, counted and refused (or fatal in a child); nesting beyond
 *                KM_MAX_IDX stops the process; a thread that exits with a mapping is reported
 *                and its stack of slots reused;
 *   helpers      memcpy_to_page, memcpy_from_page, clear_highpage, nr_free_highpages.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmap_test.h"

#define NODE_MEM	(64 * MiB)
#define LOWMEM		(32 * MiB)

static struct kmb_mm_config cfg_of(unsigned long lowmem, unsigned int last_pkmap)
{
	struct kmb_mm_config c;

	memset(&c, 0, sizeof(c));
	c.nr_nodes = 1;
	c.node_mem = NODE_MEM;
	c.lowmem_limit = lowmem;
	c.last_pkmap = last_pkmap;
	return c;
}

static struct page *high_page(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);

	assert_non_null(page);
	assert_true(PageHighMem(page));
	return page;
}

static bool in_pkmap(const void *addr)
{
	return (unsigned long)addr >= PKMAP_BASE && (unsigned long)addr < PKMAP_ADDR(LAST_PKMAP);
}

static bool in_fixmap(const void *addr)
{
	return (unsigned long)addr >= kmb_vm_layout.fixaddr_start &&
	       (unsigned long)addr < kmb_vm_layout.fixaddr_end;
}

static void test_lowmem(void **state)
{
	struct kmb_mm_config c = cfg_of(0, 0);
	struct page *page;
	void *lin;

	(void)state;
	vm_boot(&c);
	page = alloc_page(GFP_HIGHUSER);	/* no HIGHMEM zone: a low frame */
	assert_non_null(page);
	assert_false(PageHighMem(page));
	lin = page_address(page);
	assert_ptr_equal(kmap(page), lin);
	assert_ptr_equal(kmap_local_page(page), lin);
	assert_ptr_equal(kmap_atomic(page), lin);
	assert_ptr_equal(kmap_to_page(lin), page);
	kunmap_atomic(lin);
	kunmap_local(lin);
	kunmap(page);
	assert_int_equal(page->mapcount, 0);
	assert_int_equal(vm_stats().kmap_local_maps, 0);
	assert_int_equal(vm_stats().pkmap_mapped, 0);
	assert_int_equal(vm_stats().misuse, 0);
	__free_page(page);
	check_vm();
}

static void test_slot(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	struct page *page;
	unsigned char *a, *b, *l;

	(void)state;
	vm_boot(&c);
	page = high_page();
	assert_null(page_address(page));
	a = kmap(page);
	assert_true(in_pkmap(a));
	assert_ptr_equal(page_address(page), a);
	assert_ptr_equal(kmap_to_page(a + 100), page);
	assert_int_equal(page->mapcount, 1);
	b = kmap(page);				/* a second user shares the slot */
	assert_ptr_equal(b, a);
	assert_int_equal(page->mapcount, 2);
	assert_int_equal(vm_stats().pkmap_in_use, 1);
	fill_bytes(a, PAGE_SIZE, 1);
	l = kmap_local_page(page);		/* another mapping of the same bytes */
	assert_true(in_fixmap(l));
	assert_ptr_not_equal(l, a);
	assert_int_equal(bytes_differ(l, PAGE_SIZE, 1, 0), -1);
	kunmap_local(l);
	kunmap(page);
	kunmap(page);
	assert_int_equal(page->mapcount, 0);
	/* No users, but the mapping lingers until a flush. */
	assert_ptr_equal(page_address(page), a);
	assert_int_equal(vm_stats().pkmap_in_use, 0);
	assert_int_equal(vm_stats().pkmap_mapped, 1);
	kmap_flush_unused();
	assert_null(page_address(page));
	assert_int_equal(vm_stats().pkmap_mapped, 0);
	assert_faults((char *)a, false);
	/* The bytes are the frame's: a new slot shows them. */
	a = kmap(page);
	assert_int_equal(bytes_differ(a, PAGE_SIZE, 1, 0), -1);
	kunmap(page);
	__free_page(page);
	check_vm();
}

/* The slot walk flushes slots without users when it wraps: a small pool serves any number of
 * frames in turn without waiting. */
static void test_flush_on_wrap(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 4);
	struct page *pages[10];

	(void)state;
	vm_boot(&c);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 10; i++) {
			unsigned char *a;

			if (!round)
				pages[i] = high_page();
			a = kmap(pages[i]);
			assert_true(in_pkmap(a));
			if (!round)
				fill_bytes(a, PAGE_SIZE, 10 + (unsigned long)i);
			assert_int_equal(bytes_differ(a, PAGE_SIZE, 10 + (unsigned long)i, 0), -1);
			kunmap(pages[i]);
		}
	assert_true(vm_stats().pkmap_flushes >= 1);
	assert_int_equal(vm_stats().kmap_waits, 0);
	for (int i = 0; i < 10; i++)
		__free_page(pages[i]);
	check_vm();
}

/* --- waiting for a slot --- */

#define NR_WAITERS	8

struct waiter {
	pthread_t t;
	struct page *page;
	unsigned long tag;
	atomic_bool mapped;		/* kmap() returned */
	bool bad;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	unsigned char *a = kmap(w->page), *l;

	atomic_store(&w->mapped, true);
	w->bad |= !in_pkmap(a);
	fill_bytes(a, PAGE_SIZE, w->tag);
	l = kmap_local_page(w->page);
	w->bad |= bytes_differ(l, PAGE_SIZE, w->tag, 0) >= 0;
	kunmap_local(l);
	kunmap(w->page);
	return NULL;
}

static void await_waiting(unsigned int n)
{
	while (vm_stats().kmap_waiting < n)
		sched_yield();		/* no time limit of our own: ctest's ends a hang */
}

static void test_waiters(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 4);
	struct page *held[4];
	struct waiter w[NR_WAITERS];

	(void)state;
	vm_boot(&c);
	for (int i = 0; i < 4; i++) {		/* every slot taken */
		held[i] = high_page();
		assert_true(in_pkmap(kmap(held[i])));
	}
	assert_int_equal(vm_stats().pkmap_in_use, 4);
	/* A frame that has a slot needs no other: kmap returns at once. */
	assert_ptr_equal(kmap(held[0]), page_address(held[0]));
	kunmap(held[0]);
	for (int i = 0; i < NR_WAITERS; i++) {
		w[i] = (struct waiter){ .page = high_page(), .tag = 50 + (unsigned long)i };
		assert_int_equal(pthread_create(&w[i].t, NULL, waiter_thread, &w[i]), 0);
	}
	await_waiting(NR_WAITERS);
	for (int i = 0; i < NR_WAITERS; i++)
		assert_false(atomic_load(&w[i].mapped));
	for (int i = 0; i < 4; i++)		/* free the slots one by one */
		kunmap(held[i]);
	for (int i = 0; i < NR_WAITERS; i++) {
		unsigned char *l;

		assert_int_equal(pthread_join(w[i].t, NULL), 0);
		assert_true(atomic_load(&w[i].mapped));
		assert_false(w[i].bad);
		l = kmap_local_page(w[i].page);
		assert_int_equal(bytes_differ(l, PAGE_SIZE, w[i].tag, 0), -1);
		kunmap_local(l);
		assert_int_equal(w[i].page->mapcount, 0);
		__free_page(w[i].page);
	}
	assert_true(vm_stats().kmap_waits >= NR_WAITERS);
	assert_int_equal(vm_stats().kmap_waiting, 0);
	assert_int_equal(vm_stats().pkmap_in_use, 0);
	for (int i = 0; i < 4; i++)
		__free_page(held[i]);
	check_vm();
}

/* Many more users than slots, in loops: all complete, every byte where it was written. */
#define NR_USERS	8
#define NR_SHARED	24
#define USER_ROUNDS	300

static struct page *shared_pages[NR_SHARED];

struct user {
	pthread_t t;
	int id;
	uint64_t seed;
	unsigned long bad;
};

static void *user_thread(void *arg)
{
	struct user *u = arg;
	unsigned char seen[NR_SHARED] = { 0 };

	for (int r = 0; r < USER_ROUNDS; r++) {
		int i = (int)(rnd(&u->seed) % NR_SHARED);
		unsigned char *a = kmap(shared_pages[i]), *mine = a + u->id * 64;

		/* Each thread owns 64 bytes of each page: what it wrote last is still there. */
		u->bad += mine[0] != seen[i];
		seen[i] = (unsigned char)(r + 1);
		memset(mine, seen[i], 64);
		kunmap(shared_pages[i]);
	}
	return NULL;
}

static void test_many_users(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 4);
	uint64_t seed = seed_from_env("many users", 0x757365);
	struct user u[NR_USERS];

	(void)state;
	vm_boot(&c);
	for (int i = 0; i < NR_SHARED; i++) {
		shared_pages[i] = high_page();
		clear_highpage(shared_pages[i]);
	}
	for (int i = 0; i < NR_USERS; i++) {
		u[i] = (struct user){ .id = i, .seed = rnd(&seed) };
		assert_int_equal(pthread_create(&u[i].t, NULL, user_thread, &u[i]), 0);
	}
	for (int i = 0; i < NR_USERS; i++) {
		assert_int_equal(pthread_join(u[i].t, NULL), 0);
		assert_int_equal(u[i].bad, 0);
	}
	assert_int_equal(vm_stats().pkmap_in_use, 0);
	assert_int_equal(vm_stats().kmap_waiting, 0);
	printf("[ INFO     ] %d threads, %d rounds each, 4 slots: %lu waits, %lu flushes\n",
	       NR_USERS, USER_ROUNDS, vm_stats().kmap_waits, vm_stats().pkmap_flushes);
	for (int i = 0; i < NR_SHARED; i++) {
		assert_int_equal(shared_pages[i]->mapcount, 0);
		__free_page(shared_pages[i]);
	}
	check_vm();
}

/* --- kmap_local never waits --- */

#define NR_LOCAL_THREADS	4
#define LOCAL_ROUNDS		300

static struct page *local_pages[KM_MAX_IDX];

/* KM_MAX_IDX nested mappings, each checked, unmapped in reverse; @rounds times. */
static unsigned long nest_rounds(int rounds, bool atomic)
{
	unsigned long bad = 0;

	for (int r = 0; r < rounds; r++) {
		unsigned char *a[KM_MAX_IDX];

		for (int i = 0; i < KM_MAX_IDX; i++) {
			a[i] = atomic ? kmap_atomic(local_pages[i]) : kmap_local_page(local_pages[i]);
			bad += !in_fixmap(a[i]) || (i && a[i] == a[i - 1]);
			bad += bytes_differ(a[i], PAGE_SIZE, 200 + (unsigned long)i, 0) >= 0;
			bad += kmap_to_page(a[i] + 7) != local_pages[i];
		}
		for (int i = KM_MAX_IDX; i-- > 0;) {
			if (atomic)
				kunmap_atomic(a[i]);
			else
				kunmap_local(a[i] + 99);	/* any address in the page */
		}
	}
	return bad;
}

static void *local_thread(void *arg)
{
	unsigned long *bad = arg;

	*bad = nest_rounds(LOCAL_ROUNDS, true);
	return NULL;
}

static void *blocked_kmap(void *arg)
{
	struct page *page = arg;

	kmap(page);
	kunmap(page);
	return NULL;
}

static void test_local_never_waits(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 2);
	struct page *held[2], *third;
	pthread_t blocked, t[NR_LOCAL_THREADS];
	unsigned long bad[NR_LOCAL_THREADS], maps;

	(void)state;
	vm_boot(&c);
	for (int i = 0; i < KM_MAX_IDX; i++) {
		unsigned char *a;

		local_pages[i] = high_page();
		a = kmap_local_page(local_pages[i]);
		fill_bytes(a, PAGE_SIZE, 200 + (unsigned long)i);
		kunmap_local(a);
	}
	/* Every persistent slot taken, and a kmap() caller asleep for one. */
	held[0] = high_page();
	held[1] = high_page();
	kmap(held[0]);
	kmap(held[1]);
	third = high_page();
	assert_int_equal(pthread_create(&blocked, NULL, blocked_kmap, third), 0);
	await_waiting(1);
	maps = vm_stats().kmap_local_maps;
	for (int i = 0; i < NR_LOCAL_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, local_thread, &bad[i]), 0);
	assert_int_equal(nest_rounds(LOCAL_ROUNDS, false), 0);
	for (int i = 0; i < NR_LOCAL_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
	/* All done while the kmap() caller still sleeps: nobody waited for a slot. */
	assert_int_equal(vm_stats().kmap_waiting, 1);
	assert_int_equal(vm_stats().kmap_waits, 1);
	assert_int_equal(vm_stats().kmap_local_maps - maps,
			 (unsigned long)(NR_LOCAL_THREADS + 1) * LOCAL_ROUNDS * KM_MAX_IDX);
	kunmap(held[0]);
	assert_int_equal(pthread_join(blocked, NULL), 0);
	kunmap(held[1]);
	for (int i = 0; i < KM_MAX_IDX; i++) {
		assert_int_equal(local_pages[i]->mapcount, 0);
		__free_page(local_pages[i]);
	}
	__free_page(held[0]);
	__free_page(held[1]);
	__free_page(third);
	check_vm();
}

/* --- misuse --- */

NAMED_CALLER void unmap_out_of_order(void *a)
{
	kunmap_local(a);
	keep_frame();
}

static void test_misuse_goes_on(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	struct page *p1, *p2;
	unsigned char *a, *b;
	unsigned long misuse;
	struct capture cap;
	char *text, local;

	(void)state;
	vm_boot(&c);
	p1 = high_page();
	p2 = high_page();
	a = kmap_local_page(p1);
	b = kmap_local_page(p2);
	a[0] = 1;
	b[0] = 2;
	misuse = vm_stats().misuse;

	capture_begin(&cap);
	unmap_out_of_order(a);
	text = capture_end(&cap);
	assert_prefixed(text);
	assert_contains(text, "BUG: kunmap_local(");
	assert_contains(text, "out of order: the last mapping (2 of 2)");
	assert_contains(text, "caller: unmap_out_of_order+0x");
	assert_contains(text, "refused");
	assert_int_equal(vm_stats().misuse, misuse + 1);
	assert_int_equal(a[0], 1);		/* both still mapped */
	assert_int_equal(b[0], 2);
	assert_int_equal(p1->mapcount, 1);

	capture_begin(&cap);
	kunmap_local(&local);			/* not a kmap_local address */
	kunmap(p1);				/* a frame with no kmap */
	text = capture_end(&cap);
	assert_contains(text, "not a kmap_local slot");
	assert_contains(text, "BUG: kunmap() of a HIGHMEM page that has no kmap");
	assert_int_equal(vm_stats().misuse, misuse + 3);

	kunmap_local(b);			/* the right order works */
	kunmap_local(a);
	assert_int_equal(p1->mapcount, 0);
	capture_begin(&cap);
	kunmap_local(a);			/* nothing left to unmap */
	text = capture_end(&cap);
	assert_contains(text, "this thread has no kmap_local mapping");
	assert_int_equal(vm_stats().misuse, misuse + 4);
	__free_page(p1);
	__free_page(p2);
	check_vm();
}

static void child_boot(void)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);

	c.debug = 1;
	boot(&c);
}

NAMED_CALLER void out_of_order_child(void *arg)
{
	void *a, *b;

	(void)arg;
	child_boot();
	a = kmap_local_page(alloc_page(GFP_HIGHUSER));
	b = kmap_local_page(alloc_page(GFP_HIGHUSER));
	(void)b;
	kunmap_local(a);
	keep_frame();
}

NAMED_CALLER void overflow_child(void *arg)
{
	(void)arg;
	child_boot();
	for (int i = 0; i <= KM_MAX_IDX; i++)
		kmap_local_page(alloc_page(GFP_HIGHUSER));
	keep_frame();
}

static void test_misuse_stops(void **state)
{
	char *text;
	int status;

	(void)state;
	status = run_in_child(out_of_order_child, NULL, &text);
	assert_child_aborts(status, text, "out of order");
	assert_contains(text, "caller: out_of_order_child+0x");
	assert_contains(text, "stopping on misuse");
	/* Nesting too deep cannot be refused: it stops whatever the policy. */
	status = run_in_child(overflow_child, NULL, &text);
	assert_child_aborts(status, text, "more than KM_MAX_IDX (16) nested mappings");
	assert_contains(text, "caller: overflow_child+0x");
	assert_contains(text, "cannot be refused");
}

static void *exit_mapped(void *arg)
{
	kmap_local_page(arg);
	return NULL;
}

static void *map_and_unmap(void *arg)
{
	kunmap_local(kmap_local_page(arg));
	return NULL;
}

/* A thread that exits with a mapping is reported and cleaned up; stacks are reused, so more
 * threads than KMB_KMAP_MAX_THREADS may use kmap_local over time. */
static void test_thread_exit(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	struct page *page;
	struct capture cap;
	pthread_t t;
	char *text;

	(void)state;
	vm_boot(&c);
	page = high_page();
	capture_begin(&cap);
	assert_int_equal(pthread_create(&t, NULL, exit_mapped, page), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	text = capture_end(&cap);
	assert_contains(text, "BUG: thread exits holding 1 kmap_local mapping");
	assert_int_equal(page->mapcount, 0);
	assert_int_equal(vm_stats().misuse, 1);
	for (int i = 0; i < KMB_KMAP_MAX_THREADS + 100; i++) {
		assert_int_equal(pthread_create(&t, NULL, map_and_unmap, page), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	assert_int_equal(vm_stats().misuse, 1);
	assert_int_equal(page->mapcount, 0);
	__free_page(page);
	check_vm();
}

/* --- helpers --- */

static void test_helpers(void **state)
{
	struct kmb_mm_config c = cfg_of(LOWMEM, 0);
	char in[300], out[300];
	struct page *page;
	unsigned char *a;

	(void)state;
	vm_boot(&c);
	assert_int_equal(nr_free_highpages(), zone_free().pages[0][ZONE_HIGHMEM]);
	page = high_page();
	assert_int_equal(nr_free_highpages(), zone_free().pages[0][ZONE_HIGHMEM]);
	fill_bytes(in, sizeof(in), 3);
	memcpy_to_page(page, PAGE_SIZE - sizeof(in), in, sizeof(in));
	memcpy_from_page(out, page, PAGE_SIZE - sizeof(in), sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	a = kmap(page);
	assert_memory_equal(a + PAGE_SIZE - sizeof(in), in, sizeof(in));
	clear_highpage(page);
	assert_true(all_bytes(a, PAGE_SIZE, 0));
	kunmap(page);
	assert_int_equal(vm_stats().kmap_local_maps, 3);
	__free_page(page);
	check_vm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_lowmem, teardown),
		cmocka_unit_test_teardown(test_slot, teardown),
		cmocka_unit_test_teardown(test_flush_on_wrap, teardown),
		cmocka_unit_test_teardown(test_waiters, teardown),
		cmocka_unit_test_teardown(test_many_users, teardown),
		cmocka_unit_test_teardown(test_local_never_waits, teardown),
		cmocka_unit_test_teardown(test_misuse_goes_on, teardown),
		cmocka_unit_test(test_misuse_stops),
		cmocka_unit_test_teardown(test_thread_exit, teardown),
		cmocka_unit_test_teardown(test_helpers, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
