#pragma once
// What `tandem generate` is told, from one flag table that also generates
// `tandem generate --help`. The knobs and their defaults are transformers'
// generate(): greedy unless --do_sample True, then temperature and top-k.
// validate_generate_args() holds the checks between flags.

#include "common/flags/flag_table.h"

#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

struct GenerateArgs {
  std::optional<std::string> model_name_or_path;  // required: a model folder
  std::optional<std::string> prompt;              // required
  int max_new_tokens{};
  bool do_sample{};
  double temperature{};
  int top_k{};
  int seed{};
  bool use_cache{};
  std::string device;
  int num_threads{};
  bool json{};
};

const flags::FlagTable<GenerateArgs>& generate_flag_table();

// Throws UsageError naming the flag.
GenerateArgs parse_generate_args(const std::vector<std::string>& argv);

// The required flags are there. Throws UsageError.
void validate_generate_args(const GenerateArgs& args);

}  // namespace tandem::launcher
