// forward.hpp: the batched forward pass of the CPU backend (rows of any sequences, any positions, one pass).
#pragma once
#include <vector>

#include "backend.hpp"
#include "kv_cache.hpp"
#include "model.hpp"

namespace openrs {

// Runs rows (whose caches are CpuKV) through the model on nt threads, writes each row's K/V into its cache, and
// fills logits[i * n_vocab ..] for each row index in want. Does not touch the caches' len (Backend::forward does).
void cpu_forward(const Model & m, int nt, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits);

} // namespace openrs
