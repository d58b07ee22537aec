// A SageMaker job on emulated instances, start to end: makes the hosts
// (network namespaces with sshd, tests/hosts/test_hosts.sh), does the
// platform's part (tests/hosts/support/emulated_job.h), runs `tandem launch`
// as every container's entry point, shows the master's log as it comes, and
// removes the hosts. scripts/multi_host_demo.sh builds and runs it.
//
// usage: multi_host_demo JOB.json [--processes_per_host N] [--max_steps N] [--output DIR]
// An ml.* instance type runs as local_cpu, as `tandem launch --local` does.

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "launcher/config/json_fields.h"
#include "launcher/job/job_spec.h"
#include "launcher/sagemaker/instance_types.h"
#include "tests/hosts/support/emulated_job.h"

namespace {
namespace fs = std::filesystem;
using namespace tandem;
using namespace std::chrono_literals;

struct DemoArgs {
  fs::path job_file;
  std::optional<int> processes_per_host, max_steps;
  fs::path output = "runs/multi-host-demo";
};

int positive(const std::string& flag, const std::string& value) {
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || std::stoi(value) < 1)
    throw std::runtime_error(flag + ": expected an integer >= 1, got \"" + value + "\"");
  return std::stoi(value);
}

DemoArgs parse(int argc, char** argv) {
  DemoArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--processes_per_host") args.processes_per_host = positive(arg, value());
    else if (arg == "--max_steps") args.max_steps = positive(arg, value());
    else if (arg == "--output") args.output = value();
    else if (!arg.empty() && arg[0] == '-') throw std::runtime_error("unknown flag " + arg);
    else args.job_file = arg;
  }
  if (args.job_file.empty())
    throw std::runtime_error("usage: multi_host_demo JOB.json [--processes_per_host N] [--max_steps N] [--output DIR]");
  return args;
}

// The job file with the demo's changes, validated as tandem launch validates it.
launcher::JobSpec read_job(const DemoArgs& args) {
  nlohmann::json content = launcher::parse_json_text(launcher::read_text_file(args.job_file), args.job_file.string());
  if (content.value("instance_type", "") != "" && !launcher::is_local_instance_type(content["instance_type"]))
    content["instance_type"] = "local_cpu";
  if (args.processes_per_host) content["distribution"]["mpi"]["processes_per_host"] = *args.processes_per_host;
  if (args.max_steps) content["hyperparameters"]["max_steps"] = *args.max_steps;
  return launcher::parse_job_spec(content, args.job_file.parent_path(), args.job_file.string());
}

// Ctrl-C or SIGTERM: stop showing the job and remove the hosts (their
// destructor kills what runs on them).
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

// Prints what was written to `text` since `shown` bytes.
void show_new(const std::string& text, size_t& shown, std::ostream& out) {
  if (text.size() > shown) out << text.substr(shown) << std::flush;
  shown = std::max(shown, text.size());
}

int run(const DemoArgs& args) {
  const launcher::JobSpec job = read_job(args);
  const std::string why = hosts::why_hosts_unavailable();
  if (!why.empty()) {
    std::cerr << "multi_host_demo: cannot make hosts here: " << why << "\n";
    return 77;
  }
  std::cout << "multi_host_demo: making " << job.instance_count << " hosts (network namespaces with sshd)\n";
  hosts::EmulatedHosts made(job.instance_count);
  const hosts::EmulatedJob emulated(made, job, fs::absolute(args.output));
  emulated.prepare();
  std::cout << "multi_host_demo: /opt/ml written on every host; starting `tandem launch` on each\n" << std::flush;
  hosts::RunningJob running = emulated.start();
  size_t out_shown = 0, err_shown = 0;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  while (!running.containers[0].poll()) {
    if (g_interrupted) throw std::runtime_error("interrupted: removing the hosts");
    show_new(running.containers[0].out(), out_shown, std::cout);
    show_new(running.containers[0].err(), err_shown, std::cerr);
    std::this_thread::sleep_for(200ms);
  }
  const hosts::JobResult result = emulated.finish(running, 1s);
  show_new(result.master().out, out_shown, std::cout);
  show_new(result.master().err, err_shown, std::cerr);
  for (size_t i = 1; i < result.containers.size(); ++i) {
    const auto& worker = result.containers[i];
    if (!worker.err.empty()) std::cerr << "multi_host_demo: " << worker.host << " said:\n" << worker.err;
  }
  std::cout << "\nmulti_host_demo: master (algo-1) exited with " << result.master().exit_code.value_or(-1) << " after "
            << static_cast<int>(result.seconds) << " s\n";
  if (!result.metrics.empty()) {
    std::cout << "multi_host_demo: metrics the job's regexes captured on the master:\n";
    for (const auto& sample : result.metrics) std::cout << "  " << sample.name << " = " << sample.value << "\n";
  }
  if (!result.model_archive.empty()) std::cout << "multi_host_demo: model archive " << result.model_archive.string() << "\n";
  if (!result.failure.empty()) std::cout << "multi_host_demo: failure: " << result.failure;
  std::cout << "multi_host_demo: removing the hosts\n";
  return result.master().exit_code.value_or(1);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "multi_host_demo: error: " << e.what() << "\n";
    return 1;
  }
}
