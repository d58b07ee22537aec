#include "run/run_distribution.h"

namespace tandem::run {

launcher::Distribution resolve_distribution(const TrainArgs& args, const launcher::Env& env) {
  using launcher::Distribution;
  if (!args.distribution.empty()) return launcher::parse_distribution_arg(args.distribution);
  if (!args.mp_parameters.empty()) {
    // The toolkit passes mp_parameters on the command line of every rank it
    // starts under mpirun, so MPI is implied.
    Distribution d;
    d.strategy = Distribution::Strategy::ModelParallel;
    d.mpi_enabled = true;
    d.mp = launcher::parse_mp_parameters_arg(args.mp_parameters);
    return d;
  }
  return launcher::distribution_from_environment(env);
}

}  // namespace tandem::run
