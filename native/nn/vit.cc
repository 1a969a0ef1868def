#include "core/pch.h"

#include "nn/vit.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace latent {

namespace nnf = torch::nn::functional;

SineEncodingImpl::SineEncodingImpl(int64_t features, double omega) {
  if (features < 4 || features % 2 != 0) throw std::invalid_argument("sine encoding needs an even number of features >= 4, got " + std::to_string(features));
  // omega^(−linspace(0, 1, D/2)), as in the reference.
  freqs = register_buffer("freqs", torch::pow(omega, -torch::linspace(0.0, 1.0, features / 2, torch::kFloat32)));
}

torch::Tensor SineEncodingImpl::forward(const torch::Tensor& x) {
  torch::Tensor p = x.unsqueeze(-1) * freqs.to(x.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat);
  return torch::cat({p.sin(), p.cos()}, -1);
}

ViTAttentionImpl::ViTAttentionImpl(int64_t channels, int64_t heads, bool qk_norm) : heads(heads), qk_norm(qk_norm) {
  qkv_proj = register_module("qkv_proj", torch::nn::Linear(torch::nn::LinearOptions(channels, 3 * channels).bias(false)));
  y_proj = register_module("y_proj", torch::nn::Linear(channels, channels));
}

namespace {

torch::Tensor rmsNorm(const torch::Tensor& x) {
  return x * torch::rsqrt(x.square().mean(-1, true) + 1e-5);
}

// Rotation of adjacent pairs (2i, 2i+1) by the angles whose cos/sin are given (H, N, D/2).
torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  auto sizes = x.sizes().vec();
  std::vector<int64_t> pairs(sizes.begin(), sizes.end() - 1);
  pairs.push_back(sizes.back() / 2);
  pairs.push_back(2);
  torch::Tensor xp = x.reshape(pairs);
  torch::Tensor re = xp.select(-1, 0), im = xp.select(-1, 1);
  torch::Tensor c = cos.to(x.scalar_type()), s = sin.to(x.scalar_type());
  return torch::stack({re * c - im * s, re * s + im * c}, -1).reshape(sizes);
}

}  // namespace

torch::Tensor ViTAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask) {
  const int64_t B = x.size(0), N = x.size(1), C = x.size(2), Dh = C / heads;
  torch::Tensor qkv = qkv_proj->forward(x).view({B, N, 3, heads, Dh}).permute({2, 0, 3, 1, 4});
  torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  if (qk_norm) {
    q = rmsNorm(q);
    k = rmsNorm(k);
  }
  if (cos.defined()) {
    q = rotate(q, cos, sin);
    k = rotate(k, cos, sin);
  }
  q = q.to(v.scalar_type());
  k = k.to(v.scalar_type());
  // Boolean mask (N, N), True = attend; broadcast over batch and heads. Undefined: full attention.
  torch::Tensor y = mask.defined() ? at::scaled_dot_product_attention(q, k, v, mask) : at::scaled_dot_product_attention(q, k, v);
  return y_proj->forward(y.transpose(1, 2).reshape({B, N, C}));
}

ViTBlockImpl::ViTBlockImpl(const ViTBlockOptions& o) : options(o) {
  const int64_t C = o.channels;
  {
    // 100^(−U[0,1]) times a random unit direction over the S axes, per angle.
    torch::NoGradGuard no_grad;
    torch::Tensor direction = torch::randn({o.spatial, C / 2});
    direction = direction / direction.norm(2, 0, true);
    torch::Tensor magnitude = torch::pow(100.0, -torch::rand({C / 2}));
    theta = register_parameter("theta", direction * magnitude, /*requires_grad=*/o.rope);
  }
  if (o.mod_features > 0) {
    ada_zero = register_module("ada_zero", Chain(torch::nn::Linear(o.mod_features, o.mod_features), torch::nn::SiLU(),
                                                 torch::nn::Linear(o.mod_features, 4 * C)));
    torch::NoGradGuard no_grad;
    ada_zero[2]->as<torch::nn::Linear>()->weight.mul_(1e-2);
  } else {
    ada_zero_param = register_parameter("ada_zero", torch::randn({4, C}) * 1e-2);
  }
  msa = register_module("msa", ViTAttention(C, o.heads, o.qk_norm));
  ffn = register_module("ffn", Chain(torch::nn::Linear(C, o.ffn_factor * C), torch::nn::SiLU(), torch::nn::Dropout(o.dropout),
                                     torch::nn::Linear(o.ffn_factor * C, C)));
}

torch::Tensor ViTBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mod, const torch::Tensor& coo, const torch::Tensor& skip,
                                    const torch::Tensor& mask) {
  const int64_t C = options.channels;
  torch::Tensor a, b, c, d;
  if (ada_zero) {
    torch::Tensor ada = ada_zero->forward(mod).view({mod.size(0), 4, 1, C});
    a = ada.select(1, 0), b = ada.select(1, 1), c = ada.select(1, 2), d = ada.select(1, 3);
  } else {
    a = ada_zero_param[0], b = ada_zero_param[1], c = ada_zero_param[2], d = ada_zero_param[3];
  }
  torch::Tensor y = (1 + a) * at::layer_norm(x, {C}, {}, {}, 1e-5) + b;
  torch::Tensor cos, sin;
  if (options.rope) {
    torch::Tensor angles = at::matmul(coo.to(theta.scalar_type()), theta);  // (N, C/2)
    angles = angles.view({coo.size(0), options.heads, C / (2 * options.heads)}).transpose(0, 1);
    cos = angles.cos();
    sin = angles.sin();
  }
  y = y + msa->forward(y, cos, sin, mask);
  y = ffn->forward(y);
  y = (x + c * y) * torch::rsqrt(1 + c.square());
  return (y + d * skip) * torch::rsqrt(1 + d.square());
}

void ViTOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (in_channels <= 0) bad("channels must be positive");
  if (out_channels <= 0) bad("out channels must be positive");
  if (hid_channels <= 0 || hid_blocks < 0) bad("hid_channels must be positive and hid_blocks non-negative");
  if (attention_heads <= 0 || hid_channels % attention_heads != 0)
    bad("hid_channels (" + std::to_string(hid_channels) + ") must be divisible by attention_heads (" + std::to_string(attention_heads) + ")");
  if ((hid_channels / attention_heads) % 2 != 0) bad("the head dimension hid_channels / attention_heads must be even (rotary pairs)");
  if (hid_channels % 2 != 0 || hid_channels < 4) bad("hid_channels must be even and >= 4");
  if (ffn_factor <= 0) bad("ffn_factor must be positive");
  if (spatial < 1 || spatial > 4) bad("spatial (token axes incl. time) must be 1..4, got " + std::to_string(spatial));
  if (!patch_size.empty() && int64_t(patch_size.size()) != spatial)
    bad("patch_size needs one entry per axis (" + std::to_string(spatial) + "), got " + std::to_string(patch_size.size()));
  for (auto p : patch_size)
    if (p <= 0) bad("patch_size entries must be positive");
  if (dropout < 0 || dropout >= 1) bad("dropout must be in [0, 1)");
  if (!window_size.empty()) {
    if (int64_t(window_size.size()) != spatial)
      bad("window_size needs one entry per token axis (" + std::to_string(spatial) + ": time first, then each spatial axis), got " +
          std::to_string(window_size.size()));
    for (auto w : window_size)
      if (w <= 0 || w % 2 == 0)
        bad("window_size entries must be positive odd integers (a token sees w // 2 tokens on each side), got " + std::to_string(w));
  }
}

int64_t ViTOptions::patchVolume() const {
  int64_t v = 1;
  for (auto p : patch_size) v *= p;
  return v;
}

ViTImpl::ViTImpl(const ViTOptions& o) : options(o) {
  options.validate();
  if (options.patch_size.empty()) options.patch_size.assign(size_t(options.spatial), 1);
  const int64_t C = options.hid_channels, P = options.patchVolume();
  in_proj = register_module("in_proj", torch::nn::Linear(P * (options.in_channels + options.cond_channels), C));
  out_proj = register_module("out_proj", torch::nn::Linear(C, P * options.out_channels));
  positional_embedding = register_module(
      "positional_embedding",
      Chain(SineEncoding(C), torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(-2).end_dim(-1)),
            torch::nn::Linear(options.spatial * C, C)));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.hid_blocks; ++i) {
    ViTBlockOptions b;
    b.channels = C;
    b.mod_features = options.mod_features;
    b.heads = options.attention_heads;
    b.ffn_factor = options.ffn_factor;
    b.spatial = options.spatial;
    b.dropout = options.dropout;
    b.qk_norm = options.qk_norm;
    b.rope = options.rope;
    blocks->push_back(ViTBlock(b));
  }
}

torch::Tensor ViTImpl::forward(const torch::Tensor& input, const torch::Tensor& cond, const torch::Tensor& mod) {
  const int S = options.spatial;
  if (input.dim() != S + 2) throw std::invalid_argument("ViT: expected a " + std::to_string(S + 2) + "-D input, got " + std::to_string(input.dim()) + "-D");
  torch::Tensor x = input;
  if (cond.defined()) {
    auto shape = input.sizes().vec();
    shape[1] = cond.size(1);
    x = torch::cat({input, cond.to(input.scalar_type()).expand(shape)}, 1);
  }
  const int64_t B = x.size(0), Cx = x.size(1);
  std::vector<int64_t> grid, split{B, Cx}, perm{0};
  for (int s = 0; s < S; ++s) {
    const int64_t g = x.size(2 + s), p = options.patch_size[size_t(s)];
    if (g % p != 0) throw std::invalid_argument("ViT: axis " + std::to_string(s) + " of size " + std::to_string(g) + " is not divisible by the patch size " + std::to_string(p));
    grid.push_back(g / p);
    split.push_back(g / p);
    split.push_back(p);
  }
  for (int s = 0; s < S; ++s) perm.push_back(2 + 2 * s);
  perm.push_back(1);
  for (int s = 0; s < S; ++s) perm.push_back(3 + 2 * s);
  int64_t N = 1;
  for (auto g : grid) N *= g;
  const int64_t P = options.patchVolume();
  torch::Tensor tokens = x.reshape(split).permute(perm).reshape({B, N, Cx * P});

  // Integer token coordinates (t, i, j[, k]) as floats, (N, S).
  std::vector<torch::Tensor> axes;
  auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(x.device());
  for (auto g : grid) axes.push_back(torch::arange(g, fopts));
  torch::Tensor coo = torch::stack(torch::meshgrid(axes, "ij"), -1).reshape({N, S});
  if (input.scalar_type() == torch::kDouble) coo = coo.to(torch::kDouble);

  torch::Tensor h = in_proj->forward(tokens);
  torch::Tensor skip = h;
  h = h + positional_embedding->forward(coo);
  const torch::Tensor mask = attentionMask(grid, x.device());  // undefined: full attention
  for (const auto& block : *blocks) h = block->as<ViTBlock>()->forward(h, mod, coo, skip, mask);
  torch::Tensor y = out_proj->forward(h);  // (B, N, Cout·P)

  // Unpatchify: (B, g0.., Cout, p0..) → (B, Cout, g0 p0, ...).
  const int64_t Co = options.out_channels;
  std::vector<int64_t> shape{B};
  for (auto g : grid) shape.push_back(g);
  shape.push_back(Co);
  for (auto p : options.patch_size) shape.push_back(p);
  std::vector<int64_t> inv{0, S + 1};
  for (int s = 0; s < S; ++s) {
    inv.push_back(1 + s);
    inv.push_back(S + 2 + s);
  }
  std::vector<int64_t> out{B, Co};
  for (int s = 0; s < S; ++s) out.push_back(input.size(2 + s));
  return y.reshape(shape).permute(inv).reshape(out);
}

torch::Tensor ViTImpl::attentionMask(const std::vector<int64_t>& grid, const torch::Device& device) {
  if (options.window_size.empty()) return {};
  std::lock_guard<std::mutex> lock(mask_mutex_);
  for (const auto& e : mask_cache_)
    if (e.grid == grid && e.device == device) return e.mask;
  // A normal tensor even when called under InferenceMode, so that training passes may save it for backward.
  c10::InferenceMode normal(false);
  torch::NoGradGuard no_grad;
  // The token order is row-major over (t, i, j[, k]), so mask[(t,i,..), (t',i',..)] = Π_a M_a[x_a, x'_a] with
  // M_a (g_a, g_a) the per-axis neighbourhood: min(|Δ|, g_a − |Δ|) <= w_a / 2 (periodic on every axis,
  // time included, as the reference's coo_and_mask). Each M_a is viewed with its two axes at positions a
  // and S + a of a (g_0, .., g_{S−1}, g_0, .., g_{S−1}) grid; the product is built by broadcasting, so
  // only the (N, N) result is ever allocated.
  const int64_t S = int64_t(grid.size());
  int64_t N = 1;
  for (auto g : grid) N *= g;
  auto iopts = torch::TensorOptions().dtype(torch::kInt64).device(device);
  torch::Tensor mask;
  for (int64_t a = 0; a < S; ++a) {
    const int64_t g = grid[size_t(a)], half = options.window_size[size_t(a)] / 2;
    torch::Tensor r = torch::arange(g, iopts);
    torch::Tensor d = (r.unsqueeze(1) - r.unsqueeze(0)).abs();
    torch::Tensor m = torch::minimum(d, g - d) <= half;  // (g, g) bool
    std::vector<int64_t> view(size_t(2 * S), 1);
    view[size_t(a)] = g;
    view[size_t(S + a)] = g;
    m = m.view(view);
    mask = mask.defined() ? mask.logical_and(m) : m;
  }
  std::vector<int64_t> full(grid);
  full.insert(full.end(), grid.begin(), grid.end());
  mask = mask.expand(full).reshape({N, N}).contiguous();
  constexpr size_t kCached = 4;
  if (mask_cache_.size() >= kCached) mask_cache_.pop_front();
  mask_cache_.push_back({grid, device, mask});
  return mask;
}

double vitForwardMacs(const ViTOptions& o, int64_t tokens) {
  const double N = double(tokens), C = double(o.hid_channels), P = double(o.patchVolume());
  double block = (4 + 2 * o.ffn_factor) * N * C * C + 2 * N * N * C;
  double proj = N * P * (o.in_channels + o.cond_channels) * C + N * C * P * o.out_channels + N * o.spatial * C * C;
  return o.hid_blocks * block + proj;
}

}  // namespace latent
