#include "engine/checkpoint/checkpoint_store.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/checkpoint/checkpoint_manifest.h"
#include "engine/error.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/syscall.h>
#include <unistd.h>

namespace tandem {
namespace fs = std::filesystem;

namespace {

// "checkpoint-<digits>" with a step that fits an int; anything else is not a
// checkpoint folder of ours and is left alone.
std::optional<int> step_of(const std::string& name) {
  static const std::string prefix = "checkpoint-";
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return std::nullopt;
  int step = 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  const auto [end, ec] = std::from_chars(first, last, step);
  if (ec != std::errc() || end != last || step < 0 || !std::isdigit(static_cast<unsigned char>(*first)))
    return std::nullopt;
  return step;
}

// rename(2) that fails with EEXIST instead of replacing `to`: a committed
// folder is never removed to make room, so no moment exists where neither
// the old nor the new one is there.
int rename_no_replace(const fs::path& from, const fs::path& to) {
#ifdef SYS_renameat2
  constexpr unsigned kNoReplace = 1;  // RENAME_NOREPLACE
  if (::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), kNoReplace) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
#endif
  // Filesystems without renameat2 flags: rename(2) onto an existing non-empty
  // folder fails with ENOTEMPTY/EEXIST, which is the same refusal.
  std::error_code ec;
  if (fs::exists(to, ec)) {
    errno = EEXIST;
    return -1;
  }
  return std::rename(from.c_str(), to.c_str());
}

// A free name "<folder>.<what>", "<folder>.<what>-2", ... beside `folder`.
fs::path aside_name(const fs::path& folder, const std::string& what) {
  std::error_code ec;
  fs::path target = folder.string() + "." + what;
  for (int k = 2; fs::exists(target, ec); ++k) target = folder.string() + "." + what + "-" + std::to_string(k);
  return target;
}

}  // namespace

CheckpointStore::CheckpointStore(std::string output_dir, int save_total_limit)
    : dir_(std::move(output_dir)), save_total_limit_(save_total_limit) {}

std::string CheckpointStore::path(int step) const { return (fs::path(dir_) / folder_name(step)).string(); }

std::vector<int> CheckpointStore::steps() const {
  std::vector<int> steps;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return steps;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_directory(ec)) continue;
    if (const auto step = step_of(entry.path().filename().string())) steps.push_back(*step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::vector<int> CheckpointStore::complete_steps() const {
  std::vector<int> out;
  for (int step : steps())
    if (!checkpoint_problem(path(step))) out.push_back(step);
  return out;
}

std::optional<int> CheckpointStore::newest_verified(const std::function<void(const std::string&)>& warn) const {
  auto all = steps();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const fs::path folder = path(*it);
    const auto problem = checkpoint_problem(folder.string());
    if (!problem) return *it;
    const fs::path aside = aside_name(folder, "damaged");
    std::error_code ec;
    fs::rename(folder, aside, ec);
    if (ec) throw RuntimeFailure(folder.string() + ": does not verify (" + *problem + ") and cannot be set aside (" +
                                 ec.message() + ")");
    fsync_directory(dir_);
    warn(folder.string() + " does not verify (" + *problem + "); set aside as " + aside.filename().string() +
         ", resuming from an older checkpoint");
  }
  return std::nullopt;
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

void CheckpointStore::seal_rank(int step, int rank, const std::vector<std::string>& files) const {
  write_manifest(partial_path(step), rank_manifest_name(rank), files);
}

void CheckpointStore::rename_partial(int step) const {
  const fs::path partial = fs::path(dir_) / (folder_name(step) + ".partial");
  const fs::path final_dir = path(step);
  fsync_directory(partial.string());
  if (rename_no_replace(partial, final_dir) != 0) {
    if (errno != EEXIST && errno != ENOTEMPTY)
      throw RuntimeFailure(final_dir.string() + ": cannot complete checkpoint (" + std::strerror(errno) + ")");
    // A folder of that step is there already (a run that crashed after its
    // commit and resumed from an earlier one): it moves aside, kept.
    std::error_code ec;
    fs::rename(final_dir, aside_name(final_dir, "superseded"), ec);
    if (ec || rename_no_replace(partial, final_dir) != 0)
      throw RuntimeFailure(final_dir.string() + ": cannot complete checkpoint (" +
                           (ec ? ec.message() : std::string(std::strerror(errno))) + ")");
  }
  fsync_directory(dir_);
}

void CheckpointStore::commit(int step, int world_size, const std::vector<std::string>& files) const {
  write_manifest(partial_path(step), kJobManifest, files, world_size);
  rename_partial(step);
  // What this host wrote: where hosts do not share output_dir, the other
  // hosts' parts join it only when the folders are merged.
  if (const auto problem = host_part_problem(path(step)))
    throw RuntimeFailure(path(step) + ": the checkpoint just written does not verify (" + *problem + ")");
  prune(step);
}

bool CheckpointStore::commit_host_part(int step) const {
  std::error_code ec;
  if (!fs::exists(fs::path(dir_) / (folder_name(step) + ".partial"), ec)) return false;
  rename_partial(step);
  if (const auto problem = host_part_problem(path(step)))
    throw RuntimeFailure(path(step) + ": the checkpoint just written does not verify (" + *problem + ")");
  prune(step);
  return true;
}

void CheckpointStore::prune(int newest) const {
  if (save_total_limit_ <= 0) return;
  // Runs only once `newest` verified; it and the save_total_limit - 1 folders
  // before it stay. Folders of later steps (a resumed run re-saving) are left alone.
  std::vector<int> older;
  for (int step : steps())
    if (step <= newest) older.push_back(step);
  std::error_code ec;
  while (static_cast<int>(older.size()) > save_total_limit_ && older.front() != newest) {
    fs::remove_all(path(older.front()), ec);
    older.erase(older.begin());
  }
  fsync_directory(dir_);
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
