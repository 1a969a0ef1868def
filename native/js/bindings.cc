#include "core/pch.h"
#include "js/bindings.h"

#include "core/tensor_bridge.h"

namespace latent::js {

void RegisterAll(Napi::Env env, Napi::Object exports) {
  JsTensor::Register(env, exports);
  RegisterRuntime(env, exports);
  RegisterProfiler(env, exports);
  RegisterAutoencoder(env, exports);
  RegisterSolvers(env, exports);
  RegisterDenoiser(env, exports);
  RegisterTestHooks(env, exports);
  RegisterDistributed(env, exports);
}

}  // namespace latent::js
