// attention.cpp: causal attention of one row over one KV head's cached rows (AVX2 fused GQA kernel, scalar fallback).
#include "attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "simd.hpp"

namespace openrs {

OPENRS_AVX2 static inline float hmax4(__m128 a) {
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
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
                                    int n, float scale, float * sc, float * lse) {
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
        if (lse)
            for (int g = 0; g < G; g++) lse[g] = NAN;
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
        if (lse) lse[g] = mx[g] + std::log(sum);
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

static void attend_scalar(float * out, const float * q, int G, int hd, const KVView & kv, int64_t stride, int n, float scale, float * sc, float * lse) {
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
        if (lse) lse[g] = m + std::log(sum);
    }
}

void attend(float * out, const float * q, int G, int hd, const KVView & kv, int64_t stride, int n, float scale, float * lse) {
    thread_local std::vector<float> sc;
    sc.resize((size_t)G * n);
    if (have_avx2() && hd % 8 == 0) {
        if (kv.dtype == DType::BF16) attend_avx2<DType::BF16>(out, q, G, hd, kv.k, kv.v, stride, n, scale, sc.data(), lse);
        else attend_avx2<DType::F32>(out, q, G, hd, kv.k, kv.v, stride, n, scale, sc.data(), lse);
    } else attend_scalar(out, q, G, hd, kv, stride, n, scale, sc.data(), lse);
}

} // namespace openrs
