#!/usr/bin/env python3
"""PyTorch peer of a tandem GPT-2 training step, on the CPU or one GPU.

The model is torch_gpt_throughput.py's (GPT-2 layers in HF's Conv1D layout,
pre-LN, tanh GELU, tied head, GPT-2 initialisation) with attention through
F.scaled_dot_product_attention (causal) and positions on the model's device.
The step is AdamW (fused on CUDA, foreach on the CPU; no weight decay on
biases and norms), optionally under bf16 autocast, optionally torch.compile'd,
on random token batches [B, T+1] drawn from a fixed seed.

Prints ONE JSON line: impl, tokens_per_second (median timed step),
step_s_median/min/max, peak_memory_bytes and mfu (CUDA only, else null).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt_throughput import GPT  # noqa: E402  (same layers, same initialisation)

H200_BF16_DENSE_PEAK = 989e12  # FLOP/s, the MFU denominator


def sdpa_block(block, x):
    """torch_gpt_throughput.Block's forward with causal SDPA attention."""
    B, T, d = x.shape
    hd = d // block.heads
    qkv = block.conv1d(block.ln_1(x), block.c_attn_w, block.c_attn_b).view(B, T, 3, block.heads, hd).permute(2, 0, 3, 1, 4)
    y = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True).transpose(1, 2).reshape(B, T, d)
    h = x + block.conv1d(y, block.attn_proj_w, block.attn_proj_b)
    m = F.gelu(block.conv1d(block.ln_2(h), block.c_fc_w, block.c_fc_b), approximate="tanh")
    return h + block.conv1d(m, block.mlp_proj_w, block.mlp_proj_b)


class GPT2(GPT):
    """wte + wpe, n_layer pre-LN blocks, ln_f, head tied to wte."""

    def forward(self, ids):
        T = ids.size(1)
        h = F.embedding(ids, self.wte) + F.embedding(torch.arange(T, device=ids.device), self.wpe)
        for b in self.blocks:
            h = sdpa_block(b, h)
        return torch.matmul(self.ln_f(h), self.wte.t())


def make_optimizer(model, device, weight_decay):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # biases and LayerNorm weights
    kind = {"fused": True} if device.type == "cuda" else {"foreach": True}
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=3e-4, betas=(0.9, 0.999), eps=1e-8, **kind)


def flops_per_token(model, a):
    """6N + 12*L*d*T, N without the position table (nanoGPT/PaLM convention; wte counts once, as the head)."""
    n = sum(p.numel() for p in model.parameters()) - model.wpe.numel()
    return 6 * n + 12 * a.layers * a.d * a.T, n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in [("layers", 12), ("d", 768), ("heads", 12), ("vocab", 50304), ("T", 1024), ("batch", 16),
                          ("steps", 20), ("warmup", 3), ("threads", 0), ("seed", 0)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    p.add_argument("--dtype", choices=["bf16", "fp32"], default="bf16", help="bf16: autocast; fp32: none")
    p.add_argument("--compile", type=int, choices=[0, 1], default=0)
    p.add_argument("--weight_decay", type=float, default=0.1, help="on matrices only")
    a = p.parse_args()
    if a.steps < 1:
        p.error("--steps must be >= 1")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        p.error("--device cuda: torch sees no CUDA device")

    torch.manual_seed(a.seed)
    model = GPT2(a.layers, a.d, a.heads, a.T, vocab=a.vocab).to(device)
    opt = make_optimizer(model, device, a.weight_decay)
    fpt, n_params = flops_per_token(model, a)
    step_model = torch.compile(model) if a.compile else model

    gen = torch.Generator(device=device).manual_seed(a.seed + 1)
    batches = [torch.randint(0, a.vocab, (a.batch, a.T + 1), device=device, generator=gen)
               for _ in range(min(a.warmup + a.steps, 4))]
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.dtype == "bf16")

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    times, losses = [], []
    for s in range(a.warmup + a.steps):
        ids = batches[s % len(batches)]
        x, y = ids[:, :-1], ids[:, 1:]
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with autocast:
            logits = step_model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
        loss.backward()
        opt.step()
        sync()
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
        losses.append(loss.detach())
    last_loss = float(losses[-1])
    if not math.isfinite(last_loss):
        print(f"torch_gpt2_step: loss is {last_loss} after {len(losses)} steps", file=sys.stderr)
        sys.exit(1)

    ordered = sorted(times)
    median = ordered[len(ordered) // 2] if len(ordered) % 2 else 0.5 * (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2])
    tps = a.batch * a.T / median
    print(json.dumps({
        "impl": "pytorch-compile" if a.compile else "pytorch-eager",
        "tokens_per_second": round(tps, 1),
        "step_s_median": round(median, 6),
        "step_s_min": round(ordered[0], 6),
        "step_s_max": round(ordered[-1], 6),
        "peak_memory_bytes": torch.cuda.max_memory_allocated(device) if cuda else None,
        "mfu": round(fpt * tps / H200_BF16_DENSE_PEAK, 4) if cuda else None,
        "flops_per_token": fpt, "n_params": n_params,
        "torch": torch.__version__, "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "layers": a.layers, "d": a.d, "heads": a.heads, "vocab": a.vocab, "T": a.T, "batch": a.batch,
        "dtype": a.dtype, "steps": a.steps, "warmup": a.warmup, "threads": torch.get_num_threads(),
        "first_loss": round(float(losses[0]), 4), "last_loss": round(last_loss, 4)}))


if __name__ == "__main__":
    main()
