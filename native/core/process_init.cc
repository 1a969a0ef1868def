#include "core/pch.h"
#include "core/process_init.h"

#include <malloc.h>

#include "core/cpu_allocator.h"

#include <mutex>

namespace latent {

void InitProcess() {
  static std::once_flag once;
  std::call_once(once, [] {
    // glibc serves blocks ≥ 128 KiB with mmap/munmap, so every mid-sized tensor costs page faults
    // (measured: Euler solver steps at 128² took 2× longer). Keep blocks up to 64 MiB on the heap.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    // libtorch's CPU conv dispatch probes NNPACK and, on CPUs it does not support, logs "Could not
    // initialize NNPACK" on every call (slowing convolutions down); oneDNN serves them anyway.
    at::globalContext().setUserEnabledNNPACK(false);
    // Large tensor buffers are reused instead of bouncing between threads' malloc arenas (see cpu_allocator.h).
    InstallCpuCachingAllocator();
  });
}

}  // namespace latent
