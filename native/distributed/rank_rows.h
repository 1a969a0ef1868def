// Randomness that does not depend on how a batch is split across ranks. Every rank keeps the same
// generator state (seeded alike, drawing alike); a training step that needs random draws per sample
// (diffusion times, noise, context masks, latent noise) draws them for the global batch of
// local × world samples and keeps its own rows. So 2 ranks × 4 samples see exactly the draws that
// 1 rank × 8 samples sees, steps agree up to the sum order of the gradient all-reduce, and checkpoints
// of every rank hold the same generator state. Alone (world 1), and outside a Trainer step (validation,
// sampling), this is a plain draw.
//
// Every other draw of a training step (dropout masks) is this rank's own: while a step runs, the default
// generators hold a stream seeded afresh for the step from (the shared state, the trainer's step count, the
// rank), and RankRows switches to the shared stream for its draws. So dropout masks differ from rank to rank
// (as in DDP with per-rank seeds), the shared stream advances alike on every rank and for every number of
// ranks, dropout or not, and a resume is exact (the step's seed derives from checkpointed state only).
#pragma once

#include <functional>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace latent {

// `draw(global)` draws for `global` = local × world samples along dim 0; returns rows
// [rank × local, (rank + 1) × local).
at::Tensor RankRows(int64_t local, const std::function<at::Tensor(int64_t global)>& draw);

// For the duration of one training step on `device` (the step's count `step`, this process's `rank`): the
// default generators (CPU, and the device's when CUDA) hold this rank's own stream; RankRows draws from the
// shared one. On destruction the generators hold the shared stream again.
class StepRandomStreams {
 public:
  StepRandomStreams(const at::Device& device, int64_t step, int64_t rank);
  ~StepRandomStreams();
  StepRandomStreams(const StepRandomStreams&) = delete;
  StepRandomStreams& operator=(const StepRandomStreams&) = delete;

  // Runs `draw` with the shared stream current.
  at::Tensor shared(const std::function<at::Tensor()>& draw);

 private:
  std::vector<at::Generator> generators_;
  std::vector<at::Tensor> sharedStates_;  // the shared stream's state of each generator while the own one is current
  StepRandomStreams* previous_;
};

}  // namespace latent
