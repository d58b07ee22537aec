// mpirun on this machine (local_mpirun.h).
#include "launcher/mpirun/local_mpirun.h"

namespace tandem::launcher {

std::vector<std::string> local_mpirun_options(Cores cores) {
  // -map-by slot numbers the ranks in order over the cores; overload-allowed
  // lets a pinned core take a second rank.
  return {"mpirun", "--oversubscribe", "--allow-run-as-root", "--tag-output", "-bind-to",
          cores == Cores::Pinned ? "core:overload-allowed" : "none", "-map-by", "slot",
          "-mca", "orte_abort_on_non_zero_status", "1", "-mca", "btl_vader_single_copy_mechanism", "none"};
}

std::vector<std::string> local_mpirun_command(int processes, const std::vector<std::string>& environment,
                                              const std::vector<std::string>& program, Cores cores) {
  std::vector<std::string> command = local_mpirun_options(cores);
  command.insert(command.end(), {"-np", std::to_string(processes)});
  for (const auto& pair : environment) command.insert(command.end(), {"-x", pair});
  command.insert(command.end(), program.begin(), program.end());
  return command;
}

}  // namespace tandem::launcher
