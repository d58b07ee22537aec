// tandem's compute orders against PyTorch's: tests/layout/torch_schedule_orders.py
// prints what torch.distributed.pipelining computes for a schedule, rank by
// rank, and each rank's compute actions here must read the same. Run by the
// Python whose torch the build uses; skipped, saying why, without it.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "parallel/pipeline/schedule/action.h"
#include "parallel/pipeline/schedule/schedule.h"

namespace tandem::pipeline {
namespace {

constexpr int kSkipCode = 77;  // torch_schedule_orders.py: cannot run here, the reason on stderr

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout, then stderr
};

// One Python start for all cases (importing torch takes seconds): `cases` are "P:M".
CommandResult run_reference(const std::string& kind, const std::vector<std::string>& cases) {
  std::string command = std::string("'") + TANDEM_PYTHON + "' '" + TANDEM_SOURCE_DIR +
                        "/tests/layout/torch_schedule_orders.py' " + kind;
  for (const std::string& c : cases) command += " " + c;
  command += " 2>&1";
  CommandResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get())) result.out += buffer.data();
  const int status = pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string last_line(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return text;
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

// A line "p=P m=M", then every rank's compute actions as grid labels, one line each.
std::string compute_lines(const ScheduleSpec& spec) {
  std::string lines = "p=" + std::to_string(spec.pp_size) + " m=" + std::to_string(spec.microbatches) + "\n";
  for (const auto& actions : build_schedule(spec)) {
    std::string line;
    for (const Action& action : actions)
      if (is_compute(action.kind)) line += (line.empty() ? "" : " ") + short_label(action);
    lines += line + "\n";
  }
  return lines;
}

TEST(TorchOrder, ZeroBubbleVEqualsScheduleZBVZeroBubble) {
  if (std::string(TANDEM_PYTHON).empty()) GTEST_SKIP() << "no Python with torch was found at configure time";
  std::vector<std::string> cases;
  std::string ours;
  for (int p : {2, 3, 4}) {
    for (int m : {1, 2, 3, 4, 6, 8, 12}) {
      cases.push_back(std::to_string(p) + ":" + std::to_string(m));
      ours += compute_lines({"zb_v", p, m, 2});
    }
  }
  const CommandResult torch_order = run_reference("zb_v", cases);
  if (torch_order.exit_code == kSkipCode) GTEST_SKIP() << last_line(torch_order.out);
  ASSERT_EQ(torch_order.exit_code, 0) << torch_order.out;
  EXPECT_EQ(ours, torch_order.out);
}

}  // namespace
}  // namespace tandem::pipeline
