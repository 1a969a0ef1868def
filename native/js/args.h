// Reading JavaScript arguments with errors that name the argument.
#pragma once
#include <string>

#include "core/errors.h"

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

}  // namespace latent::js
