// grad_kernels.hpp: the backward kernels of the training path. Matrix products reuse the forward's matmul kernel on
// transposed copies (so they get its AVX2 tiles and its fixed summation order: gradients are bit-reproducible);
// the row-wise ops are plain loops.
#pragma once
#include <cstdint>

namespace openrs {

// dX[T, K] += dY[T, N] . W[N, K]
void mm_dx(float * dX, const float * dY, int T, int N, const float * W, int K, int nt);
// dW[N, K] += dY[T, N]^T . X[T, K]
void mm_dw(float * dW, const float * dY, const float * X, int T, int N, int K, int nt);
// dg and du of h = silu(g) * u (the forward's swiglu, kernels/rowops.hpp) from dh.
void swiglu_backward(float * dg, float * du, const float * dh, const float * g, const float * u, int64_t n, int nt);
// Rows of y = x / rms(x) * w: dx = d/dx (overwritten), dw += d/dw (summed in row order).
void rmsnorm_backward(float * dx, float * dw, const float * dy, const float * x, const float * w, int rows, int n, float eps, int nt);
// In place: d/d(input) of rotate-half RoPE from d/d(output).
void rope_backward(float * v, int hd, const float * cs, const float * sn);
// db[o] += sum_t dY[t, o]
void bias_backward(float * db, const float * dY, int T, int N);
// One sequence (rows [r0, r0 + n)) and KV head hk: dq of its G query heads, dk/dv of the KV head (summed over the
// group), from datt; probabilities recomputed as exp(scale q.k - lse).
void attention_backward(float * dq, float * dk, float * dv, const float * datt, const float * q, const float * k, const float * v,
                        const float * lse, int r0, int n, int hk, int G, int hd, int nh, int nkv, float scale);

} // namespace openrs
