// batch.cpp: shared-prefill start, batched decode steps, KV growth and the KV memory report.
#include "batch.hpp"

#include <algorithm>
#include <atomic>
#include <new>

#include "threads.hpp"

namespace openrs {

// Grows a cache so `need` positions fit (kv_grown_cap).
static void kv_reserve(Engine & e, std::unique_ptr<KVCache> & kv, int need) {
    const int cap = kv_grown_cap(kv->cap, need, e.model.cfg.n_ctx_max);
    if (cap == kv->cap) return;
    std::unique_ptr<KVCache> bigger = e.backend->kv_new(cap);
    if (kv->len) e.backend->kv_copy_prefix(*bigger, *kv, kv->len);
    kv = std::move(bigger);
}

// Appends tok to q and reports whether it finished it.
static int32_t advance(Seq & q, int32_t tok) {
    q.n++;
    q.last = tok;
    for (int32_t s : q.p.stop)
        if (s == tok) return kStop;
    return q.n >= q.p.max_new_tokens ? kLength : kRunning;
}

void Batch::start(const int32_t * prompt, int len, const std::vector<SeqParams> & params, std::vector<Event> & ev) {
    const int V = e_.model.cfg.n_vocab, n_samples = (int)params.size();
    std::vector<std::unique_ptr<Seq>> seqs(n_samples);
    std::vector<float> logits(V);
    for (int j = 0; j < n_samples; j++) {
        seqs[j].reset(new Seq());
        seqs[j]->rng = Rng(params[j].seed);
        seqs[j]->p = params[j];
    }
    // The first sequence holds the prompt's cache; the others copy it only if they will decode.
    seqs[0]->kv = e_.backend->kv_new(kv_first_cap(len, std::max(1, params[0].max_new_tokens)));
    prefill(e_, *seqs[0]->kv, prompt, len, 1, logits.data());
    // Copies go first: the prompt's cache stays in sequence 0 until every sample has its own.
    for (int j = 1; j < n_samples; j++)
        if (params[j].max_new_tokens > 0) {
            seqs[j]->kv = e_.backend->kv_new(kv_first_cap(len, params[j].max_new_tokens));
            e_.backend->kv_copy_prefix(*seqs[j]->kv, *seqs[0]->kv, len);
        }
    // Sample every first token before anything joins the batch: a failure here leaves the batch as it was.
    std::vector<int32_t> toks(n_samples, -1);
    std::vector<float> lps(n_samples, 0.f);
    for (int j = 0; j < n_samples; j++)
        if (seqs[j]->p.max_new_tokens > 0) {
            toks[j] = sample_token(logits.data(), V, seqs[j]->p.sampling, seqs[j]->rng);
            lps[j] = logprob_of(logits.data(), V, toks[j]);
        }
    const int32_t first = next_id_;
    next_id_ += n_samples;
    ev.reserve(ev.size() + n_samples);
    for (int j = 0; j < n_samples; j++) {
        if (toks[j] < 0) {
            ev.push_back({first + j, -1, 0.f, kLength});
            continue;
        }
        const int32_t fin = advance(*seqs[j], toks[j]);
        ev.push_back({first + j, toks[j], lps[j], fin});
        if (fin == kRunning) running_[first + j] = std::move(seqs[j]);
    }
}

void Batch::step(std::vector<Event> & ev) {
    if (running_.empty()) return;
    const int V = e_.model.cfg.n_vocab, nt = e_.n_threads;
    std::vector<BatchRow> rows;
    std::vector<int> want, lens;
    std::vector<std::pair<int32_t, Seq *>> live;
    std::vector<Rng> rngs;
    for (auto & [id, q] : running_) {
        kv_reserve(e_, q->kv, q->kv->len + 1);
        rows.push_back({q->last, q->kv->len, q->kv.get()});
        want.push_back((int)live.size());
        live.push_back({id, q.get()});
        lens.push_back(q->kv->len);
        rngs.push_back(q->rng);
    }
    const int nl = (int)live.size();
    thread_local std::vector<float> tl_blog; // reused: a fresh [rows x vocab] buffer per step cost page faults
    std::vector<float> & blog = tl_blog;     // a local reference, so lambdas on other threads see this one
    blog.resize((size_t)nl * V);
    std::vector<int32_t> toks(nl);
    std::vector<float> lps(nl);
    ev.reserve(ev.size() + nl);
    try {
        e_.backend->forward(rows, want, blog.data());
        // Sampling and log-softmax over the vocabulary cost ~1 ms per sequence: run them across threads (each
        // sequence has its own RNG, so this changes nothing). An exception must not leave a pool task.
        std::atomic<bool> failed{false};
        parallel_for(nl, nt, [&](int i) {
            try {
                const float * lg = &blog[(size_t)i * V];
                toks[i] = sample_token(lg, V, live[i].second->p.sampling, rngs[i]);
                lps[i] = logprob_of(lg, V, toks[i]);
            } catch (...) {
                failed.store(true);
            }
        });
        if (failed.load()) throw std::bad_alloc();
    } catch (...) {
        for (int i = 0; i < nl; i++) live[i].second->kv->len = lens[i];
        throw;
    }
    for (int i = 0; i < nl; i++) {
        live[i].second->rng = rngs[i];
        const int32_t fin = advance(*live[i].second, toks[i]);
        ev.push_back({live[i].first, toks[i], lps[i], fin});
        if (fin != kRunning) running_.erase(live[i].first);
    }
}

KVUsage Batch::kv_usage(int32_t id) const {
    KVUsage u;
    const int64_t per = (int64_t)e_.backend->kv_bytes_per_pos();
    for (const auto & [sid, q] : running_) {
        if (id >= 0 && sid != id) continue;
        u.allocated += (int64_t)q->kv->cap * per;
        u.after_step += (int64_t)kv_grown_cap(q->kv->cap, q->kv->len + 1, e_.model.cfg.n_ctx_max) * per;
        u.n_seq++;
    }
    return u;
}

int64_t kv_start_bytes(const Engine & e, int prompt_len, const std::vector<int> & max_new_tokens) {
    int64_t pos = 0;
    for (int m : max_new_tokens)
        if (m > 0) pos += kv_first_cap(prompt_len, m);
    return pos * (int64_t)e.backend->kv_bytes_per_pos();
}

bool generate(Engine & e, const std::vector<const int32_t *> & prompts, const std::vector<int> & lens,
              const std::vector<SeqParams> & params, const std::function<bool(const Event &)> & on_event) {
    const size_t n_samples = params.size() / prompts.size();
    Batch b(e);
    std::vector<Event> ev;
    auto emit = [&]() {
        for (const Event & x : ev)
            if (on_event(x)) return true; // nothing after the event that cancelled
        ev.clear();
        return false;
    };
    for (size_t p = 0; p < prompts.size(); p++) {
        b.start(prompts[p], lens[p], std::vector<SeqParams>(params.begin() + p * n_samples, params.begin() + (p + 1) * n_samples), ev);
        if (emit()) return true;
    }
    while (b.running() > 0) {
        b.step(ev);
        if (emit()) return true;
    }
    return false;
}

} // namespace openrs
