// profilerStart() / profilerStop(top?): libtorch's profiler around whatever native work JavaScript queues
// in between. Both run on the compute thread, in order with the other calls, so the profile holds exactly
// the operators of the calls awaited between them (core/op_profiler.h).
#include "core/pch.h"

#include "core/async.h"
#include "core/op_profiler.h"
#include "js/args.h"
#include "js/bindings.h"

namespace latent::js {
namespace {

// profilerStart(shapes?): with shapes true, rows per operator and input shapes/types (op_profiler.h).
Napi::Value ProfilerStart(const Napi::CallbackInfo& info) {
  const bool shapes = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  return RunAsync<bool>(
      info.Env(), "profilerStart", [shapes]() { StartOpProfile(shapes); return true; },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

// → { wallMs, opsMs, ops: [{ name, inputs?, calls, selfMs, totalMs, share }] }, ops by self time, the `top` largest
// (all when omitted); share = selfMs / opsMs, opsMs = the self time of all ops (not only the top ones).
Napi::Value ProfilerStop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t top = -1;
  Guard(env, "profilerStop", [&]() -> Napi::Value {
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      const double n = NumberArg(info, 0, "top");
      if (!(n >= 1) || n != static_cast<double>(static_cast<int64_t>(n)))
        throw std::invalid_argument("top must be a positive integer (the number of ops to return), got " + Napi::Number::New(info.Env(), n).ToString().Utf8Value());
      top = static_cast<int64_t>(n);
    }
    return env.Undefined();
  });
  return RunAsync<OpProfile>(
      env, "profilerStop", []() { return StopOpProfile(); },
      [top](Napi::Env env, OpProfile& p) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("wallMs", p.wall_ms);
        out.Set("opsMs", p.self_ms_sum);
        const size_t n = top < 0 ? p.ops.size() : std::min(p.ops.size(), static_cast<size_t>(top));
        auto ops = Napi::Array::New(env, n);
        for (size_t i = 0; i < n; ++i) {
          const OpStat& op = p.ops[i];
          auto row = Napi::Object::New(env);
          row.Set("name", op.name);
          if (!op.inputs.empty()) row.Set("inputs", op.inputs);
          row.Set("calls", static_cast<double>(op.calls));
          row.Set("selfMs", op.self_ms);
          row.Set("totalMs", op.total_ms);
          row.Set("share", p.self_ms_sum > 0 ? op.self_ms / p.self_ms_sum : 0.0);
          ops.Set(static_cast<uint32_t>(i), row);
        }
        out.Set("ops", ops);
        return out;
      });
}

}  // namespace

void RegisterProfiler(Napi::Env env, Napi::Object exports) {
  exports.Set("profilerStart", Napi::Function::New<ProfilerStart>(env, "profilerStart"));
  exports.Set("profilerStop", Napi::Function::New<ProfilerStop>(env, "profilerStop"));
}

}  // namespace latent::js
