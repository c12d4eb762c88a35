// dtype.hpp: element conversions between the stored weight dtypes (f32, f16, bf16) and f32.
#pragma once
#include <cstdint>
#include <cstring>

#include "../safetensors.hpp"

namespace openrs {

inline float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
float f16_to_f32(uint16_t h);
inline uint16_t f32_to_bf16(float f) { // round to nearest even; NaN stays NaN
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}
// Element i of a stored-dtype array as f32.
inline float load_elem(const void * p, DType t, int64_t i) {
    if (t == DType::F32) return ((const float *)p)[i];
    if (t == DType::BF16) return bf16_to_f32(((const uint16_t *)p)[i]);
    return f16_to_f32(((const uint16_t *)p)[i]);
}

} // namespace openrs
