// kernels.cuh: CUDA kernels of the openrs engine (bf16 mma GEMM, GEMV, RMSNorm, RoPE, attention, KV store, SwiGLU, sampling); host launchers that backend.cu composes.
#pragma once
#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace openrs_cuda {

// Y[M, N] f32 = X[M, K] bf16 . W[N, K]^T bf16 (+ bias[N]); tensor cores (mma.sync m16n8k16), K % 8 == 0.
void gemm_bf16(float * Y, const __nv_bfloat16 * X, const __nv_bfloat16 * W, const float * bias, int M, int N, int K, cudaStream_t s);
// Decode path: Y[T, N] = X[T, K] f32 . W[N, K]^T bf16 for T <= 8, one warp per output row, 16-byte weight loads.
void gemv_bf16(float * Y, const float * X, const __nv_bfloat16 * W, const float * bias, int T, int N, int K, cudaStream_t s);
// out[T, n] = x / rms(x) * w; also writes a bf16 copy when out_bf16 != nullptr (the next GEMM's input).
void rmsnorm(float * out, __nv_bfloat16 * out_bf16, const float * x, const float * w, int T, int n, float eps, cudaStream_t s);
// HF rotate_half RoPE in place on v[T, n_heads * hd] at positions pos[T].
// inv_freq: [hd/2] device array (the host computes scaled RoPE frequencies); cos/sin are scaled by attn_factor.
void rope(float * v, const int32_t * pos, int T, int n_heads, int hd, const float * inv_freq, float attn_factor, cudaStream_t s);
// o[T, nh * hd]: row t attends over positions 0..pos[t] of its own sequence, whose layer-`layer` K/V start at
// k_base[t] + layer * layer_stride[t] (each [cap, nkv * hd] f32); GQA head mapping h -> h / (nh / nkv).
void attention(float * o, const float * q, float * const * k_base, float * const * v_base, const int64_t * layer_stride,
               int layer, const int32_t * pos, int T, int nh, int nkv, int hd, cudaStream_t s);
// Writes k[t], v[t] ([nkv * hd] each) into row t's cache at (layer, pos[t]).
void kv_store(float * const * k_base, float * const * v_base, const int64_t * layer_stride, int layer, const int32_t * pos,
              const float * k, const float * v, int T, int kvd, cudaStream_t s);
// x[t, :] = embed[tokens[t], :] widened to f32.
void embed_rows(float * x, const __nv_bfloat16 * embed, const int32_t * tokens, int T, int d, cudaStream_t s);
// y[i] += x[i]
void add_inplace(float * y, const float * x, int64_t n, cudaStream_t s);
// dst[i] = bf16(src[i])
void to_bf16(__nv_bfloat16 * dst, const float * src, int64_t n, cudaStream_t s);
// dst[i, :] = src[rows[i], :]
void gather_rows(float * dst, const float * src, const int32_t * rows, int n_rows, int d, cudaStream_t s);
// g[i] = silu(g[i]) * u[i]
void swiglu(float * g, const float * u, int64_t n, cudaStream_t s);
// One token per row of logits[B, V]: greedy argmax when temperature[b] <= 0, else Gumbel-max sampling with a
// counter-based RNG keyed by (seed[b], step[b]) so a sequence's draw never depends on its batch mates.
void sample(int32_t * out, const float * logits, const float * temperature, const uint64_t * seed, const int32_t * step,
            int B, int V, cudaStream_t s);

} // namespace openrs_cuda
