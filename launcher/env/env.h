#pragma once
// A process environment as a value. Everything in the launcher that reads
// SM_*, OMPI_* or AWS_* variables takes an Env, so tests build one from a map
// and never touch the real environment.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>

namespace tandem::launcher {

class Env {
 public:
  Env() = default;
  explicit Env(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  Env(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}

  // A snapshot of this process's environment.
  static Env from_process();

  std::optional<std::string> get(const std::string& name) const;
  bool has(const std::string& name) const { return vars_.count(name) != 0; }
  void set(const std::string& name, const std::string& value) { vars_[name] = value; }
  const std::map<std::string, std::string>& vars() const { return vars_; }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace tandem::launcher
