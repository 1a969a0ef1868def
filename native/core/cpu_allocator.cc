#include "core/pch.h"
#include "core/cpu_allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <c10/core/CPUAllocator.h>

namespace latent {
namespace {

constexpr size_t kMinCachedBytes = size_t(256) << 10;  // smaller buffers: libtorch's default allocator
constexpr size_t kPage = 4096;

// Size classes: rounded up to 1/8 of the enclosing power of two (at most 12.5 % unused), whole pages.
size_t SizeClass(size_t n) {
  if (n > (size_t(1) << 60))
    throw c10::OutOfMemoryError(c10::SourceLocation{__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                                "out of CPU memory: cannot allocate " + std::to_string(n) + " bytes");
  size_t power = 1;
  while (power < n) power <<= 1;
  size_t step = std::max(power / 8, kPage);
  return (n + step - 1) / step * step;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(c10::Allocator* fallback, size_t limit) : fallback_(fallback), limit_(limit) {}

  c10::DataPtr allocate(size_t n) override {
    if (n < kMinCachedBytes) return fallback_->allocate(n);
    void* p = Take(SizeClass(n));
    return {p, p, &Free, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Free; }

  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }

  CpuCacheStats Stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {cached_, inUse_, cached_ + inUse_};
  }

  static CachingCpuAllocator* instance;

 private:
  void* Take(size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        inUse_ += size;
        sizes_[p] = size;
        return p;
      }
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      // Cached blocks of other sizes may be what stands between this request and success.
      ReleaseCache();
      p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        throw c10::OutOfMemoryError(c10::SourceLocation{__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                                    "out of CPU memory: could not allocate " + std::to_string(size) + " bytes");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    inUse_ += size;
    sizes_[p] = size;
    return p;
  }

  void Give(void* p) {
    size_t size = 0;
    bool keep = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = sizes_.find(p);
      if (it == sizes_.end()) return;  // not ours (cannot happen: only our DataPtrs carry this deleter)
      size = it->second;
      sizes_.erase(it);
      inUse_ -= size;
      keep = cached_ + size <= limit_;
      if (keep) {
        free_[size].push_back(p);
        cached_ += size;
      }
    }
    if (!keep) munmap(p, size);
  }

  void ReleaseCache() {
    std::unordered_map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocks.swap(free_);
      cached_ = 0;
    }
    for (auto& [size, list] : blocks)
      for (void* p : list) munmap(p, size);
  }

  static void Free(void* p) { instance->Give(p); }

  c10::Allocator* fallback_;
  size_t limit_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> free blocks
  std::unordered_map<void*, size_t> sizes_;              // block in use -> its size class
  size_t cached_ = 0, inUse_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;

}  // namespace

void InstallCpuCachingAllocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    size_t limitMb = 0;  // off by default: memory.mjs measured it slower (page faults) on this machine; see README
    if (const char* text = std::getenv("LATENT_EMULATOR_CPU_CACHE_MB")) limitMb = std::strtoull(text, nullptr, 10);
    if (limitMb == 0) return;  // off: libtorch's default allocator (glibc malloc), e.g. to measure the difference
    // Never destroyed: tensors may be freed during process exit, after static destructors ran.
    CachingCpuAllocator::instance = new CachingCpuAllocator(c10::GetDefaultCPUAllocator(), limitMb << 20);
    c10::SetCPUAllocator(CachingCpuAllocator::instance, /*priority=*/1);
  });
}

CpuCacheStats CpuCachingAllocatorStats() {
  return CachingCpuAllocator::instance ? CachingCpuAllocator::instance->Stats() : CpuCacheStats{0, 0, 0};
}

}  // namespace latent
