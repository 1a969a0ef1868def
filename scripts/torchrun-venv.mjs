#!/usr/bin/env node
// A scratch Python environment with torch (CPU) for the `torchrun --no-python` launch test: torch's wheel as
// pip finds it (`pip download torch==2.13.0+cpu --no-deps`; on these machines a local wheel, no network)
// installed with --no-deps --no-compile into a venv under the package cache, plus the few pure-Python
// packages `import torch` needs. Prints the venv's python; does nothing when it is already there.
// torchrun runs as `<venv>/bin/python -m torch.distributed.run`. Usage: node scripts/torchrun-venv.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TORCH = '2.13.0+cpu';
export const venvDir = () => join(process.env.LATENT_EMULATOR_CACHE ?? join(homedir(), '.cache', 'latent-emulator'), 'torchrun-venv');
export const venvPython = () => join(venvDir(), 'bin', 'python');
export const venvReady = () => existsSync(join(venvDir(), 'ready'));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

export function prepare(log = (l) => console.error(`[torchrun-venv] ${l}`)) {
  const dir = venvDir();
  const python = join(dir, 'bin', 'python');
  if (existsSync(join(dir, 'ready'))) return python;
  const start = performance.now();
  rmSync(dir, { recursive: true, force: true });  // a half-made one (no `ready` marker)
  mkdirSync(join(dir, 'wheels'), { recursive: true });
  try {
    run('python3', ['-m', 'pip', 'download', `torch==${TORCH}`, '--no-deps', '-q', '-d', join(dir, 'wheels')]);
    const wheel = readdirSync(join(dir, 'wheels')).find((f) => f.startsWith('torch-'));
    if (!wheel) throw new Error(`pip download torch==${TORCH} found no wheel`);
    run('python3', ['-m', 'venv', dir]);
    run(python, ['-m', 'pip', 'install', '-q', '--no-deps', '--no-compile', join(dir, 'wheels', wheel)]);
    // What `import torch` imports besides torch (pure Python, from the index pip is configured with).
    run(python, ['-m', 'pip', 'install', '-q', '--no-compile', 'typing-extensions', 'filelock', 'sympy', 'networkx', 'jinja2', 'fsspec']);
    rmSync(join(dir, 'wheels'), { recursive: true, force: true });
    run(python, ['-c', 'import torch.distributed.run']);
    writeFileSync(join(dir, 'ready'), `${new Date().toISOString()}\n`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  log(`torch ${TORCH} installed in ${dir} in ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return python;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  console.log(prepare());
}
