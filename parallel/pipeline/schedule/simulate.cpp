#include "parallel/pipeline/schedule/simulate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

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

// What a run's timeline sets for the next run: the busy senders (each with
// the time its rank next waits) and each compute action's slowdown, keyed by
// (rank, index in its list).
struct TimelineTerms {
  std::map<MessageKey, double> busy_senders;
  std::map<std::pair<int, size_t>, double> slowdown;
};

// One run; a message whose key is in `busy_senders` takes p2p_sender_busy,
// or p2p from the moment its sender next waits (the value), if sooner; a
// compute action in `slowdown` costs that many times its cost.
SimulationResult simulate_once(const Schedule& schedule, const Costs& costs, const TimelineTerms& terms) {
  const auto& busy_senders = terms.busy_senders;
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
          const auto scaled = terms.slowdown.find({rank, next[rank]});
          const double cost =
              compute_cost(action.kind, costs, stage) * (scaled == terms.slowdown.end() ? 1.0 : scaled->second);
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

// Each compute action's slowdown from a timeline (CoreSharing): the time
// between consecutive starts and ends of compute actions is cut into
// segments, each with the ranks computing in it; an action's factor is the
// mean over its segments of (copies computing on its core) x (the slowdown at
// the cores computing).
std::map<std::pair<int, size_t>, double> slowdown_of_compute(const SimulationResult& run, const CoreSharing& sharing) {
  struct Span {
    int rank;
    size_t position;  // in its rank's list
    double start, end;
  };
  std::vector<Span> compute;
  std::map<int, size_t> index;
  std::vector<double> edges;
  for (const TimedAction& t : run.timeline) {
    const size_t position = index[t.rank]++;
    if (!is_compute(t.action.kind) || t.end_us <= t.start_us) continue;
    compute.push_back({t.rank, position, t.start_us, t.end_us});
    edges.push_back(t.start_us);
    edges.push_back(t.end_us);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  // Per segment: the factor each core's ranks compute at.
  std::vector<std::vector<double>> factor_on_core(edges.empty() ? 0 : edges.size() - 1);
  for (size_t i = 0; i + 1 < edges.size(); ++i) {
    const double mid = 0.5 * (edges[i] + edges[i + 1]);
    std::set<int> computing;
    for (const Span& c : compute)
      if (c.start <= mid && mid < c.end) computing.insert(c.rank);
    std::vector<int> on_core(sharing.ranks_on_core.size(), 0);
    int busy_cores = 0;
    for (size_t core = 0; core < on_core.size(); ++core) {
      for (int r : sharing.ranks_on_core[core]) on_core[core] += computing.count(r);
      busy_cores += on_core[core] > 0;
    }
    const double memory = slowdown_at_busy_cores(sharing.slowdown_with_busy_cores, busy_cores);
    for (int n : on_core) factor_on_core[i].push_back(std::max(1, n) * memory);
  }
  std::map<std::pair<int, size_t>, double> slowdown;
  for (const Span& c : compute) {
    const int core = sharing.core_of_rank.at(c.rank);
    double weighted = 0;
    for (size_t i = 0; i + 1 < edges.size(); ++i) {
      const double overlap = std::min(c.end, edges[i + 1]) - std::max(c.start, edges[i]);
      if (overlap > 0) weighted += overlap * factor_on_core[i].at(core);
    }
    slowdown[{c.rank, c.position}] = weighted / (c.end - c.start);
  }
  return slowdown;
}

bool settled(const TimelineTerms& a, const TimelineTerms& b) {
  if (a.busy_senders != b.busy_senders || a.slowdown.size() != b.slowdown.size()) return false;
  for (const auto& [key, factor] : a.slowdown) {
    const auto other = b.slowdown.find(key);
    if (other == b.slowdown.end() || std::abs(other->second - factor) > 1e-6 * factor) return false;
  }
  return true;
}

}  // namespace

double slowdown_at_busy_cores(const std::vector<double>& table, int busy_cores) {
  if (table.empty() || busy_cores <= 0) return 1.0;
  return table[std::min<size_t>(table.size(), static_cast<size_t>(busy_cores)) - 1];
}

SimulationResult simulate(const Schedule& schedule, const Costs& costs) {
  SimulationResult run = simulate_once(schedule, costs, {});
  const bool busy_senders = costs.p2p_sender_busy >= 0 && costs.p2p_sender_busy != costs.p2p;
  const bool sharing = !costs.sharing.empty();
  if (!busy_senders && !sharing) return run;
  TimelineTerms terms;
  for (int pass = 0; pass < 12; ++pass) {
    TimelineTerms next;
    if (busy_senders) next.busy_senders = sends_followed_by_compute(schedule, run);
    if (sharing) {
      next.slowdown = slowdown_of_compute(run, costs.sharing);
      // Halfway from the last factors: a slower action overlaps more, which
      // would otherwise make the factors swing between runs.
      for (auto& [key, factor] : next.slowdown) {
        const auto last = terms.slowdown.find(key);
        if (last != terms.slowdown.end()) factor = 0.5 * (factor + last->second);
      }
    }
    if (pass > 0 && settled(next, terms)) break;
    terms = std::move(next);
    run = simulate_once(schedule, costs, terms);
  }
  return run;
}

}  // namespace tandem::pipeline
