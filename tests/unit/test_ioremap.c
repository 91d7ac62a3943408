/*
 * test_ioremap.c - ioremap, iounmap and the MMIO accessors (allocators/vmalloc/ioremap.c,
 * include/kmbench/io.h).
 *
 *   registers    writel at an offset is read back by readl through a second ioremap of the
 *                same offset, and by every other width, little-endian; the device keeps its
 *                bytes across iounmap and ioremap;
 *   ranges       an unaligned offset comes back at the same offset in the page; the area is
 *                aligned to its size (up to IOREMAP_MAX_ORDER) and shows in vmallocinfo with
 *                its physical address; a size of 0, a range that wraps, leaves the device or
 *                touches RAM gives NULL (and the kernel's reports), and leaves the window as
 *                it was;
 *   block copies memcpy_toio, memcpy_fromio and memset_io at every alignment and length,
 *                checked through another mapping;
 *   iounmap      the mapping is gone after the lazy purge (touching it faults); iounmap of
 *                an address ioremap did not give is misuse, reported and refused.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmap_test.h"

static void boot_dev(size_t iomem)
{
	struct kmb_mm_config c;

	memset(&c, 0, sizeof(c));
	c.nr_nodes = 1;
	c.node_mem = 32 * MiB;
	c.iomem_size = iomem;
	vm_boot(&c);
}

static void test_registers(void **state)
{
	phys_addr_t dev;
	void __iomem *a, *b;

	(void)state;
	boot_dev(0);
	dev = kmb_iomem_start();
	assert_int_equal(kmb_iomem_size(), 16 * MiB);
	assert_true(dev >= 32 * MiB);		/* above RAM */
	a = ioremap(dev + 0x10000, 0x1000);
	b = ioremap(dev + 0x10000, 0x1000);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_true(is_vmalloc_addr(a));
	writel(0x11223344, (char *)a + 0x40);
	assert_int_equal(readl((char *)b + 0x40), 0x11223344);
	assert_int_equal(readb((char *)b + 0x40), 0x44);	/* little-endian */
	assert_int_equal(readw((char *)b + 0x42), 0x1122);
	writeq(0x0102030405060708ULL, (char *)b + 0x80);
	assert_int_equal(readq((char *)a + 0x80), 0x0102030405060708ULL);
	assert_int_equal(readl((char *)a + 0x84), 0x01020304);
	writew(0xbeef, (char *)a + 0x100);
	writeb(0x5a, (char *)a + 0x102);
	assert_int_equal(readl_relaxed((char *)b + 0x100), 0x005abeef);
	iowrite32(0xcafef00d, (char *)a + 0x200);
	assert_int_equal(ioread32((char *)b + 0x200), 0xcafef00d);
	iounmap(a);
	assert_int_equal(readl((char *)b + 0x40), 0x11223344);	/* b is untouched */
	iounmap(b);
	/* The device keeps its bytes: a new mapping of a wider range reads them. */
	a = ioremap(dev + 0xf000, 0x3000);
	assert_non_null(a);
	assert_int_equal(readl((char *)a + 0x1040), 0x11223344);
	iounmap(a);
	assert_int_equal(vm_stats().nr_ioremap, 0);
	check_vm();
}

static void test_ranges(void **state)
{
	phys_addr_t dev, ram_end;
	unsigned long before;
	struct vm_struct *vm;
	void __iomem *a;
	struct capture cap;
	char *text;

	(void)state;
	boot_dev(1 * MiB);
	dev = kmb_iomem_start();
	ram_end = 32 * MiB;
	/* An unaligned offset: the area is page-aligned, the address is not. */
	a = ioremap(dev + 0x1234, 8);
	assert_non_null(a);
	assert_int_equal((unsigned long)a & ~PAGE_MASK, 0x234);
	vm = find_vm_area(a);
	assert_true(vm->flags & VM_IOREMAP);
	assert_int_equal(vm->phys_addr, dev + 0x1000);
	assert_int_equal(vm->size, 2 * PAGE_SIZE);
	iounmap(a);
	/* Spanning two pages. */
	a = ioremap(dev + 0x1ff8, 16);
	assert_non_null(a);
	assert_int_equal(get_vm_area_size(find_vm_area(a)), 2 * PAGE_SIZE);
	writeq(0x8877665544332211ULL, a);
	iounmap(a);
	/* Aligned to its size, up to IOREMAP_MAX_ORDER. */
	for (unsigned long size = PAGE_SIZE; size <= 1 * MiB; size *= 2) {
		unsigned long align = size < (1UL << IOREMAP_MAX_ORDER) ? size :
				      1UL << IOREMAP_MAX_ORDER;
		struct vm_struct *hold = get_vm_area(PAGE_SIZE, 0);	/* unalign the lowest fit */

		a = ioremap(dev, size);
		assert_non_null(a);
		assert_int_equal((unsigned long)a % align, 0);
		iounmap(a);
		free_vm_area(hold);
	}
	/* Refused: nothing mapped, the window unchanged. */
	before = vm_stats().free_bytes;
	capture_begin(&cap);
	assert_null(ioremap(dev, 0));
	assert_null(ioremap(~(phys_addr_t)0 - 10, 100));		/* wraps */
	assert_null(ioremap(dev + 1 * MiB - 4, 8));			/* past the end */
	assert_null(ioremap(dev + 1 * MiB, 4));
	assert_null(ioremap(dev - 4, 8));				/* before the start */
	assert_null(ioremap(ram_end - PAGE_SIZE, 16));			/* RAM */
	assert_null(ioremap(0, 16));
	text = capture_end(&cap);
	assert_contains(text, "ioremap: invalid physical address");
	assert_int_equal(count_substr(text, "ioremap on RAM at"), 1);	/* once, as WARN_ONCE */
	assert_prefixed(text);
	assert_int_equal(vm_stats().free_bytes, before);
	assert_int_equal(vm_stats().nr_areas, 0);
	/* The whole device at once. */
	a = ioremap(dev, 1 * MiB);
	assert_non_null(a);
	assert_int_equal(readq((char *)a + 0x1ff8), 0x8877665544332211ULL);
	text = show(kmb_show_vmallocinfo);
	assert_contains(text, " ioremap\n");
	free(text);
	iounmap(a);
	check_vm();
}

static void test_block_copies(void **state)
{
	unsigned char src[200], dst[200], *mirror;
	void __iomem *a, *b;

	(void)state;
	boot_dev(0);
	a = ioremap(kmb_iomem_start(), 2 * PAGE_SIZE);
	b = ioremap(kmb_iomem_start(), 2 * PAGE_SIZE);
	assert_non_null(a);
	assert_non_null(b);
	mirror = (unsigned char *)b;
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len < 40; len++) {
			unsigned long tag = off * 100 + len;

			memset_io(a, 0xee, 64);
			fill_bytes(src, len, tag);
			memcpy_toio((char *)a + off, src, len);
			assert_int_equal(bytes_differ(mirror + off, len, tag, 0), -1);
			assert_true(all_bytes(mirror, off, 0xee));
			assert_true(all_bytes(mirror + off + len, 64 - off - len, 0xee));
			memset(dst, 0, sizeof(dst));
			memcpy_fromio(dst + 1, (char *)b + off, len);	/* an unaligned destination */
			assert_int_equal(bytes_differ(dst + 1, len, tag, 0), -1);
			memset_io((char *)a + off, off + 1, len);
			assert_true(all_bytes(mirror + off, len, (unsigned char)(off + 1)));
			assert_true(all_bytes(mirror + off + len, 64 - off - len, 0xee));
		}
	iounmap(a);
	iounmap(b);
	check_vm();
}

NAMED_CALLER void bad_iounmap(void *p)
{
	iounmap(p);
	keep_frame();
}

static void test_iounmap(void **state)
{
	void __iomem *a;
	struct capture cap;
	char *text, *v;

	(void)state;
	boot_dev(0);
	a = ioremap(kmb_iomem_start() + 0x100, 16);
	assert_non_null(a);
	writel(1, a);
	iounmap(NULL);				/* ignored */
	v = vmalloc(PAGE_SIZE);
	capture_begin(&cap);
	bad_iounmap(v);				/* not an ioremap area */
	text = capture_end(&cap);
	assert_contains(text, "BUG: iounmap: bad address");
	assert_contains(text, "starts the vmalloc area");
	assert_contains(text, "caller: bad_iounmap+0x");
	assert_contains(text, "refused");
	assert_int_equal(vm_stats().misuse, 1);
	v[0] = 1;				/* still there */
	vfree(v);
	iounmap((char *)a + 8);			/* anywhere in the first page */
	vm_unmap_aliases();			/* purged lazily, as vfree (docs/vmalloc.md) */
	assert_faults((char *)a, false);
	assert_int_equal(vm_stats().nr_areas, 0);
	check_vm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_registers, teardown),
		cmocka_unit_test_teardown(test_ranges, teardown),
		cmocka_unit_test_teardown(test_block_copies, teardown),
		cmocka_unit_test_teardown(test_iounmap, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, drop_kept_text);
}
