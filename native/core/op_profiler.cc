#include "core/pch.h"

#include "core/op_profiler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include <torch/csrc/autograd/profiler_kineto.h>

namespace latent {

namespace {

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

bool running = false;  // only touched on the compute thread
std::chrono::steady_clock::time_point started;

impl::ProfilerConfig Config() { return impl::ProfilerConfig(impl::ProfilerState::KINETO); }
const std::set<impl::ActivityType> kActivities{impl::ActivityType::CPU};

}  // namespace

bool OpProfileRunning() { return running; }

void StartOpProfile() {
  if (running) throw std::logic_error("a profile is already running (stop it first)");
  prof::prepareProfiler(Config(), kActivities);
  prof::enableProfiler(Config(), kActivities);
  running = true;
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
      auto [it, inserted] = row.emplace(name, out.ops.size());
      if (inserted) out.ops.push_back({name});
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
