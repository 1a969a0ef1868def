// Runs native work on the compute thread and settles a Promise with its result back on the JS thread.
// Any exception becomes a rejected Promise with context, never a crash of the process.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/compute_thread.h"
#include "core/env_calls.h"
#include "core/errors.h"

namespace latent {

// The compute side of one call: C++ only, shared by the job (compute thread) and its settle (JS thread).
template <typename Result>
struct AsyncOutcome {
  std::function<Result()> work;
  Result result{};
  std::string error;
  bool failed = false;
};

// Queues `work` on the compute thread; `convert` runs back on the JS thread to build the resolved value.
// The JavaScript side (Promise, kept-alive arguments, convert) never leaves the JS thread; if the
// environment (e.g. a terminated worker) goes away first, it is dropped there and the result is discarded.
template <typename Result>
Napi::Promise RunAsync(Napi::Env env, std::string context, std::function<Result()> work,
                       std::function<Napi::Value(Napi::Env, Result&)> convert,
                       const std::vector<Napi::Value>& keepAlive = {}) {
  auto deferred = std::make_shared<Napi::Promise::Deferred>(Napi::Promise::Deferred::New(env));
  auto outcome = std::make_shared<AsyncOutcome<Result>>();
  outcome->work = std::move(work);
  auto kept = std::make_shared<std::vector<Napi::ObjectReference>>();  // arguments stay alive until settled
  for (const auto& value : keepAlive)
    if (value.IsObject()) kept->push_back(Napi::Persistent(value.As<Napi::Object>()));
  auto promise = deferred->Promise();
  SubmitCall(
      env,
      [outcome, context]() {
        try {
          outcome->result = outcome->work();
        } catch (const std::exception& e) {
          outcome->failed = true;
          outcome->error = WithContext(context, e);
        } catch (...) {
          outcome->failed = true;
          outcome->error = context + ": unknown native error";
        }
        outcome->work = nullptr;  // captured inputs are released on the compute thread
      },
      [deferred, outcome, kept, context, convert = std::move(convert)](Napi::Env env) {
        Napi::HandleScope scope(env);
        try {
          if (outcome->failed) deferred->Reject(Napi::Error::New(env, outcome->error).Value());
          else deferred->Resolve(convert(env, outcome->result));
        } catch (const Napi::Error& e) {
          deferred->Reject(e.Value());
        } catch (const std::exception& e) {
          deferred->Reject(Napi::Error::New(env, WithContext(context, e)).Value());
        }
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
