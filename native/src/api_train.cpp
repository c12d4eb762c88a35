// api_train.cpp: the C boundary of openrs_train.h: argument checks, the trainer's model shared with generation
// sessions (updates refused while they generate), and each failure as the trainer's one-line error text.
#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>
#include <thread>

#include "../include/openrs_train.h"
#include "api_handles.hpp"
#include "train/trainer.hpp"

using namespace openrs;

struct openrs_trainer {
    openrs_model model; // declared first: the trainer binds its weights
    std::unique_ptr<Trainer> tr;
    std::string error;
};

static int32_t tfail(openrs_trainer * t, const std::string & msg) {
    t->error = msg;
    return -1;
}

template <class F>
static int32_t tguard(openrs_trainer * t, F f) {
    if (!t) return -1;
    t->error.clear();
    try {
        f();
        return 0;
    } catch (const std::bad_alloc &) {
        return tfail(t, "out of memory");
    } catch (const std::exception & e) {
        return tfail(t, e.what());
    }
}

// Runs f while no generation call or running sequence can see the weights change.
template <class F>
static int32_t exclusive(openrs_trainer * t, const char * what, F f) {
    openrs_model & m = t->model;
    m.updating = true;
    // Once updating is set no generation call can start; with none in flight the batches are safe to read.
    int running = 0;
    const bool in_flight = m.calls > 0;
    if (!in_flight) {
        std::lock_guard<std::mutex> lk(m.mu);
        for (openrs_session * s : m.sessions) running += s->batch ? (int)s->batch->running() : 0;
    }
    if (in_flight || running > 0) {
        m.updating = false;
        return tfail(t, std::string(what) + " refused: a session is generating from these weights (" +
                            (in_flight ? std::string("a call in flight") : std::to_string(running) + " running sequences") + "); finish or stop them first");
    }
    const int32_t r = tguard(t, f);
    m.updating = false;
    return r;
}

static int32_t check_batch(openrs_trainer * t, const int32_t * tokens, const int32_t * lens, const int32_t * prompts, int32_t n_seq,
                           const void * out) {
    if (!t) return -1;
    if (!tokens || !lens || !prompts || !out || n_seq <= 0) return tfail(t, "need tokens, lens, prompts, an output buffer and n_seq > 0");
    return 0;
}

extern "C" {

openrs_trainer_params openrs_trainer_default_params(void) {
    openrs_trainer_params p;
    p.n_threads = 0;
    p.recompute = 0;
    return p;
}

openrs_adamw_params openrs_adamw_default_params(void) {
    openrs_adamw_params p;
    p.lr = 1e-5;
    p.beta1 = 0.9;
    p.beta2 = 0.999;
    p.eps = 1e-8;
    p.weight_decay = 0.0;
    p.max_grad_norm = 1.0;
    p.hf_no_decay = 1;
    return p;
}

openrs_trainer * openrs_trainer_new(const char * dir, openrs_trainer_params params, char * err, int32_t err_len) {
    std::string e;
    auto * t = new (std::nothrow) openrs_trainer();
    if (!t) e = "out of memory";
    else {
        Engine & en = t->model.e;
        en.n_threads = params.n_threads > 0 ? params.n_threads : (int)std::max(1u, std::thread::hardware_concurrency());
        try {
            if (!dir) e = "checkpoint directory is NULL";
            else if (!model_load(en.model, dir, e) && e.empty()) e = "model load failed";
            if (e.empty()) en.backend = open_backend(en.model, 0, en.n_threads, false, false, e);
            if (e.empty()) {
                t->tr.reset(new Trainer(en, params.recompute != 0));
                t->tr->src_dir = dir;
            }
        } catch (const std::bad_alloc &) {
            e = "out of memory loading the f32 training weights";
        } catch (const std::exception & ex) {
            e = ex.what();
        }
        if (!e.empty()) e = "training " + std::string(dir ? dir : "(null)") + ": " + e;
    }
    if (!e.empty()) {
        delete t;
        copy_load_error(err, err_len, e);
        return nullptr;
    }
    return t;
}

void openrs_trainer_free(openrs_trainer * tr) { delete tr; }

const char * openrs_trainer_error(const openrs_trainer * tr) { return tr ? tr->error.c_str() : "trainer is NULL"; }

void openrs_trainer_get_info(const openrs_trainer * t, openrs_trainer_info * out) {
    std::memset(out, 0, sizeof *out);
    if (!t) return;
    for (const Param & p : t->tr->params) out->n_params += (int64_t)p.n;
    out->step = t->tr->steps;
    out->act_bytes_per_token = t->tr->act_bytes_per_token(false);
    out->act_bytes_per_token_recompute = t->tr->act_bytes_per_token(true);
    out->n_tensors = (int32_t)t->tr->params.size();
}

openrs_model * openrs_trainer_model(openrs_trainer * t) { return t ? &t->model : nullptr; }

int32_t openrs_trainer_forward(openrs_trainer * t, const int32_t * tokens, const int32_t * lens, const int32_t * prompts, int32_t n_seq,
                               float temperature, float * out_logprobs, float * out_entropy) {
    if (check_batch(t, tokens, lens, prompts, n_seq, out_logprobs) < 0) return -1;
    return tguard(t, [&] { t->tr->run({tokens, lens, prompts, n_seq}, temperature, nullptr, out_logprobs, out_entropy); });
}

int32_t openrs_trainer_backward(openrs_trainer * t, const int32_t * tokens, const int32_t * lens, const int32_t * prompts, int32_t n_seq,
                                float temperature, const float * weights, float * out_logprobs, float * out_entropy) {
    if (check_batch(t, tokens, lens, prompts, n_seq, out_logprobs) < 0) return -1;
    if (!weights) return tfail(t, "openrs_trainer_backward: NULL weights");
    return tguard(t, [&] {
        t->tr->run({tokens, lens, prompts, n_seq}, temperature, weights, out_logprobs, out_entropy);
        for (const Param & p : t->tr->params)
            for (float g : p.g)
                if (!std::isfinite(g)) throw std::runtime_error("backward: gradient of " + p.name + " is not finite (step " + std::to_string(t->tr->steps + 1) + ")");
    });
}

int32_t openrs_trainer_zero_grad(openrs_trainer * t) {
    return tguard(t, [&] { t->tr->zero_grad(); });
}

int64_t openrs_trainer_step(openrs_trainer * t, const openrs_adamw_params * p, double * out_grad_norm) {
    if (!t) return -1;
    if (!p) return tfail(t, "openrs_trainer_step: NULL params");
    double norm = 0;
    const int32_t r = exclusive(t, "training step", [&] {
        AdamW o;
        o.lr = p->lr;
        o.beta1 = p->beta1;
        o.beta2 = p->beta2;
        o.eps = p->eps;
        o.weight_decay = p->weight_decay;
        o.max_grad_norm = p->max_grad_norm > 0 ? p->max_grad_norm : 0;
        o.hf_no_decay = p->hf_no_decay != 0;
        norm = t->tr->step(o);
    });
    if (r < 0) return r;
    if (out_grad_norm) *out_grad_norm = norm;
    return t->tr->steps;
}

int32_t openrs_trainer_save(openrs_trainer * t, const char * dir, int32_t bf16) {
    if (t && !dir) return tfail(t, "openrs_trainer_save: NULL dir");
    return tguard(t, [&] { t->tr->save_checkpoint(dir, bf16 != 0); });
}

int32_t openrs_trainer_save_state(openrs_trainer * t, const char * dir) {
    if (t && !dir) return tfail(t, "openrs_trainer_save_state: NULL dir");
    return tguard(t, [&] { t->tr->save_state(dir); });
}

int32_t openrs_trainer_load_state(openrs_trainer * t, const char * dir) {
    if (!t) return -1;
    if (!dir) return tfail(t, "openrs_trainer_load_state: NULL dir");
    return exclusive(t, "loading a training state", [&] { t->tr->load_state(dir); });
}

const char * openrs_trainer_tensor_name(const openrs_trainer * t, int32_t i) {
    if (!t || i < 0 || (size_t)i >= t->tr->params.size()) return nullptr;
    return t->tr->params[i].name.c_str();
}

int64_t openrs_trainer_tensor(openrs_trainer * t, const char * name, int32_t which, float * read, const float * write, int64_t n) {
    if (!t) return -1;
    t->error.clear();
    if (!name || which < 0 || which > 3) return tfail(t, "openrs_trainer_tensor: need a name and which in 0..3");
    Param * p = nullptr;
    for (Param & q : t->tr->params)
        if (q.name == name) p = &q;
    if (!p) return tfail(t, std::string("no tensor named ") + name);
    if ((read || write) && n != (int64_t)p->n)
        return tfail(t, std::string("tensor ") + name + " has " + std::to_string(p->n) + " values, the buffer " + std::to_string(n));
    float * data = which == 0 ? p->w : which == 1 ? p->g.data() : which == 2 ? p->m.data() : p->v.data();
    if (read) std::memcpy(read, data, p->n * sizeof(float));
    if (write) {
        if (which == 0) {
            if (exclusive(t, "writing a weight", [&] { std::memcpy(data, write, p->n * sizeof(float)); }) < 0) return -1;
        } else std::memcpy(data, write, p->n * sizeof(float));
    }
    return (int64_t)p->n;
}

} // extern "C"
