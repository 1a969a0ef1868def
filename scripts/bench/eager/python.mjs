// The eager-PyTorch side of a benchmark: finds the torch venv's python (scripts/torchrun-venv.mjs prepares
// it; this never installs anything) and runs one of the scripts/bench/eager/*.py as a long-lived child that
// answers one JSON line per request line, so a bench can interleave package and eager runs (ABAB…) in the
// same process lifetime. Protocol: the script prints {"ready": {...}} once its model is built, then for each
// request line {"op": ..., ...} one reply line (an object; {"error": "..."} on failure); EOF ends it.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { venvPython, venvReady } from '../../torchrun-venv.mjs';

const here = join(fileURLToPath(import.meta.url), '..');

// The eager side runs with the malloc settings the addon sets for its own process (native/core/process_init.cc:
// mmap threshold 64 MiB, trim threshold 256 MiB). With glibc's defaults every activation of a few MB is mmapped
// afresh and eager elementwise ops ran up to ~70× slower (35 ms instead of 0.5 ms in the rollout bench): a
// comparison against that would flatter the package. BENCH_EAGER_MALLOC=default keeps glibc's defaults.
export const EAGER_MALLOC = process.env.BENCH_EAGER_MALLOC ?? 'package';
const PACKAGE_MALLOC = 'glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456';

/** The venv's python, or null with the reason (print it and skip the eager columns). */
export function eagerPython() {
  if (!venvReady()) return { python: null, reason: `no torch venv at ${venvPython()} (run \`node scripts/torchrun-venv.mjs\` to make one); eager PyTorch columns skipped` };
  return { python: venvPython(), reason: '' };
}

/**
 * Starts scripts/bench/eager/<script> with `args` and resolves once it reported ready:
 * { ready, request(obj) → Promise<reply>, close() }. Threads: pass the same count the package uses.
 */
export async function startEager(script, args = [], { threads = 1 } = {}) {
  const { python, reason } = eagerPython();
  if (!python) throw new Error(reason);
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  if (EAGER_MALLOC !== 'default') env.GLIBC_TUNABLES = PACKAGE_MALLOC;
  const child = spawn(python, [join(here, script), '--threads', String(threads), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const failAll = (err) => { while (waiting.length) waiting.shift().reject(err); };
  lines.on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      return; // not a protocol line (a library's print): ignore
    }
    const next = waiting.shift();
    if (!next) return;
    if (value && typeof value === 'object' && 'error' in value) next.reject(new Error(`${script}: ${value.error}`));
    else next.resolve(value);
  });
  child.on('exit', (code, signal) => failAll(new Error(`${script} exited (${signal ?? code}) before answering: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
  child.on('error', (err) => failAll(err));
  const reply = () => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  const ready = (await reply()).ready;
  return {
    ready,
    request(obj) {
      const answer = reply();
      child.stdin.write(`${JSON.stringify(obj)}\n`);
      return answer;
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', () => resolve())));
    },
  };
}
