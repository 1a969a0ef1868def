// JavaScript face of the process group (distributed/process_group.h): join, leave, what this rank is, and
// the few collectives the training loop needs besides the gradient all-reduce (which runs inside the
// native train step). Collectives run on the compute thread, in order with the train steps, and return
// Promises; a failed collective rejects with the rank and the cause.
#include "core/pch.h"

#include <cstring>

#include "core/async.h"
#include "distributed/process_group.h"
#include "js/args.h"
#include "js/bindings.h"

namespace latent::js {
namespace {

double Num(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw TypeError(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t Integer(const Napi::Object& o, const char* key, int64_t fallback) {
  const double v = Num(o, key, static_cast<double>(fallback));
  if (v != std::floor(v)) throw TypeError(std::string(key) + " must be an integer, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

// initDistributed({rank, worldSize, localRank, masterAddr, masterPort, timeoutSeconds, useAgentStore, restartCount, backend}) → Promise<void>
Napi::Value InitDistributed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  dist::Rendezvous r;
  Guard(env, "initDistributed", [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsObject()) throw TypeError("options must be an object");
    auto o = info[0].As<Napi::Object>();
    r.rank = Integer(o, "rank", 0);
    r.world = Integer(o, "worldSize", 1);
    r.local_rank = Integer(o, "localRank", 0);
    r.master_port = Integer(o, "masterPort", 29500);
    r.timeout_seconds = Num(o, "timeoutSeconds", 1800);
    r.restart_count = Integer(o, "restartCount", 0);
    if (o.Get("masterAddr").IsString()) r.master_addr = o.Get("masterAddr").As<Napi::String>().Utf8Value();
    if (o.Get("backend").IsString()) r.backend = o.Get("backend").As<Napi::String>().Utf8Value();
    r.use_agent_store = o.Get("useAgentStore").ToBoolean().Value();
    return env.Undefined();
  });
  return RunAsync<bool>(
      env, "initDistributed", [r]() { dist::Init(r); return true; },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

// destroyDistributed(barrier) → Promise<void>
Napi::Value DestroyDistributed(const Napi::CallbackInfo& info) {
  const bool barrier = info.Length() > 0 && info[0].ToBoolean().Value();
  return RunAsync<bool>(
      info.Env(), "destroyDistributed", [barrier]() { dist::Destroy(barrier); return true; },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

Napi::Value DistributedInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const dist::Info i = dist::Current();
  auto out = Napi::Object::New(env);
  out.Set("active", i.active);
  out.Set("rank", static_cast<double>(i.rank));
  out.Set("worldSize", static_cast<double>(i.world));
  out.Set("backend", i.backend);
  out.Set("timeoutSeconds", i.timeout_seconds);
  out.Set("bytesAllReduced", static_cast<double>(i.bytes_all_reduced));
  out.Set("allReduceSeconds", i.all_reduce_seconds);
  out.Set("allReduces", static_cast<double>(i.all_reduces));
  return out;
}

// allReduceSum(Float64Array) → Promise<Float64Array>: the element-wise sum over the ranks.
Napi::Value AllReduceSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<double> values;
  Guard(env, "allReduceSum", [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw TypeError("values must be a Float64Array");
    auto a = info[0].As<Napi::Float64Array>();
    values.assign(a.Data(), a.Data() + a.ElementLength());
    return env.Undefined();
  });
  return RunAsync<std::vector<double>>(
      env, "allReduceSum",
      [values]() {
        std::vector<at::Tensor> t{torch::tensor(values, torch::kFloat64)};
        dist::AllReduceSum(t);
        std::vector<double> out(values.size());
        std::memcpy(out.data(), t[0].contiguous().data_ptr<double>(), out.size() * sizeof(double));
        return out;
      },
      [](Napi::Env env, std::vector<double>& out) -> Napi::Value {
        auto a = Napi::Float64Array::New(env, out.size());
        std::memcpy(a.Data(), out.data(), out.size() * sizeof(double));
        return a;
      });
}

// broadcastText(text) → Promise<string>: rank 0's text on every rank (a run directory's name).
Napi::Value BroadcastText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string text;
  Guard(env, "broadcastText", [&]() -> Napi::Value {
    text = StringArg(info, 0, "text");
    return env.Undefined();
  });
  return RunAsync<std::string>(
      env, "broadcastText",
      [text]() {
        std::vector<at::Tensor> length{torch::full({1}, static_cast<int64_t>(text.size()), torch::kInt64)};
        dist::Broadcast(length, 0);
        const int64_t n = length[0].item<int64_t>();
        std::vector<at::Tensor> bytes{torch::zeros({std::max<int64_t>(n, 1)}, torch::kUInt8)};
        if (dist::Current().rank == 0 && n > 0) std::memcpy(bytes[0].data_ptr<uint8_t>(), text.data(), n);
        dist::Broadcast(bytes, 0);
        return std::string(reinterpret_cast<const char*>(bytes[0].data_ptr<uint8_t>()), n);
      },
      [](Napi::Env env, std::string& s) -> Napi::Value { return Napi::String::New(env, s); });
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  return RunAsync<bool>(
      info.Env(), "barrier", []() { dist::Barrier(); return true; },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

}  // namespace

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  auto d = Napi::Object::New(env);
  d.Set("init", Napi::Function::New<InitDistributed>(env, "init"));
  d.Set("destroy", Napi::Function::New<DestroyDistributed>(env, "destroy"));
  d.Set("info", Napi::Function::New<DistributedInfo>(env, "info"));
  d.Set("allReduceSum", Napi::Function::New<AllReduceSum>(env, "allReduceSum"));
  d.Set("broadcastText", Napi::Function::New<BroadcastText>(env, "broadcastText"));
  d.Set("barrier", Napi::Function::New<Barrier>(env, "barrier"));
  // The backends this build has: gloo always, nccl in CUDA builds with NCCL's headers.
  auto backends = Napi::Array::New(env);
  backends.Set(0u, Napi::String::New(env, "gloo"));
  if (dist::HasNccl()) backends.Set(1u, Napi::String::New(env, "nccl"));
  d.Set("backends", backends);
  exports.Set("distributed", d);
}

}  // namespace latent::js
