// config.cpp: config.json parsing and the RoPE frequency table (plain, linear, llama3, yarn).
#include "config.hpp"

#include <algorithm>
#include <cmath>

#include "json.hpp"
#include "safetensors.hpp"

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
        if (type == "linear") {
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
        }
        c.rope_type = type;
    }
    c.rope_inv_freq.assign(inv.begin(), inv.end());
    c.rope_attn_factor = (float)attn;
    return true;
}

bool config_load(const std::string & dir, Config & c, std::string & err) {
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

} // namespace openrs
