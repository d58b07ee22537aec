#!/usr/bin/env python3
"""Helpers of scripts/gpu_check.sh: input files, metrics.jsonl checks and the
JSON it writes (summary.json, benchmark.json). Standard library only.

  record SUMMARY NAME STATUS SECONDS LOG [--detail FILE] [--reason TEXT]
  finish SUMMARY                          totals; exit 1 when a step failed
  make-text DIR                           a few KB of generated text (.txt channel)
  make-shard DIR VOCAB TOKENS             an llm.c token shard of random tokens
  gpt2-config DIR LAYERS D HEADS VOCAB POSITIONS
  check-run METRICS STEPS DETAIL [--ref METRICS --tol X] [--need KEY] [--from-step N]
  tandem-tps METRICS DETAIL
  benchmark OUT_JSON --tandem DETAIL [--eager JSON] [--compile JSON] --mode M --shape L,D,H,V,T,B
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import time

TAIL_CHARS = 3000
SHARD_MAGIC = 20240520  # engine/data/channel.h kShardMagic
H200_BF16_DENSE_PEAK = 989e12


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def tail(path, n=TAIL_CHARS):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def train_records(path):
    """The per-step train records of a metrics.jsonl (those with a "loss"), by step."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if "loss" in r and "step" in r:
                out[int(r["step"])] = r
    return out


def short(detail):
    """One line of a step's detail for the console."""
    if not isinstance(detail, dict):
        return ""
    keys = ["reason", "max_rel_diff", "tokens_per_second", "tandem_over_eager", "tandem_over_compile",
            "tests_passed", "tests_skipped", "cuda", "nccl", "resumed", "loss_scale", "last_loss"]
    parts = []
    for k in keys:
        if k in detail and detail[k] is not None:
            v = detail[k]
            parts.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
    return " ".join(parts)


def failure_line(log):
    """The first line of the output tail that names an error (else the last one), for the console."""
    lines = [l.strip() for l in tail(log).splitlines() if l.strip() and not l.startswith("+ ")]
    for l in lines:
        low = l.lower()
        if "error" in low or "failed" in low or "what():" in low or "timed out" in low:
            return l[:200]
    return lines[-1][:200] if lines else ""


def cmd_record(a):
    summary = load_json(a.summary, {}) or {}
    summary.setdefault("steps", [])
    detail = load_json(a.detail) if a.detail else None
    entry = {"name": a.name, "status": a.status, "seconds": round(float(a.seconds), 2)}
    reason = a.reason or (detail.get("reason") if isinstance(detail, dict) else None)
    if reason:
        entry["reason"] = reason
    if detail is not None:
        entry["detail"] = detail
    if a.log and os.path.exists(a.log):
        entry["log"] = os.path.basename(a.log)
        entry["output_tail"] = tail(a.log)
    summary["steps"] = [s for s in summary["steps"] if s["name"] != a.name] + [entry]
    write_json(a.summary, summary)
    line = f"gpu_check: {a.status.upper():7s} {a.name:24s} {float(a.seconds):7.1f} s"
    extra = reason if a.status == "skipped" else short(detail) or (reason or "")
    if a.status == "fail" and not extra:
        extra = failure_line(a.log) if a.log else ""
    print(line + (f"  {extra}" if extra else ""), flush=True)


def cmd_finish(a):
    summary = load_json(a.summary, {}) or {}
    steps = summary.get("steps", [])
    counts = {k: sum(1 for s in steps if s["status"] == k) for k in ("pass", "fail", "skipped")}
    summary.update(counts)
    summary["ok"] = counts["fail"] == 0
    summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_json(a.summary, summary)
    failed = [s["name"] for s in steps if s["status"] == "fail"]
    print(f"gpu_check: {counts['pass']} passed, {counts['fail']} failed, {counts['skipped']} skipped"
          + (f" (failed: {', '.join(failed)})" if failed else ""))
    sys.exit(1 if failed else 0)


def cmd_make_text(a):
    os.makedirs(a.dir, exist_ok=True)
    r = random.Random(1234)
    words = ("the quick brown fox jumps over a lazy dog while tandem trains small models on many ranks "
             "every step sums gradients and checkpoints resume where they stopped").split()
    for i in range(2):
        lines = [" ".join(r.choice(words) for _ in range(r.randint(6, 14))).capitalize() + "." for _ in range(400)]
        with open(os.path.join(a.dir, f"part{i}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def cmd_make_shard(a):
    os.makedirs(a.dir, exist_ok=True)
    n = a.tokens
    try:
        import numpy as np
        body = np.random.default_rng(7).integers(0, a.vocab, size=n, dtype=np.uint16).tobytes()
    except ImportError:
        r = random.Random(7)
        body = struct.pack(f"<{n}H", *(r.randrange(a.vocab) for _ in range(n)))
    header = struct.pack("<256i", SHARD_MAGIC, 1, n, *([0] * 253))
    with open(os.path.join(a.dir, "train_000000.bin"), "wb") as f:
        f.write(header)
        f.write(body)


def cmd_gpt2_config(a):
    os.makedirs(a.dir, exist_ok=True)
    write_json(os.path.join(a.dir, "config.json"), {
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
        "n_layer": a.layers, "n_embd": a.d, "n_head": a.heads, "vocab_size": a.vocab,
        "n_positions": a.positions, "n_ctx": a.positions, "n_inner": 4 * a.d,
        "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,  # the peer has no dropout
        "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "tie_word_embeddings": True})


def max_rel_diff(a, b, steps):
    return max(abs(a[s]["loss"] - b[s]["loss"]) / max(abs(b[s]["loss"]), 1e-12) for s in steps)


def cmd_check_run(a):
    """Pass when METRICS has finite losses for steps from..STEPS, the keys asked
    for, and (with --ref) per-step losses within --tol of the reference's."""
    detail, problems = {"metrics": a.metrics}, []
    try:
        recs = train_records(a.metrics)
    except (OSError, ValueError) as e:
        recs = {}
        problems.append(f"cannot read {a.metrics}: {e}")
    want = list(range(a.from_step, a.steps + 1))
    missing = [s for s in want if s not in recs]
    if recs and missing:
        problems.append(f"no train record for steps {missing}")
    present = [s for s in want if s in recs]
    if present:
        detail["losses"] = [round(recs[s]["loss"], 6) for s in present]
        detail["last_loss"] = recs[present[-1]]["loss"]
        bad = [s for s in present if not math.isfinite(recs[s]["loss"])]
        if bad:
            problems.append(f"non-finite loss at steps {bad}")
    for key in a.need or []:
        have = [s for s in present if key in recs[s]]
        if not have:
            problems.append(f"no \"{key}\" in the train records")
        else:
            detail[key] = recs[have[-1]][key]
    if a.ref:
        try:
            ref = train_records(a.ref)
            both = [s for s in present if s in ref]
            if not both:
                problems.append(f"no common step with the reference {a.ref}")
            else:
                d = max_rel_diff(recs, ref, both)
                detail.update({"reference": a.ref, "compared_steps": both, "max_rel_diff": d, "tolerance": a.tol,
                               "reference_losses": [round(ref[s]["loss"], 6) for s in both]})
                if not d < a.tol:
                    problems.append(f"max relative loss difference {d:.3g} >= {a.tol:g} against {a.ref}")
        except (OSError, ValueError) as e:
            problems.append(f"cannot read the reference {a.ref}: {e}")
    if problems:
        detail["reason"] = "; ".join(problems)
    write_json(a.detail, detail)
    sys.exit(1 if problems else 0)


def cmd_tandem_tps(a):
    """Median tokens/s of the logged windows after the first (the first is step 1 alone, with warm-up)."""
    detail = {"metrics": a.metrics}
    try:
        recs = train_records(a.metrics)
    except (OSError, ValueError) as e:
        detail["reason"] = f"cannot read {a.metrics}: {e}"
        write_json(a.detail, detail)
        sys.exit(1)
    steps = sorted(recs)
    windows = [(s, recs[s]["tokens_per_second"]) for s in steps[1:]]
    detail["windows"] = [{"step": s, "tokens_per_second": round(t, 1)} for s, t in windows]
    if not windows:
        detail["reason"] = f"fewer than two logged windows in {a.metrics}"
        write_json(a.detail, detail)
        sys.exit(1)
    v = sorted(t for _, t in windows)
    med = v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])
    detail["impl"] = "tandem"
    detail["tokens_per_second"] = round(med, 1)
    detail["last_loss"] = recs[steps[-1]]["loss"]
    write_json(a.detail, detail)


def cmd_benchmark(a):
    tandem = load_json(a.tandem) if a.tandem else None
    eager = load_json(a.eager) if a.eager else None
    compiled = load_json(a.compile) if a.compile else None

    def tps(x):
        return x.get("tokens_per_second") if isinstance(x, dict) else None

    def ratio(x, y):
        return round(x / y, 4) if x and y else None

    L, d, heads, vocab, T, B = (int(x) for x in a.shape.split(","))
    shape = {"layers": L, "d": d, "heads": heads, "vocab": vocab, "T": T, "batch": B}
    if a.mode == "gpu" and tps(tandem):
        # The peer's count: 6N + 12*L*d*T, N = all parameters but wpe (the head is tied to wte).
        n = vocab * d + L * (12 * d * d + 13 * d) + 2 * d
        tandem["mfu"] = round((6 * n + 12 * L * d * T) * tps(tandem) / H200_BF16_DENSE_PEAK, 4)
    out = {"mode": a.mode, "shape": shape, "tandem": tandem, "pytorch_eager": eager, "pytorch_compile": compiled,
           "tandem_over_eager": ratio(tps(tandem), tps(eager)),
           "tandem_over_compile": ratio(tps(tandem), tps(compiled))}
    write_json(a.out, out)
    print(json.dumps({k: out[k] for k in ("tandem_over_eager", "tandem_over_compile")}))
    if a.detail:
        d = {"tandem_over_eager": out["tandem_over_eager"], "tandem_over_compile": out["tandem_over_compile"],
             "benchmark_json": a.out}
        missing = [n for n, x in (("tandem", tandem), ("pytorch-eager", eager)) if not tps(x)]
        if missing:
            d["reason"] = "no tokens_per_second from " + " and ".join(missing)
        write_json(a.detail, d)
    if out["tandem_over_eager"] is None:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("record")
    for n in ("summary", "name", "status", "seconds", "log"):
        s.add_argument(n)
    s.add_argument("--detail")
    s.add_argument("--reason")
    s = sub.add_parser("finish")
    s.add_argument("summary")
    s = sub.add_parser("make-text")
    s.add_argument("dir")
    s = sub.add_parser("make-shard")
    s.add_argument("dir")
    s.add_argument("vocab", type=int)
    s.add_argument("tokens", type=int)
    s = sub.add_parser("gpt2-config")
    s.add_argument("dir")
    for n in ("layers", "d", "heads", "vocab", "positions"):
        s.add_argument(n, type=int)
    s = sub.add_parser("check-run")
    s.add_argument("metrics")
    s.add_argument("steps", type=int)
    s.add_argument("detail")
    s.add_argument("--from-step", type=int, default=1)
    s.add_argument("--ref")
    s.add_argument("--tol", type=float, default=1e-4)
    s.add_argument("--need", action="append")
    s = sub.add_parser("tandem-tps")
    s.add_argument("metrics")
    s.add_argument("detail")
    s = sub.add_parser("benchmark")
    s.add_argument("out")
    s.add_argument("--tandem")
    s.add_argument("--eager")
    s.add_argument("--compile")
    s.add_argument("--mode", default="")
    s.add_argument("--shape", default="")
    s.add_argument("--detail")
    a = p.parse_args()
    {"record": cmd_record, "finish": cmd_finish, "make-text": cmd_make_text, "make-shard": cmd_make_shard,
     "gpt2-config": cmd_gpt2_config, "check-run": cmd_check_run, "tandem-tps": cmd_tandem_tps,
     "benchmark": cmd_benchmark}[a.cmd](a)


if __name__ == "__main__":
    main()
