#include "engine/checkpoint/safetensors.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace tandem {
namespace {

struct DtypeName {
  torch::Dtype dtype;
  const char* name;
};

const DtypeName kDtypes[] = {
    {torch::kFloat32, "F32"}, {torch::kFloat64, "F64"}, {torch::kFloat16, "F16"}, {torch::kBFloat16, "BF16"},
    {torch::kInt64, "I64"},   {torch::kInt32, "I32"},   {torch::kInt16, "I16"},   {torch::kInt8, "I8"},
    {torch::kUInt8, "U8"},    {torch::kBool, "BOOL"},
};

const char* dtype_to_name(torch::Dtype d) {
  for (const auto& e : kDtypes)
    if (e.dtype == d) return e.name;
  throw RuntimeFailure(std::string("safetensors: unsupported dtype ") + c10::toString(d));
}

bool name_to_dtype(const std::string& name, torch::Dtype& out) {
  for (const auto& e : kDtypes)
    if (name == e.name) {
      out = e.dtype;
      return true;
    }
  return false;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> cpu;
  cpu.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (header.contains(name)) throw RuntimeFailure(path + ": duplicate tensor name " + name);
    auto c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = c.numel() * c.element_size();
    header[name] = {{"dtype", dtype_to_name(c.scalar_type())},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    cpu.push_back(c);
  }
  std::string header_text = header.dump();
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  AtomicFile file(path);
  const uint64_t n = header_text.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  file.write(reinterpret_cast<const char*>(len), 8);
  file.write(header_text.data(), header_text.size());
  for (const auto& c : cpu) file.write(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  file.commit();
}

std::map<std::string, torch::Tensor> load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw RuntimeFailure(path + ": cannot be opened for reading");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) throw RuntimeFailure(path + ": too short for a safetensors file (" + std::to_string(file_size) + " bytes)");
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(len[i]) << (8 * i);
  if (header_len > file_size - 8)
    throw RuntimeFailure(path + ": header length " + std::to_string(header_len) + " exceeds the file size");
  std::string header_text(header_len, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::exception&) {
    throw RuntimeFailure(path + ": the safetensors header is not valid JSON");
  }
  if (!header.is_object()) throw RuntimeFailure(path + ": the safetensors header is not a JSON object");

  const uint64_t data_size = file_size - 8 - header_len;
  std::map<std::string, torch::Tensor> out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& e = it.value();
    const std::string where = path + ": tensor " + it.key();
    torch::Dtype dtype;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      throw RuntimeFailure(where + " lacks dtype, shape or data_offsets");
    if (!e["dtype"].is_string() || !name_to_dtype(e["dtype"].get<std::string>(), dtype))
      throw RuntimeFailure(where + " has unsupported dtype " + e["dtype"].dump());
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
    try {
      shape = e["shape"].get<std::vector<int64_t>>();
      auto offsets = e["data_offsets"].get<std::vector<uint64_t>>();
      if (offsets.size() != 2) throw std::runtime_error("");
      begin = offsets[0];
      end = offsets[1];
    } catch (...) {
      throw RuntimeFailure(where + " has a malformed shape or data_offsets");
    }
    uint64_t numel = 1;
    for (auto d : shape) {
      if (d < 0) throw RuntimeFailure(where + " has a negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    const uint64_t bytes = numel * torch::elementSize(dtype);
    if (begin > end || end > data_size || end - begin != bytes)
      throw RuntimeFailure(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                           ") do not match its shape or lie outside the file (truncated?)");
    ranges.emplace_back(begin, end);
    auto t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
    in.seekg(static_cast<std::streamoff>(8 + header_len + begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(bytes));
    if (!in) throw RuntimeFailure(where + ": read failed");
    out.emplace(it.key(), t);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) throw RuntimeFailure(path + ": tensors overlap in the data section");
  return out;
}

void copy_into_parameters(const std::map<std::string, torch::Tensor>& stored, const NamedTensors& params,
                          const std::string& origin) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, p] : params) {
    auto it = stored.find(name);
    if (it == stored.end()) throw RuntimeFailure(origin + ": missing tensor " + name);
    if (it->second.sizes() != p.sizes())
      throw RuntimeFailure(origin + ": tensor " + name + " has shape " + c10::str(it->second.sizes()) +
                           ", the model expects " + c10::str(p.sizes()));
    p.copy_(it->second);
  }
}

}  // namespace tandem
