/* bench/repconv_bench: Google Benchmark over C cases (see shim.h).
 *
 *   build/bench/repconv_bench [--benchmark_filter=REGEX] [--benchmark_format=json] ...
 *
 * Measures the FMA peak first (1 and 2 threads, the widest FMA the CPU has;
 * printed in the context header) so that every case can report the fraction
 * of it that it reaches (counter peak%); GFLOPS is the effective rate. A
 * program, not a test: nothing here asserts a time. */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/peak.h"

int main(int argc, char** argv) {
  if (rcb_initialize(&argc, argv) != 0) return 1;

  char key[64], value[128];
  rc_peak_isa isa = rc_peak_best_isa();
  for (int t = 1; t <= 2; ++t) {
    double g = rc_peak_gflops(isa, t, 5, 50.0);
    rcb_set_peak(t, g);
    snprintf(key, sizeof key, "fma_peak_threads:%d", t);
    snprintf(value, sizeof value, "%.1f GFLOP/s (%s, measured)", g, rc_peak_isa_name(isa));
    rcb_add_context(key, value);
  }
  if (isa == RC_PEAK_AVX512F) {
    snprintf(value, sizeof value, "%.1f GFLOP/s (ymm, 1 thread; what AVX2 kernels can reach)",
             rc_peak_gflops(RC_PEAK_FMA3, 1, 5, 50.0));
    rcb_add_context("fma3_peak_threads:1", value);
  }
  rcb_add_context("repconv", repconv_version());
  rcb_add_context("repconv_cpu", repconv_cpu_summary());

  rcb_register_layer_cases();
  rcb_register_gemm_cases();
  rcb_register_chain_cases();
  rcb_register_net_cases();
  rcb_run_all();
  rcb_free_layer_cases();
  rcb_free_gemm_cases();
  rcb_free_chain_cases();
  rcb_free_net_cases();
  return 0;
}
