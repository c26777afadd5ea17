// The C++ side of shim.h: the only C++ in repconv. Everything it does is
// forward to Google Benchmark (libbenchmark-dev, 1.7).
#include "bench/shim.h"

#include <benchmark/benchmark.h>

#include <string>

namespace {
benchmark::State& S(rcb_state* s) { return *reinterpret_cast<benchmark::State*>(s); }
const benchmark::State& S(const rcb_state* s) { return *reinterpret_cast<const benchmark::State*>(s); }
} // namespace

extern "C" {

int rcb_initialize(int* argc, char** argv) {
  benchmark::Initialize(argc, argv);
  return benchmark::ReportUnrecognizedArguments(*argc, argv) ? 1 : 0;
}

void rcb_add_context(const char* key, const char* value) { benchmark::AddCustomContext(key, value); }

void rcb_register(const char* name, rcb_fn fn, const void* arg) {
  benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State& st) { fn(reinterpret_cast<rcb_state*>(&st), arg); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

void rcb_run_all(void) {
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}

int rcb_keep_running(rcb_state* state) { return S(state).KeepRunning() ? 1 : 0; }
void rcb_pause_timing(rcb_state* state) { S(state).PauseTiming(); }
void rcb_resume_timing(rcb_state* state) { S(state).ResumeTiming(); }
int64_t rcb_iterations(const rcb_state* state) { return static_cast<int64_t>(S(state).iterations()); }
void rcb_set_counter(rcb_state* state, const char* name, double value) {
  S(state).counters[name] = benchmark::Counter(value);
}
void rcb_skip_with_error(rcb_state* state, const char* message) { S(state).SkipWithError(message); }
void rcb_set_label(rcb_state* state, const char* label) { S(state).SetLabel(label); }

} // extern "C"
