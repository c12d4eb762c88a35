// trainer_io.cpp: AdamW + clip_grad_norm_ (torch semantics, f32 state, double scalars), Hugging Face checkpoints
// (f32 or bf16 safetensors + the source dir's config/tokenizer files) and the resumable training state; every
// directory is written beside its target and renamed into place, so a failed write leaves the old one intact.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "trainer.hpp"
#include "../threads.hpp"

namespace fs = std::filesystem;

namespace openrs {

// Sum of squares in fixed chunks combined in order: the same bits on every run and thread count.
static double sum_sq(const std::vector<float> & g, int nt) {
    const int64_t n = (int64_t)g.size(), CH = 1 << 16, nch = (n + CH - 1) / CH;
    std::vector<double> part(nch);
    parallel_for((int)nch, nch > 1 ? nt : 1, [&](int c) {
        double s = 0;
        for (int64_t i = c * CH; i < std::min(n, (c + 1) * CH); i++) s += (double)g[i] * g[i];
        part[c] = s;
    });
    double s = 0;
    for (double p : part) s += p;
    return s;
}

double Trainer::step(const AdamW & o) {
    const int nt = e_.n_threads;
    if (!(std::isfinite(o.lr) && o.lr >= 0)) throw std::runtime_error("AdamW: lr must be a finite number >= 0");
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.eps >= 0 && o.weight_decay >= 0 && o.max_grad_norm >= 0))
        throw std::runtime_error("AdamW: need 0 <= beta1, beta2 < 1 and eps, weight_decay, max_grad_norm >= 0");
    double sq = 0;
    for (const Param & p : params) {
        const double s = sum_sq(p.g, nt);
        if (!std::isfinite(s))
            throw std::runtime_error("step " + std::to_string(steps + 1) + ": gradient of " + p.name + " is not finite; no update applied");
        const double nrm = std::sqrt(s);
        sq += nrm * nrm;
    }
    const double total = std::sqrt(sq);
    const double coef = o.max_grad_norm > 0 ? std::min(o.max_grad_norm / (total + 1e-6), 1.0) : 1.0;
    steps++;
    const double bc1 = 1 - std::pow(o.beta1, (double)steps), bc2 = 1 - std::pow(o.beta2, (double)steps);
    const double step_size = o.lr / bc1, bc2s = std::sqrt(bc2);
    for (Param & p : params) {
        const double decay = 1 - o.lr * (o.hf_no_decay && p.no_decay ? 0.0 : o.weight_decay);
        float * w = p.w;
        float *g = p.g.data(), *m = p.m.data(), *v = p.v.data();
        parallel_range((int64_t)p.n, nt, 32768, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; i++) {
                const double gi = (double)g[i] * coef;
                const double mi = m[i] * o.beta1 + (1 - o.beta1) * gi;
                const double vi = v[i] * o.beta2 + (1 - o.beta2) * gi * gi;
                double wi = w[i] * decay;
                wi += -step_size * (mi / (std::sqrt(vi) / bc2s + o.eps));
                m[i] = (float)mi;
                v[i] = (float)vi;
                w[i] = (float)wi;
                g[i] = 0.f;
            }
        });
    }
    return total;
}

// Writes into a fresh sibling temp dir, then swaps it in for dir.
template <class F>
static void write_dir_atomically(const std::string & dir, F fill) {
    const fs::path target = fs::absolute(dir);
    const fs::path tmp = target.string() + ".tmp-" + std::to_string(getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    if (!fs::create_directories(tmp, ec) && ec) throw std::runtime_error("cannot create " + tmp.string() + ": " + ec.message());
    try {
        fill(tmp);
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    const fs::path old = target.string() + ".old-" + std::to_string(getpid());
    const bool had = fs::exists(target);
    if (had) {
        fs::rename(target, old, ec);
        if (ec) {
            fs::remove_all(tmp, ec);
            throw std::runtime_error("cannot replace " + target.string() + ": " + ec.message());
        }
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        std::error_code ec2;
        if (had) fs::rename(old, target, ec2);
        fs::remove_all(tmp, ec2);
        throw std::runtime_error("cannot rename into " + target.string() + ": " + ec.message());
    }
    if (had) fs::remove_all(old, ec);
}

static void write_all(std::ofstream & f, const void * p, size_t n, const fs::path & path) {
    f.write((const char *)p, (std::streamsize)n);
    if (!f) throw std::runtime_error("write failed: " + path.string() + " (disk full?)");
}

static uint16_t bf16_rne(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

void Trainer::save_checkpoint(const std::string & dir, bool bf16) const {
    for (const Param & p : params)
        for (size_t i = 0; i < p.n; i++)
            if (!std::isfinite(p.w[i])) throw std::runtime_error("weight " + p.name + " is not finite; checkpoint not written");
    write_dir_atomically(dir, [&](const fs::path & tmp) {
        // Tokenizer and template files come along unchanged; config.json too, but with torch_dtype naming the dtype
        // written (HF loads a checkpoint in that dtype); weights are ours.
        for (const auto & ent : fs::directory_iterator(src_dir)) {
            const std::string n = ent.path().filename().string();
            if (!ent.is_regular_file() || n.find(".safetensors") != std::string::npos) continue;
            if (n == "config.json") {
                std::ifstream in(ent.path(), std::ios::binary);
                std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                static const std::regex dtype_re("(\"torch_dtype\"\\s*:\\s*)\"[^\"]*\"");
                text = std::regex_replace(text, dtype_re, std::string("$1\"") + (bf16 ? "bfloat16" : "float32") + "\"");
                const fs::path out = tmp / n;
                std::ofstream f(out, std::ios::binary);
                write_all(f, text.data(), text.size(), out);
                f.close();
                if (!f) throw std::runtime_error("write failed: " + out.string() + " (disk full?)");
                continue;
            }
            fs::copy_file(ent.path(), tmp / n);
        }
        std::string hdr = "{\"__metadata__\":{\"format\":\"pt\"}";
        size_t off = 0;
        const size_t esz = bf16 ? 2 : 4;
        for (const Param & p : params) {
            hdr += ",\"" + p.name + "\":{\"dtype\":\"" + (bf16 ? "BF16" : "F32") + "\",\"shape\":[";
            for (size_t i = 0; i < p.shape.size(); i++) hdr += (i ? "," : "") + std::to_string(p.shape[i]);
            hdr += "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + p.n * esz) + "]}";
            off += p.n * esz;
        }
        hdr += "}";
        while (hdr.size() % 8) hdr += ' ';
        const fs::path path = tmp / "model.safetensors";
        std::ofstream f(path, std::ios::binary);
        const uint64_t hl = hdr.size();
        write_all(f, &hl, 8, path);
        write_all(f, hdr.data(), hdr.size(), path);
        std::vector<uint16_t> buf;
        for (const Param & p : params) {
            if (!bf16) {
                write_all(f, p.w, p.n * 4, path);
                continue;
            }
            buf.resize(p.n);
            for (size_t i = 0; i < p.n; i++) buf[i] = bf16_rne(p.w[i]);
            write_all(f, buf.data(), p.n * 2, path);
        }
        f.close();
        if (!f) throw std::runtime_error("write failed: " + path.string() + " (disk full?)");
    });
}

// state.bin: "ORSTATE1", step (int64), tensor count (int64), then per tensor: name length (int64), name, element
// count (int64), weights, first moments, second moments (f32). Gradients are not kept: save between steps.
static const char kMagic[8] = {'O', 'R', 'S', 'T', 'A', 'T', 'E', '1'};

void Trainer::save_state(const std::string & dir) const {
    write_dir_atomically(dir, [&](const fs::path & tmp) {
        const fs::path path = tmp / "state.bin";
        std::ofstream f(path, std::ios::binary);
        write_all(f, kMagic, 8, path);
        const int64_t hdr[2] = {steps, (int64_t)params.size()};
        write_all(f, hdr, sizeof hdr, path);
        for (const Param & p : params) {
            const int64_t nl = (int64_t)p.name.size(), n = (int64_t)p.n;
            write_all(f, &nl, 8, path);
            write_all(f, p.name.data(), p.name.size(), path);
            write_all(f, &n, 8, path);
            write_all(f, p.w, p.n * 4, path);
            write_all(f, p.m.data(), p.n * 4, path);
            write_all(f, p.v.data(), p.n * 4, path);
        }
        f.close();
        if (!f) throw std::runtime_error("write failed: " + path.string() + " (disk full?)");
        std::ofstream j(tmp / "state.json");
        j << "{\"format\": \"openrs-train-state-1\", \"step\": " << steps << ", \"tensors\": " << params.size() << "}\n";
        if (!j) throw std::runtime_error("write failed: " + (tmp / "state.json").string());
    });
}

void Trainer::load_state(const std::string & dir) {
    const fs::path path = fs::path(dir) / "state.bin";
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path.string());
    auto rd = [&](void * p, size_t n) {
        f.read((char *)p, (std::streamsize)n);
        if (!f) throw std::runtime_error(path.string() + " is truncated");
    };
    char magic[8];
    rd(magic, 8);
    if (std::memcmp(magic, kMagic, 8) != 0) throw std::runtime_error(path.string() + " is not an openrs training state");
    int64_t hdr[2];
    rd(hdr, sizeof hdr);
    if (hdr[1] != (int64_t)params.size())
        throw std::runtime_error(path.string() + " holds " + std::to_string(hdr[1]) + " tensors, the model has " + std::to_string(params.size()));
    // Read everything into staging first: a bad file leaves the live weights untouched.
    std::vector<std::vector<float>> stage(params.size());
    for (size_t k = 0; k < params.size(); k++) {
        const Param & p = params[k];
        int64_t nl, n;
        rd(&nl, 8);
        if (nl <= 0 || nl > 4096) throw std::runtime_error(path.string() + " is corrupt");
        std::string name((size_t)nl, ' ');
        rd(name.data(), (size_t)nl);
        rd(&n, 8);
        if (name != p.name || n != (int64_t)p.n)
            throw std::runtime_error(path.string() + ": tensor " + std::to_string(k) + " is " + name + " [" + std::to_string(n) + "], the model has " + p.name +
                                     " [" + std::to_string(p.n) + "]");
        stage[k].resize(3 * p.n);
        rd(stage[k].data(), 3 * p.n * 4);
    }
    for (size_t k = 0; k < params.size(); k++) {
        Param & p = params[k];
        std::memcpy(p.w, stage[k].data(), p.n * 4);
        std::memcpy(p.m.data(), stage[k].data() + p.n, p.n * 4);
        std::memcpy(p.v.data(), stage[k].data() + 2 * p.n, p.n * 4);
        std::fill(p.g.begin(), p.g.end(), 0.f);
    }
    steps = hdr[0];
}

} // namespace openrs
