// Finds the libtorch that every build path and the runtime loader use: one resolver, one answer.
// Order: $LIBTORCH, the libtorch inside an installed Python `torch` package, the package's own cache.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type LibtorchOrigin = 'env' | 'python' | 'cache';

export interface Libtorch {
  /** Root folder holding lib/, include/ and share/cmake/Torch. */
  root: string;
  libDir: string;
  includeDirs: string[];
  cmakePrefix: string;
  /** Release version without local suffix, e.g. "2.13.0". */
  version: string;
  /** "cpu", or the CUDA variant such as "cu126". */
  variant: string;
  origin: LibtorchOrigin;
  /** Tag that keys prebuilt binaries: "torch-2.13.0-cpu". */
  tag: string;
}

export const SETUP_COMMAND = 'npx latent-emulator libtorch install';

/** The package's cache folder; $LATENT_EMULATOR_CACHE overrides it. */
export function cacheDir(): string {
  return process.env.LATENT_EMULATOR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'latent-emulator');
}

export function libtorchCacheDir(): string {
  return join(cacheDir(), 'libtorch');
}

/** Reads version and variant from what the folder itself says (build-version, or a wheel's version.py). */
export function describeLibtorch(root: string, origin: LibtorchOrigin): Libtorch {
  root = resolve(root);
  const libDir = join(root, 'lib');
  const cmakePrefix = join(root, 'share', 'cmake');
  const missing = [join(libDir, 'libc10.so'), join(root, 'include', 'torch'), join(cmakePrefix, 'Torch')].filter((p) => !existsSync(p));
  if (missing.length) {
    throw new Error(`libtorch at ${root} (from ${originText(origin)}) is incomplete: missing ${missing.join(', ')}`);
  }
  const full = readVersion(root);
  const match = /^(\d+\.\d+\.\d+)(?:\+(\w+))?/.exec(full);
  if (!match) throw new Error(`libtorch at ${root}: cannot parse version "${full}"`);
  const version = match[1]!;
  const hasCuda = existsSync(join(libDir, 'libtorch_cuda.so'));
  const variant = match[2] && match[2] !== 'cpu' ? match[2] : hasCuda ? 'cuda' : 'cpu';
  const [major, minor] = version.split('.').map(Number);
  if (major! < 2 || (major === 2 && minor! < 1)) {
    throw new Error(`libtorch ${version} at ${root} is too old: latent-emulator needs libtorch >= 2.1 (run ${SETUP_COMMAND})`);
  }
  return {
    root,
    libDir,
    includeDirs: [join(root, 'include'), join(root, 'include', 'torch', 'csrc', 'api', 'include')],
    cmakePrefix,
    version,
    variant,
    origin,
    tag: `torch-${version}-${variant}`,
  };
}

function readVersion(root: string): string {
  for (const file of ['build-version', 'version.txt']) {
    const p = join(root, file);
    if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  }
  const py = join(root, 'version.py'); // a wheel's torch/ folder
  if (existsSync(py)) {
    const text = readFileSync(py, 'utf8');
    const m = /__version__\s*=\s*'([^']+)'/.exec(text);
    // PyPI's CUDA wheels carry no "+cu…" suffix; their version.py names the CUDA release instead.
    const cuda = /^cuda(?::[^=]*)?=\s*'(\d+)\.(\d+)'/m.exec(text);
    if (m) return m[1]!.includes('+') || !cuda ? m[1]! : `${m[1]}+cu${cuda[1]}${cuda[2]}`;
  }
  const header = join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h');
  if (existsSync(header)) {
    const m = /TORCH_VERSION\s+"([^"]+)"/.exec(readFileSync(header, 'utf8'));
    if (m) return m[1]!;
  }
  throw new Error(`libtorch at ${root}: no build-version, version.py or torch/version.h to read its version from`);
}

function originText(origin: LibtorchOrigin): string {
  return { env: 'the LIBTORCH environment variable', python: 'the Python torch package', cache: 'the latent-emulator cache' }[origin];
}

/** The libtorch inside `import torch`, found without importing torch (which takes seconds). */
export function pythonTorchRoot(python = process.env.PYTHON ?? 'python3'): string | undefined {
  try {
    const out = execFileSync(
      python,
      ['-c', "import importlib.util as u; s=u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')"],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 15000 },
    ).trim();
    return out && existsSync(join(out, 'lib', 'libc10.so')) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Installed variants in the cache, newest first. */
export function cachedLibtorchRoots(): string[] {
  const dir = libtorchCacheDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'lib', 'libc10.so')))
    .map((d) => join(dir, d.name))
    .sort()
    .reverse();
}

export interface ResolveOptions {
  /** Skip the Python lookup (used in tests). */
  python?: string | false;
}

/** The one resolver. Throws with the set-up command when nothing is found. */
export function resolveLibtorch(options: ResolveOptions = {}): Libtorch {
  const env = process.env.LIBTORCH;
  if (env) return describeLibtorch(env, 'env');
  if (options.python !== false) {
    const root = pythonTorchRoot(options.python ?? undefined);
    if (root) return describeLibtorch(root, 'python');
  }
  const cached = cachedLibtorchRoots();
  if (cached.length) return describeLibtorch(cached[0]!, 'cache');
  throw new Error(
    'libtorch was not found: LIBTORCH is unset, no Python torch package is installed, and the cache ' +
      `(${libtorchCacheDir()}) is empty. Run: ${SETUP_COMMAND}  (or set LIBTORCH=/path/to/libtorch)`,
  );
}
