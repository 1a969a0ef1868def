#!/usr/bin/env node
// The set-up behind `npm test`, `npm run demo` and `npm run bench` on a fresh clone. Each step skips itself
// when already done: npm dependencies, the TypeScript build, libtorch (cache), the addon build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const say = (line) => console.log(`[setup] ${line}`);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[setup] failed: ${command} ${args.join(' ')}`);
    process.exit(result.status ?? 1);
  }
}

function newest(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }, 0);
}

// 1. npm dependencies
const lock = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(lock) || statSync(join(root, 'package.json')).mtimeMs > statSync(lock).mtimeMs) {
  say('installing npm dependencies');
  run('npm', [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

// 2. TypeScript → dist/
const built = join(root, 'dist', 'index.js');
if (!existsSync(built) || newest(join(root, 'lib')) > statSync(built).mtimeMs) {
  say('compiling TypeScript');
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
}

// 3. libtorch
const { resolveLibtorch } = await import('../dist/native/libtorch.js');
let libtorch;
try {
  libtorch = resolveLibtorch();
} catch {
  say('no libtorch found: installing the CPU libtorch into the cache (latent-emulator libtorch install)');
  const { installLibtorch } = await import('../dist/native/libtorch-install.js');
  let shown = 0;
  libtorch = await installLibtorch({
    variant: 'cpu',
    log: say,
    onProgress: (done, total, stage) => {
      const pct = total ? Math.floor((100 * done) / total) : 0;
      if (pct >= shown + 20) { shown = pct; say(`${stage} ${pct}%`); }
    },
  });
}
say(`libtorch ${libtorch.tag} at ${libtorch.root} (${libtorch.origin})`);

// 4. the addon: a matching prebuild, else an up-to-date local build
const { prebuildPath, localBuildTag } = await import('../dist/native/loader.js');
const { buildNative, localBuildIsStale } = await import('../dist/native/build.js');
if (existsSync(prebuildPath(libtorch)) && !existsSync(join(root, 'build', 'Release'))) {
  say(`using the prebuilt addon ${prebuildPath(libtorch)}`);
} else if (localBuildIsStale(libtorch, localBuildTag())) {
  buildNative();
} else {
  say('the addon is up to date');
}
