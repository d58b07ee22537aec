#pragma once
// The entries a worker host appends to /etc/environment, which pam_env reads
// for the sessions sshd opens there (the orted that starts the host's ranks).
// pam_env has no escapes: a line break ends an entry, '#' starts a comment
// even inside quotes, and quotes around a value are dropped. Each variable is
// therefore written as NAME='value', which pam_env reads back verbatim and a
// shell that sources the file reads literally ($(), backticks, " and spaces
// included). A variable that cannot be written so is left out whole and
// named: a name that is not an identifier, or a value holding a line break,
// a NUL, a single quote or '#'. Nothing in a value can add a line or a
// variable. The master's mpirun still exports what ranks need (-x NAME).

#include <map>
#include <string>
#include <vector>

namespace tandem::launcher {

struct EnvironmentFile {
  std::string text;                    // NAME='value' lines, each ending in a newline
  std::vector<std::string> left_out;   // names of the variables not written, sorted
};

EnvironmentFile environment_file(const std::map<std::string, std::string>& vars);

}  // namespace tandem::launcher
