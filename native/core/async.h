// Runs native work off the JavaScript thread and settles a Promise with its result.
// Any exception becomes a rejected Promise with context, never a crash of the process.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/errors.h"

namespace latent {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;

  PromiseWorker(Napi::Env env, std::string context, Work work, Convert convert, const std::vector<Napi::Value>& keepAlive)
      : Napi::AsyncWorker(env, "latent-emulator"),
        deferred_(Napi::Promise::Deferred::New(env)),
        context_(std::move(context)),
        work_(std::move(work)),
        convert_(std::move(convert)) {
    // Arguments stay alive (not collected) until the work is done.
    for (const auto& value : keepAlive) {
      if (value.IsObject()) keepAlive_.push_back(Napi::Persistent(value.As<Napi::Object>()));
    }
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = work_();
    } catch (const std::exception& e) {
      SetError(WithContext(context_, e));
    } catch (...) {
      SetError(context_ + ": unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(convert_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, WithContext(context_, e)).Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string context_;
  Work work_;
  Convert convert_;
  Result result_{};
  std::vector<Napi::ObjectReference> keepAlive_;
};

// Queues `work` on the libuv pool; `convert` runs back on the JS thread to build the resolved value.
template <typename Result>
Napi::Promise RunAsync(Napi::Env env, std::string context, std::function<Result()> work,
                       std::function<Napi::Value(Napi::Env, Result&)> convert,
                       const std::vector<Napi::Value>& keepAlive = {}) {
  auto* worker = new PromiseWorker<Result>(env, std::move(context), std::move(work), std::move(convert), keepAlive);
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace latent
