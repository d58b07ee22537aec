// Allreduce bandwidth in the form of nccl-tests' all_reduce_perf: for each
// size, tandem's communicator (synchronous allreduce through the MPI thread)
// beside a plain MPI_Allreduce from the caller's thread, the floor tandem's
// design adds its overhead to.
//
//   mpirun -np 2 build/benchmarks/allreduce_bench [--min_bytes 8] [--max_bytes 64M]
//       [--step_factor 2] [--iters 20] [--warmup 5] [--json FILE]
//
// Each iteration refills the buffer (not timed), aligns the ranks with a
// barrier and times one in-place float32 sum. Reported: the slowest rank's
// median; algbw = bytes / time; busbw = algbw * 2(n-1)/n; #wrong counts
// elements differing from the exact sum over all timed iterations and ranks
// (inputs are small integers, so float32 sums are exact).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "benchmarks/bench_args.h"
#include "engine/error.h"
#include "parallel/comm/mpi_c.h"  // the floor calls MPI directly
#include "parallel/comm/runtime.h"

namespace {

using tandem::UsageError;
using tandem::comm::Communicator;
using tandem::comm::DType;
using tandem::comm::ReduceOp;

using Options = tandem::bench::SizeSweepArgs;

struct Result {
  double time_us = 0;  // slowest rank's median
  double algbw = 0;    // GB/s
  double busbw = 0;
  long long wrong = 0;
};

// Runs `allreduce` warmup + iters times on fresh inputs and reduces the
// timings and error counts over the ranks.
Result measure(const Options& options, std::size_t count, int rank, int size,
               const std::function<void(float*, std::size_t)>& allreduce,
               const std::function<void()>& align) {
  std::vector<float> buffer(count);
  std::vector<double> times;
  long long wrong = 0;
  const float total = float(size) * float(size + 1) / 2.0f;
  for (int iteration = 0; iteration < options.warmup + options.iters; ++iteration) {
    for (std::size_t i = 0; i < count; ++i) buffer[i] = float(rank + 1) * float(i % 13 + 1);
    align();
    const auto start = std::chrono::steady_clock::now();
    allreduce(buffer.data(), count);
    const auto stop = std::chrono::steady_clock::now();
    if (iteration < options.warmup) continue;
    times.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
    for (std::size_t i = 0; i < count; ++i) wrong += buffer[i] != total * float(i % 13 + 1);
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  double median = times[times.size() / 2];
  MPI_Allreduce(MPI_IN_PLACE, &median, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  Result result;
  result.time_us = median;
  result.algbw = double(count * sizeof(float)) / (median * 1e-6) / 1e9;
  result.busbw = result.algbw * 2.0 * (size - 1) / size;
  result.wrong = wrong;
  return result;
}

nlohmann::json to_json(const Result& r) {
  return {
      {"time_us", r.time_us}, {"algbw_gbps", r.algbw}, {"busbw_gbps", r.busbw}, {"wrong", r.wrong}};
}

int run(const Options& options) {
  tandem::comm::init();
  Communicator& world = tandem::comm::world();
  const int rank = world.rank();
  const int size = world.size();
  // The floor calls MPI from this thread: legal at MPI_THREAD_MULTIPLE, and at
  // SERIALIZED too since the MPI thread is idle between tandem's operations.
  auto tandem_allreduce = [&](float* data, std::size_t count) {
    world.allreduce(data, count, DType::Float32, ReduceOp::Sum);
  };
  auto mpi_allreduce = [](float* data, std::size_t count) {
    MPI_Allreduce(MPI_IN_PLACE, data, int(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  };
  auto tandem_barrier = [&] { world.barrier(); };
  auto mpi_barrier = [] { MPI_Barrier(MPI_COMM_WORLD); };

  const auto& host_of_rank = tandem::comm::process_info().host_of_rank;
  const std::set<std::string> hosts(host_of_rank.begin(), host_of_rank.end());
  if (rank == 0) {
    std::printf(
        "# tandem allreduce_bench: %d ranks on %d host(s), float32 sum in place, median of %d "
        "iterations after %d warm-up\n#\n",
        size, int(hosts.size()), options.iters, options.warmup);
    std::printf("# %37s %-35s%s\n", "", "tandem (MPI backend, MPI thread)",
                "MPI_Allreduce (floor)");
    std::printf("# %10s %11s %7s %6s %9s %7s %7s %6s   %9s %7s %7s %6s\n", "size", "count", "type",
                "redop", "time(us)", "algbw", "busbw", "#wrong", "time(us)", "algbw", "busbw",
                "#wrong");
    std::printf("# %10s %11s %7s %6s %9s %7s %7s %6s   %9s %7s %7s %6s\n", "(B)", "(elements)", "",
                "", "", "(GB/s)", "(GB/s)", "", "", "(GB/s)", "(GB/s)", "");
  }
  nlohmann::json rows = nlohmann::json::array();
  long long total_wrong = 0;
  for (std::size_t bytes = options.min_bytes; bytes <= options.max_bytes;
       bytes *= options.step_factor) {
    const std::size_t count = bytes / sizeof(float);
    const Result ours = measure(options, count, rank, size, tandem_allreduce, tandem_barrier);
    const Result floor = measure(options, count, rank, size, mpi_allreduce, mpi_barrier);
    total_wrong += ours.wrong + floor.wrong;
    if (rank == 0) {
      std::printf("  %10zu %11zu %7s %6s %9.1f %7.2f %7.2f %6lld   %9.1f %7.2f %7.2f %6lld\n",
                  count * sizeof(float), count, "float32", "sum", ours.time_us, ours.algbw,
                  ours.busbw, ours.wrong, floor.time_us, floor.algbw, floor.busbw, floor.wrong);
      std::fflush(stdout);
    }
    rows.push_back({{"size_bytes", count * sizeof(float)},
                    {"count", count},
                    {"type", "float32"},
                    {"redop", "sum"},
                    {"tandem", to_json(ours)},
                    {"mpi_allreduce", to_json(floor)}});
  }
  if (rank == 0 && !options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << nlohmann::json{{"benchmark", "allreduce"},
                          {"ranks", size},
                          {"iterations", options.iters},
                          {"warmup", options.warmup},
                          {"rows", rows}}
               .dump(2)
        << "\n";
    if (!out)
      throw tandem::RuntimeFailure("--json " + options.json_path + ": cannot write the file");
  }
  tandem::comm::finalize();
  return total_wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = tandem::bench::parse_or_exit(tandem::bench::allreduce_flag_table(), argc, argv);
  try {
    tandem::bench::validate_size_sweep_args(options);
    return run(options);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "allreduce_bench: error: %s\n", e.what());
    return 2;
  } catch (const tandem::RuntimeFailure& e) {
    tandem::comm::abort_job(e.what());  // the other ranks would wait forever
  }
}
