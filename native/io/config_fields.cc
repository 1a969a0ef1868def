#include "core/pch.h"
#include "io/config_fields.h"

#include <sstream>
#include <stdexcept>

namespace latent::json {

void FieldReader::fail(const std::string& key, const char* expected) const {
  throw std::invalid_argument(what_ + ": \"" + key + "\" must be " + expected);
}

int64_t FieldReader::integer(const Value& v, const std::string& key) const {
  if (v.type != Value::Type::Number || !v.is_integer) fail(key, "an integer");
  return v.integer;
}

double FieldReader::number(const Value& v, const std::string& key) const {
  if (v.type != Value::Type::Number) fail(key, "a number");
  return v.number;
}

bool FieldReader::boolean(const Value& v, const std::string& key) const {
  if (v.type != Value::Type::Bool) fail(key, "a boolean");
  return v.boolean;
}

std::string FieldReader::string(const Value& v, const std::string& key) const {
  if (v.type != Value::Type::String) fail(key, "a string");
  return v.string;
}

std::vector<int64_t> FieldReader::integers(const Value& v, const std::string& key, bool allowNull) const {
  if (allowNull && v.type == Value::Type::Null) return {};
  if (v.type != Value::Type::Array) fail(key, "an array of integers");
  std::vector<int64_t> out;
  for (const auto& e : v.array) out.push_back(integer(e, key));
  return out;
}

std::string formatIntList(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

std::string formatNumber(double x) {
  std::ostringstream os;
  os.precision(17);
  os << x;
  return os.str();
}

}  // namespace latent::json
