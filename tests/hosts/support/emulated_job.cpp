#include "tests/hosts/support/emulated_job.h"

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "launcher/job/job_folder.h"
#include "launcher/local/model_archive.h"
#include "launcher/sagemaker/host_folder.h"

namespace tandem::hosts {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The containers' network interface: each host's end of its link is eth0.
constexpr const char* kInterface = "eth0";

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Copies the contents of `from` into `to` (created), replacing files of the same name.
void copy_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) return;
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

}  // namespace

std::vector<double> JobResult::metric(const std::string& name) const {
  std::vector<double> values;
  for (const auto& sample : metrics)
    if (sample.name == name) values.push_back(sample.value);
  return values;
}

EmulatedJob::EmulatedJob(const EmulatedHosts& hosts, launcher::JobSpec job, fs::path output_dir)
    : hosts_(hosts), job_(std::move(job)), output_dir_(std::move(output_dir)) {
  if (!job_.is_local()) throw std::runtime_error("EmulatedJob: the job needs a local instance type (local paths)");
  if (job_.instance_count != hosts_.count()) {
    throw std::runtime_error("EmulatedJob: the job asks for " + std::to_string(job_.instance_count) + " instances, " +
                             std::to_string(hosts_.count()) + " hosts were made");
  }
}

void EmulatedJob::prepare() const {
  const std::map<std::string, fs::path> channels(job_.inputs.begin(), job_.inputs.end());
  for (const auto& host : job_.hosts()) {
    const fs::path root = hosts_.opt_ml(host);
    for (const auto& entry : fs::directory_iterator(root)) fs::remove_all(entry.path());
    // A copy, not a link: the test's folders are not visible inside the hosts.
    launcher::write_host_folder(root, launcher::container_config_for_host(job_, host, kInterface), channels,
                                launcher::ChannelData::Copy);
    if (!job_.checkpoint_s3_uri.empty()) copy_tree(job_.checkpoint_s3_uri, root / "checkpoints");
  }
}

RunningJob EmulatedJob::start(const std::vector<std::string>& launch_args) const {
  RunningJob running;
  running.started = Clock::now();
  std::vector<std::string> argv = {TANDEM_BINARY, "launch"};
  argv.insert(argv.end(), launch_args.begin(), launch_args.end());
  static int serial = 0;
  ++serial;
  for (const auto& host : job_.hosts()) {
    running.containers.push_back(
        hosts_.start(host, argv, job_.environment, "job" + std::to_string(serial) + "-" + host));
  }
  return running;
}

JobResult EmulatedJob::finish(RunningJob& running, std::chrono::seconds limit, std::chrono::seconds workers_limit) const {
  JobResult result;
  const auto hosts = job_.hosts();
  const auto until = [](Clock::time_point deadline) {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                    std::chrono::milliseconds(0));
  };
  for (size_t i = 0; i < hosts.size(); ++i) {
    ContainerLog log;
    log.host = hosts[i];
    if (i == 0) {
      log.exit_code = running.containers[0].wait_for(until(running.started + limit));
      result.master_exited = Clock::now();
      result.seconds = std::chrono::duration<double>(result.master_exited - running.started).count();
    } else {
      log.exit_code = running.containers[i].wait_for(until(result.master_exited + workers_limit));
    }
    result.containers.push_back(std::move(log));
  }
  for (size_t i = 0; i < hosts.size(); ++i) {
    ContainerLog& log = result.containers[i];
    for (const auto& p : hosts_.processes(log.host))
      if (p.name != "sshd") log.left_running.push_back(p.name + ": " + p.cmdline);
    // The container ends with its entry point.
    hosts_.end_processes(log.host);
    log.out = running.containers[i].out();
    log.err = running.containers[i].err();
  }
  const fs::path master = hosts_.opt_ml(hosts.front());
  result.failure = slurp(master / "output" / "failure");
  result.success_marker = fs::exists(master / "output" / "success");

  // SageMaker reads the metrics from the log the master's entry point prints,
  // where mpirun gathers every rank's output.
  const launcher::MetricMatcher matcher(job_.metric_definitions);
  std::istringstream lines(result.master().out + result.master().err);
  for (std::string line; std::getline(lines, line);)
    for (const auto& sample : matcher.match(line)) result.metrics.push_back(sample);

  if (!job_.checkpoint_s3_uri.empty())
    for (const auto& host : hosts) copy_tree(hosts_.opt_ml(host) / "checkpoints", job_.checkpoint_s3_uri);
  // After a completed job, or a stop the ranks answered, the model folders are uploaded.
  const int code = result.master().exit_code.value_or(-1);
  if (code == 0 || code == 128 + SIGTERM) {
    std::vector<fs::path> model_dirs;
    for (const auto& host : hosts) model_dirs.push_back(hosts_.opt_ml(host) / "model");
    fs::create_directories(output_dir_);
    result.model_archive = output_dir_ / "model.tar.gz";
    launcher::write_model_archive(model_dirs, result.model_archive);
  }
  return result;
}

JobResult EmulatedJob::run(std::chrono::seconds limit, const std::vector<std::string>& launch_args) const {
  prepare();
  RunningJob running = start(launch_args);
  return finish(running, limit);
}

}  // namespace tandem::hosts
