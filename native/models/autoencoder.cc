#include "core/pch.h"

#include "models/autoencoder.h"

#include "distributed/rank_rows.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "io/config_fields.h"
#include "io/json.h"

namespace latent {

void AutoencoderConfig::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (pix_channels <= 0) bad("pix_channels must be positive, got " + std::to_string(pix_channels));
  if (lat_channels <= 0) bad("lat_channels must be positive, got " + std::to_string(lat_channels));
  if (loss != "vrmse" && loss != "mse" && loss != "mae" && loss != "similarity")
    bad("unknown loss \"" + loss + "\" (expected vrmse, mse, mae or similarity)");
  if (noise < 0) bad("noise must be non-negative");
  parseSaturation(saturation);
  encoderOptions().validate();
}

DCOptions AutoencoderConfig::encoderOptions() const {
  DCOptions o;
  o.in_channels = pix_channels;
  o.out_channels = lat_channels;
  o.hid_channels = hid_channels;
  o.hid_blocks = hid_blocks;
  o.spatial = spatial;
  o.kernel_size = kernel_size;
  o.stride = stride;
  o.pixel_shuffle = pixel_shuffle;
  o.identity_init = identity_init;
  o.periodic = periodic;
  o.dropout = dropout;
  o.attention_heads = attention_heads;
  o.saturation = parseSaturation(saturation);
  return o;
}

DCOptions AutoencoderConfig::decoderOptions() const {
  DCOptions o = encoderOptions();
  std::swap(o.in_channels, o.out_channels);
  o.saturation = Saturation::None;
  return o;
}

namespace {

const json::FieldReader field("autoencoder config");

}  // namespace

std::string AutoencoderConfig::toJson() const {
  std::string heads = "{";
  for (auto it = attention_heads.begin(); it != attention_heads.end(); ++it)
    heads += (it == attention_heads.begin() ? "\"" : ",\"") + std::to_string(it->first) + "\":" + std::to_string(it->second);
  heads += "}";
  return std::string("{") + "\"pix_channels\":" + std::to_string(pix_channels) +
         ",\"lat_channels\":" + std::to_string(lat_channels) + ",\"hid_channels\":" + json::formatIntList(hid_channels) +
         ",\"hid_blocks\":" + json::formatIntList(hid_blocks) + ",\"kernel_size\":" + std::to_string(kernel_size) +
         ",\"stride\":" + std::to_string(stride) + ",\"pixel_shuffle\":" + (pixel_shuffle ? "true" : "false") +
         ",\"identity_init\":" + (identity_init ? "true" : "false") + ",\"dropout\":" + json::formatNumber(dropout) +
         ",\"attention_heads\":" + heads + ",\"periodic\":" + (periodic ? "true" : "false") +
         ",\"spatial\":" + std::to_string(spatial) + ",\"saturation\":" + json::quote(saturation) +
         ",\"noise\":" + json::formatNumber(noise) + ",\"loss\":" + json::quote(loss) +
         ",\"similarity_weight\":" + json::formatNumber(similarity_weight) + "}";
}

AutoencoderConfig AutoencoderConfig::fromJson(const std::string& text) {
  json::Value root;
  try {
    root = json::parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("autoencoder config: invalid JSON: ") + e.what());
  }
  if (root.type != json::Value::Type::Object) throw std::invalid_argument("autoencoder config: not a JSON object");
  AutoencoderConfig c;
  for (const auto& [key, v] : root.object) {
    if (key == "pix_channels") c.pix_channels = field.integer(v, key);
    else if (key == "lat_channels") c.lat_channels = field.integer(v, key);
    else if (key == "hid_channels") c.hid_channels = field.integers(v, key);
    else if (key == "hid_blocks") c.hid_blocks = field.integers(v, key);
    else if (key == "kernel_size") c.kernel_size = field.integer(v, key);
    else if (key == "stride") c.stride = field.integer(v, key);
    else if (key == "pixel_shuffle") c.pixel_shuffle = field.boolean(v, key);
    else if (key == "identity_init") c.identity_init = field.boolean(v, key);
    else if (key == "dropout") c.dropout = field.number(v, key);
    else if (key == "periodic") c.periodic = field.boolean(v, key);
    else if (key == "spatial") c.spatial = int(field.integer(v, key));
    else if (key == "saturation") c.saturation = field.string(v, key);
    else if (key == "noise") c.noise = field.number(v, key);
    else if (key == "loss") c.loss = field.string(v, key);
    else if (key == "similarity_weight") c.similarity_weight = field.number(v, key);
    else if (key == "attention_heads") {
      if (v.type != json::Value::Type::Object) field.fail(key, "an object {level: heads}");
      c.attention_heads.clear();
      for (const auto& [level, heads] : v.object) {
        char* end = nullptr;
        long long l = std::strtoll(level.c_str(), &end, 10);
        if (level.empty() || *end != '\0') field.fail(key, "keyed by level numbers");
        c.attention_heads[l] = field.integer(heads, key);
      }
    } else {
      throw std::invalid_argument("autoencoder config: unknown key \"" + key + "\"");
    }
  }
  c.validate();
  return c;
}

AutoencoderImpl::AutoencoderImpl(const AutoencoderConfig& config) : config_(config) {
  config_.validate();
  encoder = register_module("encoder", DCEncoder(config_.encoderOptions()));
  decoder = register_module("decoder", DCDecoder(config_.decoderOptions()));
}

int64_t AutoencoderImpl::downsampling() const {
  int64_t r = 1;
  for (size_t i = 1; i < config_.hid_channels.size(); ++i) r *= config_.stride;
  return r;
}

void AutoencoderImpl::checkShape(torch::IntArrayRef shape, int64_t channels, const char* channel_name,
                                 int64_t multiple, bool allow_unbatched) const {
  const int64_t D = config_.spatial;
  const int64_t rank = int64_t(shape.size());
  const char* layout = D == 2 ? "(B, C, H, W)" : "(B, C, H, W, D)";
  if (rank != D + 2 && !(allow_unbatched && rank == D + 1))
    throw std::invalid_argument("expected a " + std::to_string(D + 2) + "-D tensor " + layout + ", got " +
                                std::to_string(rank) + "-D");
  const int64_t c_dim = rank - D - 1;
  if (shape[c_dim] != channels)
    throw std::invalid_argument("expected " + std::to_string(channels) + " channels (" + channel_name + "), got " +
                                std::to_string(shape[c_dim]));
  for (int64_t d = c_dim + 1; d < rank; ++d) {
    if (shape[d] <= 0) throw std::invalid_argument("spatial size " + std::to_string(shape[d]) + " must be positive");
    if (shape[d] % multiple != 0)
      throw std::invalid_argument("spatial size " + std::to_string(shape[d]) +
                                  " is not divisible by the total downsampling " + std::to_string(multiple));
  }
}

torch::Tensor AutoencoderImpl::encode(const torch::Tensor& x) {
  checkShape(x.sizes(), config_.pix_channels, "pix_channels", downsampling(), false);
  return encoder->forward(x).contiguous();  // plain layout for callers (internal ones may be channels-last)
}

torch::Tensor AutoencoderImpl::decode(const torch::Tensor& z, bool noisy) {
  checkShape(z.sizes(), config_.lat_channels, "lat_channels", 1, false);
  if (noisy && config_.noise > 0) {
    // drawn for the global batch when data parallel, so the split across ranks does not change the noise
    torch::Tensor noise = RankRows(z.size(0), [&](int64_t n) {
      std::vector<int64_t> shape = z.sizes().vec();
      shape[0] = n;
      return torch::randn(shape, z.options().memory_format(c10::MemoryFormat::Contiguous));
    });
    return decoder->forward(z + config_.noise * noise).contiguous();
  }
  return decoder->forward(z).contiguous();
}

torch::Tensor AutoencoderImpl::forward(const torch::Tensor& x) {
  checkShape(x.sizes(), config_.pix_channels, "pix_channels", downsampling(), false);
  return decoder->forward(encoder->forward(x)).contiguous();
}

torch::Tensor AutoencoderImpl::loss(const torch::Tensor& x) {
  torch::Tensor z = encode(x);
  // At least float32 (bf16 autocast outputs are promoted), float64 stays float64 (gradient checks).
  const auto type = at::promote_types(x.scalar_type(), torch::kFloat32);
  torch::Tensor y = decoder->forward(z).to(type);
  const torch::Tensor xf = x.to(type);
  const std::string& kind = config_.loss;
  if (kind == "mse") return (xf - y).square().mean();
  if (kind == "vrmse") {
    std::vector<int64_t> dims;
    for (int64_t d = 2; d < xf.dim(); ++d) dims.push_back(d);
    torch::Tensor mse = (xf - y).square().mean(dims);
    torch::Tensor var = at::var(xf, dims, /*correction=*/1, /*keepdim=*/false);
    return at::sqrt(mse / (var + 1e-2)).mean();
  }
  torch::Tensor mae = (xf - y).abs().mean();
  if (kind == "mae") return mae;
  // similarity: penalize latents of different samples pointing the same way.
  const int64_t B = z.size(0);
  if (B < 2) return mae;
  torch::Tensor zn = torch::nn::functional::normalize(
      z.to(type).flatten(1), torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor cos = at::mm(zn, zn.t());
  torch::Tensor off = (cos.sum() - cos.diagonal().sum()) / double(B * (B - 1));
  return mae + config_.similarity_weight * off;
}

std::vector<int64_t> AutoencoderImpl::latentShape(const std::vector<int64_t>& inputShape) const {
  const int64_t r = downsampling();
  checkShape(inputShape, config_.pix_channels, "pix_channels", r, true);
  std::vector<int64_t> out(inputShape);
  const size_t c_dim = out.size() - size_t(config_.spatial) - 1;
  out[c_dim] = config_.lat_channels;
  for (size_t d = c_dim + 1; d < out.size(); ++d) out[d] /= r;
  return out;
}

double AutoencoderImpl::compressionRate(const std::vector<int64_t>& inputShape) const {
  std::vector<int64_t> lat = latentShape(inputShape);
  double in = 1, out = 1;
  for (auto s : inputShape) in *= double(s);
  for (auto s : lat) out *= double(s);
  return in / out;
}

int64_t AutoencoderImpl::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace latent
