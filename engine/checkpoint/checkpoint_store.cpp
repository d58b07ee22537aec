#include "engine/checkpoint/checkpoint_store.h"

#include "engine/error.h"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace tandem {
namespace fs = std::filesystem;

CheckpointStore::CheckpointStore(std::string output_dir, int save_total_limit)
    : dir_(std::move(output_dir)), save_total_limit_(save_total_limit) {}

std::vector<int> CheckpointStore::complete_steps() const {
  std::vector<int> steps;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return steps;
  static const std::regex pattern("checkpoint-([0-9]+)");
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    // The state file is written last, so its presence marks a complete folder.
    if (std::regex_match(name, m, pattern) && fs::exists(entry.path() / kStateFile))
      steps.push_back(std::stoi(m[1].str()));
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::optional<std::string> CheckpointStore::latest() const {
  auto steps = complete_steps();
  if (steps.empty()) return std::nullopt;
  return (fs::path(dir_) / folder_name(steps.back())).string();
}

std::string CheckpointStore::partial_path(int step) const {
  const fs::path partial = fs::path(dir_) / (folder_name(step) + ".partial");
  std::error_code ec;
  fs::create_directories(partial, ec);
  if (ec) throw RuntimeFailure(partial.string() + ": cannot create checkpoint folder (" + ec.message() + ")");
  return partial.string();
}

std::string CheckpointStore::begin(int step) const {
  std::error_code ec;
  fs::remove_all(fs::path(dir_) / (folder_name(step) + ".partial"), ec);
  return partial_path(step);
}

bool CheckpointStore::commit(int step) const {
  const fs::path partial = fs::path(dir_) / (folder_name(step) + ".partial");
  const auto final_dir = fs::path(dir_) / folder_name(step);
  std::error_code ec;
  if (!fs::exists(partial, ec)) return false;
  fs::remove_all(final_dir, ec);
  fs::rename(partial, final_dir, ec);
  if (ec) throw RuntimeFailure(final_dir.string() + ": cannot complete checkpoint (" + ec.message() + ")");
  if (save_total_limit_ > 0) {
    auto steps = complete_steps();
    while (static_cast<int>(steps.size()) > save_total_limit_) {
      fs::remove_all(fs::path(dir_) / folder_name(steps.front()), ec);
      steps.erase(steps.begin());
    }
  }
  return true;
}

void CheckpointStore::remove_partials() const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint-", 0) == 0 && name.size() > 8 && name.substr(name.size() - 8) == ".partial")
      fs::remove_all(entry.path(), ec);
  }
}

}  // namespace tandem
