#include "common/flags/flag_table.h"

#include <algorithm>

namespace tandem::flags {

bool wants_help(const std::vector<std::string>& argv) {
  return std::any_of(argv.begin(), argv.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
}

}  // namespace tandem::flags
