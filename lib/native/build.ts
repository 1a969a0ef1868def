// Source builds of the addon, against the libtorch the resolver finds: cmake-js (primary) or node-gyp (binding.gyp).
// Both write build/Release/libtorch.json, which tells the loader which libtorch the local build belongs to.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

import { resolveLibtorch, type Libtorch } from './libtorch.js';
import { localBuildPath, PACKAGE_ROOT } from './loader.js';

export type Generator = 'cmake-js' | 'node-gyp';

export interface BuildOptions {
  generator?: Generator;
  root?: string;
  log?: (line: string) => void;
}

/** Node's own headers (node-gyp needs them; this machine's npm points at them with nodedir). */
export function nodeHeadersDir(): string | undefined {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].filter(Boolean) as string[];
  return candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'common.gypi')));
}

/** node-gyp from this package's dependencies, else the copy every npm bundles. */
function resolveNodeGyp(require: NodeJS.Require): string {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return bundled;
    throw new Error('node-gyp is not installed: npm install node-gyp, or build with the default cmake-js generator');
  }
}

export function writeBuildStamp(libtorch: Libtorch, root = PACKAGE_ROOT): void {
  const stamp = join(root, 'build', 'Release', 'libtorch.json');
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp + '.tmp', JSON.stringify({ tag: libtorch.tag, root: libtorch.root, version: libtorch.version, variant: libtorch.variant }, null, 2));
  renameSync(stamp + '.tmp', stamp);
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  if (result.error) throw new Error(`cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`native build failed: ${[command, ...args].join(' ')} exited with ${result.status}`);
}

export function buildNative(options: BuildOptions = {}): Libtorch {
  const root = options.root ?? PACKAGE_ROOT;
  const log = options.log ?? ((line: string) => console.log(line));
  const libtorch = resolveLibtorch();
  const generator = options.generator ?? 'cmake-js';
  const require = createRequire(join(root, 'package.json'));
  log(`[latent-emulator] building the addon with ${generator} against ${libtorch.tag} (${libtorch.root}, from ${libtorch.origin})`);
  const jobs = String(availableParallelism());
  if (generator === 'cmake-js') {
    const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
    run(process.execPath, [cmakeJs, 'build', `--CDLIBTORCH_ROOT=${libtorch.root}`, '--parallel', jobs, '--out', 'build'], root);
  } else {
    const nodeGyp = resolveNodeGyp(require);
    const headers = nodeHeadersDir();
    const args = [nodeGyp, 'rebuild', '--jobs', jobs, ...(headers ? [`--nodedir=${headers}`] : [])];
    run(process.execPath, args, root, { ...process.env, LIBTORCH: libtorch.root });
  }
  writeBuildStamp(libtorch, root);
  return libtorch;
}

/** True when the local build is missing, made against another libtorch, or older than a native source. */
export function localBuildIsStale(libtorch: Libtorch, localTag: string | undefined, root = PACKAGE_ROOT): boolean {
  const binary = localBuildPath(root);
  if (!existsSync(binary) || localTag !== libtorch.tag) return true;
  const built = statSync(binary).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  return Math.max(newest(join(root, 'native')), statSync(join(root, 'CMakeLists.txt')).mtimeMs) > built;
}
