#include "engine/data/channel.h"
#include "engine/data/dataset.h"
#include "engine/error.h"

#include <algorithm>
#include <optional>
#include <set>

namespace tandem {
namespace {

struct Example {
  Encoding encoding;  // block_size long: template, truncation and padding applied
  int64_t label;
};

class ClassificationDataset : public Dataset {
 public:
  ClassificationDataset(std::vector<Example> examples, int block_size)
      : examples_(std::move(examples)), block_(block_size) {}

  size_t size() const override { return examples_.size(); }

  Batch make_batch(const std::vector<size_t>& indices) const override {
    const int64_t B = static_cast<int64_t>(indices.size()), T = block_;
    auto inputs = torch::empty({B, T}, torch::kLong);
    auto types = torch::empty({B, T}, torch::kLong);
    auto mask = torch::empty({B, T}, torch::kBool);
    auto labels = torch::empty({B}, torch::kLong);
    auto in = inputs.accessor<int64_t, 2>();
    auto ty = types.accessor<int64_t, 2>();
    auto m = mask.accessor<bool, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const auto& e = examples_[indices[b]].encoding;
      for (int64_t t = 0; t < T; ++t) {
        in[b][t] = e.ids[t];
        ty[b][t] = e.type_ids[t];
        m[b][t] = e.attention_mask[t] != 0;
      }
      // An empty text still attends to one (padding) position, so softmax stays finite.
      if (!e.attention_mask[0]) m[b][0] = true;
      labels[b] = examples_[indices[b]].label;
    }
    Batch batch{inputs, labels, mask, types};
    return batch;
  }

 private:
  std::vector<Example> examples_;
  int block_;
};

struct RawExample {
  std::string text;
  std::optional<std::string> text_pair;
  std::vector<int64_t> input_ids;
  bool has_input_ids;
  nlohmann::json label;
  std::string where;
};

// Ids given in the data (the model's own tokenizer made them, special tokens
// included), checked against the model's vocabulary, truncated and padded to
// block_size like a tokenized text.
Encoding given_ids(const RawExample& r, int vocab_size, int block_size, int32_t pad_id) {
  Encoding e;
  const size_t n = std::min<size_t>(r.input_ids.size(), static_cast<size_t>(block_size));
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = r.input_ids[i];
    if (id >= vocab_size)
      throw RuntimeFailure(r.where + ": input id " + std::to_string(id) + " is outside the model's vocabulary of " +
                           std::to_string(vocab_size));
    e.ids.push_back(static_cast<int32_t>(id));
  }
  e.attention_mask.assign(e.ids.size(), 1);
  e.ids.resize(block_size, pad_id);
  e.attention_mask.resize(block_size, 0);
  e.type_ids.assign(block_size, 0);
  return e;
}

}  // namespace

std::unique_ptr<Dataset> make_classification_dataset(const std::string& channel_name, const std::string& dir,
                                                     int block_size, std::vector<std::string>& labels,
                                                     int& num_labels, int vocab_size, const Tokenizer& tokenizer) {
  std::vector<RawExample> raw;
  for (const auto& file : list_channel(channel_name, dir)) {
    if (file.kind != ChannelFileKind::JsonLines)
      throw RuntimeFailure(file.path + ": classification reads JSON Lines files ({\"text\": ..., \"label\": ...}), not " +
                           (file.kind == ChannelFileKind::Text ? std::string(".txt") : std::string(".bin")));
    for (auto& line : read_json_lines(file.path)) {
      const std::string where = file.path + ":" + std::to_string(line.line_number);
      if (line.label.is_null()) throw RuntimeFailure(where + ": classification needs a \"label\" field");
      raw.push_back({std::move(line.text), std::move(line.text_pair), std::move(line.input_ids), line.has_input_ids,
                     std::move(line.label), where});
    }
  }
  if (raw.empty()) throw RuntimeFailure("channel " + channel_name + ": " + dir + " holds no examples");
  // Only text goes through the tokenizer; given ids are checked one by one.
  const bool any_text = std::any_of(raw.begin(), raw.end(), [](const RawExample& r) { return !r.has_input_ids; });
  if (any_text && tokenizer.vocab_size() > vocab_size)
    throw RuntimeFailure("channel " + channel_name + ": the " + tokenizer.kind() + " tokenizer has " +
                         std::to_string(tokenizer.vocab_size()) + " tokens; the model's vocabulary holds " +
                         std::to_string(vocab_size));

  const bool string_labels = raw.front().label.is_string();
  for (const auto& r : raw)
    if (r.label.is_string() != string_labels)
      throw RuntimeFailure(r.where + ": labels mix strings and integers");

  if (string_labels && labels.empty()) {
    std::set<std::string> names;
    for (const auto& r : raw) names.insert(r.label.get<std::string>());
    labels.assign(names.begin(), names.end());
  }
  if (string_labels) num_labels = static_cast<int>(labels.size());
  if (!string_labels && labels.empty()) {
    // The head gets one row per class id up to the largest label, so that id is
    // bounded by what the data can hold: one class per example at most (or the
    // model's own num_labels), never a billion rows from one mistyped line.
    const int64_t classes_possible = std::max<int64_t>(num_labels, static_cast<int64_t>(raw.size()));
    const RawExample* largest = nullptr;
    for (const auto& r : raw)
      if (!largest || r.label.get<int64_t>() > largest->label.get<int64_t>()) largest = &r;
    const int64_t max_label = largest->label.get<int64_t>();
    if (max_label >= classes_possible)
      throw RuntimeFailure(largest->where + ": label " + std::to_string(max_label) + " is out of range (expected a class id 0.." +
                           std::to_string(classes_possible - 1) + ": at most one class per training example, or " +
                           "config.json's num_labels)");
    num_labels = std::max<int>(num_labels, static_cast<int>(max_label) + 1);
  }

  const EncodeOptions fit{block_size, /*pad_to_max_length=*/true};
  std::vector<Example> examples;
  examples.reserve(raw.size());
  for (const auto& r : raw) {
    int64_t id = -1;
    if (r.label.is_string()) {
      const auto name = r.label.get<std::string>();
      auto it = std::find(labels.begin(), labels.end(), name);
      if (it == labels.end()) throw RuntimeFailure(r.where + ": label \"" + name + "\" was not seen in the training data");
      id = it - labels.begin();
    } else {
      id = r.label.get<int64_t>();
      if (!labels.empty()) throw RuntimeFailure(r.where + ": integer label where the model has named labels");
      if (id < 0 || id >= num_labels)
        throw RuntimeFailure(r.where + ": label " + std::to_string(id) + " is outside 0.." + std::to_string(num_labels - 1));
    }
    examples.push_back({r.has_input_ids ? given_ids(r, vocab_size, block_size, tokenizer.pad_id())
                                        : tokenizer.encode_for_model(r.text, r.text_pair, fit),
                        id});
  }
  return std::make_unique<ClassificationDataset>(std::move(examples), block_size);
}

}  // namespace tandem
