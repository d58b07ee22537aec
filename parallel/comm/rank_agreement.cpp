#include "parallel/comm/rank_agreement.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/error.h"
#include "parallel/comm/text_exchange.h"

namespace tandem::comm {
namespace {

// One rank's record: its exit code, its error's length, how many facts, its
// error's hash, the length of its error with its name in front, then two
// numbers per fact (a count and 1 when known; a text's hash and length).
// An error length of -1 marks more facts than the record holds.
constexpr std::size_t kHeader = 5;
constexpr std::size_t kRecord = kHeader + 2 * kMaxAgreedFacts;
// A relayed error and a shown line are cut here; a compared text is gathered up to kTextCap.
constexpr std::size_t kErrorCap = 4096;
constexpr std::size_t kLineCap = 200;
constexpr std::size_t kTextCap = 64 * 1024;

// Lines are joined by NUL, which no argument or JSON line holds.
std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (std::size_t i = 0; i < lines.size(); ++i) text += (i ? std::string(1, '\0') : "") + lines[i];
  return text;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\0', start)) != std::string::npos; start = end + 1)
    lines.push_back(text.substr(start, end - start));
  lines.push_back(text.substr(start));
  return lines;
}

// The error with the failing rank's name in front.
std::string named_error(const RankSetup& mine, int rank) {
  return (mine.who.empty() ? "rank " + std::to_string(rank) : mine.who) + ": " + mine.error;
}

std::vector<int64_t> record_of(const RankSetup& mine, int rank) {
  std::vector<int64_t> record(kRecord, 0);
  if (mine.exit_code == 0 && mine.facts.size() > kMaxAgreedFacts) {
    // The same build on every rank: every rank takes this branch together.
    record[0] = 1;
    record[1] = -1;
    return record;
  }
  record[0] = mine.exit_code;
  record[1] = static_cast<int64_t>(std::min(mine.error.size(), kErrorCap));
  record[3] = static_cast<int64_t>(text_hash(mine.error));
  record[4] = static_cast<int64_t>(std::min(named_error(mine, rank).size(), kErrorCap));
  if (mine.exit_code != 0) return record;
  record[2] = static_cast<int64_t>(mine.facts.size());
  for (std::size_t i = 0; i < mine.facts.size(); ++i) {
    const AgreedFact& fact = mine.facts[i];
    int64_t* slot = &record[kHeader + 2 * i];
    if (fact.is_text) {
      const std::string text = joined(fact.lines);
      slot[0] = static_cast<int64_t>(text_hash(text));
      slot[1] = static_cast<int64_t>(text.size());
    } else {
      slot[0] = fact.count;
      slot[1] = fact.count != AgreedFact::kNotKnown;
    }
  }
  return record;
}

std::string quoted(const std::string& line) {
  return "\"" + line.substr(0, kLineCap) + (line.size() > kLineCap ? "...\"" : "\"");
}

std::string rank_list(const std::vector<int>& ranks) {
  std::string list;
  for (int r : ranks) list += (list.empty() ? "" : ", ") + std::to_string(r);
  return list;
}

[[noreturn]] void disagree(const std::string& name, int reference, const std::string& reference_value, int other,
                           const std::string& other_value, const std::vector<int>& differing, const std::string& hint) {
  std::string message = "ranks disagree on " + name + ": rank " + std::to_string(reference) + " has " +
                        reference_value + ", rank " + std::to_string(other) + " has " + other_value;
  if (!hint.empty()) message += " (" + hint + ")";
  if (differing.size() > 1)
    message += "; ranks that differ from rank " + std::to_string(reference) + ": " + rank_list(differing);
  throw JobWideFailure(1, message);
}

// A text fact that differs: every rank gathers the texts (every rank saw the
// same table, so every rank reaches this second collective) and names the
// first line where the reference rank and the first differing rank part.
[[noreturn]] void disagree_on_text(Communicator& group, const AgreedFact& fact, const std::vector<int64_t>& table,
                                   std::size_t slot, int reference, const std::vector<int>& differing) {
  std::size_t longest = 1;
  for (int r = 0; r < group.size(); ++r) longest = std::max(longest, std::size_t(table[r * kRecord + slot + 1]));
  const std::size_t width = std::min(longest, kTextCap);
  const std::vector<std::string> texts = gather_prefixes(group, joined(fact.lines), width);
  const int other = differing.front();
  const auto text_of = [&](int r) {
    return split(texts[r].substr(0, std::min(width, std::size_t(table[r * kRecord + slot + 1]))));
  };
  const std::vector<std::string> a = text_of(reference), b = text_of(other);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string line_a = i < a.size() ? quoted(a[i]) : "nothing more", line_b = i < b.size() ? quoted(b[i]) : "nothing more";
    if (line_a != line_b) disagree(fact.name, reference, line_a, other, line_b, differing, fact.hint);
  }
  // Equal as far as gathered: only the hash and length tell them apart.
  const auto summary = [&](int r) {
    char text[64];
    std::snprintf(text, sizeof text, "%" PRId64 " bytes (hash 0x%016" PRIx64 ")", table[r * kRecord + slot + 1],
                  uint64_t(table[r * kRecord + slot]));
    return std::string(text);
  };
  disagree(fact.name, reference, summary(reference), other, summary(other), differing, fact.hint);
}

}  // namespace

AgreedFact AgreedFact::number(std::string name, int64_t count, std::string hint) {
  AgreedFact fact;
  fact.name = std::move(name);
  fact.hint = std::move(hint);
  fact.count = count;
  return fact;
}

AgreedFact AgreedFact::text(std::string name, std::vector<std::string> lines, std::string hint) {
  AgreedFact fact;
  fact.name = std::move(name);
  fact.hint = std::move(hint);
  fact.is_text = true;
  fact.lines = std::move(lines);
  return fact;
}

std::vector<AgreedFact> agree_across_ranks(Communicator& any_group, const RankSetup& mine) {
  // Host memory: a device backend's bootstrap group carries it.
  Communicator& group = any_group.host_group();
  const int size = group.size();
  const std::vector<int64_t> record = record_of(mine, group.rank());
  std::vector<int64_t> table(kRecord * std::size_t(size));
  group.allgather(record.data(), table.data(), kRecord, DType::Int64);
  const auto at = [&](int rank, std::size_t i) { return table[std::size_t(rank) * kRecord + i]; };

  for (int r = 0; r < size; ++r) {
    if (at(r, 0) == 0) continue;
    const int code = at(r, 0) == 2 ? 2 : 1;
    if (at(r, 1) < 0) throw JobWideFailure(1, "internal: more than " + std::to_string(kMaxAgreedFacts) + " facts to agree on");
    // The same error on every rank (the same bad flag everywhere) needs no name.
    bool everywhere = true;
    for (int other = 0; other < size; ++other)
      everywhere = everywhere && at(other, 0) == at(r, 0) && at(other, 1) == at(r, 1) && at(other, 3) == at(r, 3);
    throw JobWideFailure(code, everywhere ? broadcast_text(group, mine.error, std::size_t(at(r, 1)), r)
                                          : broadcast_text(group, named_error(mine, r), std::size_t(at(r, 4)), r));
  }

  std::vector<AgreedFact> facts = mine.facts;
  for (int r = 1; r < size; ++r)
    if (at(r, 2) != at(0, 2))
      disagree("the facts compared at start", 0, std::to_string(at(0, 2)), r, std::to_string(at(r, 2)), {r},
               "every rank must run the same tandem build");
  for (std::size_t i = 0; i < facts.size(); ++i) {
    AgreedFact& fact = facts[i];
    const std::size_t slot = kHeader + 2 * i;
    // The lowest rank that knows the fact is the reference.
    int reference = -1;
    std::vector<int> differing;
    for (int r = 0; r < size; ++r) {
      if (!fact.is_text && at(r, slot + 1) == 0) continue;
      if (reference < 0) reference = r;
      else if (at(r, slot) != at(reference, slot) || at(r, slot + 1) != at(reference, slot + 1)) differing.push_back(r);
    }
    if (!differing.empty()) {
      if (fact.is_text) disagree_on_text(group, fact, table, slot, reference, differing);
      disagree(fact.name, reference, std::to_string(at(reference, slot)), differing.front(),
               std::to_string(at(differing.front(), slot)), differing, fact.hint);
    }
    if (!fact.is_text && reference >= 0) fact.count = at(reference, slot);
  }
  return facts;
}

}  // namespace tandem::comm
