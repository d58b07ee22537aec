// The `tandem` program: one binary, subcommands. main() is the only place
// where an error becomes a message and an exit code (2: usage, 1: runtime).
// Each subcommand's summary, usage line and --help come from its flag table.

#include "engine/config/train_args.h"
#include "engine/error.h"
#include "launcher/cli/bench_args.h"
#include "launcher/cli/generate_args.h"
#include "launcher/cli/launch_args.h"
#include "launcher/cli/plan_args.h"
#include "launcher/commands/commands.h"
#include "launcher/supervisor/no_follow_file.h"
#include "parallel/comm/runtime.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

struct Subcommand {
  std::function<int(const std::vector<std::string>&)> run;
  std::function<std::string()> usage;  // the full --help
  tandem::flags::CommandInfo info;     // summary and synopsis, from the same table
};

const std::map<std::string, Subcommand>& subcommands() {
  using namespace tandem;
  static const std::map<std::string, Subcommand> table = {
      {"train", {commands::train, commands::train_usage, train_flag_table().info()}},
      {"launch", {commands::launch, commands::launch_usage, launcher::launch_flag_table().info()}},
      {"plan", {commands::plan, commands::plan_usage, launcher::plan_flag_table().info()}},
      {"bench", {commands::bench, commands::bench_usage, launcher::bench_flag_table().info()}},
      {"generate", {commands::generate, commands::generate_usage, launcher::generate_flag_table().info()}},
  };
  return table;
}

std::string command_names() {
  std::string names;
  for (const auto& [name, cmd] : subcommands()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

void print_usage() {
  std::cout << "usage: tandem <command> [--key value]...\n\ncommands:\n";
  size_t width = 0;
  for (const auto& [name, cmd] : subcommands()) width = std::max(width, name.size());
  for (const auto& [name, cmd] : subcommands())
    std::cout << "  " << name << std::string(width + 2 - name.size(), ' ') << cmd.info.summary << "\n"
              << std::string(width + 4, ' ') << cmd.info.program << " " << cmd.info.synopsis << "\n";
  std::cout << "\n`tandem <command> --help` lists a command's flags.\n";
}

// SageMaker reports the first 1024 characters of <output dir>/failure as the
// job's FailureReason; the toolkit does not overwrite a file we wrote first.
// SM_OUTPUT_DIR points there in a container and in `tandem launch` job folders.
void write_failure_file(const std::string& message) {
  const char* sm_output = std::getenv("SM_OUTPUT_DIR");
  const std::string dir = sm_output && *sm_output ? sm_output : "/opt/ml/output";
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) tandem::launcher::write_file_no_follow(dir + "/failure", message + "\n");
}

// One process: print, record, return the code. Several: a usage error comes
// from the same arguments and files on every rank, and an error the ranks
// agreed on (JobWideFailure) is known to every rank, so rank 0 alone prints it
// and all ranks leave together; any other failure may be this rank's alone
// while the others wait in a collective, so it ends the whole job at once.
int fail(const std::string& message, int code, bool same_on_every_rank) {
  using namespace tandem;
  // A flag refused before MPI started: the rank is only in mpirun's environment.
  const char* launched_rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (!comm::initialized() && same_on_every_rank && launched_rank && std::string(launched_rank) != "0") return code;
  const bool many = comm::initialized() && comm::process_info().world_size > 1;
  if (many && !same_on_every_rank) {
    // Errors from the communication layer already start with the label.
    const std::string label = comm::process_label();
    write_failure_file(message.rfind(label + ": ", 0) == 0 ? message : label + ": " + message);
    comm::abort_job(message);
  }
  if (!many || comm::process_info().world_rank == 0) {
    std::cerr << "tandem: error: " << message << std::endl;
    write_failure_file(message);
  }
  if (comm::initialized()) comm::finalize();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  auto it = subcommands().find(args[0]);
  if (it == subcommands().end())
    return fail("unknown command \"" + args[0] + "\" (expected one of: " + command_names() + ")", 2, true);
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (tandem::flags::wants_help(rest)) {
      std::cout << it->second.usage();
      return 0;
    }
    return it->second.run(rest);
  } catch (const tandem::JobWideFailure& e) {
    return fail(e.what(), e.exit_code(), true);
  } catch (const tandem::UsageError& e) {
    return fail(e.what(), 2, true);
  } catch (const tandem::RuntimeFailure& e) {
    return fail(e.what(), 1, false);
  } catch (const c10::Error& e) {
    return fail(std::string("libtorch: ") + e.what_without_backtrace(), 1, false);
  } catch (const std::exception& e) {
    return fail(e.what(), 1, false);
  }
}
