// sampler.hpp: per-sequence RNG and token sampling (temperature, top_k, top_p, min_p) plus log-softmax.
#pragma once
#include <cstdint>

namespace openrs {

struct Rng { // xoshiro256**, seeded by splitmix64: one stream per sequence
    uint64_t s[4];
    explicit Rng(uint64_t seed = 0);
    uint64_t next();
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); } // [0, 1)
};

// How one sequence picks its tokens; temperature 0 is greedy. Filters apply in order top_k, top_p, min_p.
struct Sampling {
    float temperature = 1.f, top_p = 1.f, min_p = 0.f;
    int top_k = 0; // 0 = off
};

// Log-softmax of logits[n] at index tok (untempered model probability).
float logprob_of(const float * logits, int n, int tok);
// Picks a token; greedy (lowest index among ties) when temperature <= 0.
int32_t sample_token(const float * logits, int n, const Sampling & p, Rng & rng);

} // namespace openrs
