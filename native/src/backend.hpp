// backend.hpp: where a forward pass runs. A backend owns its sequences' KV caches (their storage is its own: host
// f32/bf16 for the CPU, device f32 for CUDA) and runs batched forwards over them; batching, growth and sampling
// above it are the same for every backend. The only CPU/CUDA choice is open_backend.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"

namespace openrs {

// One sequence's KV cache: room for `cap` positions, the first `len` of them filled.
struct KVCache {
    int cap = 0, len = 0;
    virtual ~KVCache() = default;
};

// One row of a forward batch: token at position pos of sequence kv; positions < pos must already be cached
// or come earlier in the same batch.
struct BatchRow {
    int32_t token;
    int pos;
    KVCache * kv;
};

// A device failure with the runtime's reason (out of memory is std::bad_alloc instead).
struct BackendError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Backend {
  public:
    virtual ~Backend() = default;
    virtual bool on_cuda() const = 0;
    virtual bool kv_bf16() const = 0;
    virtual bool act_bf16() const { return false; } // matmul inputs rounded to bf16 (CPU engine only)
    // Bytes one cached position of one sequence costs (all layers, K and V).
    virtual size_t kv_bytes_per_pos() const = 0;
    // An empty cache with room for cap positions; throws std::bad_alloc when the memory is not there.
    virtual std::unique_ptr<KVCache> kv_new(int cap) = 0;
    // dst's first n positions = src's (shared prefill); dst.len = n.
    virtual void kv_copy_prefix(KVCache & dst, const KVCache & src, int n) = 0;
    // Runs the batch, writes K/V into the rows' caches (which must come from this backend), fills
    // logits[i * n_vocab ..] for each row index in want, then extends each cache's len over its row.
    void forward(const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits) {
        run(rows, want, logits);
        for (auto & r : rows) r.kv->len = std::max(r.kv->len, r.pos + 1);
    }

  protected:
    virtual void run(const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits) = 0;
};

std::unique_ptr<Backend> cpu_backend(const Model & m, int n_threads, bool kv_bf16, bool act_bf16 = false);
// nullptr with the reason when this build has no CUDA engine, no device works, or the weights cannot be uploaded.
std::unique_ptr<Backend> cuda_backend(const Model & m, std::string & why);

// use_cuda as in openrs_model_params: 0 CPU; 1 CUDA when it works, else CPU with a notice on stderr; 2 CUDA or fail
// (nullptr with the reason in err).
std::unique_ptr<Backend> open_backend(const Model & m, int use_cuda, int n_threads, bool kv_bf16, bool act_bf16, std::string & err);

} // namespace openrs
