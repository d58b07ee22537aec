#include "parallel/pipeline/schedule/validate.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "engine/error.h"

namespace tandem::pipeline {

namespace {

// Where an action sits: rank and index in that rank's list.
struct Position {
  int rank = -1;
  int index = -1;
};

// What a (stage, microbatch) has done on its rank so far.
struct StageProgress {
  bool forward = false;
  bool backward = false;
  bool backward_input = false;
  bool backward_weight = false;
  bool activation_received = false;
  bool gradient_received = false;
};

class Validator {
 public:
  Validator(const Schedule& schedule, const ScheduleSpec& spec)
      : schedule_(schedule),
        placement_(schedule.placement),
        p_(spec.pp_size),
        m_(spec.microbatches),
        v_(spec.virtual_stages),
        kind_(spec.kind),
        expected_placement_(placement_of(spec)) {}

  void run() {
    if (static_cast<int>(schedule_.size()) != p_) {
      throw RuntimeFailure("schedule has " + std::to_string(schedule_.size()) +
                           " rank lists for partitions=" + std::to_string(p_));
    }
    if (placement_ != expected_placement_) {
      throw RuntimeFailure("schedule places its stages " + placement_.name() + " over " +
                           std::to_string(placement_.pipeline_ranks()) + " ranks x " +
                           std::to_string(placement_.chunks()) + " chunks; pipeline=" + kind_ +
                           " needs " + expected_placement_.name() + " over " + std::to_string(p_) + " x " +
                           std::to_string(v_));
    }
    for (int rank = 0; rank < p_; ++rank) check_rank(rank);
    check_every_stage_ran();
    check_messages_matched(sends_, recvs_, "Recv");
    check_messages_matched(recvs_, sends_, "Send");
  }

  // The first receive that takes a message out of its sender's order, if any.
  std::optional<std::string> first_out_of_order() {
    try {
      run();
      check_pairwise_order();
    } catch (const RuntimeFailure& e) {
      return std::string(e.what());
    }
    return std::nullopt;
  }

 private:
  [[noreturn]] void fail(int rank, int index, const std::string& problem) const {
    const auto& actions = schedule_[rank];
    std::string where = "rank " + std::to_string(rank) + ", action " + std::to_string(index);
    if (index < static_cast<int>(actions.size())) where += " (" + describe(actions[index]) + ")";
    throw RuntimeFailure(where + ": " + problem);
  }

  void check_rank(int rank) {
    const auto& actions = schedule_[rank];
    const int n = static_cast<int>(actions.size());
    if (n < 1 || actions[n - 1].kind != ActionKind::ReduceGradients) {
      fail(rank, std::max(n - 1, 0), "the list must end with ReduceGradients");
    }
    for (int index = 0; index < n - 1; ++index) check_action(rank, index);
  }

  void check_action(int rank, int index) {
    const Action& action = schedule_[rank][index];
    if (action.kind == ActionKind::ReduceGradients) fail(rank, index, "only the last action may be ReduceGradients");
    if (action.microbatch < 0 || action.microbatch >= m_) {
      fail(rank, index, "microbatch outside [0, " + std::to_string(m_) + ")");
    }
    if (action.chunk < 0 || action.chunk >= v_) fail(rank, index, "chunk outside [0, " + std::to_string(v_) + ")");
    const int stage = placement_.stage(rank, action.chunk);
    const std::string what = " of stage " + std::to_string(stage) + " microbatch " + std::to_string(action.microbatch);
    if (is_send(action.kind) || is_recv(action.kind)) check_peer(rank, index, stage);
    StageProgress& progress = progress_[{stage, action.microbatch}];
    switch (action.kind) {
      case ActionKind::Forward:
        if (progress.forward) fail(rank, index, "second Forward" + what);
        if (stage > 0 && !progress.activation_received) {
          if (!placement_.same_rank(stage, stage - 1)) fail(rank, index, "no RecvActivation before the Forward" + what);
          // The V's turn: the previous stage runs here and hands over its output itself.
          if (!progress_[{stage - 1, action.microbatch}].forward)
            fail(rank, index, "Forward before the Forward of stage " + std::to_string(stage - 1) +
                                  " on the same rank" + what);
        }
        progress.forward = true;
        break;
      case ActionKind::Backward:
      case ActionKind::BackwardInput:
        if (progress.backward || progress.backward_input) fail(rank, index, "second backward" + what);
        if (!progress.forward) fail(rank, index, "backward before the Forward" + what);
        if (stage < last_stage() && !progress.gradient_received) {
          if (!placement_.same_rank(stage, stage + 1)) fail(rank, index, "no RecvGradient before the backward" + what);
          const StageProgress& next = progress_[{stage + 1, action.microbatch}];
          if (!next.backward && !next.backward_input)
            fail(rank, index, "backward before the backward of stage " + std::to_string(stage + 1) +
                                  " on the same rank" + what);
        }
        (action.kind == ActionKind::Backward ? progress.backward : progress.backward_input) = true;
        break;
      case ActionKind::BackwardWeight:
        if (progress.backward_weight) fail(rank, index, "second BackwardWeight" + what);
        if (!progress.backward_input) fail(rank, index, "BackwardWeight before the BackwardInput" + what);
        progress.backward_weight = true;
        break;
      case ActionKind::SendActivation:
        if (!progress.forward) fail(rank, index, "SendActivation before the Forward" + what);
        record(sends_, message_key(action, stage), rank, index);
        break;
      case ActionKind::SendGradient:
        if (!progress.backward && !progress.backward_input) {
          fail(rank, index, "SendGradient before the backward" + what);
        }
        record(sends_, message_key(action, stage), rank, index);
        break;
      case ActionKind::RecvActivation:
        progress.activation_received = true;
        record(recvs_, message_key(action, stage), rank, index);
        break;
      case ActionKind::RecvGradient:
        progress.gradient_received = true;
        record(recvs_, message_key(action, stage), rank, index);
        break;
      default:
        break;
    }
  }

  int last_stage() const { return placement_.last_stage(); }

  // Activations travel to the next stage, gradients to the previous one.
  void check_peer(int rank, int index, int stage) const {
    const ActionKind kind = schedule_[rank][index].kind;
    const bool downstream = kind == ActionKind::SendActivation || kind == ActionKind::RecvGradient;
    const int expected = downstream ? stage + 1 : stage - 1;
    const std::string direction = downstream ? "next" : "previous";
    if (expected < 0 || expected > last_stage()) {
      fail(rank, index, "stage " + std::to_string(stage) + " has no " + direction + " stage");
    }
    if (schedule_[rank][index].peer_stage != expected) {
      fail(rank, index, "the peer must be the " + direction + " stage, " + std::to_string(expected));
    }
    if (placement_.same_rank(stage, expected)) {
      fail(rank, index, "stage " + std::to_string(expected) + " is on the same rank: the hand-off is local, no message");
    }
  }

  void record(std::map<MessageKey, Position>& messages, const MessageKey& key, int rank, int index) {
    if (!messages.emplace(key, Position{rank, index}).second) fail(rank, index, "the same message appears twice");
  }

  void check_every_stage_ran() const {
    for (int stage = 0; stage < p_ * v_; ++stage) {
      const int rank = placement_.rank_of(stage);
      const int end = static_cast<int>(schedule_[rank].size());
      for (int mb = 0; mb < m_; ++mb) {
        const std::string what = "stage " + std::to_string(stage) + " microbatch " + std::to_string(mb);
        auto found = progress_.find({stage, mb});
        const StageProgress progress = found == progress_.end() ? StageProgress{} : found->second;
        if (!progress.forward) fail(rank, end, "no Forward of " + what);
        if (progress.backward_input && !progress.backward_weight) fail(rank, end, "no BackwardWeight of " + what);
        if (!progress.backward && !progress.backward_input) fail(rank, end, "no backward of " + what);
      }
    }
  }

  // Every message in `from` needs its partner in `to`; missing names the kind the peer lacks.
  void check_messages_matched(const std::map<MessageKey, Position>& from, const std::map<MessageKey, Position>& to,
                              const std::string& missing) const {
    for (const auto& [key, position] : from) {
      if (to.count(key)) continue;
      const auto& [is_gradient, microbatch, from_stage, to_stage] = key;
      const int peer_stage = missing == "Recv" ? to_stage : from_stage;
      fail(position.rank, position.index,
           "no matching " + missing + (is_gradient ? "Gradient" : "Activation") + " on rank " +
               std::to_string(placement_.rank_of(peer_stage)));
    }
  }

  void check_pairwise_order() const {
    std::map<std::pair<int, int>, std::vector<std::pair<MessageKey, Position>>> sent, received;  // by (from, to)
    for (const auto& [key, position] : sends_)
      sent[{position.rank, placement_.rank_of(std::get<3>(key))}].push_back({key, position});
    for (const auto& [key, position] : recvs_)
      received[{placement_.rank_of(std::get<2>(key)), position.rank}].push_back({key, position});
    auto by_index = [](const auto& a, const auto& b) { return a.second.index < b.second.index; };
    for (auto& [pair, messages] : sent) {
      auto& taken = received[pair];
      std::sort(messages.begin(), messages.end(), by_index);
      std::sort(taken.begin(), taken.end(), by_index);
      for (size_t i = 0; i < messages.size() && i < taken.size(); ++i)
        if (messages[i].first != taken[i].first)
          fail(taken[i].second.rank, taken[i].second.index,
               "rank " + std::to_string(pair.first) + " sends to rank " + std::to_string(pair.second) +
                   " in another order (message " + std::to_string(i) + " it sends is action " +
                   std::to_string(messages[i].second.index) + "); messages between two ranks are matched by order");
    }
  }

  const Schedule& schedule_;
  const StagePlacement placement_;
  const int p_;
  const int m_;
  const int v_;
  const std::string kind_;
  const StagePlacement expected_placement_;
  std::map<std::pair<int, int>, StageProgress> progress_;  // by (stage, microbatch)
  std::map<MessageKey, Position> sends_;
  std::map<MessageKey, Position> recvs_;
};

}  // namespace

void validate(const Schedule& schedule, const ScheduleSpec& spec) { Validator(schedule, spec).run(); }

std::optional<std::string> first_out_of_order_receive(const Schedule& schedule, const ScheduleSpec& spec) {
  return Validator(schedule, spec).first_out_of_order();
}

}  // namespace tandem::pipeline
