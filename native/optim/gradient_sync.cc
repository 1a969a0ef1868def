#include "core/pch.h"

#include "optim/gradient_sync.h"

#include <atomic>

namespace latent {
namespace {
std::atomic<const GradientSync*> current{nullptr};
thread_local bool inStep = false;
}  // namespace

const GradientSync* CurrentGradientSync() { return current.load(); }
void SetGradientSync(const GradientSync* sync) { current.store(sync); }

const GradientSync* StepGradientSync() { return inStep ? current.load() : nullptr; }
DataParallelStepScope::DataParallelStepScope() : previous_(inStep) { inStep = true; }
DataParallelStepScope::~DataParallelStepScope() { inStep = previous_; }

}  // namespace latent
