// A small tmpfs the test mounts itself (we run as root in CI), to make "disk full" and "read-only file system"
// real instead of mocked. Where mounting is not permitted, `mountTmpfs` returns undefined and says why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Fills the file system until only about `bytes` remain free. */
  leaveFree(bytes: number): void;
  /** Frees what leaveFree took. */
  refill(): void;
  readOnly(on: boolean): void;
  unmount(): void;
}

export function mountTmpfs(sizeKiB: number): Tmpfs | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'le-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`skipping the disk-full tests: cannot mount a tmpfs here (${(r.stderr || r.error?.message || '').trim()})`);
    return undefined;
  }
  const filler = join(dir, 'filler.bin');
  return {
    dir,
    leaveFree(bytes) {
      rmSync(filler, { force: true });
      const fs = statfsSync(dir);
      const free = fs.bavail * fs.bsize;
      if (free > bytes) writeFileSync(filler, Buffer.alloc(free - bytes));
    },
    refill() {
      rmSync(filler, { force: true });
    },
    readOnly(on) {
      const m = spawnSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir], { encoding: 'utf8' });
      if (m.status !== 0) throw new Error(`remount ${dir}: ${m.stderr}`);
    },
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
