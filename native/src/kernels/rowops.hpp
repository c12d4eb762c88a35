// rowops.hpp: the per-row ops of the forward pass (RMSNorm, rotate-half RoPE, SwiGLU), shared by the generation
// forward and the training forward so both compute bit-identical activations.
#pragma once
#include <cmath>
#include <cstdint>

#include "../threads.hpp"

namespace openrs {

// x[T, n] -> out[T, n]: x / rms(x) * w
inline void rmsnorm(float * out, const float * x, const float * w, int T, int n, float eps) {
    for (int t = 0; t < T; t++) {
        const float * xr = x + (size_t)t * n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
        float r = (float)(1.0 / std::sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[(size_t)t * n + i] = xr[i] * r * w[i];
    }
}

// HF "rotate_half" RoPE on one head vector [hd]: pairs (i, i + hd/2); cs/sn are [hd/2] for this position.
inline void rope(float * v, int hd, const float * cs, const float * sn) {
    int h = hd / 2;
    for (int i = 0; i < h; i++) {
        float x0 = v[i], x1 = v[i + h];
        v[i] = x0 * cs[i] - x1 * sn[i];
        v[i + h] = x1 * cs[i] + x0 * sn[i];
    }
}

// h[i] = silu(g[i]) * u[i] for i < n, element-wise on up to nt threads (h may be g).
inline void swiglu(float * h, const float * g, const float * u, int64_t n, int nt) {
    parallel_range(n, nt, 32768, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) h[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
    });
}

} // namespace openrs
