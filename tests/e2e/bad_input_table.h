#pragma once
// The bad-input table: one row per malformed input a user can hand tandem
// (flags, distribution dicts, job files, model folders, checkpoints, data
// channels, SageMaker's variables and files). Every row runs the real binary
// under a memory and a time limit, and bad_input_table_test.cpp checks the
// same contract for all: the stated exit code, one stderr line naming the
// input, no library text or signal, nothing half-written. The rows live in
// bad_input_*_cases_test.cpp, one file per kind of input.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace tandem::e2e {

struct BadInputCase {
  std::string name;                // the test's name: what is wrong
  std::vector<std::string> args;   // after `tandem`; "@rel" is rel inside the case's scratch folder
  int exit_code;                   // 2: usage, 1: runtime
  std::string message;             // must appear in the one stderr line
  std::function<void(const TempDir&)> prepare = nullptr;  // writes the bad input
  std::vector<std::string> env = {};                        // NAME=value, "@rel" after '=' as in args
  std::string may_create = "";     // a path fragment new files may have (a damaged checkpoint set aside)
};

inline void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

inline std::string bad_input_case_name(const ::testing::TestParamInfo<BadInputCase>& info) { return info.param.name; }

// A tiny valid `tandem train` run over write_lm_channels' data, writing under
// model/, ckpt/ and out/: each row changes one thing. "--flag value" pairs in
// `changes` replace the run's own value; anything else is appended as given.
inline std::vector<std::string> tiny_train_with(const std::vector<std::string>& changes) {
  std::vector<std::string> args{"train",          "--model_name_or_path", "gpt-tiny",     "--training_dir",
                                "@data/train",    "--test_dir",          "@data/test",   "--model_dir",
                                "@model",         "--output_dir",        "@ckpt",        "--output_data_dir",
                                "@out",           "--max_steps",         "2",            "--block_size",
                                "16",             "--save_steps",        "1",            "--num_threads",
                                "1"};
  for (size_t i = 0; i < changes.size(); ++i) {
    const bool pair = changes[i].rfind("--", 0) == 0 && i + 1 < changes.size() && changes[i + 1].rfind("--", 0) != 0;
    if (pair) {
      args = with_flag(args, changes[i], changes[i + 1]);
      ++i;
    } else {
      args.push_back(changes[i]);
    }
  }
  return args;
}

// A model-parallel distribution dict whose parameters are `parameters_json`, as text
// (so it may hold what JSON does not: NaN, Infinity).
inline std::string mp_dict(const std::string& parameters_json) {
  return R"({"smdistributed":{"modelparallel":{"enabled":true,"parameters":)" + parameters_json +
         R"(}},"mpi":{"enabled":true,"processes_per_host":2}})";
}

// A safetensors file: the 8-byte little-endian length (the header's own unless
// `length_word` is given), the header text as written, then `data_bytes` zero bytes.
inline std::string safetensors_bytes(const std::string& header, size_t data_bytes, int64_t length_word = -1) {
  const uint64_t length = length_word < 0 ? header.size() : static_cast<uint64_t>(length_word);
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + header + std::string(data_bytes, '\0');
}

// An llm.c token shard: 256 int32 header words (magic, version, count), then
// `tokens` as uint16, whatever the count word claims.
inline std::string token_shard_bytes(int32_t magic, int32_t version, int32_t count, const std::vector<uint16_t>& tokens) {
  std::vector<int32_t> header(256, 0);
  header[0] = magic;
  header[1] = version;
  header[2] = count;
  std::string bytes(reinterpret_cast<const char*>(header.data()), header.size() * sizeof(int32_t));
  bytes.append(reinterpret_cast<const char*>(tokens.data()), tokens.size() * sizeof(uint16_t));
  return bytes;
}

}  // namespace tandem::e2e
