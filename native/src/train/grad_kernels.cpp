// grad_kernels.cpp: see grad_kernels.hpp.
#include "grad_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "../kernels/matmul.hpp"
#include "../threads.hpp"

namespace openrs {

// out[c, r] = in[r, c] for in [R, C], in 32x32 blocks.
static void transpose(float * out, const float * in, int R, int C, int nt) {
    const int B = 32;
    parallel_for((R + B - 1) / B, (int64_t)R * C > 65536 ? nt : 1, [&](int rb) {
        const int r0 = rb * B;
        for (int c0 = 0; c0 < C; c0 += B)
            for (int r = r0; r < std::min(R, r0 + B); r++)
                for (int c = c0; c < std::min(C, c0 + B); c++) out[(size_t)c * R + r] = in[(size_t)r * C + c];
    });
}

static void add_into(float * dst, const float * src, size_t n, int nt) {
    parallel_range((int64_t)n, nt, 32768, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) dst[i] += src[i];
    });
}

// Per-thread scratch that only grows: the backward calls these a few times per layer with the same shapes, and
// fresh multi-megabyte vectors cost a zero-fill plus page faults each time (seen as ~20 % of a 0.5B step in perf).
static float * scratch(int slot, size_t n) {
    thread_local std::vector<float> bufs[3];
    if (bufs[slot].size() < n) bufs[slot].resize(n);
    return bufs[slot].data();
}

void mm_dx(float * dX, const float * dY, int T, int N, const float * W, int K, int nt) {
    float * WT = scratch(0, (size_t)K * N);
    float * tmp = scratch(1, (size_t)T * K);
    transpose(WT, W, N, K, nt);
    matmul(tmp, K, dY, T, N, WT, DType::F32, K, nullptr, nt);
    add_into(dX, tmp, (size_t)T * K, nt);
}

void mm_dw(float * dW, const float * dY, const float * X, int T, int N, int K, int nt) {
    float * dYT = scratch(0, (size_t)N * T);
    float * XT = scratch(1, (size_t)K * T);
    float * tmp = scratch(2, (size_t)N * K);
    transpose(dYT, dY, T, N, nt);
    transpose(XT, X, T, K, nt);
    matmul(tmp, K, dYT, N, T, XT, DType::F32, K, nullptr, nt);
    add_into(dW, tmp, (size_t)N * K, nt);
}

void swiglu_backward(float * dg, float * du, const float * dh, const float * g, const float * u, int64_t n, int nt) {
    parallel_range(n, nt, 32768, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) {
            const float s = 1.f / (1.f + std::exp(-g[i]));
            du[i] = dh[i] * g[i] * s;
            dg[i] = dh[i] * u[i] * s * (1.f + g[i] * (1.f - s));
        }
    });
}

void rmsnorm_backward(float * dx, float * dw, const float * dy, const float * x, const float * w, int rows, int n, float eps, int nt) {
    std::vector<float> rr(rows);
    parallel_for(rows, rows >= 8 ? nt : 1, [&](int t) {
        const float * xr = x + (size_t)t * n;
        const float * dyr = dy + (size_t)t * n;
        double ss = 0, dot = 0;
        for (int i = 0; i < n; i++) {
            ss += (double)xr[i] * xr[i];
            dot += (double)dyr[i] * w[i] * xr[i];
        }
        const double r = 1.0 / std::sqrt(ss / n + eps);
        rr[t] = (float)r;
        const double c = r * r * r * dot / n;
        for (int i = 0; i < n; i++) dx[(size_t)t * n + i] = (float)(r * dyr[i] * w[i] - xr[i] * c);
    });
    for (int t = 0; t < rows; t++)
        for (int i = 0; i < n; i++) dw[i] += dy[(size_t)t * n + i] * x[(size_t)t * n + i] * rr[t];
}

void rope_backward(float * v, int hd, const float * cs, const float * sn) {
    const int h = hd / 2;
    for (int i = 0; i < h; i++) {
        const float d0 = v[i], d1 = v[i + h];
        v[i] = d0 * cs[i] + d1 * sn[i];
        v[i + h] = d1 * cs[i] - d0 * sn[i];
    }
}

void bias_backward(float * db, const float * dY, int T, int N) {
    for (int t = 0; t < T; t++)
        for (int o = 0; o < N; o++) db[o] += dY[(size_t)t * N + o];
}

void attention_backward(float * dq, float * dk, float * dv, const float * datt, const float * q, const float * k, const float * v,
                        const float * lse, int r0, int n, int hk, int G, int hd, int nh, int nkv, float scale) {
    const int qd = nh * hd, kvd = nkv * hd;
    std::vector<float> P(n), dS(n);
    for (int i = 0; i < n; i++) { // row r0 + i sits at position i and attends to positions 0..i
        const int t = r0 + i;
        for (int g = 0; g < G; g++) {
            const int h = hk * G + g;
            const float * qv = q + (size_t)t * qd + (size_t)h * hd;
            const float * dov = datt + (size_t)t * qd + (size_t)h * hd;
            const float L = lse[(size_t)t * nh + h];
            float D = 0;
            for (int p = 0; p <= i; p++) {
                const float * kr = k + (size_t)(r0 + p) * kvd + (size_t)hk * hd;
                const float * vr = v + (size_t)(r0 + p) * kvd + (size_t)hk * hd;
                float s = 0, dp = 0;
                for (int c = 0; c < hd; c++) {
                    s += qv[c] * kr[c];
                    dp += dov[c] * vr[c];
                }
                P[p] = std::exp(s * scale - L);
                dS[p] = dp;
                D += P[p] * dp;
            }
            float * dqv = dq + (size_t)t * qd + (size_t)h * hd;
            for (int p = 0; p <= i; p++) {
                const float ds = P[p] * (dS[p] - D) * scale;
                const float * kr = k + (size_t)(r0 + p) * kvd + (size_t)hk * hd;
                float * dkr = dk + (size_t)(r0 + p) * kvd + (size_t)hk * hd;
                float * dvr = dv + (size_t)(r0 + p) * kvd + (size_t)hk * hd;
                for (int c = 0; c < hd; c++) {
                    dqv[c] += ds * kr[c];
                    dkr[c] += ds * qv[c];
                    dvr[c] += P[p] * dov[c];
                }
            }
        }
    }
}

} // namespace openrs
