// Each binding file registers its JavaScript functions and classes.
#pragma once

namespace latent::js {
void RegisterAll(Napi::Env env, Napi::Object exports);
void RegisterRuntime(Napi::Env env, Napi::Object exports);
void RegisterProfiler(Napi::Env env, Napi::Object exports);  // native/js/profiler_binding.cc
void RegisterAutoencoder(Napi::Env env, Napi::Object exports);
void RegisterSolvers(Napi::Env env, Napi::Object exports);
void RegisterDenoiser(Napi::Env env, Napi::Object exports);
void RegisterTestHooks(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);  // native/distributed/distributed_binding.cc
}  // namespace latent::js
