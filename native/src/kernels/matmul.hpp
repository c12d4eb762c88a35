// matmul.hpp: y = x . W^T over stored-dtype weights (bf16/f16/f32) with f32 accumulation, threaded over rows of W.
#pragma once
#include "dtype.hpp"

namespace openrs {

// y[t * ldy + o] = dot(x[t * K ..], W[o * K ..]) (+ bias[o]) for t < T and all o < N, threaded over rows of W.
// Each (t, o) is summed in the same order whatever T is, so results never depend on batch composition.
// act_bf16: x is first rounded to bf16 (nearest even), the matmul input bf16 frameworks use; on AVX512-BF16 CPUs with
// bf16 weights the products then run as bf16 dot products (about 1.7x the f32 path's throughput, measured on Zen 5).
void matmul(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
            int n_threads, bool act_bf16 = false);

} // namespace openrs
