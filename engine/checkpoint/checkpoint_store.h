#pragma once
// checkpoint-<step>/ folders under output_dir. A checkpoint is written into
// "checkpoint-<step>.partial" and renamed only when every file is in place, so
// a crash mid-write leaves the previous checkpoint as the newest complete one.
// Several ranks may write shards into the same partial folder between begin()
// and commit(); the caller orders them with barriers.

#include <optional>
#include <string>
#include <vector>

namespace tandem {

class CheckpointStore {
 public:
  CheckpointStore(std::string output_dir, int save_total_limit);

  const std::string& dir() const { return dir_; }
  // The newest complete checkpoint folder, if any.
  std::optional<std::string> latest() const;
  std::vector<int> complete_steps() const;

  // Creates (fresh) the partial folder for `step` and returns its path.
  std::string begin(int step) const;
  // The partial folder's path, created if this host does not have it yet.
  std::string partial_path(int step) const;
  // Renames the partial folder to checkpoint-<step> and applies
  // save_total_limit. False when there is no partial folder (another process
  // sharing this filesystem committed it already).
  bool commit(int step) const;
  // Removes partial folders left by a crash.
  void remove_partials() const;

  static std::string folder_name(int step) { return "checkpoint-" + std::to_string(step); }
  static constexpr const char* kStateFile = "trainer_state.json";

 private:
  std::string dir_;
  int save_total_limit_;
};

}  // namespace tandem
