// backend_cpu.cpp: the CPU backend: CpuKV caches (f32 or bf16) and cpu_forward on the thread pool.
#include <algorithm>

#include "backend.hpp"
#include "forward.hpp"
#include "kv_cache.hpp"

namespace openrs {

namespace {

class CpuBackend : public Backend {
  public:
    CpuBackend(const Model & m, int n_threads, bool kv_bf16, bool act_bf16)
        : m_(m), nt_(std::max(1, n_threads)), bf16_(kv_bf16), act_bf16_(act_bf16) {}
    bool on_cuda() const override { return false; }
    bool kv_bf16() const override { return bf16_; }
    bool act_bf16() const override { return act_bf16_; }
    size_t kv_bytes_per_pos() const override {
        const Config & c = m_.cfg;
        return (size_t)c.n_layer * c.n_head_kv * c.head_dim * 2 * (bf16_ ? sizeof(uint16_t) : sizeof(float));
    }
    std::unique_ptr<KVCache> kv_new(int cap) override { return std::make_unique<CpuKV>(m_.cfg, cap, bf16_); }
    void kv_copy_prefix(KVCache & dst, const KVCache & src, int n) override {
        static_cast<CpuKV &>(dst).copy_prefix_from(m_.cfg, static_cast<const CpuKV &>(src), n);
    }

  protected:
    void run(const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits) override {
        cpu_forward(m_, nt_, rows, want, logits, act_bf16_);
    }

  private:
    const Model & m_;
    const int nt_;
    const bool bf16_;
    const bool act_bf16_;
};

} // namespace

std::unique_ptr<Backend> cpu_backend(const Model & m, int n_threads, bool kv_bf16, bool act_bf16) {
    return std::make_unique<CpuBackend>(m, n_threads, kv_bf16, act_bf16);
}

} // namespace openrs
