// Reads tokenizer.json, vocab.json + merges.txt or vocab.txt into the
// tokenizers of this folder. Only what tandem implements is accepted; any
// other normalizer, pre-tokenizer, model or option is refused by name rather
// than tokenized differently from transformers.
#include "engine/tokenizer/load_tokenizer.h"

#include "engine/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "engine/tokenizer/wordpiece_tokenizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeFailure(path.string() + ": cannot be opened for reading");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json read_json(const fs::path& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw RuntimeFailure(path.string() + ": not valid JSON (byte " +
                         std::to_string(dynamic_cast<const json::parse_error*>(&e) ? dynamic_cast<const json::parse_error&>(e).byte : 0) + ")");
  }
}

// A typed field with the dotted key in the message when it is missing or of another type.
template <class T>
T field(const json& j, const char* key, const std::string& where, const T& fallback, bool required = false) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) {
    if (required) throw RuntimeFailure(where + "." + key + " is missing");
    return fallback;
  }
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    throw RuntimeFailure(where + "." + key + " has the wrong type (" + j[key].type_name() + ")");
  }
}

Vocabulary vocab_from_json_object(const json& vocab, const std::string& where) {
  if (!vocab.is_object()) throw RuntimeFailure(where + " is not an object of token: id");
  Vocabulary v;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      throw RuntimeFailure(where + "[\"" + it.key() + "\"] is not an integer id");
    v.add(it.key(), it.value().get<int32_t>(), where);
  }
  return v;
}

std::vector<BpeMerge> merges_from_json(const json& merges, const std::string& where) {
  if (!merges.is_array()) throw RuntimeFailure(where + " is not a list");
  std::vector<BpeMerge> out;
  out.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& m = merges[i];
    if (m.is_string()) {  // "left right"
      const auto s = m.get<std::string>();
      const auto space = s.find(' ', 1);
      if (space == std::string::npos) throw RuntimeFailure(where + "[" + std::to_string(i) + "] is not \"left right\"");
      out.push_back({s.substr(0, space), s.substr(space + 1)});
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["left", "right"]
      out.push_back({m[0].get<std::string>(), m[1].get<std::string>()});
    } else {
      throw RuntimeFailure(where + "[" + std::to_string(i) + "] is neither \"left right\" nor [left, right]");
    }
  }
  return out;
}

std::vector<AddedToken> added_tokens_from_json(const json& added, const std::string& where) {
  std::vector<AddedToken> out;
  if (added.is_null()) return out;
  if (!added.is_array()) throw RuntimeFailure(where + " is not a list");
  for (size_t i = 0; i < added.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    out.push_back({field<std::string>(added[i], "content", at, "", true), field<int32_t>(added[i], "id", at, 0, true)});
  }
  return out;
}

int32_t token_id(const Tokenizer& t, const std::vector<AddedToken>& added, const std::string& content) {
  for (const auto& a : added)
    if (a.content == content) return a.id;
  const auto ids = t.encode(content);
  return ids.size() == 1 ? ids[0] : -1;
}

PostTemplate bert_template(int32_t cls, int32_t sep) {
  PostTemplate t;
  t.single = {{-1, cls, 0}, {0, 0, 0}, {-1, sep, 0}};
  t.pair = {{-1, cls, 0}, {0, 0, 0}, {-1, sep, 0}, {1, 0, 1}, {-1, sep, 1}};
  return t;
}

std::vector<TemplatePiece> template_pieces(const json& pieces, const json& specials, const std::string& where) {
  if (!pieces.is_array()) throw RuntimeFailure(where + " is not a list");
  std::vector<TemplatePiece> out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const auto& p = pieces[i];
    if (p.contains("Sequence")) {
      const auto id = field<std::string>(p["Sequence"], "id", at + ".Sequence", "", true);
      if (id != "A" && id != "B") throw RuntimeFailure(at + ".Sequence.id is \"" + id + "\", not A or B");
      out.push_back({id == "A" ? 0 : 1, 0, field<int32_t>(p["Sequence"], "type_id", at + ".Sequence", 0)});
    } else if (p.contains("SpecialToken")) {
      const auto name = field<std::string>(p["SpecialToken"], "id", at + ".SpecialToken", "", true);
      const int32_t type = field<int32_t>(p["SpecialToken"], "type_id", at + ".SpecialToken", 0);
      if (!specials.is_object() || !specials.contains(name) || !specials[name].contains("ids") ||
          !specials[name]["ids"].is_array())
        throw RuntimeFailure(at + ": special token " + name + " is not in post_processor.special_tokens");
      for (const auto& id : specials[name]["ids"]) {
        if (!id.is_number_integer()) throw RuntimeFailure(at + ": special token " + name + " has a non-integer id");
        out.push_back({-1, id.get<int32_t>(), type});
      }
    } else {
      throw RuntimeFailure(at + " is neither a Sequence nor a SpecialToken");
    }
  }
  return out;
}

void require_type(const json& j, const std::string& where, std::initializer_list<const char*> accepted) {
  if (j.is_null()) return;
  const auto type = field<std::string>(j, "type", where, "", true);
  for (const char* a : accepted)
    if (type == a) return;
  std::string list;
  for (const char* a : accepted) list += (list.empty() ? "" : ", ") + std::string(a);
  throw RuntimeFailure(where + ".type " + type + " is not supported (tandem reads " + list + ")");
}

std::unique_ptr<Tokenizer> from_tokenizer_json(const fs::path& path) {
  const json j = read_json(path);
  const std::string file = path.string();
  if (!j.is_object() || !j.contains("model")) throw RuntimeFailure(file + ": no \"model\" object");
  const json& model = j["model"];
  const auto type = field<std::string>(model, "type", file + ": model", "", true);
  const json null;
  const json& normalizer = j.contains("normalizer") ? j["normalizer"] : null;
  const json& pre = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : null;
  auto added = added_tokens_from_json(j.contains("added_tokens") ? j["added_tokens"] : null, file + ": added_tokens");

  std::unique_ptr<Tokenizer> tok;
  if (type == "WordPiece") {
    require_type(normalizer, file + ": normalizer", {"BertNormalizer"});
    require_type(pre, file + ": pre_tokenizer", {"BertPreTokenizer"});
    BertNormalization norm;
    if (normalizer.is_null()) {
      norm = {false, false, false, false};
    } else {
      const std::string at = file + ": normalizer";
      norm.clean_text = field<bool>(normalizer, "clean_text", at, true);
      norm.handle_chinese_chars = field<bool>(normalizer, "handle_chinese_chars", at, true);
      norm.lowercase = field<bool>(normalizer, "lowercase", at, true);
      norm.strip_accents = field<bool>(normalizer, "strip_accents", at, norm.lowercase);
    }
    const std::string at = file + ": model";
    Vocabulary vocab = vocab_from_json_object(model.contains("vocab") ? model["vocab"] : null, at + ".vocab");
    const auto unk = field<std::string>(model, "unk_token", at, "[UNK]");
    const int32_t unk_id = vocab.find(unk);
    if (unk_id < 0) throw RuntimeFailure(at + ".unk_token \"" + unk + "\" is not in the vocabulary");
    for (const auto& a : added) vocab.add(a.content, a.id, file + ": added_tokens");
    tok = std::make_unique<WordPieceTokenizer>(std::move(vocab), unk_id,
                                               field<std::string>(model, "continuing_subword_prefix", at, "##"),
                                               field<int>(model, "max_input_chars_per_word", at, 100), norm);
  } else if (type == "BPE") {
    const std::string at = file + ": model";
    if (!normalizer.is_null()) throw RuntimeFailure(file + ": normalizer: byte-level BPE with a normalizer is not supported");
    require_type(pre, file + ": pre_tokenizer", {"ByteLevel"});
    if (pre.is_null()) throw RuntimeFailure(file + ": pre_tokenizer: BPE without the ByteLevel pre-tokenizer is not supported");
    if (!field<bool>(pre, "use_regex", file + ": pre_tokenizer", true))
      throw RuntimeFailure(file + ": pre_tokenizer.use_regex false is not supported");
    if (!model.value("dropout", json()).is_null()) throw RuntimeFailure(at + ".dropout is set; tandem's BPE has no dropout");
    if (field<bool>(model, "byte_fallback", at, false)) throw RuntimeFailure(at + ".byte_fallback true is not supported");
    if (!field<std::string>(model, "continuing_subword_prefix", at, "").empty() ||
        !field<std::string>(model, "end_of_word_suffix", at, "").empty())
      throw RuntimeFailure(at + ": continuing_subword_prefix / end_of_word_suffix are not supported");
    Vocabulary vocab = vocab_from_json_object(model.contains("vocab") ? model["vocab"] : null, at + ".vocab");
    auto merges = merges_from_json(model.contains("merges") ? model["merges"] : json::array(), at + ".merges");
    for (const auto& a : added) vocab.add(a.content, a.id, file + ": added_tokens");
    tok = std::make_unique<ByteLevelBpeTokenizer>(std::move(vocab), merges,
                                                  field<bool>(pre, "add_prefix_space", file + ": pre_tokenizer", false),
                                                  field<bool>(model, "ignore_merges", at, false), file);
  } else {
    throw RuntimeFailure(file + ": model.type " + type + " is not supported (tandem reads WordPiece and BPE)");
  }
  tok->set_added_tokens(added);

  const json& post = j.contains("post_processor") ? j["post_processor"] : null;
  require_type(post, file + ": post_processor", {"TemplateProcessing", "BertProcessing", "ByteLevel"});
  const auto post_type = post.is_null() ? std::string() : post["type"].get<std::string>();
  if (post_type == "TemplateProcessing") {
    PostTemplate t;
    const json specials = post.contains("special_tokens") ? post["special_tokens"] : json::object();
    t.single = template_pieces(post.contains("single") ? post["single"] : null, specials, file + ": post_processor.single");
    t.pair = template_pieces(post.contains("pair") ? post["pair"] : null, specials, file + ": post_processor.pair");
    tok->set_template(std::move(t));
  } else if (post_type == "BertProcessing") {
    auto id_of = [&](const char* key) {
      if (!post.contains(key) || !post[key].is_array() || post[key].size() != 2 || !post[key][1].is_number_integer())
        throw RuntimeFailure(file + ": post_processor." + key + " is not [token, id]");
      return post[key][1].get<int32_t>();
    };
    tok->set_template(bert_template(id_of("cls"), id_of("sep")));
  }

  const json& padding = j.contains("padding") ? j["padding"] : null;
  int32_t pad = field<int32_t>(padding, "pad_id", file + ": padding", -1);
  if (pad < 0) pad = token_id(*tok, added, "[PAD]");
  const int32_t eos = token_id(*tok, added, "<|endoftext|>");
  if (eos >= 0 && type == "BPE") tok->set_eos_id(eos);
  tok->set_pad_id(pad >= 0 ? pad : (eos >= 0 ? eos : 0));
  return tok;
}

std::unique_ptr<Tokenizer> from_vocab_and_merges(const fs::path& vocab_path, const fs::path& merges_path) {
  Vocabulary vocab = vocab_from_json_object(read_json(vocab_path), vocab_path.string());
  std::vector<BpeMerge> merges;
  std::istringstream lines(read_file(merges_path));
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (number == 1 && line.rfind("#version", 0) == 0)) continue;
    const auto space = line.find(' ', 1);
    if (space == std::string::npos)
      throw RuntimeFailure(merges_path.string() + ":" + std::to_string(number) + ": expected \"left right\"");
    merges.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  const int32_t eos = vocab.find("<|endoftext|>");
  auto tok = std::make_unique<ByteLevelBpeTokenizer>(std::move(vocab), merges, false, false, merges_path.string());
  if (eos >= 0) {
    tok->set_added_tokens({{"<|endoftext|>", eos}});
    tok->set_eos_id(eos);
    tok->set_pad_id(eos);
  }
  return tok;
}

std::unique_ptr<Tokenizer> from_vocab_txt(const fs::path& vocab_path, const fs::path& config_path) {
  Vocabulary vocab;
  std::istringstream lines(read_file(vocab_path));
  std::string line;
  for (int32_t id = 0; std::getline(lines, line); ++id) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.add(line, id, vocab_path.string());
  }
  BertNormalization norm;
  if (fs::exists(config_path)) {
    const json config = read_json(config_path);
    const std::string at = config_path.string() + ": ";
    norm.lowercase = field<bool>(config, "do_lower_case", at, true);
    norm.strip_accents = field<bool>(config, "strip_accents", at, norm.lowercase);
    norm.handle_chinese_chars = field<bool>(config, "tokenize_chinese_chars", at, true);
  }
  std::vector<AddedToken> specials;
  for (const char* name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (vocab.find(name) >= 0) specials.push_back({name, vocab.find(name)});
  const int32_t unk = vocab.find("[UNK]"), cls = vocab.find("[CLS]"), sep = vocab.find("[SEP]"), pad = vocab.find("[PAD]");
  if (unk < 0 || cls < 0 || sep < 0)
    throw RuntimeFailure(vocab_path.string() + ": a BERT vocabulary needs [UNK], [CLS] and [SEP]");
  auto tok = std::make_unique<WordPieceTokenizer>(std::move(vocab), unk, "##", 100, norm);
  tok->set_added_tokens(specials);
  tok->set_template(bert_template(cls, sep));
  tok->set_pad_id(pad >= 0 ? pad : 0);
  return tok;
}

}  // namespace

std::vector<std::string> tokenizer_files(const std::string& model_dir) {
  std::vector<std::string> out;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
                           "merges.txt", "vocab.txt"})
    if (fs::is_regular_file(fs::path(model_dir) / name)) out.push_back((fs::path(model_dir) / name).string());
  return out;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir) {
  const fs::path dir(model_dir);
  if (fs::is_regular_file(dir / "tokenizer.json")) return from_tokenizer_json(dir / "tokenizer.json");
  if (fs::is_regular_file(dir / "vocab.json") && fs::is_regular_file(dir / "merges.txt"))
    return from_vocab_and_merges(dir / "vocab.json", dir / "merges.txt");
  if (fs::is_regular_file(dir / "vocab.txt")) return from_vocab_txt(dir / "vocab.txt", dir / "tokenizer_config.json");
  return nullptr;
}

std::unique_ptr<Tokenizer> tokenizer_for_model(const std::string& model_name_or_path) {
  if (fs::is_directory(model_name_or_path))
    if (auto tok = load_tokenizer(model_name_or_path)) return tok;
  return std::make_unique<ByteTokenizer>();
}

}  // namespace tandem
