// kernels.cpp: matmul micro-kernels (AVX2/FMA/F16C and a scalar fallback) and the row/token tiling around them.
#include "kernels.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <immintrin.h>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace openrs {

float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF, u;
    if (exp == 0) {
        if (man == 0) u = sign;
        else { // subnormal: renormalise
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) u = sign | 0x7F800000 | (man << 13);
    else u = sign | ((exp + 112) << 23) | (man << 13);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

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
#define OPENRS_AVX2 __attribute__((target("avx2,fma,f16c")))

OPENRS_AVX2 static inline __m256 load8(const void * W, DType wt, int64_t i) {
    if (wt == DType::F32) return _mm256_loadu_ps((const float *)W + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)W + i));
    if (wt == DType::F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

OPENRS_AVX2 static inline float hsum(__m256 v) {
    // Same pairing as tile_scalar: (l0+l4)+(l1+l5) + (l2+l6)+(l3+l7).
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)); // l0+l4 .. l3+l7
    float t[4];
    _mm_storeu_ps(t, a);
    return (t[0] + t[1]) + (t[2] + t[3]);
}

OPENRS_AVX2 static inline float hmax4(__m128 a) {
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

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

static std::atomic<int> g_force_scalar{0};
void force_scalar(bool on) { g_force_scalar.store(on ? 1 : 0, std::memory_order_relaxed); }

static bool have_avx2() {
    static const bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
                            !getenv("OPENRS_NO_SIMD");
    return cpu && !g_force_scalar.load(std::memory_order_relaxed);
}

OPENRS_AVX2 static float dot_avx2(const float * a, const float * b, int n) {
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    float s = hsum(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

OPENRS_AVX2 static void axpy_avx2(float * y, float a, const float * x, int n) {
    const __m256 av = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

float dot_f32(const float * a, const float * b, int n) {
    if (have_avx2()) return dot_avx2(a, b, n);
    float s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

void axpy_f32(float * y, float a, const float * x, int n) {
    if (have_avx2()) return axpy_avx2(y, a, x, n);
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

// exp for x <= 0 (softmax after subtracting the max): Cephes' expf polynomial with ln2 split, ~1 ulp; inputs below
// -87 are clamped (e^-87 ~ 1.6e-38 is zero next to the max's 1); NaN stays NaN.
OPENRS_AVX2 static inline __m256 exp_avx2(__m256 x) {
    x = _mm256_max_ps(_mm256_set1_ps(-87.f), x); // operand order: a NaN x comes through (maxps returns its 2nd operand)
    __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// o[0 .. 8*CW) += sum over rows r < n of w[r] * vr[r * stride ..]
template <int CW, DType KT>
OPENRS_AVX2 static inline void weighted_rows(float * o, const float * w, int n, const void * vr, int64_t stride) {
    __m256 acc[CW];
    for (int j = 0; j < CW; j++) acc[j] = _mm256_loadu_ps(o + 8 * j);
    for (int r = 0; r < n; r++) {
        const __m256 wr = _mm256_broadcast_ss(w + r);
        for (int j = 0; j < CW; j++) acc[j] = _mm256_fmadd_ps(wr, load8(vr, KT, r * stride + 8 * j), acc[j]);
    }
    for (int j = 0; j < CW; j++) _mm256_storeu_ps(o + 8 * j, acc[j]);
}

// One KV head and the G query heads that read it: each block of K and V rows is loaded once (into L1) for all G
// heads, scores and weights stay in a per-thread buffer, and the softmax is exact (max subtracted, normalised last).
template <DType KT>
OPENRS_AVX2 static void attend_avx2(float * out, const float * q, int G, int hd, const void * k, const void * v, int64_t stride,
                                    int n, float scale, float * sc) {
    const int esz = KT == DType::F32 ? 4 : 2;
    const int nc = hd / 8;
    thread_local std::vector<float> mxs;
    mxs.assign(G, -INFINITY);
    float * mx = mxs.data();
    __m256 bad = _mm256_setzero_ps(); // any NaN score
    int p = 0;
    // Scores, 8 positions x one head at a time: 8 independent dot chains (enough to hide FMA latency), then one
    // transpose-and-add reduction of the 8 rows.
    const int lines = (hd * esz + 63) / 64;
    for (; p + 8 <= n; p += 8) {
        const int64_t k0 = (int64_t)p * stride;
        // The cache is cold (other sequences and layers ran since): fetch the rows 16 ahead explicitly.
        if (p + 24 <= n)
            for (int j = 16; j < 24; j++)
                for (int c = 0; c < lines; c++) _mm_prefetch((const char *)k + (k0 + j * stride) * esz + 64 * c, _MM_HINT_T0);
        for (int g = 0; g < G; g++) {
            const float * qg = q + (int64_t)g * hd;
            __m256 a[8];
            for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_ps();
            for (int c = 0; c < nc; c++) {
                const __m256 qv = _mm256_loadu_ps(qg + 8 * c);
                for (int j = 0; j < 8; j++) a[j] = _mm256_fmadd_ps(qv, load8(k, KT, k0 + j * stride + 8 * c), a[j]);
            }
            // hadd tree: lane j of the result is the sum of a[j]'s 8 lanes.
            const __m256 h01 = _mm256_hadd_ps(a[0], a[1]), h23 = _mm256_hadd_ps(a[2], a[3]);
            const __m256 h45 = _mm256_hadd_ps(a[4], a[5]), h67 = _mm256_hadd_ps(a[6], a[7]);
            const __m256 h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67);
            const __m256 lo = _mm256_permute2f128_ps(h0123, h4567, 0x20), hi = _mm256_permute2f128_ps(h0123, h4567, 0x31);
            const __m256 s8 = _mm256_mul_ps(_mm256_add_ps(lo, hi), _mm256_set1_ps(scale));
            _mm256_storeu_ps(sc + (int64_t)g * n + p, s8);
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(s8, s8, _CMP_UNORD_Q));
            mx[g] = std::max(mx[g], hmax4(_mm_max_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1))));
        }
    }
    for (; p < n; p++)
        for (int g = 0; g < G; g++) {
            __m256 a = _mm256_setzero_ps();
            for (int c = 0; c < nc; c++) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + (int64_t)g * hd + 8 * c), load8(k, KT, (int64_t)p * stride + 8 * c), a);
            sc[(int64_t)g * n + p] = hsum(a) * scale;
            if (std::isnan(sc[(int64_t)g * n + p])) bad = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
            mx[g] = std::max(mx[g], sc[(int64_t)g * n + p]);
        }
    // A NaN or infinite score (a broken model) makes the output NaN, as the scalar path and the CUDA kernel do,
    // rather than a plausible average.
    bool broken = _mm256_movemask_ps(bad) != 0;
    for (int g = 0; g < G; g++) broken |= !std::isfinite(mx[g]);
    if (broken) {
        for (int i = 0; i < G * hd; i++) out[i] = NAN;
        return;
    }
    // Softmax weights (unnormalised) per head.
    thread_local std::vector<float> inv_buf;
    inv_buf.resize(G);
    float * inv = inv_buf.data();
    for (int g = 0; g < G; g++) {
        float * sg = sc + (int64_t)g * n;
        const __m256 mv = _mm256_set1_ps(mx[g]);
        __m256 sv = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(sg + i), mv));
            _mm256_storeu_ps(sg + i, e);
            sv = _mm256_add_ps(sv, e);
        }
        float sum = hsum(sv);
        if (i < n) {
            float e[8] = {};
            for (int j = i; j < n; j++) e[j - i] = sg[j] - mx[g];
            _mm256_storeu_ps(e, exp_avx2(_mm256_loadu_ps(e)));
            for (int j = i; j < n; j++) sum += (sg[j] = e[j - i]);
        }
        inv[g] = 1.f / sum;
    }
    // Weighted V rows: a block of PB rows (L1) serves all G heads; each head's output is accumulated 8 vectors at a time.
    const int PB = 16;
    for (int g = 0; g < G * hd; g++) out[g] = 0.f;
    for (int p0 = 0; p0 < n; p0 += PB) {
        const int p1 = std::min(n, p0 + PB);
        for (int j = p0 + PB; j < std::min(n, p0 + 2 * PB); j++)
            for (int c = 0; c < lines; c++) _mm_prefetch((const char *)v + ((int64_t)j * stride) * esz + 64 * c, _MM_HINT_T0);
        for (int g = 0; g < G; g++) {
            const float * sg = sc + (int64_t)g * n;
            float * og = out + (int64_t)g * hd;
            for (int c0 = 0; c0 < nc; c0 += 8) {
                float * o = og + 8 * c0;
                const void * vr = (const char *)v + ((int64_t)p0 * stride + 8 * c0) * esz;
                switch (std::min(8, nc - c0)) { // a constant width keeps the accumulators in registers
                case 8: weighted_rows<8, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                case 7: weighted_rows<7, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                case 6: weighted_rows<6, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                case 5: weighted_rows<5, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                case 4: weighted_rows<4, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                case 3: weighted_rows<3, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                case 2: weighted_rows<2, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                default: weighted_rows<1, KT>(o, sg + p0, p1 - p0, vr, stride); break;
                }
            }
        }
    }
    for (int g = 0; g < G; g++) {
        const __m256 iv = _mm256_set1_ps(inv[g]);
        for (int c = 0; c < nc; c++) _mm256_storeu_ps(out + (int64_t)g * hd + 8 * c, _mm256_mul_ps(_mm256_loadu_ps(out + (int64_t)g * hd + 8 * c), iv));
    }
}

static void attend_scalar(float * out, const float * q, int G, int hd, const KVView & kv, int64_t stride, int n, float scale, float * sc) {
    auto K = [&](int64_t i) { return load_elem(kv.k, kv.dtype, i); };
    auto V = [&](int64_t i) { return load_elem(kv.v, kv.dtype, i); };
    for (int g = 0; g < G; g++) {
        const float * qg = q + (int64_t)g * hd;
        float * sg = sc + (int64_t)g * n;
        float m = -INFINITY;
        for (int p = 0; p < n; p++) {
            float s = 0;
            for (int c = 0; c < hd; c++) s += qg[c] * K((int64_t)p * stride + c);
            sg[p] = s * scale;
            m = std::max(m, sg[p]);
        }
        float sum = 0;
        for (int p = 0; p < n; p++) sum += (sg[p] = std::exp(sg[p] - m));
        float * og = out + (int64_t)g * hd;
        std::fill(og, og + hd, 0.f);
        for (int p = 0; p < n; p++)
            for (int c = 0; c < hd; c++) og[c] += sg[p] * V((int64_t)p * stride + c);
        for (int c = 0; c < hd; c++) og[c] /= sum;
    }
}

void attend(float * out, const float * q, int G, int hd, const KVView & kv, int64_t stride, int n, float scale) {
    thread_local std::vector<float> sc;
    sc.resize((size_t)G * n);
    if (have_avx2() && hd % 8 == 0) {
        if (kv.dtype == DType::BF16) attend_avx2<DType::BF16>(out, q, G, hd, kv.k, kv.v, stride, n, scale, sc.data());
        else attend_avx2<DType::F32>(out, q, G, hd, kv.k, kv.v, stride, n, scale, sc.data());
    } else attend_scalar(out, q, G, hd, kv, stride, n, scale, sc.data());
}

const char * simd_name() { return have_avx2() ? "avx2+fma+f16c" : "scalar"; }

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

void matmul(float * y, int ldy, const float * x, int T, int K, const void * W, DType wt, int N, const float * bias,
            int n_threads) {
    // Token blocks keep x (TB x K f32, <= ~256 KB) in L2 while each thread streams its rows of W through it.
    const int TB = 48;
    const int nblk = (N + 3) / 4;
    // Many small dynamic chunks rather than one per thread: on a shared machine a descheduled thread would
    // otherwise leave the others spinning at the barrier. Chunking never changes any (t, o) sum.
    const int nchunk = n_threads > 1 ? std::min(nblk, n_threads * 8) : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads) if (n_threads > 1 && (int64_t)N * K * T > 32768)
    for (int chunk = 0; chunk < nchunk; chunk++) {
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
    }
}

} // namespace openrs
