// Run directories: unique names (several runs may start at once on one machine) and an exclusive lock
// (`lock`, holding the owner's pid and host) so that two processes never write the same run. A lock
// whose process is gone (same host) is stale and taken over.
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface RunLock {
  path: string;
  release(): void;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Creates `<runsDir>/<name>_<date-time>_<random>`; mkdir fails on a clash, so names never collide. */
export function createRunDir(runsDir: string, name: string): string {
  mkdirSync(runsDir, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-');
  for (let attempt = 0; attempt < 16; attempt++) {
    const dir = resolve(runsDir, `${safe}_${stamp()}_${randomBytes(3).toString('hex')}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`cannot create a unique run directory in ${runsDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the run's lock or throws naming the process that holds it. */
export function lockRunDir(dir: string): RunLock {
  const path = join(dir, 'lock');
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { path, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: { pid?: number; host?: string } = {};
    try {
      owner = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // half-written lock: treat as stale
    }
    const stale = owner.pid === undefined || (owner.host === hostname() && owner.pid !== process.pid && !alive(owner.pid));
    if (!stale) throw new Error(`${dir} is in use by process ${owner.pid} on ${owner.host} (remove ${path} if that process is gone)`);
    rmSync(path, { force: true });
  }
  throw new Error(`cannot lock ${dir}`);
}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, 'config.yaml'));
}

/**
 * The folder a training run works in: the resumed one, the one asked for, or a new uniquely named one
 * under `runsDir`; locked for this process, and for a new run holding the resolved configuration.
 */
export function openRunDir(
  options: { resumeDir?: string; runDir?: string },
  runsDir: string,
  name: string,
  files: Record<string, string>,
): { dir: string; lock: RunLock } {
  let dir: string;
  if (options.resumeDir) dir = resolve(options.resumeDir);
  else if (options.runDir) {
    dir = resolve(options.runDir);
    mkdirSync(dir, { recursive: true });
  } else dir = createRunDir(runsDir, name);
  const lock = lockRunDir(dir);
  if (!options.resumeDir) for (const [file, text] of Object.entries(files)) writeFileAtomic(join(dir, file), text);
  return { dir, lock };
}

