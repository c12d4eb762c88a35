// kv_cache.hpp: the CPU backend's KV cache of one sequence, [n_layer][n_head_kv][cap][head_dim] for K and for V
// (head-major, so attention streams one head's rows contiguously): f32 by default (exact: the engine stays
// bit-comparable with its own batch/serial paths), or bf16 (half the memory and the attention reads; K/V rounded to
// nearest even). The CUDA backend keeps its own device cache (cuda/backend.cu).
#pragma once
#include <cstdint>
#include <vector>

#include "backend.hpp"
#include "config.hpp"
#include "kernels/attention.hpp"

namespace openrs {

struct CpuKV : KVCache {
    bool bf16 = false;
    std::vector<float> k, v;      // f32 cache
    std::vector<uint16_t> kh, vh; // bf16 cache
    CpuKV(const Config & c, int capacity, bool as_bf16);
    void copy_prefix_from(const Config & c, const CpuKV & src, int n);
    // Stores one position's K and V rows ([head_dim] each) of KV head h in layer l.
    void store(const Config & c, int l, int h, int pos, const float * kr, const float * vr);
    // The (layer l, KV head h) block, rows head_dim apart.
    KVView view(const Config & c, int l, int h) const;
};

} // namespace openrs
