// backend.cu: the CUDA backend: weights uploaded as bf16, per-sequence device KV caches, and the forward pass
// (embeddings -> layers -> logits) over the kernels in kernels.cu; logits come back to the host sampler.
#include <cstring>
#include <mutex>

#include "../src/backend.hpp"
#include "../src/kernels/dtype.hpp"
#include "kernels.cuh"

namespace openrs_cuda {

using openrs::BatchRow;
using openrs::Config;
using openrs::KVCache;
using openrs::Mat;
using openrs::Model;

struct DevMat {
    __nv_bfloat16 * w = nullptr;
    int rows = 0, cols = 0;
};

struct DevLayer {
    DevMat wq, wk, wv, wo, wg, wu, wd;
    float *attn_norm = nullptr, *ffn_norm = nullptr, *bq = nullptr, *bk = nullptr, *bv = nullptr, *q_norm = nullptr, *k_norm = nullptr;
};

// Activations for up to `cap` rows, grown on demand.
struct Scratch {
    int cap = 0, want_cap = 0;
    float *x = nullptr, *xn = nullptr, *q = nullptr, *k = nullptr, *v = nullptr, *att = nullptr, *g = nullptr, *u = nullptr,
          *tmp = nullptr, *xs = nullptr, *logits = nullptr;
    __nv_bfloat16 * xb = nullptr;
    int32_t *tokens = nullptr, *pos = nullptr, *want = nullptr;
    float **kb = nullptr, **vb = nullptr;
    int64_t * lstride = nullptr;
};

struct Engine {
    Config c;
    DevMat embed, lm_head;
    float * final_norm = nullptr;
    float * inv_freq = nullptr; // [head_dim/2] RoPE frequencies (rope_scaling applied on the host)
    std::vector<DevLayer> layers;
    Scratch s;
    std::vector<void *> allocs;
    std::mutex mu; // one forward at a time: scratch is shared
    cudaStream_t stream = nullptr;
};

#define CK(call)                                                                                   \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess) {                                                                   \
            err = std::string("CUDA: ") + cudaGetErrorString(e_) + " (" #call ")";                 \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

static bool device_available(std::string & why) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) { why = cudaGetErrorString(e); return false; }
    if (n == 0) { why = "no CUDA device"; return false; }
    return true;
}

static bool dalloc(Engine * e, void ** p, size_t bytes, std::string & err) {
    CK(cudaMalloc(p, bytes));
    e->allocs.push_back(*p);
    return true;
}

static bool upload_mat(Engine * e, DevMat & d, const Mat & m, std::string & err) {
    if (m.cols % 8) { err = "CUDA engine needs matrix widths divisible by 8"; return false; }
    d.rows = m.rows;
    d.cols = m.cols;
    const size_t n = (size_t)m.rows * m.cols;
    if (!dalloc(e, (void **)&d.w, n * 2, err)) return false;
    if (m.dtype == openrs::DType::BF16) { CK(cudaMemcpy(d.w, m.data, n * 2, cudaMemcpyHostToDevice)); return true; }
    std::vector<__nv_bfloat16> tmp(std::min<size_t>(n, 1 << 22)); // convert in 8 MB chunks
    for (size_t off = 0; off < n; off += tmp.size()) {
        const size_t k = std::min(tmp.size(), n - off);
        for (size_t i = 0; i < k; i++) tmp[i] = __float2bfloat16(openrs::load_elem(m.data, m.dtype, (int64_t)(off + i)));
        CK(cudaMemcpy(d.w + off, tmp.data(), k * 2, cudaMemcpyHostToDevice));
    }
    return true;
}

static bool upload_vec(Engine * e, float ** d, const std::vector<float> & v, std::string & err) {
    if (v.empty()) { *d = nullptr; return true; }
    if (!dalloc(e, (void **)d, v.size() * 4, err)) return false;
    CK(cudaMemcpy(*d, v.data(), v.size() * 4, cudaMemcpyHostToDevice));
    return true;
}

static void engine_free(Engine * e);

static Engine * engine_create(const Model & m, std::string & err) {
    auto * e = new Engine();
    e->c = m.cfg;
    bool ok = cudaStreamCreate(&e->stream) == cudaSuccess && upload_mat(e, e->embed, m.embed, err) &&
              upload_vec(e, &e->final_norm, m.final_norm, err) &&
              upload_vec(e, &e->inv_freq, m.cfg.rope_inv_freq, err);
    if (ok) {
        if (m.cfg.tied) e->lm_head = e->embed;
        else ok = upload_mat(e, e->lm_head, m.lm_head, err);
    }
    if (ok && m.cfg.head_dim > 256) { err = "CUDA attention supports head_dim <= 256"; ok = false; }
    e->layers.resize(m.layers.size());
    for (size_t l = 0; ok && l < m.layers.size(); l++) {
        const auto & L = m.layers[l];
        auto & D = e->layers[l];
        ok = upload_mat(e, D.wq, L.wq, err) && upload_mat(e, D.wk, L.wk, err) && upload_mat(e, D.wv, L.wv, err) &&
             upload_mat(e, D.wo, L.wo, err) && upload_mat(e, D.wg, L.wg, err) && upload_mat(e, D.wu, L.wu, err) &&
             upload_mat(e, D.wd, L.wd, err) && upload_vec(e, &D.attn_norm, L.attn_norm, err) &&
             upload_vec(e, &D.ffn_norm, L.ffn_norm, err) && upload_vec(e, &D.bq, L.bq, err) && upload_vec(e, &D.bk, L.bk, err) &&
             upload_vec(e, &D.bv, L.bv, err) && upload_vec(e, &D.q_norm, L.q_norm, err) && upload_vec(e, &D.k_norm, L.k_norm, err);
    }
    if (!ok) {
        if (err.empty()) err = "CUDA: cannot create stream";
        engine_free(e);
        return nullptr;
    }
    return e;
}

static void free_scratch(Scratch & s) {
    void * ps[] = {s.x, s.xn, s.q, s.k, s.v, s.att, s.g, s.u, s.tmp, s.xs, s.logits, s.xb, s.tokens, s.pos, s.want, s.kb, s.vb, s.lstride};
    for (void * p : ps) if (p) cudaFree(p);
    s = Scratch();
}

static void engine_free(Engine * e) {
    if (!e) return;
    free_scratch(e->s);
    for (void * p : e->allocs) cudaFree(p);
    if (e->stream) cudaStreamDestroy(e->stream);
    delete e;
}

// One sequence's device KV: K then V, each [n_layer][cap][n_head_kv * head_dim] f32.
struct CudaKV : KVCache {
    float * dev = nullptr;
    ~CudaKV() override { if (dev) cudaFree(dev); }
};

static std::unique_ptr<KVCache> kv_alloc(Engine * e, int cap) {
    const size_t n = (size_t)e->c.n_layer * cap * e->c.n_head_kv * e->c.head_dim;
    auto kv = std::make_unique<CudaKV>();
    if (cudaMalloc((void **)&kv->dev, n * 2 * sizeof(float)) != cudaSuccess) {
        kv->dev = nullptr;
        cudaGetLastError(); // clear it, or the next forward's error check would report this allocation
        throw std::bad_alloc(); // out of device memory: the caller reports it like host out-of-memory
    }
    kv->cap = cap;
    return kv;
}

static void kv_copy_prefix(Engine * e, CudaKV & dst, const CudaKV & src, int n) {
    const size_t kvd = (size_t)e->c.n_head_kv * e->c.head_dim, L = e->c.n_layer;
    for (int half = 0; half < 2; half++) // K block then V block
        cudaMemcpy2DAsync(dst.dev + half * L * dst.cap * kvd, dst.cap * kvd * 4, src.dev + half * L * src.cap * kvd, src.cap * kvd * 4,
                          n * kvd * 4, L, cudaMemcpyDeviceToDevice, e->stream);
    cudaStreamSynchronize(e->stream);
    dst.len = n;
}

static bool ensure_scratch(Engine * e, int T, int W, std::string & err) {
    Scratch & s = e->s;
    const Config & c = e->c;
    if (T <= s.cap && W <= s.want_cap) return true;
    T = std::max(T, s.cap); // grow only: never shrink below what an earlier call needed
    W = std::max(W, s.want_cap);
    free_scratch(s);
    const size_t d = c.n_embd, qd = (size_t)c.n_head * c.head_dim, kvd = (size_t)c.n_head_kv * c.head_dim, ff = c.n_ff;
    const size_t widest = std::max(std::max(d, qd), ff);
    CK(cudaMalloc(&s.x, T * d * 4));
    CK(cudaMalloc(&s.xn, T * d * 4));
    CK(cudaMalloc(&s.q, T * qd * 4));
    CK(cudaMalloc(&s.k, T * kvd * 4));
    CK(cudaMalloc(&s.v, T * kvd * 4));
    CK(cudaMalloc(&s.att, T * qd * 4));
    CK(cudaMalloc(&s.g, T * ff * 4));
    CK(cudaMalloc(&s.u, T * ff * 4));
    CK(cudaMalloc(&s.tmp, T * d * 4));
    CK(cudaMalloc(&s.xb, T * widest * 2));
    CK(cudaMalloc(&s.tokens, T * 4));
    CK(cudaMalloc(&s.pos, T * 4));
    CK(cudaMalloc(&s.kb, T * sizeof(float *)));
    CK(cudaMalloc(&s.vb, T * sizeof(float *)));
    CK(cudaMalloc(&s.lstride, T * 8));
    CK(cudaMalloc(&s.want, std::max(W, 1) * 4));
    CK(cudaMalloc(&s.xs, std::max(W, 1) * d * 4));
    CK(cudaMalloc(&s.logits, std::max(W, 1) * (size_t)c.n_vocab * 4));
    s.cap = T;
    s.want_cap = std::max(W, 1);
    return true;
}

// Y[T, N] = X[T, K] . W^T (+ b): GEMV (f32 input) for small batches, tensor-core GEMM (bf16 input) otherwise.
static void linear(Engine * e, float * Y, const float * X, const DevMat & W, const float * b, int T) {
    if (T <= 8) gemv_bf16(Y, X, W.w, b, T, W.rows, W.cols, e->stream);
    else {
        to_bf16(e->s.xb, X, (int64_t)T * W.cols, e->stream);
        gemm_bf16(Y, e->s.xb, W.w, b, T, W.rows, W.cols, e->stream);
    }
}

static bool forward(Engine * e, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits, std::string & err) {
    std::lock_guard<std::mutex> lock(e->mu);
    const Config & c = e->c;
    const int T = (int)rows.size(), W = (int)want.size(), d = c.n_embd, hd = c.head_dim, nh = c.n_head, nkv = c.n_head_kv;
    const int kvd = nkv * hd;
    if (!ensure_scratch(e, T, W, err)) return false;
    Scratch & s = e->s;
    std::vector<int32_t> tok(T), pos(T);
    std::vector<float *> kb(T), vb(T);
    std::vector<int64_t> ls(T);
    for (int t = 0; t < T; t++) {
        tok[t] = rows[t].token;
        pos[t] = rows[t].pos;
        const int cap = rows[t].kv->cap;
        kb[t] = static_cast<CudaKV *>(rows[t].kv)->dev;
        vb[t] = kb[t] + (size_t)c.n_layer * cap * kvd;
        ls[t] = (int64_t)cap * kvd;
    }
    cudaStream_t st = e->stream;
    CK(cudaMemcpyAsync(s.tokens, tok.data(), T * 4, cudaMemcpyHostToDevice, st));
    CK(cudaMemcpyAsync(s.pos, pos.data(), T * 4, cudaMemcpyHostToDevice, st));
    CK(cudaMemcpyAsync(s.kb, kb.data(), T * sizeof(float *), cudaMemcpyHostToDevice, st));
    CK(cudaMemcpyAsync(s.vb, vb.data(), T * sizeof(float *), cudaMemcpyHostToDevice, st));
    CK(cudaMemcpyAsync(s.lstride, ls.data(), T * 8, cudaMemcpyHostToDevice, st));
    embed_rows(s.x, e->embed.w, s.tokens, T, d, st);
    for (int l = 0; l < c.n_layer; l++) {
        const DevLayer & L = e->layers[l];
        rmsnorm(s.xn, nullptr, s.x, L.attn_norm, T, d, c.norm_eps, st);
        linear(e, s.q, s.xn, L.wq, L.bq, T);
        linear(e, s.k, s.xn, L.wk, L.bk, T);
        linear(e, s.v, s.xn, L.wv, L.bv, T);
        if (c.qk_norm) { // per-head RMSNorm: rows of head_dim
            rmsnorm(s.q, nullptr, s.q, L.q_norm, T * nh, hd, c.norm_eps, st);
            rmsnorm(s.k, nullptr, s.k, L.k_norm, T * nkv, hd, c.norm_eps, st);
        }
        rope(s.q, s.pos, T, nh, hd, e->inv_freq, c.rope_attn_factor, st);
        rope(s.k, s.pos, T, nkv, hd, e->inv_freq, c.rope_attn_factor, st);
        kv_store(s.kb, s.vb, s.lstride, l, s.pos, s.k, s.v, T, kvd, st);
        attention(s.att, s.q, s.kb, s.vb, s.lstride, l, s.pos, T, nh, nkv, hd, st);
        linear(e, s.tmp, s.att, L.wo, nullptr, T);
        add_inplace(s.x, s.tmp, (int64_t)T * d, st);
        rmsnorm(s.xn, nullptr, s.x, L.ffn_norm, T, d, c.norm_eps, st);
        linear(e, s.g, s.xn, L.wg, nullptr, T);
        linear(e, s.u, s.xn, L.wu, nullptr, T);
        swiglu(s.g, s.u, (int64_t)T * c.n_ff, st);
        linear(e, s.tmp, s.g, L.wd, nullptr, T);
        add_inplace(s.x, s.tmp, (int64_t)T * d, st);
    }
    if (W == 0) { CK(cudaStreamSynchronize(st)); return true; }
    std::vector<int32_t> wv(want.begin(), want.end());
    CK(cudaMemcpyAsync(s.want, wv.data(), W * 4, cudaMemcpyHostToDevice, st));
    gather_rows(s.xs, s.x, s.want, W, d, st);
    rmsnorm(s.xs, nullptr, s.xs, e->final_norm, W, d, c.norm_eps, st);
    linear(e, s.logits, s.xs, e->lm_head, nullptr, W);
    CK(cudaMemcpyAsync(logits, s.logits, (size_t)W * c.n_vocab * 4, cudaMemcpyDeviceToHost, st));
    CK(cudaStreamSynchronize(st));
    CK(cudaGetLastError());
    return true;
}

class CudaBackend : public openrs::Backend {
  public:
    explicit CudaBackend(Engine * e) : e_(e) {}
    ~CudaBackend() override { engine_free(e_); }
    bool on_cuda() const override { return true; }
    bool kv_bf16() const override { return false; }
    size_t kv_bytes_per_pos() const override { return (size_t)e_->c.n_layer * e_->c.n_head_kv * e_->c.head_dim * 2 * sizeof(float); }
    std::unique_ptr<KVCache> kv_new(int cap) override { return kv_alloc(e_, cap); }
    void kv_copy_prefix(KVCache & dst, const KVCache & src, int n) override {
        openrs_cuda::kv_copy_prefix(e_, static_cast<CudaKV &>(dst), static_cast<const CudaKV &>(src), n);
    }

  protected:
    void run(const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits) override {
        std::string err;
        if (!openrs_cuda::forward(e_, rows, want, logits, err)) throw openrs::BackendError(err);
    }

  private:
    Engine * e_;
};

} // namespace openrs_cuda

namespace openrs {

std::unique_ptr<Backend> cuda_backend(const Model & m, std::string & why) {
    if (!openrs_cuda::device_available(why)) return nullptr;
    openrs_cuda::Engine * e = openrs_cuda::engine_create(m, why);
    if (!e) return nullptr;
    return std::make_unique<openrs_cuda::CudaBackend>(e);
}

} // namespace openrs
