#include "common/flags/help_text.h"

#include "common/flags/flag_values.h"

#include <sstream>

namespace tandem::flags {

std::string usage_line(const CommandInfo& info) {
  return "usage: " + info.program + (info.synopsis.empty() ? "" : " " + info.synopsis);
}

std::string help_text(const CommandInfo& info, const std::vector<FlagSpec>& specs, const Environment& env) {
  std::ostringstream out;
  out << usage_line(info) << "\n\n";
  if (!info.description.empty()) out << info.description << "\n\n";
  out << "flags:\n";
  for (const auto& spec : specs) {
    std::string names = "--" + spec.name;
    for (const auto& a : spec.aliases) names += ", --" + a;
    out << "  " << names;
    if (spec.kind != Kind::Switch) out << " <" << type_label(spec) << ">";
    if (const std::string range = range_text(spec); !range.empty()) out << "  (" << range << ")";
    out << "\n      " << spec.help;
    const auto def = spec.default_value ? spec.default_value(env) : std::nullopt;
    if (def) out << " (default: " << (def->empty() ? "\"\"" : *def) << ")";
    else if (!spec.default_note.empty()) out << " (default: " << spec.default_note << ")";
    out << "\n";
  }
  if (!info.epilogue.empty()) out << "\n" << info.epilogue << "\n";
  return out.str();
}

}  // namespace tandem::flags
