#include "core/pch.h"

#include "sample/guided_rollout.h"

#include <stdexcept>
#include <vector>

#include "sample/open_denoiser.h"

namespace latent {

torch::Tensor observe(const std::string& kind, int64_t factor, const torch::Tensor& x) {
  const int64_t D = x.dim() - 2;
  if (factor == 1) return x;
  if (kind == "subsample") {
    torch::Tensor y = x;
    for (int64_t d = 0; d < D; ++d) y = y.slice(2 + d, 0, c10::nullopt, factor);
    return y;
  }
  if (kind != "downscale") throw std::invalid_argument("observation operator must be subsample or downscale, got \"" + kind + "\"");
  // (M, C, S0, S1, …) → (M, C, S0/N, N, S1/N, N, …), mean over the N axes.
  std::vector<int64_t> view{x.size(0), x.size(1)}, axes;
  for (int64_t d = 0; d < D; ++d) {
    view.push_back(x.size(2 + d) / factor);
    view.push_back(factor);
    axes.push_back(3 + 2 * d);
  }
  return x.reshape(view).mean(axes);
}

torch::Tensor guidedRollout(DenoiserImpl& model, const Decoder& decode, const torch::Tensor& context, const torch::Tensor& label, const RolloutOptions& o,
                            const ObservationSpec& spec, at::Generator& gen, int64_t* nfe) {
  spec.solver.validate();
  const int64_t N = context.size(0), L = o.window, T = spec.observations.size(1);
  torch::Tensor flat_observed;  // indices of the observed entries of one state's (C·∏obs) values
  if (spec.observed.defined()) flat_observed = spec.observed.flatten().nonzero().squeeze(1).to(context.device());
  int64_t start = 0;  // trajectory index of the current window's first state
  const double var_y = spec.obs_noise * spec.obs_noise;
  WindowEmulator emulate = [&](const torch::Tensor& y, const torch::Tensor& mask) {
    const int64_t s = start;
    start += o.cropped() - o.overlap;
    const int64_t known = mask[0].sum().item<int64_t>();
    const int64_t n = std::max<int64_t>(0, std::min(L, T - s) - known);  // new states with observations
    ModelDenoiser net(model, label, mask);
    const torch::Tensor known_channels = maskChannels(mask, y.sizes(), torch::kBool);
    if (n == 0) return sampleMasked(net, y, known_channels, torch::Tensor(), o.sampler, gen, nfe);
    auto select = [&](const torch::Tensor& a) {  // (N, n, C·∏obs) → (N, m)
      return (flat_observed.defined() ? a.index_select(2, flat_observed) : a).reshape({N, -1});
    };
    const torch::Tensor y_obs = select(spec.observations.narrow(1, s + known, n).reshape({N, n, -1}).to(context.device(), torch::kFloat));
    ObservationOperator A = [&](const torch::Tensor& z) {
      torch::Tensor w = z.narrow(2, known, n).transpose(1, 2);  // (N, n, C_lat, *s)
      std::vector<int64_t> states{N * n};
      for (int64_t d = 2; d < w.dim(); ++d) states.push_back(w.size(d));
      torch::Tensor x = decode(w.reshape(states));  // (N·n, C, *S)
      return select(observe(spec.kind, spec.factor, x).reshape({N, n, -1}));
    };
    MmpsDenoiser guided(net, A, y_obs, var_y, spec.solver);
    return sampleMasked(guided, y, known_channels, torch::Tensor(), o.sampler, gen, nfe);
  };
  return rollout(emulate, context, o);
}

}  // namespace latent
