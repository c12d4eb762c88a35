// model.hpp: the weights of a decoder-only transformer (Qwen2/Llama/Qwen3) bound to a memory-mapped checkpoint.
#pragma once
#include <string>
#include <vector>

#include "config.hpp"
#include "safetensors.hpp"

namespace openrs {

struct Mat { // a [rows, cols] weight in its stored dtype (memory-mapped)
    const void * data = nullptr;
    DType dtype = DType::F32;
    int rows = 0, cols = 0;
};

struct Layer {
    std::vector<float> attn_norm, ffn_norm, bq, bk, bv, q_norm, k_norm; // small vectors, converted to f32
    Mat wq, wk, wv, wo, wg, wu, wd;
};

// Read-only once loaded: backends read it (the CPU forward in place, the CUDA engine to upload it).
struct Model {
    Config cfg;
    SafeTensors st;
    Mat embed, lm_head;
    std::vector<float> final_norm;
    std::vector<Layer> layers;
    DType dtype = DType::F32; // the stored dtype of the layer weights
};

// Reads config.json and maps the checkpoint's tensors; false with a one-line reason.
bool model_load(Model & m, const std::string & dir, std::string & err);

} // namespace openrs
