// Randomness that does not depend on how a batch is split across ranks. Every rank keeps the same
// generator state (seeded alike, drawing alike); a training step that needs random draws per sample
// (diffusion times, noise, context masks, latent noise) draws them for the global batch of
// local × world samples and keeps its own rows. So 2 ranks × 4 samples see exactly the draws that
// 1 rank × 8 samples sees, steps agree up to the sum order of the gradient all-reduce, and checkpoints
// of every rank hold the same generator state. Alone (world 1), and outside a Trainer step (validation,
// sampling), this is a plain draw.
#pragma once

#include <functional>

#include <ATen/core/Tensor.h>

namespace latent {

// `draw(global)` draws for `global` = local × world samples along dim 0; returns rows
// [rank × local, (rank + 1) × local).
at::Tensor RankRows(int64_t local, const std::function<at::Tensor(int64_t global)>& draw);

}  // namespace latent
