#pragma once
// Runs tests/hf/hf_reference.py (transformers' side of the parity tests) with
// the Python whose torch tandem builds against; exit 77 there means "cannot
// run here" and skips the test with the reason it printed last.
#include "tests/common/temp_dir.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::hf {

constexpr int kSkipCode = 77;  // hf_reference.py: cannot run here, the reason on stderr

inline std::string last_line(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return text;
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

inline e2e::RunResult reference(const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::string> argv{TANDEM_TORCH_PYTHON, std::string(TANDEM_SOURCE_DIR) + "/tests/hf/hf_reference.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return e2e::run_command(argv, dir.path().string(), {"OMP_NUM_THREADS=1", "HF_HUB_OFFLINE=1"});
}

}  // namespace tandem::hf

// Runs the reference; a "cannot run here" skips the test with its reason.
#define RUN_REFERENCE_OR_SKIP(result, args, dir)                                                  \
  const ::tandem::e2e::RunResult result = ::tandem::hf::reference(args, dir);                   \
  if (result.exit_code == ::tandem::hf::kSkipCode) GTEST_SKIP() << ::tandem::hf::last_line(result.err); \
  ASSERT_EQ(result.exit_code, 0) << result.err
