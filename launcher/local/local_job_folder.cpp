#include "launcher/local/local_job_folder.h"

#include <fstream>
#include <regex>

#include "engine/error.h"
#include "launcher/job/job_folder.h"

namespace tandem::launcher {
namespace fs = std::filesystem;

namespace {

// Marks a folder as made by `tandem launch`: only such a folder (or an empty
// or new one) is ever cleaned for a relaunch.
constexpr const char* kMarker = ".tandem-job";

void claim_job_folder(const fs::path& job_dir) {
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(job_dir, ec));
  if (exists && !fs::is_directory(fs::symlink_status(job_dir, ec)))
    throw UsageError("--job_dir " + job_dir.string() + ": exists and is not a folder (expected a new or empty folder)");
  if (exists && !fs::is_regular_file(fs::symlink_status(job_dir / kMarker, ec)) && !fs::is_empty(job_dir, ec))
    throw UsageError("--job_dir " + job_dir.string() + ": is not empty and was not made by tandem launch (no " +
                     kMarker + "); choose a new or empty folder");
  fs::create_directories(job_dir);
  if (!fs::exists(job_dir / kMarker)) {
    std::ofstream marker(job_dir / kMarker);
    marker << "made by tandem launch\n";
    if (!marker.flush()) throw RuntimeFailure(job_dir.string() + ": cannot write " + kMarker);
  }
}

// What an earlier launch into the same folder left: host trees (any count)
// and output. Checkpoints always stay: a relaunch resumes from them.
void remove_previous_launch(const LocalLaunch& plan) {
  static const std::regex host_folder("algo-[0-9]+");
  for (const auto& entry : fs::directory_iterator(plan.job_dir)) {
    if (std::regex_match(entry.path().filename().string(), host_folder)) fs::remove_all(entry.path());
  }
  fs::remove_all(plan.output_dir());
}

}  // namespace

void prepare_local_job_folder(const JobSpec& job, const LocalLaunch& plan, const fs::path& job_file_dir) {
  try {
    claim_job_folder(plan.job_dir);
    remove_previous_launch(plan);
    write_job_folder(job, plan.job_dir, ChannelData::Symlink, "lo");
    fs::create_directories(plan.output_dir());
    fs::create_directories(plan.checkpoints);
    for (const auto& host : plan.hosts) {
      const fs::path link = host.root / plan.checkpoint_link;
      fs::remove_all(link);
      fs::create_directories(link.parent_path());
      fs::create_directory_symlink(plan.checkpoints, link);
      if (plan.entry_script) {
        const fs::path target = host.root / "code" / *plan.entry_script;
        fs::create_directories(target.parent_path());
        fs::copy_file(job_file_dir / *plan.entry_script, target, fs::copy_options::overwrite_existing);
        // The toolkit makes the entry point executable before running it.
        fs::permissions(target, fs::perms::owner_all | fs::perms::group_all | fs::perms::others_all);
      }
    }
  } catch (const fs::filesystem_error& e) {
    throw RuntimeFailure("job folder " + plan.job_dir.string() + ": " + e.what());
  }
}

}  // namespace tandem::launcher
