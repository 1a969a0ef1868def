// Progressive distillation (Salimans & Ho 2022) of the deterministic DDIM sampler for the EDM-preconditioned
// denoiser. A student taking N steps on the grid t_i = 1 − i/N learns, in one step t → t″ = t − 1/N, what its
// teacher does in two DDIM steps t → t′ = t − 1/(2N) → t″. DDIM (η = 0) from x_t with posterior mean x̂ is
//   x_s = α_s x̂ + (σ_s/σ_t)(x_t − α_t x̂),
// so the one-step mean that lands exactly on the teacher's x″ is the closed form
//   x̂* = (x″ − r x_t) / (α_t″ − r α_t),   r = σ_t″/σ_t,
// (VE form, α ≡ 1: x̂* = (x″ − r x_t)/(1 − r)). The teacher's grid of 2N steps is the student's grid refined, so a
// student's 2^k steps land on the original sampler's grid points. Known (context) states follow the samplers'
// clean-context rule (MaskedDenoiser): x_t[m] = √(α²+σ²) x[m] in the network input and x̂[m] = x[m].
// Tensors use the model layout (B, C, L, *S).
#pragma once

#include <cstdint>

#include "models/denoiser.h"

namespace latent {

// One distillation example per batch element: the noisy input, its levels and the student's regression target.
struct DistillationTarget {
  torch::Tensor x_t;         // (B, C, L, *S): α x + σ ε, known states clean (√(α²+σ²) x)
  torch::Tensor mask;        // (B, L) bool: the known states
  torch::Tensor index;       // (B) long: the student's grid step i (t = 1 − i/N)
  torch::Tensor alpha, sigma;            // (B) at t
  torch::Tensor sigma_mid, sigma_next;   // (B) at t′ and t″
  torch::Tensor teacher_next;            // (B, C, L, *S): the teacher's x″ after two DDIM steps
  torch::Tensor target;      // (B, C, L, *S): x̂*, and x itself on the known states
};

// Draws the grid step, the context mask (as the denoiser's loss does, unless `mask` is given) and the noise from
// libtorch's generators, and runs the teacher's two DDIM steps without gradients. `teacher` should be in eval mode.
DistillationTarget distillationTarget(DenoiserImpl& teacher, const torch::Tensor& x, const torch::Tensor& label, int64_t student_steps,
                                      const torch::Tensor& mask = {});

// The student's loss on one batch: mean(w (x̂_student(x_t) − x̂*)²) with the denoiser loss's weight
// w = (α²+σ²)/σ² = 1 + SNR (the smooth form of Salimans & Ho's truncated-SNR weight max(SNR, 1)).
torch::Tensor distillationLoss(DenoiserImpl& student, DenoiserImpl& teacher, const torch::Tensor& x, const torch::Tensor& label, int64_t student_steps,
                               const torch::Tensor& mask = {});

}  // namespace latent
