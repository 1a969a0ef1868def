// AVX-512 for the package's own CPU kernels (nn/channel_norm.cc, nn/dropout.cc), chosen at run time.
//
// The build targets the x86-64 baseline (-O2, as libtorch's own dispatcher does for its generic code), where GCC
// leaves short loops scalar; a kernel compiled with LATENT_AVX512 (GCC/Clang target attribute) and called when
// hasAvx512() is true gets 16 float lanes per instruction on the CPUs this package is benchmarked on, and the
// callers keep their portable path for the others. Helpers: 16-lane loads and stores of float32 and bfloat16
// (handled as its bits, the upper half of a float32) under a lane mask, and the mask of a row's tail.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_* placeholders wherever
// a reduction is inlined: kernel sections wrap themselves in LATENT_AVX512_BEGIN / LATENT_AVX512_END.
#pragma once

#include <cstdint>

#if defined(__GNUC__) && defined(__x86_64__)
#define LATENT_HAS_AVX512_KERNELS 1
#include <immintrin.h>
#define LATENT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define LATENT_AVX512_INLINE inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define LATENT_AVX512_BEGIN _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define LATENT_AVX512_END _Pragma("GCC diagnostic pop")
#else
#define LATENT_HAS_AVX512_KERNELS 0
#endif

namespace latent {

// True on a CPU with AVX-512 F, BW, VL and DQ, in a build that has the kernels.
inline bool hasAvx512() {
#if LATENT_HAS_AVX512_KERNELS
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return has;
#else
  return false;
#endif
}

#if LATENT_HAS_AVX512_KERNELS

// 16 lanes from p (lanes outside the mask read as 0 and are not touched in memory).
LATENT_AVX512_INLINE __m512 load16(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
LATENT_AVX512_INLINE __m512 load16(const uint16_t* p, __mmask16 m) {  // bfloat16 bits
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}
LATENT_AVX512_INLINE void store16(float* p, __m512 v, __mmask16 m) { _mm512_mask_storeu_ps(p, m, v); }
// To bfloat16 rounded to nearest even (c10::BFloat16's rounding: (u + 0x7FFF + lsb) >> 16); NaN stays a quiet NaN.
LATENT_AVX512_INLINE void store16(uint16_t* p, __m512 v, __mmask16 m) {
  __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  u = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
  u = _mm512_mask_mov_epi32(u, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm512_set1_epi32(0x7FC0));
  _mm256_mask_storeu_epi16(p, m, _mm512_cvtepi32_epi16(u));
}
// The lanes of elements c0 … c0 + 15 that lie below n.
LATENT_AVX512_INLINE __mmask16 laneMask(int64_t n, int64_t c0) {
  const int64_t left = n - c0;
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
}

#endif  // LATENT_HAS_AVX512_KERNELS

}  // namespace latent
