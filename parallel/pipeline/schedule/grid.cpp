#include "parallel/pipeline/schedule/grid.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/error.h"

namespace tandem::pipeline {

std::string render_grid(const Schedule& schedule, const Costs& costs) {
  const SimulationResult simulation = simulate(schedule, costs);
  if (simulation.deadlocked()) throw RuntimeFailure(simulation.deadlock);

  const auto slot = [](double time) { return static_cast<size_t>(std::llround(time)); };
  std::vector<std::vector<std::string>> cells(schedule.size(),
                                              std::vector<std::string>(slot(simulation.makespan), "."));
  size_t width = 1;
  for (const TimedAction& timed : simulation.timeline) {
    if (!is_compute(timed.action.kind)) continue;
    const std::string label = short_label(timed.action);
    width = std::max(width, label.size());
    for (size_t t = slot(timed.start_us); t < slot(timed.end_us); ++t) cells[timed.rank][t] = label;
  }

  std::string grid;
  const size_t label_width = ("rank " + std::to_string(cells.empty() ? 0 : cells.size() - 1)).size();
  for (size_t rank = 0; rank < cells.size(); ++rank) {
    std::string line = "rank " + std::to_string(rank);
    line.resize(label_width + 1, ' ');
    for (const std::string& cell : cells[rank]) line += " " + cell + std::string(width - cell.size(), ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    grid += line + "\n";
  }
  return grid;
}

}  // namespace tandem::pipeline
