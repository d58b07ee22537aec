#pragma once
// The tokenizer a model directory ships, as transformers' AutoTokenizer finds
// it: tokenizer.json (the Hugging Face tokenizers format) first, else GPT-2's
// vocab.json + merges.txt, else BERT's vocab.txt (with tokenizer_config.json's
// do_lower_case, strip_accents and tokenize_chinese_chars when present).

#include "engine/tokenizer/tokenizer.h"

#include <memory>
#include <string>

namespace tandem {

// nullptr when the directory holds none of those files. Throws
// RuntimeFailure naming the file and the key for a file it cannot use.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir);

// The tokenizer for --model_name_or_path: the directory's own, else the byte
// tokenizer (presets, and directories saved from a byte-vocabulary model).
std::unique_ptr<Tokenizer> tokenizer_for_model(const std::string& model_name_or_path);

// The files load_tokenizer reads, present in `model_dir` (to copy beside a saved model).
std::vector<std::string> tokenizer_files(const std::string& model_dir);

}  // namespace tandem
