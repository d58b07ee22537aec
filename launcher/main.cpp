// The `tandem` program: one binary, subcommands. main() is the only place
// where an error becomes a message and an exit code (2: usage, 1: runtime).

#include "engine/error.h"
#include "launcher/commands/commands.h"

#include <c10/util/Exception.h>

#include <cstdio>
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
  const char* summary;
};

const std::map<std::string, Subcommand>& subcommands() {
  static const std::map<std::string, Subcommand> table = {
      {"train", {tandem::commands::train, "train or evaluate a model (the SageMaker entry point)"}},
  };
  return table;
}

void print_usage() {
  std::cout << "usage: tandem <command> [--key value]...\n\ncommands:\n";
  for (const auto& [name, cmd] : subcommands()) std::cout << "  " << name << "  " << cmd.summary << "\n";
  std::cout << "\n`tandem <command> --help` lists a command's flags.\n";
}

// SageMaker reports the first 1024 characters of <output dir>/failure as the
// job's FailureReason; the toolkit does not overwrite a file we wrote first.
// SM_OUTPUT_DIR points there in a container and in `tandem launch` job folders.
void report_failure(const std::string& message) {
  std::cerr << "tandem: error: " << message << std::endl;
  const char* sm_output = std::getenv("SM_OUTPUT_DIR");
  const std::string dir = sm_output && *sm_output ? sm_output : "/opt/ml/output";
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    std::ofstream out(dir + "/failure");
    out << message << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  auto it = subcommands().find(args[0]);
  if (it == subcommands().end()) {
    report_failure("unknown command \"" + args[0] + "\" (expected one of: train)");
    return 2;
  }
  try {
    return it->second.run(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const tandem::UsageError& e) {
    report_failure(e.what());
    return 2;
  } catch (const tandem::RuntimeFailure& e) {
    report_failure(e.what());
    return 1;
  } catch (const c10::Error& e) {
    report_failure(std::string("libtorch: ") + e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    report_failure(e.what());
    return 1;
  }
}
