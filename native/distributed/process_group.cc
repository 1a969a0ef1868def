// c10d's TCPStore, PrefixStore and ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA) behind the few calls
// training needs. NCCL is compiled in only against a CUDA libtorch (find_package(Torch) defines
// USE_C10D_NCCL) whose build also found NCCL's own nccl.h; apart from constructing the backend and placing
// the collective buffers on this rank's GPU, both backends run the same code. Tensors are
// packed into flat buckets per dtype (at most kBucketBytes each, as DDP's 25 MB buckets) so that a step
// costs a handful of all-reduces however many parameter tensors the model has; all buckets are issued
// before the first is waited on.
#include "core/pch.h"

#include "distributed/process_group.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#if defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#define LATENT_WITH_NCCL 1
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "optim/gradient_sync.h"

namespace latent::dist {
namespace {

constexpr int64_t kBucketBytes = 25 << 20;

struct Group {
  Rendezvous rendezvous;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> pg;  // ProcessGroupGloo or ProcessGroupNCCL
  at::Device device{at::kCPU};            // where the collectives' buffers live: CPU (Gloo), this rank's GPU (NCCL)
  GradientSync sync;
  Info info;
};

std::mutex mutex;
std::unique_ptr<Group> group;

std::string where(const Group& g) {
  return "rank " + std::to_string(g.rendezvous.rank) + " of " + std::to_string(g.rendezvous.world);
}

std::string firstLine(std::string text) {
  if (auto nl = text.find("\nException raised from"); nl != std::string::npos) text.resize(nl);  // c10 backtrace
  return text;
}

std::string seconds(double s) {
  std::ostringstream out;
  out << s << " s";
  return out.str();
}

std::string storeOwner(const Rendezvous& r) {
  return r.use_agent_store ? "torchrun's rendezvous store" : r.rank == 0 ? "the rendezvous store (TCPStore server)" : "rank 0's rendezvous store";
}

[[noreturn]] void fail(const Group& g, const std::string& op, const std::exception& e) {
  const std::string cause = firstLine(e.what());
  throw std::runtime_error("distributed " + op + " failed on " + where(g) + " (" + g.rendezvous.backend + ", " + g.rendezvous.master_addr + ":" +
                           std::to_string(g.rendezvous.master_port) + "): " + cause +
                           " — another rank probably exited, crashed or hung past the timeout (" +
                           std::to_string(static_cast<int64_t>(g.rendezvous.timeout_seconds)) + " s); the process group is unusable");
}

// Every rank announces itself (latent_emulator/joined/<rank>) and waits until all have, polling, so that
// when one never comes (not started, crashed before joining, pointed at another MASTER_ADDR/MASTER_PORT)
// the error names it; Gloo's own rendezvous would time out on an anonymous store key.
void checkIn(const Group& g, c10d::Store& store, std::chrono::milliseconds timeout) {
  const Rendezvous& r = g.rendezvous;
  const auto key = [](int64_t rank) { return "latent_emulator/joined/" + std::to_string(rank); };
  std::vector<int64_t> missing;
  try {
    store.set(key(r.rank), std::vector<uint8_t>{1});
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<int64_t> waiting;
    for (int64_t k = 0; k < r.world; ++k) waiting.push_back(k);
    for (;;) {
      missing.clear();
      for (int64_t k : waiting)
        if (!store.check({key(k)})) missing.push_back(k);
      if (missing.empty()) return;
      waiting = missing;
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const std::exception& e) {
    fail(g, "rendezvous", e);
  }
  std::string list;
  for (size_t i = 0; i < missing.size(); ++i) list += (i ? (i + 1 == missing.size() ? " and " : ", ") : "") + std::to_string(missing[i]);
  throw std::runtime_error("distributed rendezvous failed on " + where(g) + ": rank" + (missing.size() > 1 ? "s " : " ") + list + " never joined " + storeOwner(r) + " at " +
                           r.master_addr + ":" + std::to_string(r.master_port) + " within the timeout (" + seconds(r.timeout_seconds) +
                           "; $LATENT_EMULATOR_DIST_TIMEOUT or launch --timeout): not started, crashed before joining, or launched with another MASTER_ADDR/MASTER_PORT/WORLD_SIZE");
}

Group& need(const char* op) {
  if (!group) throw std::logic_error(std::string("distributed ") + op + ": this process has not joined a process group");
  return *group;
}

// Runs `collective` on flat per-dtype buckets of `tensors` and copies the results back.
void bucketed(Group& g, std::vector<at::Tensor>& tensors, const char* op,
              const std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)>& collective) {
  std::map<at::ScalarType, std::vector<size_t>> byType;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined()) throw std::invalid_argument(std::string("distributed ") + op + ": tensor " + std::to_string(i) + " is undefined");
    if (g.device.is_cpu() && !tensors[i].device().is_cpu())
      throw std::invalid_argument(std::string("distributed ") + op + ": tensor " + std::to_string(i) + " is on " + tensors[i].device().str() +
                                  "; the Gloo backend takes CPU tensors (CUDA ranks join with the NCCL backend: train.device=cuda)");
    byType[tensors[i].scalar_type()].push_back(i);
  }
  struct Bucket {
    std::vector<size_t> members;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets;
  for (auto& [type, members] : byType) {
    Bucket b;
    int64_t bytes = 0;
    for (size_t i : members) {
      const int64_t n = tensors[i].numel() * static_cast<int64_t>(tensors[i].element_size());
      if (!b.members.empty() && bytes + n > kBucketBytes) {
        buckets.push_back(std::move(b));
        b = Bucket{};
        bytes = 0;
      }
      b.members.push_back(i);
      bytes += n;
    }
    if (!b.members.empty()) buckets.push_back(std::move(b));
  }
  try {
    for (auto& b : buckets) {
      std::vector<at::Tensor> parts;
      for (size_t i : b.members) parts.push_back(tensors[i].reshape(-1));
      std::vector<at::Tensor> one{at::cat(parts).to(g.device)};  // NCCL: host values (loss sums, names) go to the GPU and back
      b.flat = one[0];
      b.work = collective(one);
    }
    for (auto& b : buckets) b.work->wait();
  } catch (const std::exception& e) {
    fail(g, op, e);
  }
  torch::NoGradGuard noGrad;
  for (auto& b : buckets) {
    int64_t offset = 0;
    for (size_t i : b.members) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(b.flat.narrow(0, offset, n).view(tensors[i].sizes()));
      offset += n;
    }
  }
}

void allReduceSumIn(Group& g, std::vector<at::Tensor>& tensors, const char* op) {
  bucketed(g, tensors, op, [&](std::vector<at::Tensor>& one) { return g.pg->allreduce(one, c10d::AllreduceOptions{}); });
}

}  // namespace

void Init(const Rendezvous& r) {
  std::lock_guard<std::mutex> lock(mutex);
  if (group) throw std::logic_error("distributed init: this process already joined a process group (rank " + std::to_string(group->rendezvous.rank) + ")");
  if (r.world < 1 || r.rank < 0 || r.rank >= r.world)
    throw std::invalid_argument("distributed init: rank " + std::to_string(r.rank) + " is not in [0, world size " + std::to_string(r.world) + ")");
  if (r.master_port < 1 || r.master_port > 65535) throw std::invalid_argument("distributed init: master port " + std::to_string(r.master_port) + " is not in 1..65535");
  if (!(r.timeout_seconds > 0)) throw std::invalid_argument("distributed init: the timeout must be positive");
  if (r.backend != "gloo" && r.backend != "nccl") throw std::invalid_argument("distributed init: unknown backend \"" + r.backend + "\" (gloo or nccl)");
  if (r.backend == "nccl" && !HasNccl())
    throw std::invalid_argument(
        "distributed init: the NCCL backend (data-parallel training on CUDA) is not available in this addon: it was built against a CPU libtorch or "
        "without NCCL's headers (nccl.h); build it against a CUDA libtorch with NCCL's headers, or train on the CPU (Gloo)");
  auto g = std::make_unique<Group>();
  g->rendezvous = r;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(r.timeout_seconds * 1000));
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(r.master_port);
    so.isServer = !r.use_agent_store && r.rank == 0;
    so.numWorkers = r.use_agent_store ? std::nullopt : std::optional<size_t>(r.world);
    so.waitWorkers = false;
    so.timeout = timeout;
    so.multiTenant = true;
    store = c10::make_intrusive<c10d::TCPStore>(r.master_addr, so);
    // torch.distributed's keys: torchrun's agent store holds each restart's rendezvous under its own prefix.
    if (r.use_agent_store) store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(r.restart_count), store);
  } catch (const std::exception& e) {
    throw std::runtime_error("distributed rendezvous failed on " + where(*g) + ": cannot " + (r.use_agent_store || r.rank != 0 ? "reach " : "open ") + storeOwner(r) + " at " +
                             r.master_addr + ":" + std::to_string(r.master_port) + " within the timeout (" + seconds(r.timeout_seconds) + "): " + firstLine(e.what()) +
                             (r.rank != 0 || r.use_agent_store ? " — it has not started, has exited, or listens elsewhere (check MASTER_ADDR and MASTER_PORT)" : " — is the port in use?"));
  }
  g->store = store;
  checkIn(*g, *store, timeout);
  if (r.backend == "nccl") {
#ifdef LATENT_WITH_NCCL
    // One GPU per rank (torchrun's convention): LOCAL_RANK's device becomes this process's current CUDA
    // device, so that the models' `cuda` and NCCL's communicator both mean that GPU.
    const int64_t devices = c10::cuda::device_count();
    if (r.local_rank < 0 || r.local_rank >= devices)
      throw std::invalid_argument("distributed init (nccl): LOCAL_RANK " + std::to_string(r.local_rank) + " has no GPU: " + std::to_string(devices) +
                                  " CUDA device(s) visible, one per rank needed (CUDA_VISIBLE_DEVICES, --nproc-per-node)");
    try {
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(r.local_rank));
      g->device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(r.local_rank));
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>("latent_emulator/", store);
      g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, static_cast<int>(r.rank), static_cast<int>(r.world), options);
    } catch (const std::exception& e) {
      fail(*g, "rendezvous", e);
    }
#endif
  } else try {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    const bool loopback = r.master_addr == "127.0.0.1" || r.master_addr == "localhost" || r.master_addr == "::1";
    if (ifname && *ifname) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (loopback) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(r.master_addr));
    else options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("latent_emulator/", store);
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, static_cast<int>(r.rank), static_cast<int>(r.world), options);
  } catch (const std::exception& e) {
    fail(*g, "rendezvous", e);
  }
  Group* raw = g.get();
  g->info.active = true;
  g->info.rank = r.rank;
  g->info.world = r.world;
  g->info.backend = r.backend;
  g->info.timeout_seconds = r.timeout_seconds;
  g->sync.rank = r.rank;
  g->sync.world = r.world;
  g->sync.allReduceMean = [raw](std::vector<at::Tensor>& tensors) {
    const auto start = std::chrono::steady_clock::now();
    allReduceSumIn(*raw, tensors, "gradient all-reduce");
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> floating;
    for (auto& t : tensors) {
      raw->info.bytes_all_reduced += static_cast<uint64_t>(t.numel() * t.element_size());
      if (at::isFloatingType(t.scalar_type())) floating.push_back(t);
    }
    if (!floating.empty()) at::_foreach_div_(floating, static_cast<double>(raw->rendezvous.world));
    raw->info.all_reduce_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    raw->info.all_reduces++;
  };
  g->sync.broadcastFromRank0 = [raw](std::vector<at::Tensor>& tensors) {
    bucketed(*raw, tensors, "broadcast of the initial weights from rank 0",
             [&](std::vector<at::Tensor>& one) { c10d::BroadcastOptions o;
               o.rootRank = 0;
               return raw->pg->broadcast(one, o); });
  };
  group = std::move(g);
  SetGradientSync(&group->sync);
}

void Destroy(bool barrier) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!group) return;
  SetGradientSync(nullptr);
  std::unique_ptr<Group> g = std::move(group);
  if (barrier) {
    try {
      g->pg->barrier()->wait();
    } catch (const std::exception& e) {
      fail(*g, "final barrier", e);
    }
  }
}

bool HasNccl() {
#ifdef LATENT_WITH_NCCL
  return true;
#else
  return false;
#endif
}

Info Current() {
  std::lock_guard<std::mutex> lock(mutex);
  return group ? group->info : Info{};
}

void AllReduceSum(std::vector<at::Tensor>& tensors) { allReduceSumIn(need("all-reduce"), tensors, "all-reduce"); }

void Broadcast(std::vector<at::Tensor>& tensors, int64_t root) {
  Group& g = need("broadcast");
  if (root < 0 || root >= g.rendezvous.world) throw std::invalid_argument("distributed broadcast: root " + std::to_string(root) + " is not a rank");
  bucketed(g, tensors, "broadcast", [&](std::vector<at::Tensor>& one) { c10d::BroadcastOptions o;
    o.rootRank = root;
    return g.pg->broadcast(one, o); });
}

void Barrier() {
  Group& g = need("barrier");
  try {
    g.pg->barrier()->wait();
  } catch (const std::exception& e) {
    fail(g, "barrier", e);
  }
}

}  // namespace latent::dist
