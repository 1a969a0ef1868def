#include "core/pch.h"
#include "js/bindings.h"

#include "core/tensor_bridge.h"

namespace latent::js {

// MMPS guidance checks (js/guidance_binding.cc); declared here, not in bindings.h, to keep that header unchanged.
void RegisterGuidance(Napi::Env env, Napi::Object exports);

void RegisterAll(Napi::Env env, Napi::Object exports) {
  JsTensor::Register(env, exports);
  RegisterRuntime(env, exports);
  RegisterAutoencoder(env, exports);
  RegisterSolvers(env, exports);
  RegisterDenoiser(env, exports);
  RegisterGuidance(env, exports);
}

}  // namespace latent::js
