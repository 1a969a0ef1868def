#include "core/pch.h"
#include "js/bindings.h"

namespace latent::js {
void RegisterAutoencoder(Napi::Env env, Napi::Object exports) {}
}  // namespace latent::js
