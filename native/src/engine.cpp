// engine.cpp: prefill in chunks, logits and teacher-forced scores of one token sequence.
#include "engine.hpp"

#include <algorithm>
#include <vector>

#include "sampler.hpp"

namespace openrs {

static const int kPrefillChunk = 512; // bounds activation memory for long prompts

void prefill(Engine & e, KVCache & kv, const int32_t * tokens, int n, int n_rows, float * logits) {
    for (int c0 = 0; c0 < n; c0 += kPrefillChunk) {
        int c1 = std::min(n, c0 + kPrefillChunk);
        std::vector<BatchRow> rows;
        std::vector<int> want;
        for (int i = c0; i < c1; i++) {
            rows.push_back({tokens[i], i, &kv});
            if (i >= n - n_rows) want.push_back(i - c0);
        }
        int first = std::max(0, c0 - (n - n_rows)); // logits rows already written by earlier chunks
        e.backend->forward(rows, want, logits ? logits + (size_t)first * e.model.cfg.n_vocab : nullptr);
    }
}

void logits(Engine & e, const int32_t * tokens, int n, int n_rows, float * out) {
    std::unique_ptr<KVCache> kv = e.backend->kv_new(n);
    prefill(e, *kv, tokens, n, n_rows, out);
}

void score(Engine & e, const int32_t * tokens, int n, int n_prompt, float * out) {
    const int V = e.model.cfg.n_vocab, rows = n - n_prompt;
    std::vector<float> lg((size_t)rows * V);
    // Row i of lg is position n_prompt - 1 + i, which predicts tokens[n_prompt + i].
    logits(e, tokens, n - 1, rows, lg.data());
    for (int i = 0; i < rows; i++) out[i] = logprob_of(&lg[(size_t)i * V], V, tokens[n_prompt + i]);
}

} // namespace openrs
