#pragma once
// Point-to-point between pipeline ranks, matched by order as NCCL matches it.
//
// NCCL has no tags: the k-th send from rank A to rank B meets B's k-th receive
// from A, and on one communicator a send that waits for its receiver holds up
// everything queued behind it. So every ordered pair of ranks (sender →
// receiver) gets a channel of its own, a two-rank communicator that carries
// that direction only: a send then waits for nothing but its own receiver.
// Each rank knows from the schedule the order in which its peers send; a
// receiver that needs a message sent after others takes the earlier ones
// first and keeps them (interleaved virtual stages with uneven microbatches
// need this). The same channels run over MPI, so the CPU tests exercise the
// order matching that NCCL relies on.

#include "parallel/comm/communicator.h"
#include "parallel/pipeline/schedule/action.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace tandem::pipeline {

// For each (sender rank, receiver rank), the messages in the sender's order.
using SendOrder = std::map<std::pair<int, int>, std::vector<MessageKey>>;

// The send order of a whole schedule (every rank's list), and of an
// evaluation pass (activations only, stage after stage, one microbatch; none
// between two stages of one rank).
SendOrder send_order_of(const Schedule& schedule);
SendOrder evaluation_send_order(const StagePlacement& placement);
// Saving the model: every stage not on rank 0 sends its parameters to rank 0.
MessageKey parameter_gather_key(int stage);
SendOrder parameter_gather_order(const StagePlacement& placement);

class OrderedChannels {
 public:
  // Collective over `group`: one channel for every pair that `orders` may use.
  OrderedChannels(comm::Communicator& group, const std::vector<std::pair<int, int>>& pairs);

  // Starts a pass (a training step or an evaluation) whose messages follow `order`.
  // Messages left unreceived from the previous pass are an internal error.
  void begin(const SendOrder& order);
  // Posts `wire` (kept alive by the caller until the returned Work is done).
  std::shared_ptr<comm::Work> send(const torch::Tensor& wire, int to, const MessageKey& key);
  // Blocks until message `key` from rank `from` is here; `make_buffer`
  // allocates a buffer of the agreed shape and dtype for each message taken.
  torch::Tensor receive(int from, const MessageKey& key, const std::function<torch::Tensor()>& make_buffer);
  // Messages taken early and still held (the cost of out-of-order receives).
  size_t held() const;

 private:
  struct Channel {
    std::unique_ptr<comm::Communicator> comm;  // ranks: 0 sender, 1 receiver
    std::vector<MessageKey> order;
    size_t next = 0;  // sends posted (sender) or messages taken (receiver)
    std::map<MessageKey, torch::Tensor> early;
  };
  Channel& channel(int from, int to);

  int me_;
  std::map<std::pair<int, int>, Channel> channels_;  // the pairs this rank belongs to
};

// Every ordered pair that a schedule or an evaluation pass of it may use.
std::vector<std::pair<int, int>> channel_pairs(const Schedule& schedule);

}  // namespace tandem::pipeline
