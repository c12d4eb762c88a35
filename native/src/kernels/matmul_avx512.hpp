// matmul_avx512.hpp: the AVX-512 matmul paths (f32 FMA over widened weights; bf16 dot products), same contract as matmul().
#pragma once
#include "dtype.hpp"

namespace openrs {

// f32 activations: 16-bit weights widened to f32 in registers (or once per tile row block), f32 FMA. AVX-512F/BW/VL.
void matmul_avx512(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
                   int n_threads);

// Activations already rounded to bf16: xb [T][Kp] (Kp = K rounded up to 32, zero padded), bf16 weights W [N][K],
// products through vdpbf16ps with f32 accumulation. Needs an AVX512-BF16 CPU.
void matmul_bf16dot(float * y, int ldy, const uint16_t * xb, int Kp, int T, int K, const uint16_t * W, int N, const float * bias,
                    int n_threads);

// x [T][K] -> bf16 [T][Kp], rounded to nearest even exactly as f32_to_bf16, zero padded. AVX-512F/BW.
void round_bf16_avx512(uint16_t * out, const float * x, int T, int K, int Kp);

} // namespace openrs
