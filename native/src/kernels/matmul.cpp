// matmul.cpp: matmul micro-kernels (AVX2/FMA/F16C and a scalar fallback) and the row/token tiling around them.
#include "matmul.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "../threads.hpp"
#include "matmul_avx512.hpp"
#include "simd.hpp"

namespace openrs {

// ---- scalar: one (row block, token block) tile; 8 partial sums per dot mirror the SIMD lane layout.
template <int NR, int NT>
static void tile_scalar(float * y, int ldy, const float * x, int K, const void * W, DType wt, int o0, const float * bias) {
    float acc[NR][NT][8] = {};
    int k8 = K & ~7;
    for (int k = 0; k < k8; k += 8)
        for (int r = 0; r < NR; r++)
            for (int l = 0; l < 8; l++) {
                float w = load_elem(W, wt, (int64_t)(o0 + r) * K + k + l);
                for (int t = 0; t < NT; t++) acc[r][t][l] += w * x[(int64_t)t * K + k + l];
            }
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) {
            float s = ((acc[r][t][0] + acc[r][t][4]) + (acc[r][t][1] + acc[r][t][5])) +
                      ((acc[r][t][2] + acc[r][t][6]) + (acc[r][t][3] + acc[r][t][7]));
            for (int k = k8; k < K; k++) s += load_elem(W, wt, (int64_t)(o0 + r) * K + k) * x[(int64_t)t * K + k];
            y[(int64_t)t * ldy + o0 + r] = s + (bias ? bias[o0 + r] : 0.f);
        }
}

// ---- AVX2: W rows converted to f32 8 at a time in registers; NR x NT accumulators.
// With WIDEN (bf16/f16 weights), the tile also stores its widened weight rows there ([NR][K] f32), so the
// other token tiles of the same rows can run on f32 without a separate widening pass.
template <int NR, int NT, DType WT, bool WIDEN = false>
OPENRS_AVX2 static void tile_avx2(float * y, int ldy, const float * x, int K, const void * W, int o0, const float * bias,
                                  float * wide = nullptr) {
    __m256 acc[NR][NT];
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) acc[r][t] = _mm256_setzero_ps();
    int k8 = K & ~7;
    for (int k = 0; k < k8; k += 8) {
        __m256 xv[NT];
        for (int t = 0; t < NT; t++) xv[t] = _mm256_loadu_ps(x + (int64_t)t * K + k);
        for (int r = 0; r < NR; r++) {
            __m256 w = load8(W, WT, (int64_t)(o0 + r) * K + k);
            if constexpr (WIDEN) _mm256_storeu_ps(wide + (int64_t)r * K + k, w);
            for (int t = 0; t < NT; t++) acc[r][t] = _mm256_fmadd_ps(w, xv[t], acc[r][t]);
        }
    }
    if constexpr (WIDEN)
        for (int r = 0; r < NR; r++)
            for (int k = k8; k < K; k++) wide[(int64_t)r * K + k] = load_elem(W, WT, (int64_t)(o0 + r) * K + k);
    if constexpr (NR == 4) {
        if (k8 == K) {
            // Four rows' sums at once with the same pairing as hsum: (l0+l4)+(l1+l5) + (l2+l6)+(l3+l7) per row.
            const __m128 b = bias ? _mm_loadu_ps(bias + o0) : _mm_setzero_ps();
            for (int t = 0; t < NT; t++) {
                __m128 a[4];
                for (int r = 0; r < 4; r++) a[r] = _mm_add_ps(_mm256_castps256_ps128(acc[r][t]), _mm256_extractf128_ps(acc[r][t], 1));
                const __m128 s = _mm_hadd_ps(_mm_hadd_ps(a[0], a[1]), _mm_hadd_ps(a[2], a[3]));
                _mm_storeu_ps(y + (int64_t)t * ldy + o0, _mm_add_ps(s, b));
            }
            return;
        }
    }
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) {
            float s = hsum(acc[r][t]);
            // Explicit fma: left to the compiler, contraction differed between the bf16 and f32 instantiations,
            // so K % 8 != 0 broke batch invariance.
            for (int k = k8; k < K; k++) s = std::fma(load_elem(W, WT, (int64_t)(o0 + r) * K + k), x[(int64_t)t * K + k], s);
            y[(int64_t)t * ldy + o0 + r] = s + (bias ? bias[o0 + r] : 0.f);
        }
}

template <int NR, int NT>
static void tile(float * y, int ldy, const float * x, int K, const void * W, DType wt, int o0, const float * bias) {
    if (have_avx2()) {
        if (wt == DType::BF16) tile_avx2<NR, NT, DType::BF16>(y, ldy, x, K, W, o0, bias);
        else if (wt == DType::F16) tile_avx2<NR, NT, DType::F16>(y, ldy, x, K, W, o0, bias);
        else tile_avx2<NR, NT, DType::F32>(y, ldy, x, K, W, o0, bias);
    } else tile_scalar<NR, NT>(y, ldy, x, K, W, wt, o0, bias);
}

// Rows [o, o + NR) for tokens [t0, t1): NR-row x 3-token tiles, then tails.
template <int NR>
static void rows_tokens(float * y, int ldy, const float * x, int t0, int t1, int K, const void * W, DType wt, int o,
                        const float * bias, int N) {
    const char * pf = nullptr; // the next rows' stored weights, prefetched a slice per tile (see below)
    int64_t pf_lines = 0;
    // With many tokens, the first 3-token tile also widens the NR weight rows to f32 and the other tiles run on that
    // copy: the widening is exact and the FMA order is unchanged, so results are bit-identical to the direct path
    // (batch invariance holds).
    if (wt != DType::F32 && t1 - t0 >= 6 && have_avx2()) {
        thread_local std::vector<float> wide;
        wide.resize((size_t)NR * K);
        if (wt == DType::BF16) tile_avx2<NR, 3, DType::BF16, true>(y + (int64_t)t0 * ldy, ldy, x + (int64_t)t0 * K, K, W, o, bias, wide.data());
        else tile_avx2<NR, 3, DType::F16, true>(y + (int64_t)t0 * ldy, ldy, x + (int64_t)t0 * K, K, W, o, bias, wide.data());
        // The tiles below only touch L1/L2, so spread the next rows' DRAM reads over them: otherwise the next
        // block's first tile stalls on memory while the other tiles leave the bus idle (decode batches of 32).
        const int64_t esz = 2, nxt = std::min<int64_t>(NR, N - (o + NR));
        if (nxt > 0) {
            pf = (const char *)W + (int64_t)(o + NR) * K * esz;
            pf_lines = (nxt * K * esz + 63) / 64;
        }
        t0 += 3;
        y += o;
        if (bias) bias += o;
        W = wide.data();
        wt = DType::F32;
        o = 0;
    }
    int t = t0;
    const int64_t per_tile = pf ? (pf_lines + (t1 - t0) / 3) / std::max(1, (t1 - t0) / 3) : 0;
    int64_t line = 0;
    for (; t + 3 <= t1; t += 3) {
        for (int64_t e = std::min(pf_lines, line + per_tile); line < e; line++) _mm_prefetch(pf + line * 64, _MM_HINT_T1);
        tile<NR, 3>(y + (int64_t)t * ldy, ldy, x + (int64_t)t * K, K, W, wt, o, bias);
    }
    if (t1 - t == 2) tile<NR, 2>(y + (int64_t)t * ldy, ldy, x + (int64_t)t * K, K, W, wt, o, bias);
    else if (t1 - t == 1) tile<NR, 1>(y + (int64_t)t * ldy, ldy, x + (int64_t)t * K, K, W, wt, o, bias);
}

// x [T][K] -> bf16 [T][Kp] (nearest even, zero padded) on any path: the same bits whatever the kernels.
static void round_bf16(uint16_t * out, const float * x, int T, int K, int Kp, Kernels path) {
    if (path >= Kernels::AVX512) return round_bf16_avx512(out, x, T, K, Kp);
    for (int t = 0; t < T; t++) {
        for (int k = 0; k < K; k++) out[(int64_t)t * Kp + k] = f32_to_bf16(x[(int64_t)t * K + k]);
        for (int k = K; k < Kp; k++) out[(int64_t)t * Kp + k] = 0;
    }
}

void matmul(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
            int n_threads, bool act_bf16) {
    const Kernels path = kernels();
    if (act_bf16) {
        // Every path sees the same rounded activations; bf16 weights on AVX512-BF16 CPUs multiply them as bf16 pairs,
        // the others widen them back (exactly) and run their f32 kernels.
        thread_local std::vector<uint16_t> xb_buf;
        thread_local std::vector<float> xr_buf;
        const int Kp = (K + 31) & ~31;
        xb_buf.resize((size_t)T * Kp);
        uint16_t * xb = xb_buf.data();
        round_bf16(xb, x, T, K, Kp, path);
        if (path == Kernels::AVX512BF16 && wt == DType::BF16) return matmul_bf16dot(y, ldy, xb, Kp, T, K, (const uint16_t *)W, N, bias, n_threads);
        xr_buf.resize((size_t)T * K);
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++) xr_buf[(size_t)t * K + k] = bf16_to_f32(xb[(int64_t)t * Kp + k]);
        x = xr_buf.data();
    }
    if (path >= Kernels::AVX512) return matmul_avx512(y, ldy, x, T, K, W, wt, N, bias, n_threads);
    // Token blocks keep x (TB x K f32, <= ~256 KB) in L2 while each thread streams its rows of W through it.
    const int TB = 48;
    const int nblk = (N + 3) / 4;
    // Many small dynamic chunks rather than one per thread: on a shared machine a descheduled thread would
    // otherwise leave the others spinning at the barrier. Chunking never changes any (t, o) sum.
    const int nchunk = n_threads > 1 ? std::min(nblk, n_threads * 8) : 1;
    parallel_for(nchunk, (int64_t)N * K * T > 32768 ? n_threads : 1, [&](int chunk) {
        int b0 = (int)((int64_t)nblk * chunk / nchunk), b1 = (int)((int64_t)nblk * (chunk + 1) / nchunk);
        for (int t0 = 0; t0 < T; t0 += TB) {
            int t1 = std::min(T, t0 + TB);
            for (int b = b0; b < b1; b++) {
                int o = b * 4;
                if (o + 4 <= N) rows_tokens<4>(y, ldy, x, t0, t1, K, W, wt, o, bias, N);
                else
                    for (; o < N; o++) rows_tokens<1>(y, ldy, x, t0, t1, K, W, wt, o, bias, N);
            }
        }
    });
}

} // namespace openrs
