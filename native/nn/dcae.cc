#include "core/pch.h"

#include "nn/dcae.h"

#include "core/env_setting.h"

#include <cstdlib>
#include <stdexcept>

namespace latent {

void DCOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (spatial != 2 && spatial != 3) bad("spatial must be 2 or 3, got " + std::to_string(spatial));
  if (in_channels <= 0 || out_channels <= 0) bad("channel counts must be positive");
  if (hid_channels.empty()) bad("hid_channels must not be empty");
  if (hid_channels.size() != hid_blocks.size())
    bad("hid_channels and hid_blocks must have the same length (" + std::to_string(hid_channels.size()) + " vs " +
        std::to_string(hid_blocks.size()) + ")");
  for (auto c : hid_channels)
    if (c <= 0) bad("hid_channels entries must be positive");
  for (auto b : hid_blocks)
    if (b < 0) bad("hid_blocks entries must be non-negative");
  if (kernel_size <= 0 || kernel_size % 2 == 0) bad("kernel_size must be odd and positive, got " + std::to_string(kernel_size));
  if (stride < 1) bad("stride must be >= 1");
  if (dropout < 0 || dropout >= 1) bad("dropout must be in [0, 1)");
  for (auto [level, heads] : attention_heads) {
    if (level < 0 || level >= int64_t(hid_channels.size()))
      bad("attention_heads level " + std::to_string(level) + " is out of range");
    if (heads <= 0 || hid_channels[level] % heads != 0)
      bad("attention_heads at level " + std::to_string(level) + " (" + std::to_string(heads) +
          ") must divide hid_channels (" + std::to_string(hid_channels[level]) + ")");
  }
}

namespace {

ConvNd conv(const DCOptions& o, int64_t in, int64_t out, bool identity, int64_t stride = 1) {
  ConvNdOptions c;
  c.in_channels = in;
  c.out_channels = out;
  c.spatial = o.spatial;
  c.kernel_size = o.kernel_size;
  c.stride = stride;
  c.periodic = o.periodic;
  c.identity_init = identity;
  return ConvNd(c);
}

ResBlock block(const DCOptions& o, size_t level) {
  ResBlockOptions r;
  r.channels = o.hid_channels[level];
  r.spatial = o.spatial;
  r.kernel_size = o.kernel_size;
  r.periodic = o.periodic;
  r.dropout = o.dropout;
  auto it = o.attention_heads.find(int64_t(level));
  r.attention_heads = it == o.attention_heads.end() ? 0 : it->second;
  return ResBlock(r);
}

// The DCAE runs channels-last inside (NHWC / NDHWC strides, same logical shape): oneDNN's convolutions take
// and give that layout without reorders, and ChannelLayerNorm becomes the fused at::layer_norm over the
// innermost axis instead of a strided var_mean over channels. Callers get plain tensors back
// (AutoencoderImpl::encode/decode/forward make them contiguous).
torch::Tensor channelsLast(const torch::Tensor& x) {
  static const bool off = envSetting("LATENT_EMULATOR_CHANNELS_LAST") == "0";
  if (off) return x;
  if (x.dim() == 4) return x.contiguous(at::MemoryFormat::ChannelsLast);
  if (x.dim() == 5) return x.contiguous(at::MemoryFormat::ChannelsLast3d);
  return x;
}

int64_t power(int64_t base, int exp) {
  int64_t r = 1;
  while (exp-- > 0) r *= base;
  return r;
}

}  // namespace

DCEncoderImpl::DCEncoderImpl(const DCOptions& o) : options(o) {
  options.validate();
  const size_t L = o.hid_channels.size();
  const int64_t volume = power(o.stride, o.spatial);
  descent = Chain();
  for (size_t i = 0; i < L; ++i) {
    Chain level;
    if (i == 0) {
      level->push_back(conv(o, o.in_channels, o.hid_channels[0], false));
    } else if (o.pixel_shuffle) {
      Chain down;
      down->push_back(SpaceToDepth(o.spatial, o.stride));
      down->push_back(conv(o, volume * o.hid_channels[i - 1], o.hid_channels[i], o.identity_init));
      level->push_back(down);
    } else {
      level->push_back(conv(o, o.hid_channels[i - 1], o.hid_channels[i], o.identity_init, o.stride));
    }
    for (int64_t b = 0; b < o.hid_blocks[i]; ++b) level->push_back(block(o, i));
    if (i + 1 == L) level->push_back(conv(o, o.hid_channels[i], o.out_channels, o.identity_init));
    descent->push_back(level);
  }
  register_module("descent", descent);
}

torch::Tensor DCEncoderImpl::forward(const torch::Tensor& x) {
  return saturate(descent->forward(channelsLast(x)), options.saturation);
}

DCDecoderImpl::DCDecoderImpl(const DCOptions& o) : options(o) {
  options.validate();
  const size_t L = o.hid_channels.size();
  const int64_t volume = power(o.stride, o.spatial);
  ascent = Chain();
  for (size_t j = 0; j < L; ++j) {
    const size_t i = L - 1 - j;
    Chain level;
    if (j == 0) level->push_back(conv(o, o.in_channels, o.hid_channels[i], o.identity_init));
    for (int64_t b = 0; b < o.hid_blocks[i]; ++b) level->push_back(block(o, i));
    if (i > 0) {
      Chain up;
      if (o.pixel_shuffle) {
        up->push_back(conv(o, o.hid_channels[i], volume * o.hid_channels[i - 1], o.identity_init));
        up->push_back(DepthToSpace(o.spatial, o.stride));
      } else {
        up->push_back(Upsample(o.spatial, o.stride));
        up->push_back(conv(o, o.hid_channels[i], o.hid_channels[i - 1], o.identity_init));
      }
      level->push_back(up);
    } else {
      level->push_back(conv(o, o.hid_channels[0], o.out_channels, false));
    }
    ascent->push_back(level);
  }
  register_module("ascent", ascent);
}

torch::Tensor DCDecoderImpl::forward(const torch::Tensor& z) { return ascent->forward(channelsLast(z)); }

}  // namespace latent
