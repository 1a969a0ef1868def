// Turns C++ and libtorch failures into JavaScript errors that say what was being done.
#pragma once
#include <exception>
#include <string>

namespace latent {

// The message of an exception without libtorch's C++ backtrace.
std::string ExceptionMessage(const std::exception& e);

// "context: message", the form every error crossing into JavaScript takes.
std::string WithContext(const std::string& context, const std::exception& e);

// Thrown for wrong argument types; the bindings turn it into a JavaScript TypeError.
struct TypeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace latent
