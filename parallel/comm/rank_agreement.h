#pragma once
// The agreement point before a job's first step. Every rank brings either the
// facts that must be identical on every rank (steps, dataset sizes, resume
// step, arguments, model) or the error that stopped its setup, and every rank
// leaves with the same verdict from one exchange. A rank whose setup failed
// still reaches this point, so no rank waits in a collective the failing rank
// never joins, and a disagreement is one line instead of a hang until the
// communication timeout.

#include <cstdint>
#include <string>
#include <vector>

#include "parallel/comm/communicator.h"

namespace tandem::comm {

// One fact every rank must hold identically: a count, or a text compared line by line.
struct AgreedFact {
  // A count no rank reports: the rank does not know it (its host's first rank
  // answers for it), so it is left out of the comparison.
  static constexpr int64_t kNotKnown = INT64_MIN;

  std::string name;  // "training steps"
  std::string hint;  // what makes them agree, shown after the values: "each rank must read the same dataset"
  bool is_text = false;
  int64_t count = kNotKnown;
  std::vector<std::string> lines;  // is_text: the first differing line is what the message shows

  static AgreedFact number(std::string name, int64_t count, std::string hint);
  static AgreedFact text(std::string name, std::vector<std::string> lines, std::string hint);
};

// At most this many facts; the exchange is a fixed-size record per rank.
inline constexpr std::size_t kMaxAgreedFacts = 16;

// What one rank brings: its facts (the same names in the same order on every
// rank), or the error of its setup.
struct RankSetup {
  std::vector<AgreedFact> facts;
  int exit_code = 0;  // 0: set up; 2: a usage error; 1: a runtime failure
  std::string error;  // when exit_code != 0
  std::string who;    // how a failing rank is named, e.g. "rank 2 (host algo-2)"; "rank <r>" when empty
};

// Collective over group.host_group(): every rank calls it exactly once, on
// the success and the failure path alike. When every rank is set up and holds
// the same facts, returns them with each count filled in from the ranks that
// know it. Otherwise every rank throws the same JobWideFailure:
//  - a failed setup: the lowest failing rank's error prefixed with its name,
//    "rank 1 (host algo-2): --epochs: expected a number, got \"x\"", with its exit code
//    (without the prefix when every rank met the same error);
//  - a disagreement: the first fact in order that differs, with exit code 1,
//    "ranks disagree on training steps: rank 0 has 120, rank 1 has 60 (each
//    rank must read the same dataset)".
std::vector<AgreedFact> agree_across_ranks(Communicator& group, const RankSetup& mine);

}  // namespace tandem::comm
