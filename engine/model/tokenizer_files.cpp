#include "engine/model/tokenizer_files.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/error.h"
#include "engine/tokenizer/load_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem {
namespace fs = std::filesystem;

std::vector<std::string> copy_tokenizer_files(const std::string& from_dir, const std::string& to_dir) {
  std::vector<std::string> copied;
  for (const auto& from : tokenizer_files(from_dir)) {
    std::ifstream in(from, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) throw RuntimeFailure(from + ": cannot read the tokenizer file");
    const std::string name = fs::path(from).filename().string();
    write_file_atomically((fs::path(to_dir) / name).string(), bytes.str());
    copied.push_back(name);
  }
  return copied;
}

}  // namespace tandem
