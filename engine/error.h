#pragma once
// Errors that carry their context. Library code throws these; only main()
// turns them into one line on stderr and an exit code:
//   UsageError    -> exit 2: a flag, hyperparameter, config or distribution value is wrong
//   RuntimeFailure -> exit 1: a file, a rank, a checkpoint or the run itself failed
//   JobWideFailure -> its exit code, on every rank at once: ranks agreed on it
//                     (parallel/comm/rank_agreement.h), so the main rank alone prints it
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

// Raised identically on every rank of the job after a collective agreement:
// nothing is aborted, every rank leaves with `exit_code()` (2 usage, 1 runtime).
class JobWideFailure : public std::runtime_error {
 public:
  JobWideFailure(int exit_code, const std::string& message) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace tandem
