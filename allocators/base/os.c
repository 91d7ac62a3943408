/*
 * os.c - everything the allocator layers ask of the operating system, each call wrapped once
 * (as mimalloc keeps src/prim/ for it): mappings, the memfds that are the model's physical and
 * device memory, membarrier, the CPU number's fallback, rseq's registration, the thread's id
 * and name, the cache line size.  No layer above base calls these functions of libc itself;
 * the `layers` test checks it on the archives (tests/layers/check.sh).  What stays outside:
 * the threads library (pthread_*), sched_yield() and clock_gettime(), which are portable and
 * not about memory, and numa/ (libnuma: mbind, move_pages, get_mempolicy) below every layer.
 *
 * The error convention: 0 or -errno, except kmb_mmap(), which returns MAP_FAILED with errno
 * set as mmap(2) does, so that it is a tail call on vmalloc's measured path (one instruction,
 * where translating MAP_FAILED would cost a compare and a frame).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmbench/rseq.h"
#include "lib.h"

/* lib.h: kmb_mmap. */
void *kmb_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* lib.h: kmb_munmap. */
int kmb_munmap(void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

/* lib.h: kmb_memfd_create. */
int kmb_memfd_create(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* lib.h: kmb_memfd_zero. */
int kmb_memfd_zero(int fd, off_t off, size_t len)
{
	static const char zero[PAGE_SIZE];

	/* Punching a hole gives zeroes and releases the memory (Linux 2.6.38, shmem 3.5). */
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len))
		return 0;
	for (size_t done = 0; done < len; done += PAGE_SIZE)
		if (pwrite(fd, zero, PAGE_SIZE, off + (off_t)done) < 0)
			return -errno;
	return 0;
}

/* lib.h: kmb_close. */
int kmb_close(int fd)
{
	return close(fd) ? -errno : 0;
}

/* lib.h: kmb_membarrier (glibc has no wrapper of membarrier(2)). */
int kmb_membarrier(int cmd, unsigned int flags, int cpu)
{
	long r = syscall(__NR_membarrier, cmd, flags, cpu);

	return r < 0 ? -errno : (int)r;
}

/*
 * kmbench/rseq.h: kmb_current_cpu_slow, kmb_current_cpu()'s way where glibc registered no rseq
 * area (valgrind, glibc.pthread.rseq=0): sched_getcpu(), which Linux always has (getcpu(2),
 * 2.6.19), so that it stays a tail call; scripts/instructions counts it.
 */
int kmb_current_cpu_slow(void)
{
	return sched_getcpu();
}

/* lib.h: kmb_rseq_registered. */
int kmb_rseq_registered(void)
{
	if (__rseq_size == 0)
		return -ENOSYS;
	/* cpu_id is RSEQ_CPU_ID_REGISTRATION_FAILED (-2) where registering this thread failed,
	 * RSEQ_CPU_ID_UNINITIALIZED (-1) before the kernel first wrote it. */
	if ((int)__atomic_load_n(&kmb_rseq_area()->cpu_id, __ATOMIC_RELAXED) < 0)
		return -ENOENT;
	return 0;
}

/* lib.h: kmb_gettid. */
int kmb_gettid(void)
{
	return (int)gettid();
}

/* lib.h: kmb_thread_name. */
int kmb_thread_name(char name[16])
{
	return prctl(PR_GET_NAME, name, 0, 0, 0) ? -errno : 0;
}

/* lib.h: cache_line_size. */
long cache_line_size(void)
{
	static long line;

	if (!line) {
		long l = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);

		line = l > 0 && !(l & (l - 1)) ? l : 64;
	}
	return line;
}
