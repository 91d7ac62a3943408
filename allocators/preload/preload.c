/*
 * preload.c - libkmbench-preload.so: the C library's allocation functions on kmalloc, so that
 * real programs run on the kernel-style allocators (LD_PRELOAD=libkmbench-preload.so PROGRAM).
 *
 * Not a layer: an adapter on top of the library, as backends/ is (allocators/README.md).  It
 * links a position-independent copy of the layers (kmb_mm_pic) and nothing of the harness.
 *
 * Where memory comes from, by size (docs/preload.md):
 *   up to KMALLOC_MAX_CACHE_SIZE (8K)  a slab object: kmalloc's size classes (backend kmalloc),
 *                                      or the variant's own caches over the same classes
 *                                      (slab, slab-packed, ...);
 *   up to KMALLOC_MAX_SIZE (4M)        pages from the buddy allocator, as kmalloc_large does;
 *   above, or when no block is free    vmalloc, as the kernel's kvmalloc_node (mm/util.c) falls
 *                                      back to it: order-0 frames of the same model mapped into
 *                                      the vmalloc window, so one KMB_PRELOAD_MEM bounds all.
 * free() tells them apart by address: the linear map is kfree's, the vmalloc window vfree's.
 *
 * The C library's own allocator serves three kinds of calls, and free() hands anything outside
 * the two windows back to it (__libc_free):
 *   - calls before this library's constructor has built the model.  The model needs libnuma,
 *     whose own constructor calls malloc before libnuma can answer anything; so nothing is
 *     built lazily inside such a call.  The constructor runs right after those of libc and
 *     libnuma, before the program's.  Calls made while the model is being built (libnuma's,
 *     stdio's) go there too;
 *   - the library's own metadata (vmap_area nodes, sheaves, the thread registry): the layers
 *     call malloc under their locks, so those calls must not come back into kmalloc.  The link
 *     renames the layers' malloc/free/... to __wrap_* (-Wl,--wrap), which call __libc_*;
 *   - a call that comes back into this library from inside it (qsort's buffer under the vmap
 *     lock, stdio inside a report): the thread's gate record says it is already inside.
 *
 * Fork: pthread_atfork's prepare handler closes a gate and waits until no thread is inside
 * the allocator, so the child inherits no lock held and no half-done list operation, and can
 * allocate.  Each thread marks itself inside with a plain store to its own record; the gate
 * is an asymmetric Dekker: the forking thread publishes fork_pending and runs membarrier(2)
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED, the kernel's rseq/userspace-RCU pattern), which orders
 * every other thread's store before its next load, so the fast path needs no fence.  Where
 * membarrier is unavailable the fast path takes a full fence instead.  The model's memory is
 * a shared memfd, so the child also copies it into memfds of its own before it goes on, while
 * the parent waits (fork_child).  What is not guaranteed is in docs/preload.md.
 *
 * Lock order: fork_mutex, then exit_mutex, then reg_mutex.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "kmbench/mm.h"
#include "kmbench/preload.h"
#include "kmbench/slab.h"
#include "kmbench/vmalloc.h"
#include "placement.h"
#include "tools.h"

#define EXPORT		__attribute__((visibility("default")))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define TLS		static __thread __attribute__((tls_model("initial-exec")))

/* glibc's allocator under its other names (exported by libc.so.6 since 2.2.5). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/* malloc's alignment on x86-64 (glibc's MALLOC_ALIGNMENT, alignof(max_align_t)). */
#define MALLOC_ALIGN	16
#define DEFAULT_MEM	(1UL << 30)
#define GFP_PRELOAD	(GFP_KERNEL | __GFP_NOWARN)

/* --- the backends: which caches serve small sizes --- */

struct variant {
	const char *name;
	bool own_caches;		/* false: kmalloc's caches */
	slab_flags_t flags;
	enum kmem_cache_sheaves sheaves;
	unsigned int sheaf_capacity;
	enum kmb_percpu_mode percpu;	/* of the sheaves and the page lists */
};

/* The kernel-style backends of allocators/backends/ that serve any size (be_kmalloc.c,
 * be_slab.c); the names are theirs. */
static const struct variant variants[] = {
	{ "kmalloc", false, 0, KMEM_SHEAVES_DEFAULT, 0, KMB_PERCPU_DEFAULT },
	{ "slab", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_DEFAULT, 0, KMB_PERCPU_DEFAULT },
	{ "slab-packed", true, 0, KMEM_SHEAVES_DEFAULT, 0, KMB_PERCPU_DEFAULT },
	{ "slab-colored", true, SLAB_HWCACHE_ALIGN | SLAB_COLOUR, KMEM_SHEAVES_DEFAULT, 0,
	  KMB_PERCPU_DEFAULT },
	{ "slab-nosheaves", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_OFF, 0, KMB_PERCPU_DEFAULT },
	{ "slab-bigsheaves", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_ON, KMEM_CACHE_MAX_SHEAF,
	  KMB_PERCPU_DEFAULT },
	{ "slab-none", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_DEFAULT, 0, KMB_PERCPU_NONE },
	{ "slab-thread", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_DEFAULT, 0, KMB_PERCPU_THREAD },
	{ "slab-cpu-lock", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_DEFAULT, 0,
	  KMB_PERCPU_CPU_LOCK },
	{ "slab-cpu-rseq", true, SLAB_HWCACHE_ALIGN, KMEM_SHEAVES_DEFAULT, 0,
	  KMB_PERCPU_CPU_RSEQ },
};
#define NR_VARIANTS	(sizeof(variants) / sizeof(variants[0]))
#define VARIANT_NAMES	KMB_PRELOAD_BACKENDS	/* kmbench/preload.h: the same names */

/* kmalloc's size classes (mm/slab_common.c kmalloc_info): a variant's caches have the same. */
static const unsigned int class_size[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
					   4096, 8192 };
#define NR_CLASSES	(sizeof(class_size) / sizeof(class_size[0]))

static const struct variant *variant;
static struct kmem_cache *caches[NR_CLASSES];	/* the variant's, when own_caches */

/* The class of @size (1..8K), as kmalloc_index() picks it: powers of two, and 96 and 192. */
static inline unsigned int size_class(size_t size)
{
	if (size <= 8)
		return 0;
	if (size > 64 && size <= 192)
		return size <= 96 ? 4 : size <= 128 ? 5 : 6;
	/* ceil(log2(size)) - 3, shifted past 96 and 192 above 64 */
	{
		unsigned int lg = 64 - (unsigned int)__builtin_clzl(size - 1);

		return lg <= 6 ? lg - 3 : lg - 1;
	}
}

/* --- state --- */

enum { ST_BOOT, ST_INIT, ST_READY };
static atomic_int state = ST_BOOT;	/* ST_READY: the model serves every call */

static struct {
	bool on;
	int fd;
	atomic_ulong kmalloc, pages, vmalloc, libc, frees, libc_frees, failed;
} stats = { .fd = -1 };

#define STAT(field)							\
	do {								\
		if (unlikely(stats.on))					\
			atomic_fetch_add_explicit(&stats.field, 1,	\
						  memory_order_relaxed);	\
	} while (0)

/* --- the fork gate --- */

struct gate_rec {
	atomic_int in;			/* the owner is inside the allocator (its depth) */
	bool used;			/* held by a live thread */
	struct gate_rec *next;		/* every record, never freed */
	char pad[64 - sizeof(atomic_int) - sizeof(bool) - sizeof(void *)];
} __attribute__((aligned(64)));

enum { TH_NEW, TH_REGISTERING, TH_LIVE, TH_EXITED };
TLS struct gate_rec *self;		/* this thread's record while TH_LIVE */
TLS int thread_state;
TLS bool forking;			/* this thread runs fork(): the gate lets it through */
TLS bool in_mutex;			/* inside under exit_mutex */

static pthread_mutex_t fork_mutex = PTHREAD_MUTEX_INITIALIZER;	/* held while forking */
static pthread_mutex_t exit_mutex = PTHREAD_MUTEX_INITIALIZER;	/* threads without a record */
static pthread_mutex_t reg_mutex = PTHREAD_MUTEX_INITIALIZER;	/* the record list */
static struct gate_rec *records;
static pthread_key_t gate_key;
static atomic_int fork_pending;
static bool no_membarrier;		/* the fast path fences itself */

static void gate_thread_exit(void *arg)
{
	struct gate_rec *r = arg;

	/* glibc may still free this thread's data after the destructors: without a record
	 * from now on, each call takes exit_mutex, which the fork gate holds too. */
	thread_state = TH_EXITED;
	self = NULL;
	pthread_mutex_lock(&reg_mutex);
	r->used = false;
	pthread_mutex_unlock(&reg_mutex);
}

/* A record for this thread: a released one, or a new one (never freed: the fork handler
 * walks the list without caring which thread is alive). */
static struct gate_rec *gate_register(void)
{
	struct gate_rec *r;

	pthread_mutex_lock(&reg_mutex);
	for (r = records; r && r->used; r = r->next)
		;
	if (!r && (r = __libc_memalign(64, sizeof(*r)))) {
		memset(r, 0, sizeof(*r));
		r->next = records;
		records = r;
	}
	if (r)
		r->used = true;
	pthread_mutex_unlock(&reg_mutex);
	return r;
}

/*
 * Enter the allocator: true with the thread marked inside (leave with gate_leave), false
 * when the call must go to glibc instead (the thread is already inside: a call from the
 * library back into malloc).  A thread without a record serialises on exit_mutex.
 */
static __attribute__((noinline)) int gate_enter_slow(void);

static inline int gate_enter(void)
{
	struct gate_rec *r = self;

	if (unlikely(!r))
		return gate_enter_slow();
	if (unlikely(atomic_load_explicit(&r->in, memory_order_relaxed)))
		return 0;		/* recursion: glibc serves it */
	atomic_store_explicit(&r->in, 1, memory_order_relaxed);
	if (unlikely(no_membarrier))
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	if (unlikely(atomic_load_explicit(&fork_pending, memory_order_relaxed)) && !forking)
		return gate_enter_slow();
	return 1;
}

/* 1: inside through the record; 2: inside under exit_mutex; 0: go to glibc. */
static int gate_enter_slow(void)
{
	struct gate_rec *r = self;

	if (r) {		/* a fork is pending: step out, wait for it, step in again */
		atomic_store_explicit(&r->in, 0, memory_order_release);
		pthread_mutex_lock(&fork_mutex);
		pthread_mutex_unlock(&fork_mutex);
		return gate_enter();
	}
	if (thread_state == TH_NEW) {
		thread_state = TH_REGISTERING;	/* pthread_setspecific may calloc */
		r = gate_register();
		if (r) {
			pthread_setspecific(gate_key, r);
			thread_state = TH_LIVE;
			self = r;
			return gate_enter();
		}
		thread_state = TH_EXITED;	/* no record: the mutex, for good */
	}
	if (forking)
		return 2;			/* exit_mutex is the fork handler's */
	if (in_mutex)
		return 0;			/* recursion */
	pthread_mutex_lock(&exit_mutex);
	in_mutex = true;
	return 3;
}

static inline void gate_leave(int how)
{
	if (likely(how == 1))
		atomic_store_explicit(&self->in, 0, memory_order_release);
	else if (how == 3) {
		in_mutex = false;
		pthread_mutex_unlock(&exit_mutex);
	}
}

/* The fork handshake (fork_child): MAP_SHARED, the parent's and the child's. */
struct fork_sync {
	atomic_uint done;		/* 0 while the child copies; 1 done; 2 failed */
};
static struct fork_sync *sync_page;

static void fork_prepare(void)
{
	struct gate_rec *r;

	if (atomic_load(&state) != ST_READY)
		return;
	pthread_mutex_lock(&fork_mutex);
	pthread_mutex_lock(&exit_mutex);
	pthread_mutex_lock(&reg_mutex);
	forking = true;
	atomic_store(&sync_page->done, 0);
	atomic_store(&fork_pending, 1);
	/* Every other thread's "in" store before its next load of fork_pending. */
	if (!no_membarrier)
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	for (r = records; r; r = r->next)
		while (r != self && atomic_load_explicit(&r->in, memory_order_acquire))
			sched_yield();
}

/* A fork that failed runs the parent's handler too, with no child to wait for: give up
 * after FORK_WAIT_MS. */
#define FORK_WAIT_MS	10000

static void fork_parent(void)
{
	if (!forking)
		return;
	for (int ms = 0; !atomic_load(&sync_page->done) && ms < FORK_WAIT_MS; ms += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		syscall(SYS_futex, &sync_page->done, FUTEX_WAIT, 0, &ts, NULL, 0);
	}
	forking = false;
	atomic_store(&fork_pending, 0);
	pthread_mutex_unlock(&reg_mutex);
	pthread_mutex_unlock(&exit_mutex);
	pthread_mutex_unlock(&fork_mutex);
}

/*
 * The model's physical memory is a memfd per node (page/physmem.c), mapped MAP_SHARED: after
 * fork() parent and child would share every frame, struct page included, while each has its
 * own zones.  So the child gives itself private memory: a new memfd per model memfd with the
 * same contents (the frames written so far: SEEK_DATA), mapped over every mapping of the old
 * one (the linear map, vmemmap, vmalloc areas: /proc/self/maps), and put in the old one's fd
 * number, where the layers will map it again.  The parent waits, its gate closed, until the
 * child has its copy: no allocator state moves meanwhile.  Nothing here may allocate.
 */
static char copy_buf[1 << 16];

struct memfd_copy {
	int fd;				/* the layers' fd number, the new file after dup3 */
	dev_t dev;
	ino_t ino;			/* the old file's, to find its mappings */
	int newfd;
};

/* Copy [@o, @end) of @old into @fd, the data ranges only (SEEK_DATA): 0 or -1. */
static int copy_range(int old, int fd, off_t o, off_t end)
{
	off_t data, hole;

	for (data = o; data < end && (data = lseek(old, data, SEEK_DATA)) >= 0 && data < end;
	     data = hole) {
		hole = lseek(old, data, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if (hole > end)
			hole = end;
		for (off_t at = data; at < hole;) {
			size_t n = (size_t)(hole - at) < sizeof(copy_buf) ? (size_t)(hole - at) :
				   sizeof(copy_buf);
			ssize_t r = pread(old, copy_buf, n, at);

			if (r <= 0 || pwrite(fd, copy_buf, (size_t)r, at) != r)
				return -1;
			at += r;
		}
	}
	return 0;
}

/*
 * Copy @old into a new memfd named @name; its fd or -1.  @pfn0 is the frame at offset 0 of a
 * node's memory, whose frames are walked block by block from the node's start: a free block
 * (a buddy list's, a per-CPU list's) holds nothing worth copying, and the struct page that
 * says so is copied with the memory map.  -1: another file, copied whole.
 */
static int memfd_clone(int old, const char *name, long pfn0)
{
	struct stat st;
	int fd;

	if (fstat(old, &st) || (fd = memfd_create(name, MFD_CLOEXEC)) < 0)
		return -1;
	if (ftruncate(fd, st.st_size))
		goto fail;
	if (pfn0 < 0) {
		if (copy_range(old, fd, 0, st.st_size))
			goto fail;
		return fd;
	}
	for (off_t o = 0, run = 0; o <= st.st_size; ) {
		unsigned long pfn = (unsigned long)pfn0 + ((unsigned long)o >> PAGE_SHIFT);
		const struct page *page = pfn_valid(pfn) ? pfn_to_page(pfn) : NULL;
		unsigned int order = page && page->order <= MAX_PAGE_ORDER ? page->order : 0;
		bool free_block = page && (page->flags & (1UL << PG_buddy | 1UL << PG_pcp));

		if (o == st.st_size || free_block) {	/* the run in use ends here */
			if (run < o && copy_range(old, fd, run, o))
				goto fail;
			if (o == st.st_size)
				break;
			o += (off_t)(PAGE_SIZE << order);
			run = o;
			continue;
		}
		o += (off_t)(page && (page->flags & 1UL << PG_head) ? PAGE_SIZE << order :
			     PAGE_SIZE);
		if (o > st.st_size)
			o = st.st_size;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Map @c's new file over every mapping of its old one, as /proc/self/maps lists them. */
static int remap_all(const struct memfd_copy *c, int nc)
{
	static char buf[1 << 16];
	size_t have = 0;
	int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (maps < 0)
		return -1;
	while ((r = read(maps, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *line = buf, *nl;

		have += (size_t)r;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			unsigned long start, end, off, ino;
			unsigned int maj, min;
			char perms[8];

			*nl = '\0';
			if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &off,
				   &maj, &min, &ino) == 7 && perms[3] == 's') {
				for (int i = 0; i < nc; i++) {
					int prot = (perms[0] == 'r' ? PROT_READ : 0) |
						   (perms[1] == 'w' ? PROT_WRITE : 0);

					if (ino != c[i].ino || makedev(maj, min) != c[i].dev)
						continue;
					if (mmap((void *)start, end - start, prot,
						 MAP_SHARED | MAP_FIXED, c[i].newfd,
						 (off_t)off) == MAP_FAILED) {
						close(maps);
						return -1;
					}
				}
			}
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
	}
	close(maps);
	return 0;
}

static int child_memory(void)
{
	struct memfd_copy c[KMB_MAX_NUMNODES + 1];
	int nc = 0, r = 0;
	char path[64], link[128];
	ssize_t n;

	/* The model's files by name: kmbench-node<N> (physmem.c), kmbench-iomem (ioremap.c);
	 * all found before any is copied, the copies having the same names. */
	for (int fd = 0; fd < 1024 && nc < KMB_MAX_NUMNODES + 1; fd++) {
		struct stat st;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:kmbench-", 15) || fstat(fd, &st))
			continue;
		c[nc++] = (struct memfd_copy){ fd, st.st_dev, st.st_ino, -1 };
	}
	for (int i = 0; i < nc && !r; i++) {
		long pfn0 = -1;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", c[i].fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		*strchrnul(link, ' ') = '\0';
		/* kmbench-node<N>: node N's frames start at N * node_mem (physmem.c). */
		if (strncmp(link, "/memfd:kmbench-node", 19) == 0)
			pfn0 = strtol(link + 19, NULL, 10) *
			       (long)(kmb_mm_config()->node_mem >> PAGE_SHIFT);
		c[i].newfd = memfd_clone(c[i].fd, link + 7, pfn0);
		if (c[i].newfd < 0)
			r = -1;
	}
	if (!r)
		r = remap_all(c, nc);
	for (int i = 0; i < nc; i++) {
		if (!r && dup3(c[i].newfd, c[i].fd, O_CLOEXEC) < 0)
			r = -1;
		if (c[i].newfd >= 0)
			close(c[i].newfd);
	}
	return r;
}

static void sync_wake(unsigned int v)
{
	atomic_store(&sync_page->done, v);
	syscall(SYS_futex, &sync_page->done, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* The child has one thread: every other record is free again. */
static void fork_child(void)
{
	struct gate_rec *r;

	if (!forking)
		return;
	if (child_memory()) {
		sync_wake(2);
		fprintf(stderr, "kmbench-preload: fork: the child cannot copy the model's memory "
			"(%s); it stops\n", strerror(errno));
		_exit(127);
	}
	sync_wake(1);
	for (r = records; r; r = r->next)
		r->used = r == self;
	forking = false;
	atomic_store(&fork_pending, 0);
	pthread_mutex_init(&reg_mutex, NULL);
	pthread_mutex_init(&exit_mutex, NULL);
	pthread_mutex_init(&fork_mutex, NULL);
}

/* --- allocation --- */

static inline bool in_linear(const void *p)
{
	return (uintptr_t)p - (uintptr_t)kmb_memmap.linear <
	       (uintptr_t)kmb_memmap.max_low_pfn << PAGE_SHIFT;
}

static inline bool in_vmalloc(const void *p)
{
	return (uintptr_t)p - VMALLOC_START < VMALLOC_END - VMALLOC_START;
}

/* Above kmalloc's caches: kvmalloc_node (mm/util.c): pages from the buddy allocator without
 * trying hard, then vmalloc. */
static __attribute__((noinline)) void *alloc_large(size_t size, gfp_t gfp)
{
	void *p = NULL;

	if (size <= KMALLOC_MAX_SIZE) {
		p = kmalloc(size, gfp | __GFP_NORETRY);
		if (p) {
			STAT(pages);
			return p;
		}
	}
	if (size > (size_t)kmb_memmap.max_pfn << PAGE_SHIFT)
		return NULL;	/* more than the whole model: vmalloc would say so loudly */
	p = __vmalloc(size, gfp);
	if (p)
		STAT(vmalloc);
	return p;
}

static inline void *alloc_small(size_t size, gfp_t gfp)
{
	STAT(kmalloc);
	if (!variant->own_caches)
		return kmalloc(size, gfp);
	return kmem_cache_alloc(caches[size_class(size)], gfp);
}

/* Any size, at malloc's alignment; NULL with errno ENOMEM when the model has no room. */
static void *model_alloc(size_t size, gfp_t gfp)
{
	void *p;

	if (unlikely(!size))
		size = 1;	/* a unique pointer, as glibc gives (kmalloc(0) would not) */
	if (likely(size <= KMALLOC_MAX_CACHE_SIZE))
		p = alloc_small(size, gfp);
	else
		p = alloc_large(size, gfp);
	if (unlikely(!p)) {
		STAT(failed);
		errno = ENOMEM;
	}
	return p;
}

/*
 * @align (a power of two above MALLOC_ALIGN): kmalloc's power-of-two caches are naturally
 * aligned (the guarantee include/linux/slab.h states for kmalloc, kept under slub_debug:
 * mm/slab_common.c create_boot_cache aligns each cache to its size), pages are page aligned,
 * and vmalloc takes any alignment (__vmalloc_node).
 */
static void *model_alloc_aligned(size_t align, size_t size)
{
	size_t need = size < align ? align : size;
	void *p = NULL;

	if (need <= KMALLOC_MAX_CACHE_SIZE) {
		need = need <= 8 ? 8 : 1UL << (64 - __builtin_clzl(need - 1));
		STAT(kmalloc);
		p = kmalloc(need, GFP_PRELOAD);
	} else if (align <= PAGE_SIZE) {
		p = alloc_large(size, GFP_PRELOAD);
	} else if (size <= (size_t)kmb_memmap.max_pfn << PAGE_SHIFT) {
		p = __vmalloc_node(size, align, GFP_PRELOAD, NUMA_NO_NODE,
				   __builtin_return_address(0));
		if (p)
			STAT(vmalloc);
	}
	if (p && ((uintptr_t)p & (align - 1))) {	/* a guarantee broken: say so once */
		static atomic_flag said;

		if (!atomic_flag_test_and_set(&said))
			fprintf(stderr, "kmbench-preload: %p is not aligned to %zu\n", p, align);
	}
	if (!p) {
		STAT(failed);
		errno = ENOMEM;
	}
	return p;
}

static size_t model_usable(const void *p)
{
	const struct vm_struct *vm;

	if (in_linear(p))
		return ksize(p);
	vm = find_vm_area(p);
#if KMB_TOOLS
	/* all of it is the caller's, as ksize makes a kmalloc object (base/tools.h) */
	if (vm)
		kmb_tool_grow(p, get_vm_area_size(vm));
#endif
	return vm ? get_vm_area_size(vm) : 0;
}

static void model_free(void *p)
{
	STAT(frees);
	if (likely(in_linear(p)))
		kfree(p);
	else
		vfree(p);
}

/* Whether @p is the model's (else glibc's: made before the model, or by the library). */
static inline bool model_owns(const void *p)
{
	return atomic_load_explicit(&state, memory_order_relaxed) == ST_READY &&
	       (in_linear(p) || in_vmalloc(p));
}

/* --- the C library's functions --- */

EXPORT void *malloc(size_t size)
{
	int how;
	void *p;

	if (unlikely(atomic_load_explicit(&state, memory_order_acquire) != ST_READY) ||
	    unlikely(!(how = gate_enter()))) {
		STAT(libc);
		return __libc_malloc(size);
	}
	p = model_alloc(size, GFP_PRELOAD);
	gate_leave(how);
	return p;
}

EXPORT void free(void *p)
{
	int how;

	if (unlikely(!p))
		return;
	if (unlikely(!model_owns(p))) {
		STAT(libc_frees);
		__libc_free(p);
		return;
	}
	how = gate_enter();
	if (unlikely(!how)) {	/* recursion: the model's memory is not glibc's; leak it */
		STAT(failed);
		return;
	}
	model_free(p);
	gate_leave(how);
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;
	int how;
	void *p;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	if (unlikely(atomic_load_explicit(&state, memory_order_acquire) != ST_READY) ||
	    unlikely(!(how = gate_enter()))) {
		STAT(libc);
		return __libc_calloc(n, size);
	}
	p = model_alloc(bytes, GFP_PRELOAD | __GFP_ZERO);
	gate_leave(how);
	return p;
}

static void *aligned_common(size_t align, size_t size)
{
	int how;
	void *p;

	if (unlikely(atomic_load_explicit(&state, memory_order_acquire) != ST_READY) ||
	    unlikely(!(how = gate_enter()))) {
		STAT(libc);
		return __libc_memalign(align, size);
	}
	/* Up to 16, any class at least as large as the alignment is aligned enough. */
	p = align <= MALLOC_ALIGN ? model_alloc(size < align ? align : size, GFP_PRELOAD) :
	    model_alloc_aligned(align, size);
	gate_leave(how);
	return p;
}

EXPORT void *realloc(void *old, size_t size)
{
	size_t have;
	int how;
	void *p;

	if (!old)
		return malloc(size);
	if (!size) {		/* glibc frees and returns NULL */
		free(old);
		return NULL;
	}
	if (unlikely(!model_owns(old)))
		return __libc_realloc(old, size);	/* made before the model: stays glibc's */
	how = gate_enter();
	if (unlikely(!how)) {	/* from inside the library: glibc's copy, the old one leaks */
		have = in_linear(old) ? ksize(old) : 0;
		p = have ? __libc_malloc(size) : NULL;
		if (p)
			memcpy(p, old, size < have ? size : have);
		else
			errno = ENOMEM;
		return p;
	}
	have = model_usable(old);
	/* Kept when it still fits and wastes less than half (krealloc keeps any that fits),
	 * through krealloc, which moves a kmalloc red zone (slub_debug Z) to the new size. */
	if (size <= have && size > have / 2) {
		p = in_linear(old) ? krealloc(old, size, GFP_PRELOAD) : old;
		gate_leave(how);
		return p;
	}
	p = model_alloc(size, GFP_PRELOAD);
	if (p) {
		memcpy(p, old, size < have ? size : have);
		model_free(old);
	}
	gate_leave(how);
	return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, bytes);
}

static inline bool pow2(size_t x)
{
	return x && !(x & (x - 1));
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;
	int saved = errno;

	if (!pow2(align) || align % sizeof(void *))
		return EINVAL;
	p = aligned_common(align, size);
	if (!p)
		return ENOMEM;
	errno = saved;		/* posix_memalign leaves errno alone */
	*out = p;
	return 0;
}

/* memalign: glibc rounds a non-power-of-two alignment up to the next power of two. */
EXPORT void *memalign(size_t align, size_t size)
{
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!pow2(align))
		align = align <= 1 ? 1 : 1UL << (64 - __builtin_clzl(align - 1));
	return aligned_common(align, size);
}

/* aligned_alloc: glibc 2.36 takes any alignment, as memalign does (2.38 refuses one that is
 * not a power of two). */
EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

EXPORT void *valloc(size_t size)
{
	return aligned_common(PAGE_SIZE, size);
}

EXPORT void *pvalloc(size_t size)
{
	size_t rounded;

	if (__builtin_add_overflow(size, PAGE_SIZE - 1, &rounded)) {
		errno = ENOMEM;
		return NULL;
	}
	rounded &= PAGE_MASK;
	return aligned_common(PAGE_SIZE, rounded ? rounded : PAGE_SIZE);
}

/* ksize, for the model's memory: the size class's object size, or the pages' or area's. */
EXPORT size_t malloc_usable_size(void *p)
{
	static size_t (*libc_usable)(void *);

	size_t n;
	int how;

	if (!p)
		return 0;
	if (model_owns(p)) {	/* find_vm_area takes the vmap lock: inside the gate */
		how = gate_enter();
		n = how || in_linear(p) ? model_usable(p) : 0;
		if (how)
			gate_leave(how);
		return n;
	}
	if (!libc_usable)
		libc_usable = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return libc_usable ? libc_usable(p) : 0;
}

/* The library's own calls, renamed by the link (-Wl,--wrap=malloc,...): glibc's allocator. */
void *__wrap_malloc(size_t size)
{
	return __libc_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return __libc_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return __libc_realloc(p, size);
}

void __wrap_free(void *p)
{
	__libc_free(p);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
	return __libc_memalign(align, size);
}

int __wrap_posix_memalign(void **out, size_t align, size_t size)
{
	void *p = __libc_memalign(align, size);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* --- set-up, from the constructor --- */

static __attribute__((noreturn)) void bad_env(const char *var, const char *val, const char *valid)
{
	fprintf(stderr, "kmbench-preload: %s=%s is not valid; valid: %s\n", var, val, valid);
	_exit(2);
}

/* "512M", "2G", "1048576": bytes, a multiple of 4M from 8M; 0 when not so. */
static size_t parse_mem(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end || v > (1ULL << (63 - shift)) >> 1)
		return 0;
	v <<= shift;
	if (v < 2 * KMB_MM_GRAIN || v % KMB_MM_GRAIN)
		return 0;
	return (size_t)v;
}

static void stats_open(const char *s)
{
	stats.on = true;
	stats.fd = 2;
	if (strcmp(s, "1") == 0)
		return;
	stats.fd = open(s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (stats.fd < 0) {
		fprintf(stderr, "kmbench-preload: KMB_PRELOAD_STATS=%s: %s; give 1 (stderr) or "
			"a file to append to\n", s, strerror(errno));
		_exit(2);
	}
}

static int create_caches(void)
{
	for (unsigned int i = 0; i < NR_CLASSES; i++) {
		struct kmem_cache_args args = {
			.sheaves = variant->sheaves,
			.sheaf_capacity = variant->sheaf_capacity,
		};
		char name[KMEM_CACHE_NAME_MAX];

		snprintf(name, sizeof(name), "%s-%u", variant->name, class_size[i]);
		caches[i] = __kmem_cache_create_args(name, class_size[i], &args, variant->flags);
		if (!caches[i])
			return -ENOMEM;
	}
	return 0;
}

static void preload_init(void)
{
	const char *be = getenv("KMB_PRELOAD_BACKEND"), *mem = getenv("KMB_PRELOAD_MEM");
	const char *dbg = getenv("KMB_PRELOAD_SLUB_DEBUG"), *st = getenv("KMB_PRELOAD_STATS");
	struct kmb_mm_config cfg = { 0 };
	slab_flags_t debug = 0;
	size_t total = DEFAULT_MEM;
	char why[256];
	int nodes, r;

	variant = &variants[0];
	if (be && *be) {
		variant = NULL;
		for (size_t i = 0; i < NR_VARIANTS && !variant; i++)
			if (strcmp(be, variants[i].name) == 0)
				variant = &variants[i];
		if (!variant)
			bad_env("KMB_PRELOAD_BACKEND", be, VARIANT_NAMES);
	}
	if (mem && *mem && !(total = parse_mem(mem)))
		bad_env("KMB_PRELOAD_MEM", mem, "a size, a multiple of 4M from 8M: 512M, 2G, ...");
	if (dbg && *dbg && kmb_slab_parse_debug(dbg, &debug))
		bad_env("KMB_PRELOAD_SLUB_DEBUG", dbg, "the letters F, Z, P, U, or - for none");
	if (st && *st && strcmp(st, "0"))
		stats_open(st);

	/* One model node per machine node, the memory split evenly (each a multiple of 4M). */
	nodes = kmb_numa_max_node() + 1;
	if (nodes > KMB_MAX_NUMNODES)
		nodes = KMB_MAX_NUMNODES;
	cfg.nr_nodes = nodes;
	cfg.node_mem = (total / (size_t)nodes + KMB_MM_GRAIN - 1) / KMB_MM_GRAIN * KMB_MM_GRAIN;
	if (cfg.node_mem < 2 * KMB_MM_GRAIN)
		cfg.node_mem = 2 * KMB_MM_GRAIN;
	if (cfg.node_mem > KMB_MM_MAX_NODE_MEM) {
		char valid[96];

		snprintf(valid, sizeof(valid), "a multiple of 4M from 8M to %luG (64G per NUMA "
			 "node)", (unsigned long)nodes * (KMB_MM_MAX_NODE_MEM >> 30));
		bad_env("KMB_PRELOAD_MEM", mem, valid);
	}
	if (cfg.node_mem <= KMB_MM_DEFAULT_DMA)
		cfg.dma_size = SIZE_MAX;	/* a small model: no DMA zone to keep apart */
	cfg.debug = -1;		/* misuse reported and refused: the program goes on */
	kmb_slab_set_debug(debug);
	kmb_slab_set_percpu(variant->percpu);
	r = kmb_mm_init(&cfg, why, sizeof(why));
	if (!r && variant->own_caches && (r = create_caches()))
		snprintf(why, sizeof(why), "cannot create the %s caches", variant->name);
	if (r) {
		fprintf(stderr, "kmbench-preload: %s (KMB_PRELOAD_MEM=%s)\n", why,
			mem && *mem ? mem : "1G, the default");
		_exit(1);
	}
	sync_page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			 0);
	if (sync_page == MAP_FAILED) {
		fprintf(stderr, "kmbench-preload: cannot map the fork handshake page\n");
		_exit(1);
	}
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
		no_membarrier = true;
	if (pthread_key_create(&gate_key, gate_thread_exit) ||
	    pthread_atfork(fork_prepare, fork_parent, fork_child)) {
		fprintf(stderr, "kmbench-preload: cannot register the thread and fork handlers\n");
		_exit(1);
	}
}

/*
 * Runs after the constructors of libc and libnuma (this library needs them), before the
 * program's.  Until the model is up every call is glibc's.
 */
__attribute__((constructor)) static void preload_ctor(void)
{
	int expect = ST_BOOT;

	if (!atomic_compare_exchange_strong(&state, &expect, ST_INIT))
		return;
	preload_init();
	atomic_store_explicit(&state, ST_READY, memory_order_release);
}

/* KMB_PRELOAD_STATS: one line per process at exit, written whole (O_APPEND). */
__attribute__((destructor)) static void preload_dtor(void)
{
	struct kmb_mm_stats mm;
	struct kmb_slab_stats sl;
	unsigned long pgalloc = 0;
	char line[512];
	int n;

	if (!stats.on || atomic_load(&state) != ST_READY)
		return;
	kmb_mm_get_stats(&mm);
	kmb_slab_get_stats(&sl);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		pgalloc += mm.pgalloc[o];
	n = snprintf(line, sizeof(line), "kmbench-preload: pid %d %s backend %s: slab %lu "
		     "pages %lu vmalloc %lu frees %lu failed %lu; glibc %lu frees %lu; "
		     "pgalloc %lu slabs_alloc %lu slab_errors %lu bad_page %lu\n", (int)getpid(),
		     program_invocation_short_name, variant->name, atomic_load(&stats.kmalloc),
		     atomic_load(&stats.pages), atomic_load(&stats.vmalloc),
		     atomic_load(&stats.frees), atomic_load(&stats.failed),
		     atomic_load(&stats.libc), atomic_load(&stats.libc_frees), pgalloc,
		     sl.slabs_alloc, sl.errors, mm.bad_page);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (n > 0 && write(stats.fd, line, (size_t)n) < 0)
		return;		/* nowhere left to say it */
}
