// api.cpp: the C boundary of openrs.h: handles, argument checks, translation of the C structs to the engine's own
// types, and each failure as the session's one-line error text. The work is in engine.* and batch.*.
#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "../include/openrs.h"
#include "api_handles.hpp"

using namespace openrs;

static_assert((int)OPENRS_FINISH_NONE == kRunning && (int)OPENRS_FINISH_STOP == kStop && (int)OPENRS_FINISH_LENGTH == kLength,
              "finish codes are passed through");

// A generation call on a model whose weights a training step may be updating (see api_handles.hpp).
struct GenCall {
    openrs_model * m;
    bool ok;
    explicit GenCall(openrs_model * mm) : m(mm) {
        m->calls++;
        ok = !m->updating;
        if (!ok) m->calls--;
    }
    ~GenCall() {
        if (ok) m->calls--;
    }
};
#define OPENRS_GEN_GUARD(s)                                                                                       \
    GenCall gen_call_(s->model);                                                                                  \
    if (!gen_call_.ok) return fail(s, "the model's weights are being updated by a training step; try again after it");

static int32_t fail(openrs_session * s, const std::string & msg) {
    s->error = msg;
    return -1;
}

static bool check_tokens(openrs_session * s, const int32_t * t, int n) {
    const int V = s->model->e.model.cfg.n_vocab;
    for (int i = 0; i < n; i++)
        if (t[i] < 0 || t[i] >= V) {
            s->error = "token id " + std::to_string(t[i]) + " at position " + std::to_string(i) + " is outside the vocabulary [0, " +
                       std::to_string(V) + ")";
            return false;
        }
    return true;
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

static SeqParams to_seq_params(const openrs_sampling_params & sp) {
    SeqParams p;
    p.sampling.temperature = sp.temperature;
    p.sampling.top_p = sp.top_p;
    p.sampling.min_p = sp.min_p;
    p.sampling.top_k = sp.top_k;
    p.seed = sp.seed;
    p.max_new_tokens = sp.max_new_tokens;
    p.stop.assign(sp.stop, sp.stop + sp.n_stop);
    return p;
}

// Runs f, turning the engine's exceptions into the session's error: out of memory (with what ran out, when the
// caller knows) or the backend's reason.
template <class F>
static int32_t guarded(openrs_session * s, const std::string & oom, F f) {
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return fail(s, oom);
    } catch (const BackendError & e) {
        return fail(s, e.what());
    }
}

extern "C" {

openrs_model_params openrs_model_default_params(void) {
    openrs_model_params p;
    p.n_threads = 0;
    p.use_cuda = 0;
    p.kv_bf16 = 0;
    p.act_bf16 = 0;
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
        h->e.n_threads = params.n_threads > 0 ? params.n_threads : (int)std::max(1u, std::thread::hardware_concurrency());
        try {
            if (!dir) e = "model directory is NULL";
            else if (!model_load(h->e.model, dir, e) && e.empty()) e = "model load failed";
            if (e.empty()) h->e.backend = open_backend(h->e.model, params.use_cuda, h->e.n_threads, params.kv_bf16 != 0, params.act_bf16 != 0, e);
        } catch (const std::exception & ex) {
            e = std::string("model load failed: ") + ex.what();
        }
    }
    if (!e.empty()) {
        delete h;
        copy_load_error(err, err_len, e);
        return nullptr;
    }
    return h;
}

void openrs_model_free(openrs_model * model) { delete model; }

void openrs_model_get_info(const openrs_model * model, openrs_model_info * out) {
    const Config & c = model->e.model.cfg;
    const Backend & b = *model->e.backend;
    std::memset(out, 0, sizeof *out);
    out->n_vocab = c.n_vocab;
    out->n_embd = c.n_embd;
    out->n_layer = c.n_layer;
    out->n_head = c.n_head;
    out->n_head_kv = c.n_head_kv;
    out->head_dim = c.head_dim;
    out->n_ctx_max = c.n_ctx_max;
    out->dtype = (int32_t)model->e.model.dtype;
    out->on_cuda = b.on_cuda() ? 1 : 0;
    out->kv_bf16 = b.kv_bf16() ? 1 : 0;
    out->act_bf16 = b.act_bf16() ? 1 : 0;
    std::strncpy(out->arch, c.arch.c_str(), sizeof out->arch - 1);
    out->kv_bytes_per_pos = (int64_t)b.kv_bytes_per_pos();
}

openrs_session * openrs_session_new(openrs_model * model) {
    if (!model) return nullptr;
    auto * s = new (std::nothrow) openrs_session();
    if (!s) return nullptr;
    s->model = model;
    std::lock_guard<std::mutex> lk(model->mu);
    model->sessions.insert(s);
    return s;
}

void openrs_session_free(openrs_session * session) {
    if (!session) return;
    {
        std::lock_guard<std::mutex> lk(session->model->mu);
        session->model->sessions.erase(session);
    }
    delete session;
}

const char * openrs_session_error(const openrs_session * session) { return session ? session->error.c_str() : "session is NULL"; }

int32_t openrs_logits(openrs_session * s, const int32_t * tokens, int32_t n, int32_t n_rows, float * out) {
    if (!s) return -1;
    s->error.clear();
    OPENRS_GEN_GUARD(s);
    const Config & c = s->model->e.model.cfg;
    if (!tokens || !out || n <= 0 || n_rows <= 0 || n_rows > n) return fail(s, "openrs_logits: need tokens, out and 0 < n_rows <= n");
    if (n > c.n_ctx_max) return fail(s, "sequence of " + std::to_string(n) + " tokens exceeds max_position_embeddings " + std::to_string(c.n_ctx_max));
    if (!check_tokens(s, tokens, n)) return -1;
    return guarded(s, "out of memory", [&] {
        logits(s->model->e, tokens, n, n_rows, out);
        return 0;
    });
}

int32_t openrs_score(openrs_session * s, const int32_t * tokens, int32_t n, int32_t n_prompt, float * out) {
    if (!s) return -1;
    s->error.clear();
    OPENRS_GEN_GUARD(s);
    const Config & c = s->model->e.model.cfg;
    if (!tokens || !out || n_prompt < 1 || n_prompt >= n) return fail(s, "openrs_score: need 1 <= n_prompt < n");
    // The last token is only read, never run: the forward covers n - 1 positions.
    if (n - 1 > c.n_ctx_max) return fail(s, "sequence of " + std::to_string(n - 1) + " tokens exceeds max_position_embeddings " + std::to_string(c.n_ctx_max));
    if (!check_tokens(s, tokens, n)) return -1;
    return guarded(s, "out of memory", [&] {
        score(s->model->e, tokens, n, n_prompt, out);
        return 0;
    });
}

int32_t openrs_generate(openrs_session * s, const int32_t * tokens, const int32_t * prompt_lens, int32_t n_prompts,
                        int32_t n_samples, const openrs_sampling_params * params, int32_t max_new, int32_t * out_tokens,
                        float * out_logprobs, int32_t * out_n, int32_t * out_finish, openrs_token_cb cb, void * cb_user) {
    if (!s) return -1;
    s->error.clear();
    OPENRS_GEN_GUARD(s);
    const Config & c = s->model->e.model.cfg;
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
        std::string e = check_params(c, params[q], prompt_lens[q / n_samples], q, max_new);
        if (!e.empty()) return fail(s, e);
    }
    for (int q = 0; q < n_seq; q++) { out_n[q] = 0; out_finish[q] = OPENRS_FINISH_NONE; }
    return guarded(s, "out of memory (KV cache for " + std::to_string(n_seq) + " sequences)", [&] {
        std::vector<const int32_t *> prompts(n_prompts);
        std::vector<int> lens(prompt_lens, prompt_lens + n_prompts);
        std::vector<SeqParams> sp(n_seq);
        for (int p = 0; p < n_prompts; p++) prompts[p] = tokens + offs[p];
        for (int q = 0; q < n_seq; q++) sp[q] = to_seq_params(params[q]);
        // A batch of its own (ids 0..n_seq-1 = q): the session's running sequences are not touched.
        const bool cancelled = generate(s->model->e, prompts, lens, sp, [&](const Event & e) {
            if (e.token >= 0) {
                out_tokens[(size_t)e.id * max_new + out_n[e.id]] = e.token;
                out_logprobs[(size_t)e.id * max_new + out_n[e.id]] = e.logprob;
                out_n[e.id]++;
            }
            out_finish[e.id] = e.finish;
            return e.token >= 0 && cb && cb(cb_user, e.id, e.token) != 0;
        });
        return cancelled ? 1 : 0;
    });
}

static Batch & session_batch(openrs_session * s) {
    if (!s->batch) s->batch.reset(new Batch(s->model->e));
    return *s->batch;
}

int32_t openrs_seq_start(openrs_session * s, const int32_t * prompt, int32_t n_prompt, int32_t n_samples,
                         const openrs_sampling_params * params, int32_t * out_ids, int32_t * out_tokens,
                         float * out_logprobs, int32_t * out_finish) {
    if (!s) return -1;
    s->error.clear();
    OPENRS_GEN_GUARD(s);
    if (!prompt || !params || !out_ids || !out_tokens || !out_logprobs || !out_finish) return fail(s, "openrs_seq_start: NULL argument");
    if (n_prompt <= 0 || n_samples <= 0) return fail(s, "openrs_seq_start: need n_prompt > 0 and n_samples > 0");
    if (!check_tokens(s, prompt, n_prompt)) return -1;
    for (int j = 0; j < n_samples; j++) {
        std::string e = check_params(s->model->e.model.cfg, params[j], n_prompt, j, INT32_MAX);
        if (!e.empty()) return fail(s, e);
    }
    Batch & b = session_batch(s);
    return guarded(s, "out of memory (KV cache for " + std::to_string(b.running() + n_samples) + " sequences)", [&] {
        std::vector<SeqParams> sp(n_samples);
        for (int j = 0; j < n_samples; j++) sp[j] = to_seq_params(params[j]);
        std::vector<Event> ev;
        b.start(prompt, n_prompt, sp, ev);
        for (int j = 0; j < n_samples; j++) {
            out_ids[j] = ev[j].id;
            out_tokens[j] = ev[j].token;
            out_logprobs[j] = ev[j].logprob;
            out_finish[j] = ev[j].finish;
        }
        return 0;
    });
}

int32_t openrs_step(openrs_session * s, int32_t capacity, int32_t * out_ids, int32_t * out_tokens, float * out_logprobs,
                    int32_t * out_finish) {
    if (!s) return -1;
    s->error.clear();
    OPENRS_GEN_GUARD(s);
    Batch & b = session_batch(s);
    if (b.running() == 0) return 0;
    if (!out_ids || !out_tokens || !out_logprobs || !out_finish) return fail(s, "openrs_step: NULL argument");
    if (capacity < 0 || (size_t)capacity < b.running())
        return fail(s, "openrs_step: capacity " + std::to_string(capacity) + " < " + std::to_string(b.running()) + " running sequences");
    return guarded(s, "out of memory (KV cache for " + std::to_string(b.running()) + " sequences)", [&] {
        std::vector<Event> ev;
        b.step(ev);
        for (size_t i = 0; i < ev.size(); i++) {
            out_ids[i] = ev[i].id;
            out_tokens[i] = ev[i].token;
            out_logprobs[i] = ev[i].logprob;
            out_finish[i] = ev[i].finish;
        }
        return (int32_t)ev.size();
    });
}

int32_t openrs_seq_stop(openrs_session * s, int32_t id) { return s && s->batch && s->batch->stop(id) ? 1 : 0; }

int32_t openrs_seq_running(const openrs_session * s) { return s && s->batch ? (int32_t)s->batch->running() : 0; }

int32_t openrs_get_kv_usage(const openrs_session * s, int32_t id, openrs_kv_usage * out) {
    if (!out) return -1;
    std::memset(out, 0, sizeof *out);
    if (!s) return -1;
    if (s->batch) {
        const KVUsage u = s->batch->kv_usage(id);
        out->allocated = u.allocated;
        out->after_step = u.after_step;
        out->n_seq = u.n_seq;
    }
    return out->n_seq;
}

int64_t openrs_kv_start_bytes(const openrs_model * model, int32_t n_prompt, int32_t n_samples, const openrs_sampling_params * params) {
    if (!model || !params || n_prompt <= 0 || n_samples <= 0) return -1;
    std::vector<int> max_new(n_samples);
    for (int j = 0; j < n_samples; j++) {
        if (params[j].max_new_tokens < 0) return -1;
        max_new[j] = params[j].max_new_tokens;
    }
    return kv_start_bytes(model->e, n_prompt, max_new);
}

} // extern "C"
