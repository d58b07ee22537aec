#pragma once
// Shared by the runtime unit tests: jobs of N fake ranks (threads of this
// process, parallel/comm/fake) with a bounded wait, and small deterministic inputs.

#include "engine/data/batch.h"
#include "parallel/comm/fake/run_ranks.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>

namespace tandem::runtime_tests {

using comm::Communicator;
using comm::fake::Hub;
using comm::fake::run_ranks;

// A bug that leaves a rank waiting fails the test in seconds, not after 300 s.
constexpr std::chrono::seconds kJobTimeout{30};

inline void run_job(int ranks, const comm::fake::RankBody& body) {
  Hub hub(ranks);
  hub.set_timeout(kJobTimeout);
  run_ranks(hub, body);
}

// A generator of its own: rank threads must not share torch's global one.
inline at::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// A language-modelling batch of random tokens (the model never sees real text here).
inline Batch random_lm_batch(int64_t examples, int64_t block, int64_t vocab, uint64_t seed) {
  auto gen = generator(seed);
  auto tokens = torch::randint(vocab, {examples, block + 1}, gen, torch::kLong);
  Batch b;
  b.input_ids = tokens.slice(1, 0, block).contiguous();
  b.targets = tokens.slice(1, 1, block + 1).contiguous();
  return b;
}

// Per-step values of one training metric ("loss", "grad_norm") from a run's metrics.jsonl.
inline std::map<int, double> metric_by_step(const std::string& metrics_path, const std::string& metric = "loss") {
  std::map<int, double> out;
  std::ifstream in(metrics_path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto record = nlohmann::json::parse(line);
    if (record.contains(metric)) out[record["step"].get<int>()] = record[metric].get<double>();
  }
  return out;
}

// max |a - b| <= tolerance × max |b|: agreement relative to the tensor's scale
// (elements that are zero in exact arithmetic carry only rounding noise).
inline ::testing::AssertionResult close_relative(const torch::Tensor& a, const torch::Tensor& b, double tolerance) {
  if (!a.defined() || !b.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  if (a.sizes() != b.sizes()) return ::testing::AssertionFailure() << "shapes differ: " << a.sizes() << " vs " << b.sizes();
  const double diff = (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
  const double scale = b.to(torch::kDouble).abs().max().item<double>();
  if (diff <= tolerance * scale || diff == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max diff " << diff << " exceeds " << tolerance << " × " << scale;
}

}  // namespace tandem::runtime_tests
