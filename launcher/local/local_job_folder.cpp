#include "launcher/local/local_job_folder.h"

#include <regex>

#include "engine/error.h"
#include "launcher/job/job_folder.h"

namespace tandem::launcher {
namespace fs = std::filesystem;

namespace {

// What an earlier launch into the same folder left: host trees (any count),
// output, and the default checkpoint folder. Nothing else is touched.
void remove_previous_launch(const LocalLaunch& plan, bool own_checkpoints) {
  static const std::regex host_folder("algo-[0-9]+");
  std::error_code ec;
  if (!fs::is_directory(plan.job_dir, ec)) return;
  for (const auto& entry : fs::directory_iterator(plan.job_dir)) {
    if (std::regex_match(entry.path().filename().string(), host_folder)) fs::remove_all(entry.path());
  }
  fs::remove_all(plan.output_dir());
  if (own_checkpoints) fs::remove_all(plan.checkpoints);
}

}  // namespace

void prepare_local_job_folder(const JobSpec& job, const LocalLaunch& plan, const fs::path& job_file_dir) {
  try {
    remove_previous_launch(plan, job.checkpoint_s3_uri.empty());
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
