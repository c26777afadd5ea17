/* The ISAs repconv's own kernels are written for, as the ukernel lists
 * (kernels/gemm/gemm_ukernels.inc, kernels/gemm/gemm_tile_ukernels.inc,
 * kernels/winograd/wino_ukernels.inc) name them: SCALAR, AVX2 (AVX2 + FMA3,
 * files *__avx2.c built with -mavx2 -mfma), AVX512F, NEON. Per ISA:
 *
 *   RC_IF_ISA_<ISA>(...)        its arguments in a build that compiles the
 *                               ISA's files (cmake/RepconvIsa.cmake), else
 *                               nothing: a list line of another architecture
 *                               generates no code;
 *   RC_ISA_AVAILABLE_<ISA>(cpu) 1 if this CPU runs it (rc_cpu from cpu.h;
 *                               REPCONV_MAX_ISA caps it there). */
#ifndef RC_KERNELS_COMMON_ISA_H
#define RC_KERNELS_COMMON_ISA_H

#if defined(__x86_64__) || defined(_M_X64)
#define RC_ARCH_X86_64 1
#else
#define RC_ARCH_X86_64 0
#endif
#if defined(__aarch64__)
#define RC_ARCH_ARM64 1
#else
#define RC_ARCH_ARM64 0
#endif

#define RC_IF_ISA_SCALAR(...) __VA_ARGS__
#if RC_ARCH_X86_64
#define RC_IF_ISA_AVX2(...) __VA_ARGS__
#define RC_IF_ISA_AVX512F(...) __VA_ARGS__
#else
#define RC_IF_ISA_AVX2(...)
#define RC_IF_ISA_AVX512F(...)
#endif
#if RC_ARCH_ARM64
#define RC_IF_ISA_NEON(...) __VA_ARGS__
#else
#define RC_IF_ISA_NEON(...)
#endif

#define RC_ISA_AVAILABLE_SCALAR(cpu) ((void)(cpu), 1)
/* AVX2 kernels may use FMA3 and F16C too (every AVX2 CPU has them: Haswell,
 * Excavator and later). */
#define RC_ISA_AVAILABLE_AVX2(cpu) ((cpu)->initialized && (cpu)->avx2 && (cpu)->fma3 && (cpu)->f16c)
#define RC_ISA_AVAILABLE_AVX512F(cpu) ((cpu)->initialized && (cpu)->avx512f)
/* Advanced SIMD with FMA is mandatory in AArch64 (and in its Linux ABI): no
 * cpuinfo test, so it runs even where cpuinfo cannot read the CPU. */
#define RC_ISA_AVAILABLE_NEON(cpu) ((void)(cpu), 1)

#endif
