// trainer.hpp: training on the CPU backend: f32 master weights the generation engine reads in place, a teacher-forced
// forward over packed sequences that keeps what backward needs, the backward of sum_t w_t * log p(o_t) into f32
// gradients, AdamW (torch semantics) with clip_grad_norm_, Hugging Face checkpoints and resumable state.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../engine.hpp"

namespace openrs {

// One trainable tensor: its weights live where the engine reads them (so generation samples from them), its
// gradient and AdamW moments beside.
struct Param {
    std::string name;
    std::vector<int64_t> shape;
    float * w = nullptr;
    size_t n = 0;
    bool no_decay = false; // biases and norm weights (the HF Trainer's exclusions)
    std::vector<float> g, m, v;
};

// Packed sequences: tokens of all sequences concatenated; sequence s has lens[s] tokens, the first prompts[s] of
// which are context only. A scored token i of a sequence (prompts[s] <= i < lens[s]) gets one output value.
struct PackedBatch {
    const int32_t * tokens;
    const int32_t * lens;
    const int32_t * prompts;
    int n_seq;
};

struct AdamW {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0, max_grad_norm = 0.0; // 0 = no clip
    bool hf_no_decay = true;
};

class Trainer {
  public:
    // Converts e's model to f32 master weights in place (the engine's matrices then point at them); e must be on
    // the CPU backend and outlive the trainer.
    Trainer(Engine & e, bool recompute);
    // Log-probs (and entropies when ent != nullptr) of the scored tokens, logits divided by temperature.
    // With weights != nullptr also adds d/dtheta sum_t weights[t] * logprob[t] into the gradients.
    // Throws std::runtime_error with a one-line reason.
    void run(const PackedBatch & b, float temperature, const float * weights, float * lp, float * ent);
    void zero_grad();
    // One AdamW step on the accumulated gradients (clipped first), then zeroes them; returns the norm before clipping.
    double step(const AdamW & o);
    // Hugging Face checkpoint (f32 or bf16) / full training state, each written to a temp dir and renamed.
    void save_checkpoint(const std::string & dir, bool bf16) const;
    void save_state(const std::string & dir) const;
    void load_state(const std::string & dir);

    std::vector<Param> params;
    int64_t steps = 0;
    bool recompute = false;
    std::string src_dir;
    // f32 activation bytes the forward keeps per token (all layers), without and with recompute.
    int64_t act_bytes_per_token(bool with_recompute) const;

  private:
    Engine & e_;
    std::vector<std::vector<float>> owned_;
    Param * find(const std::string & name);
};

} // namespace openrs
