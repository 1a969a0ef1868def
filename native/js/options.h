// One reader for every option object JavaScript hands to the addon (model configs, optimizer, rollout and
// sampler options, weights metadata), in the style of onnxruntime-node's run_options_helper: each option set
// has one parser, and every error names the call and the key, e.g. `Emulator.rollout: options.eta must be
// a number`. Objects cross as plain JS objects (nested where the zod schema nests them), never JSON text.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace latent::js {

class OptionReader {
 public:
  // `value` must be an object (or undefined/null when `optional`: then every read returns its fallback).
  // `path` names it in errors ("options", "config.schedule").
  OptionReader(const Napi::Value& value, std::string path, bool optional = false);

  bool present() const { return object_.has_value(); }  // false for an optional reader of undefined/null
  bool has(const char* key) const;  // present and not undefined
  double number(const char* key, double fallback) const;
  double required(const char* key) const;  // a number that must be given
  int64_t integer(const char* key, int64_t fallback) const;
  // A random seed: a non-negative integer (default 0).
  uint64_t seed(const char* key = "seed") const;
  bool boolean(const char* key, bool fallback) const;
  std::string string(const char* key, const std::string& fallback) const;
  // A string that must be one of `allowed`.
  std::string oneOf(const char* key, const std::string& fallback, std::initializer_list<const char*> allowed) const;
  // An integer list; a single integer n reads as `broadcast` copies of n (0: refused); null reads as {}.
  std::vector<int64_t> integers(const char* key, std::vector<int64_t> fallback, size_t broadcast = 0) const;
  // A nested object (absent: an optional reader whose reads return their fallbacks).
  OptionReader object(const char* key) const;
  Napi::Value raw(const char* key) const;
  // Refuses keys outside `known` (typos would otherwise be silently ignored).
  void onlyKeys(std::initializer_list<const char*> known) const;
  std::vector<std::string> keys() const;  // own keys, in order
  // Every own key with its value converted to a string: `__metadata__` entries (values must be strings).
  Metadata stringMap() const;

  std::string name(const char* key) const { return path_ + "." + key; }

 private:
  [[noreturn]] void fail(const char* key, const std::string& expected) const;
  std::optional<Napi::Object> object_;
  std::string path_;
};

// The object argument `info[i]`; undefined/null is an empty object.
inline OptionReader OptionsArg(const Napi::CallbackInfo& info, size_t i, const std::string& path) {
  return OptionReader(i < info.Length() ? info[i] : info.Env().Undefined(), path, true);
}

}  // namespace latent::js
