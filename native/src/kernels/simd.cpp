// simd.cpp: the run-time kernel choice and the f16 conversion (no F16C needed).
#include "simd.hpp"

#include <atomic>
#include <cstdlib>

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

static std::atomic<int> g_force_scalar{0};
void force_scalar(bool on) { g_force_scalar.store(on ? 1 : 0, std::memory_order_relaxed); }

bool have_avx2() {
    static const bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
                            !getenv("OPENRS_NO_SIMD");
    return cpu && !g_force_scalar.load(std::memory_order_relaxed);
}

const char * simd_name() { return have_avx2() ? "avx2+fma+f16c" : "scalar"; }

} // namespace openrs
