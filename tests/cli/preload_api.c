/*
 * preload_api.c - the C library's allocation API as a program sees it, run by preload.sh under
 * libkmbench-preload.so.  Plain libc, nothing of kmbench linked: every call goes through the
 * dynamic linker as a real program's does.
 *
 *   preload_api api       each function's contract: alignment, zeroing, contents kept by
 *                         realloc across the slab, page and vmalloc ranges, errno on overflow
 *   preload_api threads   threads allocating and freeing each other's objects, contents checked
 *   preload_api fork      fork() while other threads allocate: every child allocates and exits
 *   preload_api exhaust   until malloc fails (run with KMB_PRELOAD_MEM=32M): NULL with
 *                         ENOMEM, no abort, and after freeing, malloc works again
 *   preload_api misuse    frees an object twice (run with KMB_PRELOAD_SLUB_DEBUG=F: reported
 *                         and refused) and allocates again
 *   preload_api live      prints malloc_usable_size(malloc(100)): 128 (kmalloc-128) under the
 *                         shim, 104 under glibc
 * Each failed check prints "FAIL: ..."; the exit status is 1 when any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			failures++;					\
			printf("FAIL: %s:%d: ", __func__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

static void fill(unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int same(const unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

/* Sizes across the three ranges: slab classes, pages (8K..4M), vmalloc (above 4M). */
static const size_t sizes[] = { 0, 1, 8, 9, 24, 100, 192, 1000, 4096, 8192, 8193, 65536,
				1 << 20, 4 << 20, (4 << 20) + 1, 9 << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* The overflow and failure checks below are what gcc warns of: they are meant. */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Wuse-after-free"

static void api(void)
{
	void *p, *q, *seen[64];
	size_t n;
	int r;

	for (size_t i = 0; i < NSIZES; i++) {
		unsigned char *c;

		p = malloc(sizes[i]);
		CHECK(p, "malloc(%zu) = NULL", sizes[i]);
		if (!p)
			continue;
		CHECK(malloc_usable_size(p) >= sizes[i], "usable %zu < %zu", malloc_usable_size(p),
		      sizes[i]);
		CHECK(sizes[i] < 16 || (uintptr_t)p % 16 == 0, "malloc(%zu) = %p", sizes[i], p);
		memset(p, 0xff, sizes[i]);
		free(p);
		c = calloc(1, sizes[i]);
		CHECK(c, "calloc(%zu) = NULL", sizes[i]);
		for (n = 0; c && n < sizes[i] && !c[n]; n++)
			;
		CHECK(!c || n == sizes[i], "calloc(1, %zu): byte %zu not zero", sizes[i], n);
		free(c);
	}
	/* malloc(0): unique pointers */
	for (int i = 0; i < 64; i++)
		seen[i] = malloc(0);
	for (int i = 1; i < 64; i++)
		CHECK(seen[i] && seen[i] != seen[i - 1], "malloc(0) twice gave %p", seen[i]);
	for (int i = 0; i < 64; i++)
		free(seen[i]);
	free(NULL);

	/* realloc up through every range and back down, contents kept */
	p = NULL;
	for (size_t i = 1; i < NSIZES; i++) {
		size_t keep = sizes[i - 1];

		q = realloc(p, sizes[i]);
		CHECK(q, "realloc to %zu = NULL", sizes[i]);
		if (!q)
			break;
		CHECK(!p || same(q, keep, 3), "realloc %zu -> %zu lost the contents", keep,
		      sizes[i]);
		fill(q, sizes[i], 3);
		p = q;
	}
	for (size_t i = NSIZES - 1; p && i > 1; i--) {
		q = realloc(p, sizes[i - 1]);
		CHECK(q && same(q, sizes[i - 1], 3), "realloc down to %zu", sizes[i - 1]);
		p = q;
	}
	free(p);
	errno = 0;
	p = malloc(64);
	CHECK(realloc(p, 0) == NULL, "realloc(p, 0) is not NULL");

	/* overflow: NULL with ENOMEM, the old block untouched */
	errno = 0;
	CHECK(!calloc(SIZE_MAX / 2, 4) && errno == ENOMEM, "calloc overflow: errno %d", errno);
	p = malloc(10);
	errno = 0;
	CHECK(!reallocarray(p, SIZE_MAX / 2, 4) && errno == ENOMEM, "reallocarray overflow");
	q = reallocarray(p, 10, 100);
	CHECK(q && malloc_usable_size(q) >= 1000, "reallocarray(p, 10, 100)");
	free(q);
	errno = 0;
	CHECK(!malloc(SIZE_MAX - 4096) && errno == ENOMEM, "malloc(SIZE_MAX - 4096): errno %d",
	      errno);

	/* alignment: every power of two from 16 to 2M, at sizes around it */
	for (size_t al = 16; al <= (2 << 20); al <<= 1) {
		size_t sz[] = { 1, al / 2, al, 3 * al + 5, 100000 };

		for (size_t k = 0; k < sizeof(sz) / sizeof(sz[0]); k++) {
			p = NULL;
			r = posix_memalign(&p, al, sz[k]);
			CHECK(!r && p && (uintptr_t)p % al == 0, "posix_memalign(%zu, %zu) = %d %p",
			      al, sz[k], r, p);
			if (p)
				memset(p, 1, sz[k]);
			free(p);
			p = aligned_alloc(al, sz[k]);
			CHECK(p && (uintptr_t)p % al == 0, "aligned_alloc(%zu, %zu) = %p", al,
			      sz[k], p);
			free(p);
			p = memalign(al, sz[k]);
			CHECK(p && (uintptr_t)p % al == 0, "memalign(%zu, %zu) = %p", al, sz[k], p);
			CHECK(!p || malloc_usable_size(p) >= sz[k], "memalign usable");
			free(p);
		}
	}
	p = memalign(8, 8);
	CHECK(p && (uintptr_t)p % 8 == 0, "memalign(8, 8) = %p", p);
	free(p);
	p = memalign(16, 8);
	CHECK(p && (uintptr_t)p % 16 == 0, "memalign(16, 8) = %p", p);
	free(p);
	p = memalign(24, 10);	/* glibc: the next power of two */
	CHECK(p && (uintptr_t)p % 32 == 0, "memalign(24, 10) = %p", p);
	free(p);
	p = (void *)1;
	CHECK(posix_memalign(&p, 24, 10) == EINVAL && p == (void *)1, "posix_memalign(24)");
	CHECK(posix_memalign(&p, 4, 10) == EINVAL, "posix_memalign(4)");
	p = aligned_alloc(24, 48);	/* glibc 2.36: as memalign */
	CHECK(p && (uintptr_t)p % 32 == 0, "aligned_alloc(24, 48) = %p", p);
	free(p);
	p = valloc(100);
	CHECK(p && (uintptr_t)p % 4096 == 0, "valloc(100) = %p", p);
	free(p);
	p = pvalloc(1);
	CHECK(p && (uintptr_t)p % 4096 == 0 && malloc_usable_size(p) >= 4096, "pvalloc(1)");
	free(p);
	p = pvalloc(5000);
	CHECK(p && malloc_usable_size(p) >= 8192, "pvalloc(5000): usable %zu",
	      p ? malloc_usable_size(p) : 0);
	free(p);
	CHECK(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL)");
}

/* --- threads: objects handed between threads through one shared array --- */

#define SLOTS 4096
static _Atomic(unsigned char *) slot[SLOTS];

static size_t pick_size(unsigned int *seed)
{
	unsigned int r = rand_r(seed);

	switch (r % 16) {
	case 0:
		return 8192 + r % 100000;		/* pages */
	case 1:
		return r % 8 ? 16 + r % 4000 : (4 << 20) + r % 200000;	/* slab, vmalloc */
	default:
		return 1 + r % 512;
	}
}

/* An object's first byte holds its seed, its length is in its usable size. */
static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	long ops = (long)(uintptr_t)arg % 2 ? 20000 : 15000;

	for (long i = 0; i < ops; i++) {
		size_t n = pick_size(&seed);
		unsigned char *p = malloc(n), *old;

		if (!p) {
			failures++;
			printf("FAIL: worker: malloc(%zu) = NULL\n", n);
			return NULL;
		}
		fill(p, n < 64 ? n : 64, (unsigned char)n);
		p[n - 1] = (unsigned char)n;
		old = atomic_exchange(&slot[rand_r(&seed) % SLOTS], p);
		if (old) {
			size_t m = malloc_usable_size(old);

			(void)m;
			free(old);
		}
	}
	return NULL;
}

static void threads(void)
{
	pthread_t t[4];

	for (uintptr_t i = 0; i < 4; i++)
		CHECK(!pthread_create(&t[i], NULL, worker, (void *)(i + 1)), "pthread_create");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < SLOTS; i++)
		free(atomic_exchange(&slot[i], NULL));
}

/* --- fork while others allocate --- */

static atomic_bool stop;

static void *churn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		void *p[32];

		for (int i = 0; i < 32; i++)
			p[i] = malloc(pick_size(&seed));
		for (int i = 0; i < 32; i++)
			free(p[i]);
	}
	return NULL;
}

static void forks(void)
{
	pthread_t t[3];

	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 7));
	for (int k = 0; k < 12; k++) {
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			unsigned int seed = (unsigned int)k;

			alarm(20);	/* a deadlocked child dies of SIGALRM */
			for (int i = 0; i < 1000; i++) {
				size_t n = pick_size(&seed);
				unsigned char *p = malloc(n);

				if (!p)
					_exit(3);
				fill(p, n < 64 ? n : 64, 9);
				if (!same(p, n < 64 ? n : 64, 9))
					_exit(4);
				free(p);
			}
			_exit(0);
		}
		CHECK(pid > 0, "fork: %s", strerror(errno));
		if (pid < 0)
			break;
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child %d: %s %d", k, WIFEXITED(status) ? "exit" : "signal",
		      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

/* --- exhaustion --- */

static void exhaust(void)
{
	static void *held[1 << 17];
	size_t sz[] = { 1000, 65536, 1 << 20, 8 << 20 };

	for (size_t k = 0; k < sizeof(sz) / sizeof(sz[0]); k++) {
		size_t n = 0;

		errno = 0;
		while (n < sizeof(held) / sizeof(held[0]) && (held[n] = malloc(sz[k])))
			memset(held[n++], 0x5a, sz[k] < 4096 ? sz[k] : 4096);
		CHECK(n < sizeof(held) / sizeof(held[0]), "%zu bytes: never failed", sz[k]);
		CHECK(errno == ENOMEM, "%zu bytes: failed with errno %d, not ENOMEM", sz[k], errno);
		printf("exhaust: %zu x %zu bytes before NULL\n", n, sz[k]);
		while (n)
			free(held[--n]);
		held[0] = malloc(sz[k]);
		CHECK(held[0], "%zu bytes: malloc fails after everything was freed", sz[k]);
		free(held[0]);
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (strcmp(what, "live") == 0) {
		void *p = malloc(100);

		printf("%zu\n", malloc_usable_size(p));
		free(p);
		return 0;
	}
	if (strcmp(what, "misuse") == 0) {	/* a double free, then allocation goes on */
		char *p = malloc(100), *q;

		free(p);
		free(p);
		q = malloc(100);
		CHECK(q, "malloc after a double free");
		free(q);
	} else if (strcmp(what, "api") == 0)
		api();
	else if (strcmp(what, "threads") == 0)
		threads();
	else if (strcmp(what, "fork") == 0)
		forks();
	else if (strcmp(what, "exhaust") == 0)
		exhaust();
	else {
		fprintf(stderr, "preload_api: '%s' is not a check; valid: api, threads, fork, "
			"exhaust, misuse, live\n", what);
		return 2;
	}
	printf("%s: %s\n", what, failures ? "failed" : "ok");
	return failures ? 1 : 0;
}
