#pragma once
// The tokenizer travels with the model: a model saved from a Hugging Face
// directory gets that directory's tokenizer files, so transformers'
// AutoTokenizer loads the output directory as it loaded the input.

#include <string>
#include <vector>

namespace tandem {

// Copies the tokenizer files of `from_dir` (engine/tokenizer/load_tokenizer.h's
// tokenizer_files) into `to_dir`, each atomically; returns their names. Throws
// RuntimeFailure naming the file when one cannot be read or written.
std::vector<std::string> copy_tokenizer_files(const std::string& from_dir, const std::string& to_dir);

}  // namespace tandem
