// The table of `tandem launch`'s flags and the checks between them.
#include "launcher/cli/launch_args.h"

#include "engine/error.h"
#include "launcher/supervisor/job_supervisor.h"

namespace tandem::launcher {
namespace {

flags::FlagTable<LaunchArgs> make_table() {
  flags::CommandInfo info("tandem launch", "[JOB.json] [flags]",
                          "run a SageMaker job (JOB.json) here, or this host's part of one in a container");
  info.description =
      "  tandem launch JOB.json [flags]     run a job on this machine (local, local_cpu, local_gpu)\n"
      "  tandem launch [--sagemaker]        inside a SageMaker training container: this host's part\n"
      "\n"
      "JOB.json holds the estimator's arguments: entry_point, instance_type, instance_count, hyperparameters,\n"
      "distribution, inputs, checkpoint_s3_uri, use_spot_instances, max_run, max_wait, metric_definitions,\n"
      "environment. Relative paths in it are taken from the job file's folder.";
  info.epilogue = "SIGTERM or Ctrl-C stops the job: every rank saves a checkpoint and exits; launching again resumes.";
  info.positional = "JOB.json";
  flags::FlagTable<LaunchArgs> t(info);
  using A = LaunchArgs;
  t.positional(&A::job_file);
  t.switch_flag("dry-run", &A::dry_run).help("print the command and the rank table, run nothing (any instance type)");
  t.choice("format", {"text", "json"}, &A::format).default_to("text").help("how --dry-run prints");
  t.switch_flag("local", &A::local).help("run an ml.* job here as instance_type local_cpu");
  t.integer("instance_count", &A::instance_count).at_least(1).default_note("the job file's")
      .help("override instance_count");
  t.integer("processes_per_host", &A::processes_per_host).at_least(1).default_note("the job file's")
      .help("override distribution.mpi.processes_per_host");
  t.text("job_dir", &A::job_dir).metavar("dir").default_note("runs/<job file name> under the current folder")
      .help("where the emulated hosts' /opt/ml folders and output go");
  t.integer("stop_grace_seconds", &A::stop_grace_seconds).at_least(0).default_to(std::to_string(kStopGraceSeconds))
      .help("SIGTERM-to-SIGKILL window when the job is stopped (SageMaker's)");
  t.switch_flag("sagemaker", &A::sagemaker)
      .help("container mode, also chosen when <opt_ml>/input/config/resourceconfig.json exists");
  t.integer("host_wait_seconds", &A::host_wait_seconds).at_least(1).default_note("3600, the toolkit's")
      .help("container mode: how long the master waits for the workers' sshd, and a worker for the master's, "
            "before failing with the names of the silent hosts");
  t.integer("host_timeout_seconds", &A::host_timeout_seconds).at_least(1).default_note("30")
      .help("container mode, during the job: a host whose sshd has not answered for S seconds is lost "
            "(down, cut off or frozen), and the job ends naming it");
  t.text("opt_ml", [](A& a, const std::string& v) { a.opt_ml = std::filesystem::absolute(v); }).metavar("dir")
      .default_to("/opt/ml").help("the container's /opt/ml");
  return t;
}

}  // namespace

const flags::FlagTable<LaunchArgs>& launch_flag_table() { return flags::built_once<make_table>(); }

LaunchArgs parse_launch_args(const std::vector<std::string>& argv) { return launch_flag_table().parse(argv); }

void validate_launch_args(const LaunchArgs& args) {
  if (args.job_file && args.sagemaker)
    throw UsageError("--sagemaker reads the container's files, not a job file: drop " + args.job_file->string());
  if (args.job_file && (args.host_wait_seconds || args.host_timeout_seconds))
    throw UsageError("--host_wait_seconds and --host_timeout_seconds apply inside a SageMaker container, not to a job file");
  if (args.job_file) return;
  // Without a job file there is nothing for these to override.
  std::vector<std::string> given;
  if (args.local) given.push_back("--local");
  if (args.instance_count) given.push_back("--instance_count");
  if (args.processes_per_host) given.push_back("--processes_per_host");
  if (args.job_dir) given.push_back("--job_dir");
  if (given.empty()) return;
  std::string names;
  for (size_t i = 0; i < given.size(); ++i)
    names += (i == 0 ? "" : i + 1 == given.size() ? " and " : ", ") + given[i];
  throw UsageError(names + (given.size() == 1 ? " applies" : " apply") +
                   " to a job file (tandem launch JOB.json ...), not to a SageMaker container");
}

}  // namespace tandem::launcher
