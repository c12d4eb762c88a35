// matmul_avx512.cpp: AVX-512 matmul tiles (16 lanes, 32 registers) and, on AVX512-BF16 CPUs, bf16 dot-product tiles.
// Compiled with function-level target attributes only: the library stays baseline x86-64 and this code runs only
// after the run-time check in simd.cpp picked it.
#include "matmul_avx512.hpp"

// GCC 12 flags its own AVX-512 intrinsics headers (_mm512_undefined_* placeholders) as uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"

#include <algorithm>
#include <immintrin.h>
#include <vector>

#include "../threads.hpp"

#define OPENRS_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define OPENRS_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")))

namespace openrs {

// 16 stored-dtype elements (m: the valid lanes, the rest read as 0) widened to f32.
template <DType WT, bool TAIL>
OPENRS_AVX512 static inline __m512 load16(const void * W, int64_t i, __mmask16 m) {
    if constexpr (WT == DType::F32) return TAIL ? _mm512_maskz_loadu_ps(m, (const float *)W + i) : _mm512_loadu_ps((const float *)W + i);
    const __m256i h = TAIL ? _mm256_maskz_loadu_epi16(m, (const uint16_t *)W + i) : _mm256_loadu_si256((const __m256i *)((const uint16_t *)W + i));
    if constexpr (WT == DType::F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// One 16-wide k step of a tile. Masked loads/stores only on the tail: masked stores are slow on AMD Zen 4.
template <int NR, int NT, DType WT, bool WIDEN, bool TAIL>
OPENRS_AVX512 static inline __attribute__((always_inline)) void step(__m512 (&acc)[NR][NT], const float * x, int K, const void * W,
                                                                     int64_t w0, float * wide, int k, __mmask16 m) {
    __m512 xv[NT];
    for (int t = 0; t < NT; t++) xv[t] = TAIL ? _mm512_maskz_loadu_ps(m, x + (int64_t)t * K + k) : _mm512_loadu_ps(x + (int64_t)t * K + k);
    for (int r = 0; r < NR; r++) {
        const __m512 w = load16<WT, TAIL>(W, w0 + (int64_t)r * K + k, m);
        if constexpr (WIDEN) {
            if (TAIL) _mm512_mask_storeu_ps(wide + (int64_t)r * K + k, m, w);
            else _mm512_storeu_ps(wide + (int64_t)r * K + k, w);
        }
        for (int t = 0; t < NT; t++) acc[r][t] = _mm512_fmadd_ps(w, xv[t], acc[r][t]);
    }
}

// NR rows x NT tokens, K in steps of 16 (the last step masked). Every (t, o) runs the same lane-wise FMA chain and
// the same 16-lane reduction whatever NT and the weights' stored dtype (widening is exact), so batch invariance holds.
// WIDEN: also store the widened rows ([NR][K] f32) so the other token tiles can run on f32.
template <int NR, int NT, DType WT, bool WIDEN = false>
OPENRS_AVX512 static void tile(float * y, int ldy, const float * x, int K, const void * W, int64_t w0, const float * bias,
                               float * wide = nullptr) {
    __m512 acc[NR][NT];
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) acc[r][t] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        // Decode streams W from memory: fetch the next block's rows (NR rows on) alongside, a line per 32 elements
        // (the 151936 x 896 bf16 LM head at batch 1 on 2 Zen 5 cores: 44 -> 62 GB/s; the read probe gives 62-65).
        if constexpr (NT <= 3 && WT != DType::F32)
            if ((k & 31) == 0)
                for (int r = 0; r < NR; r++) _mm_prefetch((const char *)((const uint16_t *)W + w0 + (int64_t)(r + NR) * K + k), _MM_HINT_T0);
        step<NR, NT, WT, WIDEN, false>(acc, x, K, W, w0, wide, k, 0xFFFF);
    }
    if (k < K) step<NR, NT, WT, WIDEN, true>(acc, x, K, W, w0, wide, k, (__mmask16)((1u << (K - k)) - 1));
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) y[(int64_t)t * ldy + r] = _mm512_reduce_add_ps(acc[r][t]) + (bias ? bias[r] : 0.f);
}

// Tokens [0, T) of NR rows: NT = 6 tiles, then the tail.
template <int NR, DType WT>
OPENRS_AVX512 static void tokens(float * y, int ldy, const float * x, int T, int K, const void * W, int64_t w0, const float * bias) {
    if constexpr (NR == 8) { // decode only (T <= 3): 8 x 3 accumulators fit the 32 registers
        if (T == 3) tile<8, 3, WT>(y, ldy, x, K, W, w0, bias);
        else if (T == 2) tile<8, 2, WT>(y, ldy, x, K, W, w0, bias);
        else tile<8, 1, WT>(y, ldy, x, K, W, w0, bias);
        return;
    }
    int t = 0;
    for (; t + 6 <= T; t += 6) tile<NR, 6, WT>(y + (int64_t)t * ldy, ldy, x + (int64_t)t * K, K, W, w0, bias);
    float * yt = y + (int64_t)t * ldy;
    const float * xt = x + (int64_t)t * K;
    switch (T - t) {
    case 5: tile<NR, 5, WT>(yt, ldy, xt, K, W, w0, bias); break;
    case 4: tile<NR, 4, WT>(yt, ldy, xt, K, W, w0, bias); break;
    case 3: tile<NR, 3, WT>(yt, ldy, xt, K, W, w0, bias); break;
    case 2: tile<NR, 2, WT>(yt, ldy, xt, K, W, w0, bias); break;
    case 1: tile<NR, 1, WT>(yt, ldy, xt, K, W, w0, bias); break;
    default: break;
    }
}

// Rows [o, o + NR), tokens [0, T): with 8+ tokens of 16-bit weights, the first 6-token tile also widens the rows to
// f32 and the rest run on that copy (and prefetch the next rows from memory meanwhile); otherwise straight from W.
template <int NR, DType WT>
OPENRS_AVX512 static void rows(float * y, int ldy, const float * x, int T, int K, const void * W, int o, int N, const float * bias) {
    const float * b = bias ? bias + o : nullptr;
    if (WT == DType::F32 || T < 8) return tokens<NR, WT>(y + o, ldy, x, T, K, W, (int64_t)o * K, b);
    thread_local std::vector<float> wide;
    wide.resize((size_t)NR * K);
    tile<NR, 6, WT, true>(y + o, ldy, x, K, W, (int64_t)o * K, b, wide.data());
    const int nxt = std::min(NR, N - (o + NR));
    if (nxt > 0) { // the next rows' DRAM reads, spread over this block's tiles
        const char * pf = (const char *)W + (int64_t)(o + NR) * K * 2;
        const int64_t lines = ((int64_t)nxt * K * 2 + 63) / 64;
        const int tiles = (T - 6 + 5) / 6;
        const int64_t per = (lines + tiles - 1) / tiles;
        for (int t = 6, j = 0; t < T; t += 6, j++) {
            for (int64_t l = j * per; l < std::min(lines, (j + 1) * per); l++) _mm_prefetch(pf + l * 64, _MM_HINT_T1);
            tokens<NR, DType::F32>(y + (int64_t)t * ldy + o, ldy, x + (int64_t)t * K, std::min(6, T - t), K, wide.data(), 0, b);
        }
    } else
        tokens<NR, DType::F32>(y + (int64_t)6 * ldy + o, ldy, x + (int64_t)6 * K, T - 6, K, wide.data(), 0, b);
}

// Lane j of the result = _mm512_reduce_add_ps(v[j]) bit for bit (the same pairing: lanes i + 8, i + 4, i + 2, i + 1)
// for 16 vectors at once: a 4 x 4 tile's sums in about 46 instructions instead of 16 x 9.
OPENRS_AVX512 static inline __m512 reduce16(const __m512 * v) {
    __m512 r[8], s[4], u[2];
    for (int p = 0; p < 8; p++) r[p] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], 0x44), _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], 0xEE));
    for (int q = 0; q < 4; q++) s[q] = _mm512_add_ps(_mm512_shuffle_f32x4(r[2 * q], r[2 * q + 1], 0x88), _mm512_shuffle_f32x4(r[2 * q], r[2 * q + 1], 0xDD));
    for (int m = 0; m < 2; m++) u[m] = _mm512_add_ps(_mm512_shuffle_ps(s[2 * m], s[2 * m + 1], 0x44), _mm512_shuffle_ps(s[2 * m], s[2 * m + 1], 0xEE));
    const __m512 w = _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], 0x88), _mm512_shuffle_ps(u[0], u[1], 0xDD));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), w);
}

// ---- BF16 dot products (activations rounded to bf16): xb [T][Kp] bf16, K padded to Kp (a multiple of 32) with
// zeros; per 32 k one vdpbf16ps per (row, token): lane l sums pairs (2l, 2l + 1) in k order whatever NT is, and the
// 16 lanes reduce in _mm512_reduce_add_ps's order (reduce16 for 4-token groups of 4-row tiles), so batch invariance
// holds on this path too.
// One 32-wide k step of a dot-product tile (the weight rows masked on the K tail; x is zero padded).
template <int NR, int NT, bool TAIL>
OPENRS_AVX512BF16 static inline __attribute__((always_inline)) void step_dp(__m512 (&acc)[NR][NT], const uint16_t * xb, int Kp, int K,
                                                                           const uint16_t * W, int k) {
    __m512bh w[NR];
    for (int r = 0; r < NR; r++)
        w[r] = TAIL ? (__m512bh)_mm512_maskz_loadu_epi16((__mmask32)((1ull << (K - k)) - 1), W + (int64_t)r * K + k)
                    : (__m512bh)_mm512_loadu_si512(W + (int64_t)r * K + k);
    if constexpr (NT <= 3) // decode streams W from memory: fetch the next block's rows (NR rows on) alongside
        for (int r = 0; r < NR; r++) _mm_prefetch((const char *)(W + (int64_t)(r + NR) * K + k), _MM_HINT_T0);
    for (int t = 0; t < NT; t++) {
        const __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + (int64_t)t * Kp + k);
        for (int r = 0; r < NR; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], xv, w[r]);
    }
}

template <int NR, int NT>
OPENRS_AVX512BF16 static void tile_dp(float * y, int ldy, const uint16_t * xb, int Kp, int K, const uint16_t * W, const float * bias) {
    __m512 acc[NR][NT];
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) acc[r][t] = _mm512_setzero_ps();
    // Main and tail loops apart: one loop with a masked branch inside made GCC 12 keep 8 of the 24 accumulators on
    // the stack (a store and reload per step), which halved the tile's speed.
    int k = 0;
    for (; k + 32 <= K; k += 32) step_dp<NR, NT, false>(acc, xb, Kp, K, W, k);
    if (k < K) step_dp<NR, NT, true>(acc, xb, Kp, K, W, k);
    int t0 = 0;
    if constexpr (NR == 4) {
        const __m512 b = bias ? _mm512_broadcast_f32x4(_mm_loadu_ps(bias)) : _mm512_setzero_ps();
        for (; t0 + 4 <= NT; t0 += 4) {
            __m512 v[16];
            for (int t = 0; t < 4; t++)
                for (int r = 0; r < 4; r++) v[t * 4 + r] = acc[r][t0 + t];
            const __m512 s = _mm512_add_ps(reduce16(v), b);
            float * yt = y + (int64_t)t0 * ldy;
            _mm_storeu_ps(yt, _mm512_castps512_ps128(s));
            _mm_storeu_ps(yt + ldy, _mm512_extractf32x4_ps(s, 1));
            _mm_storeu_ps(yt + 2 * ldy, _mm512_extractf32x4_ps(s, 2));
            _mm_storeu_ps(yt + 3 * ldy, _mm512_extractf32x4_ps(s, 3));
        }
    }
    for (int r = 0; r < NR; r++)
        for (int t = t0; t < NT; t++) y[(int64_t)t * ldy + r] = _mm512_reduce_add_ps(acc[r][t]) + (bias ? bias[r] : 0.f);
}

// NR rows from o, tokens [0, T): 6-token tiles, then the tail.
template <int NR>
OPENRS_AVX512BF16 static void tokens_dp(float * y, int ldy, const uint16_t * xb, int T, int Kp, int K, const uint16_t * W, int o, const float * bias) {
    const uint16_t * Wo = W + (int64_t)o * K;
    const float * b = bias ? bias + o : nullptr;
    int t = 0;
    for (; t + 6 <= T; t += 6) tile_dp<NR, 6>(y + (int64_t)t * ldy + o, ldy, xb + (int64_t)t * Kp, Kp, K, Wo, b);
    float * yt = y + (int64_t)t * ldy + o;
    const uint16_t * xt = xb + (int64_t)t * Kp;
    switch (T - t) {
    case 5: tile_dp<NR, 5>(yt, ldy, xt, Kp, K, Wo, b); break;
    case 4: tile_dp<NR, 4>(yt, ldy, xt, Kp, K, Wo, b); break;
    case 3: tile_dp<NR, 3>(yt, ldy, xt, Kp, K, Wo, b); break;
    case 2: tile_dp<NR, 2>(yt, ldy, xt, Kp, K, Wo, b); break;
    case 1: tile_dp<NR, 1>(yt, ldy, xt, Kp, K, Wo, b); break;
    default: break;
    }
}

void matmul_bf16dot(float * y, int ldy, const uint16_t * xb, int Kp, int T, int K, const uint16_t * W, int N, const float * bias,
                    int n_threads) {
    const int nblk = (N + 3) / 4;
    const int nchunk = n_threads > 1 ? std::min(nblk, n_threads * 8) : 1;
    const int nt = (int64_t)N * K * T > 32768 ? n_threads : 1;
    parallel_for(nchunk, nt, [&](int chunk) {
        const int b0 = (int)((int64_t)nblk * chunk / nchunk), b1 = (int)((int64_t)nblk * (chunk + 1) / nchunk);
        if (T <= 3) { // decode: 8-row tiles keep more weight streams in flight
            for (int b = b0; b < b1; b++) {
                const int o = b * 4;
                if (b + 1 < b1 && o + 8 <= N) {
                    tokens_dp<8>(y, ldy, xb, T, Kp, K, W, o, bias);
                    b++;
                } else if (o + 4 <= N) tokens_dp<4>(y, ldy, xb, T, Kp, K, W, o, bias);
                else
                    for (int r = o; r < N; r++) tokens_dp<1>(y, ldy, xb, T, Kp, K, W, r, bias);
            }
            return;
        }
        // Prefill and batched decode: pairs of 4-row blocks (8 weight rows, L1/L2-resident) meet every 6-token tile
        // in turn; measured best among 1, 2, 4, 8 and 16 blocks per group and 4, 6, 8 tokens per tile (Zen 5).
        for (int g0 = b0; g0 < b1; g0 += 2) {
            const int g1 = std::min(b1, g0 + 2);
            for (int t0 = 0; t0 < T; t0 += 6) {
                const int tn = std::min(6, T - t0);
                for (int b = g0; b < g1; b++) {
                    const int o = b * 4;
                    if (o + 4 <= N) tokens_dp<4>(y + (int64_t)t0 * ldy, ldy, xb + (int64_t)t0 * Kp, tn, Kp, K, W, o, bias);
                    else
                        for (int r = o; r < N; r++) tokens_dp<1>(y + (int64_t)t0 * ldy, ldy, xb + (int64_t)t0 * Kp, tn, Kp, K, W, r, bias);
                }
            }
        }
    });
}

// x[T][K] f32 -> bf16 [T][Kp], round to nearest even as f32_to_bf16 (NaN stays NaN), zero padding.
OPENRS_AVX512 void round_bf16_avx512(uint16_t * out, const float * x, int T, int K, int Kp) {
    const __m512i ones = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7FFF), absm = _mm512_set1_epi32(0x7FFFFFFF),
                  inf = _mm512_set1_epi32(0x7F800000), qnan = _mm512_set1_epi32(0x40);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < Kp; k += 16) {
            const __mmask16 m = K - k >= 16 ? 0xFFFF : K > k ? (__mmask16)((1u << (K - k)) - 1) : 0;
            const __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, x + (int64_t)t * K + k));
            __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, bias), _mm512_and_si512(_mm512_srli_epi32(u, 16), ones)), 16);
            const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, absm), inf);
            r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), qnan);
            _mm256_storeu_si256((__m256i *)(out + (int64_t)t * Kp + k), _mm512_cvtepi32_epi16(r));
        }
}

void matmul_avx512(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
                   int n_threads) {
    const int TB = 48; // token blocks keep x in L2 while W streams (see matmul.cpp)
    const int nblk = (N + 3) / 4;
    const int nchunk = n_threads > 1 ? std::min(nblk, n_threads * 8) : 1;
    const int nt = (int64_t)N * K * T > 32768 ? n_threads : 1;
    parallel_for(nchunk, nt, [&](int chunk) {
        const int b0 = (int)((int64_t)nblk * chunk / nchunk), b1 = (int)((int64_t)nblk * (chunk + 1) / nchunk);
        for (int t0 = 0; t0 < T; t0 += TB) {
            const int tn = std::min(T, t0 + TB) - t0;
            float * yt = y + (int64_t)t0 * ldy;
            const float * xt = x + (int64_t)t0 * K;
            for (int b = b0; b < b1; b++) {
                int o = b * 4;
                auto go = [&](auto nr) {
                    constexpr int NR = decltype(nr)::value;
                    if (wt == DType::BF16) rows<NR, DType::BF16>(yt, ldy, xt, tn, K, W, o, N, bias);
                    else if (wt == DType::F16) rows<NR, DType::F16>(yt, ldy, xt, tn, K, W, o, N, bias);
                    else rows<NR, DType::F32>(yt, ldy, xt, tn, K, W, o, N, bias);
                };
                // Decode (1-3 tokens): 8 rows per tile, so more independent row streams are in flight from memory
                // (the per-(t, o) arithmetic does not depend on the rows per tile).
                if (tn <= 3 && b + 1 < b1 && o + 8 <= N && wt != DType::F32) {
                    if (wt == DType::BF16) tokens<8, DType::BF16>(yt + o, ldy, xt, tn, K, W, (int64_t)o * K, bias ? bias + o : nullptr);
                    else tokens<8, DType::F16>(yt + o, ldy, xt, tn, K, W, (int64_t)o * K, bias ? bias + o : nullptr);
                    b++;
                } else if (o + 4 <= N) go(std::integral_constant<int, 4>());
                else
                    for (; o < N; o++) go(std::integral_constant<int, 1>());
            }
        }
    });
}

} // namespace openrs
