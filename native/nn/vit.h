// The emulators' transformer backbone (spec §4.1): patchify, input projection of state + mask channels,
// sine absolute positional embedding, blocks with AdaLN-zero modulation (a, b, c, d), learned-angle
// mixed rotary embedding, query/key RMS normalisation, gated input skip and FFN. Time is one more axis
// of the token grid, so windows (B, C, L, *space) of 1-D, 2-D and 3-D physics all work.
// Attention is full by default; with `window_size` it is local (periodic neighbourhood, see ViTOptions).
// Module and parameter names give the reference's state-dict keys (state-dict-keys.md).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "nn/layers.h"

namespace latent {

// SineEnc_D(p) = [sin(p ω_k), cos(p ω_k)], ω_k = omega^(−k/(D/2−1)), k = 0..D/2−1; `freqs` is a buffer
// (the reference stores it). (...) → (..., D).
class SineEncodingImpl : public torch::nn::Module {
 public:
  explicit SineEncodingImpl(int64_t features, double omega = 1e3);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor freqs;
};
TORCH_MODULE(SineEncoding);

// Multi-head self-attention: qkv_proj (no bias), per-head RMSNorm of q and k, rotary embedding on
// adjacent pairs with per-token angles theta (N, C/2), SDPA, y_proj.
class ViTAttentionImpl : public torch::nn::Module {
 public:
  ViTAttentionImpl(int64_t channels, int64_t heads, bool qk_norm);
  // x (B, N, C); cos/sin (H, N, C/2H) or undefined (no rope); mask (N, N) bool, True = attend, or
  // undefined (full attention).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask = {});
  int64_t heads;
  bool qk_norm;
  torch::nn::Linear qkv_proj{nullptr};
  torch::nn::Linear y_proj{nullptr};
};
TORCH_MODULE(ViTAttention);

struct ViTBlockOptions {
  int64_t channels = 0;
  int64_t mod_features = 0;  // 0: no modulation input, ada_zero is a learned Parameter (4, C)
  int64_t heads = 1;
  int64_t ffn_factor = 4;
  int spatial = 3;
  double dropout = 0.0;
  bool qk_norm = true;
  bool rope = true;
};

class ViTBlockImpl : public torch::nn::Module {
 public:
  explicit ViTBlockImpl(const ViTBlockOptions& options);
  // x, skip (B, N, C); mod (B, F) or undefined; coo (N, S) token coordinates; mask (N, N) bool attention
  // mask (True = attend) or undefined (full attention).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mod, const torch::Tensor& coo, const torch::Tensor& skip,
                        const torch::Tensor& mask = {});

  ViTBlockOptions options;
  torch::Tensor theta;            // (S, C/2) learned rotary angles
  Chain ada_zero{nullptr};        // Linear(F, F), SiLU, Linear(F, 4C)
  torch::Tensor ada_zero_param;   // (4, C) when mod_features == 0 (registered as "ada_zero")
  ViTAttention msa{nullptr};
  Chain ffn{nullptr};             // Linear(C, fC), SiLU, Dropout, Linear(fC, C)
};
TORCH_MODULE(ViTBlock);

struct ViTOptions {
  int64_t in_channels = 0;    // state channels C
  int64_t out_channels = 0;
  int64_t cond_channels = 0;  // mask channels concatenated to the input (C for the emulators)
  int64_t mod_features = 0;
  int64_t hid_channels = 1024;
  int64_t hid_blocks = 16;
  int64_t attention_heads = 8;
  int64_t ffn_factor = 4;
  int spatial = 3;                     // token-grid axes, time included
  std::vector<int64_t> patch_size;     // one per axis (empty: all 1)
  // Local attention (reference `window_size`, lola/nn/vit.py coo_and_mask). Empty: full attention.
  // Otherwise one positive odd size w_a per token axis, time first: a token attends to the tokens whose
  // grid coordinates (on the token grid, after patching) differ by at most w_a / 2 on every axis a, the
  // distance being periodic on every axis, time included: min(|Δ_a|, g_a − |Δ_a|) with g_a tokens on the
  // axis, as in the reference (it wraps all axes alike). A window w_a >= g_a (odd g) or > g_a (even g)
  // covers the whole axis.
  std::vector<int64_t> window_size;
  double dropout = 0.05;
  bool qk_norm = true;
  bool rope = true;

  void validate() const;  // std::invalid_argument naming the field
  int64_t patchVolume() const;
};

class ViTImpl : public torch::nn::Module {
 public:
  explicit ViTImpl(const ViTOptions& options);
  // x (B, C_in, *grid), cond (B, C_cond, *grid) or undefined, mod (B, F) or undefined → (B, C_out, *grid).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond, const torch::Tensor& mod);

  ViTOptions options;
  torch::nn::Linear in_proj{nullptr};
  torch::nn::Linear out_proj{nullptr};
  Chain positional_embedding{nullptr};  // SineEncoding(C), flatten (S, C), Linear(S·C, C)
  torch::nn::ModuleList blocks{nullptr};

  // The (N, N) bool local-attention mask of a token grid (True = attend), built once per grid shape and
  // device and cached (a few entries); undefined when window_size is empty. Not a parameter or buffer:
  // the state dict is that of full attention.
  torch::Tensor attentionMask(const std::vector<int64_t>& grid, const torch::Device& device);

 private:
  struct MaskEntry {
    std::vector<int64_t> grid;
    torch::Device device;
    torch::Tensor mask;
  };
  std::deque<MaskEntry> mask_cache_;
  std::mutex mask_mutex_;
};
TORCH_MODULE(ViT);

// Multiply-accumulates of one forward for `tokens` tokens (12 N C² + 2 N² C per block, plus projections).
// Local attention is computed densely with a mask, so window_size does not change the count.
double vitForwardMacs(const ViTOptions& o, int64_t tokens);

}  // namespace latent
