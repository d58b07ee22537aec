#pragma once
// Runs the real `tandem` binary (or mpirun over it) as a user would, capturing
// stdout, stderr and the exit code, and reads what it wrote.

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace tandem::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `env` entries are NAME=value prefixes; `argv` is passed without any shell interpretation of values.
inline RunResult run_command(const std::vector<std::string>& argv, const std::string& scratch,
                             const std::vector<std::string>& env = {}) {
  std::string cmd = "cd " + shell_quote(scratch) + " && env";
  for (const auto& e : env) cmd += " " + shell_quote(e);
  for (const auto& a : argv) cmd += " " + shell_quote(a);
  const std::string out = scratch + "/.stdout", err = scratch + "/.stderr";
  cmd += " >" + shell_quote(out) + " 2>" + shell_quote(err) + " </dev/null";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline RunResult run_tandem(const std::vector<std::string>& args, const std::string& scratch,
                            const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{TANDEM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, scratch, env);
}

// mpirun as the tests start it: oversubscribed (2 cores), root allowed, one thread per rank.
inline RunResult run_mpi(int np, const std::vector<std::string>& args, const std::string& scratch,
                         const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{TANDEM_MPIRUN, "--oversubscribe", "--allow-run-as-root", "-np", std::to_string(np),
                                "-x", "OMP_NUM_THREADS=1", TANDEM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, scratch, env);
}

// Sets --flag's value in an argument list, appending the pair if absent.
inline std::vector<std::string> with_flag(std::vector<std::string> args, const std::string& flag, const std::string& value) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) {
      args[i + 1] = value;
      return args;
    }
  args.push_back(flag);
  args.push_back(value);
  return args;
}

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) records.push_back(nlohmann::json::parse(line));
  return records;
}

// Losses of the training records, by step (the final summary has no "loss").
inline std::map<int, double> losses_by_step(const std::string& metrics_path) {
  std::map<int, double> out;
  for (const auto& r : read_jsonl(metrics_path))
    if (r.contains("loss")) out[r["step"].get<int>()] = r["loss"].get<double>();
  return out;
}

}  // namespace tandem::e2e
