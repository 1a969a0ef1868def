// Deep-compression encoder/decoder (DCAE, spec §3.1). The nesting mirrors the reference so that
// state-dict keys match: encoder.descent.<level>.<block>, decoder.ascent.<deepest-first level>.<block>.
//
// Encoder, level i (hid_channels[i] = h_i, f = stride, D = spatial):
//   i = 0: ConvNd(C_in -> h_0) (default init)
//   i > 0: pixel_shuffle: Sequential(SpaceToDepth(f), ConvNd(f^D h_{i-1} -> h_i, identity init))  [weights at .0.1]
//          otherwise    : ConvNd(h_{i-1} -> h_i, stride f, identity init)                           [weights at .0]
//   hid_blocks[i] x ResBlock(h_i)
//   last level: ConvNd(h_last -> C_out, identity init), then the saturation.
// Decoder, level i from deepest to 0 (ascent index L-1-i):
//   deepest: ConvNd(C_in -> h_last, identity init)
//   hid_blocks[i] x ResBlock(h_i)
//   i > 0: pixel_shuffle: Sequential(ConvNd(h_i -> f^D h_{i-1}, identity init), DepthToSpace(f))  [weights at .<last>.0]
//          otherwise    : Sequential(Upsample(f, nearest), ConvNd(h_i -> h_{i-1}, identity init)) [weights at .<last>.1]
//   i = 0: ConvNd(h_0 -> C_out) (default init)
// "identity init" means: when options.identity_init (default true, as in the reference configs).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "nn/layers.h"

namespace latent {

struct DCOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  std::vector<int64_t> hid_channels{64, 128, 256, 512, 768, 1024};
  std::vector<int64_t> hid_blocks{3, 3, 3, 3, 3, 3};
  int spatial = 2;
  int64_t kernel_size = 3;
  int64_t stride = 2;  // down/up-sampling factor per level and axis
  bool pixel_shuffle = true;
  bool identity_init = true;
  bool periodic = false;  // circular padding in every conv (the reference AE configs use zeros)
  double dropout = 0.05;
  std::map<int64_t, int64_t> attention_heads;  // level -> heads; absent = no attention (reference default)
  Saturation saturation = Saturation::Softclip2;  // encoder only

  // Throws std::invalid_argument on inconsistent values.
  void validate() const;
};

class DCEncoderImpl : public torch::nn::Module {
 public:
  explicit DCEncoderImpl(const DCOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // (B, C_in, *S) -> (B, C_out, *S / f^(L-1)), saturated
  DCOptions options;
  Chain descent{nullptr};
};
TORCH_MODULE(DCEncoder);

class DCDecoderImpl : public torch::nn::Module {
 public:
  explicit DCDecoderImpl(const DCOptions& options);
  torch::Tensor forward(const torch::Tensor& z);  // (B, C_in, *s) -> (B, C_out, *s * f^(L-1))
  DCOptions options;
  Chain ascent{nullptr};
};
TORCH_MODULE(DCDecoder);

}  // namespace latent
