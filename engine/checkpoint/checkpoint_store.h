#pragma once
// checkpoint-<step>/ folders under output_dir. A checkpoint is written into
// "checkpoint-<step>.partial": every rank writes its own files and lists them
// in its manifest (engine/checkpoint/checkpoint_manifest.h), then the one
// committer writes the job manifest last, fsyncs the folder, renames it to
// checkpoint-<step> without replacing anything there, fsyncs output_dir, and
// only once the renamed folder verifies prunes by save_total_limit. A crash
// at any point leaves the previous verified checkpoint the newest one. The
// caller orders ranks with barriers between those phases.

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

class CheckpointStore {
 public:
  CheckpointStore(std::string output_dir, int save_total_limit);

  const std::string& dir() const { return dir_; }
  // Steps of the checkpoint-<step> folders present, verified or not, ascending.
  std::vector<int> steps() const;
  // Steps whose folder verifies, ascending (reads every file).
  std::vector<int> complete_steps() const;
  // The newest checkpoint that verifies. Newer folders that do not are renamed
  // to checkpoint-<step>.damaged (never deleted) and reported through `warn`.
  std::optional<int> newest_verified(const std::function<void(const std::string&)>& warn) const;
  std::string path(int step) const;

  // Creates (fresh) the partial folder for `step` and returns its path.
  std::string begin(int step) const;
  // The partial folder's path, created if this host does not have it yet.
  std::string partial_path(int step) const;
  // One rank's part: lists `files` (written by this rank into the partial folder) in its manifest.
  void seal_rank(int step, int rank, const std::vector<std::string>& files) const;
  // The committer: writes the job manifest over `files` (its own, e.g. the
  // state file) for `world_size` ranks, renames, verifies, then prunes.
  // Throws RuntimeFailure when the renamed folder does not verify.
  void commit(int step, int world_size, const std::vector<std::string>& files) const;
  // Another host's first rank, where hosts do not share output_dir: renames
  // this host's partial folder. False when there is none (the folder is
  // shared and the committer renamed it).
  bool commit_host_part(int step) const;
  // Removes partial folders left by a crash.
  void remove_partials() const;

  static std::string folder_name(int step) { return "checkpoint-" + std::to_string(step); }
  static constexpr const char* kStateFile = "trainer_state.json";

 private:
  void rename_partial(int step) const;
  void prune(int newest) const;

  std::string dir_;
  int save_total_limit_;
};

}  // namespace tandem
