#!/usr/bin/python3
"""train-torch-peer.py: the PyTorch CPU peer of `npm run bench:train`.

Builds a Qwen2-shaped decoder in plain PyTorch (f32, random weights: RMSNorm, q/k/v with bias, rotate-half RoPE,
GQA by repeat_interleave, causal softmax attention, SwiGLU, tied or untied head), and times forward + backward +
torch.optim.AdamW steps of a packed batch (loss: mean NLL of the tokens after each prompt) on the given thread count.
Prints one JSON line: {"torch": version, "steps": [seconds per step, ...], "params": n}.

Usage: /usr/bin/python3 tools/bench/train-torch-peer.py '{"hidden":256,...,"seqs":4,"seq_len":512,"prompt":16,
        "steps":3,"threads":2}'
"""
import json
import math
import sys
import time

import torch

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
H, L, NH, NKV, FF, V = cfg["hidden"], cfg["layers"], cfg["heads"], cfg["kvHeads"], cfg["ffn"], cfg["vocab"]
HD = H // NH


class RMSNorm(torch.nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(H), RMSNorm(H)
        self.q = torch.nn.Linear(H, NH * HD)
        self.k = torch.nn.Linear(H, NKV * HD)
        self.v = torch.nn.Linear(H, NKV * HD)
        self.o = torch.nn.Linear(NH * HD, H, bias=False)
        self.g = torch.nn.Linear(H, FF, bias=False)
        self.u = torch.nn.Linear(H, FF, bias=False)
        self.d = torch.nn.Linear(FF, H, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        h = self.n1(x)
        q = self.q(h).view(B, T, NH, HD).transpose(1, 2)
        k = self.k(h).view(B, T, NKV, HD).transpose(1, 2)
        v = self.v(h).view(B, T, NKV, HD).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(HD) + mask
        a = torch.softmax(s, dim=-1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(B, T, NH * HD))
        h = self.n2(x)
        return x + self.d(torch.nn.functional.silu(self.g(h)) * self.u(h))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, H)
        torch.nn.init.normal_(self.emb.weight, std=0.02)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(L)])
        self.norm = RMSNorm(H)
        self.head = None if cfg["tied"] else torch.nn.Linear(H, V, bias=False)

    def forward(self, ids):
        T = ids.shape[1]
        inv = 1.0 / (cfg.get("ropeTheta", 1000000.0) ** (torch.arange(0, HD, 2).float() / HD))
        ang = torch.outer(torch.arange(T).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        cos, sin = ang.cos(), ang.sin()
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.emb(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        x = self.norm(x)
        return x @ (self.emb.weight if self.head is None else self.head.weight).t()


model = Model()
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.0)
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, min(V, 256), (cfg["seqs"], cfg["seq_len"]), generator=g)
P = cfg["prompt"]
steps = []
for _ in range(cfg["steps"]):
    t0 = time.perf_counter()
    logits = model(ids[:, :-1])
    lp = torch.log_softmax(logits[:, P - 1 :], dim=-1)
    loss = -lp.gather(-1, ids[:, P:].unsqueeze(-1)).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    steps.append(time.perf_counter() - t0)
print(json.dumps({"torch": torch.__version__, "steps": steps, "params": params}))
