// simd.hpp: the run-time kernel choice (AVX-512 with BF16 dot products, AVX-512, AVX2+FMA+F16C, scalar) and the AVX2
// helpers matmul and attention share.
#pragma once
#include <cstdint>
#include <immintrin.h>

#include "dtype.hpp"

namespace openrs {

// Kernel paths, each a superset of the one below. Every path computes each (token, row) sum in one fixed order, so
// results never depend on the batch; different paths give slightly different (all reference-bounded) logits.
enum class Kernels { Scalar = 0, AVX2 = 1, AVX512 = 2, AVX512BF16 = 3 };

Kernels kernels();                 // the path in use: the CPU's best up to avx512 (see simd.cpp), or OPENRS_KERNELS / set_kernels
Kernels cpu_kernels();             // the best path this CPU can run
const char * kernels_name(Kernels k); // "avx512bf16", "avx512", "avx2", "scalar"
// Forces a path (process-wide): 0 on success, -1 for an unknown name, -2 when the CPU cannot run it.
int set_kernels(const char * name);
bool have_avx2();                  // kernels() >= AVX2
const char * simd_name();          // kernels_name(kernels())
void force_scalar(bool on);        // tests: scalar on, or back to the path chosen at load

#define OPENRS_AVX2 __attribute__((target("avx2,fma,f16c")))

// 8 stored-dtype elements from W[i] widened to f32 in registers (bf16: zero-extend + shift; f16: F16C).
OPENRS_AVX2 static inline __m256 load8(const void * W, DType wt, int64_t i) {
    if (wt == DType::F32) return _mm256_loadu_ps((const float *)W + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)W + i));
    if (wt == DType::F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

OPENRS_AVX2 static inline float hsum(__m256 v) {
    // Same pairing as matmul's scalar tile: (l0+l4)+(l1+l5) + (l2+l6)+(l3+l7).
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)); // l0+l4 .. l3+l7
    float t[4];
    _mm_storeu_ps(t, a);
    return (t[0] + t[1]) + (t[2] + t[3]);
}

} // namespace openrs
