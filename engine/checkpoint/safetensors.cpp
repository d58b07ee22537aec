#include "engine/checkpoint/safetensors.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/checkpoint/safetensors_header.h"
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
  std::string prefix(std::min<uint64_t>(file_size, 8), '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  // The header is read only once its length is known to lie within the file.
  const uint64_t extent = safetensors_header_extent(prefix, file_size);
  if (extent > prefix.size()) {
    prefix.resize(extent);
    in.read(prefix.data() + 8, static_cast<std::streamsize>(extent - 8));
    if (!in) throw RuntimeFailure(path + ": read failed");
  }
  const SafetensorsHeader header = parse_safetensors_header(path, prefix, file_size);

  std::map<std::string, torch::Tensor> out;
  for (const auto& stored : header.tensors) {
    torch::Dtype dtype;
    if (!name_to_dtype(stored_dtype_name(stored.dtype), dtype))
      throw RuntimeFailure(path + ": tensor " + stored.name + " has unsupported dtype " + stored_dtype_name(stored.dtype));
    auto t = torch::empty(stored.shape, torch::TensorOptions().dtype(dtype));
    in.seekg(static_cast<std::streamoff>(header.data_start + stored.begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(stored.end - stored.begin));
    if (!in) throw RuntimeFailure(path + ": tensor " + stored.name + ": read failed");
    out.emplace(stored.name, t);
  }
  return out;
}

void copy_into_parameters(const std::map<std::string, torch::Tensor>& stored, const NamedTensors& params,
                          const std::string& origin) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, p] : params) {
    auto it = stored.find(name);
    if (it == stored.end()) throw RuntimeFailure(origin + ": missing tensor " + name);
    // Integer buffers (position_ids, I64) are read as what they are; they never become float weights.
    if (p.is_floating_point() != it->second.is_floating_point())
      throw RuntimeFailure(origin + ": tensor " + name + " holds " + c10::toString(it->second.scalar_type()) +
                           " data, the model expects " + c10::toString(p.scalar_type()));
    if (it->second.sizes() != p.sizes())
      throw RuntimeFailure(origin + ": tensor " + name + " has shape " + c10::str(it->second.sizes()) +
                           ", the model expects " + c10::str(p.sizes()));
    p.copy_(it->second);
  }
}

}  // namespace tandem
