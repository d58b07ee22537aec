#pragma once
// mpirun's options for ranks on this machine only: local mode's hosts
// (local/local_launch.h) and `tandem bench`'s strategy runs. Oversubscribed
// (more ranks than cores is normal here), not bound to cores, ranks numbered
// in order, the job aborted when a rank exits non-zero, and shared-memory
// transfers without the single-copy mechanism containers often forbid.

#include <string>
#include <vector>

namespace tandem::launcher {

// "mpirun" and those options; the caller adds -np, -x and the program.
std::vector<std::string> local_mpirun_options();

// One app context: mpirun <options> -np N [-x NAME=VALUE]... program...
std::vector<std::string> local_mpirun_command(int processes, const std::vector<std::string>& environment,
                                              const std::vector<std::string>& program);

}  // namespace tandem::launcher
