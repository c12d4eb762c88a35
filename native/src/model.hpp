// model.hpp: config + weights of a decoder-only transformer (Qwen2/Llama/Qwen3) and the batched CPU forward pass.
#pragma once
#include <utility>
#include <cstdint>
#include <string>
#include <vector>

#include "safetensors.hpp"

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

struct Mat { // a [rows, cols] weight in its stored dtype (memory-mapped)
    const void * data = nullptr;
    DType dtype = DType::F32;
    int rows = 0, cols = 0;
};

struct Layer {
    std::vector<float> attn_norm, ffn_norm, bq, bk, bv, q_norm, k_norm; // small vectors, converted to f32
    Mat wq, wk, wv, wo, wg, wu, wd;
};

struct Model {
    Config cfg;
    SafeTensors st;
    Mat embed, lm_head;
    std::vector<float> final_norm;
    std::vector<Layer> layers;
    int n_threads = 1;
    DType dtype = DType::F32;
    bool kv_bf16 = false; // KV caches of this model's sequences hold bf16
};

bool model_load(Model & m, const std::string & dir, int n_threads, std::string & err);

// One sequence's KV cache, [n_layer][n_head_kv][cap][head_dim] for K and for V (head-major, so attention streams
// one head's rows contiguously): f32 by default (exact: the engine stays bit-comparable with its own batch/serial
// paths), or bf16 (half the memory and the attention reads; K/V rounded to nearest even).
struct KVSeq {
    int cap = 0, len = 0;
    bool bf16 = false;
    std::vector<float> k, v;          // f32 cache
    std::vector<uint16_t> kh, vh;     // bf16 cache
    void * dev = nullptr;                 // CUDA engine: the device cache (K then V) instead of k/v
    void (*dev_free)(void *) = nullptr;
    KVSeq() = default;
    KVSeq(const KVSeq &) = delete;
    KVSeq & operator=(const KVSeq &) = delete;
    ~KVSeq() { if (dev && dev_free) dev_free(dev); }
    void init(const Config & c, int capacity, bool bf16);
    void copy_prefix_from(const Config & c, const KVSeq & src, int n); // shared prefill: copy the prompt's KV
    void swap(KVSeq & o) {
        std::swap(cap, o.cap);
        std::swap(len, o.len);
        std::swap(bf16, o.bf16);
        k.swap(o.k);
        v.swap(o.v);
        kh.swap(o.kh);
        vh.swap(o.vh);
        std::swap(dev, o.dev);
        std::swap(dev_free, o.dev_free);
    }
};

// One row of a forward batch: token at position pos of sequence kv; positions < pos must already be cached
// or come earlier in the same batch.
struct BatchRow {
    int32_t token;
    int pos;
    KVSeq * kv;
};

// Runs the batch, writes K/V into the caches, and fills logits[i * n_vocab ..] for each row index in want.
void forward(const Model & m, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits);

} // namespace openrs
