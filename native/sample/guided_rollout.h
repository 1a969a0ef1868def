// MMPS-guided rollouts (issue 14; spec §5 "MMPS guidance", eval wiring): the rollout of rollout.h with
// every window sampled through MaskedDenoiser(MMPS(network)), the MMPS observations being those of the
// window's new states, y_i = y[:, i+j : i+L], and A_i(z) = A(decode(z[:, :, j : j+n])) restricted to the
// observed points (the decoder is differentiated through). One native call for the whole rollout.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "models/denoiser.h"
#include "sample/mmps.h"
#include "sample/rollout.h"

namespace latent {

// subsample:N (every N-th point along each spatial axis, from the first) or downscale:N (N^D block means)
// of states (M, C, *S) → (M, C, *S/N). Differentiable.
torch::Tensor observe(const std::string& kind, int64_t factor, const torch::Tensor& x);

struct ObservationSpec {
  std::string kind = "subsample";  // subsample | downscale
  int64_t factor = 1;
  torch::Tensor observations;      // (N, T, C, *S/N): one row per rollout member, T ≥ the rollout length covered
  torch::Tensor observed;          // (C, *S/N) bool: the points observed (undefined: all)
  double obs_noise = 0.1;          // σ_y; Σ_y = σ_y² I
  GuidanceOptions solver;
};

// (M, C_latent, *s) → (M, C, *S), differentiable (the autoencoder's decoder).
using Decoder = std::function<torch::Tensor(const torch::Tensor& z)>;

// context (N, C, c, *s) and label (N, D) in the model layout; as rollout(), returns (N, C, length, *s).
// Needs autograd: call outside c10::InferenceMode (a NoGradGuard around it is fine).
torch::Tensor guidedRollout(DenoiserImpl& model, const Decoder& decode, const torch::Tensor& context, const torch::Tensor& label, const RolloutOptions& options,
                            const ObservationSpec& spec, at::Generator& gen, int64_t* nfe = nullptr);

}  // namespace latent
