#include "engine/metrics/metrics_log.h"

#include "engine/error.h"
#include "engine/metrics/decimal.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace tandem {

MetricsLog::MetricsLog(const std::string& output_data_dir, bool enabled, bool progress_bar)
    : enabled_(enabled), progress_bar_(progress_bar && enabled) {
  if (!enabled_) return;
  std::error_code ec;
  std::filesystem::create_directories(output_data_dir, ec);
  path_ = (std::filesystem::path(output_data_dir) / "metrics.jsonl").string();
  // Checked now, opened at the first record: a run refused before its first
  // step leaves no empty metrics.jsonl behind.
  if (!std::filesystem::is_directory(output_data_dir, ec) || ::access(output_data_dir.c_str(), W_OK) != 0 ||
      (std::filesystem::exists(path_, ec) && ::access(path_.c_str(), W_OK) != 0))
    throw RuntimeFailure(path_ + ": cannot be opened for writing");
}

MetricsLog::~MetricsLog() { clear_progress(); }

void MetricsLog::clear_progress() {
  if (progress_shown_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    progress_shown_ = false;
  }
}

void MetricsLog::record(const std::string& title, int step, const MetricRecord& metrics) {
  if (!enabled_) return;
  clear_progress();
  nlohmann::ordered_json j;
  j["step"] = step;
  std::string text = "***** " + title + " metrics (step " + std::to_string(step) + ") *****\n";
  for (const auto& [name, value] : metrics) {
    if (name != "step") j[name] = value;  // "step" stays the integer set above
    text += "  " + name + " = " + plain_decimal(value) + "\n";
  }
  std::cout << text << std::flush;
  if (!jsonl_.is_open()) {
    jsonl_.open(path_, std::ios::app);
    if (!jsonl_) throw RuntimeFailure(path_ + ": cannot be opened for writing");
  }
  jsonl_ << j.dump() << "\n" << std::flush;
}

void MetricsLog::progress(int step, int total_steps, double loss, double tokens_per_second, double seconds_left) {
  if (!progress_bar_) return;
  constexpr int kWidth = 30;
  const int filled = total_steps > 0 ? kWidth * step / total_steps : 0;
  const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  const int s = static_cast<int>(seconds_left);
  std::fprintf(stderr, "\r\033[K[%s] step %d/%d  loss %.4f  %.0f tok/s  %dm%02ds left", bar.c_str(), step,
               total_steps, loss, tokens_per_second, s / 60, s % 60);
  std::fflush(stderr);
  progress_shown_ = true;
}

void MetricsLog::message(const std::string& line) {
  if (!enabled_) return;
  clear_progress();
  std::cout << line << "\n" << std::flush;
}

}  // namespace tandem
