#include "core/pch.h"

#include "nn/vit.h"
#include "nn/dropout.h"
#include "nn/fp32_linear.h"

#include <ATen/autocast_mode.h>

#include <atomic>
#include <cmath>
#include <limits>
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

std::atomic<bool> reference_path{false};

// y = x Wᵀ + b over the last axis, by the faster kernel for the case (the reference path: the layer's forward):
// - float32 where oneDNN's inner product is chosen (nn/fp32_linear.h: AMD CPUs, where MKL's sgemm runs AVX2),
//   training included;
// - under reduced-precision autocast at inference, one (bias-fused) 2-D addmm: at::linear on a 3-D input there
//   runs a matmul and then adds the float32 bias in place into the bf16 output, a mixed-precision pass that
//   converts the whole output to float32 and back;
// - otherwise the layer's forward: in float32 with MKL, at::linear's matmul + add is the faster of the two (MKL's
//   addmm first copies the bias into every row of the output), measured on the rollout bench.
torch::Tensor linearRows(torch::nn::LinearImpl& layer, const torch::Tensor& x) {
  if (ViTReferencePath()) return layer.forward(x);
  if (oneDnnLinearChosen(x)) return oneDnnLinear(x, layer.weight, layer.bias);
  if (!at::autocast::is_autocast_enabled(x.device().type()) || torch::GradMode::is_enabled()) return layer.forward(x);
  auto sizes = x.sizes().vec();
  sizes.back() = layer.weight.size(0);
  torch::Tensor rows = x.reshape({-1, x.size(-1)});
  torch::Tensor y = layer.bias.defined() ? at::addmm(layer.bias, rows, layer.weight.t()) : at::mm(rows, layer.weight.t());
  return y.view(sizes);
}

// x / sqrt(mean(x²) + 1e-5) · scale over the last axis (scale folds the attention's 1/√Dh into q). The mean of a
// bf16 x is float32; keep_type rounds the factor to x's type so that the product stays in x's type (without it a
// bf16 q is promoted to float32 and converted back before attention).
torch::Tensor rmsNorm(const torch::Tensor& x, double scale = 1.0, bool keep_type = false) {
  torch::Tensor factor = torch::rsqrt(x.square().mean(-1, true) + 1e-5);
  if (scale != 1.0) factor = factor * scale;
  return x * (keep_type ? factor.to(x.scalar_type()) : factor);
}

// Rotation of adjacent pairs (2i, 2i+1) by the angles whose cos/sin are given (H, N, D/2).
torch::Tensor rotatePairs(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  auto sizes = x.sizes().vec();
  std::vector<int64_t> pairs(sizes.begin(), sizes.end() - 1);
  pairs.push_back(sizes.back() / 2);
  pairs.push_back(2);
  torch::Tensor xp = x.reshape(pairs);
  torch::Tensor re = xp.select(-1, 0), im = xp.select(-1, 1);
  torch::Tensor c = cos.to(x.scalar_type()), s = sin.to(x.scalar_type());
  return torch::stack({re * c - im * s, re * s + im * c}, -1).reshape(sizes);
}

// The same rotation in fewer passes: as one complex product (re + i im)(cos + i sin) for float32/float64,
// else x·cos2 + swap(x)·sin2 with swap exchanging the two entries of each pair (3 passes instead of 8).
torch::Tensor rotate(const torch::Tensor& x, const RotaryTable& rope) {
  auto sizes = x.sizes().vec();
  std::vector<int64_t> pairs(sizes.begin(), sizes.end() - 1);
  pairs.push_back(sizes.back() / 2);
  pairs.push_back(2);
  const bool complex = rope.rotation.defined() && (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble) &&
                       c10::toRealValueType(rope.rotation.scalar_type()) == x.scalar_type();
  if (complex) return at::view_as_real(at::view_as_complex(x.contiguous().view(pairs)) * rope.rotation).view(sizes);
  if (!rope.cos2.defined()) return rotatePairs(x, rope.cos, rope.sin);
  torch::Tensor swapped = x.reshape(pairs).flip(-1).reshape(sizes);
  return at::addcmul(x * rope.cos2.to(x.scalar_type()), swapped, rope.sin2.to(x.scalar_type()));
}

// softmax(q kᵀ) v with q already scaled by 1/√Dh, as two batched matmuls and a softmax. On CPU at these token
// counts this is ~1.5× (fp32) to ~2× (bf16) faster than libtorch's flash-attention kernel, which runs its inner
// products one query block at a time. Reduced-precision scores: the softmax of a training step runs in float32
// (so its backward does too); at inference it runs on the bf16 scores, whose CPU kernel accumulates in float32
// and rounds only its output (the same values as float32 then rounding, without the two conversions).
torch::Tensor matmulAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask, bool inference) {
  torch::Tensor scores = at::matmul(q, k.transpose(-2, -1));  // (B, H, N, N)
  if (mask.defined()) scores = scores.masked_fill(mask.logical_not(), -std::numeric_limits<double>::infinity());
  const bool reduced = scores.scalar_type() == torch::kBFloat16 || scores.scalar_type() == torch::kHalf;
  torch::Tensor p = reduced && !inference ? at::softmax(scores, -1, torch::kFloat).to(v.scalar_type()) : at::softmax(scores, -1);
  return at::matmul(p, v);
}

// The explicit attention materialises the (B, H, N, N) scores; above this size (and on GPUs, where the fused
// kernels win) libtorch's SDPA kernel, which never does, runs instead.
constexpr int64_t kMaxScoresBytes = 32ll << 20;

}  // namespace

void SetViTReferencePath(bool on) { reference_path = on; }
bool ViTReferencePath() { return reference_path; }

torch::Tensor ViTAttentionImpl::forward(const torch::Tensor& x, const RotaryTable& rope, const torch::Tensor& mask) {
  const int64_t B = x.size(0), N = x.size(1), C = x.size(2), Dh = C / heads;
  const bool inference = !torch::GradMode::is_enabled();
  torch::Tensor qkv = linearRows(*qkv_proj, x)
                          .view({B, N, 3, heads, Dh})
                          .permute({2, 0, 3, 1, 4});
  torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  const bool lean = !ViTReferencePath() && x.device().is_cpu() && B * heads * N * N * int64_t(v.element_size()) <= kMaxScoresBytes;
  const double scale = lean ? 1.0 / std::sqrt(double(Dh)) : 1.0;
  if (qk_norm) {
    q = rmsNorm(q, scale, lean && inference);
    k = rmsNorm(k, 1.0, lean && inference);
  } else if (lean) {
    q = q * scale;
  }
  if (rope.defined()) {
    q = rotate(q, rope);  // the pairwise rotation when the tables are the reference path's
    k = rotate(k, rope);
  }
  q = q.to(v.scalar_type());
  k = k.to(v.scalar_type());
  // Boolean mask (N, N), True = attend; broadcast over batch and heads. Undefined: full attention.
  torch::Tensor y = lean                ? matmulAttention(q, k, v, mask, inference)
                    : mask.defined()    ? at::scaled_dot_product_attention(q, k, v, mask)
                                        : at::scaled_dot_product_attention(q, k, v);
  y = y.transpose(1, 2).reshape({B, N, C});
  return linearRows(*y_proj, y);
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
  ffn = register_module("ffn", Chain(torch::nn::Linear(C, o.ffn_factor * C), torch::nn::SiLU(), CounterDropout(o.dropout),
                                     torch::nn::Linear(o.ffn_factor * C, C)));
}

RotaryTable ViTBlockImpl::rotary(const torch::Tensor& coo, bool lean, bool complex) const {
  const int64_t C = options.channels;
  torch::Tensor angles = at::matmul(coo.to(theta.scalar_type()), theta);  // (N, C/2)
  angles = angles.view({coo.size(0), options.heads, C / (2 * options.heads)}).transpose(0, 1);
  RotaryTable r{angles.cos(), angles.sin(), {}, {}, {}};
  if (lean && complex) {
    r.rotation = at::complex(r.cos, r.sin);
  } else if (lean) {
    r.cos2 = r.cos.repeat_interleave(2, -1);
    r.sin2 = torch::stack({-r.sin, r.sin}, -1).flatten(-2);
  }
  return r;
}

torch::Tensor ViTBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mod, const RotaryTable& rope, const torch::Tensor& skip,
                                    const torch::Tensor& mask) {
  const int64_t C = options.channels;
  torch::Tensor a, b, c, d;
  if (ada_zero) {
    torch::Tensor ada = ada_zero->forward(mod).view({mod.size(0), 4, 1, C});
    a = ada.select(1, 0), b = ada.select(1, 1), c = ada.select(1, 2), d = ada.select(1, 3);
  } else {
    a = ada_zero_param[0], b = ada_zero_param[1], c = ada_zero_param[2], d = ada_zero_param[3];
  }
  if (ViTReferencePath()) {
    torch::Tensor y = (1 + a) * at::layer_norm(x, {C}, {}, {}, 1e-5) + b;
    y = y + msa->forward(y, rope, mask);
    y = ffn->forward(y);
    y = (x + c * y) * torch::rsqrt(1 + c.square());
    return (y + d * skip) * torch::rsqrt(1 + d.square());
  }
  // The same formulas with fused multiply-adds: y = (1 + a) LN(x) + b; y ← y + MSA(y); y ← FFN(y);
  // y ← (x + c y)/√(1 + c²); out = (y + d skip)/√(1 + d²).
  torch::Tensor y = at::addcmul(b, at::layer_norm(x, {C}, {}, {}, 1e-5), 1 + a);
  y = y + msa->forward(y, rope, mask);
  {
    // ffn = Linear, SiLU, dropout, Linear; without autograd and dropout the SiLU runs in place.
    torch::Tensor h = linearRows(*ffn[0]->as<torch::nn::Linear>(), y);
    if (!torch::GradMode::is_enabled() && !is_training()) {
      h = at::silu_(h);
    } else {
      h = ffn[2]->as<CounterDropout>()->forward(at::silu(h));
    }
    y = linearRows(*ffn[3]->as<torch::nn::Linear>(), h);
  }
  y = at::addcmul(x, c, y) * torch::rsqrt(1 + c.square());
  return at::addcmul(y, d, skip) * torch::rsqrt(1 + d.square());
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

  const GridTables t = gridTables(grid, x.device(), input.scalar_type());
  torch::Tensor h = linearRows(*in_proj, tokens);
  torch::Tensor skip = h;
  h = h + t.positions;
  for (size_t i = 0; i < blocks->size(); ++i) h = blocks[i]->as<ViTBlock>()->forward(h, mod, t.rope[i], skip, t.mask);
  torch::Tensor y = linearRows(*out_proj, h);  // (B, N, Cout·P)

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

bool ViTImpl::tablesKey(const std::vector<int64_t>& grid, const torch::Device& device, torch::ScalarType type, TablesKey& key) {
  key.grid = grid;
  key.device = device;
  key.type = type;
  key.autocast = at::autocast::is_autocast_enabled(device.type());
  key.autocast_type = key.autocast ? at::autocast::get_autocast_dtype(device.type()) : type;
  std::vector<torch::Tensor> used = positional_embedding->parameters();
  for (const auto& b : positional_embedding->buffers()) used.push_back(b);  // the sine encoding's frequencies
  for (const auto& block : *blocks) used.push_back(block->as<ViTBlock>()->theta);
  for (const auto& p : used) {
    if (p.is_inference()) return false;  // no version counter: changes could not be seen
    key.weights.emplace_back(p.unsafeGetTensorImpl(), int64_t(p._version()));
    key.weights.emplace_back(p.data_ptr(), 0);
  }
  return true;
}

ViTImpl::GridTables ViTImpl::gridTables(const std::vector<int64_t>& grid, const torch::Device& device, torch::ScalarType type) {
  TablesKey key;
  const bool cached = !torch::GradMode::is_enabled() && !ViTReferencePath() && tablesKey(grid, device, type, key);
  if (cached) {
    std::lock_guard<std::mutex> lock(mask_mutex_);
    if (tables_key_ && *tables_key_ == key) return tables_;
  }
  GridTables t;
  // Integer token coordinates (t, i, j[, k]) as floats, (N, S).
  const int64_t S = int64_t(grid.size());
  int64_t N = 1;
  for (auto g : grid) N *= g;
  std::vector<torch::Tensor> axes;
  auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  for (auto g : grid) axes.push_back(torch::arange(g, fopts));
  t.coo = torch::stack(torch::meshgrid(axes, "ij"), -1).reshape({N, S});
  if (type == torch::kDouble) t.coo = t.coo.to(torch::kDouble);
  t.positions = positional_embedding->forward(t.coo);
  // The complex rotation serves float32/float64 attention (under autocast the attention is in bf16/f16).
  const bool lean = !ViTReferencePath() && device.is_cpu();
  const bool complex = (type == torch::kFloat || type == torch::kDouble) && !at::autocast::is_autocast_enabled(device.type());
  for (const auto& block : *blocks) {
    auto b = block->as<ViTBlock>();
    t.rope.push_back(b->options.rope ? b->rotary(t.coo, lean, complex) : RotaryTable{});
  }
  t.mask = attentionMask(grid, device);
  if (cached) {
    std::lock_guard<std::mutex> lock(mask_mutex_);
    tables_key_ = std::move(key);
    tables_ = t;
  }
  return t;
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
