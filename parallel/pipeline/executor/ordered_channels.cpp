#include "parallel/pipeline/executor/ordered_channels.h"

#include "engine/error.h"
#include "parallel/comm/tensor_dtype.h"

#include <set>

namespace tandem::pipeline {
namespace {

std::string describe_key(const MessageKey& key) {
  const auto& [gradient, microbatch, from_stage, to_stage] = key;
  return std::string(gradient ? "gradient" : "activation") + " of microbatch " + std::to_string(microbatch) +
         " from stage " + std::to_string(from_stage) + " to stage " + std::to_string(to_stage);
}

}  // namespace

SendOrder send_order_of(const Schedule& schedule) {
  SendOrder order;
  for (int rank = 0; rank < static_cast<int>(schedule.size()); ++rank)
    for (const Action& a : schedule[rank])
      if (is_send(a.kind)) {
        const MessageKey key = message_key(a, schedule.stage_of(a, rank));
        order[{rank, schedule.placement.rank_of(std::get<3>(key))}].push_back(key);
      }
  return order;
}

SendOrder evaluation_send_order(const StagePlacement& placement) {
  SendOrder order;
  for (int s = 0; s < placement.last_stage(); ++s)
    if (!placement.same_rank(s, s + 1))
      order[{placement.rank_of(s), placement.rank_of(s + 1)}].push_back(MessageKey{false, 0, s, s + 1});
  return order;
}

MessageKey parameter_gather_key(int stage) { return MessageKey{false, -1, stage, 0}; }

SendOrder parameter_gather_order(const StagePlacement& placement) {
  SendOrder order;
  for (int s = 0; s < placement.stages(); ++s)
    if (placement.rank_of(s) != 0) order[{placement.rank_of(s), 0}].push_back(parameter_gather_key(s));
  return order;
}

std::vector<std::pair<int, int>> channel_pairs(const Schedule& schedule) {
  std::set<std::pair<int, int>> pairs;
  for (const auto& [pair, keys] : parameter_gather_order(schedule.placement)) pairs.insert(pair);
  for (const auto& [pair, keys] : send_order_of(schedule)) pairs.insert(pair);
  for (const auto& [pair, keys] : evaluation_send_order(schedule.placement)) pairs.insert(pair);
  return {pairs.begin(), pairs.end()};
}

OrderedChannels::OrderedChannels(comm::Communicator& group, const std::vector<std::pair<int, int>>& pairs)
    : me_(group.rank()) {
  // One split of the host group per pair, in the same order on every rank;
  // the ranks outside a pair form a throwaway group of their own.
  for (const auto& [from, to] : pairs) {
    const bool member = me_ == from || me_ == to;
    auto host = group.host_group().split(member ? 0 : 1, member ? (me_ == from ? 0 : 1) : me_);
    if (member) channels_[{from, to}].comm = group.same_backend_over(std::move(host));
  }
}

OrderedChannels::Channel& OrderedChannels::channel(int from, int to) {
  auto it = channels_.find({from, to});
  if (it == channels_.end())
    throw RuntimeFailure("pipeline: no channel from rank " + std::to_string(from) + " to rank " + std::to_string(to));
  return it->second;
}

void OrderedChannels::begin(const SendOrder& order) {
  for (auto& [pair, c] : channels_) {
    if (!c.early.empty() || (pair.second == me_ && c.next != c.order.size()))
      throw RuntimeFailure("pipeline: rank " + std::to_string(me_) + " left messages from rank " +
                           std::to_string(pair.first) + " unreceived in the last pass");
    auto it = order.find(pair);
    c.order = it == order.end() ? std::vector<MessageKey>{} : it->second;
    c.next = 0;
  }
}

std::shared_ptr<comm::Work> OrderedChannels::send(const torch::Tensor& wire, int to, const MessageKey& key) {
  Channel& c = channel(me_, to);
  if (c.next >= c.order.size() || c.order[c.next] != key)
    throw RuntimeFailure("pipeline: rank " + std::to_string(me_) + " sends the " + describe_key(key) +
                         " out of the schedule's order");
  ++c.next;
  return c.comm->send_async(wire.data_ptr(), wire.numel(), comm::dtype_of(wire, "pipeline"), /*peer=*/1, /*tag=*/0);
}

torch::Tensor OrderedChannels::receive(int from, const MessageKey& key,
                                       const std::function<torch::Tensor()>& make_buffer) {
  Channel& c = channel(from, me_);
  if (auto it = c.early.find(key); it != c.early.end()) {
    torch::Tensor held = it->second;
    c.early.erase(it);
    return held;
  }
  while (c.next < c.order.size()) {
    const MessageKey arriving = c.order[c.next++];
    torch::Tensor buffer = make_buffer();
    c.comm->recv_async(buffer.data_ptr(), buffer.numel(), comm::dtype_of(buffer, "pipeline"), /*peer=*/0, /*tag=*/0)->wait();
    if (arriving == key) return buffer;
    c.early.emplace(arriving, buffer);
  }
  throw RuntimeFailure("pipeline: rank " + std::to_string(me_) + " waits for the " + describe_key(key) +
                       ", which rank " + std::to_string(from) + " never sends in this pass");
}

size_t OrderedChannels::held() const {
  size_t n = 0;
  for (const auto& [pair, c] : channels_) n += c.early.size();
  return n;
}

}  // namespace tandem::pipeline
