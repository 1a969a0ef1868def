// Shared by the data-parallel tests: free ports, child processes of the compiled CLI, tensor comparisons.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

import { readSafetensors } from '../../lib/io/safetensors.js';

export const CLI = 'bin/latent-emulator.js';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  seconds: number;
}

/** Starts `args` (node is prepended when the first is a .js/.mjs file) and collects its output. */
export function start(args: string[], env: Record<string, string | undefined> = {}): { child: ChildProcess; done: Promise<Finished> } {
  const begin = performance.now();
  const argv = /\.m?js$/.test(args[0]!) ? [process.execPath, ...args] : args;
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, LATENT_EMULATOR_DIST_TIMEOUT: '60', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err, seconds: (performance.now() - begin) / 1000 })));
  return { child, done };
}

export const run = (args: string[], env: Record<string, string | undefined> = {}) => start(args, env).done;

/** All tensors of a safetensors file as float64 values. */
export function tensors(path: string): Map<string, Float64Array> {
  const f = readSafetensors(path);
  return new Map(Object.keys(f.entries).map((name) => [name, f.values(name)]));
}

/** The raw bytes of every tensor (for bit-identity). */
export function tensorBytes(path: string): Map<string, string> {
  const buffer = readFileSync(path);
  const n = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
  const out = new Map<string, string>();
  for (const [name, e] of Object.entries(header)) if (name !== '__metadata__') out.set(name, buffer.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]).toString('hex'));
  return out;
}

/** Largest |a − b| over all tensors, relative to the largest |a|; throws if the names differ. */
export function maxRelativeDifference(a: Map<string, Float64Array>, b: Map<string, Float64Array>): number {
  if ([...a.keys()].sort().join() !== [...b.keys()].sort().join()) throw new Error('different tensor names');
  let diff = 0;
  let scale = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
  }
  return diff / scale;
}
