#pragma once
// The master's mpirun command, token by token, as the SageMaker training
// toolkit builds it (docs/sagemaker-contract.md §3.6 MPI runner for SMP and plain
// MPI, §3.7 SMDDP runner). Tokens go to exec directly; use
// format_command_for_display (shell/shlex.h) to show them.

#include <string>
#include <vector>

#include "launcher/env/env.h"

namespace tandem::launcher {

struct MpirunSpec {
  std::vector<std::string> hosts;        // the first is the master
  int processes_per_host = 1;
  int num_processes = 0;                 // MPI runner only: 0 = processes_per_host × hosts
  std::string network_interface = "eth0";
  std::string instance_type;             // picks the EFA flags; SMDDP passes it on
  std::string custom_mpi_options;        // see custom_mpi_options.h
  std::string gethostname_preload;       // LD_PRELOAD shim returning algo-N; "" = no LD_PRELOAD
  std::vector<std::string> forward_env;  // MPI runner: names exported with -x (the SM_* names, PYTHONPATH)
  bool model_parallel = false;           // MPI runner: an SMP job
  bool smddpmprun = false;               // MPI runner, SMP: smddpmprun is on PATH and ddp_dist_backend is "auto"
  bool smddprun = false;                 // SMDDP runner: smddprun is on PATH
  std::vector<std::string> program;      // what each rank runs: entry_point_shell_command(...) or a direct argv
};

// §3.6. master_env supplies AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
// AWS_SESSION_TOKEN (forwarded by name when set) and SM_DLC_TORCH_VERSION
// (with model_parallel: -x NCCL_PROTO=simple, plus -x NCCL_ALGO=ring for torch >= 2).
std::vector<std::string> mpi_runner_command(const MpirunSpec& spec, const Env& master_env);

// §3.7. Always processes_per_host × hosts ranks; one host runs in single-node
// mode, several in homogeneous mode with the SMDDP server on the master.
std::vector<std::string> smddp_runner_command(const MpirunSpec& spec);

}  // namespace tandem::launcher
