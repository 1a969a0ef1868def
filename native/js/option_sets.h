// One parser per option set that crosses from JavaScript: model configs (nested as the zod schemas in
// lib/models/schemas.ts return them), optimizer, sampler and rollout options. Defaults live in the C++
// structs (and, identically, in the zod schemas that fill them before the call).
#pragma once
#include "js/options.h"
#include "models/autoencoder.h"
#include "models/denoiser.h"
#include "optim/train_step.h"
#include "sample/mmps.h"
#include "sample/rollout.h"
#include "sample/samplers.h"

namespace latent::js {

// {kind, channels, label_features, spatial, spatial_shape?, window, hid_channels, …, patch_size (n or list),
//  window_size (null, n or list), schedule: {name, sigma_min, sigma_max, scale, shift}, time_prior: {name, a, b}, …}
EmulatorConfig ReadEmulatorConfig(const OptionReader& config);
// The reference's flat DCAE keys (attention_heads as {"<level>": heads}).
AutoencoderConfig ReadAutoencoderConfig(const OptionReader& config);
// The keys of OptimizerOptionsSchema (lib/models/schemas.ts), each absent key keeping its value in `into`, and
// `accumulate` (micro-batches per step).
void ReadOptimizerOptions(const OptionReader& options, TrainerOptions& into, int64_t& accumulate);
// {sampler, steps, order, eta, corrections, delta}, validated.
SamplerOptions ReadSamplerOptions(const OptionReader& options);
// MMPS's linear solve: {solver: gmres | cg, iterations}, validated (other keys left to the caller).
GuidanceOptions ReadGuidanceOptions(const OptionReader& options);

}  // namespace latent::js
