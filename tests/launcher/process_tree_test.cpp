#include "launcher/supervisor/process_tree.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace tandem::launcher {
namespace {

using Pids = std::vector<pid_t>;

// mpirun (10) -> two ranks run through /bin/sh (11 -> 12, 13 -> 14), one run
// directly (15) with a helper child (16, which inherits the rank variable);
// an ssh client (17) that is no rank; an unrelated process (20 -> 21).
std::vector<ProcessEntry> job_tree() {
  return {{10, 1, "mpirun", false}, {11, 10, "sh", true},   {12, 11, "tandem", true}, {13, 10, "sh", true},
          {14, 13, "tandem", true}, {15, 10, "tandem", true}, {16, 15, "helper", true}, {17, 10, "ssh", false},
          {20, 1, "bash", false},   {21, 20, "tandem", true}};
}

TEST(ProcessTree, DescendantsOfTheRoots) {
  EXPECT_EQ(descendants(job_tree(), {10}), (Pids{11, 12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(descendants(job_tree(), {13, 20}), (Pids{14, 21}));
  EXPECT_EQ(descendants(job_tree(), {99}), Pids{});
}

TEST(ProcessTree, OnlyTheInnermostRankProcessesAreSignalled) {
  // Not the wrapper shells (they report their program's exit status), not ssh.
  EXPECT_EQ(innermost_ranks(job_tree(), {10}), (Pids{12, 14, 16}));
}

TEST(ProcessTree, LeavesOfAProgramWithoutMpi) {
  EXPECT_EQ(leaves(job_tree(), 11), Pids{12});
  EXPECT_EQ(leaves(job_tree(), 12), Pids{12});
}

TEST(ProcessTree, ProcessesByName) {
  EXPECT_EQ(processes_named(job_tree(), "sh"), (Pids{11, 13}));
  EXPECT_EQ(processes_named(job_tree(), "orted"), Pids{});
}

TEST(ProcessTree, ThisMachineListsThisProcess) {
  const auto processes = list_processes();
  const auto self = std::find_if(processes.begin(), processes.end(), [](const auto& p) { return p.pid == ::getpid(); });
  ASSERT_NE(self, processes.end());
  EXPECT_EQ(self->parent, ::getppid());
  EXPECT_EQ(self->name, "launcher_tests");
}

}  // namespace
}  // namespace tandem::launcher
