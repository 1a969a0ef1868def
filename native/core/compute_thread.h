// One long-lived thread runs all libtorch work, in submission order. libtorch's OpenMP pool belongs to the
// thread that calls it: work spread over libuv's pool threads would start one OpenMP team per thread,
// and their spinning workers fight over the cores (measured here: 100 ms vs 6 ms per tiny train step).
#pragma once
#include <functional>

namespace latent {

// Queues `job` on the compute thread; jobs run one at a time, first in, first out.
void PostCompute(std::function<void()> job);

}  // namespace latent
