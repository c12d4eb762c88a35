// engine.hpp: a loaded model and the backend it runs on (what an openrs_model handle holds), and the calls that
// run a token sequence through it once: prefill, logits, teacher-forced scores.
#pragma once
#include <cstdint>
#include <memory>

#include "backend.hpp"
#include "model.hpp"

namespace openrs {

struct Engine {
    Model model;                      // declared before backend: the CPU backend reads it until it is freed
    std::unique_ptr<Backend> backend;
    int n_threads = 1;                // host threads (CPU forward, and sampling on every backend)
};

// Runs tokens[0..n) through kv (positions from 0) in chunks of kPrefillChunk, keeping logits for rows >= n - n_rows
// (logits: [n_rows, n_vocab], or nullptr).
void prefill(Engine & e, KVCache & kv, const int32_t * tokens, int n, int n_rows, float * logits);
// Logits of the last n_rows of n tokens on a fresh cache.
void logits(Engine & e, const int32_t * tokens, int n, int n_rows, float * out);
// out[i - n_prompt] = log p(tokens[i] | tokens[<i]) for i in [n_prompt, n).
void score(Engine & e, const int32_t * tokens, int n, int n_prompt, float * out);

} // namespace openrs
