// Every check a safetensors header needs before a byte of tensor data is
// read or allocated. Sizes come from the file, so each product and sum is
// checked for overflow and bounded by the data section's size.
#include "engine/checkpoint/safetensors_header.h"

#include "engine/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace tandem {
namespace {

struct DtypeInfo {
  StoredDtype dtype;
  const char* name;
  size_t size;
  bool integer;
};

const DtypeInfo kDtypes[] = {
    {StoredDtype::F64, "F64", 8, false}, {StoredDtype::F32, "F32", 4, false}, {StoredDtype::F16, "F16", 2, false},
    {StoredDtype::BF16, "BF16", 2, false}, {StoredDtype::I64, "I64", 8, true}, {StoredDtype::I32, "I32", 4, true},
    {StoredDtype::I16, "I16", 2, true},  {StoredDtype::I8, "I8", 1, true},    {StoredDtype::U8, "U8", 1, true},
    {StoredDtype::BOOL, "BOOL", 1, true},
};

const DtypeInfo& info(StoredDtype d) {
  for (const auto& e : kDtypes)
    if (e.dtype == d) return e;
  return kDtypes[0];
}

// nlohmann keeps the last of repeated keys silently; a parse callback sees
// every key first. One set of keys per open object.
nlohmann::json parse_without_repeated_keys(std::string_view text, const std::string& path) {
  std::vector<std::set<std::string>> open;
  std::string repeated;
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) open.emplace_back();
    else if (event == E::object_end && !open.empty()) open.pop_back();
    else if (event == E::key && !open.empty() && !open.back().insert(parsed.get<std::string>()).second && repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception&) {
    throw RuntimeFailure(path + ": the safetensors header is not valid JSON");
  }
  if (!repeated.empty()) throw RuntimeFailure(path + ": the safetensors header repeats the key \"" + repeated + "\"");
  return j;
}

}  // namespace

const char* stored_dtype_name(StoredDtype d) { return info(d).name; }
size_t stored_dtype_size(StoredDtype d) { return info(d).size; }
bool stored_dtype_is_integer(StoredDtype d) { return info(d).integer; }

uint64_t safetensors_header_extent(std::string_view first8, uint64_t file_size) {
  if (first8.size() < 8 || file_size < 8) return 0;
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(first8[i])) << (8 * i);
  return n > file_size - 8 ? file_size : 8 + n;
}

SafetensorsHeader parse_safetensors_header(const std::string& path, std::string_view prefix, uint64_t file_size) {
  if (file_size < 8 || prefix.size() < 8)
    throw RuntimeFailure(path + ": too short for a safetensors file (" + std::to_string(file_size) + " bytes)");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(static_cast<unsigned char>(prefix[i])) << (8 * i);
  if (header_len > file_size - 8)
    throw RuntimeFailure(path + ": header length " + std::to_string(header_len) + " exceeds the file size " +
                         std::to_string(file_size));
  if (prefix.size() < 8 + header_len) throw RuntimeFailure(path + ": the safetensors header is truncated");
  const nlohmann::json header = parse_without_repeated_keys(prefix.substr(8, header_len), path);
  if (!header.is_object()) throw RuntimeFailure(path + ": the safetensors header is not a JSON object");

  SafetensorsHeader out;
  out.data_start = 8 + header_len;
  const uint64_t data_size = file_size - out.data_start;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const auto& e = it.value();
    if (it.key() == "__metadata__") {
      if (!e.is_object()) throw RuntimeFailure(path + ": __metadata__ is not an object of strings");
      for (auto m = e.begin(); m != e.end(); ++m) {
        if (!m.value().is_string()) throw RuntimeFailure(path + ": __metadata__." + m.key() + " is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = path + ": tensor " + it.key();
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      throw RuntimeFailure(where + " lacks dtype, shape or data_offsets");
    StoredTensor t;
    t.name = it.key();
    const auto& dtype = e["dtype"];
    const DtypeInfo* found = nullptr;
    for (const auto& d : kDtypes)
      if (dtype.is_string() && dtype.get<std::string>() == d.name) found = &d;
    if (!found) throw RuntimeFailure(where + " has unsupported dtype " + dtype.dump());
    t.dtype = found->dtype;

    const auto& shape = e["shape"];
    if (!shape.is_array()) throw RuntimeFailure(where + ": shape is not a list of dimensions");
    uint64_t bytes = found->size;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
        throw RuntimeFailure(where + ": shape holds " + d.dump() + ", not a dimension (an integer >= 0)");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(bytes, dim, &bytes))
        throw RuntimeFailure(where + ": shape " + shape.dump() + " overflows a 64-bit byte count");
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& offsets = e["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      throw RuntimeFailure(where + ": data_offsets is not [begin, end] with integers >= 0");
    t.begin = offsets[0].get<uint64_t>();
    t.end = offsets[1].get<uint64_t>();
    if (t.begin > t.end || t.end > data_size)
      throw RuntimeFailure(where + ": data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                           ") lie outside the data section of " + std::to_string(data_size) + " bytes (truncated?)");
    if (t.end - t.begin != bytes)
      throw RuntimeFailure(where + ": data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                           ") hold " + std::to_string(t.end - t.begin) + " bytes, but " + found->name + " " +
                           shape.dump() + " needs " + std::to_string(bytes));
    out.tensors.push_back(std::move(t));
  }
  // No two tensors share bytes: then their sizes add up to at most the data section.
  std::vector<const StoredTensor*> by_offset;
  for (const auto& t : out.tensors)
    if (t.end > t.begin) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const StoredTensor* a, const StoredTensor* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      throw RuntimeFailure(path + ": tensor " + by_offset[i]->name + " overlaps tensor " + by_offset[i - 1]->name +
                           " in the data section");
  return out;
}

}  // namespace tandem
