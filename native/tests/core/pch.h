// Stand-in for native/core/pch.h in the standalone check build: the same torch headers, without
// Node-API, so native/nn, models, io and optim compile and run outside the addon.
#pragma once
#include <torch/torch.h>
