#include "core/pch.h"
#include "nn/fp32_linear.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace latent {
namespace {

enum class Fp32Linear { Mkl, OneDnn };

Fp32Linear chosenKernel() {
  static const Fp32Linear chosen = [] {
    const char* text = std::getenv("LATENT_EMULATOR_FP32_LINEAR");
    const std::string v = text ? text : "";
    if (v == "onednn") return Fp32Linear::OneDnn;
    if (v == "mkl") return Fp32Linear::Mkl;
    if (!v.empty()) throw std::invalid_argument("LATENT_EMULATOR_FP32_LINEAR must be onednn or mkl, got \"" + v + "\"");
#if defined(__GNUC__) && defined(__x86_64__)
    if (__builtin_cpu_is("amd") && at::hasMKLDNN()) return Fp32Linear::OneDnn;
#endif
    return Fp32Linear::Mkl;
  }();
  return chosen;
}

}  // namespace

bool oneDnnLinearChosen(const torch::Tensor& x) {
  return x.scalar_type() == at::kFloat && x.device().is_cpu() && !(torch::GradMode::is_enabled() && x.requires_grad()) &&
         chosenKernel() == Fp32Linear::OneDnn;
}

torch::Tensor oneDnnLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  // mkldnn::_linear_pointwise(Tensor X, Tensor W, Tensor? B, str attr, Scalar?[] scalars, str? algorithm): the
  // op libtorch registers for its own CPU fusions; called boxed so that no C++ signature has to match ours.
  static const c10::OperatorHandle op = c10::Dispatcher::singleton().findSchemaOrThrow("mkldnn::_linear_pointwise", "");
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  torch::jit::Stack stack{c10::IValue(x.reshape({-1, x.size(-1)}).contiguous()), c10::IValue(weight.contiguous()),
                          bias.defined() ? c10::IValue(bias) : c10::IValue(), c10::IValue(std::string("none")),
                          c10::IValue(c10::List<std::optional<at::Scalar>>()), c10::IValue()};
  op.callBoxed(&stack);
  return stack.at(0).toTensor().view(sizes);
}

}  // namespace latent
