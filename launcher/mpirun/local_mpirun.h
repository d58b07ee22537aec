#pragma once
// mpirun's options for ranks on this machine only: local mode's hosts
// (local/local_launch.h) and `tandem bench`'s runs. Oversubscribed (more
// ranks than cores is normal here), ranks numbered in order, the job aborted
// when a rank exits non-zero, and shared-memory transfers without the
// single-copy mechanism containers often forbid.

#include <string>
#include <vector>

namespace tandem::launcher {

// How the ranks sit on the cores. Free: where the scheduler puts them, as
// SageMaker's toolkit runs them (-bind-to none). Pinned: rank r on core r
// mod cores, more than one a core where ranks outnumber cores; `tandem bench`
// pins its runs, so which ranks share a core is the same in every run and
// known to the cluster model, where the scheduler would pair them differently
// from run to run (the 4-rank hybrids' rounds spread from 55 to 80 ms
// unpinned, within about 8% pinned).
enum class Cores { Free, Pinned };

// "mpirun" and those options; the caller adds -np, -x and the program.
std::vector<std::string> local_mpirun_options(Cores cores = Cores::Free);

// One app context: mpirun <options> -np N [-x NAME=VALUE]... program...
std::vector<std::string> local_mpirun_command(int processes, const std::vector<std::string>& environment,
                                              const std::vector<std::string>& program, Cores cores = Cores::Free);

}  // namespace tandem::launcher
