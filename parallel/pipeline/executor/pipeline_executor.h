#pragma once
// Runs this rank's pipeline action list with libtorch autograd: receives a
// stage's input (requiring grad), runs the stage's layers, sends the output;
// backward with the received output gradient, sends the input gradient;
// releases a microbatch's activations as soon as its backward is done.
// Transfers are point-to-point over the pipeline group: sends are posted and
// never block, receives block (the semantics the schedule simulator checks).
// Every boundary carries [microbatch, block_size, d_model] in the autocast
// dtype (float32 without mixed precision), a shape all ranks know before the
// step, so no shapes travel. Transfers go through OrderedChannels, one per
// ordered pair of ranks, matched by order as NCCL requires. Between two
// stages on one rank (the V placement's turn, stage_placement.h) nothing
// travels: the rank hands the activation and its gradient over itself.

#include "engine/model/transformer_model.h"
#include "engine/train/step_executor.h"
#include "parallel/comm/communicator.h"
#include "parallel/ddp/gradient_reducer.h"
#include "parallel/pipeline/executor/ordered_channels.h"
#include "parallel/pipeline/schedule/action.h"
#include "parallel/pipeline/schedule/schedule.h"
#include "parallel/world/process_groups.h"

#include <memory>
#include <vector>

namespace tandem::pipeline {

struct ChunkLayers {
  size_t begin, end;  // layers of the model this chunk runs
};

// Timestamps of executed compute actions, for the Chrome trace benchmark.
struct ExecutedAction {
  Action action;
  double start_us, end_us;
};

class PipelineExecutor : public StepExecutor {
 public:
  // `stage_layers[s]` are the layers of global stage s (pp_size × virtual
  // stages of them); this rank runs the stages the schedule's placement gives it.
  PipelineExecutor(TransformerModel& model, std::vector<ChunkLayers> stage_layers, const parallel::ProcessGroups& groups,
                   ScheduleSpec spec, ddp::ReducerOptions reducer_options, torch::Device device);
  // The groups' communicators must outlive the executor.
  // reducer_options.stage_through_host also stages the activations.
  ~PipelineExecutor() override;

  LossSums forward_backward(const std::vector<Batch>& micro_steps) override;
  EvalSums evaluate(const Batch& batch) override;
  NamedTensors named_parameters() const override;
  torch::Tensor global_grad_norm_squared(torch::Tensor local) override;
  bool writes_shard() const override { return me_.dp_rank == 0; }
  std::string shard_suffix() const override;
  NamedTensors full_model_on_main() override;
  void train_mode(bool on) override { model_.train(on); }

  const std::vector<Action>& actions() const { return schedule_; }
  // Peak number of microbatch activations stashed on this rank during the last step, and their bytes.
  int peak_stashed() const { return peak_stashed_; }
  int64_t peak_stashed_bytes() const { return peak_stashed_bytes_; }
  const std::vector<ExecutedAction>& last_step_timeline() const { return timeline_; }

 private:
  struct Stash;
  struct StepState;
  // One micro-step: this rank's action list, one method per kind of action.
  void run_step(const Batch& replica_batch, bool sync, double loss_scale, torch::Tensor& loss_sum);
  void receive_boundary(const Action& act, StepState& step);
  void send_boundary(const Action& act, StepState& step);
  void forward(const Action& act, StepState& step);
  void backward(const Action& act, StepState& step);
  void backward_input(const Action& act, StepState& step);
  void backward_weight(const Action& act, StepState& step);
  void hand_over_activation(const Action& act, StepState& step);
  void hand_over_gradient(const Action& act, StepState& step);
  void reduce_gradients(StepState& step);
  int stage_of(int chunk) const { return placement_.stage(me_.pp_rank, chunk); }
  int last_stage() const { return placement_.last_stage(); }
  int rank_of_stage(int stage) const { return placement_.rank_of(stage); }
  std::vector<int64_t> boundary_shape(int64_t examples) const;
  // Point-to-point on tensors over the pipeline group. Sends never block (the
  // wire buffer is kept until the step ends); receives block. Staged through
  // host memory when the communicator moves host memory only.
  void post_send(const torch::Tensor& t, int peer_rank, const MessageKey& key);
  torch::Tensor receive(const std::vector<int64_t>& shape, int peer_rank, const MessageKey& key);
  void wait_for_sends();
  void sync_tied_gradients();
  bool holds_embedding() const;
  bool holds_head() const;

  TransformerModel& model_;
  std::vector<ChunkLayers> stage_layers_;  // every stage of the replica
  std::vector<ChunkLayers> chunks_;        // this rank's stages, by chunk
  int64_t block_size_ = 0;
  RankCoordinates me_;
  comm::Communicator* pipeline_group_;        // this replica's stages, by pp_rank
  comm::Communicator* data_group_;            // this stage in every replica (size 1 without ddp)
  comm::Communicator* tied_embedding_group_;  // first and last stage (the tied embedding's two copies)
  ScheduleSpec spec_;
  torch::Device device_;
  bool stage_through_host_;
  StagePlacement placement_;      // where every stage of the replica runs
  std::vector<Action> schedule_;  // this rank's action list
  std::vector<torch::Tensor> tied_copy_;  // the head's own copy of wte on the last stage, if untied here
  std::unique_ptr<ddp::GradientReducer> reducer_;
  std::vector<std::shared_ptr<comm::Work>> sends_in_flight_;
  std::vector<torch::Tensor> send_buffers_;
  std::unique_ptr<OrderedChannels> channels_;
  SendOrder step_order_, evaluation_order_;
  torch::ScalarType boundary_dtype_ = torch::kFloat32;
  int peak_stashed_ = 0;
  int64_t peak_stashed_bytes_ = 0;
  std::vector<ExecutedAction> timeline_;
};

}  // namespace tandem::pipeline
