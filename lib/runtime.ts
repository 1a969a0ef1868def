// Process-wide settings of the native runtime.
import type { RuntimeInfo } from './native/addon-types.js';
import { loadAddon, native } from './native/loader.js';

/** libtorch's intra-op threads (default: the available cores, or $LATENT_EMULATOR_THREADS). */
export function setNumThreads(threads: number): void {
  native().setNumThreads(threads);
}

export function getNumThreads(): number {
  return native().getNumThreads();
}

/** Seeds libtorch's generators so that initialisation, dropout and sampling repeat exactly. */
export function manualSeed(seed: number): void {
  native().manualSeed(seed);
}

export interface DoctorReport extends RuntimeInfo {
  libtorchRoot: string;
  libtorchOrigin: string;
  libtorchTag: string;
  addonPath: string;
  addonKind: string;
  blas: string;
}

/** What `latent-emulator doctor` prints: which libtorch, from where, what it can do, and which addon binary. */
export function doctor(): DoctorReport {
  const { addon, libtorch, path, kind } = loadAddon();
  const info = addon.info();
  const blas = /BLAS_INFO=([^,\n]+)/.exec(info.buildConfig)?.[1] ?? (info.mklAvailable ? 'mkl' : 'unknown');
  return {
    ...info,
    libtorchRoot: libtorch.root,
    libtorchOrigin: libtorch.origin,
    libtorchTag: libtorch.tag,
    addonPath: path,
    addonKind: kind,
    blas,
  };
}
