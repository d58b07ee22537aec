#pragma once
// What the trainer needs to know of the other processes, and nothing more:
// one process implements it trivially; parallel/ implements it over MPI. The
// engine never includes mpi.h.

#include <string>
#include <vector>

namespace tandem {

class World {
 public:
  virtual ~World() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Element-wise sum over every process of the job.
  virtual std::vector<double> sum(const std::vector<double>& values) = 0;
  virtual void barrier() = 0;
  // The first process on this host: it manages host-local folders (on
  // SageMaker each instance has its own /opt/ml/checkpoints).
  virtual bool leads_host() const { return rank() == 0; }
  bool is_main() const { return rank() == 0; }
};

class SingleProcessWorld : public World {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<double> sum(const std::vector<double>& values) override { return values; }
  void barrier() override {}
};

}  // namespace tandem
