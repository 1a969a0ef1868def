#include "core/pch.h"
#include "core/env_calls.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "core/compute_thread.h"

namespace latent {
namespace {

struct EnvCalls {
  napi_env env = nullptr;
  napi_threadsafe_function wake = nullptr;  // signalled by the compute thread; calls Drain on env's thread
  // Guarded by Lock(): alive, running, finished.
  bool alive = true;
  int running = 0;                 // this environment's jobs on the compute thread right now (0 or 1)
  std::deque<uint64_t> finished;   // ids whose job is done and whose settle has not run yet
  // JavaScript thread only.
  uint64_t nextId = 0;
  std::unordered_map<uint64_t, SettleJob> settles;
  bool loopHeld = false;  // the thread-safe function keeps the loop alive while calls are pending
};

std::mutex& Lock() {
  static auto* mutex = new std::mutex();  // never destroyed: the compute thread may use it at exit
  return *mutex;
}
std::condition_variable& Idle() {
  static auto* cv = new std::condition_variable();
  return *cv;
}
// Registry, by environment: a worker's napi_env may be reused after its teardown removed its entry.
std::unordered_map<napi_env, std::shared_ptr<EnvCalls>>& Registry() {
  static auto* registry = new std::unordered_map<napi_env, std::shared_ptr<EnvCalls>>();
  return *registry;
}

std::shared_ptr<EnvCalls> Find(napi_env env) {
  std::lock_guard<std::mutex> lock(Lock());
  auto it = Registry().find(env);
  return it == Registry().end() ? nullptr : it->second;
}

void HoldLoop(EnvCalls& calls, bool hold) {
  if (calls.loopHeld == hold || calls.wake == nullptr) return;
  if (hold) napi_ref_threadsafe_function(calls.env, calls.wake);
  else napi_unref_threadsafe_function(calls.env, calls.wake);
  calls.loopHeld = hold;
}

// Stops the compute thread from touching this environment: queued jobs are skipped, a running job is waited
// for (its result is dropped), and the pending Promises are forgotten. Runs on the environment's own thread,
// from the cleanup hook or from the thread-safe function's finalizer, whichever comes first.
void Shutdown(const std::shared_ptr<EnvCalls>& calls) {
  {
    std::unique_lock<std::mutex> lock(Lock());
    calls->alive = false;
    Idle().wait(lock, [&] { return calls->running == 0; });
    calls->finished.clear();
    auto it = Registry().find(calls->env);
    if (it != Registry().end() && it->second == calls) Registry().erase(it);
  }
  calls->settles.clear();
}

// Runs on the environment's thread whenever the compute thread finished one of its jobs.
void Drain(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the environment is being torn down
  auto calls = *static_cast<std::shared_ptr<EnvCalls>*>(context);
  std::deque<uint64_t> done;
  {
    std::lock_guard<std::mutex> lock(Lock());
    if (!calls->alive) return;
    done.swap(calls->finished);
  }
  for (uint64_t id : done) {
    auto it = calls->settles.find(id);
    if (it == calls->settles.end()) continue;
    SettleJob settle = std::move(it->second);
    calls->settles.erase(it);
    // Drain is a C callback: nothing may escape it. A settle that cannot resolve or reject its Promise (the
    // environment started shutting down, e.g. a worker being terminated) drops its result.
    try {
      settle(Napi::Env(env));
    } catch (...) {
    }
  }
  if (calls->settles.empty()) HoldLoop(*calls, false);
}

void Finalize(napi_env, void* context, void*) {
  auto* owned = static_cast<std::shared_ptr<EnvCalls>*>(context);
  Shutdown(*owned);
  (*owned)->wake = nullptr;
  delete owned;
}

void Cleanup(void* arg) {
  auto calls = *static_cast<std::shared_ptr<EnvCalls>*>(arg);
  delete static_cast<std::shared_ptr<EnvCalls>*>(arg);
  Shutdown(calls);
}

}  // namespace

void RegisterEnvironment(Napi::Env env) {
  auto calls = std::make_shared<EnvCalls>();
  calls->env = env;
  napi_value name;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_string_utf8(env, "latent-emulator", NAPI_AUTO_LENGTH, &name));
  auto* context = new std::shared_ptr<EnvCalls>(calls);
  // The same pointer is the finalizer's data (Finalize's second argument) and the context Drain receives.
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, context, Finalize, context,
                                                       Drain, &calls->wake);
  if (status != napi_ok) {
    delete context;
    NAPI_THROW_IF_FAILED_VOID(env, status);
  }
  napi_unref_threadsafe_function(env, calls->wake);  // idle until a call is pending
  {
    std::lock_guard<std::mutex> lock(Lock());
    Registry()[env] = calls;
  }
  // Added after the thread-safe function, so it runs before Node's own cleanup of that function.
  NAPI_THROW_IF_FAILED_VOID(env, napi_add_env_cleanup_hook(env, Cleanup, new std::shared_ptr<EnvCalls>(calls)));
}

void SubmitCall(Napi::Env env, ComputeJob job, SettleJob settle) {
  auto calls = Find(env);
  if (!calls) throw Napi::Error::New(env, "this Node environment is shutting down: no new native calls");
  uint64_t id = calls->nextId++;
  calls->settles.emplace(id, std::move(settle));
  HoldLoop(*calls, true);
  PostCompute([calls, id, job = std::move(job)]() mutable {
    {
      std::lock_guard<std::mutex> lock(Lock());
      if (!calls->alive) return;  // cancelled: the environment went away while this was queued
      ++calls->running;
    }
    job();  // jobs catch their own exceptions
    job = nullptr;  // the call's C++ state is released here, on the thread that used it
    std::lock_guard<std::mutex> lock(Lock());
    --calls->running;
    if (calls->alive) {
      calls->finished.push_back(id);
      napi_call_threadsafe_function(calls->wake, nullptr, napi_tsfn_nonblocking);
    }
    Idle().notify_all();
  });
}

}  // namespace latent
