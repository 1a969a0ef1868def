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
#include <optional>
#include <utility>
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

// Test hook: true runs the ViT as it ran before the lean inference path (libtorch's SDPA kernel on every
// device, the rotary and positional tables recomputed in every forward, the pairwise rotation, no fused
// modulation), so that tests can check the lean path against it. Process-wide; default false.
void SetViTReferencePath(bool on);
bool ViTReferencePath();

// The rotary embedding of one block on one token grid: cos and sin of the angles (H, N, C/2H); for
// float32/float64 attention the same rotation as one complex tensor cos + i sin, otherwise (bf16/f16
// under autocast) cos and ±sin interleaved to (H, N, C/H): (c0, c0, c1, c1, ..) and (−s0, s0, −s1, s1, ..).
// All undefined: no rope.
struct RotaryTable {
  torch::Tensor cos, sin, rotation, cos2, sin2;
  bool defined() const { return cos.defined(); }
};

// Multi-head self-attention: qkv_proj (no bias), per-head RMSNorm of q and k, rotary embedding on
// adjacent pairs with per-token angles theta (N, C/2), softmax(q kᵀ/√Dh) v, y_proj.
class ViTAttentionImpl : public torch::nn::Module {
 public:
  ViTAttentionImpl(int64_t channels, int64_t heads, bool qk_norm);
  // x (B, N, C); rope (H, N, C/2H) tables or undefined (no rope); mask (N, N) bool, True = attend, or
  // undefined (full attention).
  torch::Tensor forward(const torch::Tensor& x, const RotaryTable& rope, const torch::Tensor& mask = {});
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
  // x, skip (B, N, C); mod (B, F) or undefined; rope from rotary() (undefined when options.rope is false);
  // mask (N, N) bool attention mask (True = attend) or undefined (full attention).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mod, const RotaryTable& rope, const torch::Tensor& skip,
                        const torch::Tensor& mask = {});
  // The rotary tables for token coordinates coo (N, S): angles coo·theta per head, and with `lean` the
  // complex rotation (`complex`: float32/float64 attention) or the interleaved tables (otherwise).
  RotaryTable rotary(const torch::Tensor& coo, bool lean, bool complex) const;

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

  // What a forward needs besides the tokens and depends only on the token grid and the weights: the
  // coordinates (N, S), the positional embedding (N, C), each block's rotary tables and the attention mask.
  struct GridTables {
    torch::Tensor coo, positions, mask;
    std::vector<RotaryTable> rope;
  };
  // Built in every forward that records gradients; without gradients (rollouts, sampling) built once and
  // kept while the grid, device, dtype, autocast state and the weights they come from are unchanged
  // (the parameters' and buffers' version counters, bumped by every optimizer step or load).
  GridTables gridTables(const std::vector<int64_t>& grid, const torch::Device& device, torch::ScalarType type);

 private:
  struct TablesKey {
    std::vector<int64_t> grid;
    torch::Device device{torch::kCPU};
    torch::ScalarType type = torch::kFloat;
    bool autocast = false;
    torch::ScalarType autocast_type = torch::kFloat;
    std::vector<std::pair<const void*, int64_t>> weights;  // (tensor, version) and (data, 0) of each parameter and buffer used
    bool operator==(const TablesKey& o) const {
      return grid == o.grid && device == o.device && type == o.type && autocast == o.autocast && autocast_type == o.autocast_type && weights == o.weights;
    }
  };
  bool tablesKey(const std::vector<int64_t>& grid, const torch::Device& device, torch::ScalarType type, TablesKey& key);
  std::optional<TablesKey> tables_key_;
  GridTables tables_;

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
