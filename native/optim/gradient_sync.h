// The hook through which data parallelism enters the optimization step: once a process has joined a
// process group (native/distributed/), every Trainer averages its gradients across the ranks after
// backward and before the norm is measured and clipped, so that optimizer, EMA and weights stay identical
// on every rank. Without a process group the hook is empty and a step is exactly the single-process step.
#pragma once

#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latent {

struct GradientSync {
  int64_t rank = 0;
  int64_t world = 1;
  // In place: every tensor becomes the mean of that tensor over the ranks (a collective: all ranks call it
  // with the same list of shapes and dtypes, in the same order).
  std::function<void(std::vector<at::Tensor>&)> allReduceMean;
  // In place: every tensor becomes rank 0's copy (parameters and buffers when a Trainer starts).
  std::function<void(std::vector<at::Tensor>&)> broadcastFromRank0;
};

// The process's gradient sync; nullptr when it runs alone.
const GradientSync* CurrentGradientSync();
void SetGradientSync(const GradientSync* sync);

// The sync while a Trainer step runs its losses on this thread (nullptr otherwise, and alone): what
// distributed/rank_rows.h consults, so that validation and sampling draw as in one process.
const GradientSync* StepGradientSync();
class DataParallelStepScope {
 public:
  DataParallelStepScope();
  ~DataParallelStepScope();
  DataParallelStepScope(const DataParallelStepScope&) = delete;
  DataParallelStepScope& operator=(const DataParallelStepScope&) = delete;

 private:
  bool previous_;
};

}  // namespace latent
