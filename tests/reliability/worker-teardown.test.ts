// Worker threads and the process-wide compute thread: 20 rounds of workers that load the addon, start long
// native calls and are terminated mid-call. Run in a child process so that a crash (SIGSEGV, abort) is an
// observed exit status, not the end of the test runner.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('20 workers terminated mid-call: the process survives and the main thread still computes', () => {
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./worker-teardown-child.mjs', import.meta.url)), '20'], { encoding: 'utf8', timeout: 540_000 });
  expect({ signal: child.signal, status: child.status, stderr: child.status === 0 ? '' : child.stderr.slice(-2000) }).toEqual({ signal: null, status: 0, stderr: '' });
  expect(child.stdout.trim()).toBe('ok 20');
}, 600_000);
