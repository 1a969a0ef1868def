#include "core/pch.h"
#include "core/openmp_threads.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/async.h"

namespace latent {
namespace {

std::atomic<int> computeThreads{0};

// libgomp is loaded with libtorch_cpu; looked up rather than linked so that a libtorch built without
// OpenMP (or with another runtime) only loses the pinning.
void SetOpenMpThreadsOfCallingThread(int n) {
  static auto* set = [] {
    void* gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    return gomp ? reinterpret_cast<void (*)(int)>(dlsym(gomp, "omp_set_num_threads")) : nullptr;
  }();
  if (set) set(n);
}

}  // namespace

void PinCallingThreadToOneOpenMpThread() {
  thread_local bool pinned = false;
  if (pinned) return;
  pinned = true;
  // LATENT_EMULATOR_PIN_JS_OPENMP=0 leaves the JS thread's team alone (scripts/bench/memory.mjs compares).
  if (const char* pin = std::getenv("LATENT_EMULATOR_PIN_JS_OPENMP"); pin && std::string(pin) == "0") return;
  // at::get_num_threads runs libtorch's once-per-thread initialisation (which sets this thread's OpenMP
  // team size from the global count) first, so that it cannot undo the pin later.
  int n = at::get_num_threads();
  int expected = 0;
  computeThreads.compare_exchange_strong(expected, n);
  SetOpenMpThreadsOfCallingThread(1);
}

int ComputeThreadCount() {
  int n = computeThreads.load();
  return n > 0 ? n : at::get_num_threads();
}

void SetComputeThreadCount(int threads) {
  computeThreads.store(threads);
  RunOnComputeThread([threads]() { at::set_num_threads(threads); });
}

}  // namespace latent
