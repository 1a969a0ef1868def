// Self-checks of the pure-libtorch DCAE side (layers, model, state dicts, safetensors, trainer).
// Build: see CMakeLists.txt here. Run: dcae_check [--quick] [--bench]. Exit status 0 = all passed.
// The numbers printed document the behaviour; the lead's jest tests cover the JS API.
#include "core/pch.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <unistd.h>

#include "io/json.h"
#include "io/safetensors.h"
#include "models/autoencoder.h"
#include "models/state_dict.h"
#include "nn/dcae.h"
#include "nn/layers.h"
#include "optim/train_step.h"

using namespace latent;

namespace {

int failures = 0;

#define EXPECT(cond, ...)                                          \
  do {                                                            \
    if (!(cond)) {                                                \
      ++failures;                                                 \
      std::printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::printf("       " __VA_ARGS__);                         \
      std::printf("\n");                                          \
    }                                                             \
  } while (0)

// Runs `f`, expecting an exception of type E whose message contains `needle`.
template <typename E>
void expectThrow(const std::function<void()>& f, const std::string& needle, const char* what) {
  try {
    f();
  } catch (const E& e) {
    std::string msg = e.what();
    bool ok = msg.find(needle) != std::string::npos;
    EXPECT(ok, "%s: message \"%s\" lacks \"%s\"", what, msg.c_str(), needle.c_str());
    if (ok) std::printf("  ok   %s -> \"%s\"\n", what, msg.substr(0, 160).c_str());
    return;
  } catch (const std::exception& e) {
    EXPECT(false, "%s: wrong exception type: %s", what, e.what());
    return;
  }
  EXPECT(false, "%s: no exception", what);
}

double maxAbs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

std::string listing(const NamedTensors& sd) {
  std::string s;
  for (const auto& [k, v] : sd) {
    s += k + " [";
    for (int64_t d = 0; d < v.dim(); ++d) s += (d ? "," : "") + std::to_string(v.size(d));
    s += "]\n";
  }
  return s;
}

AutoencoderConfig dcae2dConfig() {  // state-dict-keys.md, dcae2d
  AutoencoderConfig c;
  c.pix_channels = 5;
  c.lat_channels = 8;
  c.hid_channels = {8, 16, 32};
  c.hid_blocks = {1, 1, 1};
  c.dropout = 0.05;
  return c;
}

AutoencoderConfig dcae3dConfig() {  // state-dict-keys.md, dcae3d
  AutoencoderConfig c;
  c.pix_channels = 6;
  c.lat_channels = 8;
  c.hid_channels = {8, 16};
  c.hid_blocks = {1, 1};
  c.spatial = 3;
  return c;
}

const char* kDcae2dKeys =
    "encoder.descent.0.0.weight [8,5,3,3]\n"
    "encoder.descent.0.0.bias [8]\n"
    "encoder.descent.0.1.norm.eps []\n"
    "encoder.descent.0.1.ffn.0.weight [8,8,3,3]\n"
    "encoder.descent.0.1.ffn.0.bias [8]\n"
    "encoder.descent.0.1.ffn.3.weight [8,8,3,3]\n"
    "encoder.descent.0.1.ffn.3.bias [8]\n"
    "encoder.descent.1.0.1.weight [16,32,3,3]\n"
    "encoder.descent.1.0.1.bias [16]\n"
    "encoder.descent.1.1.norm.eps []\n"
    "encoder.descent.1.1.ffn.0.weight [16,16,3,3]\n"
    "encoder.descent.1.1.ffn.0.bias [16]\n"
    "encoder.descent.1.1.ffn.3.weight [16,16,3,3]\n"
    "encoder.descent.1.1.ffn.3.bias [16]\n"
    "encoder.descent.2.0.1.weight [32,64,3,3]\n"
    "encoder.descent.2.0.1.bias [32]\n"
    "encoder.descent.2.1.norm.eps []\n"
    "encoder.descent.2.1.ffn.0.weight [32,32,3,3]\n"
    "encoder.descent.2.1.ffn.0.bias [32]\n"
    "encoder.descent.2.1.ffn.3.weight [32,32,3,3]\n"
    "encoder.descent.2.1.ffn.3.bias [32]\n"
    "encoder.descent.2.2.weight [8,32,3,3]\n"
    "encoder.descent.2.2.bias [8]\n"
    "decoder.ascent.0.0.weight [32,8,3,3]\n"
    "decoder.ascent.0.0.bias [32]\n"
    "decoder.ascent.0.1.norm.eps []\n"
    "decoder.ascent.0.1.ffn.0.weight [32,32,3,3]\n"
    "decoder.ascent.0.1.ffn.0.bias [32]\n"
    "decoder.ascent.0.1.ffn.3.weight [32,32,3,3]\n"
    "decoder.ascent.0.1.ffn.3.bias [32]\n"
    "decoder.ascent.0.2.0.weight [64,32,3,3]\n"
    "decoder.ascent.0.2.0.bias [64]\n"
    "decoder.ascent.1.0.norm.eps []\n"
    "decoder.ascent.1.0.ffn.0.weight [16,16,3,3]\n"
    "decoder.ascent.1.0.ffn.0.bias [16]\n"
    "decoder.ascent.1.0.ffn.3.weight [16,16,3,3]\n"
    "decoder.ascent.1.0.ffn.3.bias [16]\n"
    "decoder.ascent.1.1.0.weight [32,16,3,3]\n"
    "decoder.ascent.1.1.0.bias [32]\n"
    "decoder.ascent.2.0.norm.eps []\n"
    "decoder.ascent.2.0.ffn.0.weight [8,8,3,3]\n"
    "decoder.ascent.2.0.ffn.0.bias [8]\n"
    "decoder.ascent.2.0.ffn.3.weight [8,8,3,3]\n"
    "decoder.ascent.2.0.ffn.3.bias [8]\n"
    "decoder.ascent.2.1.weight [5,8,3,3]\n"
    "decoder.ascent.2.1.bias [5]\n";

const char* kDcae3dKeys =
    "encoder.descent.0.0.weight [8,6,3,3,3]\n"
    "encoder.descent.0.0.bias [8]\n"
    "encoder.descent.0.1.norm.eps []\n"
    "encoder.descent.0.1.ffn.0.weight [8,8,3,3,3]\n"
    "encoder.descent.0.1.ffn.0.bias [8]\n"
    "encoder.descent.0.1.ffn.3.weight [8,8,3,3,3]\n"
    "encoder.descent.0.1.ffn.3.bias [8]\n"
    "encoder.descent.1.0.1.weight [16,64,3,3,3]\n"
    "encoder.descent.1.0.1.bias [16]\n"
    "encoder.descent.1.1.norm.eps []\n"
    "encoder.descent.1.1.ffn.0.weight [16,16,3,3,3]\n"
    "encoder.descent.1.1.ffn.0.bias [16]\n"
    "encoder.descent.1.1.ffn.3.weight [16,16,3,3,3]\n"
    "encoder.descent.1.1.ffn.3.bias [16]\n"
    "encoder.descent.1.2.weight [8,16,3,3,3]\n"
    "encoder.descent.1.2.bias [8]\n"
    "decoder.ascent.0.0.weight [16,8,3,3,3]\n"
    "decoder.ascent.0.0.bias [16]\n"
    "decoder.ascent.0.1.norm.eps []\n"
    "decoder.ascent.0.1.ffn.0.weight [16,16,3,3,3]\n"
    "decoder.ascent.0.1.ffn.0.bias [16]\n"
    "decoder.ascent.0.1.ffn.3.weight [16,16,3,3,3]\n"
    "decoder.ascent.0.1.ffn.3.bias [16]\n"
    "decoder.ascent.0.2.0.weight [64,16,3,3,3]\n"
    "decoder.ascent.0.2.0.bias [64]\n"
    "decoder.ascent.1.0.norm.eps []\n"
    "decoder.ascent.1.0.ffn.0.weight [8,8,3,3,3]\n"
    "decoder.ascent.1.0.ffn.0.bias [8]\n"
    "decoder.ascent.1.0.ffn.3.weight [8,8,3,3,3]\n"
    "decoder.ascent.1.0.ffn.3.bias [8]\n"
    "decoder.ascent.1.1.weight [6,8,3,3,3]\n"
    "decoder.ascent.1.1.bias [6]\n";

// ------------------------------------------------------------------------------------------------

void checkKeys() {
  std::printf("[keys] state-dict keys, shapes and order vs state-dict-keys.md\n");
  Autoencoder a2(dcae2dConfig());
  std::string got2 = listing(stateDict(*a2));
  EXPECT(got2 == kDcae2dKeys, "dcae2d listing differs:\n%s", got2.c_str());
  Autoencoder a3(dcae3dConfig());
  std::string got3 = listing(stateDict(*a3));
  EXPECT(got3 == kDcae3dKeys, "dcae3d listing differs:\n%s", got3.c_str());
  auto sd = stateDict(*a2);
  EXPECT(sd[2].second.dim() == 0 && sd[2].second.item<float>() == 1e-5f, "norm.eps is a 0-d 1e-5 buffer");
  std::printf("  dcae2d: %zu keys, %lld parameters; dcae3d: %zu keys, %lld parameters\n", sd.size(),
              (long long)a2->parameterCount(), stateDict(*a3).size(), (long long)a3->parameterCount());

  AutoencoderConfig c = dcae2dConfig();
  c.pixel_shuffle = false;
  c.attention_heads = {{2, 4}};
  Autoencoder a4(c);
  std::string got4 = listing(stateDict(*a4));
  EXPECT(got4.find("encoder.descent.1.0.weight [16,8,3,3]") != std::string::npos, "strided conv key");
  EXPECT(got4.find("decoder.ascent.0.2.1.weight [16,32,3,3]") != std::string::npos, "upsample conv key");
  EXPECT(got4.find("encoder.descent.2.1.attn.qkv_proj.weight [96,32]") != std::string::npos, "attention key");
  auto z = a4->encode(torch::randn({2, 5, 16, 16}));
  auto y = a4->decode(z);
  EXPECT(z.sizes() == torch::IntArrayRef({2, 8, 4, 4}) && y.sizes() == torch::IntArrayRef({2, 5, 16, 16}),
        "pixel_shuffle=false + attention shapes");
}

void checkShapes() {
  std::printf("[shapes] encode/decode shapes, downsampling, compression\n");
  torch::NoGradGuard ng;
  Autoencoder a2(dcae2dConfig());
  a2->eval();
  auto x = torch::randn({2, 5, 64, 48});
  auto z = a2->encode(x);
  auto y = a2->decode(z);
  EXPECT(a2->downsampling() == 4, "r = %lld", (long long)a2->downsampling());
  EXPECT(z.sizes() == torch::IntArrayRef({2, 8, 16, 12}), "2-D latent shape");
  EXPECT(y.sizes() == x.sizes(), "2-D reconstruction shape");
  EXPECT(a2->latentShape({2, 5, 64, 48}) == std::vector<int64_t>({2, 8, 16, 12}), "latentShape batched");
  EXPECT(a2->latentShape({5, 64, 48}) == std::vector<int64_t>({8, 16, 12}), "latentShape unbatched");
  std::printf("  2-D (2,5,64,48) -> (2,8,16,12), compression %.1f\n", a2->compressionRate({2, 5, 64, 48}));
  EXPECT(std::abs(a2->compressionRate({5, 64, 48}) - 10.0) < 1e-9, "compression 5*16/8 = 10");

  Autoencoder a3(dcae3dConfig());
  a3->eval();
  auto x3 = torch::randn({1, 6, 16, 8, 12});
  auto z3 = a3->encode(x3);
  EXPECT(z3.sizes() == torch::IntArrayRef({1, 8, 8, 4, 6}), "3-D latent shape");
  EXPECT(a3->decode(z3).sizes() == x3.sizes(), "3-D reconstruction shape");

  // The paper's configurations: r and compression from the default (large) configs, parameter counts
  // against spec §3.1 (2-D 3.131e8 for C_lat = 64; 3-D 7.41e8).
  AutoencoderConfig big;  // defaults = dcae_f32c64_large, Euler
  Autoencoder euler(big);
  std::printf("  2-D large: r=%lld, params %.4g, Euler 5x512x512 compression %.0f, RB 4x512x128 (C_lat 64/16/4)",
              (long long)euler->downsampling(), double(euler->parameterCount()),
              euler->compressionRate({5, 512, 512}));
  EXPECT(euler->downsampling() == 32, "r = 32");
  EXPECT(std::abs(euler->parameterCount() / 3.131e8 - 1) < 1e-3, "2-D params %lld", (long long)euler->parameterCount());
  EXPECT(euler->compressionRate({5, 512, 512}) == 80, "Euler compression 80");
  for (int64_t lat : {64, 16, 4}) {
    AutoencoderConfig c = big;
    c.pix_channels = 4;
    c.lat_channels = lat;
    c.hid_blocks = {0, 0, 0, 0, 0, 0};  // rates only; keep it light
    Autoencoder rb(c);
    std::printf(" %.0f", rb->compressionRate({4, 512, 128}));
    EXPECT(rb->compressionRate({4, 512, 128}) == 64.0 * 64 / lat, "RB compression");
  }
  std::printf("\n");
  {
    AutoencoderConfig c = big;
    c.lat_channels = 4;
    Autoencoder e4(c);
    EXPECT(std::abs(e4->parameterCount() / 3.120e8 - 1) < 1e-3, "2-D C_lat=4 params %lld", (long long)e4->parameterCount());
  }
  AutoencoderConfig c3 = big;
  c3.spatial = 3;
  c3.pix_channels = 6;
  c3.hid_channels = {64, 256, 512, 1024};
  c3.hid_blocks = {3, 3, 3, 3};
  {
    Autoencoder tgc(c3);
    std::printf("  3-D large: r=%lld, params %.4g, TGC 6x64^3 compression %.0f\n", (long long)tgc->downsampling(),
                double(tgc->parameterCount()), tgc->compressionRate({6, 64, 64, 64}));
    EXPECT(tgc->downsampling() == 8 && tgc->compressionRate({6, 64, 64, 64}) == 48, "TGC r and compression");
    EXPECT(std::abs(tgc->parameterCount() / 7.41e8 - 1) < 2e-3, "3-D params %lld", (long long)tgc->parameterCount());
  }
}

void checkValidation() {
  std::printf("[validation] clear errors for bad inputs and configs\n");
  AutoencoderConfig c;
  c.hid_channels = {4, 4, 4, 4, 4, 4};  // r = 32, tiny
  c.hid_blocks = {0, 0, 0, 0, 0, 0};
  Autoencoder a(c);
  expectThrow<std::invalid_argument>([&] { a->encode(torch::zeros({1, 4, 64, 64})); },
                                     "expected 5 channels (pix_channels), got 4", "wrong channels");
  expectThrow<std::invalid_argument>([&] { a->encode(torch::zeros({1, 5, 100, 64})); },
                                     "spatial size 100 is not divisible by the total downsampling 32", "indivisible");
  expectThrow<std::invalid_argument>([&] { a->encode(torch::zeros({5, 64, 64})); }, "expected a 4-D tensor",
                                     "wrong rank");
  expectThrow<std::invalid_argument>([&] { a->decode(torch::zeros({1, 8, 2, 2})); },
                                     "expected 64 channels (lat_channels), got 8", "decode channels");
  expectThrow<std::invalid_argument>([&] { a->latentShape({1, 5, 48, 64}); }, "spatial size 48", "latentShape");
  AutoencoderConfig bad = c;
  bad.hid_blocks = {1};
  expectThrow<std::invalid_argument>([&] { Autoencoder x(bad); }, "same length", "hid lengths");
  bad = c;
  bad.saturation = "clip";
  expectThrow<std::invalid_argument>([&] { Autoencoder x(bad); }, "unknown saturation", "saturation");
  bad = c;
  bad.loss = "l1";
  expectThrow<std::invalid_argument>([&] { Autoencoder x(bad); }, "unknown loss", "loss");
  expectThrow<std::invalid_argument>([&] { AutoencoderConfig::fromJson("{\"pix_chanels\":3}"); }, "unknown key",
                                     "config key");
  AutoencoderConfig rt = AutoencoderConfig::fromJson(dcae2dConfig().toJson());
  EXPECT(rt.toJson() == dcae2dConfig().toJson(), "config JSON round trip: %s", rt.toJson().c_str());
}

void checkLayers() {
  std::printf("[layers] space<->depth order, identity init, LayerNorm, saturation\n");
  torch::NoGradGuard ng;
  // einops "C (H h) (W w) -> (C h w) H W": out[c*4 + dh*2 + dw, i, j] = in[c, 2i+dh, 2j+dw]
  auto x = torch::randn({2, 3, 8, 6});
  auto s = spaceToDepth(x, 2, 2);
  bool order_ok = true;
  for (int c = 0; c < 3; ++c)
    for (int dh = 0; dh < 2; ++dh)
      for (int dw = 0; dw < 2; ++dw)
        order_ok &= torch::equal(s.select(1, c * 4 + dh * 2 + dw),
                                 x.select(1, c).slice(1, dh, 8, 2).slice(2, dw, 6, 2));
  EXPECT(order_ok, "2-D space-to-depth channel order");
  EXPECT(torch::equal(depthToSpace(s, 2, 2), x), "2-D depth-to-space inverts");
  auto x3 = torch::randn({1, 2, 4, 6, 8});
  auto s3 = spaceToDepth(x3, 3, 2);
  order_ok = true;
  for (int c = 0; c < 2; ++c)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        for (int d = 0; d < 2; ++d)
          order_ok &= torch::equal(s3.select(1, c * 8 + a * 4 + b * 2 + d),
                                   x3.select(1, c).slice(1, a, 4, 2).slice(2, b, 6, 2).slice(3, d, 8, 2));
  EXPECT(order_ok && s3.sizes() == torch::IntArrayRef({1, 16, 2, 3, 4}), "3-D space-to-depth channel order");
  EXPECT(torch::equal(depthToSpace(s3, 3, 2), x3), "3-D depth-to-space inverts");

  // Identity-init convs ≈ identity (relative error ~1e-2 * sqrt(fan_in)-ish, well below 1).
  for (int D : {2, 3}) {
    auto xin = D == 2 ? torch::randn({2, 16, 16, 16}) : torch::randn({2, 8, 8, 8, 8});
    auto s2d = spaceToDepth(xin, D, 2);  // C_in = 4*16 (2-D) or 8*8 (3-D) = 64
    ConvNdOptions o;
    o.spatial = D;
    o.in_channels = s2d.size(1);
    o.out_channels = 32;
    o.identity_init = true;
    ConvNd down(o);
    auto y = down(s2d);
    double rel = (y - s2d.slice(1, 0, 32)).norm().item<double>() / s2d.slice(1, 0, 32).norm().item<double>();
    // decoder up-sampling: Conv(32 -> 2^D * 32/2^D*... ) then DepthToSpace
    ConvNdOptions u = o;
    u.in_channels = 32;
    u.out_channels = D == 2 ? 4 * 32 : 8 * 32;
    ConvNd up(u);
    auto z = torch::randn(D == 2 ? std::vector<int64_t>{2, 32, 8, 8} : std::vector<int64_t>{2, 32, 4, 4, 4});
    auto w = up(z);
    // output channel o copies input o mod 32
    auto expect = z.repeat(D == 2 ? std::vector<int64_t>{1, 4, 1, 1} : std::vector<int64_t>{1, 8, 1, 1, 1});
    double rel_up = (w - expect).norm().item<double>() / expect.norm().item<double>();
    std::printf("  %d-D identity init: down conv rel. error %.3f, up conv rel. error %.3f\n", D, rel, rel_up);
    EXPECT(rel < 0.2 && rel_up < 0.2, "identity-init convs act as near-identity");
  }

  // Channel LayerNorm: unbiased variance over channels, eps 1e-5.
  ChannelLayerNorm ln;
  auto v = torch::randn({3, 7, 5, 4}) * 3 + 1;
  auto n = ln(v);
  auto ref = (v - v.mean(1, true)) / torch::sqrt(v.var(1, /*unbiased=*/true, true) + 1e-5);
  EXPECT(maxAbs(n - ref) < 1e-5, "LayerNorm error %g", maxAbs(n - ref));
  auto vcl = v.contiguous(torch::MemoryFormat::ChannelsLast);
  auto ncl = ln(vcl);
  EXPECT(ncl.is_contiguous(torch::MemoryFormat::ChannelsLast) && maxAbs(ncl - ref) < 1e-5,
         "channels-last LayerNorm error %g", maxAbs(ncl - ref));
  auto n3 = ln(v.unsqueeze(-1).repeat({1, 1, 1, 1, 2}).contiguous(torch::MemoryFormat::ChannelsLast3d));
  EXPECT(maxAbs(n3.select(4, 1) - ref) < 1e-5, "channels-last-3d LayerNorm");
  auto nb = ln(v.to(torch::kBFloat16));
  EXPECT(nb.scalar_type() == torch::kBFloat16 && maxAbs(nb.to(torch::kFloat) - ref) < 0.1, "bf16 LayerNorm");

  auto big = torch::randn({100000}) * 1000;
  double m2 = maxAbs(saturate(big, Saturation::Softclip2)), m1 = maxAbs(saturate(big, Saturation::Softclip)),
         mt = maxAbs(saturate(big, Saturation::Tanh));
  std::printf("  max |softclip2| %.4f, |softclip| %.4f, |tanh| %.4f (bound 5)\n", m2, m1, mt);
  EXPECT(m2 < 5 && m1 < 5 && mt <= 5, "saturation bounds");
  auto small = torch::linspace(-0.1, 0.1, 11);
  EXPECT(maxAbs(saturate(small, Saturation::Softclip2) - small) < 1e-3, "softclip2 ~ identity near 0");
  auto r = saturate(torch::randn({2, 8, 4, 4}) * 7, Saturation::RmsNorm);
  EXPECT(maxAbs(r.square().mean(1) - 1) < 1e-3, "rmsnorm unit channel RMS");

  // Periodic padding: a circular shift commutes with the conv.
  ConvNdOptions p;
  p.in_channels = 3;
  p.out_channels = 4;
  p.periodic = true;
  ConvNd pc(p);
  auto xs = torch::randn({1, 3, 8, 8});
  EXPECT(maxAbs(pc(torch::roll(xs, {3}, {2})) - torch::roll(pc(xs), {3}, {2})) < 1e-5, "circular conv equivariance");
}

void checkLosses() {
  std::printf("[losses] vrmse/mse/mae/similarity against direct formulas\n");
  torch::NoGradGuard ng;
  AutoencoderConfig c = dcae2dConfig();
  c.dropout = 0;
  Autoencoder a(c);
  a->eval();
  auto x = torch::randn({3, 5, 16, 16}) * 2 + 0.5;
  auto z = a->encode(x);
  auto y = a->decode(z);
  auto mse = (x - y).square().mean({2, 3});
  auto var = x.var({2, 3}, /*unbiased=*/true, false);
  double vrmse = torch::sqrt(mse / (var + 1e-2)).mean().item<double>();
  double got = a->loss(x).item<double>();
  EXPECT(std::abs(got - vrmse) < 1e-5 * vrmse, "vrmse %g vs %g", got, vrmse);
  std::vector<std::pair<std::string, double>> expect{{"mse", (x - y).square().mean().item<double>()},
                                                     {"mae", (x - y).abs().mean().item<double>()}};
  auto zf = z.flatten(1);
  auto zn = zf / zf.norm(2, 1, true);
  auto cs = zn.mm(zn.t());
  double sim = ((cs.sum() - cs.trace()) / 6).item<double>();
  expect.emplace_back("similarity", expect[1].second + 0.1 * sim);
  for (auto& [kind, want] : expect) {
    AutoencoderConfig k = c;
    k.loss = kind;
    Autoencoder b(k);
    loadStateDict(*b, stateDict(*a));
    b->eval();
    double l = b->loss(x).item<double>();
    EXPECT(std::abs(l - want) < 1e-5 * std::abs(want) + 1e-7, "%s %g vs %g", kind.c_str(), l, want);
  }
  std::printf("  vrmse %.5f, mse %.5f, mae %.5f, similarity %.5f (cos term %.4f)\n", vrmse, expect[0].second,
              expect[1].second, expect[2].second, sim);
}

void checkOverfit(bool quick) {
  std::printf("[train] tiny AE overfits a fixed batch with AdamW\n");
  torch::manual_seed(0);
  AutoencoderConfig c;
  c.pix_channels = 3;
  c.lat_channels = 8;
  c.hid_channels = {16, 32};
  c.hid_blocks = {1, 1};
  c.dropout = 0;
  c.loss = "mse";
  auto ae = std::make_shared<AutoencoderImpl>(c);
  // Smooth fields: sums of a few random sinusoids.
  auto g = torch::linspace(0, 2 * M_PI, 16);
  auto X = g.view({1, 1, 16, 1}), Y = g.view({1, 1, 1, 16});
  auto x = torch::zeros({4, 3, 16, 16});
  for (int k = 1; k <= 3; ++k)
    x += torch::randn({4, 3, 1, 1}) * torch::sin(k * X + torch::rand({4, 3, 1, 1}) * 6) *
         torch::cos(k * Y + torch::rand({4, 3, 1, 1}) * 6) / k;
  TrainerOptions o;
  o.lr = 2e-3;
  o.clip = 1.0;
  Trainer t(ae, o);
  const int steps = quick ? 100 : 200;
  auto t0 = std::chrono::steady_clock::now();
  double first = 0, last = 0, max_norm = 0;
  for (int i = 0; i < steps; ++i) {
    StepResult r = t.step([&] { return ae->loss(x); });
    if (i == 0) first = r.loss;
    last = r.loss;
    max_norm = std::max(max_norm, r.grad_norm);
    EXPECT(!r.skipped, "step %d skipped", i);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  mse %.4g -> %.4g (x%.0f) in %d steps, %.2fs, max pre-clip grad norm %.3g\n", first, last,
              first / last, steps, secs, max_norm);
  EXPECT(first / last >= 10, "loss dropped only %.1fx", first / last);
  EXPECT(t.steps() == steps && t.skippedSteps() == 0, "step counters");

  // Non-finite loss: skipped and counted, parameters untouched.
  auto before = stateDict(*ae)[0].second.clone();
  StepResult r = t.step([&] { return ae->loss(x) * std::numeric_limits<double>::quiet_NaN(); });
  EXPECT(r.skipped && t.skippedSteps() == 1 && torch::equal(before, stateDict(*ae)[0].second), "NaN loss skipped");
  // Non-finite gradient with a finite loss: d sqrt(0*|p|)/dp = inf * 0 = NaN in the backward pass.
  r = t.step([&] {
    auto p = stateDict(*ae)[0].second;
    return ae->loss(x) + at::sqrt(p.abs() * 0).sum();
  });
  std::printf("  non-finite loss -> skipped=%d; non-finite grad (loss %.3g, norm %g) -> skipped=%d; skipped total %lld\n",
              1, r.loss, r.grad_norm, int(r.skipped), (long long)t.skippedSteps());
  EXPECT(r.skipped && std::isfinite(r.loss) && !std::isfinite(r.grad_norm) && t.skippedSteps() == 2,
        "NaN grad skipped");
  EXPECT(torch::equal(before, stateDict(*ae)[0].second), "params untouched by skipped steps");

  // Learning rate per step; clipping reports the pre-clip norm.
  TrainerOptions tiny = o;
  tiny.clip = 1e-3;
  Trainer t2(ae, tiny);
  r = t2.step([&] { return ae->loss(x) * 1000; }, 1e-4);
  EXPECT(r.grad_norm > 1e-3 && std::abs(t2.learningRate() - 1e-4) < 1e-12, "pre-clip norm %g", r.grad_norm);
  auto& group = t2.optimizer().param_groups()[0];
  EXPECT(static_cast<torch::optim::AdamWOptions&>(group.options()).lr() == 1e-4, "lr applied to the optimizer");

  // bf16 autocast: finite loss, near the fp32 loss, autocast state restored afterwards.
  TrainerOptions bf = o;
  bf.bf16_autocast = true;
  Trainer t3(ae, bf);
  ae->eval();
  double fp32 = ae->loss(x).item<double>();
  r = t3.step([&] {
    EXPECT(at::autocast::is_autocast_enabled(c10::DeviceType::CPU), "autocast on inside the step");
    return ae->loss(x);
  });
  std::printf("  bf16 autocast step: loss %.4g (fp32 %.4g), grad norm %.3g\n", r.loss, fp32, r.grad_norm);
  EXPECT(!r.skipped && std::abs(r.loss - fp32) < 0.1 * fp32 + 1e-3, "bf16 step loss");
  EXPECT(!at::autocast::is_autocast_enabled(c10::DeviceType::CPU), "autocast restored");
}

void checkSafetensors() {
  std::printf("[safetensors] round trip, metadata, corrupt files\n");
  const std::string dir = "/tmp/dcae_check_" + std::to_string(::getpid());
  std::system(("mkdir -p " + dir).c_str());
  const std::string path = dir + "/weights.safetensors";
  NamedTensors ts{
      {"z.f32", torch::randn({3, 4})},
      {"a.f64", torch::randn({2, 2, 2}, torch::kFloat64)},
      {"m.f16", torch::randn({5}).to(torch::kFloat16)},
      {"b.bf16", torch::randn({4, 1}).to(torch::kBFloat16)},
      {"i64", torch::randint(-1000000, 1000000, {7}, torch::kInt64)},
      {"i32", torch::randint(-1000, 1000, {2, 3}, torch::kInt32)},
      {"bool", torch::rand({9}) > 0.5},
      {"u8", torch::randint(0, 256, {4}, torch::kUInt8)},
      {"scalar", torch::tensor(1e-5f)},
      {"empty", torch::zeros({0, 3})},
      {"strided", torch::randn({4, 6}).t()},
      {"nan", torch::tensor({std::nanf("0x1234"), INFINITY, -0.0f})},
  };
  Metadata md{{"config", "{\"a\": \"\\u00e9\\n\"}"}, {"format", "pt"}};
  saveSafetensors(path, ts, md);
  Safetensors back = loadSafetensors(path);
  bool same = back.tensors.size() == ts.size();
  for (size_t i = 0; same && i < ts.size(); ++i) {
    const auto& [k, v] = back.tensors[i];
    const auto orig = ts[i].second.contiguous();
    same = k == ts[i].first && v.scalar_type() == orig.scalar_type() && v.sizes() == orig.sizes() &&
           std::memcmp(v.data_ptr(), orig.data_ptr(), orig.numel() * orig.element_size()) == 0;
    EXPECT(same, "tensor %zu (%s) differs", i, ts[i].first.c_str());
  }
  EXPECT(back.metadata == md, "metadata round trip");
  std::string mem = serializeSafetensors(ts, md);
  std::ifstream f(path, std::ios::binary);
  std::string disk((std::istreambuf_iterator<char>(f)), {});
  EXPECT(mem == disk, "file == serialized bytes");
  EXPECT(parseSafetensors(mem.data(), mem.size()).tensors.size() == ts.size(), "parse from memory");
  EXPECT(::access((path + ".tmp-" + std::to_string(::getpid())).c_str(), F_OK) != 0, "no temp file left");
  std::printf("  %zu tensors (8 dtypes, 0-d, empty, strided, NaN payload) bit-exact, %zu bytes, header %% 8 == %d\n",
              ts.size(), disk.size(), int(*reinterpret_cast<const uint64_t*>(disk.data()) % 8));

  auto writeBytes = [&](const std::string& p, const std::string& bytes) {
    std::ofstream o(p, std::ios::binary);
    o.write(bytes.data(), bytes.size());
  };
  auto withHeader = [](const std::string& header, const std::string& data) {
    std::string s(8, '\0');
    uint64_t n = header.size();
    std::memcpy(s.data(), &n, 8);
    return s + header + data;
  };
  const std::string bad = dir + "/bad.safetensors";
  writeBytes(bad, disk.substr(0, disk.size() - 10));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, bad + ": truncated: header says", "truncated data");
  writeBytes(bad, disk.substr(0, 20));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "truncated: header length", "truncated header");
  writeBytes(bad, "abc");
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "too short", "tiny file");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", std::string(8, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "invalid header JSON", "bad JSON");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", std::string(8, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "needs 12 bytes, data_offsets span 8", "shape vs bytes");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"F8\",\"shape\":[8],\"data_offsets\":[0,8]}}", std::string(8, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "unsupported dtype \"F8\"", "bad dtype");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]},"
                             "\"y\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}",
                             std::string(8, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "leave a gap", "gap");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                             "\"y\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}",
                             std::string(6, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "overlap", "overlap");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", std::string(6, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "2 unused bytes", "trailing bytes");
  writeBytes(bad, withHeader("{\"x\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                             "\"x\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}}",
                             std::string(4, 'a')));
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "duplicate key", "duplicate name");
  std::string huge(8, '\xff');
  writeBytes(bad, huge + "xxxx");
  expectThrow<std::runtime_error>([&] { loadSafetensors(bad); }, "implausibly large", "huge header length");
  expectThrow<std::runtime_error>([&] { loadSafetensors(dir + "/missing.safetensors"); }, "cannot open", "missing file");
  expectThrow<std::runtime_error>([&] { saveSafetensors(dir + "/x.safetensors", {{"c", torch::zeros({2}, torch::kComplexFloat)}}); },
                                  "unsupported dtype", "unsupported dtype on write");

  // State dict through a file: a fresh model gets identical outputs.
  torch::NoGradGuard ng;
  Autoencoder a(dcae2dConfig()), b(dcae2dConfig());
  a->eval();
  b->eval();
  saveSafetensors(dir + "/ae.safetensors", stateDict(*a), {{"config", dcae2dConfig().toJson()}});
  Safetensors w = loadSafetensors(dir + "/ae.safetensors");
  loadStateDict(*b, w.tensors);
  auto x = torch::randn({1, 5, 16, 16});
  EXPECT(torch::equal(a->forward(x), b->forward(x)), "state dict round trip gives identical outputs");
  // Mismatches are all reported at once.
  NamedTensors broken = w.tensors;
  broken.erase(broken.begin() + 2);                                     // missing norm.eps
  broken[0].second = torch::zeros({8, 4, 3, 3});                        // wrong shape
  broken.emplace_back("encoder.extra.weight", torch::zeros({1}));      // unexpected
  broken[5].second = broken[5].second.to(torch::kFloat64);              // dtype converts fine
  expectThrow<std::invalid_argument>([&] { loadStateDict(*b, broken); },
                                     "missing keys (1):\n    encoder.descent.0.1.norm.eps\n  unexpected keys (1):\n"
                                     "    encoder.extra.weight\n  shape mismatches (1):\n"
                                     "    encoder.descent.0.0.weight: expected [8, 5, 3, 3], got [8, 4, 3, 3]",
                                     "loadStateDict report");
  broken[0].second = w.tensors[0].second;
  LoadReport rep = loadStateDict(*b, broken, /*strict=*/false);
  EXPECT(rep.missing.size() == 1 && rep.unexpected.size() == 1, "non-strict report");
  std::system(("rm -rf " + dir).c_str());
}

// Compares against the fixture written by reference_dcae.py (an independent Python implementation
// of the spec): weights + "__input__" / "__latent__" / "__output__", config in __metadata__.
void checkFixture(const std::string& name) {
  const std::string path = std::string(FIXTURE_DIR) + "/" + name + ".safetensors";
  if (::access(path.c_str(), R_OK) != 0) {
    std::printf("[fixture] %s missing, skipped\n", path.c_str());
    return;
  }
  std::printf("[fixture] %s: C++ model vs the Python reference re-implementation\n", name.c_str());
  Safetensors f = loadSafetensors(path);
  std::string config;
  for (const auto& [k, v] : f.metadata)
    if (k == "config") config = v;
  Autoencoder a(AutoencoderConfig::fromJson(config));
  NamedTensors weights;
  torch::Tensor input, latent, output;
  for (const auto& [k, v] : f.tensors) {
    if (k == "__input__") input = v;
    else if (k == "__latent__") latent = v;
    else if (k == "__output__") output = v;
    else weights.emplace_back(k, v);
  }
  loadStateDict(*a, weights);
  a->eval();
  torch::NoGradGuard ng;
  auto z = a->encode(input);
  auto y = a->decode(z);
  double ez = maxAbs(z - latent) / maxAbs(latent), ey = maxAbs(y - output) / maxAbs(output);
  std::printf("  %s: latent rel. max error %.2e, output rel. max error %.2e\n", config.c_str(), ez, ey);
  EXPECT(ez <= 1e-4 && ey <= 1e-4, "fixture mismatch");
}

void bench() {
  std::printf("[bench] forward+backward of a mid-size 2-D AE (B=4, 5x128x128), 3 steps each\n");
  AutoencoderConfig c;
  c.hid_channels = {32, 64, 128, 256};
  c.hid_blocks = {1, 1, 1, 1};
  c.lat_channels = 16;
  auto ae = std::make_shared<AutoencoderImpl>(c);
  auto x = torch::randn({4, 5, 128, 128});
  for (bool bf16 : {false, true}) {
    for (bool cl : {false, true}) {
      TrainerOptions o;
      o.bf16_autocast = bf16;
      Trainer t(ae, o);
      auto xin = cl ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
      t.step([&] { return ae->loss(xin); });  // warm-up
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 3; ++i) t.step([&] { return ae->loss(xin); });
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 3;
      std::printf("  bf16=%d channels_last_input=%d: %.0f ms/step\n", int(bf16), int(cl), ms);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, do_bench = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") quick = true;
    if (std::string(argv[i]) == "--bench") do_bench = true;
  }
  torch::manual_seed(0);
  try {
    checkKeys();
    checkShapes();
    checkValidation();
    checkLayers();
    checkLosses();
    checkSafetensors();
    checkOverfit(quick);
    checkFixture("dcae2d_small");
    checkFixture("dcae3d_small");
    if (do_bench) bench();
  } catch (const std::exception& e) {
    std::printf("  FAIL uncaught exception: %s\n", e.what());
    ++failures;
  }
  std::printf(failures ? "%d check(s) FAILED\n" : "all checks passed\n", failures);
  return failures ? 1 : 0;
}
