// Native calls belong to the Node environment (main thread or worker thread) that started them. The one
// process-wide compute thread must never touch an environment that is gone: each environment's calls are
// tracked here, a cleanup hook cancels that environment's queued work and waits for its running call, and
// results reach JavaScript through one thread-safe function per environment that the compute thread only
// signals while the environment is alive (checked under a lock).
#pragma once
#include <functional>
#include <memory>

namespace latent {

// What the compute thread runs for one call: C++ only (no JavaScript handles), so it may be destroyed there.
using ComputeJob = std::function<void()>;
// What runs back on the JavaScript thread once the job is done (settles the Promise). Runs only while the
// environment is alive; destroyed on the JavaScript thread.
using SettleJob = std::function<void(Napi::Env)>;

// Sets up the per-environment state and its cleanup hook; called once per environment from the addon's Init.
void RegisterEnvironment(Napi::Env env);

// Queues `job` on the compute thread on behalf of `env`; `settle` runs on env's thread afterwards. While any
// call is pending the environment's event loop stays alive. Skipped entirely if the environment shuts down first.
void SubmitCall(Napi::Env env, ComputeJob job, SettleJob settle);

}  // namespace latent
