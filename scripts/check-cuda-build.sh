#!/usr/bin/env bash
# Proves that the CUDA variant of the addon compiles and links, here, against a CUDA torch wheel
# (it cannot run without a GPU). Usage: scripts/check-cuda-build.sh [--nccl-only] [torch-version]   (default 2.14.1)
# First compiles the data-parallel code (native/distributed/) with the NCCL backend and checks that it uses
# ProcessGroupNCCL (--nccl-only stops there: minutes instead of the full build's much longer).
# Needs: pip able to fetch the CUDA torch wheel and NCCL's (on these machines they lie on local disk), a CUDA
# toolkit (nvcc, /usr/local/cuda), cmake, g++, gloo's headers. Leaves nothing behind but the log.
set -euo pipefail
cd "$(dirname "$0")/.."
nccl_only=0
if [ "${1:-}" = "--nccl-only" ]; then nccl_only=1; shift; fi
version=${1:-2.14.1}
# The extracted CUDA libtorch (~2 GB) is kept in $CUDA_CHECK_DIR between runs; the build is redone each time.
work=${CUDA_CHECK_DIR:-/tmp/latent-emulator-cuda-check}
mkdir -p "$work"
rm -rf "$work/build"

export LATENT_EMULATOR_CACHE="$work/cache"
if ! ls -d "$work"/cache/libtorch/torch-"$version"-cu* >/dev/null 2>&1; then
  echo "[cuda-build] fetching torch==$version (CUDA wheel) with pip download"
  python3 -m pip download "torch==$version" --no-deps --only-binary=:all: -d "$work/wheel" -q 2>&1 | grep -v '^WARNING' || true
  wheel=$(ls "$work"/wheel/torch-"$version"-*.whl)
  echo "[cuda-build] extracting libtorch from $(basename "$wheel") into $work/cache"
  node bin/latent-emulator.js libtorch install --wheel "$wheel"
  rm -rf "$work/wheel"
fi
export LIBTORCH=$(ls -d "$work"/cache/libtorch/torch-"$version"-cu* | head -1)
node bin/latent-emulator.js libtorch path

echo "[cuda-build] configuring and building against $LIBTORCH"
cuda_root=${CUDA_HOME:-/usr/local/cuda}   # FindCUDA guesses the root from nvcc's folder, which may be a symlink farm
export CUDACXX=${CUDACXX:-$cuda_root/bin/nvcc}
# Torch's CMake config wants NVRTC; a toolkit without it gets the library from NVIDIA's pip wheel.
nvrtc=$(ls "$cuda_root"/lib64/libnvrtc.so* 2>/dev/null | head -1 || true)
if [ -z "$nvrtc" ]; then
  nvrtc=$(ls "$work"/nvrtc/nvidia/cu*/lib/libnvrtc.so.* 2>/dev/null | grep -v alt | head -1 || true)
  if [ -z "$nvrtc" ]; then
    python3 -m pip download nvidia-cuda-nvrtc --no-deps --only-binary=:all: -d "$work/nvrtc-wheel" -q 2>&1 | grep -v '^WARNING' || true
    unzip -q -o "$work"/nvrtc-wheel/nvidia_cuda_nvrtc-*.whl 'nvidia/*/lib/*' -d "$work/nvrtc"
    nvrtc=$(ls "$work"/nvrtc/nvidia/cu*/lib/libnvrtc.so.* | grep -v alt | head -1)
  fi
fi
echo "[cuda-build] NVRTC: $nvrtc"

# NCCL's nccl.h (ProcessGroupNCCL.hpp includes it; the torch wheel lacks it): the toolkit's, else NCCL's pip wheel
# for the libtorch's CUDA major version.
nccl_inc=${NCCL_INCLUDE_DIR:-}
for d in "$cuda_root/include" /usr/include "$work"/nccl/nvidia/*/include "$work"/nccl/nvidia/nccl/include; do
  if [ -z "$nccl_inc" ] && [ -f "$d/nccl.h" ]; then nccl_inc=$d; fi
done
if [ -z "$nccl_inc" ]; then
  cuda_major=$(basename "$LIBTORCH" | sed -E 's/.*-cu([0-9]+)[0-9]$/\1/')
  python3 -m pip download "nvidia-nccl-cu$cuda_major" --no-deps --only-binary=:all: -d "$work/nccl-wheel" -q 2>&1 | grep -v '^WARNING' || true
  unzip -q -o "$work"/nccl-wheel/nvidia_nccl_*.whl 'nvidia/*' -d "$work/nccl"
  rm -rf "$work/nccl-wheel"
  nccl_inc=$(dirname "$(find "$work/nccl" -name nccl.h | head -1)")
fi
echo "[cuda-build] NCCL headers: $nccl_inc"

# ProcessGroupNCCL.hpp includes ATen/cuda/CUDAContext.h, which includes the CUDA math libraries' headers
# (cusparse.h, cublas_v2.h, cusolverDn.h): a full toolkit has them, else NVIDIA's pip wheels (headers only kept).
if [ ! -f "$cuda_root/include/cusparse.h" ]; then
  for pkg in nvidia-cusparse nvidia-cublas nvidia-cusolver; do
    if [ ! -f "$work/cuda-libs/.$pkg" ]; then
      python3 -m pip download "$pkg" --no-deps --only-binary=:all: -d "$work/cuda-libs-wheel" -q 2>&1 | grep -v '^WARNING' || true
      unzip -q -o "$work"/cuda-libs-wheel/*.whl 'nvidia/*/include/*' -d "$work/cuda-libs"
      rm -rf "$work/cuda-libs-wheel"
      touch "$work/cuda-libs/.$pkg"
    fi
  done
fi
math_inc=()
for d in "$work"/cuda-libs/nvidia/*/include; do [ -d "$d" ] && math_inc+=(-isystem "$d"); done

# The NCCL check: the distributed translation unit compiled as the CUDA build compiles it (torch_cuda's
# USE_C10D_NCCL, C++20 for torch 2.14's headers) must construct a ProcessGroupNCCL.
std=$(node scripts/libtorch-flags.mjs std)
obj="$work/process_group.o"
c++ $std -O0 -fPIC -DUSE_DISTRIBUTED -DUSE_C10D_GLOO -DUSE_C10D_NCCL -DNAPI_VERSION=9 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
  -Inative -I"$(node -p "require('node-addon-api').include_dir")" -I"$(node -p "require('node-api-headers').include_dir")" \
  -isystem "$LIBTORCH/include" -isystem "$LIBTORCH/include/torch/csrc/api/include" -isystem "$cuda_root/include" "${math_inc[@]}" -I"$nccl_inc" \
  -c native/distributed/process_group.cc -o "$obj" 2>"$work/nccl-check.log" || { grep -E "error" "$work/nccl-check.log" | head -30; exit 1; }
# (grep without -q: -q would stop reading, and nm's SIGPIPE would fail the pipe under pipefail)
nm -C "$obj" | grep "c10d::ProcessGroupNCCL::ProcessGroupNCCL" >/dev/null || { echo "[cuda-build] FAILED: native/distributed/process_group.cc compiled without the NCCL backend"; exit 1; }
echo "[cuda-build] ok: the NCCL backend compiles (native/distributed/process_group.cc constructs c10d::ProcessGroupNCCL)"
rm -f "$obj"
if [ "$nccl_only" = 1 ]; then exit 0; fi
# The full build compiles the same TU: the math libraries' headers from the wheels go in through gcc's CPATH.
for d in "$work"/cuda-libs/nvidia/*/include; do [ -d "$d" ] && export CPATH="$d${CPATH:+:$CPATH}"; done

node node_modules/cmake-js/bin/cmake-js build --CDLIBTORCH_ROOT="$LIBTORCH" --CDCUDA_TOOLKIT_ROOT_DIR="$cuda_root" \
  --CDCUDAToolkit_ROOT="$cuda_root" --CDCUDA_nvrtc_LIBRARY="$nvrtc" --CDNCCL_INCLUDE_DIR="$nccl_inc" --out "$work/build" --parallel "$(nproc)" \
  >"$work/build.log" 2>&1 || { grep -vE "warning|^\s+[0-9]* \||^\s+\||In file included|^\s+from " "$work/build.log" | tail -60; exit 1; }
grep -E "Found CUDA|CUDA version|Caffe2: CUDA" "$work/build.log" | head -5 || true
addon="$work/build/Release/latent_emulator.node"
test -f "$addon"
echo "[cuda-build] linked: $addon"
readelf -d "$addon" | grep NEEDED
nm -D --undefined-only "$addon" | grep -c " U " | xargs echo "[cuda-build] undefined symbols resolved at load time:"
test -f "$LIBTORCH/lib/libtorch_cuda.so" && echo "[cuda-build] ok: the CUDA libtorch ($(basename "$LIBTORCH")) builds; the loader preloads libtorch_cuda.so at run time"
