// Ping-pong between ranks 0 and 1 (link_probe.h).
#include "run/link_probe.h"

#include "engine/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace tandem::run {
namespace {

using Clock = std::chrono::steady_clock;

// Median one-way time of `bytes`: half a round trip, rank 0 sending first.
double one_way_seconds(comm::Communicator& world, std::size_t bytes, int repeats) {
  std::vector<unsigned char> buffer(bytes, 1);
  const int me = world.rank(), peer = 1 - me;
  std::vector<double> times;
  for (int k = 0; k <= repeats; ++k) {  // the first exchange sets the connection up and is not counted
    const auto t0 = Clock::now();
    if (me == 0) {
      world.send_async(buffer.data(), bytes, comm::DType::UInt8, peer, 0)->wait();
      world.recv_async(buffer.data(), bytes, comm::DType::UInt8, peer, 0)->wait();
    } else {
      world.recv_async(buffer.data(), bytes, comm::DType::UInt8, peer, 0)->wait();
      world.send_async(buffer.data(), bytes, comm::DType::UInt8, peer, 0)->wait();
    }
    if (k > 0) times.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / 2);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// A fixed compute burst: matmuls of a transformer block's size.
double burst_seconds() {
  const auto a = torch::randn({256, 256});
  const auto b = torch::randn({256, 1024});
  const auto t0 = Clock::now();
  for (int i = 0; i < 8; ++i) (void)a.mm(b);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Median over `repeats` of the slowest rank's burst, all starting together.
double burst_of_every_rank(comm::Communicator& world, int repeats) {
  std::vector<double> times;
  for (int k = 0; k <= repeats; ++k) {
    world.barrier();
    double t = burst_seconds();
    world.allreduce(&t, 1, comm::DType::Float64, comm::ReduceOp::Max);
    if (k > 0) times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

LinkProbe probe_link(comm::Communicator& world, int repeats) {
  if (world.size() < 2) throw RuntimeFailure("link probe: needs two ranks (run it under mpirun -np 2)");
  LinkProbe probe;
  probe.small_bytes = 64;
  probe.large_bytes = 4 << 20;
  if (world.rank() < 2) {
    probe.small_one_way_s = one_way_seconds(world, static_cast<std::size_t>(probe.small_bytes), repeats);
    probe.large_one_way_s = one_way_seconds(world, static_cast<std::size_t>(probe.large_bytes), repeats);
  }
  std::vector<double> syncs;
  double flag = 0;
  for (int k = 0; k <= repeats; ++k) {
    const auto t0 = Clock::now();
    world.allreduce(&flag, 1, comm::DType::Float64, comm::ReduceOp::Sum);
    if (k > 0) syncs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(syncs.begin(), syncs.end());
  probe.host_sync_s = syncs[syncs.size() / 2];
  probe.concurrent_burst_s = burst_of_every_rank(world, repeats);
  world.barrier();
  const double extra = std::max(probe.large_one_way_s - probe.small_one_way_s, 1e-9);
  probe.link = {"this machine (measured)", probe.small_one_way_s, (probe.large_bytes - probe.small_bytes) / extra};
  return probe;
}

double compute_burst_seconds(int repeats) {
  std::vector<double> times;
  for (int k = 0; k <= repeats; ++k) {
    const double t = burst_seconds();
    if (k > 0) times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace tandem::run
