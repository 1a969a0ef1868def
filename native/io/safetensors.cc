#include "core/pch.h"

#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "io/json.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors I/O assumes a little-endian host (the format stores little-endian data)"
#endif

namespace latent {

namespace {

constexpr uint64_t kMaxHeader = 100u * 1024 * 1024;  // same cap as the reference implementation

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  size_t size;
};
const DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, 4}, {"F64", torch::kFloat64, 8}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8}, {"I32", torch::kInt32, 4},
    {"BOOL", torch::kBool, 1},    {"U8", torch::kUInt8, 1},
};

const DtypeInfo* dtypeByName(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw std::runtime_error(file + ": " + what);
}

std::string errnoText() { return std::strerror(errno); }

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Header JSON (space-padded to a multiple of 8, as the reference writer does, so the data section
// is aligned) plus the contiguous CPU tensors in write order.
struct Prepared {
  std::string header;
  std::vector<torch::Tensor> data;
  uint64_t data_bytes = 0;
};

Prepared prepare(const NamedTensors& tensors, const Metadata& metadata, const std::string& file) {
  Prepared p;
  std::string& h = p.header;
  h += '{';
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); ++i) {
      if (i) h += ',';
      h += json::quote(metadata[i].first) + ':' + json::quote(metadata[i].second);
    }
    h += '}';
    first = false;
  }
  std::vector<const std::string*> seen;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == "__metadata__") fail(file, "invalid tensor name \"" + name + "\"");
    if (std::any_of(seen.begin(), seen.end(), [&](const std::string* s) { return *s == name; }))
      fail(file, "duplicate tensor name \"" + name + "\"");
    seen.push_back(&name);
    if (!tensor.defined()) fail(file, "tensor \"" + name + "\" is undefined");
    std::string dtype = safetensorsDtypeName(tensor.scalar_type());
    torch::Tensor t = tensor.to(torch::kCPU).contiguous();
    uint64_t bytes = uint64_t(t.numel()) * t.element_size();
    if (!first) h += ',';
    first = false;
    h += json::quote(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) h += (d ? "," : "") + std::to_string(t.size(d));
    h += "],\"data_offsets\":[" + std::to_string(p.data_bytes) + "," + std::to_string(p.data_bytes + bytes) + "]}";
    p.data_bytes += bytes;
    p.data.push_back(std::move(t));
  }
  h += '}';
  while (h.size() % 8) h += ' ';
  return p;
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

int64_t nonNegativeInt(const json::Value& v, const std::string& file, const std::string& what) {
  if (v.type != json::Value::Type::Number || !v.is_integer || v.integer < 0)
    fail(file, what + " must be a non-negative integer");
  return v.integer;
}

// Validates the header against a data section of `data_size` bytes; returns entries sorted by offset.
std::vector<Entry> parseHeader(const std::string& text, uint64_t data_size, const std::string& file,
                               Metadata& metadata) {
  json::Value root;
  try {
    root = json::parse(text);
  } catch (const std::exception& e) {
    fail(file, std::string("invalid header JSON: ") + e.what());
  }
  if (root.type != json::Value::Type::Object) fail(file, "header is not a JSON object");
  std::vector<Entry> entries;
  for (const auto& [name, v] : root.object) {
    if (name == "__metadata__") {
      if (v.type != json::Value::Type::Object) fail(file, "__metadata__ is not an object");
      for (const auto& [k, s] : v.object) {
        if (s.type != json::Value::Type::String) fail(file, "__metadata__ value for \"" + k + "\" is not a string");
        metadata.emplace_back(k, s.string);
      }
      continue;
    }
    const std::string where = "tensor \"" + name + "\"";
    if (v.type != json::Value::Type::Object) fail(file, where + " is not an object");
    const json::Value* dtype = v.find("dtype");
    const json::Value* shape = v.find("shape");
    const json::Value* offsets = v.find("data_offsets");
    if (!dtype || !shape || !offsets) fail(file, where + " lacks dtype, shape or data_offsets");
    if (v.object.size() != 3) fail(file, where + " has unexpected fields");
    if (dtype->type != json::Value::Type::String) fail(file, where + ": dtype is not a string");
    Entry e{name, dtypeByName(dtype->string), {}, 0, 0};
    if (!e.dtype) fail(file, where + ": unsupported dtype \"" + dtype->string + "\"");
    if (shape->type != json::Value::Type::Array) fail(file, where + ": shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : shape->array) {
      int64_t n = nonNegativeInt(d, file, where + ": shape entries");
      e.shape.push_back(n);
      if (n != 0 && numel > (uint64_t(1) << 62) / uint64_t(n)) fail(file, where + ": shape is too large");
      numel *= uint64_t(n);
    }
    if (offsets->type != json::Value::Type::Array || offsets->array.size() != 2)
      fail(file, where + ": data_offsets is not a pair");
    e.begin = nonNegativeInt(offsets->array[0], file, where + ": data_offsets");
    e.end = nonNegativeInt(offsets->array[1], file, where + ": data_offsets");
    if (e.end < e.begin) fail(file, where + ": data_offsets end before begin");
    const uint64_t need = numel * e.dtype->size;
    if (e.end - e.begin != need)
      fail(file, where + ": shape " + shapeText(e.shape) + " x " + e.dtype->name + " needs " + std::to_string(need) +
                     " bytes, data_offsets span " + std::to_string(e.end - e.begin));
    entries.push_back(std::move(e));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t max_end = 0;
  for (const auto& e : entries) max_end = std::max(max_end, e.end);
  if (max_end > data_size)
    fail(file, "truncated: header says " + std::to_string(max_end) + " bytes of data, file has " + std::to_string(data_size));
  uint64_t pos = 0;
  for (const auto& e : entries) {
    if (e.begin != pos)
      fail(file, "tensor \"" + e.name + "\": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                     "] " + (e.begin < pos ? "overlap" : "leave a gap after") + " the previous tensor (ends at " +
                     std::to_string(pos) + ")");
    pos = e.end;
  }
  if (pos != data_size)
    fail(file, std::to_string(data_size - pos) + " unused bytes after the tensor data (header covers " +
                   std::to_string(pos) + " of " + std::to_string(data_size) + ")");
  return entries;
}

uint64_t readU64(const unsigned char* b) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | b[i];
  return n;
}

std::string u64Bytes(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char((n >> (8 * i)) & 0xFF);
  return s;
}

void writeAll(int fd, const void* data, size_t size, const std::string& file) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, std::min<size_t>(size, size_t(1) << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(file, "write failed: " + errnoText());
    }
    p += n;
    size -= size_t(n);
  }
}

void preadAll(int fd, void* data, size_t size, uint64_t offset, const std::string& file) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, std::min<size_t>(size, size_t(1) << 30), off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(file, "read failed: " + errnoText());
    }
    if (n == 0) fail(file, "unexpected end of file");
    p += n;
    size -= size_t(n);
    offset += uint64_t(n);
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

torch::Tensor emptyFor(const Entry& e) {
  return torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
}

}  // namespace

std::string safetensorsDtypeName(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw std::runtime_error(std::string("safetensors: unsupported dtype ") + c10::toString(type));
}

std::string serializeSafetensors(const NamedTensors& tensors, const Metadata& metadata) {
  Prepared p = prepare(tensors, metadata, "<buffer>");
  std::string out = u64Bytes(p.header.size()) + p.header;
  out.reserve(out.size() + p.data_bytes);
  for (const auto& t : p.data)
    out.append(static_cast<const char*>(t.data_ptr()), size_t(t.numel()) * t.element_size());
  return out;
}

Safetensors parseSafetensors(const void* data, size_t size, const std::string& name) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (size < 8) fail(name, "too short for a safetensors file (" + std::to_string(size) + " bytes)");
  const uint64_t n = readU64(bytes);
  if (n > kMaxHeader) fail(name, "header length " + std::to_string(n) + " is implausibly large");
  if (n > size - 8)
    fail(name, "truncated: header length " + std::to_string(n) + " exceeds the " + std::to_string(size - 8) +
                   " bytes after the length field");
  Safetensors out;
  std::vector<Entry> entries =
      parseHeader(std::string(reinterpret_cast<const char*>(bytes + 8), n), size - 8 - n, name, out.metadata);
  const unsigned char* base = bytes + 8 + n;
  for (const auto& e : entries) {
    torch::Tensor t = emptyFor(e);
    if (e.end > e.begin) std::memcpy(t.data_ptr(), base + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

void saveSafetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
  Prepared p = prepare(tensors, metadata, path);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  try {
    Fd f;
    f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f.fd < 0) fail(path, "cannot create " + tmp + ": " + errnoText());
    const std::string prefix = u64Bytes(p.header.size());
    writeAll(f.fd, prefix.data(), prefix.size(), path);
    writeAll(f.fd, p.header.data(), p.header.size(), path);
    for (const auto& t : p.data) writeAll(f.fd, t.data_ptr(), size_t(t.numel()) * t.element_size(), path);
    if (::fsync(f.fd) != 0) fail(path, "fsync failed: " + errnoText());
    if (::close(f.fd) != 0) {
      f.fd = -1;
      fail(path, "close failed: " + errnoText());
    }
    f.fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "rename from " + tmp + " failed: " + errnoText());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable; failure here is not fatal (the file is complete either way).
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd >= 0) ::fsync(d.fd);
}

Safetensors loadSafetensors(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) fail(path, "cannot open: " + errnoText());
  struct stat st;
  if (::fstat(f.fd, &st) != 0) fail(path, "cannot stat: " + errnoText());
  const uint64_t size = uint64_t(st.st_size);
  if (size < 8) fail(path, "too short for a safetensors file (" + std::to_string(size) + " bytes)");
  unsigned char len[8];
  preadAll(f.fd, len, 8, 0, path);
  const uint64_t n = readU64(len);
  if (n > kMaxHeader) fail(path, "header length " + std::to_string(n) + " is implausibly large");
  if (n > size - 8)
    fail(path, "truncated: header length " + std::to_string(n) + " exceeds the " + std::to_string(size - 8) +
                   " bytes after the length field");
  std::string header(n, '\0');
  preadAll(f.fd, header.data(), n, 8, path);
  Safetensors out;
  // Validate everything before reading any data, then read each tensor straight into its storage.
  std::vector<Entry> entries = parseHeader(header, size - 8 - n, path, out.metadata);
  for (const auto& e : entries) {
    torch::Tensor t = emptyFor(e);
    if (e.end > e.begin) preadAll(f.fd, t.data_ptr(), e.end - e.begin, 8 + n + e.begin, path);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace latent
