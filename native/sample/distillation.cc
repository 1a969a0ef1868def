#include "core/pch.h"

#include "sample/distillation.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "distributed/rank_rows.h"
#include "sample/open_denoiser.h"

namespace latent {
namespace {

// DDIM (η = 0) from x_t with mean x̂: x_s = α_s x̂ + (σ_s/σ_t)(x_t − α_t x̂), per sample.
torch::Tensor ddimStep(const torch::Tensor& x_t, const torch::Tensor& mean, const torch::Tensor& alpha_t, const torch::Tensor& sigma_t,
                       const torch::Tensor& alpha_s, const torch::Tensor& sigma_s) {
  const torch::Tensor a_t = perSample(alpha_t, x_t), s_t = perSample(sigma_t, x_t), a_s = perSample(alpha_s, x_t), s_s = perSample(sigma_s, x_t);
  return a_s * mean + (s_s / s_t) * (x_t - a_t * mean);
}

}  // namespace

DistillationTarget distillationTarget(DenoiserImpl& teacher, const torch::Tensor& x, const torch::Tensor& label, int64_t N, const torch::Tensor& given_mask) {
  if (N < 1) throw std::invalid_argument("distillation: the student's steps must be a positive integer, got " + std::to_string(N));
  const int64_t B = x.size(0), L = x.size(2);
  const EmulatorConfig& c = teacher.config();
  const Schedule& schedule = teacher.schedule();
  const torch::Tensor xf = x.to(torch::kFloat32);
  DistillationTarget r;
  // The same draws as the denoiser's loss where they mean the same thing (distributed/rank_rows.h).
  r.mask = given_mask.defined() ? given_mask.to(x.device())
                                : RankRows(B, [&](int64_t n) { return randomContextMask(n, L, c.context_rate, c.forward_probability, x.device()); });
  r.index = RankRows(B, [&](int64_t n) { return torch::randint(N, {n}, torch::kLong); }).to(x.device());
  // Times in float64 (σ spans 1e-3 … 1e3), the levels used in float32 as the samplers' ModelDenoiser does.
  const torch::Tensor i = r.index.to(torch::kDouble);
  const torch::Tensor t = 1.0 - i / double(N), t_mid = 1.0 - (i + 0.5) / double(N), t_next = 1.0 - (i + 1.0) / double(N);
  auto f32 = [](const torch::Tensor& v) { return v.to(torch::kFloat32); };
  r.alpha = f32(schedule.alpha(t));
  r.sigma = f32(schedule.sigma(t));
  r.sigma_mid = f32(schedule.sigma(t_mid));
  r.sigma_next = f32(schedule.sigma(t_next));
  const torch::Tensor alpha_mid = f32(schedule.alpha(t_mid)), alpha_next = f32(schedule.alpha(t_next));
  const torch::Tensor noise = RankRows(B, [&](int64_t n) {
    std::vector<int64_t> shape = xf.sizes().vec();
    shape[0] = n;
    return torch::randn(shape, xf.options().memory_format(c10::MemoryFormat::Contiguous));
  });
  const torch::Tensor known = maskChannels(r.mask, x.sizes(), torch::kBool);
  const torch::Tensor a = perSample(r.alpha, xf), s = perSample(r.sigma, xf);
  r.x_t = torch::where(known, torch::sqrt(a.square() + s.square()) * xf, a * xf + s * noise);
  {
    torch::NoGradGuard no_grad;
    // Two teacher DDIM steps t → t′ → t″ with the clean-context rule of the samplers.
    const torch::Tensor m1 = denoise(teacher, r.x_t, r.alpha, r.sigma, label, r.mask, xf).mean;
    const torch::Tensor x_mid = ddimStep(r.x_t, m1, r.alpha, r.sigma, alpha_mid, r.sigma_mid);
    const torch::Tensor m2 = denoise(teacher, x_mid, alpha_mid, r.sigma_mid, label, r.mask, xf).mean;
    r.teacher_next = ddimStep(x_mid, m2, alpha_mid, r.sigma_mid, alpha_next, r.sigma_next);
    // x̂* = (x″ − r x_t)/(α_t″ − r α_t), r = σ_t″/σ_t: one DDIM step t → t″ from x_t with mean x̂* gives x″.
    const torch::Tensor ratio = perSample(r.sigma_next / r.sigma, xf);
    const torch::Tensor target = (r.teacher_next - ratio * r.x_t) / (perSample(alpha_next, xf) - ratio * a);
    r.target = torch::where(known, xf, target);
  }
  return r;
}

torch::Tensor distillationLoss(DenoiserImpl& student, DenoiserImpl& teacher, const torch::Tensor& x, const torch::Tensor& label, int64_t N,
                               const torch::Tensor& mask) {
  DistillationTarget d = distillationTarget(teacher, x, label, N, mask);
  const torch::Tensor mu = denoise(student, d.x_t, d.alpha, d.sigma, label, d.mask, x.to(torch::kFloat32)).mean;
  // w = (α²+σ²)/σ² = 1 + SNR, as DenoiserLoss's 1/var.
  const torch::Tensor w = perSample((d.alpha.square() + d.sigma.square()) / d.sigma.square(), mu);
  return (w * (mu - d.target).square()).mean();
}

}  // namespace latent
