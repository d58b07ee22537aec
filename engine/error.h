#pragma once
// Errors that carry their context. Library code throws these; only main()
// turns them into one line on stderr and an exit code:
//   UsageError    -> exit 2: a flag, hyperparameter, config or distribution value is wrong
//   RuntimeFailure -> exit 1: a file, a rank, a checkpoint or the run itself failed
// The message must name the input and say what was expected, e.g.
//   --block_size: 4096 exceeds max_position 1024 of model gpt-tiny

#include <stdexcept>
#include <string>

namespace tandem {

class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

class RuntimeFailure : public std::runtime_error {
 public:
  explicit RuntimeFailure(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tandem
