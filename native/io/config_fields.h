// Typed reads and writes of model configuration fields in JSON (the configs travel as JSON between
// TypeScript, weights-file metadata and C++). Errors name the configuration and the key.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/json.h"

namespace latent::json {

class FieldReader {
 public:
  explicit FieldReader(std::string what) : what_(std::move(what)) {}
  [[noreturn]] void fail(const std::string& key, const char* expected) const;
  int64_t integer(const Value& v, const std::string& key) const;
  double number(const Value& v, const std::string& key) const;
  bool boolean(const Value& v, const std::string& key) const;
  std::string string(const Value& v, const std::string& key) const;
  // An array of integers; `allowNull` reads null as the empty list.
  std::vector<int64_t> integers(const Value& v, const std::string& key, bool allowNull = false) const;

 private:
  std::string what_;
};

// "[1,2,3]"
std::string formatIntList(const std::vector<int64_t>& v);
// A number with full double precision, so that configs round-trip exactly.
std::string formatNumber(double x);

}  // namespace latent::json
