// A per-operator time breakdown from libtorch's own profiler (Kineto, CPU activities), driven from C++:
// start, run any native work on the same thread, stop and get one row per operator name, like the
// table of torch.profiler's key_averages(). Used by `npm run bench` to show where a step's time goes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace latent {

struct OpStat {
  std::string name;    // e.g. aten::mm, aten::convolution_backward, autograd::engine::evaluate_function: …
  std::string inputs;  // with shapes: the inputs' shapes and types, e.g. "[4, 320, 1024] bf16, [1024] f32, scalar"
  int64_t calls = 0;
  double self_ms = 0;  // time inside this op minus the time of the ops it called (on the same thread)
  double total_ms = 0; // time inside this op including its callees (nested calls of the same name counted again, as torch's table)
};

struct OpProfile {
  double wall_ms = 0;      // from start to stop
  double self_ms_sum = 0;  // Σ self_ms over all ops: the time spent inside any op
  std::vector<OpStat> ops; // by self_ms, largest first
};

// Starts recording the operators run on the calling thread (call it on the compute thread; the work to
// profile must run there too). With shapes, each call's input shapes and types are recorded too (as
// torch.profiler's record_shapes; it costs time per call, so wall times grow) and the rows are per operator
// and inputs (key_averages(group_by_input_shape=True)): which of several aten::copy_ is the expensive one.
// Throws std::logic_error when a profile is already running.
void StartOpProfile(bool shapes = false);

// Stops recording and aggregates by operator name (and inputs, with shapes). Throws std::logic_error when none
// is running.
OpProfile StopOpProfile();

bool OpProfileRunning();

}  // namespace latent
