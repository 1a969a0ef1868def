#include "core/pch.h"

#include "distributed/rank_rows.h"

#include <mutex>

#include <ATen/CPUGeneratorImpl.h>

#include "optim/gradient_sync.h"

namespace latent {
namespace {

thread_local StepRandomStreams* current = nullptr;

// splitmix64's finalizer: a well-mixed 64-bit value from any 64-bit input.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a over a generator's state bytes (a CPU uint8 tensor).
uint64_t hashState(const at::Tensor& state) {
  const auto bytes = state.contiguous();
  const uint8_t* p = bytes.data_ptr<uint8_t>();
  uint64_t h = 1469598103934665603ULL;
  for (int64_t i = 0; i < bytes.numel(); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

at::Tensor stateOf(at::Generator& g) {
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}

void setState(at::Generator& g, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state);
}

}  // namespace

StepRandomStreams::StepRandomStreams(const at::Device& device, int64_t step, int64_t rank) : previous_(current) {
  generators_.push_back(at::detail::getDefaultCPUGenerator());
  if (device.is_cuda()) generators_.push_back(at::globalContext().defaultGenerator(device));
  for (auto& g : generators_) {
    at::Tensor shared = stateOf(g);
    // seed = f(shared state, step, rank): identical on every rank but for the rank, and restored by a resume
    const uint64_t seed = mix(hashState(shared) ^ mix(static_cast<uint64_t>(step)) ^ mix(0x5eedULL + static_cast<uint64_t>(rank)));
    {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_current_seed(seed >> 1);  // 63 bits: CUDA's generators take the seed as a signed value in places
    }
    sharedStates_.push_back(std::move(shared));
  }
  current = this;
}

StepRandomStreams::~StepRandomStreams() {
  for (size_t i = 0; i < generators_.size(); ++i) setState(generators_[i], sharedStates_[i]);
  current = previous_;
}

at::Tensor StepRandomStreams::shared(const std::function<at::Tensor()>& draw) {
  std::vector<at::Tensor> own;
  for (size_t i = 0; i < generators_.size(); ++i) {
    own.push_back(stateOf(generators_[i]));
    setState(generators_[i], sharedStates_[i]);
  }
  at::Tensor result;
  try {
    result = draw();
  } catch (...) {
    for (size_t i = 0; i < generators_.size(); ++i) setState(generators_[i], own[i]);
    throw;
  }
  for (size_t i = 0; i < generators_.size(); ++i) {
    sharedStates_[i] = stateOf(generators_[i]);
    setState(generators_[i], own[i]);
  }
  return result;
}

at::Tensor RankRows(int64_t local, const std::function<at::Tensor(int64_t global)>& draw) {
  const GradientSync* sync = StepGradientSync();
  const int64_t world = sync ? sync->world : 1;
  auto rows = [&]() {
    if (world == 1) return draw(local);
    return draw(local * world).narrow(0, sync->rank * local, local).contiguous();
  };
  return current ? current->shared(rows) : rows();
}

}  // namespace latent
