// What a worker appends to /etc/environment: every value that can be carried
// comes back verbatim, read by pam_env's rules and by a shell sourcing the
// file; a value with a line break, a single quote or '#' is left out whole
// and named; nothing in a value adds a line or a variable, or runs.
#include "launcher/env/environment_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

// The file read back as pam_env's _parse_env_file reads it: one entry per
// line, '#' ends it, the key must be alphanumeric or '_', and a value that
// starts with a quote loses its quotes at the ends.
std::map<std::string, std::string> read_as_pam_env(const std::string& text) {
  std::map<std::string, std::string> vars;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      std::string unquoted;
      for (size_t t = 1; t < value.size(); ++t)
        if ((value[t] != '"' && value[t] != '\'') || t + 1 < value.size()) unquoted += value[t];
      value = unquoted;
    }
    vars[key] = value;
  }
  return vars;
}

// The value of `name` after `sh` sources the file (with nothing else in its environment).
std::string read_as_shell(const TempDir& dir, const std::string& name) {
  const std::string out = dir.file("shell.out");
  const std::string command = "env -i /bin/sh -c '. " + dir.file("environment") + "; printf %s \"$" + name + "\"' >" + out;
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(EnvironmentFile, CarriedValuesComeBackVerbatimAndNothingRuns) {
  TempDir dir;
  const std::string marker = dir.file("ran");
  const std::map<std::string, std::string> carried = {
      {"SUBSTITUTION", "$(touch " + marker + ")"},
      {"BACKTICKS", "`touch " + marker + "`"},
      {"DOUBLE_QUOTES", "say \"hi\" \"there\""},
      {"JSON", R"({"train":"/opt/ml/input/data/train","lr":0.1})"},
      {"SPACES_AND_SEMICOLON", "a b; touch " + marker},
      {"BACKSLASH_AT_END", "C:\\"},
      {"EMPTY", ""}};
  const EnvironmentFile file = environment_file(carried);
  EXPECT_TRUE(file.left_out.empty());
  {
    std::ofstream(dir.file("environment")) << file.text;
  }
  const auto as_pam = read_as_pam_env(file.text);
  for (const auto& [name, value] : carried) {
    EXPECT_EQ(as_pam.at(name), value) << name;
    EXPECT_EQ(read_as_shell(dir, name), value) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(marker)) << "a value ran as a command";
}

TEST(EnvironmentFile, AValueThatCannotBeCarriedIsLeftOutWholeAndNamed) {
  const EnvironmentFile file = environment_file({{"NEWLINE", "x\nINJECTED=1"},
                                                 {"CARRIAGE", "x\rINJECTED=2"},
                                                 {"SINGLE_QUOTE", "x' INJECTED='3"},
                                                 {"HASH", "a#b"},
                                                 {"BAD NAME", "1"},
                                                 {"INJECTED=4 X", "1"},
                                                 {"KEPT", "ok"}});
  EXPECT_EQ(file.left_out,
            (std::vector<std::string>{"BAD NAME", "CARRIAGE", "HASH", "INJECTED=4 X", "NEWLINE", "SINGLE_QUOTE"}));
  EXPECT_EQ(file.text, "KEPT='ok'\n");
  EXPECT_EQ(read_as_pam_env(file.text).count("INJECTED"), 0u);
}

}  // namespace
}  // namespace tandem::launcher
