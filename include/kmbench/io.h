/*
 * io.h - device memory: ioremap and the MMIO accessors (include/asm-generic/io.h,
 * arch/x86/mm/ioremap.c).
 *
 * The model has one device, whose memory (a BAR) is a memfd of its own of
 * kmb_mm_config.iomem_size bytes, created at setup.  It sits at physical addresses
 * kmb_iomem_start() .. kmb_iomem_start() + kmb_iomem_size() - 1, in a hole above the model's
 * memory (the next 1 GiB boundary past it), as MMIO lies above RAM.  ioremap() maps a range of
 * it into the vmalloc window; two mappings of one range see the same bytes, since both map the
 * same part of the memfd.
 *
 * The accessors are volatile loads and stores of the exact width, little-endian, with the
 * barriers asm-generic/io.h puts around them; the _relaxed forms have no barriers.  The device
 * is memory, so nothing is side-effected by a read.
 */
#ifndef KMBENCH_IO_H
#define KMBENCH_IO_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>

#include "kmbench/mm.h"

#define __iomem		/* sparse's address-space marker: nothing to the compiler */

/* The device's physical range. */
KMB_API phys_addr_t kmb_iomem_start(void);
KMB_API size_t kmb_iomem_size(void);

/*
 * ioremap - map @size bytes of device memory at physical address @offset (the kernel's name
 * for it) into the vmalloc window; returns the address of @offset, which need not be
 * page-aligned (the area is).  NULL when @size is 0, the range wraps, leaves the device, or
 * touches RAM (reported, as the kernel warns "ioremap on RAM"), or the window is full.
 * The area is aligned to its size up to IOREMAP_MAX_ORDER, as the kernel's VM_IOREMAP areas.
 * Context: may sleep.  ioremap_wc/ioremap_uc/ioremap_cache: the same mapping (user space has
 * no memory types to choose).
 */
KMB_API void __iomem *ioremap(phys_addr_t offset, size_t size);
#define ioremap_wc	ioremap
#define ioremap_uc	ioremap
#define ioremap_cache	ioremap
/* iounmap - undo ioremap(); @addr may point anywhere in its first page.  NULL is ignored; an
 * address no ioremap() returned is misuse: reported and refused. */
KMB_API void iounmap(volatile void __iomem *addr);

/* Barriers (asm-generic/io.h __io_br/__io_ar/__io_bw/__io_aw): on x86 the kernel's are
 * compiler barriers, loads and stores being ordered by the hardware. */
#define kmb_io_barrier()	__atomic_signal_fence(__ATOMIC_SEQ_CST)

/* Raw accesses: one volatile load or store of the width, native byte order. */
static inline uint8_t __raw_readb(const volatile void __iomem *addr)
{
	return *(const volatile uint8_t *)addr;
}
static inline uint16_t __raw_readw(const volatile void __iomem *addr)
{
	return *(const volatile uint16_t *)addr;
}
static inline uint32_t __raw_readl(const volatile void __iomem *addr)
{
	return *(const volatile uint32_t *)addr;
}
static inline uint64_t __raw_readq(const volatile void __iomem *addr)
{
	return *(const volatile uint64_t *)addr;
}
static inline void __raw_writeb(uint8_t v, volatile void __iomem *addr)
{
	*(volatile uint8_t *)addr = v;
}
static inline void __raw_writew(uint16_t v, volatile void __iomem *addr)
{
	*(volatile uint16_t *)addr = v;
}
static inline void __raw_writel(uint32_t v, volatile void __iomem *addr)
{
	*(volatile uint32_t *)addr = v;
}
static inline void __raw_writeq(uint64_t v, volatile void __iomem *addr)
{
	*(volatile uint64_t *)addr = v;
}

/* Relaxed: little-endian device registers, no barriers. */
#define readb_relaxed(a)	__raw_readb(a)
#define readw_relaxed(a)	((uint16_t)le16toh(__raw_readw(a)))
#define readl_relaxed(a)	((uint32_t)le32toh(__raw_readl(a)))
#define readq_relaxed(a)	((uint64_t)le64toh(__raw_readq(a)))
#define writeb_relaxed(v, a)	__raw_writeb((v), (a))
#define writew_relaxed(v, a)	__raw_writew((uint16_t)htole16(v), (a))
#define writel_relaxed(v, a)	__raw_writel((uint32_t)htole32(v), (a))
#define writeq_relaxed(v, a)	__raw_writeq((uint64_t)htole64(v), (a))

/* The ordered forms: a barrier before a read and after it, a barrier before a write. */
#define KMB_IO_READ(w, type)							\
	static inline type read##w(const volatile void __iomem *addr)		\
	{									\
		type v;								\
										\
		kmb_io_barrier();						\
		v = read##w##_relaxed(addr);					\
		kmb_io_barrier();						\
		return v;							\
	}
#define KMB_IO_WRITE(w, type)							\
	static inline void write##w(type v, volatile void __iomem *addr)	\
	{									\
		kmb_io_barrier();						\
		write##w##_relaxed(v, addr);					\
	}
KMB_IO_READ(b, uint8_t)
KMB_IO_READ(w, uint16_t)
KMB_IO_READ(l, uint32_t)
KMB_IO_READ(q, uint64_t)
KMB_IO_WRITE(b, uint8_t)
KMB_IO_WRITE(w, uint16_t)
KMB_IO_WRITE(l, uint32_t)
KMB_IO_WRITE(q, uint64_t)
#undef KMB_IO_READ
#undef KMB_IO_WRITE

/* ioread/iowrite (lib/iomap.c): the same accesses by their other names. */
#define ioread8(a)		readb(a)
#define ioread16(a)		readw(a)
#define ioread32(a)		readl(a)
#define ioread64(a)		readq(a)
#define iowrite8(v, a)		writeb((v), (a))
#define iowrite16(v, a)		writew((v), (a))
#define iowrite32(v, a)		writel((v), (a))
#define iowrite64(v, a)		writeq((v), (a))

/*
 * Block copies to and from device memory (asm-generic/io.h): volatile accesses, bytes up to
 * the first aligned word, then whole words, then bytes, so no access is torn or merged.
 */
KMB_API void memcpy_fromio(void *to, const volatile void __iomem *from, size_t count);
KMB_API void memcpy_toio(volatile void __iomem *to, const void *from, size_t count);
KMB_API void memset_io(volatile void __iomem *addr, int value, size_t count);

#endif
