// forward.hpp: the batched forward pass of the CPU backend (rows of any sequences, any positions, one pass).
#pragma once
#include <vector>

#include "backend.hpp"
#include "kv_cache.hpp"
#include "model.hpp"

namespace openrs {

// Runs rows (whose caches are CpuKV) through the model on nt threads, writes each row's K/V into its cache, and
// fills logits[i * n_vocab ..] for each row index in want. Does not touch the caches' len (Backend::forward does).
// act_bf16: every matmul input rounded to bf16 (see matmul()).
void cpu_forward(const Model & m, int nt, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits,
                 bool act_bf16 = false);

} // namespace openrs
