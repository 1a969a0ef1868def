// Reading JavaScript arguments with errors that name the argument.
#pragma once
#include <string>

#include "core/errors.h"
#include "io/safetensors.h"

namespace latent::js {

inline double NumberArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  if (i >= info.Length() || !info[i].IsNumber()) throw TypeError(what + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline std::string StringArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  if (i >= info.Length() || !info[i].IsString()) throw TypeError(what + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// Runs a synchronous binding body, turning C++ errors into JavaScript ones with `context`.
template <typename F>
Napi::Value Guard(Napi::Env env, const std::string& context, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const TypeError& e) {
    throw Napi::TypeError::New(env, context + ": " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, WithContext(context, e));
  }
}

// The `__metadata__` string map from a JSON object given by JavaScript; "config" and "format" are
// dropped because the bindings write those themselves.
inline Metadata MetadataFromJson(Napi::Env env, const std::string& text) {
  Metadata metadata;
  auto parsed = env.Global().Get("JSON").As<Napi::Object>().Get("parse").As<Napi::Function>()({Napi::String::New(env, text)});
  if (!parsed.IsObject()) return metadata;
  auto object = parsed.As<Napi::Object>();
  auto keys = object.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    if (key != "config" && key != "format") metadata.emplace_back(key, object.Get(key).ToString().Utf8Value());
  }
  return metadata;
}

}  // namespace latent::js
