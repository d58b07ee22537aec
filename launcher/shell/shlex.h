#pragma once
// Shell quoting with Python's `shlex` semantics, because the SageMaker toolkit
// builds `/bin/sh -c "./<entry> <args>"` with shlex.quote and users write
// custom_mpi_options the way a shell would split them.

#include <string>
#include <vector>

namespace tandem::launcher {

// shlex.quote: the word unchanged if it only has [A-Za-z0-9_@%+=:,./-],
// '' for the empty word, otherwise single-quoted with ' written as '"'"'.
std::string shlex_quote(const std::string& word);

// shlex.split (POSIX mode, no comments): whitespace separates words; '...' is
// literal; "..." keeps everything but lets \ escape " and \; a bare \ escapes
// the next character. `source` names the input in the UsageError thrown for an
// unterminated quote or a trailing backslash.
std::vector<std::string> shlex_split(const std::string& text, const std::string& source);

// The tokens as one line a user can paste into a shell.
std::string format_command_for_display(const std::vector<std::string>& tokens);

}  // namespace tandem::launcher
