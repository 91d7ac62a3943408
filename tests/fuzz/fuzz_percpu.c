/*
 * fuzz_percpu.c - op sequences on the per-CPU layer (mm/percpu.c's __alloc_percpu and
 * free_percpu, per_cpu_ptr, lib/percpu_counter.c's counters), checked against a model.
 *
 * Ops (one byte, then its operands):
 *   0 alloc    1..4096 bytes aligned to a power of two up to a page
 *   1 free     a live allocation
 *   2 write    a tag into one CPU's copy of a live allocation: the other CPUs' copies keep
 *              theirs (each CPU's copy is its own)
 *   3 counter  percpu_counter_add_batch of an amount (any sign, up to 2^31) with a batch
 *   4 set      percpu_counter_set
 *   5 compare  __percpu_counter_compare against a value near the model's
 * A compare uses a batch at least as large as every add's since the last set: the kernel's
 * comparison trusts the shared count to be within batch x CPUs of the sum, which holds only
 * for the batch the adds used (a smaller one was this fuzzer's first finding, its own misuse).
 * Checked: an allocation is zeroed in every CPU's copy, aligned, disjoint from every live
 * allocation in the same unit; each copy keeps what was written into it; the counter's exact
 * sum is the model's after every op and the comparison agrees with it; at the end every
 * allocation freed and the units' bytes in use back where they were.
 */
#include "fuzz.h"
#include "kmbench/percpu.h"

#define MAX_LIVE 64

struct alloc {
	void __percpu *p;
	size_t size, align;
	unsigned tag[2];		/* what CPU 0's and the last CPU's copies hold */
};

static struct alloc live[MAX_LIVE];
static unsigned nlive, tags;

static void check_copy(const struct alloc *a, int cpu, unsigned tag)
{
	const uint8_t *c = per_cpu_ptr((uint8_t __percpu *)a->p, cpu);
	size_t at;

	FZ_CHECK(fz_intact(c, a->size, tag, &at), "CPU %d's copy: byte %zu changed", cpu, at);
}

static void fill_copy(struct alloc *a, int cpu, unsigned tag)
{
	fz_fill(per_cpu_ptr((uint8_t __percpu *)a->p, cpu), a->size, tag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t start_used;
	static struct percpu_counter fbc;
	static bool started;
	struct fz f = { data, size };
	int64_t model = 0;
	int32_t max_batch = 1;		/* the largest batch of an add since the last set */
	int last;

	fz_boot();
	if (!started) {
		FZ_CHECK(!percpu_counter_init(&fbc, 0), "percpu_counter_init failed");
		start_used = kmb_percpu_used();
		started = true;
	}
	percpu_counter_set(&fbc, 0);
	last = nr_cpu_ids() - 1;
	while (f.n) {
		unsigned op = fz_u8(&f) % 6;

		if (op == 0 && nlive < MAX_LIVE) {
			size_t sz = 1 + fz_u16(&f) % 4096, al = (size_t)1 << (fz_u8(&f) % 13);
			struct alloc *a = &live[nlive];

			a->p = __alloc_percpu(sz, al);
			FZ_CHECK(a->p, "__alloc_percpu(%zu, %zu) failed", sz, al);
			a->size = sz;
			a->align = al;
			for (int cpu = 0; cpu <= last; cpu++) {
				const uint8_t *c = per_cpu_ptr((uint8_t __percpu *)a->p, cpu);

				FZ_CHECK(!((uintptr_t)c % al), "CPU %d's copy not aligned to %zu", cpu,
					 al);
				for (size_t i = 0; i < sz; i = fz_next(i, sz))
					FZ_CHECK(!c[i], "CPU %d's copy: byte %zu is not zero", cpu, i);
			}
			for (unsigned i = 0; i < nlive; i++) {
				const uint8_t *x = per_cpu_ptr((uint8_t __percpu *)a->p, 0);
				const uint8_t *y = per_cpu_ptr((uint8_t __percpu *)live[i].p, 0);

				FZ_CHECK(x + sz <= y || y + live[i].size <= x,
					 "allocation overlaps a live one in CPU 0's unit");
			}
			a->tag[0] = ++tags;
			a->tag[1] = ++tags;
			fill_copy(a, 0, a->tag[0]);
			if (last)
				fill_copy(a, last, a->tag[1]);
			nlive++;
		} else if (op == 1 && nlive) {
			unsigned i = fz_u8(&f) % nlive;

			check_copy(&live[i], 0, live[i].tag[0]);
			if (last)
				check_copy(&live[i], last, live[i].tag[1]);
			free_percpu(live[i].p);
			live[i] = live[--nlive];
		} else if (op == 2 && nlive) {
			struct alloc *a = &live[fz_u8(&f) % nlive];
			int which = last && fz_u8(&f) & 1;

			a->tag[which] = ++tags;
			fill_copy(a, which ? last : 0, a->tag[which]);
			if (last)
				check_copy(a, which ? 0 : last, a->tag[!which]);
		} else if (op == 3) {
			int64_t amount = (int32_t)(fz_u16(&f) | fz_u16(&f) << 16);
			int32_t batch = 1 + (int32_t)(fz_u16(&f) % 1024);

			percpu_counter_add_batch(&fbc, amount, batch);
			model += amount;
			max_batch = batch > max_batch ? batch : max_batch;
			FZ_CHECK(percpu_counter_sum(&fbc) == model, "sum %lld, the model %lld",
				 (long long)percpu_counter_sum(&fbc), (long long)model);
		} else if (op == 4) {
			model = (int32_t)(fz_u16(&f) | fz_u16(&f) << 16);
			percpu_counter_set(&fbc, model);
			max_batch = 1;
		} else if (op == 5) {
			int64_t rhs = model + (int8_t)fz_u8(&f);
			/* The rough count is within batch x CPUs of the sum only for the batch the
			 * adds used (lib/percpu_counter.c): at least the largest of theirs. */
			int32_t batch = max_batch + (int32_t)(fz_u16(&f) % 1024);
			int want = model < rhs ? -1 : model > rhs;

			FZ_CHECK(__percpu_counter_compare(&fbc, rhs, batch) == want,
				 "compare with %lld (batch %d): %d, the model %d", (long long)rhs,
				 batch, __percpu_counter_compare(&fbc, rhs, batch), want);
		}
	}
	while (nlive) {
		nlive--;
		check_copy(&live[nlive], 0, live[nlive].tag[0]);
		free_percpu(live[nlive].p);
	}
	FZ_CHECK(percpu_counter_sum(&fbc) == model, "sum %lld at the end, the model %lld",
		 (long long)percpu_counter_sum(&fbc), (long long)model);
	FZ_CHECK(kmb_percpu_used() == start_used, "%zu bytes of each unit in use, %zu at the start",
		 kmb_percpu_used(), start_used);
	fz_check_reports();
	return 0;
}
