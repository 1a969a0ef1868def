#!/usr/bin/env bash
# Proves that the CUDA variant of the addon compiles and links, here, against a CUDA torch wheel
# (it cannot run without a GPU). Usage: scripts/check-cuda-build.sh [torch-version]   (default 2.14.1)
# Needs: pip able to fetch the CUDA torch wheel (on these machines it lies on local disk), a CUDA toolkit
# (nvcc, /usr/local/cuda), cmake, g++. Leaves nothing behind but the log.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-2.14.1}
work=$(mktemp -d /tmp/latent-emulator-cuda-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "[cuda-build] fetching torch==$version (CUDA wheel) with pip download"
python3 -m pip download "torch==$version" --no-deps --only-binary=:all: -d "$work/wheel" -q
wheel=$(ls "$work"/wheel/torch-*.whl)

echo "[cuda-build] extracting libtorch from $(basename "$wheel") into a scratch cache"
export LATENT_EMULATOR_CACHE="$work/cache"
node bin/latent-emulator.js libtorch install --wheel "$wheel"
export LIBTORCH=$(ls -d "$work"/cache/libtorch/torch-*)
node bin/latent-emulator.js libtorch path

echo "[cuda-build] configuring and building against $LIBTORCH"
export CUDACXX=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
node node_modules/cmake-js/bin/cmake-js build --CDLIBTORCH_ROOT="$LIBTORCH" --out "$work/build" --parallel "$(nproc)" \
  >"$work/build.log" 2>&1 || { grep -E "error|Error|CMake" "$work/build.log" | head -40; exit 1; }
grep -E "Found CUDA|CUDA version|Caffe2: CUDA" "$work/build.log" | head -5 || true
addon="$work/build/Release/latent_emulator.node"
test -f "$addon"
echo "[cuda-build] linked: $addon"
readelf -d "$addon" | grep NEEDED
nm -D --undefined-only "$addon" | grep -c " U " | xargs echo "[cuda-build] undefined symbols resolved at load time:"
test -f "$LIBTORCH/lib/libtorch_cuda.so" && echo "[cuda-build] ok: the CUDA libtorch ($(basename "$LIBTORCH")) builds; the loader preloads libtorch_cuda.so at run time"
