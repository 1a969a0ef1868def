// The JavaScript `Tensor`: owns one at::Tensor, reports its memory to V8, and converts to and from typed arrays.
#pragma once
#include <string>

namespace latent {

at::ScalarType ParseDtype(const std::string& name);
std::string DtypeName(at::ScalarType type);
at::Device ParseDevice(const std::string& name);
std::string ShapeText(at::IntArrayRef shape);

class JsTensor : public Napi::ObjectWrap<JsTensor> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  // A new JS Tensor that owns `tensor`.
  static Napi::Object Wrap(Napi::Env env, at::Tensor tensor);
  // The tensor behind a JS value; `what` names the argument in errors (TypeError if not a Tensor, Error if disposed).
  static at::Tensor TensorOf(Napi::Value value, const std::string& what);
  static bool IsTensor(Napi::Value value);

  explicit JsTensor(const Napi::CallbackInfo& info);
  ~JsTensor() override;

 private:
  void Adopt(Napi::Env env, at::Tensor tensor);
  void Release(Napi::Env env);
  const at::Tensor& Live(const char* method) const;

  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  Napi::Value DataSync(const Napi::CallbackInfo& info);
  Napi::Value Data(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  at::Tensor tensor_;
  bool disposed_ = false;
  int64_t reported_ = 0;  // bytes reported to V8 as external memory
};

}  // namespace latent
