// model.cpp: config.json parsing, tensor binding with shape checks, and the batched forward pass (CPU).
#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "json.hpp"
#include "kernels.hpp"

namespace openrs {

static const char * kSupported = "Qwen2ForCausalLM, LlamaForCausalLM, Qwen3ForCausalLM";

static bool get_int(const Json & j, const char * key, int & out, std::string & err, bool required, int def = 0) {
    const Json * v = j.get(key);
    if (!v || v->kind == Json::Null) {
        if (required) { err = std::string("config.json: missing ") + key; return false; }
        out = def;
        return true;
    }
    if (!v->is_int() || v->num <= 0 || v->num > 1e9) { err = std::string("config.json: ") + key + " must be a positive integer"; return false; }
    out = (int)v->num;
    return true;
}

// A number from a JSON object: def when absent or null (required: error), err when not a number.
static bool get_num(const Json & o, const char * key, double & out, std::string & err, const char * where, bool required, double def = 0) {
    const Json * v = o.get(key);
    if (!v || v->kind == Json::Null) {
        if (required) { err = std::string(where) + ": missing " + key; return false; }
        out = def;
        return true;
    }
    if (v->kind != Json::Number) { err = std::string(where) + ": " + key + " must be a number"; return false; }
    out = v->num;
    return true;
}

// RoPE frequencies as Hugging Face transformers initialises them (modeling_rope_utils): plain, linear, llama3, yarn.
// native/ts/rope.ts is the same computation for the reference forward; a test holds the two together.
static bool parse_rope(const Json & j, Config & c, std::string & err) {
    const int dim = c.head_dim, half = dim / 2;
    const double theta = c.rope_theta;
    double partial = 1;
    if (!get_num(j, "partial_rotary_factor", partial, err, "config.json", false, 1)) return false;
    if (partial != 1) { err = "config.json: partial_rotary_factor != 1 is not supported"; return false; }
    std::vector<double> inv(half);
    for (int i = 0; i < half; i++) inv[i] = 1.0 / std::pow(theta, 2.0 * i / dim);
    double attn = 1;
    const Json * rs = j.get("rope_scaling");
    if (rs && rs->kind != Json::Null) {
        const char * where = "config.json rope_scaling";
        if (rs->kind != Json::Object) { err = "config.json: rope_scaling must be an object"; return false; }
        const Json * t = rs->get("rope_type");
        if (!t || t->kind == Json::Null) t = rs->get("type");
        if (!t || t->kind != Json::String) { err = std::string(where) + ": missing rope_type"; return false; }
        const std::string type = t->str;
        if (type != "default" && type != "linear" && type != "llama3" && type != "yarn") {
            err = std::string(where) + ": type '" + type + "' is not supported (supported: linear, llama3, yarn)";
            return false;
        }
        double factor = 0;
        if (type != "default" && !get_num(*rs, "factor", factor, err, where, true)) return false;
        if (type != "default" && !(factor > 0)) { err = std::string(where) + ": factor must be > 0"; return false; }
        if (type == "default") {
        } else if (type == "linear") {
            for (double & f : inv) f /= factor;
        } else if (type == "llama3") {
            double low, high, old;
            if (!get_num(*rs, "low_freq_factor", low, err, where, true) || !get_num(*rs, "high_freq_factor", high, err, where, true) ||
                !get_num(*rs, "original_max_position_embeddings", old, err, where, true))
                return false;
            if (!(high > low) || !(old > 0)) {
                err = std::string(where) + ": need factor > 0, high_freq_factor > low_freq_factor, original_max_position_embeddings > 0";
                return false;
            }
            const double low_wavelen = old / low, high_wavelen = old / high;
            for (double & f : inv) {
                const double wavelen = 2 * M_PI / f;
                if (wavelen < high_wavelen) continue;
                if (wavelen > low_wavelen) { f /= factor; continue; }
                const double smooth = (old / wavelen - low) / (high - low);
                f = (1 - smooth) * (f / factor) + smooth * f;
            }
        } else if (type == "yarn") {
            // factor as written in rope_scaling (as vLLM does; see rope.ts for HF's variant).
            double orig, af, ms, ms_all, beta_fast, beta_slow;
            if (!get_num(*rs, "original_max_position_embeddings", orig, err, where, false, c.n_ctx_max) ||
                !get_num(*rs, "attention_factor", af, err, where, false, -1) || !get_num(*rs, "mscale", ms, err, where, false, 0) ||
                !get_num(*rs, "mscale_all_dim", ms_all, err, where, false, 0) ||
                !get_num(*rs, "beta_fast", beta_fast, err, where, false, 32) || !get_num(*rs, "beta_slow", beta_slow, err, where, false, 1))
                return false;
            if (beta_fast == 0) beta_fast = 32;
            if (beta_slow == 0) beta_slow = 1;
            auto mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
            if (auto a = rs->get("attention_factor"); a && a->kind == Json::Number && !(af > 0)) {
                err = std::string(where) + ": attention_factor must be > 0";
                return false;
            }
            attn = af > 0 ? af : (ms != 0 && ms_all != 0 ? mscale(factor, ms) / mscale(factor, ms_all) : mscale(factor, 1));
            bool truncate = true;
            if (auto tr = rs->get("truncate"); tr && tr->kind == Json::Bool) truncate = tr->b;
            auto corr_dim = [&](double rot) { return dim * std::log(orig / (rot * 2 * M_PI)) / (2 * std::log(theta)); };
            double lo = corr_dim(beta_fast), hi = corr_dim(beta_slow);
            if (truncate) { lo = std::floor(lo); hi = std::ceil(hi); }
            lo = std::max(lo, 0.0);
            hi = std::min(hi, (double)dim - 1);
            if (lo == hi) hi += 0.001;
            for (int i = 0; i < half; i++) {
                const double ramp = std::min(1.0, std::max(0.0, (i - lo) / (hi - lo))), extrapolation = 1 - ramp;
                inv[i] = inv[i] / factor * (1 - extrapolation) + inv[i] * extrapolation;
            }
        } else {
            err = std::string(where) + ": type '" + type + "' is not supported (supported: linear, llama3, yarn)";
            return false;
        }
        c.rope_type = type;
    }
    c.rope_inv_freq.assign(inv.begin(), inv.end());
    c.rope_attn_factor = (float)attn;
    return true;
}

static bool parse_config(const std::string & dir, Config & c, std::string & err) {
    std::string text;
    if (!read_text_file(dir + "/config.json", text, err)) return false;
    Json j;
    std::string jerr;
    if (!JsonParser(text.data(), text.size()).parse(j, jerr)) { err = "config.json: " + jerr; return false; }
    const Json * a = j.get("architectures");
    if (!a || a->kind != Json::Array || a->arr.empty() || a->arr[0].kind != Json::String) {
        err = std::string("config.json: missing architectures (supported: ") + kSupported + ")";
        return false;
    }
    c.arch = a->arr[0].str;
    if (c.arch != "Qwen2ForCausalLM" && c.arch != "LlamaForCausalLM" && c.arch != "Qwen3ForCausalLM") {
        err = "unsupported architecture '" + c.arch + "' (supported: " + kSupported + ")";
        return false;
    }
    if (!get_int(j, "vocab_size", c.n_vocab, err, true) || !get_int(j, "hidden_size", c.n_embd, err, true) ||
        !get_int(j, "num_hidden_layers", c.n_layer, err, true) || !get_int(j, "num_attention_heads", c.n_head, err, true) ||
        !get_int(j, "intermediate_size", c.n_ff, err, true) ||
        !get_int(j, "num_key_value_heads", c.n_head_kv, err, false, c.n_head) ||
        !get_int(j, "head_dim", c.head_dim, err, false, c.n_embd / c.n_head) ||
        !get_int(j, "max_position_embeddings", c.n_ctx_max, err, false, 32768))
        return false;
    if (c.n_head % c.n_head_kv) { err = "config.json: num_attention_heads must be a multiple of num_key_value_heads"; return false; }
    if (c.head_dim % 2) { err = "config.json: head_dim must be even"; return false; }
    if (auto v = j.get("rms_norm_eps"); v && v->kind == Json::Number) c.norm_eps = (float)v->num;
    if (auto v = j.get("rope_theta"); v && v->kind == Json::Number) c.rope_theta = (float)v->num;
    if (auto v = j.get("tie_word_embeddings"); v && v->kind == Json::Bool) c.tied = v->b;
    if (auto v = j.get("hidden_act"); v && v->kind == Json::String && v->str != "silu") {
        err = "config.json: unsupported hidden_act '" + v->str + "' (supported: silu)";
        return false;
    }
    if (!parse_rope(j, c, err)) return false;
    if (auto v = j.get("use_sliding_window"); v && v->kind == Json::Bool && v->b) {
        err = "config.json: use_sliding_window is true; sliding-window attention is not supported (only full attention)";
        return false;
    }
    if (auto v = j.get("mlp_bias"); v && v->kind == Json::Bool && v->b) {
        err = "config.json: mlp_bias is true; MLP biases are not supported";
        return false;
    }
    c.qkv_bias = c.arch == "Qwen2ForCausalLM";
    if (auto v = j.get("attention_bias"); v && v->kind == Json::Bool && c.arch != "Qwen2ForCausalLM") c.qkv_bias = v->b;
    c.qk_norm = c.arch == "Qwen3ForCausalLM";
    return true;
}

static std::string shape_str(const std::vector<int64_t> & s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); i++) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

static const TensorView * need(const Model & m, const std::string & name, std::vector<int64_t> shape, std::string & err) {
    const TensorView * t = m.st.find(name);
    if (!t) { err = "missing tensor " + name; return nullptr; }
    if (t->shape != shape) {
        err = "tensor " + name + " has shape " + shape_str(t->shape) + ", config.json implies " + shape_str(shape);
        return nullptr;
    }
    return t;
}

static bool bind_mat(const Model & m, Mat & out, const std::string & name, int rows, int cols, std::string & err) {
    const TensorView * t = need(m, name, {rows, cols}, err);
    if (!t) return false;
    out.data = t->data;
    out.dtype = t->dtype;
    out.rows = rows;
    out.cols = cols;
    return true;
}

static bool bind_vec(const Model & m, std::vector<float> & out, const std::string & name, int n, std::string & err) {
    const TensorView * t = need(m, name, {n}, err);
    if (!t) return false;
    out.resize(n);
    for (int i = 0; i < n; i++) out[i] = load_elem(t->data, t->dtype, i);
    return true;
}

bool model_load(Model & m, const std::string & dir, int n_threads, std::string & err) {
    Config & c = m.cfg;
    if (!parse_config(dir, c, err)) return false;
    if (!m.st.open_dir(dir, err)) return false;
    m.n_threads = std::max(1, n_threads);
    const int d = c.n_embd, qd = c.n_head * c.head_dim, kvd = c.n_head_kv * c.head_dim;
    if (!bind_mat(m, m.embed, "model.embed_tokens.weight", c.n_vocab, d, err)) return false;
    if (!bind_vec(m, m.final_norm, "model.norm.weight", d, err)) return false;
    if (c.tied) m.lm_head = m.embed;
    else if (!bind_mat(m, m.lm_head, "lm_head.weight", c.n_vocab, d, err)) return false;
    m.layers.resize(c.n_layer);
    for (int l = 0; l < c.n_layer; l++) {
        Layer & L = m.layers[l];
        std::string p = "model.layers." + std::to_string(l) + ".";
        if (!bind_vec(m, L.attn_norm, p + "input_layernorm.weight", d, err) ||
            !bind_vec(m, L.ffn_norm, p + "post_attention_layernorm.weight", d, err) ||
            !bind_mat(m, L.wq, p + "self_attn.q_proj.weight", qd, d, err) ||
            !bind_mat(m, L.wk, p + "self_attn.k_proj.weight", kvd, d, err) ||
            !bind_mat(m, L.wv, p + "self_attn.v_proj.weight", kvd, d, err) ||
            !bind_mat(m, L.wo, p + "self_attn.o_proj.weight", d, qd, err) ||
            !bind_mat(m, L.wg, p + "mlp.gate_proj.weight", c.n_ff, d, err) ||
            !bind_mat(m, L.wu, p + "mlp.up_proj.weight", c.n_ff, d, err) ||
            !bind_mat(m, L.wd, p + "mlp.down_proj.weight", d, c.n_ff, err))
            return false;
        if (c.qkv_bias && (!bind_vec(m, L.bq, p + "self_attn.q_proj.bias", qd, err) ||
                           !bind_vec(m, L.bk, p + "self_attn.k_proj.bias", kvd, err) ||
                           !bind_vec(m, L.bv, p + "self_attn.v_proj.bias", kvd, err)))
            return false;
        if (c.qk_norm && (!bind_vec(m, L.q_norm, p + "self_attn.q_norm.weight", c.head_dim, err) ||
                          !bind_vec(m, L.k_norm, p + "self_attn.k_norm.weight", c.head_dim, err)))
            return false;
    }
    m.dtype = m.layers.empty() ? m.embed.dtype : m.layers[0].wq.dtype;
    return true;
}

void KVSeq::init(const Config & c, int capacity, bool as_bf16) {
    cap = capacity;
    len = 0;
    bf16 = as_bf16;
    const size_t n = (size_t)c.n_layer * cap * c.n_head_kv * c.head_dim;
    if (bf16) {
        kh.assign(n, 0);
        vh.assign(n, 0);
    } else {
        k.assign(n, 0.f);
        v.assign(n, 0.f);
    }
}

void KVSeq::copy_prefix_from(const Config & c, const KVSeq & src, int n) {
    const size_t hd = c.head_dim;
    for (size_t lh = 0; lh < (size_t)c.n_layer * c.n_head_kv; lh++) { // one (layer, KV head) block at a time
        if (bf16) {
            std::memcpy(&kh[lh * cap * hd], &src.kh[lh * src.cap * hd], n * hd * sizeof(uint16_t));
            std::memcpy(&vh[lh * cap * hd], &src.vh[lh * src.cap * hd], n * hd * sizeof(uint16_t));
        } else {
            std::memcpy(&k[lh * cap * hd], &src.k[lh * src.cap * hd], n * hd * sizeof(float));
            std::memcpy(&v[lh * cap * hd], &src.v[lh * src.cap * hd], n * hd * sizeof(float));
        }
    }
    len = n;
}

// x[T, n] -> out[T, n]: x / rms(x) * w
static void rmsnorm(float * out, const float * x, const float * w, int T, int n, float eps) {
    for (int t = 0; t < T; t++) {
        const float * xr = x + (size_t)t * n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
        float r = (float)(1.0 / std::sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[(size_t)t * n + i] = xr[i] * r * w[i];
    }
}

// HF "rotate_half" RoPE on one head vector [hd]: pairs (i, i + hd/2); cs/sn are [hd/2] for this position.
static void rope(float * v, int hd, const float * cs, const float * sn) {
    int h = hd / 2;
    for (int i = 0; i < h; i++) {
        float x0 = v[i], x1 = v[i + h];
        v[i] = x0 * cs[i] - x1 * sn[i];
        v[i + h] = x1 * cs[i] + x0 * sn[i];
    }
}

void forward(const Model & m, const std::vector<BatchRow> & rows, const std::vector<int> & want, float * logits) {
    const Config & c = m.cfg;
    const int T = (int)rows.size(), d = c.n_embd, hd = c.head_dim, nh = c.n_head, nkv = c.n_head_kv;
    const int qd = nh * hd, kvd = nkv * hd, nt = m.n_threads;
    std::vector<float> x((size_t)T * d), xn((size_t)T * d), q((size_t)T * qd), k((size_t)T * kvd), v((size_t)T * kvd),
        att((size_t)T * qd), g((size_t)T * c.n_ff), u((size_t)T * c.n_ff), tmp((size_t)T * d);
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
    // Row-wise ops run across threads only when there are enough rows to pay for the fork.
    const bool par_rows = nt > 1 && T >= 8;
    for (int l = 0; l < c.n_layer; l++) {
        const Layer & L = m.layers[l];
#pragma omp parallel for schedule(static) num_threads(nt) if (par_rows)
        for (int t = 0; t < T; t++) rmsnorm(&xn[(size_t)t * d], &x[(size_t)t * d], L.attn_norm.data(), 1, d, c.norm_eps);
        matmul(q.data(), qd, xn.data(), T, d, L.wq.data, L.wq.dtype, qd, c.qkv_bias ? L.bq.data() : nullptr, nt);
        matmul(k.data(), kvd, xn.data(), T, d, L.wk.data, L.wk.dtype, kvd, c.qkv_bias ? L.bk.data() : nullptr, nt);
        matmul(v.data(), kvd, xn.data(), T, d, L.wv.data, L.wv.dtype, kvd, c.qkv_bias ? L.bv.data() : nullptr, nt);
#pragma omp parallel for schedule(static) num_threads(nt) if (par_rows)
        for (int t = 0; t < T; t++) {
            const float * cs = &rc[(size_t)t * hd / 2];
            const float * sn = &rs[(size_t)t * hd / 2];
            if (c.qk_norm) {
                for (int h = 0; h < nh; h++) rmsnorm(&q[(size_t)t * qd + h * hd], &q[(size_t)t * qd + h * hd], L.q_norm.data(), 1, hd, c.norm_eps);
                for (int h = 0; h < nkv; h++) rmsnorm(&k[(size_t)t * kvd + h * hd], &k[(size_t)t * kvd + h * hd], L.k_norm.data(), 1, hd, c.norm_eps);
            }
            for (int h = 0; h < nh; h++) rope(&q[(size_t)t * qd + h * hd], hd, cs, sn);
            for (int h = 0; h < nkv; h++) rope(&k[(size_t)t * kvd + h * hd], hd, cs, sn);
            KVSeq & s = *rows[t].kv;
            for (int h = 0; h < nkv; h++) {
                const size_t off = (((size_t)l * nkv + h) * s.cap + rows[t].pos) * hd;
                const float * kr = &k[(size_t)t * kvd + h * hd];
                const float * vr = &v[(size_t)t * kvd + h * hd];
                if (s.bf16)
                    for (int i = 0; i < hd; i++) {
                        s.kh[off + i] = f32_to_bf16(kr[i]);
                        s.vh[off + i] = f32_to_bf16(vr[i]);
                    }
                else {
                    std::memcpy(&s.k[off], kr, hd * sizeof(float));
                    std::memcpy(&s.v[off], vr, hd * sizeof(float));
                }
            }
        }
        // Attention: each row's query heads attend over positions 0..pos of its own sequence; the G = nh/nkv heads of
        // a GQA group read their shared KV head together.
        const int G = nh / nkv;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1 && T * nkv > 1)
        for (int tk = 0; tk < T * nkv; tk++) {
            const int t = tk / nkv, hk = tk % nkv;
            const KVSeq & s = *rows[t].kv;
            const size_t base = ((size_t)l * nkv + hk) * s.cap * hd;
            const KVView kv = s.bf16 ? KVView{&s.kh[base], &s.vh[base], DType::BF16} : KVView{&s.k[base], &s.v[base], DType::F32};
            attend(&att[(size_t)t * qd + (size_t)hk * G * hd], &q[(size_t)t * qd + (size_t)hk * G * hd], G, hd, kv, hd, rows[t].pos + 1, scale);
        }
        matmul(tmp.data(), d, att.data(), T, qd, L.wo.data, L.wo.dtype, d, nullptr, nt);
#pragma omp parallel for schedule(static) num_threads(nt) if (par_rows)
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < d; i++) x[(size_t)t * d + i] += tmp[(size_t)t * d + i];
            rmsnorm(&xn[(size_t)t * d], &x[(size_t)t * d], L.ffn_norm.data(), 1, d, c.norm_eps);
        }
        matmul(g.data(), c.n_ff, xn.data(), T, d, L.wg.data, L.wg.dtype, c.n_ff, nullptr, nt);
        matmul(u.data(), c.n_ff, xn.data(), T, d, L.wu.data, L.wu.dtype, c.n_ff, nullptr, nt);
        const int64_t nff = (int64_t)T * c.n_ff;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && nff >= 65536)
        for (int64_t i = 0; i < nff; i++) g[i] = g[i] / (1.f + std::exp(-g[i])) * u[i]; // SwiGLU
        matmul(tmp.data(), d, g.data(), T, c.n_ff, L.wd.data, L.wd.dtype, d, nullptr, nt);
        for (size_t i = 0; i < x.size(); i++) x[i] += tmp[i];
    }
    for (auto & r : rows) r.kv->len = std::max(r.kv->len, r.pos + 1);
    if (want.empty()) return;
    std::vector<float> xs((size_t)want.size() * d);
    for (size_t i = 0; i < want.size(); i++) std::memcpy(&xs[i * d], &x[(size_t)want[i] * d], d * sizeof(float));
    rmsnorm(xs.data(), xs.data(), m.final_norm.data(), (int)want.size(), d, c.norm_eps);
    matmul(logits, c.n_vocab, xs.data(), (int)want.size(), d, m.lm_head.data, m.lm_head.dtype, c.n_vocab, nullptr, nt);
}

} // namespace openrs
