#include "core/pch.h"
#include "core/process_init.h"

#include <malloc.h>

#include "core/cpu_allocator.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace latent {

void InitProcess() {
  static std::once_flag once;
  std::call_once(once, [] {
    // glibc serves blocks ≥ 128 KiB with mmap/munmap, so every mid-sized tensor costs page faults
    // (measured: Euler solver steps at 128² took 2× longer). Keep blocks up to 64 MiB on the heap.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    // A thread other than the main one (the compute thread, OpenMP's workers) allocates from its own arena,
    // made of 64 MiB heaps, and glibc unmaps such a heap as soon as it is wholly free, whatever the trim
    // threshold: a train step that frees its activations gave its heaps back and faulted them in again on the
    // next step (14-16k minor faults per fp32 DCAE step, which then took 1.65x as long). glibc keeps a heap
    // while its free space plus its unused reserve is under top_pad + a page, so a top pad of a whole heap
    // keeps them; what is kept is bounded by the peak, and is only address space until it is touched.
    // LATENT_EMULATOR_MALLOC_TOP_PAD_MB=0 keeps glibc's default (128 KiB), to measure the difference.
    long topPadMb = 64;
    if (const char* text = std::getenv("LATENT_EMULATOR_MALLOC_TOP_PAD_MB")) topPadMb = std::strtol(text, nullptr, 10);
    if (topPadMb > 0) mallopt(M_TOP_PAD, static_cast<int>(std::min(topPadMb, 1024L) << 20));
    // libtorch's CPU conv dispatch probes NNPACK and, on CPUs it does not support, logs "Could not
    // initialize NNPACK" on every call (slowing convolutions down); oneDNN serves them anyway.
    at::globalContext().setUserEnabledNNPACK(false);
    // Large tensor buffers are reused instead of bouncing between threads' malloc arenas (see cpu_allocator.h).
    InstallCpuCachingAllocator();
  });
}

}  // namespace latent
