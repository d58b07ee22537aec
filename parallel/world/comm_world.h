#pragma once
// The trainer's view of the job (engine/train/world.h) over a communicator.

#include "engine/train/world.h"
#include "parallel/comm/communicator.h"
#include "parallel/comm/runtime.h"

namespace tandem::parallel {

class CommWorld : public World {
 public:
  explicit CommWorld(comm::Communicator& group) : group_(group) {}
  int rank() const override { return group_.rank(); }
  int size() const override { return group_.size(); }
  std::vector<double> sum(const std::vector<double>& values) override {
    std::vector<double> out = values;
    group_.allreduce(out.data(), out.size(), comm::DType::Float64, comm::ReduceOp::Sum);
    return out;
  }
  void barrier() override { group_.barrier(); }
  bool leads_host() const override { return comm::process_info().local_rank == 0; }

 private:
  comm::Communicator& group_;
};

}  // namespace tandem::parallel
