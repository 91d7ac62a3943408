/*
 * ioremap.c - the model's device and its mappings (arch/x86/mm/ioremap.c, lib/iomap_copy.c,
 * include/asm-generic/io.h).
 *
 * The device's memory is a memfd of its own ("kmbench-iomem", kmb_mm_config.iomem_size bytes),
 * created at setup, at physical addresses from the first 1 GiB boundary above the model's
 * memory: an MMIO hole, as a BAR lies above RAM.  ioremap() takes an area of the vmalloc window
 * (VM_IOREMAP: aligned to its size, up to IOREMAP_MAX_ORDER, with a guard page) and maps the
 * page-aligned range around the request from the memfd; the caller gets the address of the
 * byte it asked for.  Two ioremaps of one range map the same file pages, so a write through
 * one is read through the other, as two mappings of one BAR would be.
 *
 * Refused as the kernel refuses them: a size of 0 or a range that wraps (NULL, silently), a
 * range that touches RAM ("ioremap on RAM", once), a range outside the device ("ioremap:
 * invalid physical address", rate-limited).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "kmbench/io.h"
#include "vmalloc.h"

#define SZ_1G	(1ULL << 30)

int iomem_setup(char *why, size_t whylen)
{
	phys_addr_t ram_end = (phys_addr_t)kmb_memmap.max_pfn << PAGE_SHIFT;

	vmw.iomem_size = kmb_mm.cfg.iomem_size;
	vmw.iomem_start = (ram_end + SZ_1G - 1) & ~(SZ_1G - 1);
	if (vmw.iomem_start == ram_end)	/* a hole, not adjacent to RAM */
		vmw.iomem_start += SZ_1G;
	vmw.iomem_fd = kmb_memfd_create("kmbench-iomem", vmw.iomem_size);
	if (vmw.iomem_fd < 0) {
		snprintf(why, whylen, "mm: device memory: memfd of %zu bytes: %s", vmw.iomem_size,
			 strerror(-vmw.iomem_fd));
		return vmw.iomem_fd;
	}
	return 0;
}

void iomem_teardown(void)
{
	if (vmw.iomem_fd >= 0)
		kmb_close(vmw.iomem_fd);
	vmw.iomem_fd = -1;
	vmw.iomem_start = 0;
	vmw.iomem_size = 0;
}

phys_addr_t kmb_iomem_start(void)
{
	return vmw.iomem_start;
}

size_t kmb_iomem_size(void)
{
	return vmw.iomem_size;
}

static struct ratelimit_state ioremap_rs = RATELIMIT_STATE_INIT(5000, 10);

void __iomem *ioremap(phys_addr_t offset, size_t size)
{
	const void *caller = __builtin_return_address(0);
	phys_addr_t last, phys, ram_end = (phys_addr_t)kmb_memmap.max_pfn << PAGE_SHIFT;
	unsigned long in_page = offset & ~PAGE_MASK, len;
	struct vm_area *area;

	/* __ioremap_caller(): don't allow wraparound or zero size. */
	if (!size || __builtin_add_overflow(offset, size - 1, &last) || vmw.iomem_fd < 0)
		goto fail;
	if (offset < ram_end) {
		static atomic_flag warned = ATOMIC_FLAG_INIT;

		if (!atomic_flag_test_and_set(&warned))
			kmb_report("ioremap on RAM at %#llx - %#llx", (unsigned long long)offset,
				   (unsigned long long)last);
		goto fail;
	}
	if (offset < vmw.iomem_start || last >= vmw.iomem_start + vmw.iomem_size) {
		if (kmb_ratelimit(&ioremap_rs))
			kmb_report("ioremap: invalid physical address %#llx (the device is at "
				   "%#llx - %#llx)", (unsigned long long)(offset < vmw.iomem_start ?
				   offset : last), (unsigned long long)vmw.iomem_start,
				   (unsigned long long)(vmw.iomem_start + vmw.iomem_size - 1));
		goto fail;
	}
	phys = offset & PAGE_MASK;
	len = (unsigned long)(((last + PAGE_SIZE) & PAGE_MASK) - phys);
	area = get_vm_area_raw(len, PAGE_SIZE, VM_IOREMAP, 0, caller, false);
	if (!area)
		return NULL;
	area->vm.phys_addr = phys;
	if (vmap_map_fd((unsigned long)area->vm.addr, len, PROT_READ | PROT_WRITE, vmw.iomem_fd,
			(off_t)(phys - vmw.iomem_start))) {
		vm_area_release(area);
		goto fail;
	}
	vm_area_publish(area);
	return (char *)area->vm.addr + in_page;
fail:
	atomic_fetch_add_explicit(&vmw.alloc_fail, 1, memory_order_relaxed);
	return NULL;
}

void iounmap(volatile void __iomem *addr)
{
	if (!addr)
		return;
	vmap_iounmap((const void *)((unsigned long)addr & PAGE_MASK),
		     __builtin_return_address(0));
}

/* --- block copies (lib/iomap_copy.c, asm-generic/io.h memcpy_fromio and friends) --- */

#define WORD		sizeof(uint64_t)
#define misaligned(p)	((uintptr_t)(p) & (WORD - 1))

void memcpy_fromio(void *to, const volatile void __iomem *from, size_t count)
{
	const volatile uint8_t *src = from;
	uint8_t *dst = to;
	uint64_t w;

	kmb_io_barrier();
	while (count && misaligned(src)) {
		*dst++ = __raw_readb(src++);
		count--;
	}
	for (; count >= WORD; count -= WORD, src += WORD, dst += WORD) {
		w = __raw_readq(src);
		memcpy(dst, &w, WORD);		/* @to need not be aligned */
	}
	while (count--)
		*dst++ = __raw_readb(src++);
	kmb_io_barrier();
}

void memcpy_toio(volatile void __iomem *to, const void *from, size_t count)
{
	volatile uint8_t *dst = to;
	const uint8_t *src = from;
	uint64_t w;

	kmb_io_barrier();
	while (count && misaligned(dst)) {
		__raw_writeb(*src++, dst++);
		count--;
	}
	for (; count >= WORD; count -= WORD, src += WORD, dst += WORD) {
		memcpy(&w, src, WORD);
		__raw_writeq(w, dst);
	}
	while (count--)
		__raw_writeb(*src++, dst++);
	kmb_io_barrier();
}

void memset_io(volatile void __iomem *addr, int value, size_t count)
{
	volatile uint8_t *dst = addr;
	uint64_t w = 0x0101010101010101ULL * (uint8_t)value;

	kmb_io_barrier();
	while (count && misaligned(dst)) {
		__raw_writeb((uint8_t)value, dst++);
		count--;
	}
	for (; count >= WORD; count -= WORD, dst += WORD)
		__raw_writeq(w, dst);
	while (count--)
		__raw_writeb((uint8_t)value, dst++);
	kmb_io_barrier();
}
