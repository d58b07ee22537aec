#include "launcher/local/metric_recorder.h"

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "launcher/sagemaker/python_format.h"

namespace tandem::launcher {

MetricRecorder::MetricRecorder(std::vector<MetricDefinition> definitions, const std::filesystem::path& jsonl_file)
    : definitions_(definitions), matcher_(std::move(definitions)), start_(std::chrono::steady_clock::now()) {
  if (definitions_.empty()) return;
  out_.open(jsonl_file, std::ios::trunc);
  if (!out_) throw RuntimeFailure(jsonl_file.string() + ": cannot write the metrics file");
}

void MetricRecorder::observe(const std::string& line) {
  if (definitions_.empty()) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  for (const auto& sample : matcher_.match(line)) {
    out_ << nlohmann::json{{"name", sample.name}, {"value", sample.value}, {"seconds", seconds}}.dump() << '\n';
    Captured& c = captured_[sample.name];
    c.last = sample.value;
    ++c.count;
  }
  out_.flush();
}

std::string MetricRecorder::summary() const {
  std::string text;
  for (const auto& definition : definitions_) {
    const auto it = captured_.find(definition.name);
    if (it == captured_.end()) continue;
    text += definition.name + " = " + python_float_repr(it->second.last) + " (" + std::to_string(it->second.count) +
            (it->second.count == 1 ? " sample)\n" : " samples)\n");
  }
  return text;
}

}  // namespace tandem::launcher
