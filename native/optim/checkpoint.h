// Training checkpoints: one safetensors file holding the weights under their state-dict keys and the
// training state (optimizer moments and steps, EMA, counters, generator states) under reserved prefixes,
// so that a weights loader can read a checkpoint too. Shared by every trainable model's binding.
#pragma once
#include <memory>
#include <string>

#include "io/safetensors.h"
#include "optim/train_step.h"

namespace latent {

inline constexpr const char* kCheckpointFormat = "latent-emulator/checkpoint/1";

// True for the names of training state ("optimizer.", "ema.", "rng.", "trainer.").
bool IsTrainingStateKey(const std::string& name);

// The weights of a checkpoint (or weights file); with `preferEma`, parameters that have an
// `ema.<name>` average take it.
NamedTensors WeightsOf(const NamedTensors& tensors, bool preferEma = false);

// Writes the module's state dict, the trainer's state and the generator state(s) atomically.
void SaveCheckpoint(const std::string& path, const torch::nn::Module& module, Trainer& trainer, at::Device device,
                    const Metadata& metadata);

// Restores a checkpoint into `module`: a fresh trainer validates the optimizer state before the weights
// are touched, then the weights load strictly; returns that trainer.
std::unique_ptr<Trainer> LoadCheckpoint(const Safetensors& file, const std::shared_ptr<torch::nn::Module>& module,
                                        const TrainerOptions& options, bool restoreRng);

}  // namespace latent
