// runtime_tests: the runtime classes (reducer, pipeline executor, trainer,
// checkpoint commit) and the fake backend they run on, with every rank a
// thread of this process. No mpirun: the binary runs as any unit test does.

#include <gtest/gtest.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Ranks are threads: one intra-op thread each keeps them from fighting over cores.
  torch::set_num_threads(1);
  return RUN_ALL_TESTS();
}
