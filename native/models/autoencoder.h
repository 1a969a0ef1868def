// The DCAE autoencoder model (spec §3): configuration, encode/decode with input validation, the
// training losses (§3.2) and shape helpers. Submodules `encoder` / `decoder` give the reference's
// state-dict keys (encoder.descent..., decoder.ascent...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "nn/dcae.h"

namespace latent {

// Field names and defaults follow the reference config `dcae_f32c64_large` (2-D, r = 32, C_lat = 64).
struct AutoencoderConfig {
  int64_t pix_channels = 5;
  int64_t lat_channels = 64;
  std::vector<int64_t> hid_channels{64, 128, 256, 512, 768, 1024};
  std::vector<int64_t> hid_blocks{3, 3, 3, 3, 3, 3};
  int64_t kernel_size = 3;
  int64_t stride = 2;
  bool pixel_shuffle = true;
  bool identity_init = true;
  double dropout = 0.05;
  std::map<int64_t, int64_t> attention_heads;  // level -> heads; empty in the reference
  bool periodic = false;
  int spatial = 2;                      // 2: (B, C, H, W); 3: (B, C, H, W, D)
  std::string saturation = "softclip2";  // none, softclip, softclip2, tanh, arcsinh, rmsnorm
  // Latent noise std. Configured (0.01) in the reference but inert there: its training forward
  // decodes z directly and evaluation decodes with noisy=False. Here it is only applied by
  // decode(z, /*noisy=*/true); encode, forward and loss never add it.
  double noise = 0.01;
  std::string loss = "vrmse";       // vrmse, mse, mae, similarity
  double similarity_weight = 0.1;   // weight of the latent cosine-similarity term ("similarity" loss)

  // Throws std::invalid_argument naming the offending field.
  void validate() const;
  DCOptions encoderOptions() const;
  DCOptions decoderOptions() const;

  // JSON object with the field names above (attention_heads as {"<level>": heads}); used for the
  // `__metadata__` "config" entry of weights files. fromJson starts from the defaults, rejects
  // unknown keys and wrong types (std::invalid_argument), and validates the result.
  std::string toJson() const;
  static AutoencoderConfig fromJson(const std::string& text);
};

class AutoencoderImpl : public torch::nn::Module {
 public:
  explicit AutoencoderImpl(const AutoencoderConfig& config);

  // x: (B, pix_channels, *S) with every spatial size divisible by downsampling(); returns
  // (B, lat_channels, *S / r), saturated. Throws std::invalid_argument for a bad shape.
  torch::Tensor encode(const torch::Tensor& x);
  // z: (B, lat_channels, *s) -> (B, pix_channels, *s * r). noisy: add noise * N(0, 1) to z first.
  torch::Tensor decode(const torch::Tensor& z, bool noisy = false);
  // decode(encode(x)).
  torch::Tensor forward(const torch::Tensor& x);
  // Scalar training loss of the configured kind, computed in float32 (spec §3.2):
  //   vrmse: mean over (b, c) of sqrt(mean_S((x - y)^2) / (var_S(x) + 1e-2)), var unbiased
  //   mse: mean((x - y)^2); mae: mean(|x - y|)
  //   similarity: mae + similarity_weight * mean over pairs i != j of cos(z_i, z_j) (0 for B = 1)
  torch::Tensor loss(const torch::Tensor& x);

  // Total spatial downsampling factor r = stride^(levels - 1).
  int64_t downsampling() const;
  // Latent shape for an input shape (B, C, *S) or unbatched (C, *S); validates like encode.
  std::vector<int64_t> latentShape(const std::vector<int64_t>& inputShape) const;
  // Number of input values per latent value, e.g. 512*512*5 / (16*16*64) = 80.
  double compressionRate(const std::vector<int64_t>& inputShape) const;
  // Trainable parameters (buffers excluded).
  int64_t parameterCount() const;
  const AutoencoderConfig& config() const { return config_; }

  DCEncoder encoder{nullptr};
  DCDecoder decoder{nullptr};

 private:
  // Throws std::invalid_argument unless `shape` is (B, channels, *S) [or (channels, *S) when
  // allow_unbatched] with spatial sizes divisible by `multiple`.
  void checkShape(torch::IntArrayRef shape, int64_t channels, const char* channel_name, int64_t multiple,
                  bool allow_unbatched) const;

  AutoencoderConfig config_;
};
TORCH_MODULE(Autoencoder);

}  // namespace latent
