// Only the compute thread runs libtorch's parallel work. OpenMP keeps one thread team per calling thread: a
// parallel op on a JavaScript thread (e.g. weight initialisation while a model is built) would start a second
// team, and with more OpenMP threads than cores libgomp throttles its spinning and puts workers to sleep
// between parallel sections (measured: ~28,000 sleep/wake cycles per rollout). So each JavaScript thread is
// pinned to a team of one, and the thread count users set and read is the compute thread's.
#pragma once

namespace latent {

// Makes the calling (JavaScript) thread run parallel regions on itself only. Once per thread.
void PinCallingThreadToOneOpenMpThread();

// The number of threads the compute thread's parallel ops use.
int ComputeThreadCount();

// Sets it (applied on the compute thread, in order with the queued work).
void SetComputeThreadCount(int threads);

}  // namespace latent
