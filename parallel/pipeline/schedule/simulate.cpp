#include "parallel/pipeline/schedule/simulate.h"

#include <algorithm>
#include <map>

namespace tandem::pipeline {

namespace {

double compute_cost(ActionKind kind, const Costs& costs, int stage) {
  const bool own = stage >= 0 && stage < static_cast<int>(costs.stages.size());
  const StageCosts uniform{costs.forward, costs.backward, costs.backward_input, costs.backward_weight};
  const StageCosts& c = own ? costs.stages[stage] : uniform;
  switch (kind) {
    case ActionKind::Forward:
      return c.forward;
    case ActionKind::Backward:
      return c.backward;
    case ActionKind::BackwardInput:
      return c.backward_input;
    case ActionKind::BackwardWeight:
      return c.backward_weight;
    default:
      return 0;
  }
}

// Intervals [enter, leave) per microbatch, then the deepest overlap; a
// microbatch leaving at t and another entering at t do not overlap.
int peak_in_flight(const std::vector<TimedAction>& timeline) {
  std::map<int, std::pair<double, double>> span;  // microbatch -> (enter, leave)
  for (const TimedAction& timed : timeline) {
    if (!is_compute(timed.action.kind)) continue;
    auto [it, fresh] = span.try_emplace(timed.action.microbatch, timed.start_us, timed.end_us);
    if (!fresh) {
      it->second.first = std::min(it->second.first, timed.start_us);
      it->second.second = std::max(it->second.second, timed.end_us);
    }
  }
  std::vector<std::pair<double, int>> events;  // (time, -1 leave / +1 enter): leaves sort first
  for (const auto& [mb, interval] : span) {
    events.emplace_back(interval.first, 1);
    events.emplace_back(interval.second, -1);
  }
  std::sort(events.begin(), events.end());
  int now = 0, peak = 0;
  for (const auto& event : events) peak = std::max(peak, now += event.second);
  return peak;
}

// One run; a message whose key is in `busy_senders` takes p2p_sender_busy,
// or p2p from the moment its sender next waits (the value), if sooner.
SimulationResult simulate_once(const Schedule& schedule, const Costs& costs,
                                      const std::map<MessageKey, double>& busy_senders) {
  const int ranks = static_cast<int>(schedule.size());
  SimulationResult result;
  result.busy.assign(ranks, 0);
  result.peak_stashed.assign(ranks, 0);
  std::vector<size_t> next(ranks, 0);   // index of each rank's next action
  std::vector<double> clock(ranks, 0);  // each rank's time
  std::vector<int> stashed(ranks, 0);
  std::map<MessageKey, double> arrival;  // sent messages and when they can be received

  // A rank's timing depends only on its own list and on when its messages
  // arrive, so running each rank as far as it can, round after round, gives the
  // same times in any rank order; a round in which nobody moves is a deadlock.
  for (bool progressed = true; progressed;) {
    progressed = false;
    for (int rank = 0; rank < ranks; ++rank) {
      while (next[rank] < schedule[rank].size()) {
        const Action& action = schedule[rank][next[rank]];
        const int stage = schedule.stage_of(action, rank);
        const double start = clock[rank];
        if (is_recv(action.kind)) {
          auto sent = arrival.find(message_key(action, stage));
          if (sent == arrival.end()) break;
          clock[rank] = std::max(clock[rank], sent->second);
        } else if (is_send(action.kind)) {
          const MessageKey key = message_key(action, stage);
          const auto busy = busy_senders.find(key);
          arrival[key] = clock[rank] + costs.p2p;
          if (busy != busy_senders.end())
            arrival[key] = std::max(arrival[key], std::min(clock[rank] + costs.p2p_sender_busy, busy->second + costs.p2p));
        } else {
          const double cost = compute_cost(action.kind, costs, stage);
          clock[rank] += cost;
          result.busy[rank] += cost;
          if (action.kind == ActionKind::Forward) ++stashed[rank];
          if (action.kind == ActionKind::Backward || action.kind == ActionKind::BackwardWeight) --stashed[rank];
          result.peak_stashed[rank] = std::max(result.peak_stashed[rank], stashed[rank]);
        }
        result.timeline.push_back(TimedAction{rank, action, start, clock[rank]});
        ++next[rank];
        progressed = true;
      }
    }
  }

  for (int rank = 0; rank < ranks; ++rank) {
    if (next[rank] < schedule[rank].size()) {
      result.deadlock += (result.deadlock.empty() ? "deadlock: " : "; ") + std::string("rank ") + std::to_string(rank) +
                         " waits at action " + std::to_string(next[rank]) + " " + describe(schedule[rank][next[rank]]);
    }
  }
  result.peak_in_flight = peak_in_flight(result.timeline);
  result.makespan = ranks ? *std::max_element(clock.begin(), clock.end()) : 0;
  double total_busy = 0;
  for (double busy : result.busy) total_busy += busy;
  result.bubble_fraction = result.makespan > 0 ? 1 - total_busy / (ranks * result.makespan) : 0;
  return result;
}

// The sends of a timeline whose rank starts a compute action at the moment
// of the send (nothing in between but other sends and receives whose message
// had already arrived), each with the time its rank next waits: a receive
// that waits, or the end of its list.
std::map<MessageKey, double> sends_followed_by_compute(const Schedule& schedule, const SimulationResult& run) {
  constexpr double kSameTime = 1e-12;
  std::map<int, std::vector<const TimedAction*>> by_rank;
  for (const TimedAction& t : run.timeline) by_rank[t.rank].push_back(&t);
  std::map<MessageKey, double> busy;
  const auto waits = [&](const TimedAction& a) { return is_recv(a.action.kind) && a.end_us > a.start_us + kSameTime; };
  for (const auto& [rank, actions] : by_rank)
    for (size_t i = 0; i < actions.size(); ++i) {
      if (!is_send(actions[i]->action.kind)) continue;
      for (size_t j = i + 1; j < actions.size(); ++j) {
        const TimedAction& a = *actions[j];
        if (is_send(a.action.kind) || (is_recv(a.action.kind) && !waits(a))) continue;
        if (is_compute(a.action.kind) && a.start_us <= actions[i]->end_us + kSameTime) {
          double idle = actions.back()->end_us;
          for (size_t k = j + 1; k < actions.size(); ++k)
            if (waits(*actions[k])) {
              idle = actions[k]->start_us;
              break;
            }
          busy[message_key(actions[i]->action, schedule.stage_of(actions[i]->action, rank))] = idle;
        }
        break;
      }
    }
  return busy;
}

}  // namespace

SimulationResult simulate(const Schedule& schedule, const Costs& costs) {
  SimulationResult run = simulate_once(schedule, costs, {});
  if (costs.p2p_sender_busy < 0 || costs.p2p_sender_busy == costs.p2p) return run;
  std::map<MessageKey, double> busy;
  for (int pass = 0; pass < 8; ++pass) {
    std::map<MessageKey, double> next = sends_followed_by_compute(schedule, run);
    if (next == busy) break;
    busy = std::move(next);
    run = simulate_once(schedule, costs, busy);
  }
  return run;
}

}  // namespace tandem::pipeline
