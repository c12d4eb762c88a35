// attention.hpp: causal attention of one row's GQA group over its sequence's cached K/V (f32 or bf16 cache).
#pragma once
#include "dtype.hpp"

namespace openrs {

struct KVView { // one (layer, KV head) block of a cache: rows `stride` elements apart
    const void * k;
    const void * v;
    DType dtype; // F32 or BF16
};

// G query heads (q, out: [G][hd]) sharing one KV head, over positions [0, n); exact softmax. Per row only, so
// results never depend on the batch. A NaN or infinite score makes the output NaN. lse (optional, [G]) receives each
// head's log-sum-exp of its scores, which the training backward uses to recompute the probabilities.
void attend(float * out, const float * q, int G, int hd, const KVView & kv, int64_t stride, int n, float scale,
            float * lse = nullptr);

} // namespace openrs
