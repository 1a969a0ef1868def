#include "core/pch.h"

#include "models/denoiser.h"

#include "distributed/rank_rows.h"

#include <cmath>
#include <sstream>
#include <stdexcept>


namespace latent {

// ---------------------------------------------------------------------------------------------------
// Configuration

void EmulatorConfig::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("emulator config: " + what); };
  if (kind != "denoiser" && kind != "surrogate") bad("kind must be denoiser or surrogate, got \"" + kind + "\"");
  if (channels <= 0) bad("channels must be positive (the latent channels), got " + std::to_string(channels));
  if (label_features < 0) bad("label_features must be >= 0");
  if (spatial < 1 || spatial > 3) bad("spatial must be 1, 2 or 3, got " + std::to_string(spatial));
  if (!spatial_shape.empty() && int64_t(spatial_shape.size()) != spatial)
    bad("spatial_shape needs " + std::to_string(spatial) + " entries, got " + std::to_string(spatial_shape.size()));
  for (auto s : spatial_shape)
    if (s <= 0) bad("spatial_shape entries must be positive");
  if (window < 2) bad("window must be >= 2, got " + std::to_string(window));
  if (emb_features < 4 || emb_features % 2 != 0) bad("emb_features must be even and >= 4");
  if (schedule != "log_logit" && schedule != "log_linear") bad("unknown schedule \"" + schedule + "\" (expected log_logit or log_linear)");
  if (!(sigma_min > 0 && sigma_max > sigma_min)) bad("need 0 < sigma_min < sigma_max");
  if (time_prior != "uniform" && time_prior != "beta" && time_prior != "kumaraswamy")
    bad("unknown time_prior \"" + time_prior + "\" (expected uniform, beta or kumaraswamy)");
  if (!(prior_a > 0 && prior_b > 0)) bad("prior_a and prior_b must be positive");
  if (!(context_rate >= 0)) bad("context_rate must be >= 0");
  if (!(forward_probability >= 0 && forward_probability <= 1)) bad("forward_probability must be in [0, 1]");
  try {
    vitOptions().validate();
  } catch (const std::invalid_argument& e) {
    bad(e.what());
  }
}

ViTOptions EmulatorConfig::vitOptions() const {
  ViTOptions o;
  o.in_channels = channels;
  o.out_channels = channels;
  o.cond_channels = channels;
  o.mod_features = kind == "denoiser" || label_features > 0 ? emb_features : 0;
  o.hid_channels = hid_channels;
  o.hid_blocks = hid_blocks;
  o.attention_heads = attention_heads;
  o.ffn_factor = ffn_factor;
  o.spatial = spatial + 1;
  o.patch_size = patch_size;
  o.window_size = window_size;
  o.dropout = dropout;
  o.qk_norm = qk_norm;
  o.rope = rope;
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Schedule, masks

double Schedule::sigma(double t) const {
  if (name == "log_linear") return std::exp((1 - t) * std::log(sigma_min) + t * std::log(sigma_max));
  const double t_min = sigma_min / (1 + sigma_min), t_max = sigma_max / (1 + sigma_max);
  const double u = t_min + t * (t_max - t_min);
  return std::exp(scale * std::log(u / (1 - u)) + shift);
}

torch::Tensor Schedule::sigma(const torch::Tensor& t) const {
  if (name == "log_linear") return torch::exp((1 - t) * std::log(sigma_min) + t * std::log(sigma_max));
  const double t_min = sigma_min / (1 + sigma_min), t_max = sigma_max / (1 + sigma_max);
  torch::Tensor u = t_min + t * (t_max - t_min);
  return torch::exp(scale * torch::log(u / (1 - u)) + shift);
}

Schedule Schedule::of(const EmulatorConfig& c) {
  Schedule s;
  s.name = c.schedule;
  s.sigma_min = c.sigma_min;
  s.sigma_max = c.sigma_max;
  s.scale = c.schedule_scale;
  s.shift = c.schedule_shift;
  return s;
}

torch::Tensor randomContextMask(int64_t batch, int64_t length, double rate, double forward_probability, const torch::Device& device) {
  torch::Tensor counts = (at::poisson(torch::full({batch}, rate, torch::kDouble)).to(torch::kLong) % (length - 1)) + 1;
  torch::Tensor forward = torch::rand({batch}, torch::kDouble) < forward_probability;
  torch::Tensor pos = torch::arange(length, torch::kLong).unsqueeze(0);
  torch::Tensor c = counts.unsqueeze(1);
  torch::Tensor mask = torch::where(forward.unsqueeze(1), pos < c, pos >= length - c);
  return mask.to(device);
}

torch::Tensor perSample(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<int64_t> view{x.size(0)};
  for (int64_t i = 1; i < x.dim(); ++i) view.push_back(1);
  return v.view(view);
}

torch::Tensor maskChannels(const torch::Tensor& mask, torch::IntArrayRef shape, torch::ScalarType type) {
  std::vector<int64_t> view{mask.size(0), 1, mask.size(1)};
  for (size_t i = 3; i < shape.size(); ++i) view.push_back(1);
  return mask.to(type).view(view).expand(shape);
}

// ---------------------------------------------------------------------------------------------------
// Denoiser

DenoiserBackboneImpl::DenoiserBackboneImpl(const EmulatorConfig& c) {
  backbone = register_module("backbone", ViT(c.vitOptions()));
  const int64_t F = c.emb_features;
  time_embedding = register_module("time_embedding", Chain(SineEncoding(F), torch::nn::Linear(F, F), torch::nn::SiLU(), torch::nn::Linear(F, F)));
  if (c.label_features > 0)
    label_embedding = register_module("label_embedding", Chain(torch::nn::Linear(c.label_features, F), torch::nn::SiLU(), torch::nn::Linear(F, F)));
}

torch::Tensor DenoiserBackboneImpl::forward(const torch::Tensor& x, const torch::Tensor& c_noise, const torch::Tensor& label, const torch::Tensor& cond) {
  torch::Tensor mod = time_embedding->forward(c_noise);
  if (label_embedding) mod = mod + label_embedding->forward(label);
  return backbone->forward(x, cond, mod);
}

DenoiserImpl::DenoiserImpl(const EmulatorConfig& config) : config_(config) {
  config_.validate();
  schedule_ = Schedule::of(config_);
  backbone = register_module("backbone", DenoiserBackbone(config_));
}

torch::Tensor DenoiserImpl::mean(const torch::Tensor& x_t, const torch::Tensor& alpha, const torch::Tensor& sigma, const torch::Tensor& label,
                                 const torch::Tensor& mask) {
  const auto type = at::promote_types(x_t.scalar_type(), torch::kFloat32);
  torch::Tensor a = perSample(alpha.to(type), x_t), s = perSample(sigma.to(type), x_t);
  torch::Tensor norm2 = a.square() + s.square();
  torch::Tensor c_in = torch::rsqrt(norm2), c_out = s * c_in, c_skip = a / norm2;
  torch::Tensor c_noise = 10 * torch::log(sigma.to(type) / alpha.to(type));
  torch::Tensor cond = maskChannels(mask, x_t.sizes(), type);
  torch::Tensor f = backbone->forward(c_in * x_t.to(type), c_noise, label.defined() ? label.to(type) : label, cond).to(type);
  return c_skip * x_t.to(type) + c_out * f;
}

torch::Tensor DenoiserImpl::sampleTime(int64_t batch, const torch::Device& device) const {
  torch::Tensor u = torch::rand({batch});
  torch::Tensor t;
  if (config_.time_prior == "uniform") {
    t = u;
  } else if (config_.time_prior == "kumaraswamy") {
    // inverse CDF of Kumaraswamy(a, b): (1 − (1 − u)^(1/b))^(1/a)
    t = torch::pow(1 - torch::pow(1 - u, 1.0 / config_.prior_b), 1.0 / config_.prior_a);
  } else {  // beta(a, b) = Ga / (Ga + Gb)
    torch::Tensor ga = at::_standard_gamma(torch::full({batch}, config_.prior_a));
    torch::Tensor gb = at::_standard_gamma(torch::full({batch}, config_.prior_b));
    t = ga / (ga + gb);
  }
  return t.clamp(0, 1).to(device);
}

torch::Tensor DenoiserImpl::loss(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& given_mask) {
  const int64_t B = x.size(0), L = x.size(2);
  const auto type = at::promote_types(x.scalar_type(), torch::kFloat32);
  // Random draws for the global batch when data parallel (distributed/rank_rows.h).
  torch::Tensor mask = given_mask.defined() ? given_mask.to(x.device())
                                            : RankRows(B, [&](int64_t n) { return randomContextMask(n, L, config_.context_rate, config_.forward_probability, x.device()); });
  torch::Tensor t = RankRows(B, [&](int64_t n) { return sampleTime(n, x.device()); }).to(type);
  torch::Tensor alpha = schedule_.alpha(t), sigma = schedule_.sigma(t);
  torch::Tensor a = perSample(alpha, x), s = perSample(sigma, x);
  torch::Tensor xf = x.to(type);
  torch::Tensor noise = RankRows(B, [&](int64_t n) {
    std::vector<int64_t> shape = xf.sizes().vec();
    shape[0] = n;
    return torch::randn(shape, xf.options().memory_format(c10::MemoryFormat::Contiguous));
  });
  torch::Tensor x_t = a * xf + s * noise;
  torch::Tensor m = maskChannels(mask, x.sizes(), torch::kBool);
  x_t = torch::where(m, torch::sqrt(a.square() + s.square()) * xf, x_t);
  torch::Tensor mu = mean(x_t, alpha, sigma, label, mask);
  torch::Tensor var = s.square() / (a.square() + s.square());
  return ((mu - xf).square() / var).mean();
}

int64_t DenoiserImpl::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace latent
