#include "core/pch.h"
#include "core/errors.h"

namespace latent {

std::string ExceptionMessage(const std::exception& e) {
  if (auto* c10err = dynamic_cast<const c10::Error*>(&e)) return c10err->what_without_backtrace();
  return e.what();
}

std::string WithContext(const std::string& context, const std::exception& e) {
  return context.empty() ? ExceptionMessage(e) : context + ": " + ExceptionMessage(e);
}

}  // namespace latent
