// safetensors reader/writer (https://github.com/huggingface/safetensors format):
//   [u64 little-endian N][N bytes of JSON header, space-padded][raw little-endian tensor data]
// Header: {"__metadata__": {str: str}?, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...}
// with offsets relative to the start of the data section. This is the weights format shared with the
// reference (scripts/convert_pth.py turns its .pth files into it).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace latent {

// Ordered (name, tensor) list: the order is kept on write and restored on read.
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;
// Ordered `__metadata__` string map.
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct Safetensors {
  NamedTensors tensors;  // CPU, contiguous, in data-offset order (= write order for our files)
  Metadata metadata;
};

// Supported dtypes: F32, F64, F16, BF16, I64, I32, BOOL, U8. Tensors may live on any device and be
// non-contiguous; they are copied to contiguous CPU memory first.
// Atomic: writes `path + ".tmp-<pid>"`, fsyncs it, renames it over `path`, fsyncs the directory.
// Throws std::runtime_error("<path>: <problem>") on I/O errors, unsupported dtypes, duplicate or
// empty names, or a "__metadata__" tensor name.
void saveSafetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

// Reads and validates a whole file: header length vs file size, well-formed JSON, known dtypes,
// shape × dtype size = byte length, offsets in range, contiguous and non-overlapping, data section
// fully covered. Throws std::runtime_error("<path>: <problem>").
Safetensors loadSafetensors(const std::string& path);

// In-memory variants (same format and validation); `name` is used in error messages.
std::string serializeSafetensors(const NamedTensors& tensors, const Metadata& metadata = {});
Safetensors parseSafetensors(const void* data, size_t size, const std::string& name = "<buffer>");

// "F32" etc. <-> torch dtype; the string form throws std::runtime_error for unsupported types.
std::string safetensorsDtypeName(torch::ScalarType type);

}  // namespace latent
