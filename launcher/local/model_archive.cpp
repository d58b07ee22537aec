#include "launcher/local/model_archive.h"

#include <algorithm>
#include <string>

#include "engine/error.h"
#include "launcher/supervisor/child_process.h"

namespace tandem::launcher {

std::vector<std::string> model_archive_command(const std::vector<std::filesystem::path>& model_dirs,
                                               const std::filesystem::path& archive) {
  std::vector<std::string> command = {"tar", "-czf", archive.string()};
  bool any = false;
  for (const auto& dir : model_dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    if (names.empty()) continue;
    std::sort(names.begin(), names.end());
    command.insert(command.end(), {"-C", dir.string()});
    // A name starting with '-' would read as an option.
    for (const auto& name : names) command.push_back(name[0] == '-' ? "./" + name : name);
    any = true;
  }
  if (!any) command.insert(command.end(), {"--files-from", "/dev/null"});
  return command;
}

void write_model_archive(const std::vector<std::filesystem::path>& model_dirs, const std::filesystem::path& archive) {
  const int code = run_to_completion(ChildSpec(model_archive_command(model_dirs, archive)));
  if (code != 0) throw RuntimeFailure(archive.string() + ": tar exited with status " + std::to_string(code));
}

}  // namespace tandem::launcher
