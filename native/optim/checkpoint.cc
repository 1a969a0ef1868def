#include "core/pch.h"
#include "optim/checkpoint.h"

#include <unordered_map>

#include "models/state_dict.h"

namespace latent {

bool IsTrainingStateKey(const std::string& name) {
  for (const char* prefix : {"optimizer.", "ema.", "rng.", "trainer."})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

NamedTensors WeightsOf(const NamedTensors& tensors, bool preferEma) {
  std::unordered_map<std::string, const torch::Tensor*> ema;
  if (preferEma)
    for (const auto& [name, t] : tensors)
      if (name.rfind("ema.", 0) == 0) ema.emplace(name.substr(4), &t);
  NamedTensors out;
  for (const auto& entry : tensors) {
    if (IsTrainingStateKey(entry.first)) continue;
    auto it = ema.find(entry.first);
    out.emplace_back(entry.first, it == ema.end() ? entry.second : *it->second);
  }
  return out;
}

void SaveCheckpoint(const std::string& path, const torch::nn::Module& module, Trainer& trainer, at::Device device,
                    const Metadata& metadata) {
  NamedTensors tensors = stateDict(module);
  for (auto& entry : trainer.exportState()) tensors.push_back(std::move(entry));
  for (auto& entry : rngState(device)) tensors.push_back(std::move(entry));
  saveSafetensors(path, tensors, metadata);
}

std::unique_ptr<Trainer> LoadCheckpoint(const Safetensors& file, const std::shared_ptr<torch::nn::Module>& module,
                                        const TrainerOptions& options, bool restoreRng) {
  auto trainer = std::make_unique<Trainer>(module, options);
  trainer->importState(file.tensors);
  loadStateDict(*module, WeightsOf(file.tensors), /*strict=*/true);
  if (restoreRng) setRngState(file.tensors);
  return trainer;
}

}  // namespace latent
