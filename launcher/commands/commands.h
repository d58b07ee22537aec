#pragma once
// The subcommands of the `tandem` program. Each takes the arguments after its
// name and returns the process exit code; errors are thrown (see engine/error.h)
// and turned into one line by main(). Each also has its --help text, generated
// from its flag table (engine/config/, launcher/cli/), which main() prints for
// `tandem <command> --help`.

#include <string>
#include <vector>

namespace tandem::commands {

int train(const std::vector<std::string>& args);
int launch(const std::vector<std::string>& args);
int plan(const std::vector<std::string>& args);
int bench(const std::vector<std::string>& args);
int generate(const std::vector<std::string>& args);

std::string train_usage();
std::string launch_usage();
std::string plan_usage();
std::string bench_usage();
std::string generate_usage();

}  // namespace tandem::commands
