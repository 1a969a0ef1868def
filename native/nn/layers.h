// Building blocks of the DCAE autoencoder (spec §3.1), named so that state-dict keys equal the
// reference's (state-dict-keys.md): ConvNd owns `weight`/`bias` directly, ChannelLayerNorm owns the
// 0-d buffer `eps`, ResBlock has children `norm`, [`attn`], `ffn` (0 conv, 1 SiLU, 2 dropout, 3 conv).
// All modules take channel-first inputs (B, C, H, W) or (B, C, H, W, D).
#pragma once

#include <cstdint>
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace latent {

// A Sequential with a concrete forward(Tensor) -> Tensor, so Sequentials can nest (libtorch's own
// Sequential has a templated forward and cannot be stored inside another Sequential). Children
// are named "0", "1", ... like torch.nn.Sequential, which is what the reference keys rely on.
class ChainImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(const torch::Tensor& x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(Chain);

// Conv over `spatial` (2 or 3) axes, kernel k^D, padding k/2 so stride 1 keeps the size.
// periodic: circular padding instead of zeros. identity_init: W <- 1e-2 W_default, then
// W[o, o mod C_in, center] += 1, so a fresh conv approximately copies (a cycle of) its input
// channels; this is what makes deep DCAEs trainable from the start (spec §3.2 ablation).
struct ConvNdOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int spatial = 2;
  int64_t kernel_size = 3;
  int64_t stride = 1;
  bool periodic = false;
  bool identity_init = false;
  bool bias = true;
};

class ConvNdImpl : public torch::nn::Module {
 public:
  explicit ConvNdImpl(const ConvNdOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  ConvNdOptions options;
  torch::Tensor weight;  // (C_out, C_in, k, k[, k])
  torch::Tensor bias;    // (C_out) or undefined
};
TORCH_MODULE(ConvNd);

// einops "B C (H h) (W w) -> B (C h w) H W" (and the 3-D analogue): channel c·f^D + offset index.
class SpaceToDepthImpl : public torch::nn::Module {
 public:
  SpaceToDepthImpl(int spatial, int64_t factor) : spatial(spatial), factor(factor) {}
  torch::Tensor forward(const torch::Tensor& x);
  int spatial;
  int64_t factor;
};
TORCH_MODULE(SpaceToDepth);

// Inverse of SpaceToDepth: "B (C h w) H W -> B C (H h) (W w)".
class DepthToSpaceImpl : public torch::nn::Module {
 public:
  DepthToSpaceImpl(int spatial, int64_t factor) : spatial(spatial), factor(factor) {}
  torch::Tensor forward(const torch::Tensor& x);
  int spatial;
  int64_t factor;
};
TORCH_MODULE(DepthToSpace);

// Functional forms (used by the modules above and by tests).
torch::Tensor spaceToDepth(const torch::Tensor& x, int spatial, int64_t factor);
torch::Tensor depthToSpace(const torch::Tensor& x, int spatial, int64_t factor);

// Nearest-neighbour upsampling by an integer factor on every spatial axis (pixel_shuffle = false).
class UpsampleImpl : public torch::nn::Module {
 public:
  UpsampleImpl(int spatial, int64_t factor) : spatial(spatial), factor(factor) {}
  torch::Tensor forward(const torch::Tensor& x);
  int spatial;
  int64_t factor;
};
TORCH_MODULE(Upsample);

// LayerNorm over the channel axis (dim 1), no affine: (x - mean_c) / sqrt(var_c + eps), with the
// unbiased variance (torch.var_mean default, as in the reference). eps is a 0-d float32 buffer
// because the reference stores it in its state dict (`...norm.eps`). Output keeps the input's dtype
// and memory format (channels-last inputs take a fused at::layer_norm path).
class ChannelLayerNormImpl : public torch::nn::Module {
 public:
  explicit ChannelLayerNormImpl(double eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor eps;

 private:
  double eps_value_ = -1;  // host copy of eps (no device sync per call)
  uint32_t eps_version_ = 0;
};
TORCH_MODULE(ChannelLayerNorm);

// Multi-head self-attention over the spatial positions of a (B, C, *S) map (only used when a level
// is configured with attention heads; the reference default has none). qkv_proj (no bias) and y_proj
// follow the reference MSA naming; q and k are RMS-normalized per head (qk_norm), as in its ViT.
class SelfAttentionNdImpl : public torch::nn::Module {
 public:
  SelfAttentionNdImpl(int64_t channels, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t heads;
  torch::nn::Linear qkv_proj{nullptr};
  torch::nn::Linear y_proj{nullptr};
};
TORCH_MODULE(SelfAttentionNd);

struct ResBlockOptions {
  int64_t channels = 0;
  int spatial = 2;
  int64_t kernel_size = 3;
  bool periodic = false;
  double dropout = 0.0;         // 0: Identity at ffn.2 (no weights either way)
  int64_t attention_heads = 0;  // 0: no attention
  int64_t ffn_factor = 1;
};

// y = LN(x); [y = y + MSA(y)]; y = Conv(Dropout(SiLU(Conv(y)))); return x + y. The last conv's
// weights are scaled by 1e-2 at init so every block starts close to the identity map.
class ResBlockImpl : public torch::nn::Module {
 public:
  explicit ResBlockImpl(const ResBlockOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  ChannelLayerNorm norm{nullptr};
  SelfAttentionNd attn{nullptr};
  torch::nn::Sequential ffn{nullptr};
};
TORCH_MODULE(ResBlock);

// Latent saturation (applied after the encoder's last conv), bound B = 5:
//   softclip  z / (1 + |z|/B)         softclip2 z / sqrt(1 + (z/B)^2)   tanh  B tanh(z/B)
//   arcsinh   asinh(z)                rmsnorm   z / sqrt(mean_c(z^2) + 1e-5)   none  z
enum class Saturation { None, Softclip, Softclip2, Tanh, Arcsinh, RmsNorm };
Saturation parseSaturation(const std::string& name);  // throws std::invalid_argument
std::string saturationName(Saturation s);
torch::Tensor saturate(const torch::Tensor& z, Saturation s, double bound = 5.0);

}  // namespace latent
