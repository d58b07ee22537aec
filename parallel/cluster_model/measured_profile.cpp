// Reading a measured profile at a microbatch size (measured_profile.h).
#include "parallel/cluster_model/measured_profile.h"

#include "engine/error.h"

#include <cmath>

namespace tandem::cluster {

std::vector<MeasuredLayer> measured_layers_at(const MeasuredProfile& profile, double tokens, int layers) {
  if (profile.layers_at_tokens.empty()) throw UsageError("measured profile: no layer times");
  auto nearest = profile.layers_at_tokens.begin();
  for (auto it = profile.layers_at_tokens.begin(); it != profile.layers_at_tokens.end(); ++it)
    if (std::abs(it->first - tokens) < std::abs(nearest->first - tokens)) nearest = it;
  if (static_cast<int>(nearest->second.size()) != layers)
    throw UsageError("measured profile: " + std::to_string(nearest->second.size()) + " layers where the model has " +
                     std::to_string(layers));
  const double scale = tokens / nearest->first;
  std::vector<MeasuredLayer> out = nearest->second;
  for (auto& l : out) {
    l.forward_s *= scale;
    l.backward_s *= scale;
    l.backward_input_s *= scale;
    l.backward_weight_s *= scale;
  }
  return out;
}

std::vector<pipeline::LayerWeight> measured_partition(const MeasuredProfile& profile, double tokens) {
  std::vector<pipeline::LayerWeight> out = profile.partition_per_token;
  for (size_t i = 0; i < out.size() && i < profile.activation_bytes_per_token.size(); ++i)
    out[i].memory += profile.activation_bytes_per_token[i] * tokens;
  return out;
}

}  // namespace tandem::cluster
