// simd.cpp: the run-time kernel choice and the f16 conversion (no F16C needed).
#include "simd.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

static const char * const kNames[] = {"scalar", "avx2", "avx512", "avx512bf16"};

const char * kernels_name(Kernels k) { return kNames[(int)k]; }

Kernels cpu_kernels() {
    static const Kernels best = [] {
        __builtin_cpu_init();
        if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))) return Kernels::Scalar;
        if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")))
            return Kernels::AVX2;
        // avx512bf16 is not a __builtin_cpu_supports name on every compiler: CPUID leaf 7 sub-leaf 1, EAX bit 5.
        unsigned a = 0, b = 0, c = 0, d = 0;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(1));
        return (a >> 5) & 1 ? Kernels::AVX512BF16 : Kernels::AVX512;
    }();
    return best;
}

static int parse(const char * name) {
    for (int i = 0; i < 4; i++)
        if (strcmp(name, kNames[i]) == 0) return i;
    return -1;
}

// The path chosen at load: OPENRS_KERNELS (a lower path; an unknown or unavailable one is refused with a notice and
// the CPU's best is kept), OPENRS_NO_SIMD=1 (scalar, kept for old scripts), else the CPU's best. avx512bf16 differs
// from avx512 only for bf16-rounded activations (act_bf16): f32 activations run the same f32 kernels on both.
static int initial() {
    const int best = (int)cpu_kernels();
    if (getenv("OPENRS_NO_SIMD")) return 0;
    const char * e = getenv("OPENRS_KERNELS");
    if (!e || !*e) return best;
    const int k = parse(e);
    if (k < 0) fprintf(stderr, "openrs: OPENRS_KERNELS=%s is not one of avx512bf16, avx512, avx2, scalar; using %s\n", e, kNames[best]);
    else if (k > (int)cpu_kernels()) fprintf(stderr, "openrs: OPENRS_KERNELS=%s: this CPU cannot run it; using %s\n", e, kNames[best]);
    else return k;
    return best;
}

static std::atomic<int> g_kernels{-1};
static int g_loaded = -1;

Kernels kernels() {
    int k = g_kernels.load(std::memory_order_relaxed);
    if (k < 0) {
        static const int first = initial();
        g_loaded = first;
        int expect = -1;
        g_kernels.compare_exchange_strong(expect, first);
        k = g_kernels.load(std::memory_order_relaxed);
    }
    return (Kernels)k;
}

int set_kernels(const char * name) {
    const int k = name ? parse(name) : -1;
    if (k < 0) return -1;
    if (k > (int)cpu_kernels()) return -2;
    kernels();
    g_kernels.store(k, std::memory_order_relaxed);
    return 0;
}

void force_scalar(bool on) {
    kernels();
    g_kernels.store(on ? 0 : g_loaded, std::memory_order_relaxed);
}

bool have_avx2() { return kernels() >= Kernels::AVX2; }

const char * simd_name() { return kernels_name(kernels()); }

} // namespace openrs
