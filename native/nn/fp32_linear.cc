#include "core/pch.h"
#include "nn/fp32_linear.h"

#include "core/env_setting.h"

#include <ATen/autocast_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/autograd.h>

#include <stdexcept>
#include <string>

namespace latent {
namespace {

enum class Fp32Linear { Mkl, OneDnn };

Fp32Linear chosenKernel() {
  static const Fp32Linear chosen = [] {
    const std::string v = envSetting("LATENT_EMULATOR_FP32_LINEAR");
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

// oneDNN's inner product of 2-D x (rows × K) and W (M × K), plus b when defined: libtorch's own
// mkldnn::_linear_pointwise(Tensor X, Tensor W, Tensor? B, str attr, Scalar?[] scalars, str? algorithm), the op
// of its CPU fusions, called boxed so that no C++ signature has to match ours.
torch::Tensor innerProduct(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  static const c10::OperatorHandle op = c10::Dispatcher::singleton().findSchemaOrThrow("mkldnn::_linear_pointwise", "");
  torch::jit::Stack stack{c10::IValue(x.contiguous()), c10::IValue(weight.contiguous()), bias.defined() ? c10::IValue(bias) : c10::IValue(),
                          c10::IValue(std::string("none")), c10::IValue(c10::List<std::optional<at::Scalar>>()), c10::IValue()};
  op.callBoxed(&stack);
  return stack.at(0).toTensor();
}

// bias: an empty tensor when the layer has none (autograd's Function records every input's device, which an
// undefined tensor does not have).
struct InnerProductFunction : public torch::autograd::Function<InnerProductFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["bias"] = bias.numel() > 0;
    return innerProduct(x, weight, bias.numel() > 0 ? bias : torch::Tensor());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1];
    const torch::Tensor g = grads[0].contiguous();
    // A backward that builds a graph (create_graph, as MMPS guidance's) takes libtorch's differentiable matmuls.
    const bool graph = at::GradMode::is_enabled();
    torch::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) dx = graph ? at::mm(g, w) : innerProduct(g, w.t().contiguous(), {});  // g W
    if (ctx->needs_input_grad(1)) dw = graph ? at::mm(g.t(), x) : innerProduct(g.t().contiguous(), x.t().contiguous(), {});  // gᵀ x
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = g.sum(0);
    return {dx, dw, db};
  }
};

}  // namespace

bool oneDnnLinearChosen(const torch::Tensor& x) {
  return x.scalar_type() == at::kFloat && x.device().is_cpu() && !at::autocast::is_autocast_enabled(at::kCPU) &&
         chosenKernel() == Fp32Linear::OneDnn;
}

torch::Tensor oneDnnLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  const torch::Tensor rows = x.reshape({-1, x.size(-1)});
  const bool grad = torch::GradMode::is_enabled() &&
                    (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  torch::Tensor y = grad ? InnerProductFunction::apply(rows, weight, bias.defined() ? bias : at::empty({0}, weight.options()))
                         : innerProduct(rows, weight, bias);
  return y.view(sizes);
}

}  // namespace latent
