#include "launcher/supervisor/process_tree.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace tandem::launcher {
namespace {

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// /proc/<pid>/stat is "pid (comm) state ppid ..."; comm may hold spaces and
// parentheses, so the fields after it are found from the last ')'. A zombie
// (state Z) has ended and is not listed.
bool parse_stat(const std::string& stat, ProcessEntry& entry) {
  const auto open = stat.find('(');
  const auto close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 4 >= stat.size()) return false;
  if (stat[close + 2] == 'Z') return false;
  entry.name = stat.substr(open + 1, close - open - 1);
  entry.parent = static_cast<pid_t>(std::atoi(stat.c_str() + close + 4));
  return true;
}

bool environment_has(const std::string& environ_text, const std::string& name) {
  const std::string key = name + "=";
  for (size_t pos = 0; pos < environ_text.size();) {
    if (environ_text.compare(pos, key.size(), key) == 0) return true;
    const auto end = environ_text.find('\0', pos);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return false;
}

}  // namespace

std::vector<ProcessEntry> list_processes() {
  std::vector<ProcessEntry> processes;
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = dir.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ProcessEntry entry;
    entry.pid = static_cast<pid_t>(std::stol(name));
    if (!parse_stat(read_all(dir.path() / "stat"), entry)) continue;
    entry.is_rank = environment_has(read_all(dir.path() / "environ"), "OMPI_COMM_WORLD_RANK");
    processes.push_back(entry);
  }
  return processes;
}

std::vector<pid_t> descendants(const std::vector<ProcessEntry>& processes, const std::vector<pid_t>& roots) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& p : processes) children.emplace(p.parent, p.pid);
  std::vector<pid_t> found;
  std::vector<pid_t> frontier = roots;
  std::set<pid_t> seen(roots.begin(), roots.end());
  while (!frontier.empty()) {
    const pid_t pid = frontier.back();
    frontier.pop_back();
    const auto [begin, end] = children.equal_range(pid);
    for (auto it = begin; it != end; ++it) {
      if (!seen.insert(it->second).second) continue;
      found.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<pid_t> innermost_ranks(const std::vector<ProcessEntry>& processes, const std::vector<pid_t>& roots) {
  const auto below = descendants(processes, roots);
  const std::set<pid_t> below_set(below.begin(), below.end());
  std::set<pid_t> ranks, ranks_with_rank_child;
  for (const auto& p : processes) {
    if (!p.is_rank || below_set.count(p.pid) == 0) continue;
    ranks.insert(p.pid);
    ranks_with_rank_child.insert(p.parent);
  }
  std::vector<pid_t> innermost;
  for (pid_t pid : ranks)
    if (ranks_with_rank_child.count(pid) == 0) innermost.push_back(pid);
  return innermost;
}

std::vector<pid_t> leaves(const std::vector<ProcessEntry>& processes, pid_t root) {
  auto tree = descendants(processes, {root});
  tree.push_back(root);
  std::set<pid_t> parents;
  for (const auto& p : processes) parents.insert(p.parent);
  std::vector<pid_t> found;
  for (pid_t pid : tree)
    if (parents.count(pid) == 0) found.push_back(pid);
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<pid_t> processes_named(const std::vector<ProcessEntry>& processes, const std::string& name) {
  std::vector<pid_t> pids;
  for (const auto& p : processes)
    if (p.name == name) pids.push_back(p.pid);
  return pids;
}

}  // namespace tandem::launcher
