// The contract every row of the bad-input table (bad_input_table.h) is held
// to: the real binary, under 4 GiB of address space and 60 s, exits with the
// row's code (so no signal), prints exactly one stderr line that names the
// input, no raw library text, the same line in SM_OUTPUT_DIR/failure, and
// leaves no file it did not finish.
#include "tests/e2e/bad_input_table.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

// Sizes from input must never drive an allocation beyond what the input holds:
// 4 GiB of address space is enough for libtorch and a tiny model, not for a
// tensor sized by a forged header.
constexpr const char* kLimits = "ulimit -v 4194304 && exec timeout -k 5 60 \"$@\"";
constexpr int kTimedOut = 124;

// Text that only an escaped library error, a crash or a raw conversion prints.
const char* const kRawLibraryText[] = {"libtorch:", "json.exception", "stoi", "stol", "map::at",  "terminate called",
                                       "Aborted",   "what():",        "Segmentation", "core dumped", "std::bad_alloc",
                                       "basic_string", "vector::"};

std::string in_scratch(const TempDir& dir, const std::string& arg) {
  if (arg.rfind("@", 0) == 0) return dir.file(arg.substr(1));
  const auto eq = arg.find("=@");
  if (eq != std::string::npos && arg.find('=') == eq) return arg.substr(0, eq + 1) + dir.file(arg.substr(eq + 2));
  return arg;
}

// Every regular file under the scratch folder, relative, but the run's own captures.
std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), root).string();
    if (relative != ".stdout" && relative != ".stderr") files.insert(relative);
  }
  return files;
}

TEST_P(BadInput, AnswersInOneLineAndLeavesNothingHalfWritten) {
  const auto& c = GetParam();
  TempDir dir;
  write_lm_channels(dir);
  fs::create_directories(dir.file("sm_output"));
  if (c.prepare) c.prepare(dir);
  const auto before = files_under(dir.path());

  std::vector<std::string> argv{"/bin/sh", "-c", kLimits, "sh", TANDEM_BINARY};
  for (const auto& a : c.args) argv.push_back(in_scratch(dir, a));
  std::vector<std::string> env{"SM_OUTPUT_DIR=" + dir.file("sm_output")};
  for (const auto& e : c.env) env.push_back(in_scratch(dir, e));
  const auto r = run_command(argv, dir.path(), env);

  ASSERT_NE(r.exit_code, kTimedOut) << "still running after 60 s; stderr: " << r.err;
  EXPECT_EQ(r.exit_code, c.exit_code) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
  EXPECT_EQ(r.err.rfind("tandem: error: ", 0), 0u) << "stderr: " << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err << "expected to contain: " << c.message;
  for (const char* raw : kRawLibraryText) {
    EXPECT_EQ(r.err.find(raw), std::string::npos) << "raw library text \"" << raw << "\" in stderr: " << r.err;
    EXPECT_EQ(r.out.find(raw), std::string::npos) << "raw library text \"" << raw << "\" in stdout: " << r.out;
  }
  // SageMaker's FailureReason gets the same line.
  EXPECT_NE(slurp(dir.file("sm_output/failure")).find(c.message), std::string::npos)
      << "failure file: " << slurp(dir.file("sm_output/failure"));

  // Nothing new but the failure file (and, where the row says so, a damaged
  // checkpoint moved aside): no model, no checkpoint, no metrics, no temporary file.
  for (const auto& file : files_under(dir.path())) {
    if (before.count(file) || file == "sm_output/failure") continue;
    if (!c.may_create.empty() && file.find(c.may_create) != std::string::npos) continue;
    ADD_FAILURE() << "left behind: " << file;
  }
}

TEST(BadInputKeepsCheckpoints, FailureAfterACheckpointLeavesItIntact) {
  TempDir dir;
  write_lm_channels(dir);
  std::vector<std::string> args{"train", "--training_dir", dir.file("data/train"), "--test_dir", dir.file("data/test"),
                                "--model_dir", dir.file("model"), "--output_dir", dir.file("ckpt"),
                                "--output_data_dir", dir.file("out"), "--max_steps", "2", "--block_size", "16",
                                "--save_steps", "2", "--num_threads", "1"};
  ASSERT_EQ(run_tandem(args, dir.path()).exit_code, 0);
  const std::string before = slurp(dir.file("ckpt/checkpoint-2/model.safetensors"));
  // Resuming a checkpoint with another model is refused and touches nothing.
  args.insert(args.end(), {"--model_name_or_path", "gpt-mini"});
  auto r = run_tandem(args, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot resume, model differs (checkpoint gpt-tiny, this run gpt-mini)"), std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(dir.file("ckpt/checkpoint-2/model.safetensors")), before);
}

}  // namespace
}  // namespace tandem::e2e
