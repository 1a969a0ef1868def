#!/usr/bin/env node
// binding.gyp asks this for what the package's libtorch resolver found (one resolver for every build path).
// Usage: libtorch-flags.mjs root | std | nccl | sources
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const what = process.argv[2];
if (what === 'root') {
  const { resolveLibtorch } = await import('../dist/native/libtorch.js');
  console.log(resolveLibtorch().root);
} else if (what === 'std') {
  // The code is C++17; libtorch 2.14's own headers need C++20 (concepts).
  const { resolveLibtorch } = await import('../dist/native/libtorch.js');
  const [major, minor] = resolveLibtorch().version.split('.').map(Number);
  console.log(major > 2 || (major === 2 && minor >= 14) ? '-std=c++20' : '-std=c++17');
} else if (what === 'nccl') {
  // The NCCL backend: a CUDA libtorch (libtorch_cuda) and NCCL's nccl.h ($NCCL_INCLUDE_DIR, the CUDA toolkit,
  // /usr/include); CMakeLists.txt gets USE_C10D_NCCL from torch's targets, binding.gyp from here. Nothing otherwise.
  const { existsSync } = await import('node:fs');
  const { resolveLibtorch } = await import('../dist/native/libtorch.js');
  const lib = resolveLibtorch().root;
  const dirs = [process.env.NCCL_INCLUDE_DIR, process.env.NCCL_ROOT && join(process.env.NCCL_ROOT, 'include'), process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'include'), '/usr/local/cuda/include', '/usr/include'];
  const nccl = dirs.find((d) => d && existsSync(join(d, 'nccl.h')));
  if (existsSync(join(lib, 'lib', 'libtorch_cuda.so')) && nccl) console.log(`-DUSE_C10D_NCCL\n-I${nccl}`);
} else if (what === 'sources') {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'tests' ? [] : walk(join(dir, e.name))) : e.name.endsWith('.cc') ? [join(dir, e.name)] : []);
  console.log(walk(join(root, 'native')).map((p) => relative(root, p)).sort().join('\n'));
} else {
  console.error('usage: libtorch-flags.mjs root|std|nccl|sources');
  process.exit(2);
}
