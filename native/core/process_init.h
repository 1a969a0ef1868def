// Process-wide settings made once when the addon first loads.
#pragma once

namespace latent {
void InitProcess();
}  // namespace latent
