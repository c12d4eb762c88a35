// batch.hpp: continuous batching: sequences join a running batch with a shared prefill of their prompt, advance
// one token per step in one batched forward, and leave when they finish; plus the KV-cache growth rule and the
// KV memory report that admission control reads (one rule, here, for the engine and its callers).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "engine.hpp"
#include "sampler.hpp"

namespace openrs {

// A sequence holds cache for what it has generated, not for its max_new_tokens: it starts with room for the
// prompt + min(max_new_tokens, kInitialRoom) positions and doubles when full, capped at max_position_embeddings.
constexpr int kInitialRoom = 256;
inline int kv_first_cap(int prompt_len, int max_new) { return prompt_len + std::min(max_new, kInitialRoom); }
inline int kv_grown_cap(int cap, int need, int n_ctx_max) { return need <= cap ? cap : std::min(n_ctx_max, std::max(need, cap * 2)); }

struct SeqParams {
    Sampling sampling;
    uint64_t seed = 0; // each sequence has its own RNG: what it samples never depends on its batch mates
    int max_new_tokens = 0;
    std::vector<int32_t> stop; // a stop token ends the sequence and is kept in the output
};

enum Finish : int32_t { kRunning = 0, kStop = 1, kLength = 2 };

// One token (or a finish without one: token -1) of one sequence.
struct Event {
    int32_t id, token;
    float logprob;
    int32_t finish;
};

// KV-cache bytes of running sequences: allocated now, and once the next step has grown the caches that are full.
struct KVUsage {
    int64_t allocated = 0, after_step = 0;
    int32_t n_seq = 0;
};

struct Seq {
    std::unique_ptr<KVCache> kv;
    Rng rng;
    SeqParams p;
    int n = 0;        // tokens generated
    int32_t last = 0; // the last of them (the next step's input)
};

class Batch {
  public:
    explicit Batch(Engine & e) : e_(e) {}
    // Prefills the prompt once, starts one sequence per params entry on copies of its cache, and samples each one's
    // first token (ids next_id() ..). Sequences that finish at once are not kept. All or nothing: on an exception
    // the batch is as it was.
    void start(const int32_t * prompt, int len, const std::vector<SeqParams> & params, std::vector<Event> & ev);
    // Every running sequence advances one token in one forward, so weights stream once per step. All or nothing:
    // if the forward or sampling fails (out of memory, CUDA error), every sequence is left as it was (cache length
    // and RNG restored), so a retry produces exactly what an uninterrupted step would have.
    void step(std::vector<Event> & ev);
    bool stop(int32_t id) { return running_.erase(id) > 0; }
    size_t running() const { return running_.size(); }
    int32_t next_id() const { return next_id_; }
    // One running sequence's caches (id >= 0; n_seq 0 if it is not running) or all of them (id < 0).
    KVUsage kv_usage(int32_t id) const;

  private:
    Engine & e_;
    std::map<int32_t, std::unique_ptr<Seq>> running_; // ordered by id: the batch's row order is deterministic
    int32_t next_id_ = 0;
};

// Bytes the caches of sequences started with these params hold right after Batch::start (samples with
// max_new_tokens 0 hold none).
int64_t kv_start_bytes(const Engine & e, int prompt_len, const std::vector<int> & max_new_tokens);

// Generates every prompt's samples on a batch of its own (sequence id = prompt * n_samples + sample); on_event sees
// each event in order and returns true to cancel. Returns true if cancelled.
bool generate(Engine & e, const std::vector<const int32_t *> & prompts, const std::vector<int> & lens,
              const std::vector<SeqParams> & params, const std::function<bool(const Event &)> & on_event);

} // namespace openrs
