#pragma once
// Local mode's launch: how `tandem launch` runs a job on this machine as if it
// were instance_count SageMaker hosts. Pure: nothing is written or started,
// so `--dry-run` prints exactly what a launch would run.
//
// Every emulated host gets a folder <job_dir>/algo-N laid out like /opt/ml
// (job/job_folder.h) and the SM_* environment of the training toolkit with
// paths into it. One mpirun starts every rank, in MPMD form with one app
// context per host:
//   mpirun <flags> -np P -wdir <job>/algo-1 -x SM_CURRENT_HOST=algo-1 ... PROGRAM
//                : -np P -wdir <job>/algo-2 -x SM_CURRENT_HOST=algo-2 ... PROGRAM
// so ranks are numbered host by host (rank r is on algo-(r / P + 1), as
// `-map-by slot` places them on a cluster) and each sees its own host's
// folders. Open MPI applies -x to the app context it appears in, and MCA
// parameters to all. A value every host has alike (the job's environment,
// secrets included) is set in mpirun's own environment and exported by name
// (`-x NAME`, Open MPI passes on its current value), so argv, `ps` and
// --dry-run show the name only; values that differ per host (SM_CURRENT_HOST,
// the host's paths) and those that steer mpirun itself (PATH, LD_*, OMPI_*)
// are written as -x NAME=value.
// One difference remains: a multi-instance job without MPI or SMDDP runs here
// as one MPI world, where SageMaker would run an independent copy per host.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "launcher/job/job_spec.h"
#include "parallel/topology/layout.h"

namespace tandem::launcher {

struct Machine {
  int gpus = 0;                          // for local_gpu (and SM_NUM_GPUS there)
  int cpus = 1;
  std::filesystem::path tandem_binary;   // this program, which runs `tandem train` ranks
  std::map<std::string, std::string> environment;  // the launcher's own
};

struct EmulatedHost {
  std::string name;                      // algo-N
  std::filesystem::path root;            // <job_dir>/algo-N: this host's /opt/ml
  std::filesystem::path cwd;             // where its ranks start
  std::map<std::string, std::string> environment;  // SM_*, the job's environment, defaults
};

struct LocalLaunch {
  std::filesystem::path job_dir;
  std::vector<EmulatedHost> hosts;
  int processes_per_host = 1;
  // The stand-in for checkpoint_s3_uri: one folder every host's checkpoint
  // path links to, so all ranks write one checkpoint and a relaunch resumes
  // it. <job_dir>/checkpoints when the job has no checkpoint_s3_uri (a fresh
  // launch then starts from scratch, as on SageMaker).
  std::filesystem::path checkpoints;
  std::filesystem::path checkpoint_link;  // checkpoint_local_path inside each host root ("checkpoints")
  // A custom entry_point's script (relative to the job file's folder), copied
  // into every host's code folder as the SDK uploads it. None for `tandem ...`.
  std::optional<std::filesystem::path> entry_script;
  std::vector<std::string> program;      // what every rank runs
  std::vector<std::string> command;      // the mpirun command
  // Set in mpirun's environment: what `-x NAME` (no value) in `command` exports.
  std::map<std::string, std::string> forwarded_environment;
  parallel::ParallelLayout layout;

  std::filesystem::path output_dir() const { return job_dir / "output"; }
};

// UsageError for what cannot run here: an ml.* instance type, local_gpu on a
// machine without GPUs, a missing entry_point script, a checkpoint_local_path
// outside /opt/ml, custom MPI options that repeat the launcher's.
LocalLaunch make_local_launch(const JobSpec& job, const std::filesystem::path& job_dir,
                            const std::filesystem::path& job_file_dir, const Machine& machine);

}  // namespace tandem::launcher
