#include "core/pch.h"

#include "sample/open_denoiser.h"

namespace latent {

torch::Tensor ModelDenoiser::mean(const torch::Tensor& x_t, double t) {
  auto opts = x_t.options().dtype(torch::kFloat32);
  return model_.mean(x_t, torch::full({x_t.size(0)}, alpha(t), opts), torch::full({x_t.size(0)}, sigma(t), opts), label_, mask_);
}

DenoiseResult denoise(DenoiserImpl& model, const torch::Tensor& x_t, const torch::Tensor& alpha, const torch::Tensor& sigma, const torch::Tensor& label,
                      const torch::Tensor& mask, const torch::Tensor& context) {
  DenoiseResult r;
  const torch::Tensor a = alpha.to(torch::kDouble), s = sigma.to(torch::kDouble);
  const torch::Tensor norm2 = a.square() + s.square();
  r.c_skip = a / norm2;
  r.c_in = torch::rsqrt(norm2);
  r.c_out = s * r.c_in;
  r.c_noise = 10 * torch::log(s / a);
  torch::Tensor x = x_t;
  torch::Tensor known;
  if (context.defined()) {
    known = maskChannels(mask, x_t.sizes(), torch::kBool);
    x = torch::where(known, perSample(torch::sqrt(norm2), x_t).to(x_t.scalar_type()) * context.to(x_t.scalar_type()), x_t);
  }
  torch::Tensor mu = model.mean(x, alpha.to(torch::kFloat32), sigma.to(torch::kFloat32), label, mask);
  r.mean = (context.defined() ? torch::where(known, context.to(mu.scalar_type()), mu) : mu).to(torch::kFloat32);
  return r;
}

torch::Tensor sampleFrom(DenoiserImpl& model, const torch::Tensor& x1, const torch::Tensor& label, const torch::Tensor& mask, const torch::Tensor& context,
                         const SamplerOptions& options, at::Generator& gen, int64_t* nfe) {
  ModelDenoiser net(model, label, mask);
  if (context.defined()) return sampleMasked(net, context.to(x1.scalar_type()), maskChannels(mask, x1.sizes(), torch::kBool), x1, options, gen, nfe);
  return sample(net, x1, options, gen, nfe);
}

}  // namespace latent
