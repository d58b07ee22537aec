#pragma once
// The median the benchmarks and the bench's probes report: the middle of the
// sorted values, the upper one of an even count (a measured value, never an
// average of two); 0 for none.

#include <algorithm>
#include <vector>

namespace tandem {

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The median of `repeats` runs of `once` (each returns what it measured),
// after one run that is not counted: it sets connections, buffers and the
// allocator up.
template <class Once>
double median_after_warmup(int repeats, Once once) {
  std::vector<double> values;
  for (int k = 0; k <= repeats; ++k) {
    const double v = once();
    if (k > 0) values.push_back(v);
  }
  return median(values);
}

}  // namespace tandem
