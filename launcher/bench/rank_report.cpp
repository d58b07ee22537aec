// Rank reports in, one strategy's measurement out (rank_report.h).
#include "launcher/bench/rank_report.h"

#include "common/median.h"

#include "engine/error.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

namespace tandem::launcher {
namespace {

using nlohmann::json;

const json& field(const json& object, const char* name, const std::string& where) {
  if (!object.is_object() || !object.contains(name)) throw RuntimeFailure(where + ": missing \"" + name + "\"");
  return object.at(name);
}

double number(const json& object, const char* name, const std::string& where) {
  const json& v = field(object, name, where);
  if (!v.is_number()) throw RuntimeFailure(where + ": \"" + name + "\" is not a number");
  return v.get<double>();
}

int integer(const json& object, const char* name, const std::string& where) {
  const json& v = field(object, name, where);
  if (!v.is_number_integer()) throw RuntimeFailure(where + ": \"" + name + "\" is not an integer");
  return v.get<int>();
}

bool is_compute(const std::string& kind) {
  return kind == "forward" || kind == "backward" || kind == "backward_input" || kind == "backward_weight";
}

// Seconds of `kind`-like spans of one rank inside [from, to).
double busy_in(const RankReport& r, double from, double to, bool (*counts)(const std::string&)) {
  double s = 0;
  for (const auto& span : r.spans)
    if (counts(span.kind) && span.start_s >= from && span.end_s <= to) s += span.end_s - span.start_s;
  return s;
}

bool is_communication(const std::string& kind) { return kind == "communication"; }
bool is_optimizer(const std::string& kind) { return kind == "optimizer"; }

}  // namespace

RankReport read_rank_report(const std::filesystem::path& file) {
  const std::string where = file.string();
  std::ifstream in(file);
  if (!in) throw RuntimeFailure(where + ": cannot read the rank's report (did the rank finish?)");
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw RuntimeFailure(where + ": not valid JSON");
  RankReport r;
  r.rank = integer(doc, "rank", where);
  r.world_size = integer(doc, "world_size", where);
  r.pp_rank = integer(doc, "pp_rank", where);
  r.dp_rank = integer(doc, "dp_rank", where);
  const json& host = field(doc, "host", where);
  if (!host.is_string()) throw RuntimeFailure(where + ": \"host\" is not a string");
  r.host = host.get<std::string>();
  r.peak_memory_bytes = number(doc, "peak_memory_bytes", where);
  const json& steps = field(doc, "steps", where);
  if (!steps.is_array()) throw RuntimeFailure(where + ": \"steps\" is not a list");
  for (const json& s : steps) {
    ReportStep step{number(s, "start_s", where + " steps"), number(s, "end_s", where + " steps"), {}};
    const json& bytes = field(s, "bytes_to", where + " steps");
    if (!bytes.is_object()) throw RuntimeFailure(where + ": \"bytes_to\" is not an object");
    for (const auto& [peer, n] : bytes.items()) {
      if (!n.is_number() || peer.empty() || peer.find_first_not_of("0123456789") != std::string::npos ||
          peer.size() > 9)
        throw RuntimeFailure(where + ": \"bytes_to\" maps world ranks to byte counts, got \"" + peer + "\"");
      step.bytes_to[std::stoi(peer)] = n.get<double>();
    }
    r.steps.push_back(step);
  }
  const json& spans = field(doc, "spans", where);
  if (!spans.is_array()) throw RuntimeFailure(where + ": \"spans\" is not a list");
  for (const json& s : spans) {
    const json& kind = field(s, "kind", where + " spans");
    if (!kind.is_string()) throw RuntimeFailure(where + ": a span's \"kind\" is not a string");
    r.spans.push_back({kind.get<std::string>(), number(s, "start_s", where + " spans"),
                       number(s, "end_s", where + " spans"), integer(s, "microbatch", where + " spans")});
  }
  return r;
}

std::vector<RankReport> read_rank_reports(const std::filesystem::path& folder, int ranks) {
  std::vector<RankReport> out;
  for (int r = 0; r < ranks; ++r) {
    out.push_back(read_rank_report(folder / ("rank-" + std::to_string(r) + ".json")));
    if (out.back().rank != r)
      throw RuntimeFailure((folder / ("rank-" + std::to_string(r) + ".json")).string() + ": reports rank " +
                           std::to_string(out.back().rank));
  }
  return out;
}

Measurement measure(const std::vector<RankReport>& ranks, int warmup_steps) {
  if (ranks.empty()) throw RuntimeFailure("bench: no rank reports");
  const size_t steps = ranks.front().steps.size();
  for (const auto& r : ranks)
    if (r.steps.size() != steps)
      throw RuntimeFailure("bench: rank " + std::to_string(r.rank) + " reports " + std::to_string(r.steps.size()) +
                           " steps, rank 0 " + std::to_string(steps));
  if (static_cast<int>(steps) <= warmup_steps)
    throw RuntimeFailure("bench: " + std::to_string(steps) + " steps reported, none after the " +
                         std::to_string(warmup_steps) + " warm-up step(s)");
  Measurement m;
  m.measured_steps = static_cast<int>(steps) - warmup_steps;
  std::vector<double> step_s, compute_s, window_s, comm_s, exposed_s, optimizer_s, bubble, bytes, intra, inter;
  for (size_t k = warmup_steps; k < steps; ++k) {
    double slowest = 0, busiest = 0, waited = 0, exposed = 0, optimizer = 0, sent = 0, sent_intra = 0, sent_inter = 0;
    double first_compute = 1e300, last_compute = -1e300, busy_total = 0;
    for (const auto& r : ranks) {
      const ReportStep& s = r.steps[k];
      slowest = std::max(slowest, s.end_s - s.start_s);
      const double busy = busy_in(r, s.start_s, s.end_s, is_compute);
      busiest = std::max(busiest, busy);
      busy_total += busy;
      waited = std::max(waited, busy_in(r, s.start_s, s.end_s, is_communication));
      optimizer = std::max(optimizer, busy_in(r, s.start_s, s.end_s, is_optimizer));
      for (const auto& span : r.spans)
        if (is_compute(span.kind) && span.start_s >= s.start_s && span.end_s <= s.end_s) {
          first_compute = std::min(first_compute, span.start_s);
          last_compute = std::max(last_compute, span.end_s);
        }

      for (const auto& [peer, n] : s.bytes_to) {
        sent += n;
        const bool same_host = peer >= 0 && peer < static_cast<int>(ranks.size()) && ranks[peer].host == r.host;
        (same_host ? sent_intra : sent_inter) += n;
      }
    }
    step_s.push_back(slowest);
    compute_s.push_back(busiest);
    comm_s.push_back(waited);
    optimizer_s.push_back(optimizer);
    // Communication that outlasts the job's last compute (waiting inside the
    // compute window, for another stage's activations, is the bubble's).
    for (const auto& r : ranks)
      for (const auto& span : r.spans)
        if (is_communication(span.kind) && span.start_s >= r.steps[k].start_s && span.end_s <= r.steps[k].end_s &&
            span.end_s > last_compute)
          exposed = std::max(exposed, span.end_s - last_compute);
    exposed_s.push_back(exposed);
    const double window = std::max(0.0, last_compute - first_compute);
    window_s.push_back(window);
    bubble.push_back(window > 0 ? 1.0 - busy_total / (ranks.size() * window) : 0.0);
    bytes.push_back(sent);
    intra.push_back(sent_intra);
    inter.push_back(sent_inter);
  }
  m.step_s = median(step_s);
  m.compute_s = median(compute_s);
  m.pipeline_s = median(window_s);
  m.comm_s = median(comm_s);
  m.exposed_comm_s = median(exposed_s);
  m.optimizer_s = median(optimizer_s);
  m.bubble = std::max(0.0, median(bubble));
  m.comm_bytes = median(bytes);
  m.intra_host_bytes = median(intra);
  m.inter_host_bytes = median(inter);
  for (const auto& r : ranks) m.peak_memory_bytes = std::max(m.peak_memory_bytes, r.peak_memory_bytes);

  // The timeline: the measured step closest to the median, every rank from the earliest start.
  size_t drawn = warmup_steps;
  for (size_t k = warmup_steps; k < steps; ++k)
    if (std::abs(step_s[k - warmup_steps] - m.step_s) < std::abs(step_s[drawn - warmup_steps] - m.step_s)) drawn = k;
  double begin = 1e300, end = -1e300;
  for (const auto& r : ranks) {
    begin = std::min(begin, r.steps[drawn].start_s);
    end = std::max(end, r.steps[drawn].end_s);
  }
  m.timeline_s = end - begin;
  for (const auto& r : ranks) {
    std::vector<TimelineSpan> line;
    const ReportStep& s = r.steps[drawn];
    double cursor = s.start_s;
    std::vector<ReportSpan> inside;
    for (const auto& span : r.spans)
      if (span.kind != "step" && span.start_s >= s.start_s && span.end_s <= s.end_s) inside.push_back(span);
    std::sort(inside.begin(), inside.end(), [](const ReportSpan& a, const ReportSpan& b) { return a.start_s < b.start_s; });
    for (const auto& span : inside) {
      if (span.start_s > cursor + 1e-6) line.push_back({"idle", cursor - begin, span.start_s - begin});
      line.push_back({span.kind, span.start_s - begin, span.end_s - begin});
      cursor = std::max(cursor, span.end_s);
    }
    if (s.end_s > cursor) line.push_back({"idle", cursor - begin, s.end_s - begin});
    m.timeline.push_back(line);
  }
  return m;
}

}  // namespace tandem::launcher
