#include "launcher/metrics/metric_definitions.h"

#include <cmath>
#include <cstdlib>

#include "engine/error.h"
#include "launcher/config/json_fields.h"

namespace tandem::launcher {
namespace {

std::regex compile(const MetricDefinition& definition, const JsonPlace& place) {
  try {
    return std::regex(definition.regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    place.fail("does not compile as an ECMAScript regex (" + std::string(e.what()) + "): " + definition.regex);
  }
}

// The whole capture, minus surrounding blanks, as a finite number.
bool read_number(const std::string& text, double& value) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return false;
  const auto end = text.find_last_not_of(" \t\r");
  const std::string trimmed = text.substr(begin, end - begin + 1);
  char* rest = nullptr;
  value = std::strtod(trimmed.c_str(), &rest);
  return *rest == '\0' && std::isfinite(value);
}

}  // namespace

std::vector<MetricDefinition> parse_metric_definitions(const nlohmann::json& definitions, const std::string& source) {
  const JsonPlace place{source, "metric_definitions"};
  if (!definitions.is_array()) place.fail("expected a list of {\"Name\": ..., \"Regex\": ...}, got " + describe_json(definitions));
  std::vector<MetricDefinition> parsed;
  for (size_t i = 0; i < definitions.size(); ++i) {
    const JsonPlace entry = place.at(std::to_string(i));
    const auto& item = definitions[i];
    expect_object(item, entry);
    reject_unknown_keys(item, {"Name", "Regex"}, entry);
    if (!item.contains("Name")) entry.at("Name").fail("missing");
    if (!item.contains("Regex")) entry.at("Regex").fail("missing");
    MetricDefinition definition{read_string(item["Name"], entry.at("Name")), read_string(item["Regex"], entry.at("Regex"))};
    if (definition.name.empty() || definition.name.size() > 255) entry.at("Name").fail("expected 1 to 255 characters");
    if (definition.regex.empty() || definition.regex.size() > 500) entry.at("Regex").fail("expected 1 to 500 characters");
    if (compile(definition, entry.at("Regex")).mark_count() == 0) {
      entry.at("Regex").fail("needs a capture group: the first group is the metric's value, e.g. loss = (\\S+)");
    }
    parsed.push_back(definition);
  }
  return parsed;
}

MetricMatcher::MetricMatcher(std::vector<MetricDefinition> definitions) : definitions_(std::move(definitions)) {
  for (const auto& definition : definitions_) {
    regexes_.push_back(compile(definition, {"metric_definitions", definition.name}));
  }
}

std::vector<MetricSample> MetricMatcher::match(const std::string& line) const {
  // std::regex recurses per character: an unbounded line (a rank printing a
  // huge tensor) could overflow the stack. Metrics sit near a line's start.
  std::string text = line.substr(0, kMetricLineLimit);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::vector<MetricSample> samples;
  for (size_t i = 0; i < definitions_.size(); ++i) {
    std::smatch match;
    double value = 0;
    if (std::regex_search(text, match, regexes_[i]) && match.size() > 1 && match[1].matched &&
        read_number(match[1].str(), value)) {
      samples.push_back({definitions_[i].name, value});
    }
  }
  return samples;
}

}  // namespace tandem::launcher
