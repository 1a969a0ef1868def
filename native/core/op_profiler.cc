#include "core/pch.h"

#include "core/op_profiler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <torch/csrc/autograd/profiler_kineto.h>

namespace latent {

namespace {

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

bool running = false;  // only touched on the compute thread
bool with_shapes = false;
std::chrono::steady_clock::time_point started;

impl::ProfilerConfig Config(bool shapes) { return impl::ProfilerConfig(impl::ProfilerState::KINETO, /*report_input_shapes=*/shapes); }

// "[4, 320, 1024] bf16, [1024] f32, scalar": an input's shape (none for a scalar or an absent optional) and
// its type in torch's short names.
std::string DescribeInputs(const prof::KinetoEvent& e) {
  const auto shapes = e.shapes();
  const auto types = e.hasTypes() ? e.dtypes() : c10::ArrayRef<std::string>{};
  static const std::map<std::string, std::string> kShort{{"float", "f32"}, {"double", "f64"}, {"c10::BFloat16", "bf16"}, {"c10::Half", "f16"},
                                                        {"long int", "i64"}, {"int", "i32"}, {"bool", "bool"}, {"c10::complex<float>", "c64"}};
  std::string out;
  for (size_t i = 0; i < std::max(shapes.size(), types.size()); ++i) {
    const std::string type = i < types.size() ? types[i] : "";
    const bool tensor = i < shapes.size() && !shapes[i].empty();
    if (!tensor && type.empty()) continue;  // an absent optional
    if (!out.empty()) out += ", ";
    if (tensor) {
      out += "[";
      for (size_t d = 0; d < shapes[i].size(); ++d) out += (d ? ", " : "") + std::to_string(shapes[i][d]);
      out += "]";
      auto it = kShort.find(type);
      if (!type.empty()) out += " " + (it != kShort.end() ? it->second : type);
    } else {
      out += type == "Scalar" || type.empty() ? "scalar" : type;
    }
  }
  return out;
}

const std::set<impl::ActivityType> kActivities{impl::ActivityType::CPU};

}  // namespace

bool OpProfileRunning() { return running; }

void StartOpProfile(bool shapes) {
  if (running) throw std::logic_error("a profile is already running (stop it first)");
  prof::prepareProfiler(Config(shapes), kActivities);
  prof::enableProfiler(Config(shapes), kActivities);
  running = true;
  with_shapes = shapes;
  started = std::chrono::steady_clock::now();
}

OpProfile StopOpProfile() {
  if (!running) throw std::logic_error("no profile is running (start one first)");
  running = false;
  std::unique_ptr<prof::ProfilerResult> result = prof::disableProfiler();
  OpProfile out;
  out.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  // Self time: events nest by time interval on their thread. Sorted by start (longest first on ties), a stack
  // of the still-open events gives each event its direct parent, whose self time loses the child's duration.
  struct Span {
    const prof::KinetoEvent* event;
    uint64_t start, end;
    uint64_t children = 0;
  };
  std::map<uint64_t, std::vector<Span>> byThread;
  for (const auto& e : result->events()) {
    if (e.deviceType() != c10::DeviceType::CPU) continue;
    byThread[e.startThreadId()].push_back({&e, e.startNs(), e.startNs() + e.durationNs()});
  }
  std::unordered_map<std::string, size_t> row;
  for (auto& [thread, spans] : byThread) {
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.start != b.start ? a.start < b.start : a.end > b.end; });
    std::vector<Span*> open;
    for (auto& s : spans) {
      while (!open.empty() && open.back()->end <= s.start) open.pop_back();
      if (!open.empty()) open.back()->children += s.end - s.start;
      open.push_back(&s);
    }
    for (const auto& s : spans) {
      const std::string name = s.event->name();
      const std::string inputs = with_shapes && s.event->hasShapes() ? DescribeInputs(*s.event) : "";
      auto [it, inserted] = row.emplace(inputs.empty() ? name : name + "\n" + inputs, out.ops.size());
      if (inserted) out.ops.push_back({name, inputs});
      OpStat& op = out.ops[it->second];
      const uint64_t duration = s.end - s.start;
      op.calls += 1;
      op.total_ms += double(duration) / 1e6;
      op.self_ms += double(duration - std::min(duration, s.children)) / 1e6;
    }
  }
  for (const auto& op : out.ops) out.self_ms_sum += op.self_ms;
  std::sort(out.ops.begin(), out.ops.end(), [](const OpStat& a, const OpStat& b) { return a.self_ms > b.self_ms; });
  return out;
}

}  // namespace latent
