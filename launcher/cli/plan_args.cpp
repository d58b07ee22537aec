// The table of `tandem plan`'s flags and the check between them.
#include "launcher/cli/plan_args.h"

#include "engine/error.h"

namespace tandem::launcher {
namespace {

flags::FlagTable<PlanArgs> make_table() {
  flags::CommandInfo info("tandem plan", "--distribution '<json>'|FILE [--key value]...",
                          "show the rank table, stages and schedule of a model-parallel job");
  info.description =
      "Prints the rank table, the stage each rank runs, the schedule grid and the\n"
      "theoretical bubble of a model-parallel job, without running it.";
  flags::FlagTable<PlanArgs> t(info);
  using A = PlanArgs;
  t.text("distribution", &A::distribution).metavar("json|file")
      .help("the estimator's distribution dict, as JSON or a JSON file (or --mp_parameters)");
  t.text("mp_parameters", &A::mp_parameters).metavar("k=v,...")
      .help("model-parallel parameters in SageMaker's command-line form (or --distribution)");
  t.integer("instance_count", &A::instance_count).default_to("1").at_least(1).help("hosts");
  t.integer("processes_per_host", &A::processes_per_host).at_least(1)
      .default_note("the dict's mpi.processes_per_host, else 1").help("processes per host");
  t.text("model_name_or_path", &A::model).default_to("gpt2-124m").help("model whose layers are cut into stages");
  t.integer("block_size", &A::block_size).default_to("1024").at_least(1)
      .help("tokens per example, for the activation estimate");
  t.integer("per_device_train_batch_size", &A::per_device_train_batch_size).at_least(1).default_note("microbatches")
      .help("replica batch");
  t.boolean("json", &A::json).default_to("False").help("print the rank table as JSON");
  return t;
}

}  // namespace

const flags::FlagTable<PlanArgs>& plan_flag_table() { return flags::built_once<make_table>(); }

PlanArgs parse_plan_args(const std::vector<std::string>& argv) { return plan_flag_table().parse(argv); }

void validate_plan_args(const PlanArgs& args) {
  if (args.distribution.empty() == args.mp_parameters.empty())
    throw UsageError("tandem plan needs exactly one of --distribution or --mp_parameters");
}

}  // namespace tandem::launcher
