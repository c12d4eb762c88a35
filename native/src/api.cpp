// api.cpp: the C API of openrs.h: handles, argument checks, shared-prefill generation, scoring; forwards run on the CPU engine or, when built in and chosen, the CUDA one.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <cstring>
#include <climits>
#include <map>
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
struct Batch;
struct BatchDeleter {
    void operator()(Batch * b) const;
};
struct openrs_session {
    openrs_model * model;
    std::string error;
    std::unique_ptr<Batch, BatchDeleter> batch; // openrs_seq_start / openrs_step
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
    kv.init(h->m.cfg, cap, h->m.kv_bf16);
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
    p.kv_bf16 = 0;
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
            h->m.kv_bf16 = params.kv_bf16 != 0;
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
    out->kv_bf16 = !out->on_cuda && model->m.kv_bf16 ? 1 : 0;
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

// Checks sequence q's sampling params against its prompt length; "" when fine.
static std::string check_params(const Config & c, const openrs_sampling_params & sp, int prompt_len, int q, int max_new) {
    const std::string who = "sequence " + std::to_string(q) + ": ";
    if (sp.max_new_tokens < 0 || sp.max_new_tokens > max_new)
        return who + "max_new_tokens " + std::to_string(sp.max_new_tokens) + " must be in [0, " + std::to_string(max_new) + "]" +
               (max_new < INT32_MAX ? " (the output stride)" : "");
    if (sp.n_stop < 0 || sp.n_stop > OPENRS_MAX_STOP) return who + "n_stop out of range";
    if (!(sp.top_p > 0.f) || sp.top_p > 1.f || sp.min_p < 0.f || sp.min_p > 1.f || sp.top_k < 0 || !(sp.temperature >= 0.f))
        return who + "need temperature >= 0, 0 < top_p <= 1, 0 <= min_p <= 1, top_k >= 0";
    const int64_t need = (int64_t)prompt_len + sp.max_new_tokens;
    if (need > c.n_ctx_max)
        return who + "prompt + max_new_tokens = " + std::to_string(need) + " exceeds max_position_embeddings " + std::to_string(c.n_ctx_max);
    return "";
}

// Grows a cache so `need` positions fit, doubling (capped at max_position_embeddings): a sequence holds memory for
// what it has generated, not for its max_new_tokens.
static void kv_reserve(openrs_model * h, KVSeq & kv, int need) {
    if (need <= kv.cap) return;
    const int cap = std::min(h->m.cfg.n_ctx_max, std::max(need, kv.cap * 2));
    KVSeq bigger;
    kv_init(h, bigger, cap);
    if (kv.len) kv_copy(h, bigger, kv, kv.len);
    kv.swap(bigger);
}

static const int kInitialRoom = 256; // decode positions reserved at prefill; more as the sequence grows

// A running sequence. Its RNG is its own, so what it samples never depends on what else is in the batch.
struct Seq {
    KVSeq kv;
    Rng rng;
    openrs_sampling_params p{};
    int n = 0;
    int32_t last = 0;
};

// One token (or a finish without one: token -1) of one sequence.
struct Event {
    int32_t id, token;
    float logprob;
    int32_t finish;
};

// Sequences decoding together: prompts join with batch_start and leave when they finish (continuous batching).
struct Batch {
    std::map<int32_t, std::unique_ptr<Seq>> running; // ordered by id: the batch's row order is deterministic
    int32_t next_id = 0;
};

void BatchDeleter::operator()(Batch * b) const { delete b; }

// Appends tok to q and reports whether it finished it.
static int32_t advance(Seq & q, int32_t tok) {
    q.n++;
    q.last = tok;
    for (int i = 0; i < q.p.n_stop; i++)
        if (q.p.stop[i] == tok) return OPENRS_FINISH_STOP;
    return q.n >= q.p.max_new_tokens ? OPENRS_FINISH_LENGTH : OPENRS_FINISH_NONE;
}

// Prefills the prompt once, starts n_samples sequences on copies of its cache, and samples each one's first token.
// Sequence j gets id first + j, where first is b.next_id on entry; finished ones are not kept running.
static void batch_start(openrs_model * h, Batch & b, const int32_t * prompt, int len, int n_samples,
                        const openrs_sampling_params * params, std::vector<Event> & ev) {
    const int V = h->m.cfg.n_vocab;
    std::vector<std::unique_ptr<Seq>> seqs(n_samples);
    std::vector<float> logits(V);
    for (int j = 0; j < n_samples; j++) {
        seqs[j].reset(new Seq());
        seqs[j]->rng = Rng(params[j].seed);
        seqs[j]->p = params[j];
    }
    // The first sequence holds the prompt's cache; the others copy it only if they will decode.
    kv_init(h, seqs[0]->kv, len + std::min(std::max(1, params[0].max_new_tokens), kInitialRoom));
    prefill(h, seqs[0]->kv, prompt, len, 1, logits.data());
    const int32_t first = b.next_id;
    b.next_id += n_samples;
    // Copies go first: the prompt's cache stays in sequence 0 until every sample has its own.
    for (int j = 1; j < n_samples; j++)
        if (params[j].max_new_tokens > 0) {
            kv_init(h, seqs[j]->kv, len + std::min(params[j].max_new_tokens, kInitialRoom));
            kv_copy(h, seqs[j]->kv, seqs[0]->kv, len);
        }
    // Sample every first token before anything joins the batch: a failure here leaves the batch as it was.
    std::vector<int32_t> toks(n_samples, -1);
    std::vector<float> lps(n_samples, 0.f);
    for (int j = 0; j < n_samples; j++)
        if (seqs[j]->p.max_new_tokens > 0) {
            toks[j] = sample_token(logits.data(), V, seqs[j]->p, seqs[j]->rng);
            lps[j] = logprob_of(logits.data(), V, toks[j]);
        }
    ev.reserve(ev.size() + n_samples);
    for (int j = 0; j < n_samples; j++) {
        if (toks[j] < 0) {
            ev.push_back({first + j, -1, 0.f, OPENRS_FINISH_LENGTH});
            continue;
        }
        const int32_t fin = advance(*seqs[j], toks[j]);
        ev.push_back({first + j, toks[j], lps[j], fin});
        if (fin == OPENRS_FINISH_NONE) b.running[first + j] = std::move(seqs[j]);
    }
}

// One decode step: every running sequence advances one token in one forward, so weights stream once per step.
// All or nothing: if the forward or sampling fails (out of memory, CUDA error), every sequence is left as it was
// (cache length and RNG restored), so a retry produces exactly what an uninterrupted step would have.
static void batch_step(openrs_model * h, Batch & b, std::vector<Event> & ev) {
    if (b.running.empty()) return;
    const Model & m = h->m;
    const int V = m.cfg.n_vocab;
    std::vector<BatchRow> rows;
    std::vector<int> want, lens;
    std::vector<std::pair<int32_t, Seq *>> live;
    std::vector<Rng> rngs;
    for (auto & [id, q] : b.running) {
        kv_reserve(h, q->kv, q->kv.len + 1);
        rows.push_back({q->last, q->kv.len, &q->kv});
        want.push_back((int)live.size());
        live.push_back({id, q.get()});
        lens.push_back(q->kv.len);
        rngs.push_back(q->rng);
    }
    const int nl = (int)live.size();
    std::vector<float> blog((size_t)nl * V);
    std::vector<int32_t> toks(nl);
    std::vector<float> lps(nl);
    ev.reserve(ev.size() + nl);
    try {
        run_forward(h, rows, want, blog.data());
        // Sampling and log-softmax over the vocabulary cost ~1 ms per sequence: run them across threads (each
        // sequence has its own RNG, so this changes nothing). An exception must not leave an OpenMP region.
        bool failed = false;
#pragma omp parallel for schedule(dynamic, 1) num_threads(m.n_threads) if (m.n_threads > 1 && nl > 1)
        for (int i = 0; i < nl; i++) {
            try {
                const float * lg = &blog[(size_t)i * V];
                toks[i] = sample_token(lg, V, live[i].second->p, rngs[i]);
                lps[i] = logprob_of(lg, V, toks[i]);
            } catch (...) {
#pragma omp atomic write
                failed = true;
            }
        }
        if (failed) throw std::bad_alloc();
    } catch (...) {
        for (int i = 0; i < nl; i++) live[i].second->kv.len = lens[i];
        throw;
    }
    for (int i = 0; i < nl; i++) {
        live[i].second->rng = rngs[i];
        const int32_t fin = advance(*live[i].second, toks[i]);
        ev.push_back({live[i].first, toks[i], lps[i], fin});
        if (fin != OPENRS_FINISH_NONE) b.running.erase(live[i].first);
    }
}

int32_t openrs_generate(openrs_session * s, const int32_t * tokens, const int32_t * prompt_lens, int32_t n_prompts,
                        int32_t n_samples, const openrs_sampling_params * params, int32_t max_new, int32_t * out_tokens,
                        float * out_logprobs, int32_t * out_n, int32_t * out_finish, openrs_token_cb cb, void * cb_user) {
    if (!s) return -1;
    s->error.clear();
    const Model & m = s->model->m;
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
        std::string e = check_params(m.cfg, params[q], prompt_lens[q / n_samples], q, max_new);
        if (!e.empty()) return fail(s, e);
    }
    for (int q = 0; q < n_seq; q++) { out_n[q] = 0; out_finish[q] = OPENRS_FINISH_NONE; }
    try {
        // A batch of its own (ids 0..n_seq-1 = q): the session's running sequences are not touched.
        Batch b;
        std::vector<Event> ev;
        bool cancelled = false;
        auto emit = [&]() {
            for (const Event & e : ev) {
                if (cancelled) break; // nothing after the token that cancelled
                if (e.token >= 0) {
                    out_tokens[(size_t)e.id * max_new + out_n[e.id]] = e.token;
                    out_logprobs[(size_t)e.id * max_new + out_n[e.id]] = e.logprob;
                    out_n[e.id]++;
                }
                out_finish[e.id] = e.finish;
                if (e.token >= 0 && cb && cb(cb_user, e.id, e.token)) cancelled = true;
            }
            ev.clear();
        };
        for (int p = 0; p < n_prompts && !cancelled; p++) {
            batch_start(s->model, b, tokens + offs[p], prompt_lens[p], n_samples, params + (size_t)p * n_samples, ev);
            emit();
        }
        while (!cancelled && !b.running.empty()) {
            batch_step(s->model, b, ev);
            emit();
        }
        return cancelled ? 1 : 0;
    } catch (const std::bad_alloc &) {
        return fail(s, "out of memory (KV cache for " + std::to_string(n_seq) + " sequences)");
    } catch (const BackendError & e) {
        return fail(s, e.what());
    }
}

// The session's own batch for openrs_seq_start / openrs_step.
static Batch & session_batch(openrs_session * s) {
    if (!s->batch) s->batch.reset(new Batch());
    return *s->batch;
}

int32_t openrs_seq_start(openrs_session * s, const int32_t * prompt, int32_t n_prompt, int32_t n_samples,
                         const openrs_sampling_params * params, int32_t * out_ids, int32_t * out_tokens,
                         float * out_logprobs, int32_t * out_finish) {
    if (!s) return -1;
    s->error.clear();
    if (!prompt || !params || !out_ids || !out_tokens || !out_logprobs || !out_finish) return fail(s, "openrs_seq_start: NULL argument");
    if (n_prompt <= 0 || n_samples <= 0) return fail(s, "openrs_seq_start: need n_prompt > 0 and n_samples > 0");
    if (!check_tokens(s, prompt, n_prompt)) return -1;
    for (int j = 0; j < n_samples; j++) {
        std::string e = check_params(s->model->m.cfg, params[j], n_prompt, j, INT32_MAX);
        if (!e.empty()) return fail(s, e);
    }
    Batch & b = session_batch(s);
    try {
        std::vector<Event> ev;
        batch_start(s->model, b, prompt, n_prompt, n_samples, params, ev);
        for (int j = 0; j < n_samples; j++) {
            out_ids[j] = ev[j].id;
            out_tokens[j] = ev[j].token;
            out_logprobs[j] = ev[j].logprob;
            out_finish[j] = ev[j].finish;
        }
        return 0;
    } catch (const std::bad_alloc &) {
        return fail(s, "out of memory (KV cache for " + std::to_string(b.running.size() + n_samples) + " sequences)");
    } catch (const BackendError & e) {
        return fail(s, e.what());
    }
}

int32_t openrs_step(openrs_session * s, int32_t capacity, int32_t * out_ids, int32_t * out_tokens, float * out_logprobs,
                    int32_t * out_finish) {
    if (!s) return -1;
    s->error.clear();
    Batch & b = session_batch(s);
    if (b.running.empty()) return 0;
    if (!out_ids || !out_tokens || !out_logprobs || !out_finish) return fail(s, "openrs_step: NULL argument");
    if (capacity < 0 || (size_t)capacity < b.running.size())
        return fail(s, "openrs_step: capacity " + std::to_string(capacity) + " < " + std::to_string(b.running.size()) + " running sequences");
    try {
        std::vector<Event> ev;
        batch_step(s->model, b, ev);
        for (size_t i = 0; i < ev.size(); i++) {
            out_ids[i] = ev[i].id;
            out_tokens[i] = ev[i].token;
            out_logprobs[i] = ev[i].logprob;
            out_finish[i] = ev[i].finish;
        }
        return (int32_t)ev.size();
    } catch (const std::bad_alloc &) {
        return fail(s, "out of memory (KV cache for " + std::to_string(b.running.size()) + " sequences)");
    } catch (const BackendError & e) {
        return fail(s, e.what());
    }
}

int32_t openrs_seq_stop(openrs_session * s, int32_t id) {
    if (!s || !s->batch) return 0;
    return s->batch->running.erase(id) ? 1 : 0;
}

int32_t openrs_seq_running(const openrs_session * s) { return s && s->batch ? (int32_t)s->batch->running.size() : 0; }

} // extern "C"
