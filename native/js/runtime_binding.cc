// Process-wide runtime: threads, seeds, what libtorch is and can do, and a matmul peak probe for benchmarks.
#include "core/pch.h"

#include <chrono>
#include <functional>

#include "core/async.h"
#include "core/openmp_threads.h"
#include "core/tensor_bridge.h"
#include "js/args.h"
#include "js/bindings.h"
#include "nn/fp32_linear.h"

namespace latent::js {
namespace {

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), "setNumThreads", [&]() -> Napi::Value {
    double n = NumberArg(info, 0, "threads");
    if (n < 1 || n != static_cast<int>(n)) throw std::invalid_argument("threads must be a positive integer, got " + std::to_string(n));
    int threads = static_cast<int>(n);
    SetComputeThreadCount(threads);  // the compute thread's; the JS thread stays at one (core/openmp_threads.h)
    return info.Env().Undefined();
  });
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ComputeThreadCount()); }

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), "manualSeed", [&]() -> Napi::Value {
    double seed = NumberArg(info, 0, "seed");
    if (seed < 0 || seed != static_cast<double>(static_cast<uint64_t>(seed))) throw std::invalid_argument("seed must be a non-negative integer");
    torch::manual_seed(static_cast<uint64_t>(seed));
    return info.Env().Undefined();
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("torchVersion", TORCH_VERSION);
  out.Set("cudaBuilt", Napi::Boolean::New(env, torch::cuda::is_available() || at::hasCUDA()));
  out.Set("cudaAvailable", Napi::Boolean::New(env, torch::cuda::is_available()));
  out.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(torch::cuda::device_count())));
  out.Set("mklAvailable", Napi::Boolean::New(env, at::hasMKL()));
  out.Set("mkldnnAvailable", Napi::Boolean::New(env, at::hasMKLDNN()));
  out.Set("numThreads", Napi::Number::New(env, ComputeThreadCount()));
  out.Set("numInteropThreads", Napi::Number::New(env, at::get_num_interop_threads()));
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("buildConfig", at::show_config());
  out.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return out;
}

// GFLOP/s of an n×n matmul in `dtype` on `device`: the physical limit benchmarks compare against. On CPU in
// float32 the faster of libtorch's two matmul kernels, MKL's sgemm (at::mm) and oneDNN's inner product
// (nn/fp32_linear.h): MKL runs its AVX2 kernels on AMD CPUs, where oneDNN's AVX-512 ones are ~2.3× faster, and
// the DCAE's oneDNN convolutions would otherwise show > 100 % of a "peak".
Napi::Value MatmulPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n = 0, iters = 0;
  at::ScalarType type = at::kFloat;
  at::Device device(at::kCPU);
  Guard(env, "matmulPeak", [&]() -> Napi::Value {
    n = static_cast<int64_t>(NumberArg(info, 0, "n"));
    type = ParseDtype(StringArg(info, 1, "dtype"));
    iters = static_cast<int64_t>(NumberArg(info, 2, "iterations"));
    device = ParseDevice(info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "cpu");
    if (n < 1 || iters < 1) throw std::invalid_argument("n and iterations must be positive");
    return env.Undefined();
  });
  return RunAsync<double>(
      env, "matmulPeak",
      [=]() {
        torch::NoGradGuard noGrad;
        auto opts = at::TensorOptions().dtype(type).device(device);
        auto a = at::randn({n, n}, opts), b = at::randn({n, n}, opts);
        auto sync = [&]() { if (device.is_cuda()) torch::cuda::synchronize(); };
        auto gflops = [&](const std::function<void()>& product) {
          product();  // warm-up
          sync();
          auto start = std::chrono::steady_clock::now();
          for (int64_t i = 0; i < iters; ++i) product();
          sync();
          double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          return 2.0 * n * n * n * iters / seconds / 1e9;
        };
        double peak = gflops([&] { at::mm(a, b); });
        if (device.is_cpu() && type == at::kFloat && at::hasMKLDNN())
          peak = std::max(peak, gflops([&] { oneDnnLinear(a, b, torch::Tensor()); }));  // a bᵀ: the same work
        return peak;
      },
      [](Napi::Env env, double& gflops) -> Napi::Value { return Napi::Number::New(env, gflops); });
}

}  // namespace

void RegisterRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New<SetNumThreads>(env, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New<GetNumThreads>(env, "getNumThreads"));
  exports.Set("manualSeed", Napi::Function::New<ManualSeed>(env, "manualSeed"));
  exports.Set("info", Napi::Function::New<Info>(env, "info"));
  exports.Set("matmulPeak", Napi::Function::New<MatmulPeak>(env, "matmulPeak"));
}

}  // namespace latent::js
