#include "core/pch.h"

#include "distributed/rank_rows.h"

#include "optim/gradient_sync.h"

namespace latent {

at::Tensor RankRows(int64_t local, const std::function<at::Tensor(int64_t global)>& draw) {
  const GradientSync* sync = StepGradientSync();
  if (!sync || sync->world == 1) return draw(local);
  return draw(local * sync->world).narrow(0, sync->rank * local, local).contiguous();
}

}  // namespace latent
