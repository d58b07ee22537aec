#include "parallel/pipeline/partition/partitioner.h"

#include "engine/error.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>

namespace tandem::pipeline {

std::vector<StageSpan> partition_layers(const std::vector<LayerWeight>& layers, int stages, double memory_weight) {
  const int n = static_cast<int>(layers.size());
  if (stages < 1) throw UsageError("partitions must be at least 1, got " + std::to_string(stages));
  if (stages > n)
    throw UsageError("partitions × virtual_stages = " + std::to_string(stages) + " exceeds the model's " +
                     std::to_string(n) + " layers (embedding, blocks, final norm, head)");
  double total_compute = 0, total_memory = 0;
  for (const auto& l : layers) {
    total_compute += l.compute;
    total_memory += l.memory;
  }
  std::vector<double> cost(n);
  for (int i = 0; i < n; ++i)
    cost[i] = (1 - memory_weight) * (total_compute > 0 ? layers[i].compute / total_compute : 0) +
              memory_weight * (total_memory > 0 ? layers[i].memory / total_memory : 0);
  std::vector<double> prefix(n + 1, 0);
  for (int i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + cost[i];

  // best[k][i]: the smallest possible maximum stage cost splitting layers [0, i) into k stages.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(stages + 1, std::vector<double>(n + 1, inf));
  std::vector<std::vector<int>> cut(stages + 1, std::vector<int>(n + 1, 0));
  best[0][0] = 0;
  for (int k = 1; k <= stages; ++k)
    for (int i = k; i <= n - (stages - k); ++i)
      for (int j = k - 1; j < i; ++j) {
        const double c = std::max(best[k - 1][j], prefix[i] - prefix[j]);
        // Ties go to the later cut, which keeps early stages (that also stash
        // the most activations under 1F1B) no larger than needed.
        if (c < best[k][i] - 1e-12 || (c <= best[k][i] + 1e-12 && j > cut[k][i])) {
          best[k][i] = c;
          cut[k][i] = j;
        }
      }
  std::vector<StageSpan> spans(stages);
  for (int k = stages, i = n; k >= 1; --k) {
    const int j = cut[k][i];
    StageSpan& s = spans[k - 1];
    s.begin = j;
    s.end = i;
    for (int l = j; l < i; ++l) {
      s.compute += layers[l].compute;
      s.memory += layers[l].memory;
      s.parameters += layers[l].parameters;
    }
    s.cost = prefix[i] - prefix[j];
    i = j;
  }
  return spans;
}

std::string render_partition(const std::vector<LayerWeight>& layers, const std::vector<StageSpan>& stages) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-6s %-28s %12s %10s\n", "stage", "layers", "parameters", "cost");
  out << line;
  for (size_t s = 0; s < stages.size(); ++s) {
    const auto& st = stages[s];
    std::string names = layers[st.begin].name;
    if (st.end - st.begin > 1) names += " .. " + layers[st.end - 1].name;
    std::snprintf(line, sizeof(line), "%-6zu %-28s %12lld %9.1f%%\n", s, names.c_str(), st.parameters, 100.0 * st.cost);
    out << line;
  }
  return out.str();
}

}  // namespace tandem::pipeline
