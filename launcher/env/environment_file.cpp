#include "launcher/env/environment_file.h"

namespace tandem::launcher {
namespace {

bool is_identifier(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool writable(const std::string& value) {
  return value.find_first_of(std::string("\n\r'#\0", 5)) == std::string::npos;
}

}  // namespace

EnvironmentFile environment_file(const std::map<std::string, std::string>& vars) {
  EnvironmentFile file;
  for (const auto& [name, value] : vars) {
    if (is_identifier(name) && writable(value)) file.text += name + "='" + value + "'\n";
    else file.left_out.push_back(name);
  }
  return file;
}

}  // namespace tandem::launcher
