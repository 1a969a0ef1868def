// This process's place in a data-parallel job: one Node process is one rank of a c10d process group
// (Gloo on CPU; NCCL on CUDA, one GPU per rank, in CUDA builds). The rendezvous goes through a c10d TCPStore at master_addr:master_port, hosted by
// rank 0, or by torchrun's agent (use_agent_store, keys under /worker/attempt_<restart>, as
// torch.distributed does). All calls are collectives except Info(): every rank makes the same calls in the
// same order, on the compute thread. Any failure (a peer that died, hung past the timeout or never came)
// throws a std::runtime_error naming this rank, the operation and the cause; the group is then unusable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latent::dist {

struct Rendezvous {
  int64_t rank = 0;
  int64_t world = 1;
  int64_t local_rank = 0;         // NCCL: this rank's GPU (cuda:<local_rank>)
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  double timeout_seconds = 1800;  // store connection and every collective (torch's default: 30 min)
  bool use_agent_store = false;   // torchrun's TORCHELASTIC_USE_AGENT_STORE
  int64_t restart_count = 0;      // torchrun's TORCHELASTIC_RESTART_COUNT
  std::string backend = "gloo";  // "gloo" (CPU tensors) or "nccl" (CUDA tensors; CUDA builds with NCCL only)
};

struct Info {
  bool active = false;
  int64_t rank = 0;
  int64_t world = 1;
  std::string backend;
  double timeout_seconds = 0;
  uint64_t bytes_all_reduced = 0;  // gradient bytes all-reduced since Init
  double all_reduce_seconds = 0;   // time spent in gradient all-reduces since Init
  int64_t all_reduces = 0;         // gradient all-reduce calls since Init
};

// Joins the group (blocks until all `world` ranks have arrived or the timeout passes) and installs the
// gradient sync every Trainer uses. Throws if already joined.
void Init(const Rendezvous& r);
// Leaves the group (after a final barrier when `barrier`); the process runs alone again.
void Destroy(bool barrier);
Info Current();
// Whether this addon was built with the NCCL backend (a CUDA libtorch and NCCL's headers).
bool HasNccl();

// Collectives. Tensors are CPU (Gloo) and are changed in place.
void AllReduceSum(std::vector<at::Tensor>& tensors);
void Broadcast(std::vector<at::Tensor>& tensors, int64_t root);
void Barrier();

}  // namespace latent::dist
