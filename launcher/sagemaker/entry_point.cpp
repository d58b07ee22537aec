#include "launcher/sagemaker/entry_point.h"

#include "launcher/shell/shlex.h"

namespace tandem::launcher {

std::vector<std::string> entry_point_shell_command(const std::string& entry_point,
                                                   const std::vector<std::string>& args) {
  std::string quoted;
  for (const auto& arg : args) quoted += (quoted.empty() ? "" : " ") + shlex_quote(arg);
  // "./%s %s" in the toolkit: the space is there even without arguments.
  return {"/bin/sh", "-c", "./" + entry_point + " " + quoted};
}

}  // namespace tandem::launcher
