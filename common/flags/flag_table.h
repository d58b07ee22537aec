#pragma once
// One command's command line, each flag described once. A FlagTable<Args>
// holds the flags' specs (flag_spec.h) and where each value lands in an Args;
// parse(), help() and names() are all computed from it, so the parser, the
// validation of each value, --help and the tests' list of flags cannot drift
// apart. Every command and benchmark builds one:
//
//   FlagTable<PlanArgs> t({"tandem plan", "[--key value]...", "...summary..."});
//   t.integer("block_size", &PlanArgs::block_size).default_to("1024").at_least(1)
//       .help("tokens per example");
//
// A target is a data member (int Args::*, std::optional<int> Args::*, any
// member a value of the flag's type can be assigned to) or a callable
// (Args&, value). Defaults are written as the text a user would type and go
// through the same checks as the command line; a flag without a default
// leaves its member as Args' default constructor made it.

#include "common/flags/command_line.h"
#include "common/flags/flag_spec.h"
#include "common/flags/flag_values.h"
#include "common/flags/help_text.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tandem::flags {

template <class Args>
class FlagTable {
 public:
  using Setter = std::function<void(Args&, const Value&)>;

  // Chained after the flag's type to describe the rest of it.
  class Builder {
   public:
    Builder(FlagTable* table, size_t index) : table_(table), index_(index) {}
    Builder& alias(std::string name) {
      table_->check_unique(name);
      spec().aliases.push_back(std::move(name));
      return *this;
    }
    Builder& default_to(std::string text) {
      spec().default_value = [text](const Environment&) { return std::optional<std::string>(text); };
      return *this;
    }
    // The variable's value when it is set and not empty, else `fallback`: the
    // same command runs in a SageMaker container and on a laptop.
    Builder& default_from_env(std::string variable, std::string fallback) {
      spec().default_value = [variable, fallback](const Environment& env) {
        const auto it = env.find(variable);
        return std::optional<std::string>(it != env.end() && !it->second.empty() ? it->second : fallback);
      };
      return *this;
    }
    Builder& default_by(std::function<std::string(const Environment&)> compute) {
      spec().default_value = [compute](const Environment& env) { return std::optional<std::string>(compute(env)); };
      return *this;
    }
    // No default value: the member keeps Args' own (unset); `note` says in
    // --help what happens then ("the job file's instance_count").
    Builder& default_note(std::string note) {
      spec().default_note = std::move(note);
      return *this;
    }
    Builder& at_least(double v) { return bound(spec().lower, v, false); }
    Builder& above(double v) { return bound(spec().lower, v, true); }
    Builder& at_most(double v) { return bound(spec().upper, v, false); }
    Builder& below(double v) { return bound(spec().upper, v, true); }
    Builder& metavar(std::string m) {
      spec().metavar = std::move(m);
      return *this;
    }
    Builder& help(std::string text) {
      spec().help = std::move(text);
      return *this;
    }

   private:
    FlagSpec& spec() { return table_->specs_[index_]; }
    Builder& bound(std::optional<Bound>& b, double v, bool strict) {
      if (spec().kind != Kind::Int && spec().kind != Kind::Float && spec().kind != Kind::Bytes)
        throw std::logic_error("--" + spec().name + ": only numeric flags have a range");
      b = Bound{v, strict};
      return *this;
    }
    FlagTable* table_;
    size_t index_;
  };

  explicit FlagTable(CommandInfo info) : info_(std::move(info)) {}

  template <class Target>
  Builder integer(std::string name, Target target) {
    auto set = assign<int>(target);
    return add(std::move(name), Kind::Int, {}, [set](Args& a, const Value& v) { set(a, static_cast<int>(v.integer)); });
  }
  template <class Target>
  Builder number(std::string name, Target target) {
    auto set = assign<double>(target);
    return add(std::move(name), Kind::Float, {}, [set](Args& a, const Value& v) { set(a, v.number); });
  }
  template <class Target>
  Builder boolean(std::string name, Target target) {
    auto set = assign<bool>(target);
    return add(std::move(name), Kind::Bool, {}, [set](Args& a, const Value& v) { set(a, v.boolean); });
  }
  template <class Target>
  Builder text(std::string name, Target target) {
    auto set = assign<std::string>(target);
    return add(std::move(name), Kind::String, {}, [set](Args& a, const Value& v) { set(a, v.text); });
  }
  template <class Target>
  Builder choice(std::string name, std::vector<std::string> choices, Target target) {
    auto set = assign<std::string>(target);
    return add(std::move(name), Kind::Choice, std::move(choices), [set](Args& a, const Value& v) { set(a, v.text); });
  }
  template <class Target>
  Builder bytes(std::string name, Target target) {
    auto set = assign<std::size_t>(target);
    return add(std::move(name), Kind::Bytes, {},
               [set](Args& a, const Value& v) { set(a, static_cast<std::size_t>(v.integer)); });
  }
  // A flag without a value: present sets the target to true.
  template <class Target>
  Builder switch_flag(std::string name, Target target) {
    auto set = assign<bool>(target);
    return add(std::move(name), Kind::Switch, {}, [set](Args& a, const Value& v) { set(a, v.boolean); });
  }
  // Where the one positional argument goes (CommandInfo::positional names it).
  template <class Target>
  void positional(Target target) {
    if (info_.positional.empty()) throw std::logic_error(info_.program + ": name the positional argument in CommandInfo");
    positional_ = assign<std::string>(target);
  }
  // The canonical names of the flags given on the command line are appended
  // here (so a default from SM_* is not mistaken for a choice).
  void record_given(std::vector<std::string> Args::*names) { given_ = names; }

  // Every default, as it is in `env`.
  void apply_defaults(Args& args, const Environment& env) const {
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (!specs_[i].default_value) continue;
      if (const auto text = specs_[i].default_value(env)) setters_[i](args, convert_value(specs_[i], *text));
    }
  }

  // Args from its default constructor, then the defaults, then the command
  // line in order (a later flag overrides an earlier one). Throws UsageError.
  Args parse(const std::vector<std::string>& argv, const Environment& env = {}) const {
    const ScannedLine line = scan_command_line(info_, specs_, argv);
    Args args;
    apply_defaults(args, env);
    for (const auto& given : line.flags) {
      setters_[given.flag](args, convert_value(specs_[given.flag], given.value));
      if (given_) (args.*given_).push_back(specs_[given.flag].name);
    }
    if (!line.positionals.empty()) positional_(args, line.positionals.front());
    return args;
  }

  std::string help(const Environment& env = {}) const { return help_text(info_, specs_, env); }
  std::string usage() const { return usage_line(info_); }
  const CommandInfo& info() const { return info_; }
  const std::vector<FlagSpec>& specs() const { return specs_; }
  // The canonical names, in table order, without dashes.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& s : specs_) out.push_back(s.name);
    return out;
  }

 private:
  template <class T, class Target>
  static std::function<void(Args&, T)> assign(Target target) {
    if constexpr (std::is_member_object_pointer_v<Target>)
      return [target](Args& a, T v) { a.*target = std::move(v); };
    else
      return [target](Args& a, T v) { target(a, std::move(v)); };
  }

  Builder add(std::string name, Kind kind, std::vector<std::string> choices, Setter set) {
    check_unique(name);
    FlagSpec spec;
    spec.name = std::move(name);
    spec.kind = kind;
    spec.choices = std::move(choices);
    specs_.push_back(std::move(spec));
    setters_.push_back(std::move(set));
    return Builder(this, specs_.size() - 1);
  }

  // Two flags with one spelling would make the second unreachable.
  void check_unique(const std::string& name) const {
    if (find_flag(specs_, name) >= 0) throw std::logic_error(info_.program + ": --" + name + " is in the table twice");
  }

  CommandInfo info_;
  std::vector<FlagSpec> specs_;
  std::vector<Setter> setters_;
  std::function<void(Args&, std::string)> positional_;
  std::vector<std::string> Args::*given_ = nullptr;
};

// True when the user asked for help: `--help` or `-h` anywhere on the line.
bool wants_help(const std::vector<std::string>& argv);

// The table `Make` builds, built on first use and kept: every command's
// `*_flag_table()` accessor is `return flags::built_once<make_table>();`.
template <auto Make>
const auto& built_once() {
  static const auto table = Make();
  return table;
}

}  // namespace tandem::flags
