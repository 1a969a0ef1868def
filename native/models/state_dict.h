// PyTorch-compatible state dicts for libtorch modules: the same keys, in the same order, as
// torch.nn.Module.state_dict() of the reference (each module's own parameters, then its own
// buffers, then its children in registration order), so weights move between the two unchanged.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "io/safetensors.h"

namespace latent {

// Named parameters and buffers (e.g. `...norm.eps`), recursively; tensors are shared, not copied.
NamedTensors stateDict(const torch::nn::Module& module);

struct LoadReport {
  std::vector<std::string> missing;     // in the module, not in the tensors (non-strict only)
  std::vector<std::string> unexpected;  // in the tensors, not in the module (non-strict only)
};

// Copies `tensors` into the module's parameters and buffers under NoGradGuard, converting dtype and
// device to the destination's. Everything is checked before anything is copied; the one
// std::invalid_argument lists every problem: missing keys and unexpected keys (strict only) and
// shape mismatches ("key: expected [8, 5, 3, 3], got [8, 4, 3, 3]", always fatal).
LoadReport loadStateDict(torch::nn::Module& module, const NamedTensors& tensors, bool strict = true);

}  // namespace latent
