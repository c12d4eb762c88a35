// matmul.hpp: y = x . W^T over stored-dtype weights (bf16/f16/f32) with f32 accumulation, threaded over rows of W.
#pragma once
#include "dtype.hpp"

namespace openrs {

// y[t * ldy + o] = dot(x[t * K ..], W[o * K ..]) (+ bias[o]) for t < T and all o < N, threaded over rows of W.
// Each (t, o) is summed in the same order whatever T is, so results never depend on batch composition.
void matmul(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
            int n_threads);

} // namespace openrs
