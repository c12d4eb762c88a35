// model.cpp: binds a checkpoint's safetensors tensors to the model's weights, checking each shape against config.json.
#include "model.hpp"

#include "kernels/dtype.hpp"

namespace openrs {

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

bool model_load(Model & m, const std::string & dir, std::string & err) {
    Config & c = m.cfg;
    if (!config_load(dir, c, err)) return false;
    if (!m.st.open_dir(dir, err)) return false;
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

} // namespace openrs
