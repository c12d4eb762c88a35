// probe.cpp: memory-bandwidth and FMA-peak probes so benchmarks can print the machine's ceilings beside their figures.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <immintrin.h>
#include <vector>

#include "../include/openrs_probe.h"
#include "kernels/matmul.hpp"
#include "kernels/simd.hpp"
#include "threads.hpp"

// GCC 12 flags its own AVX-512 intrinsics headers (_mm512_undefined_* placeholders) as uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// fn(c) for c < n on n threads at once (a probe must run all its threads concurrently; the engine's pool lets a fast
// thread take a slow one's task).
static void on_threads(int n, const std::function<void(int)> & fn) {
    std::vector<std::thread> ts;
    for (int c = 1; c < n; c++) ts.emplace_back(fn, c);
    fn(0);
    for (auto & t : ts) t.join();
}

static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

__attribute__((target("avx2"))) static float sum_avx2(const float * p, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
    }
    float t[8];
    _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

extern "C" double openrs_probe_read_gbps(int32_t n_threads, int32_t mib) {
    size_t n = (size_t)mib * 1024 * 1024 / 4;
    std::vector<float> buf(n);
    n_threads = std::max(1, n_threads);
    on_threads(n_threads, [&](int c) { // first touch by the reading threads
        for (size_t i = n * c / n_threads; i < n * (c + 1) / n_threads; i++) buf[i] = (float)(i & 7);
    });
    double best = 1e30, sink = 0;
    std::vector<double> part(n_threads);
    for (int pass = 0; pass < 5; pass++) {
        double t0 = now();
        on_threads(n_threads, [&](int c) { part[c] = sum_avx2(buf.data() + n * c / n_threads, n / n_threads); });
        best = std::min(best, now() - t0);
        for (double s : part) sink += s;
    }
    if (sink == 42.4242) std::abort(); // keeps the sums alive
    return (double)n * 4 / best / 1e9;
}

__attribute__((target("avx2,fma"))) static float fma_loop(long iters) {
    __m256 a[10], b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 10; i++) a[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < 10; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
    float t[8], s = 0;
    for (int i = 0; i < 10; i++) { _mm256_storeu_ps(t, a[i]); s += t[0]; }
    return s;
}

__attribute__((target("avx512f"))) static float fma_loop512(long iters) {
    __m512 a[10], b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 10; i++) a[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < 10; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
    float s = 0;
    for (int i = 0; i < 10; i++) s += _mm512_reduce_add_ps(a[i]);
    return s;
}

// The peak of the vector width the kernels in use run at (16 lanes on the avx512 paths, else 8).
extern "C" double openrs_probe_fma_gflops(int32_t n_threads) {
    const bool wide = openrs::kernels() >= openrs::Kernels::AVX512;
    const long iters = wide ? 10000000 : 20000000;
    double t0 = now(), sink = 0;
    n_threads = std::max(1, n_threads);
    std::vector<double> part(n_threads);
    on_threads(n_threads, [&](int c) { part[c] = wide ? fma_loop512(iters) : fma_loop(iters); });
    for (double s : part) sink += s;
    double dt = now() - t0;
    if (sink == 42.4242) std::abort();
    return (double)n_threads * iters * 10 * (wide ? 16 : 8) * 2 / dt / 1e9;
}

extern "C" const char * openrs_simd_name(void) { return openrs::simd_name(); }

extern "C" void openrs_force_scalar(int32_t on) { openrs::force_scalar(on != 0); }

extern "C" const char * openrs_cpu_kernels(void) { return openrs::kernels_name(openrs::cpu_kernels()); }

extern "C" int32_t openrs_set_kernels(const char * name) { return openrs::set_kernels(name); }

extern "C" const char * openrs_threads_policy(void) { return openrs::threads_policy(); }

extern "C" int32_t openrs_probe_matmul(float * y, const float * x, int32_t T, int32_t K, const void * w, int32_t wdtype, int32_t N,
                                       const float * bias, int32_t act_bf16, int32_t n_threads) {
    if (!y || !x || !w || T < 1 || K < 1 || N < 1 || wdtype < 0 || wdtype > 2 || n_threads < 1) return -1;
    const openrs::DType dt[] = {openrs::DType::F32, openrs::DType::F16, openrs::DType::BF16};
    openrs::matmul(y, N, x, T, K, w, dt[wdtype], N, bias, n_threads, act_bf16 != 0);
    return 0;
}
