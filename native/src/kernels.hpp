// kernels.hpp: CPU compute kernels (matmul over stored-dtype weights with f32 accumulation, conversions); SIMD chosen at run time.
#pragma once
#include <cstdint>
#include <cstring>

#include "safetensors.hpp"

namespace openrs {

inline float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
float f16_to_f32(uint16_t h);
inline uint16_t f32_to_bf16(float f) { // round to nearest even; NaN stays NaN
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}
// Element i of a stored-dtype array as f32.
inline float load_elem(const void * p, DType t, int64_t i) {
    if (t == DType::F32) return ((const float *)p)[i];
    if (t == DType::BF16) return bf16_to_f32(((const uint16_t *)p)[i]);
    return f16_to_f32(((const uint16_t *)p)[i]);
}

// y[t * ldy + o] = dot(x[t * K ..], W[o * K ..]) (+ bias[o]) for t < T and all o < N, threaded over rows of W.
// Each (t, o) is summed in the same order whatever T is, so results never depend on batch composition.
void matmul(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
            int n_threads);

// Causal attention of one row: G query heads (q, out: [G][hd]) sharing one KV head whose rows (k, v) are `stride`
// floats apart, over positions [0, n). Per row only, so results never depend on the batch.
struct KVView { // one (layer, KV head) block of a cache: rows `stride` elements apart
    const void * k;
    const void * v;
    DType dtype; // F32 or BF16
};
void attend(float * out, const float * q, int G, int hd, const KVView & kv, int64_t stride, int n, float scale);
float dot_f32(const float * a, const float * b, int n);       // attention scores
void axpy_f32(float * y, float a, const float * x, int n);    // y += a * x (attention values)
const char * simd_name(); // "avx2+fma+f16c" or "scalar"
void force_scalar(bool on); // tests: run the scalar kernels on a SIMD machine

} // namespace openrs
