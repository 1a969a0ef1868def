#include "core/pch.h"
#include "js/option_sets.h"

#include <cstdlib>

namespace latent::js {

EmulatorConfig ReadEmulatorConfig(const OptionReader& r) {
  r.onlyKeys({"name", "kind", "channels", "label_features", "spatial", "spatial_shape", "window", "hid_channels", "hid_blocks",
              "attention_heads", "ffn_factor", "emb_features", "patch_size", "window_size", "dropout", "qk_norm", "rope", "schedule",
              "time_prior", "context_rate", "forward_probability"});
  EmulatorConfig c;
  c.kind = r.oneOf("kind", c.kind, {"denoiser", "surrogate"});
  c.channels = r.integer("channels", c.channels);
  c.label_features = r.integer("label_features", c.label_features);
  c.spatial = int(r.integer("spatial", c.spatial));
  c.spatial_shape = r.integers("spatial_shape", c.spatial_shape);
  c.window = r.integer("window", c.window);
  c.hid_channels = r.integer("hid_channels", c.hid_channels);
  c.hid_blocks = r.integer("hid_blocks", c.hid_blocks);
  c.attention_heads = r.integer("attention_heads", c.attention_heads);
  c.ffn_factor = r.integer("ffn_factor", c.ffn_factor);
  c.emb_features = r.integer("emb_features", c.emb_features);
  const size_t axes = size_t(c.spatial + 1);  // token axes: time first, then space
  c.patch_size = r.integers("patch_size", c.patch_size, axes);
  if (c.patch_size == std::vector<int64_t>(axes, 1)) c.patch_size.clear();  // all 1: no patching
  c.window_size = r.integers("window_size", c.window_size, axes);
  c.dropout = r.number("dropout", c.dropout);
  c.qk_norm = r.boolean("qk_norm", c.qk_norm);
  c.rope = r.boolean("rope", c.rope);
  OptionReader schedule = r.object("schedule");
  schedule.onlyKeys({"name", "sigma_min", "sigma_max", "scale", "shift"});
  c.schedule = schedule.string("name", c.schedule);
  c.sigma_min = schedule.number("sigma_min", c.sigma_min);
  c.sigma_max = schedule.number("sigma_max", c.sigma_max);
  c.schedule_scale = schedule.number("scale", c.schedule_scale);
  c.schedule_shift = schedule.number("shift", c.schedule_shift);
  OptionReader prior = r.object("time_prior");
  prior.onlyKeys({"name", "a", "b"});
  c.time_prior = prior.string("name", c.time_prior);
  c.prior_a = prior.number("a", c.prior_a);
  c.prior_b = prior.number("b", c.prior_b);
  c.context_rate = r.number("context_rate", c.context_rate);
  c.forward_probability = r.number("forward_probability", c.forward_probability);
  c.validate();
  return c;
}

AutoencoderConfig ReadAutoencoderConfig(const OptionReader& r) {
  r.onlyKeys({"name", "pix_channels", "lat_channels", "hid_channels", "hid_blocks", "kernel_size", "stride", "pixel_shuffle", "identity_init",
              "dropout", "attention_heads", "periodic", "spatial", "saturation", "noise", "loss", "similarity_weight"});
  AutoencoderConfig c;
  c.pix_channels = r.integer("pix_channels", c.pix_channels);
  c.lat_channels = r.integer("lat_channels", c.lat_channels);
  c.hid_channels = r.integers("hid_channels", c.hid_channels);
  c.hid_blocks = r.integers("hid_blocks", c.hid_blocks);
  c.kernel_size = r.integer("kernel_size", c.kernel_size);
  c.stride = r.integer("stride", c.stride);
  c.pixel_shuffle = r.boolean("pixel_shuffle", c.pixel_shuffle);
  c.identity_init = r.boolean("identity_init", c.identity_init);
  c.dropout = r.number("dropout", c.dropout);
  c.periodic = r.boolean("periodic", c.periodic);
  c.spatial = int(r.integer("spatial", c.spatial));
  c.saturation = r.string("saturation", c.saturation);
  c.noise = r.number("noise", c.noise);
  c.loss = r.string("loss", c.loss);
  c.similarity_weight = r.number("similarity_weight", c.similarity_weight);
  if (r.has("attention_heads")) {
    OptionReader heads = r.object("attention_heads");
    c.attention_heads.clear();
    for (const std::string& level : heads.keys()) {
      char* end = nullptr;
      const long long l = std::strtoll(level.c_str(), &end, 10);
      if (level.empty() || *end != '\0') throw std::invalid_argument(r.name("attention_heads") + " must be keyed by level numbers, got \"" + level + "\"");
      c.attention_heads[l] = heads.integer(level.c_str(), 0);
    }
  }
  c.validate();
  return c;
}

void ReadOptimizerOptions(const OptionReader& r, TrainerOptions& o, int64_t& accumulate) {
  r.onlyKeys({"optimizer", "lr", "beta1", "beta2", "eps", "weight_decay", "clip", "ema_decay", "accumulate", "amsgrad", "precondition_frequency",
              "shampoo_beta", "max_precond_dim", "bf16"});
  o.optimizer = r.oneOf("optimizer", o.optimizer, {"adamw", "soap"});
  o.lr = r.number("lr", o.lr);
  o.beta1 = r.number("beta1", o.beta1);
  o.beta2 = r.number("beta2", o.beta2);
  o.eps = r.number("eps", o.eps);
  o.weight_decay = r.number("weight_decay", o.weight_decay);
  o.clip = r.number("clip", o.clip);
  o.amsgrad = r.boolean("amsgrad", o.amsgrad);
  o.ema_decay = r.number("ema_decay", o.ema_decay);
  if (!(o.ema_decay >= 0 && o.ema_decay < 1)) throw std::invalid_argument(r.name("ema_decay") + " must be in [0, 1)");
  accumulate = r.integer("accumulate", accumulate);
  if (accumulate < 1) throw std::invalid_argument(r.name("accumulate") + " must be a positive integer");
  o.precondition_frequency = r.integer("precondition_frequency", o.precondition_frequency);
  if (o.precondition_frequency < 1) throw std::invalid_argument(r.name("precondition_frequency") + " must be ≥ 1");
  o.shampoo_beta = r.number("shampoo_beta", o.shampoo_beta);
  o.max_precond_dim = r.integer("max_precond_dim", o.max_precond_dim);
  o.bf16_autocast = r.boolean("bf16", o.bf16_autocast);
}

SamplerOptions ReadSamplerOptions(const OptionReader& r) {
  SamplerOptions s;
  s.algorithm = r.string("sampler", s.algorithm);
  s.steps = r.integer("steps", s.steps);
  s.order = r.integer("order", s.order);
  s.eta = r.number("eta", s.eta);
  s.corrections = r.integer("corrections", s.corrections);
  s.delta = r.number("delta", s.delta);
  s.validate();
  return s;
}

GuidanceOptions ReadGuidanceOptions(const OptionReader& r) {
  GuidanceOptions g;
  g.solver = r.string("solver", g.solver);
  g.iterations = r.integer("iterations", g.iterations);
  g.validate();
  return g;
}

}  // namespace latent::js
