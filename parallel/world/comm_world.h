#pragma once
// The trainer's view of the job (engine/train/world.h) over a communicator.

#include <optional>

#include "engine/train/world.h"
#include "parallel/comm/communicator.h"
#include "parallel/comm/runtime.h"

namespace tandem::parallel {

class CommWorld : public World {
 public:
  // Whether this process leads its host comes from the job (comm::process_info()).
  explicit CommWorld(comm::Communicator& group) : group_(group) {}
  // Told instead, for groups whose ranks are not MPI processes (the in-process
  // fake backend of the unit tests, which never calls comm::init()).
  CommWorld(comm::Communicator& group, bool leads_host) : group_(group), leads_host_(leads_host) {}
  int rank() const override { return group_.rank(); }
  int size() const override { return group_.size(); }
  std::vector<double> sum(const std::vector<double>& values) override {
    std::vector<double> out = values;
    group_.allreduce(out.data(), out.size(), comm::DType::Float64, comm::ReduceOp::Sum);
    return out;
  }
  void barrier() override { group_.barrier(); }
  bool leads_host() const override {
    return leads_host_ ? *leads_host_ : comm::process_info().local_rank == 0;
  }

 private:
  comm::Communicator& group_;
  std::optional<bool> leads_host_;
};

}  // namespace tandem::parallel
