// A caching allocator for large CPU tensor buffers, installed as libtorch's CPU allocator.
//
// Why: glibc gives every thread that allocates its own arena; tensors are created on the JavaScript thread,
// the compute thread and OpenMP's workers and freed on others, and non-main arenas grow and drop 64 MiB heaps
// as big buffers come and go. The result was 6-10k minor page faults per DCAE train step and RSS growing
// without bound over 10^4 calls (+1 GB per 1000 calls of 1 MB tensors in half the runs), although every
// buffer was freed. Large buffers (>= kMinCachedBytes) now come from mmap in size classes and are kept on a
// free list for reuse (like PyTorch's CUDA caching allocator), bounded by a cache limit; small ones still
// go to libtorch's default allocator.
#pragma once
#include <cstddef>

namespace latent {

// Installs the allocator (once per process) when LATENT_EMULATOR_CPU_CACHE_MB sets a cache limit; 0 (the
// default, until scripts/bench/memory.mjs shows it pays: it measured more page faults, not fewer) leaves
// libtorch's default allocator in place.
void InstallCpuCachingAllocator();

struct CpuCacheStats {
  size_t cachedBytes;    // free blocks kept for reuse
  size_t inUseBytes;     // blocks handed out and not yet freed
  size_t mappedBytes;    // cachedBytes + inUseBytes
};
CpuCacheStats CpuCachingAllocatorStats();

}  // namespace latent
