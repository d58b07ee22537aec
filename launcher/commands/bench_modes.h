#pragma once
// The modes of `tandem bench` (commands.h's bench() picks one): predicting
// (bench_command.cpp), measuring (bench_measure.cpp), and a rank of the
// point-to-point probe the measuring mode starts under mpirun.

#include "launcher/cli/bench_args.h"
#include "parallel/cluster_model/layer_costs.h"

#include <string>

namespace tandem::commands {

int bench_predict(const launcher::BenchArgs& args);
int bench_measure(const launcher::BenchArgs& args);
int bench_link_rank(const launcher::BenchArgs& args);

// The GPT shape the cluster model needs; it reads no weights. UsageError for an encoder.
cluster::ModelShape model_shape(const std::string& name_or_path);

}  // namespace tandem::commands
