#include "launcher/mpirun/custom_mpi_options.h"

#include <set>

#include "engine/error.h"
#include "launcher/shell/shlex.h"

namespace tandem::launcher {
namespace {

constexpr const char* kSource = "custom_mpi_options";

bool is_mca_flag(const std::string& token) {
  return token == "-mca" || token == "--mca" || token == "-gmca" || token == "--gmca";
}

bool is_env_flag(const std::string& token) { return token == "-x" || token == "--x"; }

// Open MPI accepts one and two dashes, `--opt=value`, and a few aliases.
std::string option_name(const std::string& token) {
  std::string name = token.substr(token.find_first_not_of('-'));
  name = name.substr(0, name.find('='));
  if (name == "H") return "host";
  if (name == "n" || name == "c") return "np";
  return name;
}

bool is_option(const std::string& token) { return token.size() > 1 && token[0] == '-' && token != "--"; }

}  // namespace

CustomMpiOptions parse_custom_mpi_options(const std::string& text) {
  CustomMpiOptions options;
  const auto tokens = shlex_split(text, kSource);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (token == "--NCCL_DEBUG") {
      if (i + 1 >= tokens.size()) throw UsageError(std::string(kSource) + ": --NCCL_DEBUG needs a value, e.g. --NCCL_DEBUG WARN");
      options.nccl_debug = tokens[++i];
    } else if (token.rfind("--NCCL_DEBUG=", 0) == 0) {
      options.nccl_debug = token.substr(token.find('=') + 1);
    } else {
      options.tokens.push_back(token);
    }
  }
  return options;
}

void reject_repeated_launcher_options(const std::vector<std::string>& launcher,
                                      const std::vector<std::string>& custom) {
  std::set<std::string> mca_names;
  std::set<std::string> options;
  for (size_t i = 0; i < launcher.size(); ++i) {
    if (is_mca_flag(launcher[i]) && i + 1 < launcher.size()) {
      mca_names.insert(launcher[++i]);
    } else if (is_env_flag(launcher[i])) {
      ++i;
    } else if (is_option(launcher[i])) {
      options.insert(option_name(launcher[i]));
    }
  }
  for (size_t i = 0; i < custom.size(); ++i) {
    const std::string& token = custom[i];
    std::string repeated;
    if (is_mca_flag(token) && i + 1 < custom.size()) {
      if (mca_names.count(custom[i + 1]) != 0) repeated = token + " " + custom[i + 1];
      i += 2;  // skip the parameter's name and value
    } else if (is_env_flag(token)) {
      ++i;
    } else if (is_option(token) && options.count(option_name(token)) != 0) {
      repeated = token;
    }
    if (!repeated.empty()) {
      throw UsageError(std::string(kSource) + ": \"" + repeated +
                       "\" is already set by the launcher; remove it from custom_mpi_options");
    }
  }
}

}  // namespace tandem::launcher
