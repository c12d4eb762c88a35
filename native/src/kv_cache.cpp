// kv_cache.cpp: allocation, prefix copy and row stores of the CPU KV cache.
#include "kv_cache.hpp"

#include <cstring>

#include "kernels/dtype.hpp"

namespace openrs {

CpuKV::CpuKV(const Config & c, int capacity, bool as_bf16) {
    cap = capacity;
    len = 0;
    bf16 = as_bf16;
    const size_t n = (size_t)c.n_layer * cap * c.n_head_kv * c.head_dim;
    if (bf16) {
        kh.assign(n, 0);
        vh.assign(n, 0);
    } else {
        k.assign(n, 0.f);
        v.assign(n, 0.f);
    }
}

void CpuKV::copy_prefix_from(const Config & c, const CpuKV & src, int n) {
    const size_t hd = c.head_dim;
    for (size_t lh = 0; lh < (size_t)c.n_layer * c.n_head_kv; lh++) { // one (layer, KV head) block at a time
        if (bf16) {
            std::memcpy(&kh[lh * cap * hd], &src.kh[lh * src.cap * hd], n * hd * sizeof(uint16_t));
            std::memcpy(&vh[lh * cap * hd], &src.vh[lh * src.cap * hd], n * hd * sizeof(uint16_t));
        } else {
            std::memcpy(&k[lh * cap * hd], &src.k[lh * src.cap * hd], n * hd * sizeof(float));
            std::memcpy(&v[lh * cap * hd], &src.v[lh * src.cap * hd], n * hd * sizeof(float));
        }
    }
    len = n;
}

void CpuKV::store(const Config & c, int l, int h, int pos, const float * kr, const float * vr) {
    const int hd = c.head_dim;
    const size_t off = (((size_t)l * c.n_head_kv + h) * cap + pos) * hd;
    if (bf16)
        for (int i = 0; i < hd; i++) {
            kh[off + i] = f32_to_bf16(kr[i]);
            vh[off + i] = f32_to_bf16(vr[i]);
        }
    else {
        std::memcpy(&k[off], kr, hd * sizeof(float));
        std::memcpy(&v[off], vr, hd * sizeof(float));
    }
}

KVView CpuKV::view(const Config & c, int l, int h) const {
    const size_t base = ((size_t)l * c.n_head_kv + h) * cap * c.head_dim;
    return bf16 ? KVView{&kh[base], &vh[base], DType::BF16} : KVView{&k[base], &v[base], DType::F32};
}

} // namespace openrs
