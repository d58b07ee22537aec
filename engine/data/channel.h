#pragma once
// A SageMaker input channel: a directory (SM_CHANNEL_TRAIN, SM_CHANNEL_TEST)
// holding .txt files, JSON Lines files ({"text": ..., "label": ...}, optionally "text_pair") or token
// shards in llm.c's .bin format. Files are read in name order.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

enum class ChannelFileKind { Text, JsonLines, TokenShard };

struct ChannelFile {
  std::string path;
  ChannelFileKind kind;
};

// Lists the usable files of a channel; throws RuntimeFailure naming the
// channel when it is missing, not a directory, or holds no usable file.
std::vector<ChannelFile> list_channel(const std::string& channel_name, const std::string& dir);

std::string read_text_file(const std::string& path);

// A line holds "text", or "input_ids" already tokenized by the model's own
// tokenizer (a list of non-negative integers, e.g. [CLS] ... [SEP]).
struct JsonLine {
  std::string text;
  std::vector<int64_t> input_ids;  // empty unless the line gives "input_ids"
  bool has_input_ids = false;
  nlohmann::json label;  // null when the line has no "label"
  size_t line_number;    // 1-based, for error messages
  std::optional<std::string> text_pair;  // "text_pair": the second sequence of a pair task
};
// Blank lines are skipped; a malformed line throws RuntimeFailure naming file and line.
std::vector<JsonLine> read_json_lines(const std::string& path);

// llm.c token shard: 256 int32 header (magic 20240520, version 1, token count), then uint16 tokens.
constexpr int32_t kShardMagic = 20240520;
std::vector<uint16_t> read_token_shard(const std::string& path);
void write_token_shard(const std::string& path, const std::vector<uint16_t>& tokens);

}  // namespace tandem
