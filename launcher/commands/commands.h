#pragma once
// The subcommands of the `tandem` program. Each takes the arguments after its
// name and returns the process exit code; errors are thrown (see engine/error.h)
// and turned into one line by main().

#include <string>
#include <vector>

namespace tandem::commands {

int train(const std::vector<std::string>& args);
int launch(const std::vector<std::string>& args);
int plan(const std::vector<std::string>& args);

}  // namespace tandem::commands
