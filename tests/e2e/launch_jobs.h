#pragma once
// Job files for `tandem launch` tests: the tiny corpus of fixtures.h as the
// train and test channels, gpt-tiny, a few steps, everything in one scratch folder.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace tandem::e2e {

// A complete local job: `hosts` emulated hosts x `processes` ranks of tandem train.
inline nlohmann::json tiny_job(int hosts, int processes, int steps = 4) {
  return {{"instance_type", "local_cpu"},
          {"instance_count", hosts},
          {"hyperparameters",
           {{"model_name_or_path", "gpt-tiny"}, {"max_steps", steps}, {"block_size", 16},
            {"per_device_train_batch_size", 2}, {"learning_rate", 0.003}, {"logging_steps", 1}, {"save_steps", 0}}},
          {"distribution", {{"mpi", {{"enabled", true}, {"processes_per_host", processes}}}}},
          {"inputs", {{"train", "data/train"}, {"test", "data/test"}}}};
}

// Writes the job next to the data (relative paths in a job file are taken from its folder).
inline std::string write_job(const TempDir& dir, const std::string& name, const nlohmann::json& job) {
  dir.write(name, job.dump(2));
  return dir.file(name);
}

// `tandem launch ARGS` from the scratch folder.
inline RunResult launch(const std::vector<std::string>& args, const TempDir& dir, const std::vector<std::string>& env = {}) {
  std::vector<std::string> all{"launch"};
  all.insert(all.end(), args.begin(), args.end());
  return run_tandem(all, dir.path(), env);
}

// An expected command line as argv tokens: words split at spaces, "..." one token.
inline std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> tokens;
  std::string word;
  bool quoted = false, in_word = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (c == ' ' && !quoted) {
      if (in_word) tokens.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) tokens.push_back(word);
  return tokens;
}

inline std::string last_line(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const auto begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

// The names in a gzip tar archive, sorted.
inline std::string archive_listing(const std::string& archive, const TempDir& dir) {
  const auto r = run_command({"sh", "-c", "tar -tzf \"$0\" | sort", archive}, dir.path());
  return r.out;
}

}  // namespace tandem::e2e
