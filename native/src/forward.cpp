// forward.cpp: the batched forward pass on the CPU: embeddings -> layers (RMSNorm, QKV, RoPE, KV store, attention,
// SwiGLU MLP) -> logits of the wanted rows.
#include "forward.hpp"

#include <cmath>
#include <cstring>

#include "kernels/attention.hpp"
#include "threads.hpp"
#include "kernels/dtype.hpp"
#include "kernels/matmul.hpp"
#include "kernels/rowops.hpp"

namespace openrs {

void cpu_forward(const Model & m, int nt, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits,
                 bool act_bf16) {
    const Config & c = m.cfg;
    const int T = (int)rows.size(), d = c.n_embd, hd = c.head_dim, nh = c.n_head, nkv = c.n_head_kv;
    const int qd = nh * hd, kvd = nkv * hd;
    // Scratch kept per calling thread: fresh vectors each step cost page faults and zeroing (measured 18 % of a
    // batch-32 decode step). Every element is written before it is read.
    // (Bound to local references: a lambda run on a pool worker must see this thread's buffers, not its own.)
    thread_local std::vector<float> tl[9];
    std::vector<float> &x = tl[0], &xn = tl[1], &q = tl[2], &k = tl[3], &v = tl[4], &att = tl[5], &g = tl[6], &u = tl[7], &tmp = tl[8];
    x.resize((size_t)T * d), xn.resize((size_t)T * d), q.resize((size_t)T * qd), k.resize((size_t)T * kvd), v.resize((size_t)T * kvd);
    att.resize((size_t)T * qd), g.resize((size_t)T * c.n_ff), u.resize((size_t)T * c.n_ff), tmp.resize((size_t)T * d);
    for (int t = 0; t < T; t++) {
        const int64_t base = (int64_t)rows[t].token * d;
        for (int i = 0; i < d; i++) x[(size_t)t * d + i] = load_elem(m.embed.data, m.embed.dtype, base + i);
    }
    const float scale = 1.f / std::sqrt((float)hd);
    // cos/sin per row, shared by every head and layer: [T, hd/2] each.
    std::vector<float> rc((size_t)T * hd / 2), rs((size_t)T * hd / 2);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < hd / 2; i++) {
            const float a = (float)rows[t].pos * c.rope_inv_freq[i];
            rc[(size_t)t * hd / 2 + i] = std::cos(a) * c.rope_attn_factor;
            rs[(size_t)t * hd / 2 + i] = std::sin(a) * c.rope_attn_factor;
        }
    // Row-wise ops run across threads only when there are enough rows to pay for the fork; attention only when it
    // reads enough cached rows (a tiny model's decode step is then one thread, with nothing to wait for).
    const bool par_rows = nt > 1 && T >= 8;
    int64_t att_work = 0;
    for (int t = 0; t < T; t++) att_work += (int64_t)(rows[t].pos + 1) * qd;
    const int att_nt = att_work >= 32768 ? nt : 1;
    for (int l = 0; l < c.n_layer; l++) {
        const Layer & L = m.layers[l];
        parallel_for(T, par_rows ? nt : 1, [&](int t) { rmsnorm(&xn[(size_t)t * d], &x[(size_t)t * d], L.attn_norm.data(), 1, d, c.norm_eps); });
        matmul(q.data(), qd, xn.data(), T, d, L.wq.data, L.wq.dtype, qd, c.qkv_bias ? L.bq.data() : nullptr, nt, act_bf16);
        matmul(k.data(), kvd, xn.data(), T, d, L.wk.data, L.wk.dtype, kvd, c.qkv_bias ? L.bk.data() : nullptr, nt, act_bf16);
        matmul(v.data(), kvd, xn.data(), T, d, L.wv.data, L.wv.dtype, kvd, c.qkv_bias ? L.bv.data() : nullptr, nt, act_bf16);
        parallel_for(T, par_rows ? nt : 1, [&](int t) {
            const float * cs = &rc[(size_t)t * hd / 2];
            const float * sn = &rs[(size_t)t * hd / 2];
            if (c.qk_norm) {
                for (int h = 0; h < nh; h++) rmsnorm(&q[(size_t)t * qd + h * hd], &q[(size_t)t * qd + h * hd], L.q_norm.data(), 1, hd, c.norm_eps);
                for (int h = 0; h < nkv; h++) rmsnorm(&k[(size_t)t * kvd + h * hd], &k[(size_t)t * kvd + h * hd], L.k_norm.data(), 1, hd, c.norm_eps);
            }
            for (int h = 0; h < nh; h++) rope(&q[(size_t)t * qd + h * hd], hd, cs, sn);
            for (int h = 0; h < nkv; h++) rope(&k[(size_t)t * kvd + h * hd], hd, cs, sn);
            CpuKV & s = static_cast<CpuKV &>(*rows[t].kv);
            for (int h = 0; h < nkv; h++) s.store(c, l, h, rows[t].pos, &k[(size_t)t * kvd + h * hd], &v[(size_t)t * kvd + h * hd]);
        });
        // Attention: each row's query heads attend over positions 0..pos of its own sequence; the G = nh/nkv heads of
        // a GQA group read their shared KV head together.
        const int G = nh / nkv;
        parallel_for(T * nkv, att_nt, [&](int tk) {
            const int t = tk / nkv, hk = tk % nkv;
            const KVView kv = static_cast<const CpuKV &>(*rows[t].kv).view(c, l, hk);
            attend(&att[(size_t)t * qd + (size_t)hk * G * hd], &q[(size_t)t * qd + (size_t)hk * G * hd], G, hd, kv, hd, rows[t].pos + 1, scale);
        });
        matmul(tmp.data(), d, att.data(), T, qd, L.wo.data, L.wo.dtype, d, nullptr, nt, act_bf16);
        parallel_for(T, par_rows ? nt : 1, [&](int t) {
            for (int i = 0; i < d; i++) x[(size_t)t * d + i] += tmp[(size_t)t * d + i];
            rmsnorm(&xn[(size_t)t * d], &x[(size_t)t * d], L.ffn_norm.data(), 1, d, c.norm_eps);
        });
        matmul(g.data(), c.n_ff, xn.data(), T, d, L.wg.data, L.wg.dtype, c.n_ff, nullptr, nt, act_bf16);
        matmul(u.data(), c.n_ff, xn.data(), T, d, L.wu.data, L.wu.dtype, c.n_ff, nullptr, nt, act_bf16);
        swiglu(g.data(), g.data(), u.data(), (int64_t)T * c.n_ff, nt);
        matmul(tmp.data(), d, g.data(), T, c.n_ff, L.wd.data, L.wd.dtype, d, nullptr, nt, act_bf16);
        for (size_t i = 0; i < (size_t)T * d; i++) x[i] += tmp[i];
    }
    if (want.empty()) return;
    std::vector<float> xs((size_t)want.size() * d);
    for (size_t i = 0; i < want.size(); i++) std::memcpy(&xs[i * d], &x[(size_t)want[i] * d], d * sizeof(float));
    rmsnorm(xs.data(), xs.data(), m.final_norm.data(), (int)want.size(), d, c.norm_eps);
    matmul(logits, c.n_vocab, xs.data(), (int)want.size(), d, m.lm_head.data, m.lm_head.dtype, c.n_vocab, nullptr, nt, act_bf16);
}

} // namespace openrs
