// trainer.cpp: f32 master weights bound into the engine, and the training forward/backward over packed sequences.
// The forward runs the generation forward's own kernels in the same order (matmul, rmsnorm, rope, attend, the
// sampler's log-softmax), so its log-probs equal openrs_score's bit for bit.
#include "trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "../kernels/attention.hpp"
#include "../kernels/matmul.hpp"
#include "../kernels/rowops.hpp"
#include "../sampler.hpp"
#include "../threads.hpp"
#include "grad_kernels.hpp"

namespace openrs {

static bool is_no_decay(const std::string & n) {
    return n.find("bias") != std::string::npos || n.find("norm") != std::string::npos; // *_layernorm, model.norm, q/k_norm
}

Trainer::Trainer(Engine & e, bool rc) : recompute(rc), e_(e) {
    Model & m = e.model;
    const Config & c = m.cfg;
    if (e.backend->on_cuda()) throw std::runtime_error("training runs on the CPU backend only (CUDA backward is not written yet)");
    // Matrices: widen to owned f32 and point the engine at them. Vectors already are the engine's own f32 copies.
    auto mat = [&](Mat & M, const std::string & name) {
        owned_.emplace_back((size_t)M.rows * M.cols);
        std::vector<float> & buf = owned_.back();
        for (size_t i = 0; i < buf.size(); i++) buf[i] = load_elem(M.data, M.dtype, (int64_t)i);
        M.data = buf.data();
        M.dtype = DType::F32;
        Param p;
        p.name = name;
        p.shape = {M.rows, M.cols};
        p.w = buf.data();
        p.n = buf.size();
        params.push_back(std::move(p));
    };
    auto vec = [&](std::vector<float> & v, const std::string & name) {
        Param p;
        p.name = name;
        p.shape = {(int64_t)v.size()};
        p.w = v.data();
        p.n = v.size();
        params.push_back(std::move(p));
    };
    owned_.reserve(2 + 7 * c.n_layer);
    mat(m.embed, "model.embed_tokens.weight");
    if (c.tied) m.lm_head = m.embed;
    else mat(m.lm_head, "lm_head.weight");
    vec(m.final_norm, "model.norm.weight");
    for (int l = 0; l < c.n_layer; l++) {
        Layer & L = m.layers[l];
        const std::string p = "model.layers." + std::to_string(l) + ".";
        vec(L.attn_norm, p + "input_layernorm.weight");
        vec(L.ffn_norm, p + "post_attention_layernorm.weight");
        mat(L.wq, p + "self_attn.q_proj.weight");
        mat(L.wk, p + "self_attn.k_proj.weight");
        mat(L.wv, p + "self_attn.v_proj.weight");
        mat(L.wo, p + "self_attn.o_proj.weight");
        mat(L.wg, p + "mlp.gate_proj.weight");
        mat(L.wu, p + "mlp.up_proj.weight");
        mat(L.wd, p + "mlp.down_proj.weight");
        if (c.qkv_bias) {
            vec(L.bq, p + "self_attn.q_proj.bias");
            vec(L.bk, p + "self_attn.k_proj.bias");
            vec(L.bv, p + "self_attn.v_proj.bias");
        }
        if (c.qk_norm) {
            vec(L.q_norm, p + "self_attn.q_norm.weight");
            vec(L.k_norm, p + "self_attn.k_norm.weight");
        }
    }
    m.dtype = DType::F32;
    for (Param & p : params) {
        p.no_decay = is_no_decay(p.name);
        p.g.assign(p.n, 0.f);
        p.m.assign(p.n, 0.f);
        p.v.assign(p.n, 0.f);
    }
}

Param * Trainer::find(const std::string & name) {
    for (Param & p : params)
        if (p.name == name) return &p;
    return nullptr;
}

int64_t Trainer::act_bytes_per_token(bool with_recompute) const {
    const Config & c = e_.model.cfg;
    const int64_t qd = (int64_t)c.n_head * c.head_dim, kvd = (int64_t)c.n_head_kv * c.head_dim;
    const int64_t layer = 4 * c.n_embd + 2 * qd + 2 * kvd + c.n_head + 2 * c.n_ff + (c.qk_norm ? qd + kvd : 0) + qd;
    const int64_t per = with_recompute ? (int64_t)c.n_layer * c.n_embd + layer : (int64_t)c.n_layer * (layer + c.n_embd);
    return (per + 2 * c.n_embd) * (int64_t)sizeof(float);
}

namespace {

// Rows of a packed batch: every token but each sequence's last is run (the last is only a target).
struct Rows {
    std::vector<int32_t> tok;
    std::vector<int> pos, first;           // per row: position and the row of its sequence's position 0
    std::vector<int> seq_first, seq_rows;  // per sequence
    std::vector<int> scored;               // rows whose next token is scored, in output order
    std::vector<int32_t> target;
};

struct Acts { // one layer's activations over the batch rows
    std::vector<float> x, xn1, qlin, klin, q, k, v, att, lse, xmid, xn2, g, u;
};

struct LayerGrads {
    Param *attn_norm, *ffn_norm, *wq, *wk, *wv, *wo, *wg, *wu, *wd, *bq = nullptr, *bk = nullptr, *bv = nullptr, *qn = nullptr,
        *kn = nullptr;
};

void layer_forward(const Model & m, int l, const Rows & R, const float * rc, const float * rs, Acts & a, float * xout, int nt) {
    const Config & c = m.cfg;
    const Layer & L = m.layers[l];
    const int T = (int)R.tok.size(), d = c.n_embd, hd = c.head_dim, nh = c.n_head, nkv = c.n_head_kv, ff = c.n_ff;
    const int qd = nh * hd, kvd = nkv * hd, G = nh / nkv;
    a.xn1.resize((size_t)T * d);
    a.q.resize((size_t)T * qd);
    a.k.resize((size_t)T * kvd);
    a.v.resize((size_t)T * kvd);
    a.att.resize((size_t)T * qd);
    a.lse.resize((size_t)T * nh);
    a.xmid.resize((size_t)T * d);
    a.xn2.resize((size_t)T * d);
    a.g.resize((size_t)T * ff);
    a.u.resize((size_t)T * ff);
    const bool par_rows = nt > 1 && T >= 8;
    parallel_for(T, par_rows ? nt : 1, [&](int t) { rmsnorm(&a.xn1[(size_t)t * d], &a.x[(size_t)t * d], L.attn_norm.data(), 1, d, c.norm_eps); });
    matmul(a.q.data(), qd, a.xn1.data(), T, d, L.wq.data, L.wq.dtype, qd, c.qkv_bias ? L.bq.data() : nullptr, nt);
    matmul(a.k.data(), kvd, a.xn1.data(), T, d, L.wk.data, L.wk.dtype, kvd, c.qkv_bias ? L.bk.data() : nullptr, nt);
    matmul(a.v.data(), kvd, a.xn1.data(), T, d, L.wv.data, L.wv.dtype, kvd, c.qkv_bias ? L.bv.data() : nullptr, nt);
    if (c.qk_norm) {
        a.qlin = a.q;
        a.klin = a.k;
    }
    parallel_for(T, par_rows ? nt : 1, [&](int t) {
        const float * cs = rc + (size_t)t * hd / 2;
        const float * sn = rs + (size_t)t * hd / 2;
        float * q = &a.q[(size_t)t * qd];
        float * k = &a.k[(size_t)t * kvd];
        if (c.qk_norm) {
            for (int h = 0; h < nh; h++) rmsnorm(q + h * hd, q + h * hd, L.q_norm.data(), 1, hd, c.norm_eps);
            for (int h = 0; h < nkv; h++) rmsnorm(k + h * hd, k + h * hd, L.k_norm.data(), 1, hd, c.norm_eps);
        }
        for (int h = 0; h < nh; h++) rope(q + h * hd, hd, cs, sn);
        for (int h = 0; h < nkv; h++) rope(k + h * hd, hd, cs, sn);
    });
    const float scale = 1.f / std::sqrt((float)hd);
    parallel_for(T * nkv, T * nkv > 1 ? nt : 1, [&](int tk) {
        const int t = tk / nkv, hk = tk % nkv;
        const size_t base = (size_t)R.first[t] * kvd + (size_t)hk * hd;
        const KVView kv{a.k.data() + base, a.v.data() + base, DType::F32};
        attend(&a.att[(size_t)t * qd + (size_t)hk * G * hd], &a.q[(size_t)t * qd + (size_t)hk * G * hd], G, hd, kv, kvd, R.pos[t] + 1,
               scale, &a.lse[(size_t)t * nh + hk * G]);
    });
    std::vector<float> tmp((size_t)T * d);
    matmul(tmp.data(), d, a.att.data(), T, qd, L.wo.data, L.wo.dtype, d, nullptr, nt);
    parallel_for(T, par_rows ? nt : 1, [&](int t) {
        for (int i = 0; i < d; i++) a.xmid[(size_t)t * d + i] = a.x[(size_t)t * d + i] + tmp[(size_t)t * d + i];
        rmsnorm(&a.xn2[(size_t)t * d], &a.xmid[(size_t)t * d], L.ffn_norm.data(), 1, d, c.norm_eps);
    });
    matmul(a.g.data(), ff, a.xn2.data(), T, d, L.wg.data, L.wg.dtype, ff, nullptr, nt);
    matmul(a.u.data(), ff, a.xn2.data(), T, d, L.wu.data, L.wu.dtype, ff, nullptr, nt);
    std::vector<float> h((size_t)T * ff);
    swiglu(h.data(), a.g.data(), a.u.data(), (int64_t)T * ff, nt);
    matmul(tmp.data(), d, h.data(), T, ff, L.wd.data, L.wd.dtype, d, nullptr, nt);
    for (size_t i = 0; i < tmp.size(); i++) xout[i] = a.xmid[i] + tmp[i];
}

// dx (in: gradient of the layer's output; out: of its input), gradients added into lg.
void layer_backward(const Model & m, int l, const Rows & R, const float * rc, const float * rs, const Acts & a, float * dx,
                    const LayerGrads & lg, int nt) {
    const Config & c = m.cfg;
    const Layer & L = m.layers[l];
    const int T = (int)R.tok.size(), d = c.n_embd, hd = c.head_dim, nh = c.n_head, nkv = c.n_head_kv, ff = c.n_ff;
    const int qd = nh * hd, kvd = nkv * hd, G = nh / nkv;
    const size_t Td = (size_t)T * d;
    // MLP: out = (silu(g) * u) Wd^T, g = xn2 Wg^T, u = xn2 Wu^T.
    std::vector<float> h((size_t)T * ff), dh((size_t)T * ff, 0.f), dg((size_t)T * ff), du((size_t)T * ff);
    swiglu(h.data(), a.g.data(), a.u.data(), (int64_t)T * ff, nt);
    mm_dw(lg.wd->g.data(), dx, h.data(), T, d, ff, nt);
    mm_dx(dh.data(), dx, T, d, (const float *)L.wd.data, ff, nt);
    swiglu_backward(dg.data(), du.data(), dh.data(), a.g.data(), a.u.data(), (int64_t)T * ff, nt);
    mm_dw(lg.wg->g.data(), dg.data(), a.xn2.data(), T, ff, d, nt);
    mm_dw(lg.wu->g.data(), du.data(), a.xn2.data(), T, ff, d, nt);
    std::vector<float> dn(Td, 0.f), dr(Td);
    mm_dx(dn.data(), dg.data(), T, ff, (const float *)L.wg.data, d, nt);
    mm_dx(dn.data(), du.data(), T, ff, (const float *)L.wu.data, d, nt);
    rmsnorm_backward(dr.data(), lg.ffn_norm->g.data(), dn.data(), a.xmid.data(), L.ffn_norm.data(), T, d, c.norm_eps, nt);
    for (size_t i = 0; i < Td; i++) dx[i] += dr[i]; // dx is now d/d xmid
    h = {};
    dh = {};
    dg = {};
    du = {};
    // Attention output projection.
    std::vector<float> datt((size_t)T * qd, 0.f);
    mm_dw(lg.wo->g.data(), dx, a.att.data(), T, d, qd, nt);
    mm_dx(datt.data(), dx, T, d, (const float *)L.wo.data, qd, nt);
    // Attention core, per (sequence, KV head): probabilities recomputed from the stored log-sum-exp; dK/dV of a KV
    // head sum over its group's query heads.
    std::vector<float> dq((size_t)T * qd, 0.f), dk((size_t)T * kvd, 0.f), dv((size_t)T * kvd, 0.f);
    const float scale = 1.f / std::sqrt((float)hd);
    const int n_seq = (int)R.seq_first.size();
    parallel_for(n_seq * nkv, n_seq * nkv > 1 ? nt : 1, [&](int sk) {
        const int s = sk / nkv, hk = sk % nkv;
        attention_backward(dq.data(), dk.data(), dv.data(), datt.data(), a.q.data(), a.k.data(), a.v.data(), a.lse.data(),
                           R.seq_first[s], R.seq_rows[s], hk, G, hd, nh, nkv, scale);
    });
    datt = {};
    // RoPE is a rotation: its backward rotates by the negative angle.
    parallel_for(T, T >= 8 ? nt : 1, [&](int t) {
        const float * cs = rc + (size_t)t * hd / 2;
        const float * sn = rs + (size_t)t * hd / 2;
        for (int h2 = 0; h2 < nh; h2++) rope_backward(&dq[(size_t)t * qd + h2 * hd], hd, cs, sn);
        for (int h2 = 0; h2 < nkv; h2++) rope_backward(&dk[(size_t)t * kvd + h2 * hd], hd, cs, sn);
    });
    if (c.qk_norm) {
        std::vector<float> t1(dq.size()), t2(dk.size());
        rmsnorm_backward(t1.data(), lg.qn->g.data(), dq.data(), a.qlin.data(), L.q_norm.data(), T * nh, hd, c.norm_eps, nt);
        rmsnorm_backward(t2.data(), lg.kn->g.data(), dk.data(), a.klin.data(), L.k_norm.data(), T * nkv, hd, c.norm_eps, nt);
        dq.swap(t1);
        dk.swap(t2);
    }
    if (c.qkv_bias) {
        bias_backward(lg.bq->g.data(), dq.data(), T, qd);
        bias_backward(lg.bk->g.data(), dk.data(), T, kvd);
        bias_backward(lg.bv->g.data(), dv.data(), T, kvd);
    }
    mm_dw(lg.wq->g.data(), dq.data(), a.xn1.data(), T, qd, d, nt);
    mm_dw(lg.wk->g.data(), dk.data(), a.xn1.data(), T, kvd, d, nt);
    mm_dw(lg.wv->g.data(), dv.data(), a.xn1.data(), T, kvd, d, nt);
    std::fill(dn.begin(), dn.end(), 0.f);
    mm_dx(dn.data(), dq.data(), T, qd, (const float *)L.wq.data, d, nt);
    mm_dx(dn.data(), dk.data(), T, kvd, (const float *)L.wk.data, d, nt);
    mm_dx(dn.data(), dv.data(), T, kvd, (const float *)L.wv.data, d, nt);
    rmsnorm_backward(dr.data(), lg.attn_norm->g.data(), dn.data(), a.x.data(), L.attn_norm.data(), T, d, c.norm_eps, nt);
    for (size_t i = 0; i < Td; i++) dx[i] += dr[i];
}

} // namespace

void Trainer::run(const PackedBatch & b, float temperature, const float * weights, float * lp, float * ent) {
    const Model & m = e_.model;
    const Config & c = m.cfg;
    const int nt = e_.n_threads, d = c.n_embd, hd = c.head_dim, V = c.n_vocab;
    if (!(temperature > 0.f) || !std::isfinite(temperature)) throw std::runtime_error("temperature must be a finite number > 0");
    Rows R;
    int off = 0;
    for (int s = 0; s < b.n_seq; s++) {
        const int n = b.lens[s], p = b.prompts[s];
        if (p < 1 || p > n) throw std::runtime_error("sequence " + std::to_string(s) + ": need 1 <= prompt length <= length (got " + std::to_string(p) + ", " + std::to_string(n) + ")");
        if (n - 1 > c.n_ctx_max)
            throw std::runtime_error("sequence " + std::to_string(s) + " of " + std::to_string(n) + " tokens exceeds max_position_embeddings " + std::to_string(c.n_ctx_max));
        for (int i = 0; i < n; i++)
            if (b.tokens[off + i] < 0 || b.tokens[off + i] >= V)
                throw std::runtime_error("sequence " + std::to_string(s) + ": token id " + std::to_string(b.tokens[off + i]) + " at position " + std::to_string(i) +
                                         " is outside the vocabulary [0, " + std::to_string(V) + ")");
        R.seq_first.push_back((int)R.tok.size());
        R.seq_rows.push_back(n - 1);
        for (int i = 0; i < n - 1; i++) {
            R.tok.push_back(b.tokens[off + i]);
            R.pos.push_back(i);
            R.first.push_back(R.seq_first.back());
        }
        for (int i = p; i < n; i++) {
            R.scored.push_back(R.seq_first.back() + i - 1);
            R.target.push_back(b.tokens[off + i]);
        }
        off += n;
    }
    const int T = (int)R.tok.size(), Ts = (int)R.scored.size();
    if (Ts == 0) return;
    const bool train = weights != nullptr;
    // cos/sin per row (as the generation forward computes them).
    std::vector<float> rc((size_t)T * hd / 2), rs((size_t)T * hd / 2);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < hd / 2; i++) {
            const float ang = (float)R.pos[t] * c.rope_inv_freq[i];
            rc[(size_t)t * hd / 2 + i] = std::cos(ang) * c.rope_attn_factor;
            rs[(size_t)t * hd / 2 + i] = std::sin(ang) * c.rope_attn_factor;
        }
    const bool keep = train && !recompute;
    std::vector<Acts> acts(keep ? c.n_layer : 1);
    std::vector<std::vector<float>> xs(train && recompute ? c.n_layer : 0); // layer inputs (recompute)
    std::vector<float> x((size_t)T * d);
    for (int t = 0; t < T; t++) std::memcpy(&x[(size_t)t * d], (const float *)m.embed.data + (size_t)R.tok[t] * d, d * sizeof(float));
    for (int l = 0; l < c.n_layer; l++) {
        Acts & a = acts[keep ? l : 0];
        if (train && recompute) xs[l] = x;
        a.x.swap(x);
        x.resize((size_t)T * d);
        layer_forward(m, l, R, rc.data(), rs.data(), a, x.data(), nt);
    }
    if (!keep) acts[0] = Acts();
    // Final norm of the scored rows, then logits in blocks of rows (the generation path's matmul and log-softmax).
    std::vector<float> xf((size_t)Ts * d);
    for (int i = 0; i < Ts; i++) rmsnorm(&xf[(size_t)i * d], &x[(size_t)R.scored[i] * d], m.final_norm.data(), 1, d, c.norm_eps);
    std::vector<double> lse(Ts);
    const int RB = 16;
    std::vector<float> lg((size_t)RB * V);
    for (int r0 = 0; r0 < Ts; r0 += RB) {
        const int nr = std::min(RB, Ts - r0);
        matmul(lg.data(), V, &xf[(size_t)r0 * d], nr, d, m.lm_head.data, m.lm_head.dtype, V, nullptr, nt);
        parallel_for(nr, nr > 1 ? nt : 1, [&](int i) {
            float * z = &lg[(size_t)i * V];
            if (temperature != 1.f)
                for (int j = 0; j < V; j++) z[j] /= temperature;
            lp[r0 + i] = logprob_of(z, V, R.target[r0 + i]);
            float mx = -INFINITY;
            for (int j = 0; j < V; j++) mx = std::max(mx, z[j]);
            double sum = 0, sz = 0;
            for (int j = 0; j < V; j++) {
                const double e = std::exp((double)z[j] - mx);
                sum += e;
                sz += e * z[j];
            }
            lse[r0 + i] = mx + std::log(sum);
            if (ent) ent[r0 + i] = (float)(lse[r0 + i] - sz / sum);
        });
    }
    lg = {};
    if (!train) return;

    // d/dz of w * log softmax(z / tau)[o] = w / tau * (onehot(o) - p), over vocabulary chunks so no [Ts, V] block exists.
    const int VC = 4096;
    Param * head = find(c.tied ? "model.embed_tokens.weight" : "lm_head.weight");
    std::vector<float> dxf((size_t)Ts * d, 0.f), zc((size_t)Ts * std::min(VC, V));
    for (int c0 = 0; c0 < V; c0 += VC) {
        const int nc = std::min(VC, V - c0);
        const float * Wc = (const float *)m.lm_head.data + (size_t)c0 * d;
        matmul(zc.data(), nc, xf.data(), Ts, d, Wc, DType::F32, nc, nullptr, nt);
        parallel_for(Ts, Ts > 1 ? nt : 1, [&](int i) {
            const double w = (double)weights[i] / temperature;
            float * z = &zc[(size_t)i * nc];
            for (int j = 0; j < nc; j++) {
                const double p = std::exp((double)z[j] / temperature - lse[i]);
                z[j] = (float)(w * ((c0 + j == R.target[i] ? 1.0 : 0.0) - p));
            }
        });
        mm_dw(head->g.data() + (size_t)c0 * d, zc.data(), xf.data(), Ts, nc, d, nt);
        mm_dx(dxf.data(), zc.data(), Ts, nc, Wc, d, nt);
    }
    zc = {};
    // Final norm backward into the scored rows; other rows get no gradient from the head.
    std::vector<float> dx((size_t)T * d, 0.f), xsc((size_t)Ts * d), dxs((size_t)Ts * d);
    for (int i = 0; i < Ts; i++) std::memcpy(&xsc[(size_t)i * d], &x[(size_t)R.scored[i] * d], d * sizeof(float));
    rmsnorm_backward(dxs.data(), find("model.norm.weight")->g.data(), dxf.data(), xsc.data(), m.final_norm.data(), Ts, d, c.norm_eps, nt);
    for (int i = 0; i < Ts; i++)
        for (int j = 0; j < d; j++) dx[(size_t)R.scored[i] * d + j] += dxs[(size_t)i * d + j];
    x = {};
    for (int l = c.n_layer - 1; l >= 0; l--) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        LayerGrads g{find(p + "input_layernorm.weight"), find(p + "post_attention_layernorm.weight"), find(p + "self_attn.q_proj.weight"),
                     find(p + "self_attn.k_proj.weight"), find(p + "self_attn.v_proj.weight"), find(p + "self_attn.o_proj.weight"),
                     find(p + "mlp.gate_proj.weight"), find(p + "mlp.up_proj.weight"), find(p + "mlp.down_proj.weight")};
        if (c.qkv_bias) {
            g.bq = find(p + "self_attn.q_proj.bias");
            g.bk = find(p + "self_attn.k_proj.bias");
            g.bv = find(p + "self_attn.v_proj.bias");
        }
        if (c.qk_norm) {
            g.qn = find(p + "self_attn.q_norm.weight");
            g.kn = find(p + "self_attn.k_norm.weight");
        }
        if (recompute) {
            Acts & a = acts[0];
            a.x.swap(xs[l]);
            std::vector<float> out((size_t)T * d);
            layer_forward(m, l, R, rc.data(), rs.data(), a, out.data(), nt);
            layer_backward(m, l, R, rc.data(), rs.data(), a, dx.data(), g, nt);
        } else {
            layer_backward(m, l, R, rc.data(), rs.data(), acts[l], dx.data(), g, nt);
            acts[l] = Acts();
        }
    }
    // Embedding rows (the tied head's gradient is already in the same matrix).
    float * ge = find("model.embed_tokens.weight")->g.data();
    for (int t = 0; t < T; t++)
        for (int j = 0; j < d; j++) ge[(size_t)R.tok[t] * d + j] += dx[(size_t)t * d + j];
}

void Trainer::zero_grad() {
    for (Param & p : params) std::fill(p.g.begin(), p.g.end(), 0.f);
}

} // namespace openrs
