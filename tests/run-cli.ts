// Runs the CLI in-process and captures what it prints and its exit code.
import { main } from '../lib/cli/main.js';

export async function runCli(...args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof stdout;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof stderr;
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'latent-emulator', ...args]);
    return { out, err, code: process.exitCode };
  } finally {
    process.exitCode = before;
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}
