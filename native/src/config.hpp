// config.hpp: the model's shape and RoPE table, read from a checkpoint's config.json (Qwen2 / Llama / Qwen3).
#pragma once
#include <string>
#include <vector>

namespace openrs {

struct Config {
    std::string arch;
    int n_vocab = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0, n_ctx_max = 0;
    float norm_eps = 1e-6f, rope_theta = 10000.f;
    bool tied = false, qkv_bias = false, qk_norm = false;
    std::string rope_type = "default";  // or linear, llama3, yarn (config.json rope_scaling)
    std::vector<float> rope_inv_freq;   // [head_dim/2]: the angle of pair i at position p is p * rope_inv_freq[i]
    float rope_attn_factor = 1.f;       // cos and sin are scaled by it (YaRN)
};

// Reads dir/config.json; false with a one-line reason (unsupported architecture, missing key, bad rope_scaling...).
bool config_load(const std::string & dir, Config & c, std::string & err);

} // namespace openrs
