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
    for (; k + 16 <= K; k += 16) step<NR, NT, WT, WIDEN, false>(acc, x, K, W, w0, wide, k, 0xFFFF);
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

// ---- BF16 dot products: x split once into three bf16 rows (hi + mid + lo = x to ~2^-27, finer than f32's own
// rounding; two terms measured 1.2e-4 off the reference, above the 1e-4 bound), K padded to 32 with zeros; per 32 k,
// three vdpbf16ps. Lane l of acc sums pairs (2l, 2l+1) of each 32-wide step, hi, mid then lo, in k order whatever
// NT is. bf16 x bf16 products are exact in f32, so only the accumulation rounds, as in the FMA paths.
template <int NR, int NT>
OPENRS_AVX512BF16 static void tile_dp(float * y, int ldy, const uint16_t * xh, int64_t plane, int Kp, int K,
                                      const uint16_t * W, int64_t w0, const float * bias) {
    __m512 acc[NR][NT];
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) acc[r][t] = _mm512_setzero_ps();
    for (int k = 0; k < Kp; k += 32) {
        const __mmask32 m = K - k >= 32 ? 0xFFFFFFFFu : (__mmask32)((1ull << (K - k)) - 1);
        __m512bh w[NR];
        for (int r = 0; r < NR; r++) w[r] = (__m512bh)_mm512_maskz_loadu_epi16(m, W + w0 + (int64_t)r * K + k);
        for (int t = 0; t < NT; t++) {
            const uint16_t * xt = xh + (int64_t)t * Kp + k;
            const __m512bh h = (__m512bh)_mm512_loadu_si512(xt);
            const __m512bh mid = (__m512bh)_mm512_loadu_si512(xt + plane);
            const __m512bh l = (__m512bh)_mm512_loadu_si512(xt + 2 * plane);
            for (int r = 0; r < NR; r++) acc[r][t] = _mm512_dpbf16_ps(_mm512_dpbf16_ps(_mm512_dpbf16_ps(acc[r][t], h, w[r]), mid, w[r]), l, w[r]);
        }
    }
    for (int r = 0; r < NR; r++)
        for (int t = 0; t < NT; t++) y[(int64_t)t * ldy + r] = _mm512_reduce_add_ps(acc[r][t]) + (bias ? bias[r] : 0.f);
}

template <int NR>
OPENRS_AVX512BF16 static void rows_dp(float * y, int ldy, const uint16_t * xh, int64_t plane, int T, int Kp, int K,
                                      const uint16_t * W, int o, const float * bias) {
    const float * b = bias ? bias + o : nullptr;
    int t = 0;
    for (; t + 4 <= T; t += 4) tile_dp<NR, 4>(y + (int64_t)t * ldy + o, ldy, xh + (int64_t)t * Kp, plane, Kp, K, W, (int64_t)o * K, b);
    float * yt = y + (int64_t)t * ldy + o;
    const uint16_t * ht = xh + (int64_t)t * Kp;
    switch (T - t) {
    case 3: tile_dp<NR, 3>(yt, ldy, ht, plane, Kp, K, W, (int64_t)o * K, b); break;
    case 2: tile_dp<NR, 2>(yt, ldy, ht, plane, Kp, K, W, (int64_t)o * K, b); break;
    case 1: tile_dp<NR, 1>(yt, ldy, ht, plane, Kp, K, W, (int64_t)o * K, b); break;
    default: break;
    }
}

// x[T][K] f32 -> three bf16 planes [T][Kp] (plane = T * Kp elements apart) summing to x; padding is zero.
OPENRS_AVX512BF16 static void split_bf16(uint16_t * out, const float * x, int T, int K, int Kp) {
    const int64_t plane = (int64_t)T * Kp;
    for (int t = 0; t < T; t++)
        for (int k = 0; k < Kp; k += 16) {
            const __mmask16 m = K - k >= 16 ? 0xFFFF : K > k ? (__mmask16)((1u << (K - k)) - 1) : 0;
            __m512 v = _mm512_maskz_loadu_ps(m, x + (int64_t)t * K + k);
            for (int j = 0; j < 3; j++) {
                const __m256bh h = _mm512_cvtneps_pbh(v);
                _mm256_storeu_si256((__m256i *)(out + j * plane + (int64_t)t * Kp + k), (__m256i)h);
                v = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16)));
            }
        }
}

void matmul_avx512(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
                   int n_threads, bool bf16dot) {
    const int TB = 48; // token blocks keep x in L2 while W streams (see matmul.cpp)
    const int nblk = (N + 3) / 4;
    const int nchunk = n_threads > 1 ? std::min(nblk, n_threads * 8) : 1;
    const int nt = (int64_t)N * K * T > 32768 ? n_threads : 1;
    if (bf16dot && wt == DType::BF16) {
        const int Kp = (K + 31) & ~31;
        const int64_t plane = (int64_t)T * Kp;
        std::vector<uint16_t> xs((size_t)3 * plane);
        split_bf16(xs.data(), x, T, K, Kp);
        const uint16_t *xh = xs.data(), *Wb = (const uint16_t *)W;
        parallel_for(nchunk, nt, [&](int chunk) {
            const int b0 = (int)((int64_t)nblk * chunk / nchunk), b1 = (int)((int64_t)nblk * (chunk + 1) / nchunk);
            for (int t0 = 0; t0 < T; t0 += TB) {
                const int tn = std::min(T, t0 + TB) - t0;
                float * yt = y + (int64_t)t0 * ldy;
                for (int b = b0; b < b1; b++) {
                    int o = b * 4;
                    if (o + 4 <= N) rows_dp<4>(yt, ldy, xh + (int64_t)t0 * Kp, plane, tn, Kp, K, Wb, o, bias);
                    else
                        for (; o < N; o++) rows_dp<1>(yt, ldy, xh + (int64_t)t0 * Kp, plane, tn, Kp, K, Wb, o, bias);
                }
            }
        });
        return;
    }
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
