#include "engine/model/tokenizer_files.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/error.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem {
namespace fs = std::filesystem;

const std::vector<std::string>& tokenizer_file_names() {
  static const std::vector<std::string> names = {"tokenizer.json",          "tokenizer_config.json", "special_tokens_map.json",
                                                 "added_tokens.json",       "vocab.txt",             "vocab.json",
                                                 "merges.txt"};
  return names;
}

std::vector<std::string> copy_tokenizer_files(const std::string& from_dir, const std::string& to_dir) {
  std::vector<std::string> copied;
  for (const auto& name : tokenizer_file_names()) {
    const fs::path from = fs::path(from_dir) / name;
    if (!fs::is_regular_file(from)) continue;
    std::ifstream in(from, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) throw RuntimeFailure(from.string() + ": cannot read the tokenizer file");
    write_file_atomically((fs::path(to_dir) / name).string(), bytes.str());
    copied.push_back(name);
  }
  return copied;
}

}  // namespace tandem
