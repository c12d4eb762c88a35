// matmul_avx512.hpp: the AVX-512 matmul paths (f32 FMA over widened weights; BF16 dot products), same contract as matmul().
#pragma once
#include "dtype.hpp"

namespace openrs {

// bf16dot: bf16 weights through vdpbf16ps, with each activation split into three bf16 terms (~24 significant bits)
// so results stay within the f32 paths' reference bounds. Needs an AVX512-BF16 CPU; otherwise AVX-512F/BW/VL.
void matmul_avx512(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
                   int n_threads, bool bf16dot);

} // namespace openrs
