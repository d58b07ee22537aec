// Rendering the bench's table, JSON, CSV, traces and charts (bench_files.h).
#include "launcher/bench/bench_files.h"

#include "common/text/format_number.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tandem::launcher {
namespace {

std::string percent(double share) { return format_number("%.1f%%", 100 * share); }
std::string millis(double s) { return format_number("%.1f", 1e3 * s); }
std::string kib(double bytes) { return format_number("%.0f", bytes / 1024); }
std::string mib(double bytes) { return format_number("%.0f", bytes / (1024 * 1024)); }

std::string pad(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

// The colours of the timeline and its legend.
const std::vector<std::pair<std::string, std::string>>& palette() {
  static const std::vector<std::pair<std::string, std::string>> colours = {
      {"forward", "#4c78a8"},       {"backward", "#f58518"},   {"backward_input", "#e45756"},
      {"backward_weight", "#72b7b2"}, {"communication", "#b279a2"}, {"optimizer", "#54a24b"},
      {"idle", "#e8e8e8"}};
  return colours;
}

std::string colour_of(const std::string& kind) {
  for (const auto& [k, c] : palette())
    if (k == kind) return c;
  return "#999999";
}

// Names go into XML as text; strategy names and kinds are plain, but escape anyway.
std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_open(double width, double height) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
         format_number("%.0f", width) + "\" height=\"" + format_number("%.0f", height) + "\" viewBox=\"0 0 " + format_number("%.0f", width) +
         " " + format_number("%.0f", height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

std::string text(double x, double y, const std::string& s, const std::string& anchor = "start") {
  return "<text x=\"" + format_number("%.1f", x) + "\" y=\"" + format_number("%.1f", y) + "\" text-anchor=\"" + anchor + "\">" +
         xml_escape(s) + "</text>\n";
}

std::string rect(double x, double y, double w, double h, const std::string& fill, const std::string& title = "") {
  std::string r = "<rect x=\"" + format_number("%.2f", x) + "\" y=\"" + format_number("%.1f", y) + "\" width=\"" +
                  format_number("%.2f", std::max(w, 0.0)) + "\" height=\"" + format_number("%.1f", h) + "\" fill=\"" + fill + "\"";
  return title.empty() ? r + "/>\n" : r + "><title>" + xml_escape(title) + "</title></rect>\n";
}

// The slowest and fastest round's step, "41.2-47.5" (one round: its step).
std::string round_range(const BenchResult& r) {
  if (r.round_step_s.size() < 2) return millis(r.measured.step_s);
  const auto [low, high] = std::minmax_element(r.round_step_s.begin(), r.round_step_s.end());
  return millis(*low) + "-" + millis(*high);
}

}  // namespace

std::string render_bench_table(const std::vector<BenchResult>& results) {
  std::ostringstream t;
  t << pad("strategy", 16) << pad("ranks", 6) << pad("step ms", 9) << pad("rounds ms", 13) << pad("predicted", 10)
    << pad("error", 8)
    << pad("tokens/s", 10) << pad("bubble", 8) << pad("theory", 8) << pad("comm ms", 9) << pad("comm KiB", 10)
    << pad("inter KiB", 10) << "peak MiB\n";
  for (const auto& r : results) {
    t << pad(r.strategy.name, 16) << pad(std::to_string(r.strategy.processes), 6) << pad(millis(r.measured.step_s), 9)
      << pad(round_range(r), 13) << pad(millis(r.predicted.step_s), 10) << pad(format_number("%+.0f%%", 100 * r.prediction_error()), 8)
      << pad(format_number("%.0f", r.tokens_per_second()), 10) << pad(percent(r.measured.bubble), 8)
      << pad(percent(r.predicted.bubble_theory), 8) << pad(millis(r.measured.comm_s), 9)
      << pad(kib(r.measured.comm_bytes), 10) << pad(kib(r.measured.inter_host_bytes), 10)
      << mib(r.measured.peak_memory_bytes) << "\n";
  }
  return t.str();
}

std::string render_prediction_check(const std::vector<BenchResult>& results) {
  std::ostringstream out;
  int off = 0;
  for (const auto& r : results) {
    const std::string term = r.term_off();
    if (term.empty()) continue;
    ++off;
    out << r.strategy.name << ": predicted " << millis(r.predicted.step_s) << " ms against " << millis(r.measured.step_s)
        << " ms measured (" << format_number("%+.0f%%", 100 * r.prediction_error()) << "); " << term << "\n";
  }
  if (off == 0)
    out << "every prediction is within " << format_number("%.0f", 100 * kPredictionTolerance) << "% of the measured step\n";
  return out.str();
}

nlohmann::json bench_json(const std::vector<BenchResult>& results) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : results) {
    const auto& m = r.measured;
    const auto& p = r.predicted;
    rows.push_back({{"name", r.strategy.name},
                    {"processes", r.strategy.processes},
                    {"distribution", r.strategy.distribution},
                    {"per_device_train_batch_size", r.strategy.per_device_batch},
                    {"measured_steps", m.measured_steps},
                    {"measured_step_s", m.step_s},
                    {"measured_step_s_rounds", r.round_step_s},
                    {"predicted_step_s", p.step_s},
                    {"prediction_error", r.prediction_error()},
                    {"term_off", r.term_off()},
                    {"tokens_per_second", r.tokens_per_second()},
                    {"predicted_tokens_per_second", p.tokens_per_second},
                    {"bubble_measured", m.bubble},
                    {"bubble_predicted", p.bubble},
                    {"bubble_theory", p.bubble_theory},
                    {"compute_s", m.compute_s},
                    {"predicted_compute_s", p.compute_s},
                    {"compute_window_s", m.pipeline_s},
                    {"predicted_compute_window_s", p.pipeline_s},
                    {"comm_s", m.comm_s},
                    {"exposed_comm_s", m.exposed_comm_s},
                    {"predicted_comm_s", p.allreduce_s},
                    {"optimizer_s", m.optimizer_s},
                    {"predicted_optimizer_s", p.optimizer_s},
                    {"comm_bytes", m.comm_bytes},
                    {"comm_bytes_intra_host", m.intra_host_bytes},
                    {"comm_bytes_inter_host", m.inter_host_bytes},
                    {"predicted_comm_bytes", p.intra_host_bytes + p.inter_host_bytes},
                    {"peak_memory_bytes", m.peak_memory_bytes}});
  }
  return {{"strategies", rows}};
}

std::string bench_csv(const std::vector<BenchResult>& results) {
  const nlohmann::json doc = bench_json(results);
  const std::vector<std::string> columns = {
      "name", "processes", "measured_step_s", "predicted_step_s", "prediction_error", "tokens_per_second",
      "bubble_measured", "bubble_theory", "comm_s", "comm_bytes", "comm_bytes_intra_host", "comm_bytes_inter_host",
      "peak_memory_bytes"};
  std::ostringstream csv;
  for (size_t i = 0; i < columns.size(); ++i) csv << (i ? "," : "") << columns[i];
  csv << "\n";
  for (const auto& row : doc["strategies"]) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const auto& v = row[columns[i]];
      csv << (i ? "," : "") << (v.is_string() ? v.get<std::string>() : v.dump());
    }
    csv << "\n";
  }
  return csv.str();
}

nlohmann::json chrome_trace(const std::string& strategy, const std::vector<RankReport>& ranks) {
  double origin = 1e300;
  for (const auto& r : ranks)
    for (const auto& s : r.spans) origin = std::min(origin, s.start_s);
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", strategy}}}});
  for (const auto& r : ranks) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 0}, {"tid", r.rank},
                      {"args", {{"name", "rank " + std::to_string(r.rank) + " (pp " + std::to_string(r.pp_rank) +
                                             ", dp " + std::to_string(r.dp_rank) + ")"}}}});
    for (const auto& s : r.spans) {
      nlohmann::json e = {{"name", s.kind}, {"cat", s.kind == "step" ? "step" : "work"}, {"ph", "X"}, {"pid", 0},
                          {"tid", r.rank}, {"ts", (s.start_s - origin) * 1e6}, {"dur", (s.end_s - s.start_s) * 1e6}};
      if (s.microbatch >= 0) e["args"] = {{"microbatch", s.microbatch}};
      events.push_back(e);
    }
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

std::string throughput_svg(const std::vector<BenchResult>& results) {
  const double left = 130, bar_h = 22, gap = 8, top = 40, chart_w = 420;
  const double height = top + results.size() * (bar_h + gap) + 40;
  double best = 1;
  for (const auto& r : results) best = std::max({best, r.tokens_per_second(), r.predicted.tokens_per_second});
  std::string svg = svg_open(left + chart_w + 120, height);
  svg += text(10, 22, "tokens/s per strategy: measured (bar), predicted (tick)");
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const double y = top + i * (bar_h + gap);
    const double w = chart_w * r.tokens_per_second() / best;
    svg += text(left - 8, y + bar_h * 0.7, r.strategy.name, "end");
    svg += rect(left, y, w, bar_h, "#4c78a8", r.strategy.name + ": " + format_number("%.0f", r.tokens_per_second()) + " tokens/s");
    const double px = left + chart_w * r.predicted.tokens_per_second / best;
    svg += "<line x1=\"" + format_number("%.1f", px) + "\" y1=\"" + format_number("%.1f", y - 2) + "\" x2=\"" + format_number("%.1f", px) +
           "\" y2=\"" + format_number("%.1f", y + bar_h + 2) + "\" stroke=\"#e45756\" stroke-width=\"2\"/>\n";
    svg += text(left + std::max(w, px - left) + 6, y + bar_h * 0.7, format_number("%.0f", r.tokens_per_second()));
  }
  svg += text(10, height - 14, "red tick: the cluster model's prediction from the profiling pass");
  return svg + "</svg>\n";
}

std::string timeline_svg(const BenchResult& result) {
  const auto& m = result.measured;
  const double left = 70, row_h = 24, gap = 6, top = 40, chart_w = 720;
  const double rows = static_cast<double>(m.timeline.size());
  const double height = top + rows * (row_h + gap) + 60;
  const double scale = m.timeline_s > 0 ? chart_w / m.timeline_s : 0;
  std::string svg = svg_open(left + chart_w + 20, height);
  svg += text(10, 22, result.strategy.name + ": one step per rank, " + millis(m.timeline_s) + " ms");
  for (size_t r = 0; r < m.timeline.size(); ++r) {
    const double y = top + r * (row_h + gap);
    svg += text(left - 8, y + row_h * 0.7, "rank " + std::to_string(r), "end");
    for (const auto& s : m.timeline[r])
      svg += rect(left + s.start_s * scale, y, (s.end_s - s.start_s) * scale, row_h, colour_of(s.kind),
                  s.kind + " " + millis(s.end_s - s.start_s) + " ms");
  }
  double x = left;
  const double legend_y = top + rows * (row_h + gap) + 20;
  for (const auto& [kind, colour] : palette()) {
    svg += rect(x, legend_y - 10, 12, 12, colour);
    svg += text(x + 16, legend_y, kind);
    x += 24 + 7.0 * kind.size();
  }
  return svg + "</svg>\n";
}

}  // namespace tandem::launcher
