// Data-parallel training throughput of the engine, as `tandem train` runs it:
// ReplicaExecutor + ddp::GradientReducer (bucketed allreduce started from the
// autograd hooks) + AdamW, one replica per process, on random byte batches.
//
//   mpirun -np N build/benchmarks/dp_scaling_bench [--layers 4] [--d 256] [--heads 4]
//       [--T 256] [--batch 8] [--steps 15] [--warmup 3] [--threads 1]
//       [--first_bucket_kb 1024] [--bucket_cap_kb 25600]
//
// Prints one JSON line on rank 0: the median over steps of the slowest rank's
// step time, tokens/s = ranks · batch · T / that; with more than one rank also
// the overlap of the gradient allreduce with backward:
//   overlap_share    median over steps of hidden/comm from
//                    GradientReducer::last_step_overlap() (parallel/ddp/overlap.h:
//                    per bucket, the part of launch -> completion, as stamped
//                    by the MPI thread, that fell before backward ended)
//   comm_exposed_ms  median over steps of the same measure's exposed time:
//                    backward's end to the last bucket's completion
//   exposed_ms       median time finish() blocks after backward (the
//                    communication nobody hid, and waiting for a slower
//                    peer); exposed_last_rank_ms: the same on the rank that
//                    ends backward last (no peer to wait for), next to
//   allreduce_ms     one blocking allreduce of all gradients, measured alone
// and the phases of a step (forward, backward, finish, optimizer; forward and
// backward also in main-thread CPU time), slowest rank, and helper_threads_cpu_ms: CPU time per step of the threads besides
// the main one (the MPI thread), which compete with compute for the core.
// benchmarks/compare_data_parallel.sh runs it beside PyTorch DDP.

#include "benchmarks/bench_args.h"
#include "benchmarks/bench_common.h"
#include "common/median.h"
#include "engine/model/transformer_model.h"
#include "engine/train/optimizer.h"
#include "engine/train/replica_executor.h"
#include "parallel/comm/backend.h"
#include "parallel/comm/runtime.h"
#include "parallel/ddp/gradient_reducer.h"
#include "parallel/world/comm_world.h"
#include "run/execution_strategy.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU seconds this process's threads other than the main one have used (the
// MPI thread, any helper threads), from /proc/self/task/*/stat (Linux).
double helper_threads_cpu_seconds() {
  double ticks = 0;
  const std::string main_tid = std::to_string(getpid());
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    if (task.path().filename() == main_tid) continue;
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the ")" closing the name: state is field 3, utime 14, stime 15.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int f = 3; f <= 15 && rest >> field; ++f) {
      if (f == 14) utime = std::atof(field.c_str());
      if (f == 15) stime = std::atof(field.c_str());
    }
    ticks += utime + stime;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds the calling thread has run: against wall time it tells work
// from waiting for the core.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Times the phases of ReplicaExecutor's step, wall and main-thread CPU, from
// the calls it makes on its GradientSync, passing them on to the reducer (if any).
class PhaseClock : public tandem::GradientSync {
 public:
  explicit PhaseClock(tandem::ddp::GradientReducer* reducer) : reducer_(reducer) {}
  void start_step() { start_ = now(); }
  void before_backward(bool sync) override {
    backward_start_ = now();
    if (reducer_) reducer_->before_backward(sync);
  }
  void finish() override {
    finish_start_ = now();
    if (reducer_) reducer_->finish();
    finish_end_ = now();
  }
  struct Stamp {
    Clock::time_point wall;
    double cpu;
  };
  static Stamp now() { return {Clock::now(), thread_cpu_seconds()}; }
  static double wall(Stamp a, Stamp b) { return std::chrono::duration<double>(b.wall - a.wall).count(); }
  Stamp start_, backward_start_, finish_start_, finish_end_;

 private:
  tandem::ddp::GradientReducer* reducer_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace tandem;
  const auto args = bench::parse_or_exit(bench::dp_scaling_flag_table(), argc, argv);  // before MPI: a bad flag exits 2
  comm::init();
  comm::Communicator& world_group = comm::world();
  const int rank = world_group.rank(), ranks = world_group.size();

  const int layers = args.layers, d = args.d, heads = args.heads, T = args.T, B = args.batch;
  const int steps = args.steps, warmup = args.warmup, threads = args.threads;
  const ddp::ReducerOptions buckets{int64_t(args.first_bucket_kb) << 10, int64_t(args.bucket_cap_kb) << 10};
  torch::set_num_threads(threads);

  const tandem::ModelConfig c = tandem::bench::gpt_shape(layers, d, heads, T);
  auto model = TransformerModel::build(c, 0);

  // Data parallel's group from the run library, a reducer only when there is
  // more than one process; the executor reaches it through PhaseClock.
  std::unique_ptr<comm::Communicator> group;
  std::unique_ptr<ddp::GradientReducer> reducer;
  if (ranks > 1) {
    group = run::whole_job_group(world_group, comm::Backend::Mpi, torch::kCPU);
    reducer = std::make_unique<ddp::GradientReducer>(model.parameters(), *group, buckets);
  }
  parallel::CommWorld world(world_group);
  PhaseClock phases(reducer.get());
  ReplicaExecutor executor(model, world, &phases);
  auto opt = std::make_unique<AdamW>(model.named_parameters(), bench::peer_adamw_settings());

  torch::manual_seed(1000 + rank);  // each replica its own data
  auto ids = torch::randint(0, 256, {B, T + 1}, torch::kLong);
  Batch batch{ids.slice(1, 0, T).contiguous(), ids.slice(1, 1, T + 1).contiguous(), {}};

  // Per step, this rank's: total, forward, backward, finish, optimizer, overlap share.
  enum { kStep, kForward, kBackward, kFinish, kOptimizer, kForwardCpu, kBackwardCpu, kFields };
  std::vector<double> per_step(static_cast<size_t>(steps) * kFields, 0.0);
  std::vector<double> overlap_share, comm_exposed_s;
  world_group.barrier();
  double helper_cpu_at_start = 0;
  for (int s = 0; s < warmup + steps; ++s) {
    if (s == warmup) helper_cpu_at_start = helper_threads_cpu_seconds();
    const auto t0 = Clock::now();
    phases.start_step();
    opt->zero_grad();
    executor.forward_backward({batch});
    const auto optimizer_start = Clock::now();
    opt->step();
    const double step_s = seconds_since(t0);
    if (s < warmup) continue;
    double* row = &per_step[static_cast<size_t>(s - warmup) * kFields];
    row[kStep] = step_s;
    row[kForward] = PhaseClock::wall(phases.start_, phases.backward_start_);
    row[kBackward] = PhaseClock::wall(phases.backward_start_, phases.finish_start_);
    row[kFinish] = PhaseClock::wall(phases.finish_start_, phases.finish_end_);
    row[kForwardCpu] = phases.backward_start_.cpu - phases.start_.cpu;
    row[kBackwardCpu] = phases.finish_start_.cpu - phases.backward_start_.cpu;
    row[kOptimizer] = seconds_since(optimizer_start);
    if (reducer) {
      const auto& o = reducer->last_step_overlap();
      overlap_share.push_back(o.hidden_share());
      comm_exposed_s.push_back(o.exposed_seconds);
    }
  }

  // Per step, the largest over ranks: CPU time that competed with compute for this rank's core.
  double helper_cpu_ms = 1e3 * (helper_threads_cpu_seconds() - helper_cpu_at_start) / steps;
  world_group.allreduce(&helper_cpu_ms, 1, comm::DType::Float64, comm::ReduceOp::Max);

  // finish() on the rank that ends backward last: the communication and
  // copy-back left after backward, without the wait for a slower peer.
  std::vector<double> finish_last_rank;
  for (int s = 0; s < steps; ++s) finish_last_rank.push_back(per_step[static_cast<size_t>(s) * kFields + kFinish]);
  world_group.allreduce(finish_last_rank.data(), finish_last_rank.size(), comm::DType::Float64, comm::ReduceOp::Min);

  // The job's step is its slowest rank's: max over ranks, step by step.
  world_group.allreduce(per_step.data(), per_step.size(), comm::DType::Float64, comm::ReduceOp::Max);
  std::vector<double> field[kFields];
  for (int s = 0; s < steps; ++s)
    for (int f = 0; f < kFields; ++f) field[f].push_back(per_step[static_cast<size_t>(s) * kFields + f]);

  // Communication alone: one blocking allreduce of every gradient, the cost overlap hides.
  double allreduce_ms = 0;
  double overlap_median[2] = {0, 0};
  double comm_exposed_ms = 0;  // slowest rank's median
  if (reducer) {
    int64_t numel = 0;
    for (const auto& b : reducer->layout().buckets) numel += b.numel;
    auto flat = torch::ones({numel});
    std::vector<double> times;
    for (int i = 0; i < 7; ++i) {
      world_group.barrier();
      const auto t0 = Clock::now();
      group->allreduce(flat.data_ptr(), numel, comm::DType::Float32, comm::ReduceOp::Average);
      times.push_back(seconds_since(t0));
    }
    allreduce_ms = 1e3 * median(times);
    world_group.allreduce(&allreduce_ms, 1, comm::DType::Float64, comm::ReduceOp::Max);
    // Overlap share per rank, gathered to print both.
    const double mine = median(overlap_share);
    std::vector<double> all(static_cast<size_t>(ranks));
    world_group.allgather(&mine, all.data(), 1, comm::DType::Float64);
    overlap_median[0] = *std::min_element(all.begin(), all.end());
    overlap_median[1] = *std::max_element(all.begin(), all.end());
    comm_exposed_ms = 1e3 * median(comm_exposed_s);
    world_group.allreduce(&comm_exposed_ms, 1, comm::DType::Float64, comm::ReduceOp::Max);
  }

  if (rank == 0) {
    const double step = median(field[kStep]);
    std::printf("{\"impl\": \"tandem\", \"ranks\": %d, \"layers\": %d, \"d\": %d, \"T\": %d, \"batch_per_rank\": %d, "
                "\"threads\": %d, \"buckets\": %zu, \"median_step_s\": %.6f, \"tokens_per_second\": %.1f, "
                "\"forward_ms\": %.2f, \"backward_ms\": %.2f, \"forward_cpu_ms\": %.2f, \"backward_cpu_ms\": %.2f, \"exposed_ms\": %.2f, \"exposed_last_rank_ms\": %.2f, \"optimizer_ms\": %.2f, "
                "\"allreduce_ms\": %.2f, \"helper_threads_cpu_ms\": %.2f, \"overlap_share_min_rank\": %.3f, \"overlap_share_max_rank\": %.3f, \"comm_exposed_ms\": %.2f}\n",
                ranks, layers, d, T, B, threads, reducer ? reducer->layout().buckets.size() : size_t(0), step,
                ranks * B * T / step, 1e3 * median(field[kForward]), 1e3 * median(field[kBackward]),
                1e3 * median(field[kForwardCpu]), 1e3 * median(field[kBackwardCpu]),
                1e3 * median(field[kFinish]), 1e3 * median(finish_last_rank), 1e3 * median(field[kOptimizer]), allreduce_ms, helper_cpu_ms, overlap_median[0],
                overlap_median[1], comm_exposed_ms);
  }
  reducer.reset();
  group.reset();
  comm::finalize();
  return 0;
}
