// One-way point-to-point latency between two ranks, the cost a pipeline stage
// pays for every activation and gradient it receives: tandem's send/recv
// (submitted to the MPI thread, the caller blocked on the Work, as the
// pipeline executor does) beside MPI_Send/MPI_Recv called directly from the
// caller's thread between the same two processes, the floor.
//
//   mpirun -np 2 build/benchmarks/p2p_latency_bench [--min_bytes 4K] [--max_bytes 4M]
//       [--step_factor 2] [--iters 200] [--warmup 5] [--json FILE]
//
// Two measurements per size:
//  - ready receiver: ping-pong, rank 0 sends, rank 1 receives and sends back;
//    one-way latency is half of rank 0's round trip.
//  - waiting receiver: rank 1 posts its receive and blocks on it; rank 0 sends
//    kSenderDelay later, with its send time in the message. One-way latency is
//    the receiver's clock at the end of its wait minus that time, which is
//    exact on one host (CLOCK_MONOTONIC is shared by all processes), so this
//    mode needs both ranks on one host. This is a pipeline stage waiting for
//    activations while the stage before it computes, the case where a poller
//    that sleeps between tests adds its interval to every message.
// The two implementations alternate message by message, so both see the same
// machine noise. Reported per size: the median, the 10th and 90th percentiles,
// and the ratio of the medians; #wrong counts received bytes that differ from
// what was sent.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/bench_args.h"
#include "engine/error.h"
#include "parallel/comm/mpi_c.h"  // the floor calls MPI directly
#include "parallel/comm/runtime.h"
#include "parallel/comm/work.h"

namespace {

using tandem::UsageError;
using tandem::comm::Communicator;
using tandem::comm::DType;

using Options = tandem::bench::SizeSweepArgs;
using Clock = std::chrono::steady_clock;

constexpr int kTag = 11;
// Long enough for tandem's MPI thread to reach its slowest idle polling.
constexpr auto kSenderDelay = std::chrono::milliseconds(15);

struct Latency {
  double median_us = 0, p10_us = 0, p90_us = 0;
};

Latency summarize(std::vector<double> one_way_us) {
  std::sort(one_way_us.begin(), one_way_us.end());
  const auto at = [&](double q) { return one_way_us[std::size_t(q * double(one_way_us.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.1), at(0.9)};
}

// One round trip of `bytes` from rank 0 to rank 1 and back.
using RoundTrip = std::function<void(std::uint8_t* data, std::size_t bytes)>;
// One message from rank 0 to rank 1.
using Transfer = RoundTrip;

double now_us() { return std::chrono::duration<double, std::micro>(Clock::now().time_since_epoch()).count(); }

void fill(std::vector<std::uint8_t>& data, std::uint8_t seed) {
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::uint8_t(seed + i % 251);
}
long long count_wrong(const std::vector<std::uint8_t>& data, std::uint8_t seed, std::size_t from) {
  long long wrong = 0;
  for (std::size_t i = from; i < data.size(); ++i) wrong += data[i] != std::uint8_t(seed + i % 251);
  return wrong;
}

struct Row {
  Latency ours, floor;
  long long wrong = 0;
};

Row ready_receiver(const Options& options, std::size_t bytes, int rank, const RoundTrip& ours_trip,
                   const RoundTrip& floor_trip) {
  std::vector<std::uint8_t> data(bytes);
  std::vector<double> ours, floor;
  Row row;
  for (int iteration = 0; iteration < options.warmup + options.iters; ++iteration) {
    for (const RoundTrip* trip : {&ours_trip, &floor_trip}) {
      const std::uint8_t seed = std::uint8_t(iteration * 2 + (trip == &floor_trip));
      if (rank == 0) fill(data, seed);
      MPI_Barrier(MPI_COMM_WORLD);
      const auto start = Clock::now();
      (*trip)(data.data(), bytes);
      const double one_way = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / 2;
      row.wrong += count_wrong(data, seed, 0);
      if (iteration >= options.warmup) (trip == &ours_trip ? ours : floor).push_back(one_way);
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &row.wrong, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) row.ours = summarize(ours), row.floor = summarize(floor);
  return row;
}

// Rank 1 measures; the result is sent to rank 0, which prints.
Row waiting_receiver(const Options& options, std::size_t bytes, int rank, const Transfer& ours_transfer,
                     const Transfer& floor_transfer) {
  std::vector<std::uint8_t> data(std::max<std::size_t>(bytes, sizeof(double)));
  std::vector<double> ours, floor;
  Row row;
  const int iterations = std::max(10, options.iters / 5);  // each costs kSenderDelay
  for (int iteration = 0; iteration < std::min(options.warmup, 2) + iterations; ++iteration) {
    for (const Transfer* transfer : {&ours_transfer, &floor_transfer}) {
      const std::uint8_t seed = std::uint8_t(iteration * 2 + (transfer == &floor_transfer));
      MPI_Barrier(MPI_COMM_WORLD);
      if (rank == 0) {
        std::this_thread::sleep_for(kSenderDelay);
        fill(data, seed);
        const double sent = now_us();
        std::memcpy(data.data(), &sent, sizeof sent);
      }
      (*transfer)(data.data(), bytes);
      if (rank != 1) continue;
      double sent = 0;
      std::memcpy(&sent, data.data(), sizeof sent);
      const double one_way = now_us() - sent;
      row.wrong += count_wrong(data, seed, sizeof sent);
      if (iteration >= std::min(options.warmup, 2)) (transfer == &ours_transfer ? ours : floor).push_back(one_way);
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &row.wrong, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  double summary[6] = {};
  if (rank == 1) {
    const Latency a = summarize(ours), b = summarize(floor);
    const double values[6] = {a.median_us, a.p10_us, a.p90_us, b.median_us, b.p10_us, b.p90_us};
    std::copy(values, values + 6, summary);
    MPI_Send(summary, 6, MPI_DOUBLE, 0, kTag + 1, MPI_COMM_WORLD);
  } else {
    MPI_Recv(summary, 6, MPI_DOUBLE, 1, kTag + 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    row.ours = {summary[0], summary[1], summary[2]};
    row.floor = {summary[3], summary[4], summary[5]};
  }
  return row;
}

void print_header(const char* title) {
  std::printf("#\n# %s\n", title);
  std::printf("# %10s   %-30s   %-30s   %8s %6s\n", "", "tandem send/recv (MPI thread)", "MPI_Send/MPI_Recv (floor)",
              "ratio", "");
  std::printf("# %10s   %9s %9s %9s    %9s %9s %9s   %8s %6s\n", "size(B)", "median", "p10", "p90", "median", "p10",
              "p90", "medians", "#wrong");
}

nlohmann::json print_row(std::size_t bytes, const Row& row) {
  std::printf("  %10zu   %9.1f %9.1f %9.1f    %9.1f %9.1f %9.1f   %7.2fx %6lld\n", bytes, row.ours.median_us,
              row.ours.p10_us, row.ours.p90_us, row.floor.median_us, row.floor.p10_us, row.floor.p90_us,
              row.ours.median_us / row.floor.median_us, row.wrong);
  std::fflush(stdout);
  const auto to_json = [](const Latency& l) {
    return nlohmann::json{{"median_us", l.median_us}, {"p10_us", l.p10_us}, {"p90_us", l.p90_us}};
  };
  return {{"size_bytes", bytes},
          {"tandem", to_json(row.ours)},
          {"mpi_send_recv", to_json(row.floor)},
          {"ratio_of_medians", row.ours.median_us / row.floor.median_us},
          {"wrong", row.wrong}};
}

int run(const Options& options) {
  tandem::comm::init();
  Communicator& world = tandem::comm::world();
  const int rank = world.rank();
  if (world.size() != 2) {
    throw UsageError("p2p_latency_bench runs on exactly 2 ranks (mpirun -np 2), got " +
                     std::to_string(world.size()));
  }
  const int peer = 1 - rank;
  const RoundTrip tandem_round_trip = [&](std::uint8_t* data, std::size_t bytes) {
    if (rank == 0) {
      world.send_async(data, bytes, DType::UInt8, peer, kTag)->wait();
      world.recv_async(data, bytes, DType::UInt8, peer, kTag)->wait();
    } else {
      world.recv_async(data, bytes, DType::UInt8, peer, kTag)->wait();
      world.send_async(data, bytes, DType::UInt8, peer, kTag)->wait();
    }
  };
  // The floor calls MPI from this thread: legal at MPI_THREAD_MULTIPLE, and
  // the MPI thread is idle between tandem's round trips.
  const RoundTrip mpi_round_trip = [&](std::uint8_t* data, std::size_t bytes) {
    if (rank == 0) {
      MPI_Send(data, int(bytes), MPI_BYTE, peer, kTag, MPI_COMM_WORLD);
      MPI_Recv(data, int(bytes), MPI_BYTE, peer, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(data, int(bytes), MPI_BYTE, peer, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(data, int(bytes), MPI_BYTE, peer, kTag, MPI_COMM_WORLD);
    }
  };

  const Transfer tandem_transfer = [&](std::uint8_t* data, std::size_t bytes) {
    if (rank == 0) world.send_async(data, bytes, DType::UInt8, peer, kTag)->wait();
    else world.recv_async(data, bytes, DType::UInt8, peer, kTag)->wait();
  };
  const Transfer mpi_transfer = [&](std::uint8_t* data, std::size_t bytes) {
    if (rank == 0) MPI_Send(data, int(bytes), MPI_BYTE, peer, kTag, MPI_COMM_WORLD);
    else MPI_Recv(data, int(bytes), MPI_BYTE, peer, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  };
  const auto& host_of_rank = tandem::comm::process_info().host_of_rank;
  const bool one_host = host_of_rank.size() == 2 && host_of_rank[0] == host_of_rank[1];

  if (rank == 0) {
    std::printf("# tandem p2p_latency_bench: 2 ranks on %s, one-way latency in microseconds; tandem and the floor "
                "alternate message by message; %d measurements per size after %d warm-up\n",
                one_host ? "one host" : "two hosts", options.iters, options.warmup);
  }
  nlohmann::json ready_rows = nlohmann::json::array(), waiting_rows = nlohmann::json::array();
  long long total_wrong = 0;
  if (rank == 0) print_header("ready receiver (ping-pong; one-way = round trip / 2)");
  for (std::size_t bytes = options.min_bytes; bytes <= options.max_bytes; bytes *= options.step_factor) {
    const Row row = ready_receiver(options, bytes, rank, tandem_round_trip, mpi_round_trip);
    total_wrong += row.wrong;
    if (rank == 0) ready_rows.push_back(print_row(bytes, row));
  }
  if (one_host) {
    if (rank == 0) {
      print_header("waiting receiver (receive posted, sender starts 15 ms later; one-way = arrival - send time)");
    }
    for (std::size_t bytes = options.min_bytes; bytes <= options.max_bytes; bytes *= options.step_factor) {
      const Row row = waiting_receiver(options, bytes, rank, tandem_transfer, mpi_transfer);
      total_wrong += row.wrong;
      if (rank == 0) waiting_rows.push_back(print_row(bytes, row));
    }
  } else if (rank == 0) {
    std::printf("# waiting receiver: skipped, the ranks are on two hosts and their clocks cannot be compared\n");
  }
  if (rank == 0 && !options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << nlohmann::json{{"benchmark", "p2p_latency"},
                          {"iterations", options.iters},
                          {"ready_receiver", ready_rows},
                          {"waiting_receiver", waiting_rows}}
               .dump(2)
        << "\n";
    if (!out) throw tandem::RuntimeFailure("--json " + options.json_path + ": cannot write the file");
  }
  tandem::comm::finalize();
  return total_wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = tandem::bench::parse_or_exit(tandem::bench::p2p_latency_flag_table(), argc, argv);
  try {
    tandem::bench::validate_size_sweep_args(options);
    return run(options);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "p2p_latency_bench: error: %s\n", e.what());
    return 2;
  } catch (const tandem::RuntimeFailure& e) {
    tandem::comm::abort_job(e.what());  // the other rank would wait forever
  }
}
