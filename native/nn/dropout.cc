#include "core/pch.h"
#include "nn/dropout.h"

#include "core/avx512.h"
#include "core/env_setting.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace latent {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// SplitMix64's output for state s (Steele, Lea & Flood 2014; passes BigCrush): the generator's i-th output is
// mix(seed + (i + 1) · golden).
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

#if LATENT_HAS_AVX512_KERNELS
LATENT_AVX512_BEGIN

// mix() on eight counters at once (AVX-512 DQ's 64-bit multiply).
LATENT_AVX512_INLINE __m512i mix8(__m512i z) {
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64(int64_t(0xBF58476D1CE4E5B9ULL)));
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64(int64_t(0x94D049BB133111EBULL)));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

// Words [begin, end), end − begin a multiple of 8, the same values as the scalar loop below: eight words' outputs
// are one vector whose 32 16-bit lanes are, little-endian, lanes 0–3 of word 0, then of word 1, …, i.e. the
// elements 4·begin … 4·begin + 31 in order. T: float or bfloat16 bits; threshold ≤ 65535.
template <typename T>
LATENT_AVX512 void maskWordsAvx512(const T* x, T* y, int64_t begin, int64_t end, uint32_t threshold, float scale, uint64_t seed) {
  auto counter = [&](int64_t i) { return int64_t(seed + static_cast<uint64_t>(begin + i + 1) * kGolden); };
  __m512i z = _mm512_set_epi64(counter(7), counter(6), counter(5), counter(4), counter(3), counter(2), counter(1), counter(0));
  const __m512i step = _mm512_set1_epi64(int64_t(8 * kGolden));
  const __m512i limit = _mm512_set1_epi16(int16_t(uint16_t(threshold)));
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t w = begin; w < end; w += 8, z = _mm512_add_epi64(z, step)) {
    const __mmask32 keep = _mm512_cmpge_epu16_mask(mix8(z), limit);
    const int64_t e = 4 * w;
    // factor · x with factor = scale or 0 (x · 0 as the scalar loop: NaN stays NaN, −x gives −0).
    store16(y + e, _mm512_mul_ps(load16(x + e, 0xFFFF), _mm512_maskz_mov_ps(__mmask16(keep), vscale)), 0xFFFF);
    store16(y + e + 16, _mm512_mul_ps(load16(x + e + 16, 0xFFFF), _mm512_maskz_mov_ps(__mmask16(keep >> 16), vscale)), 0xFFFF);
  }
}

LATENT_AVX512_END
#endif  // LATENT_HAS_AVX512_KERNELS

// Words [begin, end') for the largest end' ≤ end the AVX-512 kernel takes; returns end' (begin when it does not run).
int64_t vectorWords(const float* x, float* y, int64_t begin, int64_t end, uint32_t threshold, float scale, uint64_t seed) {
#if LATENT_HAS_AVX512_KERNELS
  if (!hasAvx512() || threshold > 0xFFFF) return begin;
  const int64_t stop = begin + (end - begin) / 8 * 8;
  maskWordsAvx512(x, y, begin, stop, threshold, scale, seed);
  return stop;
#else
  return begin;
#endif
}
int64_t vectorWords(const c10::BFloat16* x, c10::BFloat16* y, int64_t begin, int64_t end, uint32_t threshold, float scale, uint64_t seed) {
#if LATENT_HAS_AVX512_KERNELS
  if (!hasAvx512() || threshold > 0xFFFF) return begin;
  const int64_t stop = begin + (end - begin) / 8 * 8;
  maskWordsAvx512(reinterpret_cast<const uint16_t*>(x), reinterpret_cast<uint16_t*>(y), begin, stop, threshold, scale, seed);
  return stop;
#else
  return begin;
#endif
}

// Over n elements in memory order: y_i = (u_i ≥ threshold ? scale : 0) · x_i, computed in float32 and rounded
// once into T, u_i = 16-bit lane i mod 4 of counter i / 4's output. Whole words go through the AVX-512 kernel
// where the CPU has it (the same values), the rest through this loop.
template <typename T>
void maskKernel(const T* x, T* y, int64_t n, uint32_t threshold, float scale, uint64_t seed) {
  const int64_t words = (n + 3) / 4;
  auto lane = [&](uint64_t bits, int64_t k, int64_t i) {
    const float factor = ((bits >> (16 * k)) & 0xFFFFu) >= threshold ? scale : 0.0f;  // a select, no branch
    y[i] = static_cast<T>(static_cast<float>(x[i]) * factor);  // bf16: c10's round to nearest even
  };
  at::parallel_for(0, words, 16384, [&](int64_t begin, int64_t end) {
    const int64_t full = std::min(end, n / 4);  // words whose four lanes all lie inside
    for (int64_t w = vectorWords(x, y, begin, std::max(begin, full), threshold, scale, seed); w < full; ++w) {
      const uint64_t bits = mix(seed + static_cast<uint64_t>(w + 1) * kGolden);
      for (int64_t k = 0; k < 4; ++k) lane(bits, k, 4 * w + k);
    }
    for (int64_t w = std::max(begin, full); w < end; ++w) {  // the last, partial word
      const uint64_t bits = mix(seed + static_cast<uint64_t>(w + 1) * kGolden);
      for (int64_t i = 4 * w; i < n; ++i) lane(bits, i - 4 * w, i);
    }
  });
}

// The mask applied to x laid out with exactly these strides (made so if it is not).
torch::Tensor applyMask(torch::Tensor x, double p, uint64_t seed, at::IntArrayRef strides) {
  if (x.strides() != strides) x = at::empty_strided(x.sizes(), strides, x.options()).copy_(x);
  torch::Tensor y = at::empty_strided(x.sizes(), strides, x.options());
  const auto threshold = static_cast<uint32_t>(std::lround(p * 65536.0));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  if (x.scalar_type() == at::kFloat) {
    maskKernel(x.const_data_ptr<float>(), y.mutable_data_ptr<float>(), x.numel(), threshold, scale, seed);
  } else if (x.scalar_type() == at::kBFloat16) {
    maskKernel(x.const_data_ptr<c10::BFloat16>(), y.mutable_data_ptr<c10::BFloat16>(), x.numel(), threshold, scale, seed);
  } else {  // other types (half, double): the scaled mask in float32, then libtorch's product
    torch::Tensor mask = at::empty_strided(x.sizes(), strides, x.options().dtype(at::kFloat)).fill_(1.0f);
    maskKernel(mask.const_data_ptr<float>(), mask.mutable_data_ptr<float>(), x.numel(), threshold, scale, seed);  // in place
    at::mul_out(y, x, mask);
  }
  return y;
}

struct CounterDropoutFunction : public torch::autograd::Function<CounterDropoutFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input, double p, int64_t seed) {
    // Dense layouts (plain or channels-last) are kept; anything else is made contiguous first.
    torch::Tensor x = input.is_non_overlapping_and_dense() ? input : input.contiguous();
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["strides"] = x.strides().vec();
    return applyMask(x, p, static_cast<uint64_t>(seed), x.strides());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    // dx = dy · m / (1 − p): the same mask, recomputed from the seed over the forward's memory order.
    const auto strides = ctx->saved_data["strides"].toIntVector();
    torch::Tensor dx = applyMask(grads[0], ctx->saved_data["p"].toDouble(), static_cast<uint64_t>(ctx->saved_data["seed"].toInt()), strides);
    return {dx, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor counterDropout(const torch::Tensor& x, double p, uint64_t seed) {
  if (!(p >= 0 && p < 1)) throw std::invalid_argument("dropout p must be in [0, 1), got " + std::to_string(p));
  if (!x.device().is_cpu()) throw std::invalid_argument("counterDropout runs on CPU tensors (other devices use at::dropout)");
  if (!at::isFloatingType(x.scalar_type())) throw std::invalid_argument("counterDropout needs a floating-point tensor");
  if (x.numel() == 0 || p == 0) return x;
  RECORD_FUNCTION("latent::counter_dropout", std::vector<c10::IValue>({x}));  // a row in profileOps (the forward)
  return CounterDropoutFunction::apply(x, p, static_cast<int64_t>(seed));
}

CounterDropoutImpl::CounterDropoutImpl(double p) : p(p) {
  if (!(p >= 0 && p < 1)) throw std::invalid_argument("dropout must be in [0, 1), got " + std::to_string(p));
}

namespace {

// LATENT_EMULATOR_DROPOUT=torch: libtorch's dropout everywhere (benchmarks compare the two).
bool TorchDropoutChosen() {
  static const bool chosen = envSetting("LATENT_EMULATOR_DROPOUT") == "torch";
  return chosen;
}

}  // namespace

torch::Tensor CounterDropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p == 0) return x;
  if (!x.device().is_cpu() || TorchDropoutChosen()) return at::dropout(x, p, /*train=*/true);
  uint64_t seed;
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = gen.get<at::CPUGeneratorImpl>()->random64();
  }
  return counterDropout(x, p, seed);
}

}  // namespace latent
