// Registration only: each binding file adds its functions and classes to `exports`.
#include "core/pch.h"
#include "core/process_init.h"
#include "js/bindings.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  latent::InitProcess();
  latent::js::RegisterAll(env, exports);
  return exports;
}

NODE_API_MODULE(latent_emulator, Init)
