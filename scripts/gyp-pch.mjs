#!/usr/bin/env node
// binding.gyp's precompiled header: node-gyp's make generator has none, so this action compiles
// native/core/pch.h (torch + napi headers) once with exactly the flags gyp generated for the addon,
// read from the addon's makefile, into <out>/core/pch.h.gch; that folder comes first on the include
// path, so `#include "core/pch.h"` takes the .gch. GCC ignores a .gch whose flags differ, so a mismatch
// only costs speed, never correctness.
// Usage: gyp-pch.mjs <product dir (build/Release)> <output .gch>
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const [productDir, output] = process.argv.slice(2).map((p) => resolve(p));
const buildDir = dirname(productDir);
const makefile = readdirSync(buildDir).map((f) => join(buildDir, f)).find((f) => f.endsWith('latent_emulator.target.mk'));
if (!makefile) {
  console.error(`gyp-pch: no latent_emulator.target.mk in ${buildDir}; building without a precompiled header`);
  process.exit(0);
}
const mk = readFileSync(makefile, 'utf8');
// gyp writes "NAME_Release := \" followed by one "\t<flag> \" line per flag.
function variable(name) {
  const start = mk.indexOf(`${name}_Release :=`);
  if (start < 0) return [];
  const lines = [];
  for (const line of mk.slice(start).split('\n').slice(1)) {
    const flag = line.trim().replace(/\s*\\$/, '').replace(/^'(.*)'$/, '$1'); // DEFS are shell-quoted
    if (flag) lines.push(flag);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  return lines;
}
// The makefile names folders with make variables: $(srcdir) is the source root, $(builddir) the product dir.
const root = dirname(buildDir);
const expand = (flag) => flag.replaceAll('$(srcdir)', root).replaceAll('$(builddir)', productDir);
const args = [...variable('DEFS'), ...variable('CFLAGS'), ...variable('CFLAGS_CC'), ...variable('INCS')].map(expand);
args.push( '-x', 'c++-header', join(root, 'native', 'core', 'pch.h'), '-o', output);
mkdirSync(dirname(output), { recursive: true });
const result = spawnSync(process.env.CXX ?? 'g++', args, { stdio: 'inherit' });
if (result.status !== 0 && existsSync(output)) process.exit(0);
process.exit(result.status ?? 1);
