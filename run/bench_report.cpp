// Writes a rank's activity report (bench_report.h).
#include "run/bench_report.h"

#include "common/activity/activity_log.h"
#include "engine/checkpoint/atomic_file.h"
#include "engine/error.h"

#include <sys/resource.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace tandem::run {
namespace {

// Peak resident set size of this process: on the CPU the model, activations
// and buffers all live there.
double peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux reports KiB
}

}  // namespace

void start_bench_report(const std::string& folder) {
  if (!folder.empty()) activity::enable();
}

void write_bench_report(const std::string& folder, const RankCoordinates& me, int world_size, const std::string& host) {
  if (folder.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw RuntimeFailure("--bench_report: cannot create " + folder + ": " + ec.message());
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : activity::steps()) {
    nlohmann::json bytes = nlohmann::json::object();
    for (const auto& [peer, n] : s.bytes_to) bytes[std::to_string(peer)] = n;
    steps.push_back({{"start_s", s.start_s}, {"end_s", s.end_s}, {"bytes_to", bytes}});
  }
  nlohmann::json spans = nlohmann::json::array();
  for (const auto& s : activity::spans())
    spans.push_back({{"kind", activity::kind_name(s.kind)}, {"start_s", s.start_s}, {"end_s", s.end_s},
                     {"microbatch", s.microbatch}});
  const nlohmann::json report = {{"rank", me.rank},
                                 {"world_size", world_size},
                                 {"host", host},
                                 {"pp_rank", me.pp_rank},
                                 {"dp_rank", me.dp_rank},
                                 {"pp_size", me.pp_size},
                                 {"dp_size", me.dp_size},
                                 {"peak_memory_bytes", peak_resident_bytes()},
                                 {"steps", steps},
                                 {"spans", spans}};
  write_file_atomically((std::filesystem::path(folder) / ("rank-" + std::to_string(me.rank) + ".json")).string(),
                        report.dump() + "\n");
}

}  // namespace tandem::run
