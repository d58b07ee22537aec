#include "launcher/container/worker_reports.h"

#include <unistd.h>

#include "launcher/supervisor/child_process.h"

namespace tandem::launcher {
namespace {

// `ssh host cat file`; stdout's first line, "" on any failure.
std::string first_line_over_ssh(const std::string& host, const std::filesystem::path& file) {
  ChildSpec spec({"ssh", "-o", "ConnectTimeout=10", "-o", "BatchMode=yes", host, "cat", file.string()});
  spec.capture_output = true;
  ChildProcess ssh = ChildProcess::start(spec);
  // stderr stays unread: ssh's few words ("No such file") fit in the pipe.
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(ssh.stdout_fd(), buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  if (ssh.wait() != 0) return "";
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::vector<std::string> read_worker_reports(const std::vector<std::string>& hosts, const std::filesystem::path& file) {
  std::vector<std::string> reports;
  for (const auto& host : hosts) {
    const std::string line = first_line_over_ssh(host, file);
    if (!line.empty()) reports.push_back(line);
  }
  return reports;
}

}  // namespace tandem::launcher
