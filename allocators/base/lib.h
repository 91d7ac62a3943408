/*
 * lib.h - the small kernel library every allocator layer uses: list_head operations, a
 * spinlock, likely/unlikely, a rate limiter, the reports and the operating system's calls
 * (os.c).  Internal to allocators/.
 */
#ifndef KMB_ALLOC_LIB_H
#define KMB_ALLOC_LIB_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kmbench/mm.h"
#include "kmbench/rseq.h"

#include "config.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define noinline	__attribute__((noinline))
#define cold		__attribute__((cold))
#define always_inline	inline __attribute__((always_inline))
#define cacheline_aligned __attribute__((aligned(64)))

/* CHECK - in a validator with a (char *why, size_t whylen) out-parameter: when @cond fails,
 * write the message and return -EUCLEAN (kmb_mm_check, kmb_vmalloc_check). */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf(why, whylen, __VA_ARGS__);		\
			return -EUCLEAN;				\
		}							\
	} while (0)

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* --- include/linux/list.h --- */

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

/* Insert @n between two known consecutive entries. */
static inline void list_insert(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *head)
{
	list_insert(n, head, head->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	list_insert(n, head->prev, head);
}

static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = e->prev = NULL;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/*
 * A test-and-test-and-set spinlock: one atomic exchange to take it, a release store to drop it,
 * like the kernel's uncontended spin_lock()/spin_unlock().  User space cannot disable
 * preemption, so a waiter that spins for long yields the CPU to the holder.
 */
typedef struct {
	atomic_int locked;
} spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	atomic_init(&l->locked, 0);
}

void spin_lock_slow(spinlock_t *l);

static always_inline void spin_lock(spinlock_t *l)
{
	if (likely(!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire)))
		return;
	spin_lock_slow(l);
}

static always_inline bool spin_trylock(spinlock_t *l)
{
	return !atomic_load_explicit(&l->locked, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire);
}

static always_inline void spin_unlock(spinlock_t *l)
{
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

/* --- include/linux/ratelimit.h: at most @burst events per @interval_ms --- */
struct ratelimit_state {
	atomic_flag busy;
	uint64_t begin_ms;
	unsigned int interval_ms, burst, printed, missed;
};
#define RATELIMIT_STATE_INIT(interval, b) { ATOMIC_FLAG_INIT, 0, (interval), (b), 0, 0 }
/* __ratelimit(): true when the event may be reported; counts the ones it suppresses. */
bool kmb_ratelimit(struct ratelimit_state *rs);

uint64_t kmb_now_ms(void);

/* A text buffer written like snprintf: it counts what it would need beyond @len. */
struct sbuf {
	char *buf;
	size_t len, pos;
};
void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminate (truncating) and return the length needed. */
size_t sb_end(struct sbuf *sb);

/* kmb_describe_caller - "symbol+0x1c (object) [address]" for a code address, as far as the
 * dynamic symbol table tells (executables are linked with exported symbols). */
void kmb_describe_caller(char *buf, size_t len, const void *addr);

/* kmb_report - one "kmbench: "-prefixed line on stderr: every report of the allocator layers. */
void kmb_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- debug.c: assertions and the misuse policy of every layer (config.h has the levels) --- */

/* kmb_assert_fail - an assertion of config.h failed: report it and stop. */
cold noinline __attribute__((noreturn)) void kmb_assert_fail(const char *expr, const char *file,
							     int line, const char *func);
/* kmb_misuse_set_policy - kmb_mm_config.debug, for every layer: 1 stop after a misuse report,
 * -1 report, count and go on, 0 the default, the same for every layer: stop in builds with
 * KMB_DEBUG, go on in Release.  Set by the page layer's setup. */
void kmb_misuse_set_policy(int debug);
bool kmb_misuse_stops(enum kmb_layer layer);
/* kmb_misuse_begin - the "BUG: ..." line that opens a misuse report (@fmt a literal); the
 * caller may add lines of its own with kmb_report(), then ends it with kmb_misuse_end(). */
#define kmb_misuse_begin(fmt, ...)	kmb_report("BUG: " fmt, ##__VA_ARGS__)
/* kmb_misuse_end - count the misuse for @layer, then stop (abort) if the policy says so, or
 * report @outcome (what was done instead: "the free was refused ..."; NULL: nothing). */
cold noinline void kmb_misuse_end(enum kmb_layer layer, const char *outcome);
/* kmb_misuse_fatal - count the misuse and stop, whatever the policy: "stopping: @why". */
cold noinline __attribute__((noreturn)) void kmb_misuse_fatal(enum kmb_layer layer,
							      const char *why);
/* kmb_misuse_reset - zero @layer's count (its setup, where its stats start from zero). */
void kmb_misuse_reset(enum kmb_layer layer);

/*
 * --- os.c: the operating system, each call wrapped once; no other layer calls these of libc.
 * 0 or -errno unless said otherwise.  kmb_current_cpu_slow() (sched_getcpu) is declared in
 * kmbench/rseq.h, beside kmb_current_cpu() which calls it. ---
 */

/* kmb_mmap - mmap(2) itself: the address, or MAP_FAILED with errno set. */
void *kmb_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
/* kmb_munmap - munmap(2). */
int kmb_munmap(void *addr, size_t len);
/* kmb_memfd_create - a close-on-exec memfd of @size bytes (memfd_create(2), ftruncate(2)):
 * the file descriptor, or -errno. */
int kmb_memfd_create(const char *name, size_t size);
/* kmb_memfd_zero - zeroes over @len bytes of @fd at @off, page-aligned: a hole punched with
 * fallocate(2), else zero pages written with pwrite(2). */
int kmb_memfd_zero(int fd, off_t off, size_t len);
/* kmb_close - close(2). */
int kmb_close(int fd);
/* kmb_membarrier - membarrier(2), @cmd and @flags from <linux/membarrier.h>: what the
 * command returns (0, or the supported commands for MEMBARRIER_CMD_QUERY), or -errno. */
int kmb_membarrier(int cmd, unsigned int flags, int cpu);
/* kmb_rseq_registered - 0 when glibc registered an rseq area for the calling thread (then
 * kmb_rseq_cpu_id() reads the CPU number); -ENOSYS where glibc registers none (valgrind,
 * glibc.pthread.rseq=0, a kernel before 4.18), -ENOENT where registering this thread failed. */
int kmb_rseq_registered(void);
/* kmb_gettid - gettid(2). */
int kmb_gettid(void);
/* kmb_thread_name - the calling thread's name (prctl(PR_GET_NAME)), NUL-terminated. */
int kmb_thread_name(char name[16]);
/* cache_line_size - the L1 data cache line of this machine (sysconf), 64 when unknown. */
long cache_line_size(void);

#endif
