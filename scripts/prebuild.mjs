#!/usr/bin/env node
// `npm run prebuildify` (not "prebuild": npm would run a "prebuild" script before every `npm run build`): prebuildify builds binding.gyp with node-gyp and names the binary after the libtorch
// it links, prebuilds/<platform>-<arch>/latent_emulator.torch-<version>-<variant>.napi.node, which the
// loader picks when the same libtorch is found at run time. node-gyp wipes build/, so it runs in a staging
// copy of the sources and the local cmake-js build stays untouched.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { resolveLibtorch } = await import('../dist/native/libtorch.js');
const { prebuildPath } = await import('../dist/native/loader.js');
const libtorch = resolveLibtorch();
const staging = mkdtempSync(join(tmpdir(), 'latent-emulator-prebuild-'));
try {
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts', 'dist']) cpSync(join(root, entry), join(staging, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(staging, 'node_modules'));
  const prebuildify = createRequire(import.meta.url).resolve('prebuildify/bin.js');
  const args = [prebuildify, '--napi', '--strip', '--name', `latent_emulator.${libtorch.tag}.napi`, '--node-gyp', join(staging, 'scripts', 'node-gyp.mjs')];
  console.log(`[prebuild] ${libtorch.tag} from ${libtorch.root}`);
  const result = spawnSync(process.execPath, args, { cwd: staging, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  cpSync(join(staging, 'prebuilds'), join(root, 'prebuilds'), { recursive: true });
  console.log(`[prebuild] wrote ${prebuildPath(libtorch, root)}`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
