// A device name is checked when a configuration is read (so --dry-run catches it too), not when the first
// tensor moves: cpu always, cuda and cuda:N only when this libtorch has CUDA and that GPU is visible.
import { native } from '../native/loader.js';

/** Why `device` is not a device name (cpu, cuda, cuda:N), or undefined: checked when a configuration is read. */
export function deviceNameProblem(device: string): string | undefined {
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(device);
  if (!m || (m[1] === 'cpu' && m[2] !== undefined)) return `unknown device '${device}': expected cpu, cuda or cuda:N`;
  return undefined;
}

/** Throws unless `device` can be used on this machine: checked before a run (dry or real) starts. */
export function checkDeviceUsable(device: string, what = 'train.device'): void {
  const problem = deviceProblem(device);
  if (problem) throw new Error(`${what}: ${problem}`);
}

/** Why `device` cannot be used here, or undefined if it can. */
export function deviceProblem(device: string): string | undefined {
  const named = deviceNameProblem(device);
  if (named) return named;
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(device)!;
  if (m[1] === 'cpu') return undefined;
  const info = native().info();
  if (!info.cudaAvailable) return `device '${device}' needs CUDA, which is not available here (this libtorch is built without CUDA, or no GPU is visible); use cpu`;
  const index = m[2] === undefined ? 0 : Number(m[2]);
  if (index >= info.cudaDeviceCount) return `device '${device}' does not exist: ${info.cudaDeviceCount} CUDA device(s) visible`;
  return undefined;
}
