#include "core/pch.h"

#include "nn/layers.h"
#include "nn/channel_norm.h"
#include "nn/dropout.h"

#include <cmath>
#include <stdexcept>

namespace latent {

namespace {

void checkSpatial(int spatial) {
  if (spatial != 2 && spatial != 3)
    throw std::invalid_argument("spatial must be 2 or 3, got " + std::to_string(spatial));
}

}  // namespace

// ---------------------------------------------------------------------------------------------- ConvNd

ConvNdImpl::ConvNdImpl(const ConvNdOptions& opts) : options(opts) {
  checkSpatial(options.spatial);
  if (options.in_channels <= 0 || options.out_channels <= 0 || options.kernel_size <= 0 || options.stride <= 0)
    throw std::invalid_argument("ConvNd: channels, kernel_size and stride must be positive");
  std::vector<int64_t> shape{options.out_channels, options.in_channels};
  for (int i = 0; i < options.spatial; ++i) shape.push_back(options.kernel_size);
  weight = register_parameter("weight", torch::empty(shape));
  if (options.bias) bias = register_parameter("bias", torch::empty({options.out_channels}));

  torch::NoGradGuard no_grad;
  // PyTorch's default conv init: kaiming_uniform(a=sqrt(5)) = U(±1/sqrt(fan_in)), same bound for bias.
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  const int64_t fan_in = weight[0].numel();
  const double bound = 1.0 / std::sqrt(double(fan_in));
  if (options.bias) bias.uniform_(-bound, bound);

  if (options.identity_init) {
    weight.mul_(1e-2);
    int64_t center = 0;  // flat index of the kernel center (k//2 on every axis)
    for (int i = 0; i < options.spatial; ++i) center = center * options.kernel_size + options.kernel_size / 2;
    auto flat = weight.view({options.out_channels, options.in_channels, -1});
    auto acc = flat.accessor<float, 3>();
    for (int64_t o = 0; o < options.out_channels; ++o) acc[o][o % options.in_channels][center] += 1.0f;
  }
}

torch::Tensor ConvNdImpl::forward(const torch::Tensor& input) {
  const int64_t pad = options.kernel_size / 2;
  std::vector<int64_t> stride(options.spatial, options.stride);
  std::vector<int64_t> padding(options.spatial, pad);
  torch::Tensor x = input;
  if (options.periodic && pad > 0) {
    x = at::pad(x, std::vector<int64_t>(2 * options.spatial, pad), "circular");
    // at::pad returns the plain layout; a channels-last input (the DCAE's, nn/dcae.cc) stays channels-last.
    if (!input.is_contiguous()) x = x.contiguous(input.suggest_memory_format());
    std::fill(padding.begin(), padding.end(), 0);
  }
  return options.spatial == 2 ? at::conv2d(x, weight, bias, stride, padding)
                              : at::conv3d(x, weight, bias, stride, padding);
}

// ------------------------------------------------------------------------------ space <-> depth

torch::Tensor spaceToDepth(const torch::Tensor& x, int spatial, int64_t f) {
  checkSpatial(spatial);
  if (x.dim() != spatial + 2) throw std::invalid_argument("spaceToDepth: expected (B, C, *spatial) input");
  if (spatial == 2) return at::pixel_unshuffle(x, f);  // same (C h w) channel order, fused kernel
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2) / f, W = x.size(3) / f, Z = x.size(4) / f;
  return x.reshape({B, C, H, f, W, f, Z, f}).permute({0, 1, 3, 5, 7, 2, 4, 6}).reshape({B, C * f * f * f, H, W, Z});
}

torch::Tensor depthToSpace(const torch::Tensor& x, int spatial, int64_t f) {
  checkSpatial(spatial);
  if (x.dim() != spatial + 2) throw std::invalid_argument("depthToSpace: expected (B, C, *spatial) input");
  if (spatial == 2) return at::pixel_shuffle(x, f);
  const int64_t B = x.size(0), C = x.size(1) / (f * f * f), H = x.size(2), W = x.size(3), Z = x.size(4);
  return x.reshape({B, C, f, f, f, H, W, Z}).permute({0, 1, 5, 2, 6, 3, 7, 4}).reshape({B, C, H * f, W * f, Z * f});
}

torch::Tensor SpaceToDepthImpl::forward(const torch::Tensor& x) { return spaceToDepth(x, spatial, factor); }
torch::Tensor DepthToSpaceImpl::forward(const torch::Tensor& x) { return depthToSpace(x, spatial, factor); }

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .scale_factor(std::vector<double>(spatial, double(factor)))
                               .mode(torch::kNearest));
}

// ------------------------------------------------------------------------------ ChannelLayerNorm

ChannelLayerNormImpl::ChannelLayerNormImpl(double e) {
  eps = register_buffer("eps", torch::tensor(e, torch::kFloat32));
}

torch::Tensor ChannelLayerNormImpl::forward(const torch::Tensor& x) {
  const int64_t C = x.size(1), D = x.dim();
  const bool reduced = x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kFloat16;
  if (eps_version_ != eps._version() || eps_value_ < 0) {  // host copy; refreshed when eps is loaded
    eps_value_ = eps.item<double>();
    eps_version_ = eps._version();
  }
  // Channels-last float32/bf16 on CPU (the DCAE's activations): one pass per pixel (nn/channel_norm.h).
  if (channelNormApplies(x)) return channelNorm(x, eps_value_);
  const auto cl = D == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
  if (C >= 2 && (D == 4 || D == 5) && x.is_contiguous(cl) && !x.is_contiguous()) {
    // Other channels-last inputs (fp16/fp64, other devices, or LATENT_EMULATOR_CHANNEL_NORM=torch): the
    // channel axis is innermost, so the fused at::layer_norm over the last
    // axis of the permuted view applies without copies (output stays channels-last). It uses the
    // biased variance v_b = v_u (C-1)/C, hence
    //   (x - m) / sqrt(v_u + eps) = sqrt((C-1)/C) * (x - m) / sqrt(v_b + eps (C-1)/C),
    // with the scale passed as the LN weight. (Permuting a plain NCHW tensor instead mixes layouts
    // downstream, which made small convs much slower in a measurement, so that path is not used.)
    std::vector<int64_t> to_last{0}, from_last{0, D - 1};
    for (int64_t d = 2; d < D; ++d) to_last.push_back(d), from_last.push_back(d - 1);
    to_last.push_back(1);
    const double k = double(C - 1) / double(C);
    // A float32 scale for bf16/fp16 inputs: libtorch's mixed-type layer_norm (reduced-precision data, float
    // weight) is the faster kernel there, forward and backward. Other dtypes: the input's (float64 stays so).
    torch::Tensor scale = at::full({C}, std::sqrt(k), x.options().dtype(reduced ? at::kFloat : x.scalar_type()));
    return at::layer_norm(x.permute(to_last), {C}, scale, {}, eps_value_ * k).permute(from_last);
  }
  // Plain layout: unbiased var_mean over the channel axis (torch.var_mean default, as the reference).
  // Reduced-precision inputs are normalized in float32 and cast back (bf16 statistics are too coarse).
  const torch::Tensor xf = reduced ? x.to(torch::kFloat32) : x;
  auto [var, mean] = at::var_mean(xf, /*dim=*/{1}, /*correction=*/1, /*keepdim=*/true);
  torch::Tensor y = (xf - mean) * at::rsqrt(var + eps_value_);
  return reduced ? y.to(x.scalar_type()) : y;
}

// ------------------------------------------------------------------------------ SelfAttentionNd

SelfAttentionNdImpl::SelfAttentionNdImpl(int64_t channels, int64_t h) : heads(h) {
  if (heads <= 0 || channels % heads != 0)
    throw std::invalid_argument("attention heads (" + std::to_string(heads) + ") must divide the channels (" +
                                std::to_string(channels) + ")");
  qkv_proj = register_module("qkv_proj", torch::nn::Linear(torch::nn::LinearOptions(channels, 3 * channels).bias(false)));
  y_proj = register_module("y_proj", torch::nn::Linear(channels, channels));
}

torch::Tensor SelfAttentionNdImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), C = x.size(1), d = C / heads;
  torch::Tensor tokens = x.flatten(2).transpose(1, 2);  // (B, N, C)
  const int64_t N = tokens.size(1);
  auto qkv = qkv_proj->forward(tokens).view({B, N, 3, heads, d}).permute({2, 0, 3, 1, 4});  // (3, B, H, N, d)
  auto rms = [](const torch::Tensor& t) { return t * at::rsqrt(t.square().mean(-1, true) + 1e-5); };
  torch::Tensor y = at::scaled_dot_product_attention(rms(qkv[0]), rms(qkv[1]), qkv[2]);  // (B, H, N, d)
  y = y_proj->forward(y.transpose(1, 2).reshape({B, N, C}));
  return y.transpose(1, 2).reshape(x.sizes());
}

// ------------------------------------------------------------------------------ ResBlock

ResBlockImpl::ResBlockImpl(const ResBlockOptions& o) {
  norm = register_module("norm", ChannelLayerNorm());
  if (o.attention_heads > 0) attn = register_module("attn", SelfAttentionNd(o.channels, o.attention_heads));
  ConvNdOptions c;
  c.spatial = o.spatial;
  c.kernel_size = o.kernel_size;
  c.periodic = o.periodic;
  c.in_channels = o.channels;
  c.out_channels = o.channels * o.ffn_factor;
  ConvNd first(c);
  std::swap(c.in_channels, c.out_channels);
  ConvNd last(c);
  {
    torch::NoGradGuard no_grad;
    last->weight.mul_(1e-2);
  }
  ffn = torch::nn::Sequential();
  ffn->push_back(first);
  ffn->push_back(torch::nn::SiLU());
  if (o.dropout > 0) ffn->push_back(CounterDropout(o.dropout));
  else ffn->push_back(torch::nn::Identity());
  ffn->push_back(last);
  register_module("ffn", ffn);
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = norm->forward(x);
  if (attn) y = y + attn->forward(y);
  return x + ffn->forward(y);
}

// ------------------------------------------------------------------------------ saturation

Saturation parseSaturation(const std::string& name) {
  if (name == "none") return Saturation::None;
  if (name == "softclip") return Saturation::Softclip;
  if (name == "softclip2") return Saturation::Softclip2;
  if (name == "tanh") return Saturation::Tanh;
  if (name == "arcsinh") return Saturation::Arcsinh;
  if (name == "rmsnorm") return Saturation::RmsNorm;
  throw std::invalid_argument("unknown saturation \"" + name +
                              "\" (expected none, softclip, softclip2, tanh, arcsinh or rmsnorm)");
}

std::string saturationName(Saturation s) {
  switch (s) {
    case Saturation::None: return "none";
    case Saturation::Softclip: return "softclip";
    case Saturation::Softclip2: return "softclip2";
    case Saturation::Tanh: return "tanh";
    case Saturation::Arcsinh: return "arcsinh";
    case Saturation::RmsNorm: return "rmsnorm";
  }
  return "none";
}

torch::Tensor saturate(const torch::Tensor& z, Saturation s, double bound) {
  switch (s) {
    case Saturation::None: return z;
    case Saturation::Softclip: return z / (1 + z.abs() / bound);
    case Saturation::Softclip2: return z * at::rsqrt(1 + (z / bound).square());
    case Saturation::Tanh: return at::tanh(z / bound) * bound;
    case Saturation::Arcsinh: return at::asinh(z);
    case Saturation::RmsNorm: return z * at::rsqrt(z.square().mean(1, true) + 1e-5);
  }
  return z;
}

}  // namespace latent
