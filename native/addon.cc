// Registration only: each binding file adds its functions and classes to `exports`.
#include "core/pch.h"
#include "core/env_calls.h"
#include "core/openmp_threads.h"
#include "core/process_init.h"
#include "js/bindings.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  latent::InitProcess();
  // Per environment (the main thread and each worker thread that loads the addon):
  latent::PinCallingThreadToOneOpenMpThread();
  latent::RegisterEnvironment(env);
  latent::js::RegisterAll(env, exports);
  return exports;
}

NODE_API_MODULE(latent_emulator, Init)
