#include "launcher/supervisor/job_failure.h"
#include "launcher/supervisor/no_follow_file.h"

#include <fstream>

namespace tandem::launcher {
namespace {

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string first_line_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return trimmed(line);
}

// The last line a rank printed on stderr (without its tag), else mpirun's last
// line that is not a banner rule.
std::string last_error_line(const std::vector<std::string>& tail) {
  const std::string tag_end = "]<stderr>:";
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    const auto tag = it->find(tag_end);
    if (tag == std::string::npos || (*it)[0] != '[') continue;
    const std::string text = trimmed(it->substr(tag + tag_end.size()));
    if (!text.empty()) return text;
  }
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    const std::string line = trimmed(*it);
    if (!line.empty() && line.find_first_not_of("-*=") != std::string::npos) return line;
  }
  return "";
}

}  // namespace

std::string describe_job_failure(const JobOutcome& outcome, const std::vector<std::filesystem::path>& rank_failure_files,
                                 int max_run_seconds) {
  if (outcome.stop == StopReason::MaxRun) {
    const std::string how = outcome.killed_after_grace ? " and killed when its ranks outlived the grace period"
                            : outcome.exit_code == 0   ? " after its ranks saved a checkpoint"
                                                       : ", its ranks ending with status " + std::to_string(outcome.exit_code);
    return "max_run of " + std::to_string(max_run_seconds) + " s exceeded: the job was stopped" + how;
  }
  for (const auto& file : rank_failure_files) {
    const std::string reported = first_line_of(file);
    if (!reported.empty()) return reported;
  }
  std::string message = "training exited with status " + std::to_string(outcome.exit_code);
  // The toolkit's reading of 137 (ExecuteUserScriptError).
  if (outcome.exit_code == 137) message += " (killed by SIGKILL: out of memory?)";
  const std::string line = last_error_line(outcome.stderr_tail);
  return line.empty() ? message : message + ": " + line;
}

void write_failure_file(const std::filesystem::path& file, const std::string& message, bool keep_existing) {
  std::error_code ec;
  if (keep_existing && std::filesystem::exists(file, ec)) return;
  write_file_no_follow(file, message.substr(0, kFailureReasonLimit));
}

}  // namespace tandem::launcher
