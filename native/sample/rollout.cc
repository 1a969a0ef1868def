#include "core/pch.h"

#include "sample/rollout.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace latent {

void RolloutOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (window < 2) bad("window must be >= 2, got " + std::to_string(window));
  if (context < 1 || context >= window)
    bad("context (" + std::to_string(context) + ") must be at least 1 and shorter than the window (" + std::to_string(window) + ")");
  const int64_t c = cropped();
  if (c < 2 || c > window) bad("crop must be in [2, window], got " + std::to_string(c));
  if (overlap < 1 || overlap >= c) bad("overlap (" + std::to_string(overlap) + ") must be at least 1 and shorter than the crop (" + std::to_string(c) + ")");
  if (length < 1) bad("rollout length must be a positive integer, got " + std::to_string(length));
  if (members < 1) bad("members must be a positive integer, got " + std::to_string(members));
  sampler.validate();
}

int64_t RolloutOptions::windows() const {
  const int64_t first = cropped();
  if (length <= first) return 1;
  const int64_t per = cropped() - overlap;
  return 1 + (length - first + per - 1) / per;
}

torch::Tensor rollout(const WindowEmulator& emulate, const torch::Tensor& context, const RolloutOptions& o) {
  o.validate();
  const int64_t N = context.size(0), L = o.window, crop = o.cropped();
  std::vector<int64_t> shape = context.sizes().vec();
  shape[2] = L;
  torch::Tensor obs = context;
  std::vector<torch::Tensor> traj;  // pieces along time
  int64_t have = 0;
  auto pos = torch::arange(L, torch::TensorOptions().dtype(torch::kLong).device(context.device())).unsqueeze(0);
  while (have < o.length) {
    const int64_t known = obs.size(2);
    torch::Tensor y = torch::zeros(shape, context.options());
    y.narrow(2, 0, known).copy_(obs);
    torch::Tensor mask = (pos < known).expand({N, L});
    torch::Tensor x = emulate(y, mask).narrow(2, 0, crop);
    torch::Tensor fresh = traj.empty() ? x : x.narrow(2, o.overlap, crop - o.overlap);
    traj.push_back(fresh);
    have += fresh.size(2);
    obs = x.narrow(2, crop - o.overlap, o.overlap);
  }
  return torch::cat(traj, 2).narrow(2, 0, o.length).contiguous();
}

}  // namespace latent
