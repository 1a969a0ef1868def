#!/usr/bin/env bash
# Proves that the CUDA variant of the addon compiles and links, here, against a CUDA torch wheel
# (it cannot run without a GPU). Usage: scripts/check-cuda-build.sh [torch-version]   (default 2.14.1)
# Needs: pip able to fetch the CUDA torch wheel (on these machines it lies on local disk), a CUDA toolkit
# (nvcc, /usr/local/cuda), cmake, g++. Leaves nothing behind but the log.
set -euo pipefail
cd "$(dirname "$0")/.."
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
node node_modules/cmake-js/bin/cmake-js build --CDLIBTORCH_ROOT="$LIBTORCH" --CDCUDA_TOOLKIT_ROOT_DIR="$cuda_root" \
  --CDCUDAToolkit_ROOT="$cuda_root" --CDCUDA_nvrtc_LIBRARY="$nvrtc" --out "$work/build" --parallel "$(nproc)" \
  >"$work/build.log" 2>&1 || { grep -vE "warning|^\s+[0-9]* \||^\s+\||In file included|^\s+from " "$work/build.log" | tail -60; exit 1; }
grep -E "Found CUDA|CUDA version|Caffe2: CUDA" "$work/build.log" | head -5 || true
addon="$work/build/Release/latent_emulator.node"
test -f "$addon"
echo "[cuda-build] linked: $addon"
readelf -d "$addon" | grep NEEDED
nm -D --undefined-only "$addon" | grep -c " U " | xargs echo "[cuda-build] undefined symbols resolved at load time:"
test -f "$LIBTORCH/lib/libtorch_cuda.so" && echo "[cuda-build] ok: the CUDA libtorch ($(basename "$LIBTORCH")) builds; the loader preloads libtorch_cuda.so at run time"
