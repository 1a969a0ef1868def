// Guided rollouts across bindings (issue 14): reading `options.guidance` of Emulator.rollout, and the
// decoder of a JS Autoencoder object as a differentiable function (defined in autoencoder_binding.cc).
#pragma once

#include <optional>
#include <string>

#include "js/options.h"
#include "sample/guided_rollout.h"

namespace latent::js {

// The decoder of a JS `Autoencoder` (evaluation precision float32); each call holds the model's lock.
// TypeError naming `what` when `value` is not an Autoencoder.
Decoder DecoderOf(const Napi::Value& value, const std::string& what);

struct GuidedRolloutArgs {
  ObservationSpec spec;
  Decoder decode;
};

// options.guidance = {decoder, observations (B, T, C, *obs), observed? (C, *obs) or (*obs), operator,
// factor, obs_noise, solver?, iterations?}; nullopt when absent. Checks before any compute.
std::optional<GuidedRolloutArgs> ReadGuidance(const OptionReader& guidance, int64_t batch);

}  // namespace latent::js
