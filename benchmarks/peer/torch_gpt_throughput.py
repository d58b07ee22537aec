#!/usr/bin/env python3
"""PyTorch peer of benchmarks/dp_scaling_bench.cpp run as one process: the same GPT-2 layers
(Conv1D layout, causal softmax attention, tanh GELU, tied head), the same
AdamW step, the same shapes and thread count. Prints one JSON line."""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, layers):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.ln_2 = nn.LayerNorm(d)
        std = 0.02 / math.sqrt(2 * layers)
        self.c_attn_w = nn.Parameter(torch.randn(d, 3 * d) * 0.02)
        self.c_attn_b = nn.Parameter(torch.zeros(3 * d))
        self.attn_proj_w = nn.Parameter(torch.randn(d, d) * std)
        self.attn_proj_b = nn.Parameter(torch.zeros(d))
        self.c_fc_w = nn.Parameter(torch.randn(d, 4 * d) * 0.02)
        self.c_fc_b = nn.Parameter(torch.zeros(4 * d))
        self.mlp_proj_w = nn.Parameter(torch.randn(4 * d, d) * std)
        self.mlp_proj_b = nn.Parameter(torch.zeros(d))

    @staticmethod
    def conv1d(x, w, b):
        return torch.addmm(b, x.reshape(-1, x.size(-1)), w).view(*x.shape[:-1], w.size(1))

    def forward(self, x):
        B, T, d = x.shape
        hd = d // self.heads
        qkv = self.conv1d(self.ln_1(x), self.c_attn_w, self.c_attn_b).view(B, T, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        upper = torch.ones(T, T, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(upper, float("-inf"))
        y = torch.matmul(torch.softmax(scores, -1), v).transpose(1, 2).reshape(B, T, d)
        h = x + self.conv1d(y, self.attn_proj_w, self.attn_proj_b)
        m = F.gelu(self.conv1d(self.ln_2(h), self.c_fc_w, self.c_fc_b), approximate="tanh")
        return h + self.conv1d(m, self.mlp_proj_w, self.mlp_proj_b)


class GPT(nn.Module):
    def __init__(self, layers, d, heads, T, vocab=256):
        super().__init__()
        self.wte = nn.Parameter(torch.randn(vocab, d) * 0.02)
        self.wpe = nn.Parameter(torch.randn(T, d) * 0.01)
        self.blocks = nn.ModuleList(Block(d, heads, layers) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, ids):
        T = ids.size(1)
        h = F.embedding(ids, self.wte) + F.embedding(torch.arange(T), self.wpe)
        for b in self.blocks:
            h = b(h)
        return torch.matmul(self.ln_f(h), self.wte.t())


def adamw(model):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)


def time_steps(model, opt, x, y, warmup, steps):
    """Seconds of each training step after `warmup` untimed ones."""
    times = []
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        loss.backward()
        opt.step()
        if s >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def main():
    p = argparse.ArgumentParser()
    for name, default in [("layers", 4), ("d", 256), ("heads", 4), ("T", 256), ("batch", 8), ("steps", 20),
                          ("warmup", 3), ("threads", 1)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = GPT(a.layers, a.d, a.heads, a.T)
    opt = adamw(model)
    ids = torch.randint(0, 256, (a.batch, a.T + 1))
    x, y = ids[:, :-1], ids[:, 1:].contiguous()
    times = sorted(time_steps(model, opt, x, y, a.warmup, a.steps))
    median = times[len(times) // 2]
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "layers": a.layers, "d": a.d, "T": a.T,
                      "batch": a.batch, "threads": a.threads, "median_step_s": round(median, 6),
                      "tokens_per_second": round(a.batch * a.T / median, 1)}))


if __name__ == "__main__":
    main()
