#include "core/pch.h"
#include "js/options.h"

#include <cmath>

#include "core/errors.h"

namespace latent::js {

OptionReader::OptionReader(const Napi::Value& value, std::string path, bool optional) : path_(std::move(path)) {
  if (value.IsObject() && !value.IsArray()) object_ = value.As<Napi::Object>();
  else if (!(optional && (value.IsUndefined() || value.IsNull()))) throw TypeError(path_ + " must be an object");
}

void OptionReader::fail(const char* key, const std::string& expected) const { throw TypeError(name(key) + " must be " + expected); }

bool OptionReader::has(const char* key) const { return object_ && object_->Has(key) && !object_->Get(key).IsUndefined(); }

Napi::Value OptionReader::raw(const char* key) const { return has(key) ? object_->Get(key) : Napi::Value(); }

double OptionReader::number(const char* key, double fallback) const {
  if (!has(key)) return fallback;
  Napi::Value v = object_->Get(key);
  if (!v.IsNumber()) fail(key, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

double OptionReader::required(const char* key) const {
  if (!has(key)) throw TypeError(name(key) + " is required");
  return number(key, 0);
}

int64_t OptionReader::integer(const char* key, int64_t fallback) const {
  const double v = number(key, double(fallback));
  if (!std::isfinite(v) || v != std::floor(v)) fail(key, "an integer, got " + std::to_string(v));
  return int64_t(v);
}

uint64_t OptionReader::seed(const char* key) const {
  const int64_t v = integer(key, 0);
  if (v < 0) throw std::invalid_argument(name(key) + " must be a non-negative integer");
  return uint64_t(v);
}

bool OptionReader::boolean(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  Napi::Value v = object_->Get(key);
  if (!v.IsBoolean()) fail(key, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string OptionReader::string(const char* key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  Napi::Value v = object_->Get(key);
  if (!v.IsString()) fail(key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

std::string OptionReader::oneOf(const char* key, const std::string& fallback, std::initializer_list<const char*> allowed) const {
  std::string v = string(key, fallback);
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return v;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw std::invalid_argument(name(key) + " must be one of " + list + ", got \"" + v + "\"");
}

std::vector<int64_t> OptionReader::integers(const char* key, std::vector<int64_t> fallback, size_t broadcast) const {
  if (!has(key)) return fallback;
  Napi::Value v = object_->Get(key);
  if (v.IsNull()) return {};
  const char* expected = broadcast ? "an integer or a list of integers" : "a list of integers";
  if (v.IsNumber() && broadcast) {
    const int64_t n = integer(key, 0);
    return std::vector<int64_t>(broadcast, n);
  }
  if (!v.IsArray()) fail(key, expected);
  auto array = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value e = array.Get(i);
    if (!e.IsNumber() || e.As<Napi::Number>().DoubleValue() != std::floor(e.As<Napi::Number>().DoubleValue())) fail(key, expected);
    out.push_back(int64_t(e.As<Napi::Number>().DoubleValue()));
  }
  return out;
}

OptionReader OptionReader::object(const char* key) const {
  return OptionReader(has(key) ? object_->Get(key) : Napi::Value(), name(key), true);
}

void OptionReader::onlyKeys(std::initializer_list<const char*> known) const {
  if (!object_) return;
  auto keys = object_->GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) throw std::invalid_argument(path_ + " has an unknown key \"" + key + "\"");
  }
}

std::vector<std::string> OptionReader::keys() const {
  std::vector<std::string> out;
  if (!object_) return out;
  auto names = object_->GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) out.push_back(names.Get(i).ToString().Utf8Value());
  return out;
}

Metadata OptionReader::stringMap() const {
  Metadata out;
  if (!object_) return out;
  auto keys = object_->GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Value v = object_->Get(key);
    if (!v.IsString()) throw TypeError(path_ + "." + key + " must be a string");
    out.emplace_back(key, v.As<Napi::String>().Utf8Value());
  }
  return out;
}

}  // namespace latent::js
