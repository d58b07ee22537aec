#pragma once
// `tandem launch` as the entry point of a SageMaker training container, on
// every host (docs/sagemaker-contract.md §3.8):
//   master (the first host): with workers, starts sshd and waits for theirs;
//     runs the command of container_job.h from /opt/ml/code with the SM_*
//     environment, watching the workers (host_watch.h: a lost one ends the
//     job); afterwards touches /tmp/done.<master> on each worker still there
//     over ssh; writes output/success, or output/failure unless a rank wrote
//     it first (a lost host is put in front of that report); its exit code
//     is the job's.
//   worker: waits for the master's sshd, appends its environment to
//     /etc/environment (ranks started over ssh read it there), starts sshd,
//     waits as worker_wait.h describes, watching the master, exits 0.
// A single host runs its command directly: no sshd, no ssh.

#include <chrono>
#include <filesystem>
#include <string>

#include "launcher/container/container_job.h"
#include "launcher/container/host_watch.h"
#include "launcher/supervisor/job_supervisor.h"

namespace tandem::launcher {

struct ContainerRun {
  std::filesystem::path tandem_binary;            // linked as code/tandem when the entry point is `tandem ...` and code/ has none
  int stop_grace_seconds = kStopGraceSeconds;
  std::chrono::milliseconds host_wait = std::chrono::hours(1);  // the toolkit's bound on waiting for sshd
  // How often those waits, and a worker's waits for its orted and the done
  // marker, look again. The toolkit looks once a second; four times costs
  // nothing and starts and ends every job about two seconds sooner.
  std::chrono::milliseconds host_poll = std::chrono::milliseconds(250);
  HostWatchTiming host_watch;                     // during the job: when another host counts as lost
  std::string sshd = "/usr/sbin/sshd";
  std::filesystem::path etc_environment = "/etc/environment";
  std::filesystem::path done_dir = "/tmp";
};

// The exit code (0 success, 128 + signal when stopped); RuntimeFailure with
// the failure file's text when the job failed.
int run_container_job(const ContainerJob& job, const ContainerMachine& machine, const ContainerRun& run);

}  // namespace tandem::launcher
