#!/usr/bin/env node
// binding.gyp asks this for what the package's libtorch resolver found (one resolver for every build path).
// Usage: libtorch-flags.mjs root | std | sources
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
} else if (what === 'sources') {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'tests' ? [] : walk(join(dir, e.name))) : e.name.endsWith('.cc') ? [join(dir, e.name)] : []);
  console.log(walk(join(root, 'native')).map((p) => relative(root, p)).sort().join('\n'));
} else {
  console.error('usage: libtorch-flags.mjs root|std|sources');
  process.exit(2);
}
