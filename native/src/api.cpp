// api.cpp: the C API of openrs.h: handles, argument checks, shared-prefill generation, scoring; forwards run on the CPU engine or, when built in and chosen, the CUDA one.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "../include/openrs.h"
#include "../include/openrs_probe.h"
#include "kernels.hpp"
#include "model.hpp"
#include "sampler.hpp"
#ifdef OPENRS_WITH_CUDA
#include "../cuda/engine.cuh"
#endif

struct openrs_model {
    openrs::Model m;
#ifdef OPENRS_WITH_CUDA
    openrs_cuda::Engine * cuda = nullptr;
    ~openrs_model() { openrs_cuda::engine_free(cuda); }
#endif
};
struct openrs_session {
    openrs_model * model;
    std::string error;
};

using namespace openrs;

static const int kPrefillChunk = 512; // bounds activation memory for long prompts

// The backend seam: KV allocation/copy and forward go to the CUDA engine when the model has one.
static bool on_cuda(const openrs_model * h) {
#ifdef OPENRS_WITH_CUDA
    return h->cuda != nullptr;
#else
    (void)h;
    return false;
#endif
}

static void kv_init(openrs_model * h, KVSeq & kv, int cap) {
#ifdef OPENRS_WITH_CUDA
    if (h->cuda) {
        std::string err;
        kv.cap = cap;
        kv.len = 0;
        kv.dev = openrs_cuda::kv_alloc(h->cuda, cap, err);
        kv.dev_free = openrs_cuda::kv_free;
        if (!kv.dev) throw std::bad_alloc();
        return;
    }
#endif
    kv.init(h->m.cfg, cap);
}

static void kv_copy(openrs_model * h, KVSeq & dst, const KVSeq & src, int n) {
#ifdef OPENRS_WITH_CUDA
    if (h->cuda) {
        openrs_cuda::kv_copy_prefix(h->cuda, dst.dev, dst.cap, src.dev, src.cap, n);
        dst.len = n;
        return;
    }
#endif
    dst.copy_prefix_from(h->m.cfg, src, n);
}

struct BackendError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

static void run_forward(openrs_model * h, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits) {
#ifdef OPENRS_WITH_CUDA
    if (h->cuda) {
        std::string err;
        if (!openrs_cuda::forward(h->cuda, rows, want, logits, err)) throw BackendError(err);
        return;
    }
#endif
    forward(h->m, rows, want, logits);
}

extern "C" {

openrs_model_params openrs_model_default_params(void) {
    openrs_model_params p;
    p.n_threads = 0;
    p.use_cuda = 0;
    return p;
}

openrs_sampling_params openrs_sampling_default_params(void) {
    openrs_sampling_params p;
    std::memset(&p, 0, sizeof p);
    p.temperature = 1.f;
    p.top_p = 1.f;
    p.min_p = 0.f;
    p.top_k = 0;
    p.seed = 0;
    p.max_new_tokens = 256;
    return p;
}

openrs_model * openrs_model_load(const char * dir, openrs_model_params params, char * err, int32_t err_len) {
    std::string e;
    auto * h = new (std::nothrow) openrs_model();
    if (!h) e = "out of memory";
    else {
        int nt = params.n_threads > 0 ? params.n_threads : (int)std::max(1u, std::thread::hardware_concurrency());
        try {
            if (!dir) e = "model directory is NULL";
            else if (!model_load(h->m, dir, nt, e) && e.empty()) e = "model load failed";
            if (e.empty() && params.use_cuda) {
                std::string why = "this build has no CUDA engine (build with OPENRS_BUILD_CUDA=1)";
#ifdef OPENRS_WITH_CUDA
                if (openrs_cuda::device_available(why)) h->cuda = openrs_cuda::engine_create(h->m, why);
                if (!h->cuda && params.use_cuda == 1)
                    std::fprintf(stderr, "openrs: CUDA unavailable (%s); using the CPU engine\n", why.c_str());
#endif
                if (!on_cuda(h) && params.use_cuda == 2) e = "CUDA required but unavailable: " + why;
            }
        } catch (const std::exception & ex) {
            e = std::string("model load failed: ") + ex.what();
        }
    }
    if (!e.empty()) {
        delete h;
        if (err && err_len > 0) {
            std::strncpy(err, e.c_str(), err_len - 1);
            err[err_len - 1] = 0;
        }
        return nullptr;
    }
    return h;
}

void openrs_model_free(openrs_model * model) { delete model; }

void openrs_model_get_info(const openrs_model * model, openrs_model_info * out) {
    const Config & c = model->m.cfg;
    std::memset(out, 0, sizeof *out);
    out->n_vocab = c.n_vocab;
    out->n_embd = c.n_embd;
    out->n_layer = c.n_layer;
    out->n_head = c.n_head;
    out->n_head_kv = c.n_head_kv;
    out->head_dim = c.head_dim;
    out->n_ctx_max = c.n_ctx_max;
    out->dtype = (int32_t)model->m.dtype;
    out->on_cuda = on_cuda(model) ? 1 : 0;
    std::strncpy(out->arch, c.arch.c_str(), sizeof out->arch - 1);
}

openrs_session * openrs_session_new(openrs_model * model) {
    if (!model) return nullptr;
    auto * s = new (std::nothrow) openrs_session();
    if (s) s->model = model;
    return s;
}

void openrs_session_free(openrs_session * session) { delete session; }

const char * openrs_session_error(const openrs_session * session) { return session ? session->error.c_str() : "session is NULL"; }

static int32_t fail(openrs_session * s, const std::string & msg) {
    s->error = msg;
    return -1;
}

static bool check_tokens(openrs_session * s, const int32_t * t, int n) {
    const int V = s->model->m.cfg.n_vocab;
    for (int i = 0; i < n; i++)
        if (t[i] < 0 || t[i] >= V) {
            s->error = "token id " + std::to_string(t[i]) + " at position " + std::to_string(i) + " is outside the vocabulary [0, " +
                       std::to_string(V) + ")";
            return false;
        }
    return true;
}

// Runs tokens[0..n) through seq (positions from 0), keeping logits for rows >= n - n_rows.
static void prefill(openrs_model * h, KVSeq & seq, const int32_t * tokens, int n, int n_rows, float * logits) {
    const Model & m = h->m;
    for (int c0 = 0; c0 < n; c0 += kPrefillChunk) {
        int c1 = std::min(n, c0 + kPrefillChunk);
        std::vector<BatchRow> rows;
        std::vector<int> want;
        for (int i = c0; i < c1; i++) {
            rows.push_back({tokens[i], i, &seq});
            if (i >= n - n_rows) want.push_back(i - c0);
        }
        int first = std::max(0, c0 - (n - n_rows)); // logits rows already written by earlier chunks
        run_forward(h, rows, want, logits ? logits + (size_t)first * m.cfg.n_vocab : nullptr);
    }
}

int32_t openrs_logits(openrs_session * s, const int32_t * tokens, int32_t n, int32_t n_rows, float * out) {
    if (!s) return -1;
    s->error.clear();
    const Model & m = s->model->m;
    if (!tokens || !out || n <= 0 || n_rows <= 0 || n_rows > n) return fail(s, "openrs_logits: need tokens, out and 0 < n_rows <= n");
    if (n > m.cfg.n_ctx_max) return fail(s, "sequence of " + std::to_string(n) + " tokens exceeds max_position_embeddings " + std::to_string(m.cfg.n_ctx_max));
    if (!check_tokens(s, tokens, n)) return -1;
    try {
        KVSeq seq;
        kv_init(s->model, seq, n);
        prefill(s->model, seq, tokens, n, n_rows, out);
    } catch (const std::bad_alloc &) {
        return fail(s, "out of memory");
    } catch (const BackendError & e) {
        return fail(s, e.what());
    }
    return 0;
}

int32_t openrs_score(openrs_session * s, const int32_t * tokens, int32_t n, int32_t n_prompt, float * out) {
    if (!s) return -1;
    s->error.clear();
    if (!tokens || !out || n_prompt < 1 || n_prompt >= n) return fail(s, "openrs_score: need 1 <= n_prompt < n");
    const int V = s->model->m.cfg.n_vocab, rows = n - n_prompt;
    std::vector<float> logits;
    try {
        logits.resize((size_t)rows * V);
    } catch (const std::bad_alloc &) {
        return fail(s, "out of memory");
    }
    // Row i of logits is position n_prompt - 1 + i, which predicts tokens[n_prompt + i].
    int32_t r = openrs_logits(s, tokens, n - 1, rows, logits.data());
    if (r) return r;
    for (int i = 0; i < rows; i++) out[i] = logprob_of(&logits[(size_t)i * V], V, tokens[n_prompt + i]);
    return 0;
}

int32_t openrs_generate(openrs_session * s, const int32_t * tokens, const int32_t * prompt_lens, int32_t n_prompts,
                        int32_t n_samples, const openrs_sampling_params * params, int32_t max_new, int32_t * out_tokens,
                        float * out_logprobs, int32_t * out_n, int32_t * out_finish, openrs_token_cb cb, void * cb_user) {
    if (!s) return -1;
    s->error.clear();
    const Model & m = s->model->m;
    const int V = m.cfg.n_vocab;
    if (!prompt_lens || !params || !out_tokens || !out_logprobs || !out_n || !out_finish)
        return fail(s, "openrs_generate: NULL argument");
    if (n_prompts <= 0 || n_samples <= 0 || max_new < 0) return fail(s, "openrs_generate: need n_prompts > 0, n_samples > 0, max_new >= 0");
    const int n_seq = n_prompts * n_samples;
    std::vector<int> offs(n_prompts + 1, 0);
    for (int p = 0; p < n_prompts; p++) {
        if (prompt_lens[p] <= 0) return fail(s, "prompt " + std::to_string(p) + " is empty");
        offs[p + 1] = offs[p] + prompt_lens[p];
    }
    if (!tokens) return fail(s, "openrs_generate: NULL tokens");
    if (!check_tokens(s, tokens, offs[n_prompts])) return -1;
    for (int q = 0; q < n_seq; q++) {
        const auto & sp = params[q];
        if (sp.max_new_tokens < 0 || sp.max_new_tokens > max_new)
            return fail(s, "sequence " + std::to_string(q) + ": max_new_tokens " + std::to_string(sp.max_new_tokens) +
                               " must be in [0, " + std::to_string(max_new) + "] (the output stride)");
        if (sp.n_stop < 0 || sp.n_stop > OPENRS_MAX_STOP) return fail(s, "sequence " + std::to_string(q) + ": n_stop out of range");
        if (!(sp.top_p > 0.f) || sp.top_p > 1.f || sp.min_p < 0.f || sp.min_p > 1.f || sp.top_k < 0 || !(sp.temperature >= 0.f))
            return fail(s, "sequence " + std::to_string(q) + ": need temperature >= 0, 0 < top_p <= 1, 0 <= min_p <= 1, top_k >= 0");
        int need = prompt_lens[q / n_samples] + sp.max_new_tokens;
        if (need > m.cfg.n_ctx_max)
            return fail(s, "sequence " + std::to_string(q) + ": prompt + max_new_tokens = " + std::to_string(need) +
                               " exceeds max_position_embeddings " + std::to_string(m.cfg.n_ctx_max));
    }
    struct Seq {
        KVSeq kv;
        Rng rng;
        int n = 0, limit = 0;
        int32_t last = 0;
        bool done = false;
    };
    try {
        std::vector<std::unique_ptr<Seq>> seqs(n_seq);
        std::vector<float> logits(V);
        bool cancelled = false;
        // Append tok to sequence q; returns false when the callback cancels.
        auto emit = [&](int q, int32_t tok, float lp) {
            Seq & sq = *seqs[q];
            const auto & sp = params[q];
            out_tokens[(size_t)q * max_new + sq.n] = tok;
            out_logprobs[(size_t)q * max_new + sq.n] = lp;
            sq.n++;
            sq.last = tok;
            out_n[q] = sq.n;
            for (int i = 0; i < sp.n_stop; i++)
                if (sp.stop[i] == tok) { sq.done = true; out_finish[q] = OPENRS_FINISH_STOP; }
            if (!sq.done && sq.n >= sq.limit) { sq.done = true; out_finish[q] = OPENRS_FINISH_LENGTH; }
            if (cb && cb(cb_user, q, tok)) cancelled = true;
        };
        for (int q = 0; q < n_seq; q++) { out_n[q] = 0; out_finish[q] = OPENRS_FINISH_NONE; }
        // Shared prefill: one forward per prompt; its samples copy the prompt KV and sample from the same logits.
        for (int p = 0; p < n_prompts && !cancelled; p++) {
            const int len = prompt_lens[p];
            for (int j = 0; j < n_samples; j++) {
                int q = p * n_samples + j;
                seqs[q].reset(new Seq());
                seqs[q]->rng = Rng(params[q].seed);
                seqs[q]->limit = params[q].max_new_tokens;
                kv_init(s->model, seqs[q]->kv, len + std::max(1, params[q].max_new_tokens));
            }
            prefill(s->model, seqs[p * n_samples]->kv, tokens + offs[p], len, 1, logits.data());
            for (int j = 0; j < n_samples && !cancelled; j++) {
                int q = p * n_samples + j;
                if (j) kv_copy(s->model, seqs[q]->kv, seqs[p * n_samples]->kv, len);
                if (seqs[q]->limit == 0) { seqs[q]->done = true; out_finish[q] = OPENRS_FINISH_LENGTH; continue; }
                int32_t tok = sample_token(logits.data(), V, params[q], seqs[q]->rng);
                emit(q, tok, logprob_of(logits.data(), V, tok));
            }
        }
        // Batched decode: every live sequence advances one token per forward, so weights stream once per step.
        std::vector<float> blog;
        while (!cancelled) {
            std::vector<BatchRow> rows;
            std::vector<int> live, want;
            for (int q = 0; q < n_seq; q++)
                if (seqs[q] && !seqs[q]->done) {
                    rows.push_back({seqs[q]->last, seqs[q]->kv.len, &seqs[q]->kv});
                    want.push_back((int)live.size());
                    live.push_back(q);
                }
            if (live.empty()) break;
            blog.resize((size_t)live.size() * V);
            run_forward(s->model, rows, want, blog.data());
            // Sampling and log-softmax over the vocabulary cost ~1 ms per sequence: run them across threads (each
            // sequence has its own RNG, so this changes nothing), then emit in order on this thread.
            std::vector<int32_t> toks(live.size());
            std::vector<float> lps(live.size());
            const int nl = (int)live.size();
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.n_threads) if (m.n_threads > 1 && nl > 1)
            for (int i = 0; i < nl; i++) {
                const float * lg = &blog[(size_t)i * V];
                toks[i] = sample_token(lg, V, params[live[i]], seqs[live[i]]->rng);
                lps[i] = logprob_of(lg, V, toks[i]);
            }
            for (int i = 0; i < nl && !cancelled; i++) emit(live[i], toks[i], lps[i]);
        }
        return cancelled ? 1 : 0;
    } catch (const std::bad_alloc &) {
        return fail(s, "out of memory (KV cache for " + std::to_string(n_seq) + " sequences)");
    } catch (const BackendError & e) {
        return fail(s, e.what());
    }
}

} // extern "C"
