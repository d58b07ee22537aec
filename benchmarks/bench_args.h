#pragma once
// The benchmarks' command lines, one flag table each: parsing, the checks of
// every value and each benchmark's --help come from it. Torch-free, so the
// tables are unit-tested (tests/flags/) without running a benchmark.

#include "common/flags/flag_table.h"
#include "engine/error.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace tandem::bench {

// The GPT shape and step counts the training benchmarks share (their peers
// take the same flags: benchmarks/bench_shape.sh).
struct ShapeArgs {
  int layers{}, d{}, heads{}, T{};
  int steps{}, warmup{}, threads{};
};

struct DpScalingArgs : ShapeArgs {
  int batch{};  // per rank
  int first_bucket_kb{}, bucket_cap_kb{};
};

struct PipelineArgs : ShapeArgs {
  int microbatch{};       // examples per microbatch
  std::string trace_dir;  // empty: results/ beside the binary
};

struct LmHeadArgs {
  std::string impl;  // chunked or full
  int batch{}, T{}, d{}, vocab{}, chunk_rows{}, steps{}, threads{};
};
struct TokenizerBenchArgs {
  std::string tokenizer_dir;  // a model directory with tokenizer.json, vocab.json + merges.txt or vocab.txt
  std::string text_file;      // empty: the fortunes corpus
  int threads{}, runs{};
  bool peer{};
};

// allreduce_bench and p2p_latency_bench: message sizes min_bytes, min_bytes *
// step_factor, ... up to max_bytes.
struct SizeSweepArgs {
  std::size_t min_bytes{}, max_bytes{}, step_factor{};
  int iters{}, warmup{};
  std::string json_path;  // empty: no JSON file
};

const flags::FlagTable<DpScalingArgs>& dp_scaling_flag_table();
const flags::FlagTable<PipelineArgs>& pipeline_flag_table();
const flags::FlagTable<SizeSweepArgs>& allreduce_flag_table();
const flags::FlagTable<SizeSweepArgs>& p2p_latency_flag_table();
const flags::FlagTable<LmHeadArgs>& lm_head_flag_table();
const flags::FlagTable<TokenizerBenchArgs>& tokenizer_flag_table();

// --max_bytes below --min_bytes. Throws UsageError.
void validate_size_sweep_args(const SizeSweepArgs& args);

// A benchmark's main(): --help prints the table's help and exits 0; a usage
// error prints one line and exits 2. Called before MPI starts, so every rank
// of an mpirun prints its own copy.
template <class Args>
Args parse_or_exit(const flags::FlagTable<Args>& table, int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (flags::wants_help(args)) {
    std::fputs(table.help().c_str(), stdout);
    std::exit(0);
  }
  try {
    return table.parse(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: error: %s\n", table.info().program.c_str(), e.what());
    std::exit(2);
  }
}

}  // namespace tandem::bench
