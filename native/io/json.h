// Minimal strict JSON (RFC 8259) reader and string quoting, enough for safetensors headers.
// libtorch exposes no public JSON API, and the header format is tiny, so a small parser of our own
// keeps the dependency list empty. Objects keep their key order (safetensors writers rely on it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latent {
namespace json {

struct Value {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  double number = 0.0;
  bool is_integer = false;  // the literal had no fraction/exponent and fits in int64
  int64_t integer = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // in document order; duplicate keys rejected

  // Object member lookup; nullptr when absent or when this is not an object.
  const Value* find(std::string_view key) const;
};

// Parses a complete document (surrounding whitespace allowed, nothing else). Throws
// std::runtime_error("<what> at offset N") on any malformation, duplicate object key, or nesting
// deeper than 64.
Value parse(std::string_view text);

// Returns `s` as a JSON string literal, quotes included (control characters escaped, UTF-8 kept).
std::string quote(std::string_view s);

}  // namespace json
}  // namespace latent
