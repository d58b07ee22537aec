// Ping-pong between ranks 0 and 1 (link_probe.h).
#include "run/link_probe.h"

#include "common/median.h"

#include "engine/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace tandem::run {
namespace {

using Clock = std::chrono::steady_clock;

// Seconds `work` takes.
template <class Work>
double seconds_of(Work work) {
  const auto t0 = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The slowest rank's seconds of `work`, every rank starting it together.
template <class Work>
double slowest_rank_seconds(comm::Communicator& world, Work work) {
  world.barrier();
  double t = seconds_of(work);
  world.allreduce(&t, 1, comm::DType::Float64, comm::ReduceOp::Max);
  return t;
}

// Median one-way time of `bytes`: half a round trip, rank 0 sending first.
double one_way_seconds(comm::Communicator& world, std::size_t bytes, int repeats) {
  std::vector<unsigned char> buffer(bytes, 1);
  const int me = world.rank(), peer = 1 - me;
  const auto send = [&] { world.send_async(buffer.data(), bytes, comm::DType::UInt8, peer, 0)->wait(); };
  const auto receive = [&] { world.recv_async(buffer.data(), bytes, comm::DType::UInt8, peer, 0)->wait(); };
  return median_after_warmup(repeats, [&] {
    return seconds_of([&] {
             if (me == 0) {
               send();
               receive();
             } else {
               receive();
               send();
             }
           }) / 2;
  });
}

// A fixed compute burst: matmuls of a transformer block's size.
double burst_seconds(int matmuls = 8) {
  const auto a = torch::randn({256, 256});
  const auto b = torch::randn({256, 1024});
  return seconds_of([&] {
    for (int i = 0; i < matmuls; ++i) (void)a.mm(b);
  });
}

// Median time from a send being posted to the waiting receiver holding the
// message, while the sender goes on computing: a pipeline stage sends its
// output and starts the next microbatch. On a CPU whose cores all compute,
// the communicator's thread then waits for the scheduler to give it a core,
// which a ping-pong between two ready ranks never shows. Both ranks share
// this machine's monotonic clock, so the receiver's arrival time and the
// sender's posting time compare directly.
double busy_sender_one_way_seconds(comm::Communicator& world, std::size_t bytes, int repeats) {
  std::vector<unsigned char> buffer(bytes, 1);
  const int me = world.rank(), peer = 1 - me;
  const auto now = [] { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); };
  std::vector<double> posted, arrived;
  unsigned char ready = 1;
  for (int k = 0; k <= repeats; ++k) {
    if (me == 0) {
      // The receiver says it is waiting (ranks past the first two take no part).
      world.recv_async(&ready, 1, comm::DType::UInt8, peer, 3)->wait();
      posted.push_back(now());
      auto sent = world.send_async(buffer.data(), bytes, comm::DType::UInt8, peer, 1);
      (void)burst_seconds(2);
      sent->wait();
    } else {
      auto receive = world.recv_async(buffer.data(), bytes, comm::DType::UInt8, peer, 1);
      world.send_async(&ready, 1, comm::DType::UInt8, peer, 3)->wait();
      receive->wait();
      arrived.push_back(now());
    }
  }
  // The arrival times reach rank 0 after the timing, so they cost it nothing.
  if (me == 1) {
    world.send_async(arrived.data(), arrived.size(), comm::DType::Float64, peer, 2)->wait();
    return 0;
  }
  arrived.resize(posted.size());
  world.recv_async(arrived.data(), arrived.size(), comm::DType::Float64, peer, 2)->wait();
  std::vector<double> one_way;
  for (size_t k = 1; k < posted.size(); ++k) one_way.push_back(std::max(0.0, arrived[k] - posted[k]));  // the first sets up
  return median(one_way);
}

// Median of a blocking allreduce of `bytes` of float32 over the world.
double allreduce_seconds(comm::Communicator& world, std::size_t bytes, int repeats) {
  std::vector<float> gradients(std::max<std::size_t>(1, bytes / sizeof(float)), 1.0f);
  return median_after_warmup(repeats, [&] {
    world.barrier();
    return seconds_of(
        [&] { world.allreduce(gradients.data(), gradients.size(), comm::DType::Float32, comm::ReduceOp::Sum); });
  });
}

// Median over `repeats` of the slowest rank's burst, all starting together.
double burst_of_every_rank(comm::Communicator& world, int repeats) {
  return median_after_warmup(repeats, [&] { return slowest_rank_seconds(world, [] { (void)burst_seconds(); }); });
}

// Median over repeats of the slowest rank's burst with the allreduce of
// `bytes` started just before it and waited for after: a data-parallel
// backward with its gradients reducing beside it. Beyond the burst alone,
// it is what the reduction costs a step here, cores shared included.
double burst_with_allreduce_seconds(comm::Communicator& world, std::size_t bytes, int repeats) {
  std::vector<float> gradients(std::max<std::size_t>(1, bytes / sizeof(float)), 1.0f);
  return median_after_warmup(repeats, [&] {
    return slowest_rank_seconds(world, [&] {
      auto reduction =
          world.allreduce_async(gradients.data(), gradients.size(), comm::DType::Float32, comm::ReduceOp::Sum);
      (void)burst_seconds();
      reduction->wait();
    });
  });
}

}  // namespace

LinkProbe probe_link(comm::Communicator& world, int repeats, std::size_t allreduce_bytes, std::size_t boundary_bytes) {
  if (world.size() < 2) throw RuntimeFailure("link probe: needs two ranks (run it under mpirun -np 2)");
  LinkProbe probe;
  probe.small_bytes = 64;
  probe.boundary_bytes = static_cast<double>(std::max<std::size_t>(1, boundary_bytes));
  probe.large_bytes = 4 << 20;
  if (world.rank() < 2) {
    probe.small_one_way_s = one_way_seconds(world, static_cast<std::size_t>(probe.small_bytes), repeats);
    probe.large_one_way_s = one_way_seconds(world, static_cast<std::size_t>(probe.large_bytes), repeats);
  }
  // Every other rank computes meanwhile, as the other replicas of a hybrid
  // do: the sender's thread then competes with all of them for the cores.
  world.barrier();
  if (world.rank() < 2) {
    probe.busy_sender_one_way_s =
        busy_sender_one_way_seconds(world, static_cast<std::size_t>(probe.boundary_bytes), repeats);
  } else {
    for (int k = 0; k <= repeats; ++k) (void)burst_seconds(2);
  }
  double flag = 0;
  probe.host_sync_s = median_after_warmup(
      repeats, [&] { return seconds_of([&] { world.allreduce(&flag, 1, comm::DType::Float64, comm::ReduceOp::Sum); }); });
  probe.concurrent_burst_s = burst_of_every_rank(world, repeats);
  probe.allreduce_bytes = static_cast<double>(allreduce_bytes);
  probe.allreduce_s = allreduce_seconds(world, allreduce_bytes, repeats);
  probe.burst_with_allreduce_s = burst_with_allreduce_seconds(world, allreduce_bytes, repeats);
  world.barrier();
  const double extra = std::max(probe.large_one_way_s - probe.small_one_way_s, 1e-9);
  probe.link = {"this machine (measured)", probe.small_one_way_s, (probe.large_bytes - probe.small_bytes) / extra};
  return probe;
}

double ring_allreduce_beta(int ranks, double bytes, double seconds, double alpha_s) {
  if (ranks < 2 || bytes <= 0) return 0;
  const double steps = 2.0 * (ranks - 1);
  return steps / ranks * bytes / std::max(seconds - steps * alpha_s, 1e-9);
}

}  // namespace tandem::run
