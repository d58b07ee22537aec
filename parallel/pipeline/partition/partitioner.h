#pragma once
// Cuts a model's layer list into contiguous pipeline stages. Each layer has a
// compute cost and a memory cost; a stage's cost is their weighted mix,
//   (1 - memory_weight) * compute share + memory_weight * memory share,
// and the cut minimises the most expensive stage (SMP's memory_weight: 0.8
// with optimize=memory, 0.2 with optimize=speed). Pure, so every rank computes
// the same cut and tests need no processes.

#include <string>
#include <vector>

namespace tandem::pipeline {

struct LayerWeight {
  std::string name;    // for the printed table, e.g. "block 3"
  double compute = 0;  // forward + backward flops per token
  double memory = 0;   // bytes: parameters, gradients, optimizer state, stashed activations
  long long parameters = 0;
};

struct StageSpan {
  int begin = 0, end = 0;  // layers [begin, end)
  double compute = 0, memory = 0, cost = 0;
  long long parameters = 0;
};

// `stages` contiguous spans covering every layer, each at least one layer.
// UsageError when there are more stages than layers.
std::vector<StageSpan> partition_layers(const std::vector<LayerWeight>& layers, int stages, double memory_weight);

// The table printed at start: stage, layers, parameters, estimated cost.
std::string render_partition(const std::vector<LayerWeight>& layers, const std::vector<StageSpan>& stages);

}  // namespace tandem::pipeline
