// Runs native work on the compute thread and settles a Promise with its result back on the JS thread.
// Any exception becomes a rejected Promise with context, never a crash of the process.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/compute_thread.h"
#include "core/errors.h"

namespace latent {

template <typename Result>
struct AsyncCall {
  explicit AsyncCall(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  std::string context;
  std::function<Result()> work;
  std::function<Napi::Value(Napi::Env, Result&)> convert;
  std::vector<Napi::ObjectReference> keepAlive;  // arguments stay alive until the work is done
  Napi::ThreadSafeFunction done;                 // keeps the event loop alive while the work runs
  Result result{};
  std::string error;
  bool failed = false;
};

// Queues `work` on the compute thread; `convert` runs back on the JS thread to build the resolved value.
template <typename Result>
Napi::Promise RunAsync(Napi::Env env, std::string context, std::function<Result()> work,
                       std::function<Napi::Value(Napi::Env, Result&)> convert,
                       const std::vector<Napi::Value>& keepAlive = {}) {
  auto* call = new AsyncCall<Result>(env);
  call->context = std::move(context);
  call->work = std::move(work);
  call->convert = std::move(convert);
  for (const auto& value : keepAlive)
    if (value.IsObject()) call->keepAlive.push_back(Napi::Persistent(value.As<Napi::Object>()));
  call->done = Napi::ThreadSafeFunction::New(env, Napi::Function(), "latent-emulator", 0, 1);
  auto promise = call->deferred.Promise();
  PostCompute([call]() {
    try {
      call->result = call->work();
    } catch (const std::exception& e) {
      call->failed = true;
      call->error = WithContext(call->context, e);
    } catch (...) {
      call->failed = true;
      call->error = call->context + ": unknown native error";
    }
    auto settle = [](Napi::Env env, Napi::Function, AsyncCall<Result>* c) {
      std::unique_ptr<AsyncCall<Result>> owned(c);
      if (env == nullptr) return;  // the environment is shutting down
      Napi::HandleScope scope(env);
      try {
        if (c->failed) c->deferred.Reject(Napi::Error::New(env, c->error).Value());
        else c->deferred.Resolve(c->convert(env, c->result));
      } catch (const Napi::Error& e) {
        c->deferred.Reject(e.Value());
      } catch (const std::exception& e) {
        c->deferred.Reject(Napi::Error::New(env, WithContext(c->context, e)).Value());
      }
    };
    Napi::ThreadSafeFunction done = call->done;
    if (done.BlockingCall(call, settle) != napi_ok) delete call;  // environment gone: nothing to settle
    done.Release();
  });
  return promise;
}

// Runs `job` on the compute thread without waiting (thread-local libtorch settings such as intra-op threads).
inline void RunOnComputeThread(std::function<void()> job) {
  PostCompute([job = std::move(job)]() {
    try {
      job();
    } catch (...) {
    }
  });
}

}  // namespace latent
