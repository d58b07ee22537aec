#pragma once
// How the SageMaker toolkit runs a command entry point (anything not .py,
// e.g. a C++ binary): `/bin/sh -c "./<entry> <shlex-quoted args>"` from
// /opt/ml/code, on every rank (docs/sagemaker-contract.md §3.1).

#include <string>
#include <vector>

namespace tandem::launcher {

// {"/bin/sh", "-c", "./<entry_point> <args each shlex-quoted>"}: three argv
// tokens. Each argument is quoted on its own, so a value such as
// `x; touch /tmp/f` reaches the program as one argument, never as shell code.
// entry_point itself is inserted as written, as the toolkit does, so
// "tandem train" runs the subcommand.
std::vector<std::string> entry_point_shell_command(const std::string& entry_point,
                                                   const std::vector<std::string>& args);

}  // namespace tandem::launcher
