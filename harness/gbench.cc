// gbench.cc - the C interface to Google Benchmark (harness/gbench.h).  The project's only C++.
//
// A kmb_gb_state lives on the benchmark thread's stack for one run; it points at the
// benchmark::State of that thread.  The reporter converts each benchmark::Run into a
// kmb_gb_run and calls back into C; strings in it are valid during the callback only.
//
// Registered C benchmarks are kept in a std::map from name to (fn, arg) so the reporter can
// hand each run its arg back.  Registration and running happen on the main thread only.
//
// kmb_gb_run_one() runs one benchmark at a time: it clears the registry, registers the one
// it is given, and runs it through a reporter that lives as long as the process, so that
// Google Benchmark's console header is printed once and not before every run.

#include "gbench.h"

#include <benchmark/benchmark.h>

#include <cerrno>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef KMB_BENCHMARK_VERSION
#define KMB_BENCHMARK_VERSION "unknown"
#endif

struct kmb_gb_state {
	benchmark::State *st;
	kmb_gb_hook start, stop;
	void *hook_arg;
	bool started;
};

namespace {

struct Registered {
	kmb_gb_fn fn;
	void *arg;
};

std::map<std::string, Registered> &registry()
{
	static std::map<std::string, Registered> r;
	return r;
}

bool g_console = true;

// Forwards every run to C, and prints Google Benchmark's console table when asked.
class CReporter : public benchmark::ConsoleReporter {
    public:
	CReporter(kmb_gb_report_fn fn, void *ctx)
		: benchmark::ConsoleReporter(OO_Tabular), fn_(fn), ctx_(ctx)
	{
	}

	// For kmb_gb_run_one: the callback of the next run, and whether the names lose the
	// "iterations:N" and "repeats:N" that its registration adds (the runs are one
	// repetition of a cell: their names are the cell's, as a whole cell run at once has).
	void target(kmb_gb_report_fn fn, void *ctx, bool one)
	{
		fn_ = fn;
		ctx_ = ctx;
		one_ = one;
	}

	bool ReportContext(const Context &context) override
	{
		if (!g_console || (one_ && context_done_))
			return true;
		context_done_ = true;
		return ConsoleReporter::ReportContext(context);
	}

	void ReportRuns(const std::vector<Run> &reports) override
	{
		std::vector<Run> runs(reports);

		for (Run &r : runs) {
			if (one_) {
				r.run_name.iterations.clear();
				r.run_name.repetitions.clear();
			}
			forward(r);
		}
		if (g_console)
			ConsoleReporter::ReportRuns(runs);
	}

	size_t families() const { return families_.size(); }

    private:
	void forward(const Run &r)
	{
		std::string name = r.benchmark_name();
		std::string run_name = r.run_name.str();
		const std::string &fname = r.run_name.function_name;
		auto it = registry().find(fname);
		std::vector<kmb_gb_counter> ctrs;

		for (const auto &kv : r.counters)
			ctrs.push_back({ kv.first.c_str(), kv.second.value });
		families_[fname] = true;

		kmb_gb_run out = {};
		out.name = name.c_str();
		out.run_name = run_name.c_str();
		out.function_name = fname.c_str();
		out.arg = it == registry().end() ? nullptr : it->second.arg;
		out.family_index = r.family_index;
		out.per_family_instance_index = r.per_family_instance_index;
		out.aggregate = r.run_type == Run::RT_Aggregate;
		out.aggregate_name = r.aggregate_name.c_str();
		out.aggregate_is_percentage = r.aggregate_unit == benchmark::kPercentage;
		out.error = r.error_occurred;
		out.error_message = r.error_message.c_str();
		out.iterations = r.iterations;
		out.threads = r.threads;
		out.repetitions = r.repetitions;
		out.repetition_index = r.repetition_index;
		// time_unit is nanoseconds for every benchmark registered here.
		out.real_time_ns = r.GetAdjustedRealTime();
		out.cpu_time_ns = r.GetAdjustedCPUTime();
		out.ncounters = ctrs.size();
		out.counters = ctrs.data();
		fn_(&out, ctx_);
	}

	kmb_gb_report_fn fn_;
	void *ctx_;
	bool one_ = false, context_done_ = false;
	std::map<std::string, bool> families_;
};

// The reference loop of the harness-overhead comparison: the same per-iteration work as
// `kmbench overhead`'s C loop (an empty asm that keeps the counter live).
void native_batch(benchmark::State &state, int64_t batch)
{
	while (state.KeepRunningBatch(batch))
		for (int64_t i = 0; i < batch; i++)
			asm volatile("" : : "r"(i) : "memory");
}

void native_range_for(benchmark::State &state)
{
	int64_t i = 0;

	for (auto _ : state) {
		asm volatile("" : : "r"(i) : "memory");
		i++;
	}
}

std::vector<std::string> g_argv_store;

// How libbenchmark itself was built ("debug" when it was compiled without NDEBUG, as Debian's
// is).  Only the library knows; ask its own JSON reporter for the context it would write.
const char *library_build_type()
{
	std::ostringstream os;
	benchmark::JSONReporter json;

	json.SetOutputStream(&os);
	json.SetErrorStream(&os);
	json.ReportContext(benchmark::BenchmarkReporter::Context());
	return os.str().find("\"library_build_type\": \"debug\"") != std::string::npos ? "debug"
											      : "release";
}

} // namespace

extern "C" {

int kmb_gb_init(const struct kmb_gb_global_opts *o)
{
	if (o->min_time < 0 || o->repetitions < 0)
		return -EINVAL;
	g_console = o->console;
	g_argv_store.assign({ "kmbench" });
	if (o->min_time > 0) {
		char buf[64];
#if KMB_BENCHMARK_MIN_TIME_SUFFIX
		snprintf(buf, sizeof(buf), "--benchmark_min_time=%gs", o->min_time);
#else
		snprintf(buf, sizeof(buf), "--benchmark_min_time=%g", o->min_time);
#endif
		g_argv_store.push_back(buf);
	}
	if (o->repetitions > 1)
		g_argv_store.push_back("--benchmark_repetitions=" + std::to_string(o->repetitions));
	if (o->filter)
		g_argv_store.push_back(std::string("--benchmark_filter=") + o->filter);

	std::vector<char *> argv;
	for (auto &s : g_argv_store)
		argv.push_back(&s[0]);
	argv.push_back(nullptr);
	int argc = (int)argv.size() - 1;
	benchmark::Initialize(&argc, argv.data());
	return argc == 1 ? 0 : -EINVAL;	// Initialize leaves unrecognised flags in argv
}

int kmb_gb_add_context(const char *key, const char *value)
{
	try {
		benchmark::AddCustomContext(key, value);
	} catch (...) {
		return -ENOMEM;
	}
	return 0;
}

int kmb_gb_register(const char *name, kmb_gb_fn fn, void *arg, const struct kmb_gb_bench_opts *o)
{
	return kmb_gb_register_limited(name, fn, arg, o, 0, 0);
}

int kmb_gb_register_limited(const char *name, kmb_gb_fn fn, void *arg,
			    const struct kmb_gb_bench_opts *o, double min_time, int repetitions)
{
	if (!name || !*name || !fn || !o || !o->nthreads || min_time < 0 || repetitions < 0)
		return -EINVAL;
	for (size_t i = 0; i < o->nthreads; i++)
		if (o->threads[i] < 1)
			return -EINVAL;
	try {
		if (!registry().emplace(name, Registered{ fn, arg }).second)
			return -EINVAL;	// names must be unique
		auto *b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &st) {
			kmb_gb_state s = { &st, nullptr, nullptr, nullptr, false };
			fn(&s, arg);
		});
		b->Unit(benchmark::kNanosecond);
		for (size_t i = 0; i < o->nthreads; i++)
			b->Threads(o->threads[i]);
		if (o->real_time)
			b->UseRealTime();
		if (min_time > 0)
			b->MinTime(min_time);
		if (repetitions > 0)
			b->Repetitions(repetitions);
	} catch (...) {
		return -ENOMEM;
	}
	return 0;
}

int kmb_gb_run_one(const char *name, kmb_gb_fn fn, void *arg, const struct kmb_gb_one *o,
		   kmb_gb_report_fn report, void *ctx)
{
	static CReporter *rep;

	if (!name || !*name || !fn || !o || o->threads < 1 || o->min_time < 0 || o->iterations < 0)
		return -EINVAL;
	try {
		benchmark::ClearRegisteredBenchmarks();
		registry().clear();
		registry().emplace(name, Registered{ fn, arg });
		auto *b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &st) {
			kmb_gb_state s = { &st, nullptr, nullptr, nullptr, false };
			fn(&s, arg);
		});
		b->Unit(benchmark::kNanosecond)->Threads(o->threads)->Repetitions(1);
		if (o->real_time)
			b->UseRealTime();
		if (o->min_time > 0)
			b->MinTime(o->min_time);
		if (o->iterations > 0)
			b->Iterations(o->iterations);
		if (!rep)
			rep = new CReporter(report, ctx);	// for the life of the process
		rep->target(report, ctx, true);
	} catch (...) {
		return -ENOMEM;
	}
	// ".": whatever --benchmark_filter says, the one registered is the one to run
	return benchmark::RunSpecifiedBenchmarks(rep, ".") == 1 ? 0 : -EIO;
}

int kmb_gb_register_native_reference(const char *prefix, int64_t batch)
{
	if (!prefix || batch < 1)
		return -EINVAL;
	try {
		std::string p(prefix);
		benchmark::RegisterBenchmark((p + "/cxx-batch:" + std::to_string(batch)).c_str(),
					     native_batch, batch)
			->Unit(benchmark::kNanosecond);
		benchmark::RegisterBenchmark((p + "/cxx-range-for").c_str(), native_range_for)
			->Unit(benchmark::kNanosecond);
	} catch (...) {
		return -ENOMEM;
	}
	return 0;
}

void kmb_gb_sysinfo(struct kmb_gb_sysinfo *out)
{
	static std::vector<kmb_gb_cache> caches;
	const benchmark::CPUInfo &ci = benchmark::CPUInfo::Get();

	caches.clear();
	for (const auto &c : ci.caches)
		caches.push_back({ c.type.c_str(), c.level, c.num_sharing, (long long)c.size });
	out->host_name = benchmark::SystemInfo::Get().name.c_str();
	out->num_cpus = ci.num_cpus;
	out->mhz_per_cpu = ci.cycles_per_second / 1e6;
	out->cpu_scaling_enabled = ci.scaling == benchmark::CPUInfo::ENABLED;
	out->ncaches = caches.size();
	out->caches = caches.data();
	out->nload_avg = ci.load_avg.size();
	out->load_avg = ci.load_avg.data();
	out->library_build_type = library_build_type();
}

size_t kmb_gb_run_all(kmb_gb_report_fn fn, void *ctx)
{
	CReporter rep(fn, ctx);

	return benchmark::RunSpecifiedBenchmarks(&rep);
}

bool kmb_gb_keep_running_batch(struct kmb_gb_state *s, int64_t n)
{
	benchmark::State &st = *s->st;

	if (__builtin_expect(s->started, 1)) {
		// The next call returns false when the iterations are used up: stop the region
		// before Google Benchmark's stop barrier.
		if (st.iterations() >= st.max_iterations && s->stop)
			s->stop(s, s->hook_arg);
		return st.KeepRunningBatch(n);
	}
	bool more = st.KeepRunningBatch(n);	// passes the start barrier and starts timing
	s->started = true;
	if (more && s->start)
		s->start(s, s->hook_arg);
	else if (!more && s->stop)
		s->stop(s, s->hook_arg);
	return more;
}

bool kmb_gb_loop_ending(const struct kmb_gb_state *s)
{
	return s->started && s->st->iterations() >= s->st->max_iterations;
}

void kmb_gb_set_hooks(struct kmb_gb_state *s, kmb_gb_hook start, kmb_gb_hook stop, void *arg)
{
	s->start = start;
	s->stop = stop;
	s->hook_arg = arg;
}

int kmb_gb_thread_index(const struct kmb_gb_state *s)
{
	return s->st->thread_index();
}

int kmb_gb_threads(const struct kmb_gb_state *s)
{
	return s->st->threads();
}

int64_t kmb_gb_iterations(const struct kmb_gb_state *s)
{
	return s->st->iterations();
}

void kmb_gb_set_counter(struct kmb_gb_state *s, const char *name, double value, unsigned flags)
{
	int f = benchmark::Counter::kDefaults;

	if (flags & KMB_GB_CTR_AVG_THREADS)
		f |= benchmark::Counter::kAvgThreads;
	if (flags & KMB_GB_CTR_RATE)
		f |= benchmark::Counter::kIsRate;
	s->st->counters[name] = benchmark::Counter(value, (benchmark::Counter::Flags)f);
}

void kmb_gb_set_items_processed(struct kmb_gb_state *s, int64_t items)
{
	s->st->SetItemsProcessed(items);
}

void kmb_gb_skip_with_error(struct kmb_gb_state *s, const char *msg)
{
	s->st->SkipWithError(msg);
}

bool kmb_gb_error_occurred(const struct kmb_gb_state *s)
{
	return s->st->error_occurred();
}

const char *kmb_gb_version(void)
{
	return KMB_BENCHMARK_VERSION;
}

} // extern "C"
