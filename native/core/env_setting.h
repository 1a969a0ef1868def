// An environment variable's value, "" when unset. The package's kernel switches (LATENT_EMULATOR_DROPOUT=torch,
// LATENT_EMULATOR_CHANNEL_NORM=torch, LATENT_EMULATOR_FP32_LINEAR, LATENT_EMULATOR_CHANNELS_LAST) read it once, at
// first use, into a function-local static: a process keeps one choice.
#pragma once

#include <cstdlib>
#include <string>

namespace latent {

inline std::string envSetting(const char* name) {
  const char* text = std::getenv(name);
  return text != nullptr ? text : "";
}

}  // namespace latent
