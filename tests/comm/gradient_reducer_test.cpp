// The data-parallel reducer on the MPI backend at 1, 2 and 4 ranks: the
// initial broadcast and the average, through the MPI thread's asynchronous
// collectives. The reducer's logic (accumulation without sync, unused
// parameters, the layout check, bucket views) and the bucket plan are tested
// without mpirun in tests/runtime/.
#include "parallel/comm/runtime.h"
#include "parallel/ddp/gradient_reducer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace tandem::ddp {
namespace {

comm::Communicator& world() { return comm::world(); }

std::vector<torch::Tensor> make_params(int seed) {
  torch::manual_seed(seed);
  return {torch::randn({7, 3}).requires_grad_(true), torch::randn({5}).requires_grad_(true),
          torch::randn({300}).requires_grad_(true)};
}

TEST(GradientReducer, BroadcastMakesDifferentlySeededRanksIdentical) {
  auto params = make_params(100 + world().rank());
  GradientReducer reducer(params, world(), {64, 256});
  auto expected = make_params(100);  // rank 0's seed
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], expected[i])) << i;
}

// loss = Σ_i c_r · sum(p_i²)/2, so grad p_i = c_r · p_i with c_r = rank + 1.
void backward_with_scale(const std::vector<torch::Tensor>& params, double c) {
  auto loss = torch::zeros({});
  for (const auto& p : params) loss = loss + p.pow(2).sum() * (c / 2);
  loss.backward();
}

TEST(GradientReducer, AveragesGradientsOverRanks) {
  auto params = make_params(7);
  GradientReducer reducer(params, world(), {64, 256});
  EXPECT_GE(reducer.layout().buckets.size(), 2u);
  reducer.before_backward(true);
  backward_with_scale(params, world().rank() + 1);
  reducer.finish();
  const double mean_c = (world().size() + 1) / 2.0;
  for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad(), p.detach() * mean_c, 1e-6, 1e-6));
}

}  // namespace
}  // namespace tandem::ddp
