// Autoregressive rollouts (spec §5 emulate_rollout): windows of `window` states, the first `context`
// known, each later window conditioned on the last `overlap` states of the previous (cropped) one, for
// K ensemble members at once; the whole window loop runs here, one native call per rollout.
#pragma once

#include <cstdint>
#include <functional>

#include "sample/samplers.h"

namespace latent {

struct RolloutOptions {
  int64_t window = 5;
  int64_t context = 1;
  int64_t overlap = 1;
  int64_t crop = 0;     // 0: window
  int64_t length = 0;   // states in the returned trajectory, context included
  int64_t members = 1;  // K
  uint64_t seed = 0;
  SamplerOptions sampler;

  int64_t cropped() const { return crop > 0 ? crop : window; }
  void validate() const;       // std::invalid_argument before any compute
  int64_t windows() const;     // windows needed for `length`
};

// emulate(y, mask): y (N, C, L, *S) holds the known states (zeros elsewhere), mask (N, L) bool; returns the
// window (N, C, L, *S) with the known states in place. context (N, C, c, *S). Returns (N, C, length, *S).
using WindowEmulator = std::function<torch::Tensor(const torch::Tensor& y, const torch::Tensor& mask)>;
torch::Tensor rollout(const WindowEmulator& emulate, const torch::Tensor& context, const RolloutOptions& options);

}  // namespace latent
