#include "engine/data/channel.h"

#include "engine/error.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem {
namespace fs = std::filesystem;

std::vector<ChannelFile> list_channel(const std::string& channel_name, const std::string& dir) {
  if (dir.empty()) throw RuntimeFailure("channel " + channel_name + ": no directory given");
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw RuntimeFailure("channel " + channel_name + ": " + dir + " does not exist");
  if (!fs::is_directory(dir, ec)) throw RuntimeFailure("channel " + channel_name + ": " + dir + " is not a directory");
  std::vector<ChannelFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension().string();
    if (ext == ".txt") files.push_back({entry.path().string(), ChannelFileKind::Text});
    else if (ext == ".jsonl" || ext == ".json") files.push_back({entry.path().string(), ChannelFileKind::JsonLines});
    else if (ext == ".bin") files.push_back({entry.path().string(), ChannelFileKind::TokenShard});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  if (files.empty())
    throw RuntimeFailure("channel " + channel_name + ": " + dir + " holds no .txt, .jsonl or .bin file");
  return files;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeFailure(path + ": cannot be opened for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw RuntimeFailure(path + ": read error");
  return ss.str();
}

std::vector<JsonLine> read_json_lines(const std::string& path) {
  const std::string content = read_text_file(path);
  std::vector<JsonLine> out;
  size_t line_number = 0, start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    ++line_number;
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = path + ":" + std::to_string(line_number);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw RuntimeFailure(where + ": not valid JSON (expected an object like {\"text\": ..., \"label\": ...})");
    }
    const bool has_text = j.is_object() && j.contains("text"), has_ids = j.is_object() && j.contains("input_ids");
    if (has_text == has_ids || (has_text && !j.at("text").is_string()))
      throw RuntimeFailure(where + ": expected an object with a string \"text\" field or an \"input_ids\" list");
    JsonLine record;
    record.line_number = line_number;
    if (has_text) record.text = j.at("text").get<std::string>();
    if (has_ids) {
      const auto& ids = j.at("input_ids");
      if (!ids.is_array()) throw RuntimeFailure(where + ": \"input_ids\" must be a list of non-negative integers");
      for (const auto& id : ids) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0)
          throw RuntimeFailure(where + ": \"input_ids\" must be a list of non-negative integers, got " + id.dump());
        record.input_ids.push_back(id.get<int64_t>());
      }
      record.has_input_ids = true;
    }
    if (j.contains("text_pair")) {
      if (!j.at("text_pair").is_string()) throw RuntimeFailure(where + ": \"text_pair\" must be a string");
      if (has_ids) throw RuntimeFailure(where + ": \"text_pair\" goes with \"text\", not with \"input_ids\"");
      record.text_pair = j.at("text_pair").get<std::string>();
    }
    if (j.contains("label")) {
      const auto& label = j.at("label");
      if (!label.is_string() && !label.is_number_integer())
        throw RuntimeFailure(where + ": \"label\" must be an integer or a string, got " + label.dump());
      record.label = label;
    }
    out.push_back(std::move(record));
  }
  return out;
}

std::vector<uint16_t> read_token_shard(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeFailure(path + ": cannot be opened for reading");
  std::array<int32_t, 256> header{};
  in.read(reinterpret_cast<char*>(header.data()), sizeof(header));
  if (in.gcount() != static_cast<std::streamsize>(sizeof(header)))
    throw RuntimeFailure(path + ": too short for an llm.c token shard header (1024 bytes)");
  if (header[0] != kShardMagic)
    throw RuntimeFailure(path + ": bad magic " + std::to_string(header[0]) + " (expected " +
                         std::to_string(kShardMagic) + ", an llm.c token shard)");
  if (header[1] != 1) throw RuntimeFailure(path + ": unsupported shard version " + std::to_string(header[1]) + " (expected 1)");
  if (header[2] < 0)
    throw RuntimeFailure(path + ": negative token count " + std::to_string(header[2]) + " in header (expected >= 0)");
  // The count is checked against the file before it sizes anything: a forged
  // header must not allocate 4 GB for a file of a few bytes.
  std::error_code ec;
  const uintmax_t file_size = std::filesystem::file_size(path, ec);
  const uint64_t needed = sizeof(header) + static_cast<uint64_t>(header[2]) * sizeof(uint16_t);
  if (ec || file_size < needed)
    throw RuntimeFailure(path + ": header promises " + std::to_string(header[2]) + " tokens (" +
                         std::to_string(needed) + " bytes with the header) but the file holds " +
                         (ec ? std::string("an unknown number of") : std::to_string(file_size)) + " bytes");
  std::vector<uint16_t> tokens(static_cast<size_t>(header[2]));
  in.read(reinterpret_cast<char*>(tokens.data()), static_cast<std::streamsize>(tokens.size() * sizeof(uint16_t)));
  if (in.gcount() != static_cast<std::streamsize>(tokens.size() * sizeof(uint16_t)))
    throw RuntimeFailure(path + ": header promises " + std::to_string(header[2]) + " tokens but the file is shorter");
  return tokens;
}

void write_token_shard(const std::string& path, const std::vector<uint16_t>& tokens) {
  std::array<int32_t, 256> header{};
  header[0] = kShardMagic;
  header[1] = 1;
  header[2] = static_cast<int32_t>(tokens.size());
  std::ofstream out(path, std::ios::binary);
  if (!out) throw RuntimeFailure(path + ": cannot be opened for writing");
  out.write(reinterpret_cast<const char*>(header.data()), sizeof(header));
  out.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(tokens.size() * sizeof(uint16_t)));
  if (!out) throw RuntimeFailure(path + ": write failed");
}

}  // namespace tandem
