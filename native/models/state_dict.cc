#include "core/pch.h"

#include "models/state_dict.h"

#include <stdexcept>
#include <unordered_map>

namespace latent {

namespace {

void collect(const torch::nn::Module& m, const std::string& prefix, NamedTensors& out) {
  for (const auto& p : m.named_parameters(/*recurse=*/false))
    if (p.value().defined()) out.emplace_back(prefix + p.key(), p.value());
  for (const auto& b : m.named_buffers(/*recurse=*/false))
    if (b.value().defined()) out.emplace_back(prefix + b.key(), b.value());
  for (const auto& c : m.named_children()) collect(*c.value(), prefix + c.key() + ".", out);
}

std::string shapeText(torch::IntArrayRef s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

}  // namespace

NamedTensors stateDict(const torch::nn::Module& module) {
  NamedTensors out;
  collect(module, "", out);
  return out;
}

LoadReport loadStateDict(torch::nn::Module& module, const NamedTensors& tensors, bool strict) {
  NamedTensors own = stateDict(module);
  std::unordered_map<std::string, const torch::Tensor*> given;
  for (const auto& [k, v] : tensors) given[k] = &v;
  std::unordered_map<std::string, bool> known;
  for (const auto& kv : own) known[kv.first] = true;

  LoadReport report;
  std::vector<std::string> mismatched;
  for (const auto& [k, dst] : own) {
    auto it = given.find(k);
    if (it == given.end()) {
      report.missing.push_back(k);
    } else if (!it->second->defined() || it->second->sizes() != dst.sizes()) {
      mismatched.push_back(k + ": expected " + shapeText(dst.sizes()) + ", got " +
                           (it->second->defined() ? shapeText(it->second->sizes()) : std::string("undefined")));
    }
  }
  for (const auto& kv : tensors)
    if (!known.count(kv.first)) report.unexpected.push_back(kv.first);

  const bool fatal = !mismatched.empty() || (strict && (!report.missing.empty() || !report.unexpected.empty()));
  if (fatal) {
    std::string msg = "state dict does not match the model:";
    auto list = [&](const char* title, const std::vector<std::string>& items) {
      if (items.empty()) return;
      msg += std::string("\n  ") + title + " (" + std::to_string(items.size()) + "):";
      for (const auto& s : items) msg += "\n    " + s;
    };
    if (strict) list("missing keys", report.missing);
    if (strict) list("unexpected keys", report.unexpected);
    list("shape mismatches", mismatched);
    throw std::invalid_argument(msg);
  }

  torch::NoGradGuard no_grad;
  for (auto& [k, dst] : own) {
    auto it = given.find(k);
    if (it != given.end()) dst.copy_(*it->second);  // copy_ converts dtype and device
  }
  return report;
}

}  // namespace latent
