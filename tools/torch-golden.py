#!/usr/bin/python3
"""torch-golden.py: PyTorch as an outside oracle for the training references.

Builds Qwen2 / Llama / Qwen3 tiny models in plain PyTorch (float64, written from the Hugging Face modeling
conventions: rotate_half RoPE with HF's rope scalings, repeat_kv GQA, Qwen3 q/k RMSNorm before RoPE, SwiGLU, tied
heads) and writes, per case, golden teacher-forced log-probs and entropies, the gradient of sum_t w_t * logprob_t for
every tensor, and the weights after three torch.optim.AdamW steps with clip_grad_norm_ and a LambdaLR schedule.

Not run by CI: the fixtures it writes (test/native/fixtures/torch-*.json) are committed, and
test/native/torch-fixtures.test.ts holds the TypeScript references to them without torch.

Regenerate (Debian's python3-torch; no other python packages):
    apt-get install python3-torch
    npx tsx tools/make-torch-fixtures.ts        # writes the tiny models + a spec, then runs this script
Direct use: /usr/bin/python3 tools/torch-golden.py SPEC.json OUT_DIR
"""
import hashlib
import json
import math
import os
import random
import re
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    """F32 safetensors -> {name: float64 tensor}."""
    with open(path, "rb") as f:
        buf = f.read()
    (hlen,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + hlen])
    base = 8 + hlen
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {t['dtype']}; the golden models are F32")
        b, e = t["data_offsets"]
        vals = struct.unpack(f"<{(e - b) // 4}f", buf[base + b : base + e])
        out[name] = torch.tensor(vals, dtype=torch.float64).reshape(t["shape"])
    return out, hashlib.sha256(buf).hexdigest()


def inv_freq_of(cfg):
    """RoPE inverse frequencies and attention scaling, after transformers' modeling_rope_utils."""
    theta = cfg.get("rope_theta", 10000.0)
    dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    base = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    rs = cfg.get("rope_scaling")
    if not rs:
        return base, 1.0
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "linear":
        return base / rs["factor"], 1.0
    if kind == "llama3":
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / base
        inv = torch.where(wavelen > low_wavelen, base / factor, base)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv / factor + smooth * inv
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, inv), 1.0
    if kind == "yarn":
        factor = rs["factor"]
        orig = rs.get("original_max_position_embeddings") or cfg["max_position_embeddings"]

        def get_mscale(scale, m=1.0):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

        af = rs.get("attention_factor")
        if af is None:
            m, mall = rs.get("mscale"), rs.get("mscale_all_dim")
            af = get_mscale(factor, m) / get_mscale(factor, mall) if m and mall else get_mscale(factor)
        beta_fast = rs.get("beta_fast") or 32
        beta_slow = rs.get("beta_slow") or 1

        def corr_dim(rot):
            return (dim * math.log(orig / (rot * 2 * math.pi))) / (2 * math.log(theta))

        lo, hi = math.floor(corr_dim(beta_fast)), math.ceil(corr_dim(beta_slow))
        if rs.get("truncate", True) is False:
            lo, hi = corr_dim(beta_fast), corr_dim(beta_slow)
        lo, hi = max(lo, 0), min(hi, dim - 1)
        if lo == hi:
            hi += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float64) - lo) / (hi - lo), 0, 1)
        extra = 1 - ramp
        return (base / factor) * (1 - extra) + base * extra, af
    raise SystemExit(f"rope type {kind} not supported here")


class Model:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        tensors, self.sha256 = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.names = list(tensors.keys())
        self.p = {n: t.clone().requires_grad_(True) for n, t in tensors.items()}
        c = self.cfg
        self.arch = c["architectures"][0]
        self.H, self.KV = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim") or c["hidden_size"] // self.H
        self.eps = c["rms_norm_eps"]
        self.inv_freq, self.attn_factor = inv_freq_of(c)
        self.tied = c.get("tie_word_embeddings", False)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    @staticmethod
    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def logits(self, tokens):
        P, H, KV, hd = self.p, self.H, self.KV, self.hd
        T = len(tokens)
        x = P["model.embed_tokens.weight"][torch.tensor(tokens)]
        freqs = torch.outer(torch.arange(T, dtype=torch.float64), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos() * self.attn_factor, emb.sin() * self.attn_factor
        mask = torch.full((T, T), float("-inf")).triu(1)
        for l in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{l}."

            def proj(name, inp):
                b = P.get(f"{p}self_attn.{name}_proj.bias")
                y = inp @ P[f"{p}self_attn.{name}_proj.weight"].T
                return y + b if b is not None else y

            h = self.rms(x, P[p + "input_layernorm.weight"])
            q = proj("q", h).view(T, H, hd).transpose(0, 1)  # [H, T, hd]
            k = proj("k", h).view(T, KV, hd).transpose(0, 1)
            v = proj("v", h).view(T, KV, hd).transpose(0, 1)
            if self.arch == "Qwen3ForCausalLM":
                q = self.rms(q, P[p + "self_attn.q_norm.weight"])
                k = self.rms(k, P[p + "self_attn.k_norm.weight"])
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            k = k.repeat_interleave(H // KV, dim=0)  # repeat_kv: query head h reads kv head h // group
            v = v.repeat_interleave(H // KV, dim=0)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1) @ v
            x = x + att.transpose(0, 1).reshape(T, H * hd) @ P[p + "self_attn.o_proj.weight"].T
            h = self.rms(x, P[p + "post_attention_layernorm.weight"])
            g = h @ P[p + "mlp.gate_proj.weight"].T
            u = h @ P[p + "mlp.up_proj.weight"].T
            x = x + (torch.nn.functional.silu(g) * u) @ P[p + "mlp.down_proj.weight"].T
        x = self.rms(x, P["model.norm.weight"])
        head = P["model.embed_tokens.weight"] if self.tied else P["lm_head.weight"]
        return x @ head.T

    def score(self, seqs, tau):
        """Per sequence: (logprobs, entropy) of tokens[promptLen:] under softmax(logits / tau)."""
        out = []
        for s in seqs:
            toks, pl = s["tokens"], s["promptLen"]
            z = self.logits(toks)[pl - 1 : len(toks) - 1] / tau
            logp = torch.log_softmax(z, dim=-1)
            lp = logp.gather(1, torch.tensor(toks[pl:]).unsqueeze(1)).squeeze(1)
            ent = -(logp.exp() * logp).sum(-1)
            out.append((lp, ent))
        return out


def objective(scored, weights):
    return sum((torch.tensor(w) * lp).sum() for (lp, _), w in zip(scored, weights))


def summary(t, rng, nsample=16):
    """Norm, sum and sampled coordinates (the largest |values| plus random ones) of a flattened tensor."""
    flat = t.detach().reshape(-1)
    n = flat.numel()
    top = torch.argsort(flat.abs(), descending=True)[:4].tolist()
    idx = sorted(set(top + [rng.randrange(n) for _ in range(nsample - len(top))]))
    return {"norm": flat.norm().item(), "sum": flat.sum().item(), "samples": [[i, flat[i].item()] for i in idx]}


def no_decay(name):
    """transformers' Trainer.get_decay_parameter_names exclusions: biases and norm weights."""
    n = name.lower()
    pats = [r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"]
    return any(re.search(pt, n) for pt in pats)


def lr_lambda(s):
    """transformers.optimization lr lambdas (warmup, then constant / linear / cosine / cosine with min lr)."""
    total, warm, cycles = s["totalSteps"], s.get("warmupSteps", 0), s.get("numCycles", 0.5)

    def f(step):
        if s["name"] == "constant":
            return 1.0
        if step < warm:
            return step / max(1, warm)
        if s["name"] == "constant_with_warmup":
            return 1.0
        if s["name"] == "linear":
            return max(0.0, (total - step) / max(1, total - warm))
        progress = (step - warm) / max(1, total - warm)
        factor = 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * progress))
        if s["name"] == "cosine_with_min_lr":
            rate = s["minLrRate"]
            factor = factor * (1 - rate) + rate
        return max(0.0, factor)

    return f


def run_case(case, model_dir):
    rng = random.Random(case["name"])
    m = Model(model_dir)
    if m.sha256 != case["weightsSha256"]:
        raise SystemExit(f"{case['name']}: model.safetensors sha256 differs from the spec")
    seqs, w, tau = case["sequences"], case["weights"], case["temperature"]
    scored = m.score(seqs, tau)
    L = objective(scored, w)
    L.backward()
    out = dict(case)
    out["torch"] = torch.__version__
    out["logprobs"] = [lp.tolist() for lp, _ in scored]
    out["entropy"] = [e.tolist() for _, e in scored]
    out["loss"] = L.item()
    out["grads"] = {n: summary(m.p[n].grad, rng) for n in m.names}

    # three AdamW steps descending on -L, clipped, under a LambdaLR schedule, as the HF Trainer runs them
    o = case["adamw"]
    m2 = Model(model_dir)
    params = [m2.p[n] for n in m2.names]
    groups = [
        {"params": [m2.p[n] for n in m2.names if not no_decay(n)], "weight_decay": o["weightDecay"]},
        {"params": [m2.p[n] for n in m2.names if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(o["schedule"]))
    steps = []
    for _ in range(o["steps"]):
        opt.zero_grad()
        loss = -objective(m2.score(seqs, tau), w)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, o["maxNorm"])
        steps.append({"lr": opt.param_groups[0]["lr"], "loss": loss.item(), "gradNorm": norm.item()})
        opt.step()
        sched.step()
    out["adamwResult"] = {
        "steps": steps,
        "delta": {n: summary(m2.p[n].detach() - m.p[n].detach(), rng) for n in m2.names},
    }
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: torch-golden.py SPEC.json OUT_DIR")
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    for case in spec["cases"]:
        res = run_case(case, case.pop("modelDir"))
        path = os.path.join(sys.argv[2], f"torch-{case['name']}.json")
        with open(path, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
