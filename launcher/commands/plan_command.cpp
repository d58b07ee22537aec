// tandem plan: what a model-parallel job will do, without running it — the
// rank table with each rank's stage layers, the per-rank schedule grid and
// the theoretical bubble. `--json True` prints the rank table for scripts.

#include "engine/error.h"
#include "engine/model/transformer_model.h"
#include "launcher/cli/plan_args.h"
#include "launcher/commands/commands.h"
#include "launcher/distribution/distribution.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/pipeline/schedule/grid.h"
#include "parallel/topology/layout.h"
#include "run/parallel_plan.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>

namespace tandem::commands {

std::string plan_usage() { return launcher::plan_flag_table().help(); }

int plan(const std::vector<std::string>& argv) {
  const launcher::PlanArgs args = launcher::parse_plan_args(argv);
  launcher::validate_plan_args(args);
  launcher::Distribution dist;
  if (!args.distribution.empty()) {
    dist = launcher::parse_distribution_arg(args.distribution);
  } else {
    dist.strategy = launcher::Distribution::Strategy::ModelParallel;
    dist.mp = launcher::parse_mp_parameters_arg(args.mp_parameters);
  }
  if (dist.strategy != launcher::Distribution::Strategy::ModelParallel)
    throw UsageError("--distribution: tandem plan shows model-parallel jobs (smdistributed.modelparallel); "
                     "a data-parallel job runs every rank the same way");
  const int pph = args.processes_per_host.value_or(std::max(1, dist.processes_per_host));
  const int world = args.instance_count * pph;
  const auto& mp = *dist.mp;
  const TransformerModel model = TransformerModel::build(resolve_model_config(args.model), 0);
  const run::ParallelPlan plan = run::make_parallel_plan(mp, world, pph, model, args.block_size,
                                               args.per_device_train_batch_size.value_or(mp.microbatches));

  // Each rank's stage layers, chunk by chunk, where the schedule's placement puts them.
  auto stage_layers = [&](int pp_rank) {
    std::string text;
    for (int c = 0; c < plan.placement.chunks(); ++c) {
      const auto& st = plan.stages[plan.placement.stage(pp_rank, c)];
      std::string names = plan.layers[st.begin].name;
      if (st.end - st.begin > 1) names += ".." + plan.layers[st.end - 1].name;
      text += (text.empty() ? "" : "; ") + names;
    }
    return text;
  };
  if (args.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : plan.layout.ranks)
      rows.push_back({{"rank", r.rank},
                      {"host", parallel::host_name(r.host_index)},
                      {"local_rank", r.local_rank},
                      {"pp_rank", r.pp_rank},
                      {"dp_rank", r.dp_rank},
                      {"stage_layers", stage_layers(r.pp_rank)}});
    std::cout << rows.dump(2) << std::endl;
    return 0;
  }
  std::printf("%d processes (instance_count %d × processes_per_host %d): %d pipeline stages × %d data-parallel "
              "replicas, placement %s\n\n",
              world, args.instance_count, pph, plan.layout.pp_size, plan.layout.dp_size,
              mp.placement_strategy.c_str());
  std::printf("%5s  %-8s %10s %8s %8s  %s\n", "rank", "host", "local_rank", "pp_rank", "dp_rank", "stage layers");
  for (const auto& r : plan.layout.ranks)
    std::printf("%5d  %-8s %10d %8d %8d  %s\n", r.rank, parallel::host_name(r.host_index).c_str(), r.local_rank,
                r.pp_rank, r.dp_rank, stage_layers(r.pp_rank).c_str());
  auto groups = [](const std::function<std::vector<int>(int)>& group_of, int count) {
    std::string text;
    for (int g = 0; g < count; ++g) {
      text += " [";
      const auto ranks = group_of(g);
      for (size_t i = 0; i < ranks.size(); ++i) text += (i ? "," : "") + std::to_string(ranks[i]);
      text += "]";
    }
    return text;
  };
  std::printf("pipeline groups (one model replica each, by pp_rank):%s\n",
              groups([&](int d) { return plan.layout.pipeline_group(d); }, plan.layout.dp_size).c_str());
  std::printf("dp groups (one stage each, by dp_rank):%s\n",
              groups([&](int p) { return plan.layout.dp_group(p); }, plan.layout.pp_size).c_str());
  std::printf("\nstages of %s (memory_weight %.2f):\n%s", args.model.c_str(), mp.memory_weight,
              pipeline::render_partition(plan.layers, plan.stages).c_str());
  std::printf("\nschedule %s, %d microbatches (forward 1 slot, backward 2):\n%s", plan.schedule.kind.c_str(),
              mp.microbatches, pipeline::render_grid(pipeline::build_schedule(plan.schedule)).c_str());
  std::printf("\ntheoretical bubble: %.1f%% of the step\n", 100 * pipeline::theoretical_bubble(plan.schedule));
  for (const std::string& note : mp.notes) std::printf("mp_parameters: %s\n", note.c_str());
  return 0;
}

}  // namespace tandem::commands
