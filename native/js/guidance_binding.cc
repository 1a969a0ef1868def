// Reading `options.guidance` of Emulator.rollout (MMPS, native/sample/guided_rollout.h) through the one
// option reader; the Gaussian check of the guidance is a test hook (js/test_hooks.cc).
#include "core/pch.h"

#include "js/guidance_binding.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/errors.h"
#include "core/tensor_bridge.h"
#include "js/option_sets.h"

namespace latent::js {

std::optional<GuidedRolloutArgs> ReadGuidance(const OptionReader& g, int64_t batch) {
  if (!g.present()) return std::nullopt;
  g.onlyKeys({"decoder", "observations", "observed", "operator", "factor", "obs_noise", "solver", "iterations"});
  GuidedRolloutArgs args;
  if (!g.has("decoder")) throw TypeError(g.name("decoder") + " is required");
  args.decode = DecoderOf(g.raw("decoder"), g.name("decoder"));
  ObservationSpec& spec = args.spec;
  spec.kind = g.string("operator", "");
  if (spec.kind != "subsample" && spec.kind != "downscale")
    throw std::invalid_argument(g.name("operator") + " must be subsample or downscale, got \"" + spec.kind + "\"");
  const double factor = g.required("factor");
  if (!(factor >= 1) || factor != std::floor(factor)) throw std::invalid_argument(g.name("factor") + " must be a positive integer");
  spec.factor = int64_t(factor);
  spec.obs_noise = g.number("obs_noise", spec.obs_noise);
  if (!(spec.obs_noise > 0) || !std::isfinite(spec.obs_noise)) throw std::invalid_argument(g.name("obs_noise") + " must be a positive number");
  spec.solver = ReadGuidanceOptions(g);
  if (!g.has("observations")) throw TypeError(g.name("observations") + " is required");
  spec.observations = JsTensor::TensorOf(g.raw("observations"), g.name("observations")).to(at::kFloat);
  if (spec.observations.dim() < 4 || spec.observations.size(0) != batch)
    throw std::invalid_argument(g.name("observations") + " must be (B, T, C, *observed) with B = " + std::to_string(batch) + ", got " + ShapeText(spec.observations.sizes()));
  std::vector<int64_t> state(spec.observations.sizes().begin() + 2, spec.observations.sizes().end());
  if (g.has("observed")) {
    at::Tensor m = JsTensor::TensorOf(g.raw("observed"), g.name("observed")).to(at::kBool);
    if (m.dim() == int64_t(state.size()) - 1) m = m.unsqueeze(0);
    if (m.dim() != int64_t(state.size()) || !std::equal(state.begin() + 1, state.end(), m.sizes().begin() + 1) || (m.size(0) != 1 && m.size(0) != state[0]))
      throw std::invalid_argument(g.name("observed") + " must be (*observed) or (C, *observed) = " + ShapeText(state) + ", got " + ShapeText(m.sizes()));
    spec.observed = m.expand(state).contiguous();
    if (!spec.observed.any().item<bool>()) throw std::invalid_argument(g.name("observed") + " observes no point");
  }
  at::Tensor finite = torch::isfinite(spec.observations);
  if (spec.observed.defined()) finite = finite | ~spec.observed.unsqueeze(0).unsqueeze(0);
  if (!finite.all().item<bool>()) throw std::invalid_argument(g.name("observations") + " must be finite at the observed points (NaN or infinity found)");
  return args;
}

}  // namespace latent::js
