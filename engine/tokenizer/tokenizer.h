#pragma once
// What every tokenizer offers the data path: text to ids (special tokens that
// appear in the text are matched first, as Hugging Face's added tokens are),
// ids back to text, and the model inputs built from one text or a pair:
// truncation, the post-processor's template ([CLS] A [SEP] B [SEP] for BERT,
// nothing for GPT-2), padding, attention mask and token type ids.
// engine/tokenizer/load_tokenizer.h makes one from a model directory.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

// A token the vocabulary holds whole: matched in raw text before the model's
// own splitting ([CLS], <|endoftext|>...).
struct AddedToken {
  std::string content;
  int32_t id = 0;
};

// One element of a post-processor template: a special token, or sequence A
// (sequence = 0) or B (sequence = 1); each with the token type id it gets.
struct TemplatePiece {
  int sequence = -1;  // -1: the special token `token_id`
  int32_t token_id = 0;
  int32_t type_id = 0;
};

struct PostTemplate {
  std::vector<TemplatePiece> single{{0, 0, 0}};
  std::vector<TemplatePiece> pair{{0, 0, 0}, {1, 0, 1}};
  int special_count(bool is_pair) const;
};

// Model inputs for one example; all three vectors have the same length.
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<uint8_t> attention_mask;  // 1 for tokens, 0 for padding
};

struct EncodeOptions {
  int max_length = 0;           // 0: no truncation; else the total length, special tokens included
  bool pad_to_max_length = false;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Ids for `text` without the template's special tokens.
  std::vector<int32_t> encode(std::string_view text) const;
  // Ids, template, truncation ("longest first" for pairs) and padding, as
  // transformers' fast tokenizers give them with truncation=True and
  // padding="max_length".
  Encoding encode_for_model(std::string_view text, std::optional<std::string_view> pair,
                            const EncodeOptions& options) const;
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;

  virtual int vocab_size() const = 0;  // the largest id + 1
  virtual std::string kind() const = 0;  // "byte", "byte-level BPE", "WordPiece": for messages
  // End of text (GPT-2's <|endoftext|>): separates documents in an LM stream.
  std::optional<int32_t> eos_id() const { return eos_id_; }
  int32_t pad_id() const { return pad_id_; }

  // Set by the loader.
  void set_added_tokens(std::vector<AddedToken> tokens);
  void set_template(PostTemplate t) { template_ = std::move(t); }
  void set_eos_id(std::optional<int32_t> id) { eos_id_ = id; }
  void set_pad_id(int32_t id) { pad_id_ = id; }

 protected:
  // Text that holds no added token: the model's own normalisation, splitting
  // and vocabulary. Appends to `out`.
  virtual void encode_plain(std::string_view text, std::vector<int32_t>& out) const = 0;
  const std::vector<AddedToken>& added_tokens() const { return added_; }

 private:
  std::vector<AddedToken> added_;  // longest content first, so the longest match wins
  std::array<bool, 256> starts_added_{};  // first bytes of added tokens: most positions need no comparison
  PostTemplate template_;
  std::optional<int32_t> eos_id_;
  int32_t pad_id_ = 0;
};

}  // namespace tandem
