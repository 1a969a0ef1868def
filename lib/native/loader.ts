// Loads the addon: resolves libtorch, preloads it by absolute path, then loads the prebuilt or local addon,
// which binds to the preloaded libraries by soname (it carries no RUNPATH), so no other libtorch can slip in.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeAddon } from './addon-types.js';
import { resolveLibtorch, type Libtorch } from './libtorch.js';

/** The package root: lib/native/ (sources) and dist/native/ (compiled) both sit two levels below it. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADDON_NAME = 'latent_emulator';
export const BUILD_COMMAND = 'npx latent-emulator build';

// glibc's RTLD_NODELETE: Node dlcloses a library that is not an addon; this keeps libtorch mapped.
const RTLD_NODELETE = 0x1000;

/** Libraries preloaded in dependency order; the CUDA ones only where the build has them. */
const LIBTORCH_LIBS = ['libc10.so', 'libc10_cuda.so', 'libtorch_cpu.so', 'libtorch_cuda.so', 'libtorch.so'];

export interface LoadedAddon {
  addon: NativeAddon;
  libtorch: Libtorch;
  /** Absolute path of the .node file that was loaded. */
  path: string;
  kind: 'prebuild' | 'local-build';
}

let loaded: LoadedAddon | undefined;

export function prebuildPath(libtorch: Libtorch, root = PACKAGE_ROOT): string {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`, `${ADDON_NAME}.${libtorch.tag}.napi.node`);
}

export function localBuildPath(root = PACKAGE_ROOT): string {
  return join(root, 'build', 'Release', `${ADDON_NAME}.node`);
}

/** The tag of the libtorch a local build was linked against (written by the build scripts). */
export function localBuildTag(root = PACKAGE_ROOT): string | undefined {
  const stamp = join(root, 'build', 'Release', 'libtorch.json');
  if (!existsSync(stamp)) return undefined;
  try {
    return (JSON.parse(readFileSync(stamp, 'utf8')) as { tag?: string }).tag;
  } catch {
    return undefined;
  }
}

/** Picks the addon binary for this libtorch: a local build made against it, else the matching prebuild. */
export function chooseAddon(libtorch: Libtorch, root = PACKAGE_ROOT): { path: string; kind: LoadedAddon['kind'] } {
  // A local build is what the user made on purpose (or a developer's latest code): it wins when it matches.
  const local = localBuildPath(root);
  const localTag = localBuildTag(root);
  if (existsSync(local) && localTag === libtorch.tag) return { path: local, kind: 'local-build' };
  const prebuilt = prebuildPath(libtorch, root);
  if (existsSync(prebuilt)) return { path: prebuilt, kind: 'prebuild' };
  const found = `found libtorch ${libtorch.version} (${libtorch.variant}) at ${libtorch.root}, from ${libtorch.origin}`;
  const stale = existsSync(local) ? `; the local build was made against ${localTag ?? 'an unknown libtorch'}` : '';
  throw new Error(
    `latent-emulator has no addon for ${process.platform}-${process.arch} with ${libtorch.tag}: ${found}${stale}. ` +
      `Build it from source with: ${BUILD_COMMAND}  (or install the libtorch a prebuild matches: npx latent-emulator libtorch install)`,
  );
}

/** Paths of the shared objects mapped into this process whose file name is `name`. */
export function mappedLibraries(name: string): string[] {
  if (!existsSync('/proc/self/maps')) return [];
  const paths = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && path.endsWith('/' + name)) paths.add(path);
  }
  return [...paths];
}

function preloadLibtorch(libtorch: Libtorch): void {
  const flags = constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE;
  for (const name of LIBTORCH_LIBS) {
    const file = join(libtorch.libDir, name);
    if (!existsSync(file)) continue;
    const other = mappedLibraries(name).filter((p) => realpathSync(p) !== realpathSync(file));
    if (other.length) {
      throw new Error(`another ${name} is already loaded in this process (${other.join(', ')}); latent-emulator resolved ${file}`);
    }
    try {
      process.dlopen({ exports: {} }, file, flags);
    } catch (err) {
      // A plain library is not an addon: "did not self-register" means it loaded. Anything else is real.
      if (!/did not self-register/.test((err as Error).message)) {
        throw new Error(`cannot load ${file}: ${(err as Error).message}`);
      }
    }
  }
}

/** Loads the addon once per process (and per worker thread). */
export function loadAddon(): LoadedAddon {
  if (loaded) return loaded;
  const libtorch = resolveLibtorch();
  const choice = chooseAddon(libtorch);
  preloadLibtorch(libtorch);
  const module = { exports: {} as NativeAddon };
  try {
    process.dlopen(module, choice.path, constants.dlopen.RTLD_NOW);
  } catch (err) {
    throw new Error(`cannot load the latent-emulator addon ${choice.path} against ${libtorch.tag}: ${(err as Error).message}`);
  }
  const threads = Number(process.env.LATENT_EMULATOR_THREADS ?? availableParallelism());
  module.exports.setNumThreads(threads > 0 ? threads : availableParallelism());
  loaded = { addon: module.exports, libtorch, path: choice.path, kind: choice.kind };
  return loaded;
}

export function native(): NativeAddon {
  return loadAddon().addon;
}
