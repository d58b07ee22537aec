#!/usr/bin/env python3
"""Hugging Face tokenizers' side of benchmarks/tokenizer_bench.cpp.

Usage: hf_tokenizer_throughput.py TOKENIZER_DIR TEXT_FILE THREADS RUNS
Loads the directory's tokenizer with AutoTokenizer (the Rust backend of the
fast tokenizer), encodes every non-empty line with encode_batch (no special
tokens) once to warm up, then RUNS times, and prints one JSON line: the token
count, the sum of ids (so the two sides can be checked to agree) and each
run's seconds. THREADS sets RAYON_NUM_THREADS, the batch's thread pool.
"""
import json
import os
import sys
import time

tokenizer_dir, text_file, threads, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.environ["RAYON_NUM_THREADS"] = str(threads)
os.environ["TOKENIZERS_PARALLELISM"] = "true"
from transformers import AutoTokenizer  # noqa: E402  (after the thread settings)

backend = AutoTokenizer.from_pretrained(tokenizer_dir).backend_tokenizer
backend.no_truncation()
backend.no_padding()
with open(text_file, encoding="utf-8", errors="replace") as f:
    lines = [line for line in f.read().split("\n") if line]

encodings = backend.encode_batch(lines, add_special_tokens=False)
tokens = sum(len(e.ids) for e in encodings)
id_sum = sum(sum(e.ids) for e in encodings)
seconds = []
for _ in range(runs):
    start = time.perf_counter()
    backend.encode_batch(lines, add_special_tokens=False)
    seconds.append(time.perf_counter() - start)
print(json.dumps({"tokens": tokens, "id_sum": id_sum, "seconds": seconds}))
