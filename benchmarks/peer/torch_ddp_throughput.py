#!/usr/bin/env python3
"""PyTorch peer of benchmarks/dp_scaling_bench.cpp: the GPT of
torch_gpt_throughput.py under DistributedDataParallel (gloo, default
bucket_cap_mb=25), one process per rank, started by mpirun (reads
OMPI_COMM_WORLD_RANK/SIZE). One rank trains the bare model, as tandem does
without a reducer. Rank 0 prints one JSON line: the median over steps of the
slowest rank's step time, and tokens/s = ranks * batch * T / that.

  mpirun -np 2 /usr/bin/python3 benchmarks/peer/torch_ddp_throughput.py [--port 29533] [shape flags]
"""
import argparse
import json
import os
import sys

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt_throughput import GPT, adamw, time_steps  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    for name, default in [("layers", 4), ("d", 256), ("heads", 4), ("T", 256), ("batch", 8), ("steps", 15),
                          ("warmup", 3), ("threads", 1), ("port", 29533)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))
    size = int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))
    torch.set_num_threads(a.threads)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{a.port}", rank=rank, world_size=size)

    torch.manual_seed(0)
    model = GPT(a.layers, a.d, a.heads, a.T)
    if size > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)  # bucket_cap_mb=25 by default
    opt = adamw(model)
    torch.manual_seed(1000 + rank)  # each replica its own data
    ids = torch.randint(0, 256, (a.batch, a.T + 1))
    x, y = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()

    dist.barrier()
    times = time_steps(model, opt, x, y, a.warmup, a.steps)
    # The job's step is its slowest rank's: max over ranks, step by step.
    slowest = torch.tensor(times, dtype=torch.float64)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    median = sorted(slowest.tolist())[len(times) // 2]
    if rank == 0:
        print(json.dumps({"impl": "pytorch-ddp" if size > 1 else "pytorch", "torch": torch.__version__,
                          "ranks": size, "layers": a.layers, "d": a.d, "T": a.T, "batch_per_rank": a.batch,
                          "threads": a.threads, "median_step_s": round(median, 6),
                          "tokens_per_second": round(size * a.batch * a.T / median, 1)}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
