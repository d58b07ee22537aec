#include "launcher/supervisor/rank_log.h"

#include <cctype>

namespace tandem::launcher {
namespace {

// Digits starting at pos; returns the position after them (pos when none).
size_t skip_digits(const std::string& text, size_t pos) {
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

}  // namespace

std::string add_host_to_rank_tag(const std::string& line, int processes_per_host) {
  // [<job>,<rank>]<stdout>:  or  <stderr>:
  if (line.empty() || line[0] != '[' || processes_per_host < 1) return line;
  const size_t job_end = skip_digits(line, 1);
  if (job_end == 1 || job_end >= line.size() || line[job_end] != ',') return line;
  const size_t rank_begin = job_end + 1;
  const size_t rank_end = skip_digits(line, rank_begin);
  if (rank_end == rank_begin || rank_end - rank_begin > 9 || rank_end >= line.size() || line[rank_end] != ']') return line;
  const std::string stream = line.substr(rank_end + 1, 9);
  if (stream != "<stdout>:" && stream != "<stderr>:") return line;
  const std::string rank = line.substr(rank_begin, rank_end - rank_begin);
  const int host = static_cast<int>(std::stol(rank) / processes_per_host) + 1;
  return line.substr(0, rank_begin) + "mpirank:" + rank + ",algo-" + std::to_string(host) + line.substr(rank_end);
}

std::vector<std::string> LineSplitter::feed(const char* data, size_t size) {
  pending_.append(data, size);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t newline; (newline = pending_.find('\n', start)) != std::string::npos; start = newline + 1) {
    lines.push_back(pending_.substr(start, newline - start));
  }
  pending_.erase(0, start);
  return lines;
}

std::vector<std::string> LineSplitter::finish() {
  std::vector<std::string> lines;
  if (!pending_.empty()) lines.push_back(pending_);
  pending_.clear();
  return lines;
}

}  // namespace tandem::launcher
