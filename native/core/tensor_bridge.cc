#include "core/pch.h"
#include "core/tensor_bridge.h"

#include <cstring>
#include <sstream>

#include "core/async.h"
#include "core/errors.h"

namespace latent {
namespace {

struct TensorClass {
  Napi::FunctionReference constructor;
};

// One constructor per Node environment (worker threads load the addon again).
TensorClass* ClassOf(Napi::Env env) { return env.GetInstanceData<TensorClass>(); }

struct DtypeEntry {
  const char* name;
  at::ScalarType type;
  napi_typedarray_type array;
};

const DtypeEntry kDtypes[] = {
    {"float32", at::kFloat, napi_float32_array},  {"float64", at::kDouble, napi_float64_array},
    {"float16", at::kHalf, napi_uint16_array},     {"bfloat16", at::kBFloat16, napi_uint16_array},
    {"int64", at::kLong, napi_bigint64_array},     {"int32", at::kInt, napi_int32_array},
    {"uint8", at::kByte, napi_uint8_array},        {"bool", at::kBool, napi_uint8_array},
};

const DtypeEntry& EntryOf(at::ScalarType type) {
  for (const auto& e : kDtypes)
    if (e.type == type) return e;
  throw std::invalid_argument(std::string("dtype ") + c10::toString(type) + " has no JavaScript typed array");
}

// The dtype a typed array holds when the caller does not say.
at::ScalarType DefaultDtype(napi_typedarray_type array) {
  switch (array) {
    case napi_float32_array: return at::kFloat;
    case napi_float64_array: return at::kDouble;
    case napi_bigint64_array: return at::kLong;
    case napi_int32_array: return at::kInt;
    case napi_uint8_array: return at::kByte;
    default: throw TypeError("typed array type is not supported: use Float32Array, Float64Array, BigInt64Array, Int32Array, Uint8Array, or Uint16Array with dtype float16/bfloat16");
  }
}

const char* ArrayName(napi_typedarray_type array) {
  switch (array) {
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint16_array: return "Uint16Array";
    default: return "typed array";
  }
}

std::vector<int64_t> ReadShape(Napi::Value value) {
  if (!value.IsArray()) throw TypeError("shape must be an array of non-negative integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value v = array.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)))
      throw TypeError("shape[" + std::to_string(i) + "] must be a non-negative integer");
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

// Copies a typed array into a new CPU tensor. JS can mutate or collect its buffer while native
// work runs on another thread, so the tensor owns its memory; one memcpy is cheap next to any model call.
at::Tensor FromTypedArray(Napi::TypedArray array, const std::vector<int64_t>& shape, const std::string& dtypeName) {
  napi_typedarray_type kind = array.TypedArrayType();
  at::ScalarType type = dtypeName.empty() ? DefaultDtype(kind) : ParseDtype(dtypeName);
  const auto& entry = EntryOf(type);
  if (entry.array != kind)
    throw TypeError("dtype " + dtypeName + " needs a " + ArrayName(entry.array) + ", got a " + ArrayName(kind));
  int64_t numel = 1;
  for (auto s : shape) numel *= s;
  if (numel != static_cast<int64_t>(array.ElementLength()))
    throw std::invalid_argument("shape " + ShapeText(shape) + " holds " + std::to_string(numel) + " elements, the " +
                                ArrayName(kind) + " has " + std::to_string(array.ElementLength()));
  auto tensor = at::empty(shape, at::TensorOptions().dtype(type));
  auto* bytes = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  if (numel) std::memcpy(tensor.data_ptr(), bytes, array.ByteLength());
  return tensor;
}

// A typed array over the tensor's own memory (zero-copy): JS tensors are never mutated in place,
// and the ArrayBuffer keeps the storage alive until V8 collects it.
Napi::Value ToTypedArray(Napi::Env env, const at::Tensor& source) {
  at::Tensor cpu = source.to(at::kCPU).contiguous();
  const auto& entry = EntryOf(cpu.scalar_type());
  size_t bytes = cpu.nbytes();
  Napi::ArrayBuffer buffer;
  if (bytes == 0) {
    buffer = Napi::ArrayBuffer::New(env, 0);
  } else {
    auto* holder = new at::Tensor(cpu);
    buffer = Napi::ArrayBuffer::New(env, cpu.data_ptr(), bytes, [](Napi::Env, void*, at::Tensor* t) { delete t; }, holder);
  }
  napi_value array;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, entry.array, static_cast<size_t>(cpu.numel()), buffer, 0, &array),
                       Napi::Value());
  return Napi::Value(env, array);
}

}  // namespace

at::ScalarType ParseDtype(const std::string& name) {
  for (const auto& e : kDtypes)
    if (name == e.name) return e.type;
  throw TypeError("unknown dtype \"" + name + "\": expected float32, float64, float16, bfloat16, int64, int32, uint8 or bool");
}

std::string DtypeName(at::ScalarType type) { return EntryOf(type).name; }

at::Device ParseDevice(const std::string& name) {
  at::Device device(at::kCPU);
  try {
    device = at::Device(name);
  } catch (const std::exception&) {
    throw TypeError("unknown device \"" + name + "\": expected cpu, cuda or cuda:N");
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      throw std::runtime_error("device " + name + " was asked for, but CUDA is not available (this libtorch is built without CUDA, or no GPU is visible)");
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::runtime_error("device " + name + " does not exist: " + std::to_string(torch::cuda::device_count()) + " CUDA device(s) visible");
  } else if (!device.is_cpu()) {
    throw TypeError("unsupported device \"" + name + "\": expected cpu, cuda or cuda:N");
  }
  return device;
}

std::string ShapeText(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

void JsTensor::Register(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Tensor",
                                    {InstanceAccessor<&JsTensor::Shape>("shape"),
                                     InstanceAccessor<&JsTensor::Dtype>("dtype"),
                                     InstanceAccessor<&JsTensor::Device>("device"),
                                     InstanceAccessor<&JsTensor::Disposed>("disposed"),
                                     InstanceMethod<&JsTensor::DataSync>("dataSync"),
                                     InstanceMethod<&JsTensor::Data>("data"),
                                     InstanceMethod<&JsTensor::To>("to"),
                                     InstanceMethod<&JsTensor::Dispose>("dispose")});
  auto* cls = new TensorClass{Napi::Persistent(ctor)};
  env.SetInstanceData<TensorClass>(cls);
  exports.Set("Tensor", ctor);
}

Napi::Object JsTensor::Wrap(Napi::Env env, at::Tensor tensor) {
  auto* holder = new at::Tensor(std::move(tensor));
  auto external = Napi::External<at::Tensor>::New(env, holder, [](Napi::Env, at::Tensor* t) { delete t; });
  return ClassOf(env)->constructor.New({external});
}

bool JsTensor::IsTensor(Napi::Value value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(ClassOf(value.Env())->constructor.Value());
}

at::Tensor JsTensor::TensorOf(Napi::Value value, const std::string& what) {
  if (!IsTensor(value)) throw TypeError(what + " must be a Tensor");
  auto* self = Napi::ObjectWrap<JsTensor>::Unwrap(value.As<Napi::Object>());
  if (self->disposed_) throw std::invalid_argument(what + " is a disposed Tensor");
  return self->tensor_;
}

JsTensor::JsTensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsTensor>(info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() == 1 && info[0].IsExternal()) {
      // Move, not copy: the External lives until V8 collects it, and a copy there would keep the storage
      // alive after dispose() (measured: +1 MiB of RSS per 1 MiB result until the next GC).
      Adopt(env, std::move(*info[0].As<Napi::External<at::Tensor>>().Data()));
      return;
    }
    if (info.Length() < 2 || !info[0].IsTypedArray())
      throw TypeError("new Tensor(data, shape, dtype?): data must be a typed array and shape an array");
    std::string dtype = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
    Adopt(env, FromTypedArray(info[0].As<Napi::TypedArray>(), ReadShape(info[1]), dtype));
  } catch (const TypeError& e) {
    throw Napi::TypeError::New(env, std::string("Tensor: ") + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, WithContext("Tensor", e));
  }
}

JsTensor::~JsTensor() {
  // Finalizers may run during teardown, when V8 no longer takes memory adjustments.
  if (reported_) Napi::MemoryManagement::AdjustExternalMemory(Env(), -reported_);
}

void JsTensor::Adopt(Napi::Env env, at::Tensor tensor) {
  tensor_ = std::move(tensor);
  reported_ = static_cast<int64_t>(tensor_.defined() ? tensor_.nbytes() : 0);
  if (reported_) Napi::MemoryManagement::AdjustExternalMemory(env, reported_);
}

void JsTensor::Release(Napi::Env env) {
  if (reported_) Napi::MemoryManagement::AdjustExternalMemory(env, -reported_);
  reported_ = 0;
  tensor_ = at::Tensor();
  disposed_ = true;
}

const at::Tensor& JsTensor::Live(const char* method) const {
  if (disposed_) throw Napi::Error::New(Env(), std::string("Tensor.") + method + ": the tensor was disposed");
  return tensor_;
}

Napi::Value JsTensor::Shape(const Napi::CallbackInfo& info) {
  const auto& t = Live("shape");
  auto array = Napi::Array::New(info.Env(), t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(t.size(i))));
  return array;
}

Napi::Value JsTensor::Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(Live("dtype").scalar_type()));
}

Napi::Value JsTensor::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Live("device").device().str());
}

Napi::Value JsTensor::Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

Napi::Value JsTensor::DataSync(const Napi::CallbackInfo& info) {
  try {
    return ToTypedArray(info.Env(), Live("dataSync"));
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), WithContext("Tensor.dataSync", e));
  }
}

Napi::Value JsTensor::Data(const Napi::CallbackInfo& info) {
  at::Tensor t = Live("data");
  return RunAsync<at::Tensor>(
      info.Env(), "Tensor.data", [t]() { return t.to(at::kCPU).contiguous(); },
      [](Napi::Env env, at::Tensor& cpu) { return ToTypedArray(env, cpu); }, {info.This()});
}

// to(device?, dtype?): a new Tensor on that device and of that dtype (copies off the JS thread).
Napi::Value JsTensor::To(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = Live("to");
  at::Device device = t.device();
  at::ScalarType type = t.scalar_type();
  try {
    for (size_t i = 0; i < info.Length() && i < 2; ++i) {
      if (info[i].IsUndefined() || info[i].IsNull()) continue;
      if (!info[i].IsString()) throw TypeError("to(device?, dtype?) takes strings");
      std::string s = info[i].As<Napi::String>().Utf8Value();
      bool isDtype = false;
      for (const auto& e : kDtypes) isDtype = isDtype || s == e.name;
      if (isDtype) type = ParseDtype(s); else device = ParseDevice(s);
    }
  } catch (const TypeError& e) {
    throw Napi::TypeError::New(env, std::string("Tensor.to: ") + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, WithContext("Tensor.to", e));
  }
  return RunAsync<at::Tensor>(
      env, "Tensor.to", [t, device, type]() { return t.to(device, type, /*non_blocking=*/false, /*copy=*/true); },
      [](Napi::Env env, at::Tensor& out) -> Napi::Value { return Wrap(env, out); }, {info.This()});
}

Napi::Value JsTensor::Dispose(const Napi::CallbackInfo& info) {
  if (!disposed_) Release(info.Env());
  return info.Env().Undefined();
}

}  // namespace latent
