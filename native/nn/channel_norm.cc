#include "core/pch.h"
#include "nn/channel_norm.h"

#include "core/avx512.h"
#include "core/env_setting.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/autograd.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace latent {
namespace {

// The kernel is AVX-512 (core/avx512.h): a pixel's 32–128 channels are two to eight 16-lane vectors, the tail
// a masked one. GCC does not vectorise these short loops at the build's -O2, and libtorch's AVX2 kernels serve
// CPUs without AVX-512 (channelNormApplies is false there).
#if LATENT_HAS_AVX512_KERNELS
LATENT_AVX512_BEGIN

// Rows [begin, end) of C channels each: y = (x − m)·r, r = 1/sqrt(v_u + eps) (two passes over the row, as
// var_mean); mean/rstd written when given.
template <typename T>
LATENT_AVX512 void forwardRows(const T* x, T* y, float* mean, float* rstd, int64_t C, float eps, int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const T* xr = x + r * C;
    T* yr = y + r * C;
    __m512 sum = _mm512_setzero_ps();
    for (int64_t c0 = 0; c0 < C; c0 += 16) sum = _mm512_add_ps(sum, load16(xr + c0, laneMask(C, c0)));
    const float m = _mm512_reduce_add_ps(sum) / float(C);
    const __m512 vm = _mm512_set1_ps(m);
    __m512 sq = _mm512_setzero_ps();
    for (int64_t c0 = 0; c0 < C; c0 += 16) {
      const __mmask16 k = laneMask(C, c0);
      const __m512 d = _mm512_maskz_sub_ps(k, load16(xr + c0, k), vm);
      sq = _mm512_fmadd_ps(d, d, sq);
    }
    const float rs = 1.0f / std::sqrt(_mm512_reduce_add_ps(sq) / float(C - 1) + eps);
    const __m512 vr = _mm512_set1_ps(rs);
    for (int64_t c0 = 0; c0 < C; c0 += 16) {
      const __mmask16 k = laneMask(C, c0);
      store16(yr + c0, _mm512_mul_ps(_mm512_sub_ps(load16(xr + c0, k), vm), vr), k);
    }
    if (mean != nullptr) mean[r] = m, rstd[r] = rs;
  }
}

// dx = r·(g − mean_c g − y·Σ_c(g·y)/(C − 1)), y = (x − m)·r.
template <typename T>
LATENT_AVX512 void backwardRows(const T* x, const T* g, T* dx, const float* mean, const float* rstd, int64_t C,
                                int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const T* xr = x + r * C;
    const T* gr = g + r * C;
    T* dr = dx + r * C;
    const __m512 vm = _mm512_set1_ps(mean[r]), vr = _mm512_set1_ps(rstd[r]);
    __m512 sg = _mm512_setzero_ps(), sgy = _mm512_setzero_ps();
    for (int64_t c0 = 0; c0 < C; c0 += 16) {
      const __mmask16 k = laneMask(C, c0);
      const __m512 gv = load16(gr + c0, k);
      const __m512 yv = _mm512_mul_ps(_mm512_sub_ps(load16(xr + c0, k), vm), vr);
      sg = _mm512_add_ps(sg, gv);
      sgy = _mm512_fmadd_ps(gv, yv, sgy);  // lanes outside the mask: g = 0
    }
    const __m512 a = _mm512_set1_ps(_mm512_reduce_add_ps(sg) / float(C));
    const __m512 b = _mm512_set1_ps(_mm512_reduce_add_ps(sgy) / float(C - 1));
    for (int64_t c0 = 0; c0 < C; c0 += 16) {
      const __mmask16 k = laneMask(C, c0);
      const __m512 yv = _mm512_mul_ps(_mm512_sub_ps(load16(xr + c0, k), vm), vr);
      const __m512 inner = _mm512_fnmadd_ps(yv, b, _mm512_sub_ps(load16(gr + c0, k), a));  // g − a − y·b
      store16(dr + c0, _mm512_mul_ps(vr, inner), k);
    }
  }
}

LATENT_AVX512_END
#endif  // LATENT_HAS_AVX512_KERNELS

// Rows per task: enough to amortise a task, small enough to share the DCAE's 16² levels between threads.
constexpr int64_t kGrainRows = 256;

template <typename T>
void forwardKernel(const T* x, T* y, float* mean, float* rstd, int64_t rows, int64_t C, float eps) {
#if LATENT_HAS_AVX512_KERNELS
  at::parallel_for(0, rows, kGrainRows, [&](int64_t begin, int64_t end) { forwardRows(x, y, mean, rstd, C, eps, begin, end); });
#else
  throw std::logic_error("the channel norm kernel is not in this build (channelNormApplies is false here)");
#endif
}

template <typename T>
void backwardKernel(const T* x, const T* g, T* dx, const float* mean, const float* rstd, int64_t rows, int64_t C) {
#if LATENT_HAS_AVX512_KERNELS
  at::parallel_for(0, rows, kGrainRows, [&](int64_t begin, int64_t end) { backwardRows(x, g, dx, mean, rstd, C, begin, end); });
#else
  throw std::logic_error("the channel norm kernel is not in this build (channelNormApplies is false here)");
#endif
}

// y (and, when mean is defined, the per-row statistics) for x laid out as rows of its channels.
void runForward(const torch::Tensor& x, torch::Tensor& y, torch::Tensor mean, torch::Tensor rstd, double eps) {
  const int64_t C = x.size(1), rows = x.numel() / C;
  float* m = mean.defined() ? mean.mutable_data_ptr<float>() : nullptr;
  float* r = rstd.defined() ? rstd.mutable_data_ptr<float>() : nullptr;
  if (x.scalar_type() == at::kFloat) {
    forwardKernel(x.const_data_ptr<float>(), y.mutable_data_ptr<float>(), m, r, rows, C, float(eps));
  } else {
    forwardKernel(reinterpret_cast<const uint16_t*>(x.const_data_ptr<c10::BFloat16>()),
                  reinterpret_cast<uint16_t*>(y.mutable_data_ptr<c10::BFloat16>()), m, r, rows, C, float(eps));
  }
}

struct ChannelNormFunction : public torch::autograd::Function<ChannelNormFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double eps) {
    const int64_t rows = x.numel() / x.size(1);
    torch::Tensor y = at::empty_like(x);  // same (channels-last) strides
    torch::Tensor mean = at::empty({rows}, x.options().dtype(at::kFloat));
    torch::Tensor rstd = at::empty({rows}, x.options().dtype(at::kFloat));
    runForward(x, y, mean, rstd, eps);
    ctx->save_for_backward({x, mean, rstd});
    ctx->saved_data["eps"] = eps;
    return y;
  }

  // The same dx in differentiable ATen ops over the channel axis, for a backward that builds a graph
  // (create_graph: MMPS guidance differentiates through the decoder twice); the kernel's is not differentiable.
  static torch::Tensor differentiableBackward(torch::autograd::AutogradContext* ctx, const torch::Tensor& grad) {
    const torch::Tensor x = ctx->get_saved_variables()[0];
    const double eps = ctx->saved_data["eps"].toDouble();
    const int64_t C = x.size(1);
    const torch::Tensor xf = x.to(at::kFloat), g = grad.to(at::kFloat);
    const torch::Tensor d = xf - xf.mean(1, true);
    const torch::Tensor r = at::rsqrt(d.square().sum(1, true) / double(C - 1) + eps);
    const torch::Tensor y = d * r;
    const torch::Tensor b = (g * y).sum(1, true) / double(C - 1);
    return (r * (g - g.mean(1, true) - y * b)).to(x.scalar_type());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    if (at::GradMode::is_enabled()) return {differentiableBackward(ctx, grads[0]), torch::Tensor()};
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    torch::Tensor g = grads[0].to(x.scalar_type());
    if (g.strides() != x.strides()) g = at::empty_like(x).copy_(g);
    torch::Tensor dx = at::empty_like(x);
    const int64_t C = x.size(1), rows = x.numel() / C;
    const float* m = saved[1].const_data_ptr<float>();
    const float* r = saved[2].const_data_ptr<float>();
    if (x.scalar_type() == at::kFloat) {
      backwardKernel(x.const_data_ptr<float>(), g.const_data_ptr<float>(), dx.mutable_data_ptr<float>(), m, r, rows, C);
    } else {
      auto bits = [](const torch::Tensor& t) { return reinterpret_cast<const uint16_t*>(t.const_data_ptr<c10::BFloat16>()); };
      backwardKernel(bits(x), bits(g), reinterpret_cast<uint16_t*>(dx.mutable_data_ptr<c10::BFloat16>()), m, r, rows, C);
    }
    return {dx, torch::Tensor()};
  }
};

// LATENT_EMULATOR_CHANNEL_NORM=torch: libtorch's layer norm everywhere.
bool torchNormChosen() {
  static const bool chosen = envSetting("LATENT_EMULATOR_CHANNEL_NORM") == "torch";
  return chosen;
}

}  // namespace

bool channelNormApplies(const torch::Tensor& x) {
  if (torchNormChosen() || !hasAvx512() || !x.device().is_cpu()) return false;
  if (x.scalar_type() != at::kFloat && x.scalar_type() != at::kBFloat16) return false;
  const int64_t D = x.dim();
  if ((D != 4 && D != 5) || x.size(1) < 2 || x.numel() == 0) return false;
  const auto cl = D == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
  return x.is_contiguous(cl) && x.stride(1) == 1;
}

torch::Tensor channelNorm(const torch::Tensor& x, double eps) {
  if (!channelNormApplies(x)) throw std::invalid_argument("channelNorm needs a dense channels-last float32/bfloat16 CPU tensor");
  RECORD_FUNCTION("latent::channel_norm", std::vector<c10::IValue>({x}));  // a row in profileOps (the forward)
  if (at::GradMode::is_enabled() && x.requires_grad()) return ChannelNormFunction::apply(x, eps);
  torch::Tensor y = at::empty_like(x);
  runForward(x, y, torch::Tensor(), torch::Tensor(), eps);
  return y;
}

}  // namespace latent
